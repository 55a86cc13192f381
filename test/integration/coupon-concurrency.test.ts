import { expect } from 'chai';
import type { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { UserCouponView } from '../../src/application/coupons/views.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { requireRedis, type TestRedis } from '../support/redis.js';
import {
  adminClient,
  couponEventCount,
  createCoupon,
  dropGateKeys,
  flushRunPrefix,
  insertUsers,
  instanceOn,
  issue,
  issuedQuantityOf,
  ordersWithCoupon,
  storm,
  userCoupon,
  userCouponsOf,
} from './coupon-support.js';
import {
  type App,
  attempt,
  balanceOf,
  codeOf,
  eventsOf,
  expectBooksBalance,
  ledgerOf,
  type Listed,
  orderStatus,
  paymentsOf,
  refundsOf,
  Shop,
  SHIPPING_ADDRESS,
  stockOf,
  tally,
} from './ordering-support.js';

/**
 * The coupon feature under real concurrency: real PostgreSQL connections (two pools = two
 * service instances) and, for the Redis variants, the Redis first-come-first-served gate shared
 * by both instances. Whoever races whom, the database never issues more copies than the coupon
 * has, never more to a user than the per-user limit, and a user coupon sits on one live order.
 */

const byNumber = (a: number, b: number) => a - b;
const fulfilled = <T>(results: PromiseSettledResult<T>[]): T[] => results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));

