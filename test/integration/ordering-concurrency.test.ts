import { expect } from 'chai';
import sinon from 'sinon';
import type { Actor } from '../../src/domain/user/actor.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import {
  type App,
  attempt,
  balanceOf,
  codeOf,
  deferred,
  eventCounts,
  eventsOf,
  expectBooksBalance,
  expectSane,
  type Line,
  ledgerOf,
  ordersOf,
  orderStatus,
  pastClock,
  paymentsOf,
  refundsOf,
  Shop,
  startApp,
  stockOf,
  tally,
} from './ordering-support.js';

/**
 * Orders and payments on real PostgreSQL, with real parallel connections: whoever races whom,
 * stock and money come out exactly as a serial run would leave them.
 */
describe('ordering under concurrency (PostgreSQL)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let app: App | undefined;
  let shop: Shop;
  const extraApps: App[] = [];

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    app = await startApp(database);
    shop = await Shop.open(app);
  });

  after(async function () {
    await Promise.all([app, ...extraApps].map((a) => a?.close()));
  });

  const db = () => (app as App).db;

  it('40 buyers race for 10 units: 10 orders CONFIRMED, 30 refused INSUFFICIENT_STOCK, stock 0/0/10, money exact', async function () {
    const product = await shop.product(2_300, [10]);
    const [optionId] = product.optionIds as [number];
    const buyers = await shop.buyers(40, 10_000);

    const results = await Promise.allSettled(
      buyers.map(async (buyer) => {
        const placed = await attempt(shop.place(buyer, product, [[optionId, 1]]));
        if (placed.status === 'rejected') return { buyer, placed: codeOf(placed) };
        return { buyer, placed: 'OK', orderId: placed.value.id, payment: await shop.pay(buyer, placed.value.id) };
      }),
    );

    expect(results.filter((r) => r.status === 'rejected').map(codeOf), 'no payment of a placed order may fail').to.deep.equal([]);
    const journeys = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(tally(journeys.map((j) => j.placed))).to.deep.equal({ OK: 10, INSUFFICIENT_STOCK: 30 });
    const winners = journeys.filter((j) => j.placed === 'OK');
    for (const w of winners) expect(w.payment).to.deep.include({ settled: true }).and.nested.include({ 'payment.status': 'COMPLETED' });

    const buyerIds = buyers.map((b) => b.userId);
    const orders = await ordersOf(db(), buyerIds);
    expect(orders.map((o) => o.status)).to.deep.equal(Array(10).fill('CONFIRMED'));
    expect(orders.map((o) => o.id).sort()).to.deep.equal(winners.map((w) => w.orderId as number).sort());
    expect(await stockOf(db(), optionId)).to.deep.equal({ total: 0, reserved: 0, sold: 10 });

    const ledger = await ledgerOf(db(), buyerIds);
    const payments = ledger.filter((l) => l.type === 'PAYMENT');
    expect(payments).to.have.length(10);
    expect(payments.reduce((s, l) => s + l.amount, 0)).to.equal(-10 * 2_300);
    expect(payments.map((l) => l.orderId).sort()).to.deep.equal(orders.map((o) => o.id).sort());
    const winnerIds = new Set(winners.map((w) => w.buyer.userId));
    for (const buyer of buyers) expect(await balanceOf(db(), buyer.userId)).to.equal(winnerIds.has(buyer.userId) ? 10_000 - 2_300 : 10_000);
    await expectBooksBalance(db(), buyerIds);

    const orderIds = orders.map((o) => o.id);
    expect((await paymentsOf(db(), orderIds)).map((p) => p.status)).to.deep.equal(Array(10).fill('COMPLETED'));
    expect(await eventCounts(db(), orderIds, 'OrderCreated')).to.deep.equal(Array(10).fill(1));
    expect(await eventCounts(db(), orderIds, 'PaymentCompleted')).to.deep.equal(Array(10).fill(1));
  });

  it('one buyer with money for 5 orders pays 20 at once: 5 CONFIRMED, 15 INSUFFICIENT_BALANCE, balance 0, 15 FAILED payments', async function () {
    const price = 3_700;
    const product = await shop.product(price, [20]);
    const [optionId] = product.optionIds as [number];
    const [buyer] = (await shop.buyers(1, 5 * price)) as [Actor];
    const placed = await Promise.all(Array.from({ length: 20 }, () => shop.place(buyer, product, [[optionId, 1]])));
    expect(await stockOf(db(), optionId)).to.deep.equal({ total: 20, reserved: 20, sold: 0 });

    const results = await Promise.allSettled(placed.map((o) => shop.pay(buyer, o.id)));

    expect(tally(results.map(codeOf))).to.deep.equal({ OK: 5, INSUFFICIENT_BALANCE: 15 });
    const paidIds = placed.filter((_, i) => results[i]?.status === 'fulfilled').map((o) => o.id);
    const refusedIds = placed.filter((_, i) => results[i]?.status === 'rejected').map((o) => o.id);

    const wallet = await db()('wallets').where({ user_id: buyer.userId }).first('balance', 'version');
    expect({ balance: Number(wallet.balance), version: Number(wallet.version) }).to.deep.equal({ balance: 0, version: 6 });
    const ledger = await ledgerOf(db(), [buyer.userId]);
    expect(ledger.map((l) => l.type)).to.deep.equal(['CHARGE', 'PAYMENT', 'PAYMENT', 'PAYMENT', 'PAYMENT', 'PAYMENT']);
    // Each debit started from the one before: the balance went 5p, 4p, ... 0 and never below.
    expect(ledger.map((l) => l.balanceAfter)).to.deep.equal([5, 4, 3, 2, 1, 0].map((n) => n * price));
    expect(ledger.filter((l) => l.type === 'PAYMENT').map((l) => l.orderId).sort()).to.deep.equal([...paidIds].sort());
    await expectBooksBalance(db(), [buyer.userId]);

    const orders = await ordersOf(db(), [buyer.userId]);
    expect(orders.filter((o) => o.status === 'CONFIRMED').map((o) => o.id).sort()).to.deep.equal([...paidIds].sort());
    // Refused for want of balance, the orders stay CREATED: the buyer may charge and pay again.
    expect(orders.filter((o) => o.status === 'CREATED').map((o) => o.id).sort()).to.deep.equal([...refusedIds].sort());
    expect(await stockOf(db(), optionId)).to.deep.equal({ total: 15, reserved: 15, sold: 5 });

    const payments = await paymentsOf(db(), placed.map((o) => o.id));
    expect(payments.filter((p) => p.status === 'COMPLETED').map((p) => p.orderId).sort()).to.deep.equal([...paidIds].sort());
    const failed = payments.filter((p) => p.status === 'FAILED');
    expect(failed.map((p) => p.orderId).sort()).to.deep.equal([...refusedIds].sort());
    for (const p of failed) expect(p.failureReason).to.match(/^INSUFFICIENT_BALANCE/);
    expect(payments).to.have.length(20);
    expect(await eventCounts(db(), placed.map((o) => o.id), 'PaymentCompleted')).to.deep.equal(
      placed.map((o) => (paidIds.includes(o.id) ? 1 : 0)),
    );

    // And the refused ones really are payable again once the money is there.
    await shop.charge(buyer.userId, price);
    const again = await shop.pay(buyer, refusedIds[0] as number);
    expect(again.payment.status).to.equal('COMPLETED');
    expect(await balanceOf(db(), buyer.userId)).to.equal(0);
    await expectBooksBalance(db(), [buyer.userId]);
  });

  it('a payment the database refuses to write fails with that refusal, not with the statements sent behind it, and nothing moves', async function () {
    // The payment's insert is sent with the stock move, the sales row and the wallet's lock behind
    // it (openAndDebit): those then fail only because the transaction is aborted.
    const product = await shop.product(1_000, [5]);
    const [optionId] = product.optionIds as [number];
    const [buyer] = (await shop.buyers(1, 5_000)) as [Actor];
    const order = await shop.place(buyer, product, [[optionId, 1]]);
    await db().raw(`CREATE FUNCTION test_refuse_payment() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'payment of order % refused by the test', NEW.order_id USING ERRCODE = 'check_violation'; END $$`);
    await db().raw(`CREATE TRIGGER test_refuse_payment BEFORE INSERT ON payments FOR EACH ROW WHEN (NEW.order_id = ${Number(order.id)}) EXECUTE FUNCTION test_refuse_payment()`);
    let result: PromiseSettledResult<unknown>;
    try {
      result = await attempt(shop.pay(buyer, order.id));
    } finally {
      await db().raw('DROP TRIGGER test_refuse_payment ON payments');
      await db().raw('DROP FUNCTION test_refuse_payment()');
    }
    expect(result.status).to.equal('rejected');
    expect(String((result as PromiseRejectedResult).reason)).to.match(/refused by the test/);
    expect(await stockOf(db(), optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
    expect(await balanceOf(db(), buyer.userId)).to.equal(5_000);
    expect(await orderStatus(db(), order.id)).to.equal('CREATED');
    await expectBooksBalance(db(), [buyer.userId]);
    // Written once the trigger is gone, it pays as any other.
    expect((await shop.pay(buyer, order.id)).payment.status).to.equal('COMPLETED');
  });

  it('pay and cancel of one order at once (x10): cancel first → CANCELLED, pay INVALID_STATE; pay first → cancel refunds it; never both half-way', async function () {
    const price = 4_100;
    const product = await shop.product(price, Array(10).fill(3));
    const outcomes: string[] = [];
    for (const optionId of product.optionIds) {
      const [buyer] = (await shop.buyers(1, 10_000)) as [Actor];
      const order = await shop.place(buyer, product, [[optionId, 1]]);

      const [paid, cancelled] = await Promise.allSettled([shop.pay(buyer, order.id), shop.cancel(buyer, order.id)]);

      const ledger = await ledgerOf(db(), [buyer.userId]);
      const events = (await eventsOf(db(), [order.id])).map((e) => e.type);
      expect(codeOf(cancelled), 'cancel always ends the order').to.equal('OK');
      expect(await orderStatus(db(), order.id)).to.equal('CANCELLED');
      // Either way the stock is back where it started and the buyer has their money.
      expect(await stockOf(db(), optionId)).to.deep.equal({ total: 3, reserved: 0, sold: 0 });
      expect(await balanceOf(db(), buyer.userId)).to.equal(10_000);
      await expectBooksBalance(db(), [buyer.userId]);
      if (codeOf(paid) === 'INVALID_STATE') {
        // Cancel took the order first: nothing was ever debited, no payment was recorded.
        outcomes.push('cancel won');
        expect(ledger.map((l) => l.type)).to.deep.equal(['CHARGE']);
        expect(await paymentsOf(db(), [order.id])).to.deep.equal([]);
        expect(await refundsOf(db(), [order.id])).to.deep.equal([]);
        expect(events).to.deep.equal(['OrderCreated', 'OrderCancelled']);
      } else {
        // Pay took it first; the cancel that followed refunded the paid order (API.md: cancel refunds first if it was paid).
        expect(codeOf(paid)).to.equal('OK');
        outcomes.push('pay won, then refunded');
        expect(ledger.map((l) => [l.type, l.amount, l.orderId])).to.deep.equal([
          ['CHARGE', 10_000, null],
          ['PAYMENT', -price, order.id],
          ['REFUND', price, order.id],
        ]);
        expect((await paymentsOf(db(), [order.id])).map((p) => p.status)).to.deep.equal(['REFUNDED']);
        expect(await refundsOf(db(), [order.id])).to.deep.equal([{ orderId: order.id, amount: price }]);
        expect(events).to.deep.equal(['OrderCreated', 'PaymentCompleted', 'RefundCompleted', 'OrderCancelled']);
      }
    }
    expect(outcomes).to.have.length(10);
  });

  it('two payments of one order at once (x10): exactly one debits, the other is INVALID_STATE', async function () {
    const price = 1_900;
    const product = await shop.product(price, Array(10).fill(2));
    for (const optionId of product.optionIds) {
      const [buyer] = (await shop.buyers(1, 10_000)) as [Actor];
      const order = await shop.place(buyer, product, [[optionId, 1]]);

      const results = await Promise.allSettled([shop.pay(buyer, order.id), shop.pay(buyer, order.id)]);

      expect(results.map(codeOf).sort()).to.deep.equal(['INVALID_STATE', 'OK']);
      expect(await orderStatus(db(), order.id)).to.equal('CONFIRMED');
      expect((await ledgerOf(db(), [buyer.userId])).map((l) => [l.type, l.amount])).to.deep.equal([
        ['CHARGE', 10_000],
        ['PAYMENT', -price],
      ]);
      expect((await paymentsOf(db(), [order.id])).map((p) => p.status)).to.deep.equal(['COMPLETED']);
      expect(await stockOf(db(), optionId)).to.deep.equal({ total: 1, reserved: 0, sold: 1 });
      expect(await eventCounts(db(), [order.id], 'PaymentCompleted')).to.deep.equal([1]);
      await expectBooksBalance(db(), [buyer.userId]);
    }
  });

  it('refund and cancel of one paid order at once (x10): refunded exactly once, the other is INVALID_STATE', async function () {
    const price = 2_500;
    const product = await shop.product(price, Array(10).fill(2));
    for (const optionId of product.optionIds) {
      const [buyer] = (await shop.buyers(1, 10_000)) as [Actor];
      const order = await shop.place(buyer, product, [[optionId, 1]]);
      await shop.pay(buyer, order.id);

      const results = await Promise.allSettled([shop.refund(buyer, order.id), shop.cancel(buyer, order.id)]);

      expect(results.map(codeOf).sort()).to.deep.equal(['INVALID_STATE', 'OK']);
      expect(await orderStatus(db(), order.id)).to.equal('CANCELLED');
      expect((await ledgerOf(db(), [buyer.userId])).map((l) => [l.type, l.amount])).to.deep.equal([
        ['CHARGE', 10_000],
        ['PAYMENT', -price],
        ['REFUND', price],
      ]);
      expect(await refundsOf(db(), [order.id])).to.deep.equal([{ orderId: order.id, amount: price }]);
      expect(await stockOf(db(), optionId)).to.deep.equal({ total: 2, reserved: 0, sold: 0 });
      expect(await eventCounts(db(), [order.id], 'RefundCompleted')).to.deep.equal([1]);
      expect(await eventCounts(db(), [order.id], 'OrderCancelled')).to.deep.equal([1]);
      await expectBooksBalance(db(), [buyer.userId]);
    }
  });

  it('two sweepers at once: every expired order cancelled exactly once, stock released once, counts add up', async function () {
    const clock = pastClock();
    const ttl = 30;
    const first = await startApp(database, { clock });
    const second = await startApp(database, { clock });
    extraApps.push(first, second);
    const shopA = await Shop.open(first);
    const shopB = shopA.on(second);
    const product = await shopA.product(1_000, [250, 250]);
    const [a, b] = product.optionIds as [number, number];
    const buyers = await shopA.buyers(6, 100_000);
    const lines = (i: number): Line[] => (i % 3 === 0 ? [[a, 1]] : i % 3 === 1 ? [[b, 2]] : [[b, 1], [a, 2]]);
    const placed = await Promise.all(Array.from({ length: 180 }, (_, i) => shopA.place(buyers[i % 6] as Actor, product, lines(i))));
    // Some are paid and some cancelled before they expire: the sweeper must leave those alone.
    const paid = placed.filter((_, i) => i % 6 === 4);
    const cancelled = placed.filter((_, i) => i % 6 === 5);
    for (const o of paid) await shopA.pay(buyers[placed.indexOf(o) % 6] as Actor, o.id);
    for (const o of cancelled) await shopA.cancel(buyers[placed.indexOf(o) % 6] as Actor, o.id);
    const unpaid = placed.filter((o) => !paid.includes(o) && !cancelled.includes(o));
    expect(await shopA.sweep(), 'nothing has expired yet').to.equal(0);

    clock.advance((ttl + 1) * 1000);
    // Each instance sweeps in small batches until it finds nothing more, both at once.
    const sweepAll = async (s: Shop) => {
      let total = 0;
      for (let n = await s.sweep(4); n > 0; n = await s.sweep(4)) total += n;
      return total;
    };
    const runs = await Promise.allSettled([sweepAll(shopA), sweepAll(shopB)]);

    expect(runs.map(codeOf), 'both sweepers finish without an error').to.deep.equal(['OK', 'OK']);
    const [byA, byB] = runs.map((r) => (r.status === 'fulfilled' ? r.value : 0)) as [number, number];
    expect(byA + byB).to.equal(unpaid.length);
    expect(await shopB.sweep()).to.equal(0);
    const orders = await ordersOf(first.db, buyers.map((u) => u.userId));
    const byId = new Map(orders.map((o) => [o.id, o]));
    for (const o of unpaid) expect(byId.get(o.id)).to.deep.include({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
    for (const o of paid) expect(byId.get(o.id)?.status).to.equal('CONFIRMED');
    for (const o of cancelled) expect(byId.get(o.id)).to.deep.include({ status: 'CANCELLED', cancelReason: 'CANCELLED_BY_USER' });
    expect(await eventCounts(first.db, [...unpaid, ...cancelled].map((o) => o.id), 'OrderCancelled')).to.deep.equal(
      Array(unpaid.length + cancelled.length).fill(1),
    );
    const soldOf = (optionId: number) =>
      paid.reduce((s, o) => s + o.items.filter((i) => i.optionId === optionId).reduce((q, i) => q + i.quantity, 0), 0);
    expect(await stockOf(first.db, a)).to.deep.equal({ total: 250 - soldOf(a), reserved: 0, sold: soldOf(a) });
    expect(await stockOf(first.db, b)).to.deep.equal({ total: 250 - soldOf(b), reserved: 0, sold: soldOf(b) });
    await expectBooksBalance(first.db, buyers.map((u) => u.userId));
  });

  it('two sweepers whose batches hold the same two options in opposite orders: both finish, no deadlock', async function () {
    // Four expired orders, oldest first: [b], [a], [a], [b]. Sweeper A takes the first two, B
    // (skipping A's locked rows) the last two. The stubs only pause: each sweeper, after its
    // first release, waits (at most 1 s) for the other's. Taking every stock row of a batch in
    // ascending option id order, the waits time out and both finish; releasing order by order,
    // A holds b and wants a while B holds a and wants b.
    const clock = pastClock();
    const first = await startApp(database, { clock });
    const second = await startApp(database, { clock });
    extraApps.push(first, second);
    const shopA = await Shop.open(first);
    const shopB = shopA.on(second);
    const product = await shopA.product(1_000, [5, 5]);
    const [a, b] = product.optionIds as [number, number];
    const [buyer] = (await shopA.buyers(1, 0)) as [Actor];
    const placed = [];
    for (const optionId of [b, a, a, b]) {
      placed.push(await shopA.place(buyer, product, [[optionId, 1]]));
      clock.advance(10);
    }
    clock.advance(31_000);

    const aHoldsFirst = deferred<void>();
    const bHoldsFirst = deferred<void>();
    const pauseAfterFirstRelease = (app: App, mine: { resolve: () => void }, theirs: Promise<void>) => {
      const stock = resolve(app.container, TOKENS.stock);
      const release = stock.release.bind(stock);
      let calls = 0;
      sinon.stub(stock, 'release').callsFake(async (lines) => {
        await release(lines);
        calls += 1;
        if (calls === 1) {
          mine.resolve();
          await Promise.race([theirs, new Promise((r) => setTimeout(r, 1_000))]);
        }
      });
    };
    pauseAfterFirstRelease(first, aHoldsFirst, bHoldsFirst.promise);
    pauseAfterFirstRelease(second, bHoldsFirst, aHoldsFirst.promise);

    const sweepingA = attempt(shopA.sweep(2));
    await aHoldsFirst.promise;
    const sweepingB = attempt(shopB.sweep(2));
    const runs = await Promise.all([sweepingA, sweepingB]);

    expect(runs.map(codeOf), 'both sweepers finish without an error').to.deep.equal(['OK', 'OK']);
    expect(runs.map((r) => (r.status === 'fulfilled' ? r.value : null))).to.deep.equal([2, 2]);
    expect((await ordersOf(first.db, [buyer.userId])).map((o) => [o.status, o.cancelReason])).to.deep.equal(Array(4).fill(['CANCELLED', 'EXPIRED']));
    expect(await eventCounts(first.db, placed.map((o) => o.id), 'OrderCancelled')).to.deep.equal([1, 1, 1, 1]);
    expect(await stockOf(first.db, a)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    expect(await stockOf(first.db, b)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
  });

  it('paying, cancelling and refunding orders that share two options, for seconds: only business refusals, no deadlock, books balance', async function () {
    const price = 1_000;
    const initial = 3_000;
    const product = await shop.product(price, [initial, initial]);
    const [a, b] = product.optionIds as [number, number];
    const buyers = await shop.buyers(6, 200_000);
    const charged = 200_000;
    const ordersByBuyer = new Map<number, number[]>(buyers.map((u) => [u.userId, []]));
    let seed = 20_260_115;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)] as T;
    const outcomes: { op: string; code: string }[] = [];
    const record = async (op: string, work: Promise<unknown>) => {
      const result = await attempt(work);
      outcomes.push({ op, code: codeOf(result) });
      return result.status === 'fulfilled';
    };
    const deadline = Date.now() + 4_000;

    // Three workers per buyer: the same wallet is paid from and refunded to at once, the same
    // two option rows are reserved, confirmed, released and given back, lines named in either order.
    const worker = async (buyer: Actor) => {
      const mine = ordersByBuyer.get(buyer.userId) as number[];
      while (Date.now() < deadline) {
        const qa = 1 + Math.floor(random() * 2);
        const qb = 1 + Math.floor(random() * 2);
        const lines: Line[] = random() < 0.5 ? [[a, qa], [b, qb]] : [[b, qb], [a, qa]];
        const placed = await attempt(shop.place(buyer, product, lines));
        outcomes.push({ op: 'place', code: codeOf(placed) });
        if (placed.status === 'rejected') continue;
        const id = placed.value.id;
        mine.push(id);
        const other = pick(mine);
        switch (pick(['pay', 'cancel', 'payRefund', 'payCancel', 'payAndCancel', 'other'])) {
          case 'pay':
            await record('pay', shop.pay(buyer, id));
            break;
          case 'cancel':
            await record('cancel', shop.cancel(buyer, id));
            break;
          case 'payRefund':
            if (await record('pay', shop.pay(buyer, id))) await record('refund', shop.refund(buyer, id));
            break;
          case 'payCancel':
            if (await record('pay', shop.pay(buyer, id))) await record('cancel', shop.cancel(buyer, id));
            break;
          case 'payAndCancel':
            await Promise.all([record('pay', shop.pay(buyer, id)), record('cancel', shop.cancel(buyer, id))]);
            break;
          default:
            // Someone else's work on another of this buyer's orders: pay it, refund it or cancel it.
            await Promise.all([record('pay', shop.pay(buyer, id)), record(...actOn(buyer, other))]);
        }
      }
    };
    const actOn = (buyer: Actor, orderId: number): [string, Promise<unknown>] => {
      const op = pick(['refund', 'cancel', 'pay'] as const);
      return [op, op === 'refund' ? shop.refund(buyer, orderId) : op === 'cancel' ? shop.cancel(buyer, orderId) : shop.pay(buyer, orderId)];
    };

    await Promise.all(buyers.flatMap((buyer) => [worker(buyer), worker(buyer), worker(buyer)]));

    // The books, from the rows: every unit and every won is accounted for.
    const buyerIds = buyers.map((u) => u.userId);
    const orders = await ordersOf(db(), buyerIds);
    const orderIds = orders.map((o) => o.id);
    const items = await db()('order_items').whereIn('order_id', orderIds).select('order_id', 'option_id', 'quantity');
    const statusOf = new Map(orders.map((o) => [o.id, o.status]));
    const refunded = new Set((await refundsOf(db(), orderIds)).map((r) => r.orderId));
    const units = (optionId: number, statuses: string[]) =>
      items
        .filter((i) => Number(i.option_id) === optionId && statuses.includes(statusOf.get(Number(i.order_id)) as string))
        .reduce((s, i) => s + Number(i.quantity), 0);
    for (const optionId of [a, b]) {
      const levels = await stockOf(db(), optionId);
      expectSane(levels);
      expect(levels.total + levels.sold, 'no unit created or lost').to.equal(initial);
      expect(levels.reserved, 'reserved = units of unpaid orders').to.equal(units(optionId, ['CREATED', 'PENDING']));
      expect(levels.sold, 'sold = units of paid orders').to.equal(units(optionId, ['CONFIRMED']));
    }
    await expectBooksBalance(db(), buyerIds);
    const ledger = await ledgerOf(db(), buyerIds);
    for (const buyer of buyerIds) {
      const confirmed = orders.filter((o) => o.userId === buyer && o.status === 'CONFIRMED').reduce((s, o) => s + o.finalAmount, 0);
      expect(await balanceOf(db(), buyer), `balance of ${buyer}`).to.equal(charged - confirmed);
    }
    const paidOnce = orders.filter((o) => o.status === 'CONFIRMED' || refunded.has(o.id)).map((o) => o.id).sort();
    expect(ledger.filter((l) => l.type === 'PAYMENT').map((l) => l.orderId).sort(), 'one debit per paid order').to.deep.equal(paidOnce);
    expect(ledger.filter((l) => l.type === 'REFUND').map((l) => l.orderId).sort(), 'one refund per refunded order').to.deep.equal([...refunded].sort());
    for (const id of refunded) expect(statusOf.get(id)).to.equal('CANCELLED');
    const events = await eventsOf(db(), orderIds);
    const count = (type: string) => tally(events.filter((e) => e.type === type).map((e) => String(e.orderId)));
    expect(Object.values(count('PaymentCompleted')).every((n) => n === 1)).to.equal(true);
    expect(Object.keys(count('PaymentCompleted')).length).to.equal(paidOnce.length);
    expect(Object.keys(count('RefundCompleted')).length).to.equal(refunded.size);
    expect(Object.keys(count('OrderCancelled')).length).to.equal(orders.filter((o) => o.status === 'CANCELLED').length);
    expect(Object.values(count('OrderCancelled')).every((n) => n === 1)).to.equal(true);
    // Last, so that a failure here still shows the books balanced: no business error but the expected ones.
    const expected = new Set(['OK', 'INVALID_STATE', 'INSUFFICIENT_STOCK', 'INSUFFICIENT_BALANCE']);
    const unexpected = outcomes.filter((o) => !expected.has(o.code));
    expect(unexpected, `unexpected errors: ${JSON.stringify(tally(unexpected.map((o) => `${o.op}:${o.code}`)))}`).to.deep.equal([]);
    expect(outcomes.filter((o) => o.op !== 'place' && o.code === 'OK').length, 'the storm did real work').to.be.greaterThan(30);

  });

  it('pay of one order and refund of another, same buyer and options, interleaved at the worst moment: both succeed, no deadlock', async function () {
    // A separate instance, so the stubs below touch nothing else. The stubs only pause: the
    // refund, once it holds the stock rows, waits (at most 1 s) until the payment holds the
    // wallet. With every transaction taking its locks in one order (stock, then wallet) the
    // payment cannot hold the wallet while the refund holds the stock, the wait times out and
    // both go through; with two orders of locking, this is the deadlock.
    const own = await startApp(database);
    extraApps.push(own);
    const s = shop.on(own);
    const ctx = resolve(own.container, TOKENS.ordering);
    const price = 1_000;
    const product = await s.product(price, [10, 10]);
    const [a, b] = product.optionIds as [number, number];
    const [buyer] = (await s.buyers(1, 20_000)) as [Actor];
    const toRefund = await s.place(buyer, product, [[a, 1], [b, 1]]);
    await s.pay(buyer, toRefund.id);
    const toPay = await s.place(buyer, product, [[b, 2], [a, 2]]);

    const refundHoldsStock = deferred<void>();
    const payHoldsWallet = deferred<void>();
    let stockHeld = false;
    const returnSold = ctx.stock.returnSold.bind(ctx.stock);
    sinon.stub(ctx.stock, 'returnSold').callsFake(async (lines) => {
      await returnSold(lines);
      stockHeld = true;
      refundHoldsStock.resolve();
      await Promise.race([payHoldsWallet.promise, new Promise((r) => setTimeout(r, 1_000))]);
    });
    const getForUpdate = ctx.wallets.getForUpdate.bind(ctx.wallets);
    sinon.stub(ctx.wallets, 'getForUpdate').callsFake(async (userId) => {
      const wallet = await getForUpdate(userId);
      if (stockHeld) payHoldsWallet.resolve();
      return wallet;
    });

    const refunding = attempt(s.refund(buyer, toRefund.id));
    await refundHoldsStock.promise;
    const paying = attempt(s.pay(buyer, toPay.id));
    const [refunded, paid] = await Promise.all([refunding, paying]);

    expect({ refund: codeOf(refunded), pay: codeOf(paid) }).to.deep.equal({ refund: 'OK', pay: 'OK' });
    expect(await orderStatus(own.db, toRefund.id)).to.equal('CANCELLED');
    expect(await orderStatus(own.db, toPay.id)).to.equal('CONFIRMED');
    expect((await ledgerOf(own.db, [buyer.userId])).map((l) => [l.type, l.amount, l.orderId])).to.deep.equal([
      ['CHARGE', 20_000, null],
      ['PAYMENT', -2 * price, toRefund.id],
      ['REFUND', 2 * price, toRefund.id],
      ['PAYMENT', -4 * price, toPay.id],
    ]);
    expect(await stockOf(own.db, a)).to.deep.equal({ total: 8, reserved: 0, sold: 2 });
    expect(await stockOf(own.db, b)).to.deep.equal({ total: 8, reserved: 0, sold: 2 });
    await expectBooksBalance(own.db, [buyer.userId]);
  });
});