describe('coupons under concurrency (PostgreSQL, Redis)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let poolA: Knex;
  let poolB: Knex;
  /** Two instances without Redis: the PostgreSQL gate. */
  let pgA: App;
  let pgB: App;
  let shop: Shop;

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    poolA = database.connect(20);
    poolB = database.connect(20);
    pgA = await instanceOn(poolA, null);
    pgB = await instanceOn(poolB, null);
    shop = await Shop.open(pgA);
  });

  after(async function () {
    await Promise.all([poolA, poolB].map((p) => p?.destroy()));
  });

  /** Issue-side checks of one coupon's rows: exactly these users hold one copy each. */
  async function expectIssuedTo(db: Knex, couponId: number, userIds: number[], views: UserCouponView[]): Promise<void> {
    const rows = await userCouponsOf(db, couponId);
    expect(rows, 'user_coupons rows').to.have.length(userIds.length);
    expect(rows.map((r) => r.userId).sort(byNumber), 'holders are exactly the users told OK').to.deep.equal([...userIds].sort(byNumber));
    expect(rows.map((r) => r.id).sort(byNumber), 'rows are exactly the copies handed out').to.deep.equal(views.map((v) => v.id).sort(byNumber));
    expect(new Set(rows.map((r) => r.userId)).size, 'one copy per user').to.equal(userIds.length);
    for (const r of rows) expect({ n: r.n, status: r.status, orderId: r.orderId }).to.deep.equal({ n: 1, status: 'ISSUED', orderId: null });
    expect(await issuedQuantityOf(db, couponId), 'coupons.issued_quantity').to.equal(userIds.length);
    expect(await couponEventCount(db, couponId, 'CouponIssued'), 'one CouponIssued event per copy').to.equal(userIds.length);
  }

  const variants = [
    { label: 'PostgreSQL alone', withRedis: false },
    { label: 'Redis + PostgreSQL', withRedis: true },
  ] as const;

  for (const variant of variants) {
    describe(`first-come-first-served issue, ${variant.label}`, function () {
      let a: App;
      let b: App;

      before(async function () {
        if (variant.withRedis) {
          const redis = await requireRedis(this);
          a = await instanceOn(poolA, redis.connect());
          b = await instanceOn(poolB, redis.connect());
        } else {
          a = pgA;
          b = pgB;
        }
      });

      const on = (i: number) => (i % 2 === 0 ? a : b);

      it('1,000 distinct users at once on two instances for a coupon of 100: exactly 100 issued, 900 COUPON_EXHAUSTED, 100 rows, issued_quantity 100', async function () {
        const coupon = await createCoupon(a, shop.admin, { totalQuantity: 100 });
        const users = await insertUsers(a.db, 1_000);

        const results = await storm(users.length, (i) => issue(on(i), users[i] as Actor, coupon.id));

        expect(tally(results.map(codeOf))).to.deep.equal({ OK: 100, COUPON_EXHAUSTED: 900 });
        const views = fulfilled(results);
        for (const v of views) expect(v).to.deep.include({ couponId: coupon.id, status: 'ISSUED', orderId: null, usedAt: null });
        const winners = users.filter((_, i) => results[i]?.status === 'fulfilled').map((u) => u.userId);
        await expectIssuedTo(a.db, coupon.id, winners, views);
        const seen = await resolve(b.container, TOKENS.getCoupon).execute(coupon.id);
        expect(seen).to.deep.include({ issuedQuantity: 100, remainingQuantity: 0, status: 'EXHAUSTED' });
      });

      it('after a sell-out, holders and newcomers ask again at once: holders COUPON_ALREADY_ISSUED, newcomers COUPON_EXHAUSTED, nothing more issued', async function () {
        const coupon = await createCoupon(a, shop.admin, { totalQuantity: 10 });
        const users = await insertUsers(a.db, 40);
        const first = await storm(users.length, (i) => issue(on(i), users[i] as Actor, coupon.id));
        expect(tally(first.map(codeOf))).to.deep.equal({ OK: 10, COUPON_EXHAUSTED: 30 });
        const holders = users.filter((_, i) => first[i]?.status === 'fulfilled');
        const newcomers = await insertUsers(a.db, 10);

        const [again, late] = await Promise.all([
          storm(holders.length, (i) => issue(on(i), holders[i] as Actor, coupon.id)),
          storm(newcomers.length, (i) => issue(on(i + 1), newcomers[i] as Actor, coupon.id)),
        ]);

        expect(await issuedQuantityOf(a.db, coupon.id), 'issued_quantity').to.equal(10);
        expect(await userCouponsOf(a.db, coupon.id)).to.have.length(10);
        expect(tally(late.map(codeOf)), 'newcomers').to.deep.equal({ COUPON_EXHAUSTED: 10 });
        // Spec: "already-issued is checked before exhausted".
        expect(tally(again.map(codeOf)), 'holders of the sold-out coupon').to.deep.equal({ COUPON_ALREADY_ISSUED: 10 });
      });

      for (const totalQuantity of [100, null]) {
        const kind = totalQuantity === null ? 'an unlimited coupon' : 'a coupon of 100';
        it(`one user, 20 attempts at once on two instances, ${kind} with perUserLimit 3: exactly 3 issued (n = 1, 2, 3), 17 COUPON_ALREADY_ISSUED`, async function () {
          const coupon = await createCoupon(a, shop.admin, { totalQuantity, perUserLimit: 3 });
          const [user] = (await insertUsers(a.db, 1)) as [Actor];

          const results = await storm(20, (i) => issue(on(i), user, coupon.id));

          expect(tally(results.map(codeOf))).to.deep.equal({ OK: 3, COUPON_ALREADY_ISSUED: 17 });
          const rows = await userCouponsOf(a.db, coupon.id);
          expect(rows.map((r) => [r.userId, r.status, r.orderId])).to.deep.equal(Array(3).fill([user.userId, 'ISSUED', null]));
          expect(rows.map((r) => r.n).sort(byNumber)).to.deep.equal([1, 2, 3]);
          expect(rows.map((r) => r.id).sort(byNumber)).to.deep.equal(fulfilled(results).map((v) => v.id).sort(byNumber));
          expect(await issuedQuantityOf(a.db, coupon.id), 'issued_quantity').to.equal(3);
          expect(await couponEventCount(a.db, coupon.id, 'CouponIssued')).to.equal(3);
          // And the limit holds afterwards too.
          expect(codeOf(await attempt(issue(b, user, coupon.id)))).to.equal('COUPON_ALREADY_ISSUED');
          expect(await issuedQuantityOf(a.db, coupon.id)).to.equal(3);
        });
      }
    });
  }

  describe('first-come-first-served issue, Redis losing its data mid-storm', function () {
    let redis: TestRedis;
    let clientA: Redis;
    let admin: Redis | undefined;
    let a: App;
    let b: App;

    before(async function () {
      redis = await requireRedis(this);
      clientA = redis.connect();
      a = await instanceOn(poolA, clientA);
      b = await instanceOn(poolB, redis.connect());
      admin = adminClient(redis);
    });

    after(function () {
      admin?.disconnect();
    });

    const on = (i: number) => (i % 2 === 0 ? a : b);

    /**
     * A storm of `users` for `total` copies; after `first` settled the gate's keys of the coupon
     * are deleted, after `second` this run's whole key prefix.
     */
    async function stormWithFlushes(total: number, userCount: number, first: number, second: number, concurrency?: number) {
      const coupon = await createCoupon(a, shop.admin, { totalQuantity: total });
      const users = await insertUsers(a.db, userCount);
      const flushes: Promise<{ at: number; deleted: number; issuedInDb: number }>[] = [];
      const flush = (at: number, drop: () => Promise<number>) =>
        flushes.push(
          (async () => {
            const deleted = await drop();
            return { at, deleted, issuedInDb: await issuedQuantityOf(a.db, coupon.id) };
          })(),
        );
      const results = await storm(users.length, (i) => issue(on(i), users[i] as Actor, coupon.id), {
        ...(concurrency === undefined ? {} : { concurrency }),
        onSettled: (settled) => {
          if (settled === first) flush(first, () => dropGateKeys(clientA, coupon.id));
          if (settled === second) flush(second, () => flushRunPrefix(admin as Redis, redis));
        },
      });
      const flushed = await Promise.all(flushes);
      return { coupon, users, results, flushed };
    }

    it('1,000 users at once for 100 copies, the gate keys dropped after 300 answers and the run prefix after 600: exactly 100 issued, 900 COUPON_EXHAUSTED', async function () {
      const { coupon, users, results, flushed } = await stormWithFlushes(100, 1_000, 300, 600);

      expect(flushed.map((f) => f.at), 'both flushes ran').to.deep.equal([300, 600]);
      expect(flushed[0]?.deleted, 'the first flush found the gate state of the coupon').to.be.greaterThan(0);
      expect(await issuedQuantityOf(a.db, coupon.id), 'never more than the total').to.be.at.most(100);
      expect(tally(results.map(codeOf))).to.deep.equal({ OK: 100, COUPON_EXHAUSTED: 900 });
      const winners = users.filter((_, i) => results[i]?.status === 'fulfilled').map((u) => u.userId);
      await expectIssuedTo(a.db, coupon.id, winners, fulfilled(results));

      // The gate reloaded whatever it lost: latecomers are still turned away.
      const late = await insertUsers(a.db, 20);
      const lateResults = await storm(late.length, (i) => issue(on(i), late[i] as Actor, coupon.id));
      expect(tally(lateResults.map(codeOf))).to.deep.equal({ COUPON_EXHAUSTED: 20 });
      expect(await issuedQuantityOf(a.db, coupon.id)).to.equal(100);
    });

    it('1,000 users streaming (40 in flight) for 700 copies, flushed after 300 and 600 answers, mid-issue: exactly 700 issued, 300 COUPON_EXHAUSTED', async function () {
      const { coupon, users, results, flushed } = await stormWithFlushes(700, 1_000, 300, 600, 40);

      expect(flushed.map((f) => f.at), 'both flushes ran').to.deep.equal([300, 600]);
      for (const f of flushed) {
        expect(f.deleted, `the flush after ${f.at} answers found gate state`).to.be.greaterThan(0);
        expect(f.issuedInDb, `the flush after ${f.at} answers came while copies were still left`).to.be.below(700);
      }
      expect(await issuedQuantityOf(a.db, coupon.id), 'never more than the total').to.be.at.most(700);
      expect(tally(results.map(codeOf))).to.deep.equal({ OK: 700, COUPON_EXHAUSTED: 300 });
      const winners = users.filter((_, i) => results[i]?.status === 'fulfilled').map((u) => u.userId);
      await expectIssuedTo(a.db, coupon.id, winners, fulfilled(results));
    });

    it('one user, 60 attempts (6 in flight) with perUserLimit 3, the gate keys dropped after every 10 answers: exactly 3 issued, n = 1, 2, 3', async function () {
      const coupon = await createCoupon(a, shop.admin, { totalQuantity: 100, perUserLimit: 3 });
      const [user] = (await insertUsers(a.db, 1)) as [Actor];
      const drops: Promise<number>[] = [];

      const results = await storm(60, (i) => issue(on(i), user, coupon.id), {
        concurrency: 6,
        onSettled: (settled) => {
          if (settled % 10 === 0) drops.push(dropGateKeys(clientA, coupon.id));
        },
      });
      await Promise.all(drops);

      expect(tally(results.map(codeOf))).to.deep.equal({ OK: 3, COUPON_ALREADY_ISSUED: 57 });
      const rows = await userCouponsOf(a.db, coupon.id);
      expect(rows.map((r) => r.n).sort(byNumber)).to.deep.equal([1, 2, 3]);
      expect(rows.every((r) => r.userId === user.userId)).to.equal(true);
      expect(await issuedQuantityOf(a.db, coupon.id)).to.equal(3);
    });
  });

  describe('a user coupon on orders', function () {
    const orderOn = (app: App, buyer: Actor, product: Listed, userCouponId: number) =>
      resolve(app.container, TOKENS.placeOrder).execute(buyer, {
        items: [{ productId: product.productId, optionId: product.optionIds[0] as number, quantity: 1 }],
        userCouponId,
        shippingAddress: SHIPPING_ADDRESS,
      });

    it('the same user coupon on 5 orders at once (distinct products, two instances, x5): one order gets it, 4 COUPON_NOT_APPLICABLE with nothing reserved', async function () {
      const price = 5_000;
      const coupon = await createCoupon(pgA, shop.admin, { totalQuantity: null, discountValue: 1_000 });
      for (let round = 0; round < 5; round++) {
        const buyer = await shop.buyer();
        const copy = await issue(pgA, buyer, coupon.id);
        const products = await Promise.all(Array.from({ length: 5 }, () => shop.product(price, [5])));

        const results = await Promise.allSettled(products.map((p, i) => orderOn(i % 2 === 0 ? pgA : pgB, buyer, p, copy.id)));

        expect(tally(results.map(codeOf)), `round ${round}`).to.deep.equal({ OK: 1, COUPON_NOT_APPLICABLE: 4 });
        const winnerIndex = results.findIndex((r) => r.status === 'fulfilled');
        const winner = fulfilled(results)[0];
        expect(winner).to.deep.include({ userCouponId: copy.id, totalAmount: price, discountAmount: 1_000, finalAmount: price - 1_000 });
        const orders = await ordersWithCoupon(pgA.db, buyer.userId);
        expect(orders, 'exactly one order was created').to.deep.equal([
          { id: winner?.id, status: 'CREATED', userCouponId: copy.id, totalAmount: price, discountAmount: 1_000, finalAmount: price - 1_000 },
        ]);
        for (const [i, p] of products.entries()) {
          const expected = i === winnerIndex ? { total: 5, reserved: 1, sold: 0 } : { total: 5, reserved: 0, sold: 0 };
          expect(await stockOf(pgA.db, p.optionIds[0] as number), `stock of product ${i} (winner ${winnerIndex})`).to.deep.equal(expected);
        }
        expect(await userCoupon(pgA.db, copy.id)).to.deep.include({ status: 'ISSUED', orderId: winner?.id, usedAt: null });
      }
    });

    it('pay and cancel of an order with a coupon at once (x10): one takes the order first; the coupon ends ISSUED and unbound (cancel first) or REFUNDED and unbound (pay first, then the cancel refunds), usable again', async function () {
      const price = 4_100;
      const discount = 1_000;
      const coupon = await createCoupon(pgA, shop.admin, { totalQuantity: null, discountValue: discount });
      const product = await shop.product(price, Array(10).fill(3));
      const spare = await shop.product(price, [20]);
      const outcomes: string[] = [];
      for (const optionId of product.optionIds) {
        const [buyer] = (await shop.buyers(1, 10_000)) as [Actor];
        const copy = await issue(pgA, buyer, coupon.id);
        const order = await resolve(pgA.container, TOKENS.placeOrder).execute(buyer, {
          items: [{ productId: product.productId, optionId, quantity: 1 }],
          userCouponId: copy.id,
          shippingAddress: SHIPPING_ADDRESS,
        });
        expect(order).to.deep.include({ finalAmount: price - discount, userCouponId: copy.id });

        const [paid, cancelled] = await Promise.allSettled([
          resolve(pgA.container, TOKENS.payForOrder).execute(buyer, order.id),
          resolve(pgB.container, TOKENS.cancelOrder).execute(buyer, order.id, null),
        ]);

        expect(codeOf(cancelled), 'cancel always ends the order (refunding it when paid)').to.equal('OK');
        expect(await orderStatus(pgA.db, order.id)).to.equal('CANCELLED');
        expect(await stockOf(pgA.db, optionId)).to.deep.equal({ total: 3, reserved: 0, sold: 0 });
        expect(await balanceOf(pgA.db, buyer.userId)).to.equal(10_000);
        await expectBooksBalance(pgA.db, [buyer.userId]);
        const ledger = (await ledgerOf(pgA.db, [buyer.userId])).map((l) => [l.type, l.amount, l.orderId]);
        const events = (await eventsOf(pgA.db, [order.id])).map((e) => e.type);
        const held = await userCoupon(pgA.db, copy.id);
        if (codeOf(paid) === 'INVALID_STATE') {
          outcomes.push('cancel first');
          expect(held, 'cancel won: the coupon was never used').to.deep.include({ status: 'ISSUED', orderId: null, usedAt: null });
          expect(ledger).to.deep.equal([['CHARGE', 10_000, null]]);
          expect(await paymentsOf(pgA.db, [order.id])).to.deep.equal([]);
          expect(events).to.deep.equal(['OrderCreated', 'OrderCancelled']);
        } else {
          expect(codeOf(paid), 'pay either wins or finds the order cancelled').to.equal('OK');
          outcomes.push('pay first');
          expect(held, 'pay won (coupon USED), then the cancel refunded it').to.deep.include({ status: 'REFUNDED', orderId: null, usedAt: null });
          expect(ledger).to.deep.equal([
            ['CHARGE', 10_000, null],
            ['PAYMENT', -(price - discount), order.id],
            ['REFUND', price - discount, order.id],
          ]);
          expect((await paymentsOf(pgA.db, [order.id])).map((p) => p.status)).to.deep.equal(['REFUNDED']);
          expect(await refundsOf(pgA.db, [order.id])).to.deep.equal([{ orderId: order.id, amount: price - discount }]);
          expect(events).to.deep.equal(['OrderCreated', 'PaymentCompleted', 'RefundCompleted', 'OrderCancelled']);
        }
        // Either way the coupon is free again.
        const next = await resolve(pgB.container, TOKENS.placeOrder).execute(buyer, {
          items: [{ productId: spare.productId, optionId: spare.optionIds[0] as number, quantity: 1 }],
          userCouponId: copy.id,
          shippingAddress: SHIPPING_ADDRESS,
        });
        expect(next).to.deep.include({ userCouponId: copy.id, discountAmount: discount });
        expect(await userCoupon(pgA.db, copy.id)).to.deep.include({ orderId: next.id });
      }
      expect(outcomes).to.have.length(10);
    });
  });
});
