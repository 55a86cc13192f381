import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { Coupon, type NewCoupon } from '../../src/domain/coupon/coupon.js';
import { CouponCodeTaken } from '../../src/domain/coupon/errors.js';
import type { CouponRepository, UserCouponRepository } from '../../src/domain/coupon/repositories.js';
import { type NewUserCoupon, UserCoupon, type UserCouponSnapshot } from '../../src/domain/coupon/user-coupon.js';
import { DEFAULT_ORDER_POLICY, Order, type PricedLine } from '../../src/domain/ordering/order.js';
import type { OrderRepository } from '../../src/domain/ordering/repositories.js';
import { InvalidState, NotFound } from '../../src/domain/shared/errors.js';
import { rejectionOf, UNKNOWN_ID, uniqueToken } from './contract-support.js';
import { CONTRACT_ADDRESS } from './ordering-repositories.contract.js';

/** Rows that coupons and the copies users hold refer to; on PostgreSQL they must exist (foreign keys). */
export interface CouponFixtures {
  /** The SELLER who creates this test's coupons. */
  sellerId: number;
  /** Three buyers nobody else uses: their copies are only this test's. */
  buyers: [number, number, number];
  /** A line a new order can carry (a real product option on PostgreSQL). */
  orderLine: PricedLine;
}

export interface CouponRepositoriesSubject {
  coupons: CouponRepository;
  userCoupons: UserCouponRepository;
  /** The order repository of the same adapter family: binding a copy needs a real order. */
  orders: OrderRepository;
  transactions: TransactionManager;
  /** Fresh users and an order line (a new set on every call). */
  fixtures(): Promise<CouponFixtures>;
}

const T0 = new Date('2026-01-15T09:00:00.000Z');
/** The n-th second after `from`, with milliseconds that must survive the store. */
const at = (n: number, from = T0) => new Date(from.getTime() + n * 1_000 + 7);
const DAY = 86_400;

/*
 * expireEnded works on every coupon and every copy of the store, which on PostgreSQL the whole run
 * shares. Each test that counts what it expired gets an era of its own, a year further back each
 * time: a coupon or copy of an earlier test (its window in a later era, or in 2026) is never due
 * at a later test's `now`.
 */
let pastEras = 0;
const pastEra = () => new Date(Date.UTC(1800 - ++pastEras, 0, 1));

/** What every pair of coupon repositories must do, whatever it stores coupons in. */
export function couponRepositoriesContract(makeSubject: () => Promise<CouponRepositoriesSubject>): void {
  let subject: CouponRepositoriesSubject;
  let coupons: CouponRepository;
  let userCoupons: UserCouponRepository;
  let transactions: TransactionManager;
  let fx: CouponFixtures;
  let buyer: number;
  let otherBuyer: number;
  let thirdBuyer: number;
  let madeOrders: number[];

  beforeEach(async function () {
    subject = await makeSubject();
    ({ coupons, userCoupons, transactions } = subject);
    fx = await subject.fixtures();
    [buyer, otherBuyer, thirdBuyer] = fx.buyers;
    madeOrders = [];
  });

  /* Orders left unpaid would look due to the sweepers of later suites sharing the database. */
  afterEach(async function () {
    for (const id of madeOrders) {
      await transactions.run(async () => {
        const order = await subject.orders.getForUpdate(id);
        if (order?.status !== 'CREATED') return;
        order.cancel('contract test over', new Date(), null);
        await subject.orders.save(order);
      });
    }
  });

  /** A code no other test uses, in mixed case (so upper and lower case are both other spellings). */
  const freshCode = () => `Cpn_${uniqueToken('x').slice(2)}`;

  /** A 10% coupon (capped at 5,000 won, from 10,000 won), 100 copies, one a user, running from T0 for a day. */
  function newCoupon(overrides: Partial<NewCoupon> = {}): NewCoupon {
    return {
      code: freshCode(),
      name: 'Contract coupon',
      type: 'PERCENTAGE',
      discountValue: 10,
      maxDiscountAmount: 5_000,
      minOrderAmount: 10_000,
      totalQuantity: 100,
      issuedQuantity: 0,
      perUserLimit: 1,
      validFrom: at(0),
      validUntil: at(DAY),
      status: 'ACTIVE',
      sellerId: fx.sellerId,
      createdBy: fx.sellerId,
      createdAt: at(-60),
      updatedAt: at(-60),
      ...overrides,
    };
  }

  const addCoupon = (overrides: Partial<NewCoupon> = {}) => coupons.add(newCoupon(overrides));
  const stored = async (id: number) => (await coupons.get(id))?.toSnapshot();
  const issuedOf = async (id: number) => (await coupons.get(id))?.toSnapshot().issuedQuantity;

  /** Loads the coupon, changes its status at `when` and saves it. */
  async function setStatus(id: number, to: 'SUSPENDED' | 'ACTIVE' | 'CANCELLED', when: Date): Promise<Coupon> {
    const coupon = (await coupons.get(id)) as Coupon;
    coupon.changeStatus(to, when);
    return coupons.save(coupon);
  }

  describe('coupons', function () {
    it('add stores every field and hands out a new id; get returns it as stored', async function () {
      const fields = newCoupon();

      const added = await coupons.add(fields);

      expect(added).to.be.instanceOf(Coupon);
      expect(Number.isSafeInteger(added.id) && added.id > 0).to.equal(true);
      expect(added.toSnapshot()).to.deep.equal({ ...fields, id: added.id });
      const got = await coupons.get(added.id);
      expect(got).to.be.instanceOf(Coupon);
      expect(got?.toSnapshot()).to.deep.equal({ ...fields, id: added.id });
    });

    it('keeps the nulls of an unlimited, uncapped coupon and every other value as given', async function () {
      const fields = newCoupon({
        type: 'FIXED',
        discountValue: 1_000_000_000,
        maxDiscountAmount: null,
        minOrderAmount: 0,
        totalQuantity: null,
        issuedQuantity: 0,
        perUserLimit: 100,
        validFrom: at(-DAY),
        validUntil: at(365 * DAY),
      });

      const added = await coupons.add(fields);

      expect((await coupons.get(added.id))?.toSnapshot()).to.deep.equal({ ...fields, id: added.id });
      expect(added.remainingQuantity).to.equal(null);
      expect(added.isLimited).to.equal(false);
    });

    it('keeps the scope: a seller\'s coupon its sellerId, a shop-wide one null; a scope that is not the creator\'s is refused, nothing stored', async function () {
      const scoped = await addCoupon({ sellerId: fx.sellerId });
      const shopWide = await addCoupon({ sellerId: null });

      expect((await stored(scoped.id))?.sellerId).to.equal(fx.sellerId);
      expect(scoped.sellerId).to.equal(fx.sellerId);
      expect((await stored(shopWide.id))?.sellerId).to.equal(null);

      const fields = newCoupon({ sellerId: fx.buyers[0] });
      await rejectionOf(coupons.add(fields));
      const fixed = await coupons.add({ ...fields, sellerId: fx.sellerId });
      expect(fixed.sellerId).to.equal(fx.sellerId);
    });

    it('get of an unknown coupon is null', async function () {
      expect(await coupons.get(UNKNOWN_ID)).to.equal(null);
    });

    it('every add gets a new, larger id', async function () {
      const ids: number[] = [];
      for (let n = 0; n < 3; n += 1) ids.push((await addCoupon()).id);

      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).to.equal(3);
    });

    it('getMany returns the coupons found, keyed by id; unknown ids are left out; no ids, an empty map', async function () {
      const one = await addCoupon();
      const two = await addCoupon({ totalQuantity: null });
      await addCoupon();

      const found = await coupons.getMany([two.id, UNKNOWN_ID, one.id]);

      expect([...found.keys()].sort((a, b) => a - b)).to.deep.equal([one.id, two.id]);
      expect(found.get(one.id)).to.be.instanceOf(Coupon);
      expect(found.get(one.id)?.toSnapshot()).to.deep.equal(one.toSnapshot());
      expect(found.get(two.id)?.toSnapshot()).to.deep.equal(two.toSnapshot());
      expect((await coupons.getMany([])).size).to.equal(0);
      expect((await coupons.getMany([UNKNOWN_ID])).size).to.equal(0);
    });

    it('refuses a code already taken, in any case (CouponCodeTaken), and keeps the first coupon', async function () {
      const first = await addCoupon();
      const { code } = first.toSnapshot();

      for (const spelling of [code, code.toUpperCase(), code.toLowerCase()]) {
        const error = await rejectionOf(coupons.add(newCoupon({ code: spelling, name: 'Second' })));
        expect(error, spelling).to.be.instanceOf(CouponCodeTaken);
        expect(error.code).to.equal('COUPON_CODE_TAKEN');
      }

      expect(await stored(first.id)).to.deep.equal(first.toSnapshot());
      // The refusals left the store usable: the next coupon gets the next id.
      expect((await addCoupon()).id).to.be.greaterThan(first.id);
    });

    it('refuses a coupon with more issued than its total (never over-issued), and stores nothing', async function () {
      const fields = newCoupon({ totalQuantity: 5, issuedQuantity: 6 });

      await rejectionOf(coupons.add(fields));

      // Nothing was stored under the code: it is still free.
      const fixed = await coupons.add({ ...fields, issuedQuantity: 5 });
      expect(fixed.toSnapshot()).to.deep.equal({ ...fields, issuedQuantity: 5, id: fixed.id });
    });

    it('an add inside a transaction that then throws leaves no coupon, and its code free', async function () {
      const fields = newCoupon();
      let id = 0;

      const error = await rejectionOf(
        transactions.run(async () => {
          id = (await coupons.add(fields)).id;
          throw new Error('boom after the add');
        }),
      );

      expect(error.message).to.equal('boom after the add');
      expect(id).to.be.greaterThan(0);
      expect(await coupons.get(id)).to.equal(null);
      const again = await coupons.add(fields);
      expect(again.toSnapshot()).to.deep.equal({ ...fields, id: again.id });
    });

    describe('save', function () {
      it('writes the status and updatedAt, and returns the coupon as stored', async function () {
        const added = await addCoupon();

        const suspended = await setStatus(added.id, 'SUSPENDED', at(10));

        const expected = { ...added.toSnapshot(), status: 'SUSPENDED', updatedAt: at(10) };
        expect(suspended).to.be.instanceOf(Coupon);
        expect(suspended.toSnapshot()).to.deep.equal(expected);
        expect(await stored(added.id)).to.deep.equal(expected);

        const resumed = await setStatus(added.id, 'ACTIVE', at(20));
        expect(resumed.toSnapshot()).to.deep.equal({ ...expected, status: 'ACTIVE', updatedAt: at(20) });
        expect(await stored(added.id)).to.deep.equal({ ...expected, status: 'ACTIVE', updatedAt: at(20) });
      });

      it('writes nothing but the status: a copy loaded before issues does not take back their count', async function () {
        const added = await addCoupon({ totalQuantity: 5 });
        const loadedEarly = (await coupons.get(added.id)) as Coupon;
        expect(await coupons.countOneIssued(added.id, at(1))).to.equal(true);
        expect(await coupons.countOneIssued(added.id, at(2))).to.equal(true);

        loadedEarly.changeStatus('SUSPENDED', at(3));
        const saved = await coupons.save(loadedEarly);

        const expected = { ...added.toSnapshot(), issuedQuantity: 2, status: 'SUSPENDED', updatedAt: at(3) };
        expect(saved.toSnapshot()).to.deep.equal(expected);
        expect(await stored(added.id)).to.deep.equal(expected);
      });

      it('cancels a coupon; a copy loaded before the cancel can change it no more (INVALID_STATE)', async function () {
        const added = await addCoupon();
        const staleCopy = (await coupons.get(added.id)) as Coupon;

        const cancelled = await setStatus(added.id, 'CANCELLED', at(5));
        expect(cancelled.toSnapshot()).to.deep.equal({ ...added.toSnapshot(), status: 'CANCELLED', updatedAt: at(5) });

        for (const to of ['SUSPENDED', 'ACTIVE', 'CANCELLED'] as const) {
          const copy = Coupon.fromSnapshot(staleCopy.toSnapshot());
          copy.changeStatus(to, at(6));
          // ACTIVE on a running coupon changes nothing in the domain; the store still must not write it.
          const error = await rejectionOf(coupons.save(copy));
          expect(error, to).to.be.instanceOf(InvalidState);
          expect(error.code).to.equal('INVALID_STATE');
        }
        expect(await stored(added.id)).to.deep.equal({ ...added.toSnapshot(), status: 'CANCELLED', updatedAt: at(5) });
      });

      it('an EXPIRED coupon can change no more (INVALID_STATE), even from a copy loaded while it ran', async function () {
        const era = pastEra();
        const added = await addCoupon({ validFrom: at(0, era), validUntil: at(100, era), createdAt: at(-1, era), updatedAt: at(-1, era) });
        const loadedWhileRunning = (await coupons.get(added.id)) as Coupon;
        expect(await coupons.expireEnded(at(200, era))).to.equal(1);

        loadedWhileRunning.changeStatus('SUSPENDED', at(50, era));
        const error = await rejectionOf(coupons.save(loadedWhileRunning));

        expect(error).to.be.instanceOf(InvalidState);
        expect(error.code).to.equal('INVALID_STATE');
        expect(await stored(added.id)).to.deep.equal({ ...added.toSnapshot(), status: 'EXPIRED', updatedAt: at(200, era) });
      });

      it('refuses an unknown coupon (NOT_FOUND)', async function () {
        const added = await addCoupon();
        const ghost = Coupon.fromSnapshot({ ...added.toSnapshot(), id: UNKNOWN_ID });
        ghost.changeStatus('SUSPENDED', at(1));

        const error = await rejectionOf(coupons.save(ghost));

        expect(error).to.be.instanceOf(NotFound);
        expect(error.code).to.equal('NOT_FOUND');
        expect(await coupons.get(UNKNOWN_ID)).to.equal(null);
      });

      it('a save inside a transaction that then throws is undone', async function () {
        const added = await addCoupon();

        await rejectionOf(
          transactions.run(async () => {
            await setStatus(added.id, 'CANCELLED', at(1));
            throw new Error('boom after the save');
          }),
        );

        expect(await stored(added.id)).to.deep.equal(added.toSnapshot());
        // Not final after all: it can still be suspended.
        expect((await setStatus(added.id, 'SUSPENDED', at(2))).toSnapshot().status).to.equal('SUSPENDED');
      });
    });

    describe('findByCode', function () {
      it('finds the coupon by its code in any case, as stored; another code, a prefix or a longer one is null', async function () {
        const added = await addCoupon();
        const { code } = added.toSnapshot();

        for (const spelling of [code, code.toUpperCase(), code.toLowerCase()]) {
          const found = await coupons.findByCode(spelling);
          expect(found, spelling).to.be.instanceOf(Coupon);
          expect(found?.toSnapshot(), spelling).to.deep.equal(added.toSnapshot());
        }
        for (const other of [code.slice(0, -1), `${code}X`, `${code}%`, freshCode()]) {
          expect(await coupons.findByCode(other), other).to.equal(null);
        }
      });

      it('sees the counters and status as they are now, and nothing of an add rolled back', async function () {
        const added = await addCoupon({ totalQuantity: 3 });
        expect(await coupons.countOneIssued(added.id, at(1))).to.equal(true);
        await setStatus(added.id, 'SUSPENDED', at(2));

        expect((await coupons.findByCode(added.toSnapshot().code))?.toSnapshot()).to.include({ issuedQuantity: 1, status: 'SUSPENDED' });

        const fields = newCoupon();
        await rejectionOf(
          transactions.run(async () => {
            await coupons.add(fields);
            throw new Error('boom after the add');
          }),
        );
        expect(await coupons.findByCode(fields.code)).to.equal(null);
      });
    });

    describe('list', function () {
      const NOW = at(10);
      const ids = (page: { items: Coupon[] }) => page.items.map((c) => c.id);

      it('newest first (highest id first), paged: every page holds its share, the totals count every match', async function () {
        const added: number[] = [];
        for (let n = 0; n < 5; n += 1) added.push((await addCoupon()).id);
        const newestFirst = [...added].reverse();

        const pages = [];
        for (let page = 1; page <= 4; page += 1) pages.push(await coupons.list({ createdBy: fx.sellerId, page, size: 2, now: NOW }));

        expect(pages.map(ids)).to.deep.equal([newestFirst.slice(0, 2), newestFirst.slice(2, 4), newestFirst.slice(4), []]);
        for (const [i, page] of pages.entries()) expect(page).to.include({ page: i + 1, size: 2, totalItems: 5, totalPages: 3 });
        expect(pages[0]?.items[0]).to.be.instanceOf(Coupon);
        expect(pages[0]?.items[0]?.toSnapshot()).to.deep.equal((await coupons.get(newestFirst[0]!))?.toSnapshot());
      });

      it('without filters lists every coupon, the newest first', async function () {
        const first = await addCoupon();
        const second = await addCoupon({ sellerId: null });

        const page = await coupons.list({ page: 1, size: 2, now: NOW });

        expect(ids(page)).to.deep.equal([second.id, first.id]);
        expect(page.totalItems).to.be.at.least(2);
      });

      it('createdBy: the coupons the user created, scoped or shop-wide; sellerId: only those scoped to that seller', async function () {
        const scoped = await addCoupon();
        const shopWide = await addCoupon({ sellerId: null });
        const other = await subject.fixtures();
        const othersCoupon = await addCoupon({ sellerId: other.sellerId, createdBy: other.sellerId });

        expect(ids(await coupons.list({ createdBy: fx.sellerId, page: 1, size: 10, now: NOW }))).to.deep.equal([shopWide.id, scoped.id]);
        expect(ids(await coupons.list({ sellerId: fx.sellerId, page: 1, size: 10, now: NOW }))).to.deep.equal([scoped.id]);
        expect(ids(await coupons.list({ sellerId: other.sellerId, page: 1, size: 10, now: NOW }))).to.deep.equal([othersCoupon.id]);
        expect(ids(await coupons.list({ createdBy: fx.sellerId, sellerId: other.sellerId, page: 1, size: 10, now: NOW }))).to.deep.equal([]);
        const none = await coupons.list({ createdBy: fx.buyers[0], page: 1, size: 10, now: NOW });
        expect(none).to.deep.equal({ items: [], page: 1, size: 10, totalItems: 0, totalPages: 0 });
      });

      it('code: the one coupon of that code, in any case; with another creator, nothing', async function () {
        const wanted = await addCoupon();
        await addCoupon();
        const { code } = wanted.toSnapshot();

        for (const spelling of [code, code.toLowerCase(), code.toUpperCase()]) {
          const page = await coupons.list({ code: spelling, page: 1, size: 20, now: NOW });
          expect(ids(page), spelling).to.deep.equal([wanted.id]);
          expect(page.totalItems).to.equal(1);
        }
        expect(ids(await coupons.list({ code, createdBy: fx.sellerId, page: 1, size: 20, now: NOW }))).to.deep.equal([wanted.id]);
        expect(ids(await coupons.list({ code, createdBy: fx.buyers[0], page: 1, size: 20, now: NOW }))).to.deep.equal([]);
        expect((await coupons.list({ code: `${code}X`, page: 1, size: 20, now: NOW })).totalItems).to.equal(0);
      });

      it('status: as the coupon shows it at `now` (set status, then the window, then the counters), with the window\'s ends as statusAt has them', async function () {
        const made = {
          active: await addCoupon(),
          unlimitedActive: await addCoupon({ totalQuantity: null, issuedQuantity: 5_000 }),
          opensNow: await addCoupon({ validFrom: NOW }),
          created: await addCoupon({ validFrom: at(11), validUntil: at(DAY) }),
          exhausted: await addCoupon({ totalQuantity: 2, issuedQuantity: 2 }),
          exhaustedButLater: await addCoupon({ totalQuantity: 2, issuedQuantity: 2, validFrom: at(20), validUntil: at(DAY) }),
          endsNow: await addCoupon({ validFrom: at(-DAY), validUntil: NOW }),
          storedExpired: await addCoupon({ status: 'EXPIRED' }),
          exhaustedAndEnded: await addCoupon({ totalQuantity: 2, issuedQuantity: 2, validFrom: at(-DAY), validUntil: at(5) }),
          suspended: await addCoupon({ status: 'SUSPENDED' }),
          suspendedAndEnded: await addCoupon({ status: 'SUSPENDED', validFrom: at(-DAY), validUntil: at(5) }),
          cancelled: await addCoupon({ status: 'CANCELLED', validFrom: at(20), validUntil: at(DAY) }),
        };
        const expected = {
          ACTIVE: [made.active, made.unlimitedActive, made.opensNow],
          CREATED: [made.created, made.exhaustedButLater],
          EXHAUSTED: [made.exhausted],
          EXPIRED: [made.endsNow, made.storedExpired, made.exhaustedAndEnded],
          SUSPENDED: [made.suspended, made.suspendedAndEnded],
          CANCELLED: [made.cancelled],
        } as const;

        for (const [status, wanted] of Object.entries(expected)) {
          const page = await coupons.list({ createdBy: fx.sellerId, status: status as keyof typeof expected, page: 1, size: 20, now: NOW });
          const newestFirst = wanted.map((c) => c.id).sort((a, b) => b - a);
          expect(ids(page), status).to.deep.equal(newestFirst);
          expect(page.totalItems, status).to.equal(wanted.length);
          // The same decision as the domain's.
          for (const coupon of page.items) expect(coupon.statusAt(NOW), `coupon ${coupon.id}`).to.equal(status);
        }
        // Every coupon is in exactly one status.
        const all = await coupons.list({ createdBy: fx.sellerId, page: 1, size: 20, now: NOW });
        expect(all.totalItems).to.equal(Object.keys(made).length);
      });

      it('status follows the counters and the clock: ACTIVE until the last copy is counted, then EXHAUSTED; EXPIRED from validUntil on', async function () {
        const coupon = await addCoupon({ totalQuantity: 1 });
        const activeIds = async (now: Date) => ids(await coupons.list({ createdBy: fx.sellerId, status: 'ACTIVE', page: 1, size: 5, now }));

        expect(await activeIds(NOW)).to.deep.equal([coupon.id]);
        expect(await coupons.countOneIssued(coupon.id, NOW)).to.equal(true);
        expect(await activeIds(NOW)).to.deep.equal([]);
        expect(ids(await coupons.list({ createdBy: fx.sellerId, status: 'EXHAUSTED', page: 1, size: 5, now: NOW }))).to.deep.equal([coupon.id]);
        expect(ids(await coupons.list({ createdBy: fx.sellerId, status: 'EXPIRED', page: 1, size: 5, now: at(DAY) }))).to.deep.equal([coupon.id]);
      });
    });

    describe('countOneIssued', function () {
      it('counts one copy at a time up to the total, then answers false and counts nothing', async function () {
        const added = await addCoupon({ totalQuantity: 3 });

        const answers: boolean[] = [];
        for (let n = 1; n <= 5; n += 1) answers.push(await coupons.countOneIssued(added.id, at(n)));

        expect(answers).to.deep.equal([true, true, true, false, false]);
        const after = (await coupons.get(added.id)) as Coupon;
        expect(after.toSnapshot()).to.deep.equal({ ...added.toSnapshot(), issuedQuantity: 3 });
        expect(after.remainingQuantity).to.equal(0);
        expect(after.statusAt(at(6))).to.equal('EXHAUSTED');
      });

      it('answers false while the coupon is SUSPENDED, and counts again once it is resumed', async function () {
        const added = await addCoupon({ totalQuantity: 3 });
        expect(await coupons.countOneIssued(added.id, at(1))).to.equal(true);
        await setStatus(added.id, 'SUSPENDED', at(2));

        expect(await coupons.countOneIssued(added.id, at(3))).to.equal(false);
        expect(await issuedOf(added.id)).to.equal(1);

        await setStatus(added.id, 'ACTIVE', at(4));
        expect(await coupons.countOneIssued(added.id, at(5))).to.equal(true);
        expect(await issuedOf(added.id)).to.equal(2);
      });

      it('answers false for a CANCELLED or an EXPIRED coupon, and for an unknown one', async function () {
        const cancelled = await addCoupon();
        await setStatus(cancelled.id, 'CANCELLED', at(1));
        const expired = await addCoupon({ status: 'EXPIRED' });

        expect(await coupons.countOneIssued(cancelled.id, at(2))).to.equal(false);
        expect(await coupons.countOneIssued(expired.id, at(2))).to.equal(false);
        expect(await coupons.countOneIssued(UNKNOWN_ID, at(2))).to.equal(false);
        expect(await issuedOf(cancelled.id)).to.equal(0);
        expect(await issuedOf(expired.id)).to.equal(0);
      });

      it('counts only inside the window: from validFrom (inclusive) until validUntil (exclusive)', async function () {
        const validFrom = at(100);
        const validUntil = at(200);
        const added = await addCoupon({ totalQuantity: 10, validFrom, validUntil });
        const ms = (d: Date, delta: number) => new Date(d.getTime() + delta);

        const answers = [
          await coupons.countOneIssued(added.id, at(0)),
          await coupons.countOneIssued(added.id, ms(validFrom, -1)),
          await coupons.countOneIssued(added.id, validUntil),
          await coupons.countOneIssued(added.id, at(300)),
          await coupons.countOneIssued(added.id, validFrom),
          await coupons.countOneIssued(added.id, ms(validUntil, -1)),
        ];

        expect(answers).to.deep.equal([false, false, false, false, true, true]);
        expect(await issuedOf(added.id)).to.equal(2);
      });

      it('an unlimited coupon always counts one more', async function () {
        const added = await addCoupon({ totalQuantity: null });

        const answers: boolean[] = [];
        for (let n = 1; n <= 25; n += 1) answers.push(await coupons.countOneIssued(added.id, at(n)));

        expect(answers).to.deep.equal(Array(25).fill(true));
        const after = (await coupons.get(added.id)) as Coupon;
        expect(after.toSnapshot()).to.include({ issuedQuantity: 25, totalQuantity: null });
        expect(after.statusAt(at(30))).to.equal('ACTIVE');
      });

      it('counts made inside a transaction that then throws are undone; committed ones stay', async function () {
        const added = await addCoupon({ totalQuantity: 3 });
        expect(await transactions.run(() => coupons.countOneIssued(added.id, at(1)))).to.equal(true);

        await rejectionOf(
          transactions.run(async () => {
            expect(await coupons.countOneIssued(added.id, at(2))).to.equal(true);
            expect(await coupons.countOneIssued(added.id, at(3))).to.equal(true);
            throw new Error('boom after the counts');
          }),
        );

        expect(await issuedOf(added.id)).to.equal(1);
        // The copies rolled back are there to count again.
        expect(await transactions.run(() => coupons.countOneIssued(added.id, at(4)))).to.equal(true);
        expect(await transactions.run(() => coupons.countOneIssued(added.id, at(5)))).to.equal(true);
        expect(await transactions.run(() => coupons.countOneIssued(added.id, at(6)))).to.equal(false);
        expect(await issuedOf(added.id)).to.equal(3);
      });

      it('racing transactions count exactly the total, never more', async function () {
        const added = await addCoupon({ totalQuantity: 5 });

        const answers = await Promise.all(Array.from({ length: 12 }, (_, n) => transactions.run(() => coupons.countOneIssued(added.id, at(n + 1)))));

        expect(answers.filter((a) => a === true)).to.have.length(5);
        expect(answers.filter((a) => a === false)).to.have.length(7);
        expect(await issuedOf(added.id)).to.equal(5);
      });
    });

    describe('expireEnded', function () {
      it('expires ACTIVE and SUSPENDED coupons whose window has ended (validUntil <= now), and says how many', async function () {
        const era = pastEra();
        const made = { createdAt: at(0, era), updatedAt: at(0, era), validFrom: at(1, era) };
        const ended = await addCoupon({ ...made, validUntil: at(100, era) });
        const suspended = await addCoupon({ ...made, validUntil: at(100, era) });
        await setStatus(suspended.id, 'SUSPENDED', at(50, era));
        const endsNow = await addCoupon({ ...made, validUntil: at(150, era) });
        const running = await addCoupon({ ...made, validUntil: at(151, era) });
        const cancelled = await addCoupon({ ...made, validUntil: at(100, era) });
        await setStatus(cancelled.id, 'CANCELLED', at(50, era));
        const now = at(150, era);

        expect(await coupons.expireEnded(now)).to.equal(3);

        expect(await stored(ended.id)).to.deep.equal({ ...ended.toSnapshot(), status: 'EXPIRED', updatedAt: now });
        expect(await stored(suspended.id)).to.deep.equal({ ...suspended.toSnapshot(), status: 'EXPIRED', updatedAt: now });
        expect(await stored(endsNow.id)).to.deep.equal({ ...endsNow.toSnapshot(), status: 'EXPIRED', updatedAt: now });
        expect(await stored(running.id)).to.deep.equal(running.toSnapshot());
        expect(await stored(cancelled.id)).to.deep.equal({ ...cancelled.toSnapshot(), status: 'CANCELLED', updatedAt: at(50, era) });

        // Expired ones are not counted again; the next one is, once its window ends.
        expect(await coupons.expireEnded(now)).to.equal(0);
        expect(await coupons.expireEnded(at(151, era))).to.equal(1);
        expect((await stored(running.id))?.status).to.equal('EXPIRED');
      });

      it('expiring inside a transaction that then throws is undone', async function () {
        const era = pastEra();
        const added = await addCoupon({ createdAt: at(0, era), updatedAt: at(0, era), validFrom: at(1, era), validUntil: at(100, era) });

        await rejectionOf(
          transactions.run(async () => {
            expect(await coupons.expireEnded(at(200, era))).to.equal(1);
            throw new Error('boom after the expiry');
          }),
        );

        expect(await stored(added.id)).to.deep.equal(added.toSnapshot());
        expect(await coupons.expireEnded(at(200, era))).to.equal(1);
      });
    });
  });

  describe('user coupons', function () {
    let coupon: Coupon;

    beforeEach(async function () {
      coupon = await addCoupon({ perUserLimit: 3 });
    });

    const copyOf = (userId: number, issuedAt: Date, of: Coupon = coupon): NewUserCoupon => ({
      couponId: of.id,
      userId,
      issuedAt,
      expiresAt: of.validUntil,
    });

    const issued = (copy: NewUserCoupon, n: number, id: number): UserCouponSnapshot => ({
      ...copy,
      id,
      n,
      status: 'ISSUED',
      orderId: null,
      usedAt: null,
    });

    async function issue(userId: number, issuedAt: Date, of: Coupon = coupon): Promise<UserCoupon> {
      const copy = await userCoupons.issue(copyOf(userId, issuedAt, of), of.perUserLimit);
      if (!copy) throw new Error(`user ${userId} was refused a copy of coupon ${of.id}`);
      return copy;
    }

    /** An unpaid order of the user's carrying this copy (a real order row: user_coupons.order_id refers to it). */
    async function orderFor(userId: number, userCouponId: number, placedAt = at(1)): Promise<Order> {
      const placed = Order.place(
        { userId, lines: [{ ...fx.orderLine, quantity: 1 }], discountAmount: 0, userCouponId, shippingAddress: CONTRACT_ADDRESS, at: placedAt },
        DEFAULT_ORDER_POLICY,
      );
      const order = await transactions.run(() => subject.orders.add(placed));
      madeOrders.push(order.id);
      return order;
    }

    /** Loads the copy locked, moves it and saves it, in one transaction. */
    function move(id: number, act: (copy: UserCoupon) => void): Promise<void> {
      return transactions.run(async () => {
        const copy = await userCoupons.getForUpdate(id);
        if (!copy) throw new Error(`no user coupon ${id}`);
        act(copy);
        await userCoupons.save(copy);
      });
    }

    const snapshotOf = async (id: number) => (await userCoupons.get(id))?.toSnapshot();
    const idsOf = (list: UserCoupon[]) => list.map((c) => c.id);

    describe('issue', function () {
      it('numbers the copies 1..perUserLimit, then answers null', async function () {
        const got: UserCoupon[] = [];
        for (let n = 1; n <= 3; n += 1) got.push(await issue(buyer, at(n)));

        const refused = await userCoupons.issue(copyOf(buyer, at(4)), 3);

        expect(refused).to.equal(null);
        for (const [i, copy] of got.entries()) {
          expect(copy).to.be.instanceOf(UserCoupon);
          expect(copy.toSnapshot()).to.deep.equal(issued(copyOf(buyer, at(i + 1)), i + 1, copy.id));
          expect(await snapshotOf(copy.id)).to.deep.equal(issued(copyOf(buyer, at(i + 1)), i + 1, copy.id));
        }
        expect(new Set(idsOf(got)).size).to.equal(3);
        expect(await userCoupons.heldBy(coupon.id, buyer)).to.equal(3);
      });

      it('a limit of one: the second copy is refused', async function () {
        const single = await addCoupon({ perUserLimit: 1 });

        const first = await issue(buyer, at(1), single);
        const second = await userCoupons.issue(copyOf(buyer, at(2), single), 1);

        expect(first.toSnapshot()).to.deep.equal(issued(copyOf(buyer, at(1), single), 1, first.id));
        expect(second).to.equal(null);
        expect(await userCoupons.heldBy(single.id, buyer)).to.equal(1);
      });

      it('numbers each user and each coupon on its own', async function () {
        const other = await addCoupon({ perUserLimit: 2 });
        await issue(buyer, at(1));
        await issue(buyer, at(2));

        const theirs = await issue(otherBuyer, at(3));
        const mineOfOther = await issue(buyer, at(4), other);

        expect(theirs.toSnapshot()).to.deep.equal(issued(copyOf(otherBuyer, at(3)), 1, theirs.id));
        expect(mineOfOther.toSnapshot()).to.deep.equal(issued(copyOf(buyer, at(4), other), 1, mineOfOther.id));
        expect(await userCoupons.heldBy(coupon.id, buyer)).to.equal(2);
        expect(await userCoupons.heldBy(coupon.id, otherBuyer)).to.equal(1);
        expect(await userCoupons.heldBy(other.id, buyer)).to.equal(1);
      });

      it('racing issues of one user: exactly one gets the only copy, the others null', async function () {
        const single = await addCoupon({ perUserLimit: 1 });

        const answers = await Promise.all(
          Array.from({ length: 6 }, (_, n) => transactions.run(() => userCoupons.issue(copyOf(buyer, at(n + 1), single), 1))),
        );

        const winners = answers.filter((a): a is UserCoupon => a !== null);
        expect(winners).to.have.length(1);
        expect(winners[0]?.toSnapshot()).to.include({ n: 1, userId: buyer, couponId: single.id, status: 'ISSUED' });
        expect(await userCoupons.heldBy(single.id, buyer)).to.equal(1);
        expect(idsOf(await userCoupons.listForUser(buyer))).to.deep.equal([winners[0]?.id]);
      });

      it('an issue inside a transaction that then throws is undone, and its number free again', async function () {
        let id = 0;

        await rejectionOf(
          transactions.run(async () => {
            id = (await issue(buyer, at(1))).id;
            throw new Error('boom after the issue');
          }),
        );

        expect(id).to.be.greaterThan(0);
        expect(await userCoupons.get(id)).to.equal(null);
        expect(await userCoupons.heldBy(coupon.id, buyer)).to.equal(0);
        const again = await issue(buyer, at(2));
        expect(again.toSnapshot()).to.deep.equal(issued(copyOf(buyer, at(2)), 1, again.id));
      });
    });

    it('get and getForUpdate of an unknown copy are null; getForUpdate returns the same state as get', async function () {
      const copy = await issue(buyer, at(1));

      expect(await userCoupons.get(UNKNOWN_ID)).to.equal(null);
      expect(await transactions.run(() => userCoupons.getForUpdate(UNKNOWN_ID))).to.equal(null);
      const locked = await transactions.run(() => userCoupons.getForUpdate(copy.id));
      expect(locked).to.be.instanceOf(UserCoupon);
      expect(locked?.toSnapshot()).to.deep.equal(copy.toSnapshot());
    });

    describe('save', function () {
      it('writes the binding to an order, its use, and its refund', async function () {
        const copy = await issue(buyer, at(1));
        const order = await orderFor(buyer, copy.id);
        const base = copy.toSnapshot();

        await move(copy.id, (c) => c.bindTo(order.id, buyer, at(2)));
        expect(await snapshotOf(copy.id)).to.deep.equal({ ...base, orderId: order.id });

        await move(copy.id, (c) => c.use(order.id, at(3)));
        expect(await snapshotOf(copy.id)).to.deep.equal({ ...base, status: 'USED', orderId: order.id, usedAt: at(3) });

        await move(copy.id, (c) => c.refund(order.id, new Date()));
        expect(await snapshotOf(copy.id)).to.deep.equal({ ...base, status: 'REFUNDED', orderId: null, usedAt: null });
      });

      it('writes a release: the copy bound to an unpaid order that ended is free again, still ISSUED', async function () {
        const copy = await issue(buyer, at(1));
        const order = await orderFor(buyer, copy.id);
        await move(copy.id, (c) => c.bindTo(order.id, buyer, at(2)));

        await move(copy.id, (c) => c.release(order.id, new Date()));

        expect(await snapshotOf(copy.id)).to.deep.equal(copy.toSnapshot());
      });

      it('refuses an unknown copy (NOT_FOUND)', async function () {
        const copy = await issue(buyer, at(1));
        const ghost = UserCoupon.fromSnapshot({ ...copy.toSnapshot(), id: UNKNOWN_ID });

        const error = await rejectionOf(transactions.run(() => userCoupons.save(ghost)));

        expect(error).to.be.instanceOf(NotFound);
        expect(error.code).to.equal('NOT_FOUND');
        expect(await userCoupons.get(UNKNOWN_ID)).to.equal(null);
      });

      it('refuses a USED copy without its order and time of use, and keeps what was stored', async function () {
        const copy = await issue(buyer, at(1));
        const broken = UserCoupon.fromSnapshot({ ...copy.toSnapshot(), status: 'USED' });

        await rejectionOf(transactions.run(() => userCoupons.save(broken)));

        expect(await snapshotOf(copy.id)).to.deep.equal(copy.toSnapshot());
      });

      it('a save inside a transaction that then throws is undone', async function () {
        const copy = await issue(buyer, at(1));
        const order = await orderFor(buyer, copy.id);

        await rejectionOf(
          transactions.run(async () => {
            const locked = (await userCoupons.getForUpdate(copy.id)) as UserCoupon;
            locked.bindTo(order.id, buyer, at(2));
            await userCoupons.save(locked);
            throw new Error('boom after the save');
          }),
        );

        expect(await snapshotOf(copy.id)).to.deep.equal(copy.toSnapshot());
      });
    });

    it('heldBy counts the copies of every status the user holds of the coupon; none is 0', async function () {
      const first = await issue(buyer, at(1));
      await issue(buyer, at(2));
      const order = await orderFor(buyer, first.id);
      await move(first.id, (c) => c.bindTo(order.id, buyer, at(3)));
      await move(first.id, (c) => c.use(order.id, at(4)));
      await issue(otherBuyer, at(5));

      expect(await userCoupons.heldBy(coupon.id, buyer)).to.equal(2);
      expect(await userCoupons.heldBy(coupon.id, otherBuyer)).to.equal(1);
      expect(await userCoupons.heldBy(coupon.id, thirdBuyer)).to.equal(0);
      expect(await userCoupons.heldBy(UNKNOWN_ID, buyer)).to.equal(0);
    });

    describe('listForUser', function () {
      it("the user's copies of every coupon, newest first; nobody else's", async function () {
        const other = await addCoupon({ perUserLimit: 2 });
        const a = await issue(buyer, at(1));
        const b = await issue(buyer, at(2), other);
        await issue(otherBuyer, at(3));
        const c = await issue(buyer, at(4));
        const d = await issue(buyer, at(5), other);

        const list = await userCoupons.listForUser(buyer);

        expect(idsOf(list)).to.deep.equal([d.id, c.id, b.id, a.id]);
        expect(list[0]).to.be.instanceOf(UserCoupon);
        expect(list.map((x) => x.toSnapshot())).to.deep.equal([d, c, b, a].map((x) => x.toSnapshot()));
        expect(await userCoupons.listForUser(thirdBuyer)).to.deep.equal([]);
      });

      it('filters by status', async function () {
        const usedOne = await issue(buyer, at(1));
        const plain = await issue(buyer, at(2));
        const refundedOne = await issue(buyer, at(3));
        const usedOrder = await orderFor(buyer, usedOne.id);
        const refundedOrder = await orderFor(buyer, refundedOne.id);
        await move(usedOne.id, (c) => c.bindTo(usedOrder.id, buyer, at(4)));
        await move(usedOne.id, (c) => c.use(usedOrder.id, at(5)));
        await move(refundedOne.id, (c) => c.bindTo(refundedOrder.id, buyer, at(4)));
        await move(refundedOne.id, (c) => c.use(refundedOrder.id, at(5)));
        await move(refundedOne.id, (c) => c.refund(refundedOrder.id, new Date()));
        await issue(otherBuyer, at(6));

        expect(idsOf(await userCoupons.listForUser(buyer, 'ISSUED'))).to.deep.equal([plain.id]);
        expect(idsOf(await userCoupons.listForUser(buyer, 'USED'))).to.deep.equal([usedOne.id]);
        expect(idsOf(await userCoupons.listForUser(buyer, 'REFUNDED'))).to.deep.equal([refundedOne.id]);
        expect(await userCoupons.listForUser(buyer, 'EXPIRED')).to.deep.equal([]);
        expect((await userCoupons.listForUser(buyer, 'USED'))[0]?.toSnapshot()).to.deep.equal({
          ...usedOne.toSnapshot(),
          status: 'USED',
          orderId: usedOrder.id,
          usedAt: at(5),
        });
      });
    });

    it('issuedCopies counts the copies out, in all and per user; a coupon with none has none', async function () {
      const other = await addCoupon({ perUserLimit: 3 });
      await issue(buyer, at(1));
      await issue(otherBuyer, at(2));
      await issue(buyer, at(3));
      await issue(thirdBuyer, at(4));
      await issue(buyer, at(5), other);

      const copies = await userCoupons.issuedCopies(coupon.id);

      expect(copies.issued).to.equal(4);
      expect(copies.perUser).to.be.instanceOf(Map);
      expect(copies.perUser).to.deep.equal(
        new Map([
          [buyer, 2],
          [otherBuyer, 1],
          [thirdBuyer, 1],
        ]),
      );
      expect(await userCoupons.issuedCopies(other.id)).to.deep.equal({ issued: 1, perUser: new Map([[buyer, 1]]) });
      expect(await userCoupons.issuedCopies(UNKNOWN_ID)).to.deep.equal({ issued: 0, perUser: new Map() });
    });

    describe('expireEnded', function () {
      it('expires unbound ISSUED and REFUNDED copies past expiresAt (inclusive), and says how many', async function () {
        const era = pastEra();
        const windowed = await addCoupon({
          perUserLimit: 10,
          createdAt: at(0, era),
          updatedAt: at(0, era),
          validFrom: at(1, era),
          validUntil: at(100, era),
        });
        const copy = (userId: number, expiresAt: Date) =>
          userCoupons.issue({ couponId: windowed.id, userId, issuedAt: at(2, era), expiresAt }, 10) as Promise<UserCoupon>;
        const ended = await copy(buyer, at(100, era));
        const endsNow = await copy(buyer, at(150, era));
        const running = await copy(buyer, at(151, era));
        const refunded = await copy(otherBuyer, at(100, era));
        const bound = await copy(otherBuyer, at(100, era));
        const used = await copy(thirdBuyer, at(100, era));
        const refundedOrder = await orderFor(otherBuyer, refunded.id);
        const boundOrder = await orderFor(otherBuyer, bound.id);
        const usedOrder = await orderFor(thirdBuyer, used.id);
        await move(refunded.id, (c) => c.bindTo(refundedOrder.id, otherBuyer, at(3, era)));
        await move(refunded.id, (c) => c.use(refundedOrder.id, at(4, era)));
        await move(refunded.id, (c) => c.refund(refundedOrder.id, new Date()));
        await move(bound.id, (c) => c.bindTo(boundOrder.id, otherBuyer, at(3, era)));
        await move(used.id, (c) => c.bindTo(usedOrder.id, thirdBuyer, at(3, era)));
        await move(used.id, (c) => c.use(usedOrder.id, at(4, era)));
        const now = at(150, era);

        expect(await userCoupons.expireEnded(now)).to.equal(3);

        expect(await snapshotOf(ended.id)).to.deep.equal({ ...ended.toSnapshot(), status: 'EXPIRED' });
        expect(await snapshotOf(endsNow.id)).to.deep.equal({ ...endsNow.toSnapshot(), status: 'EXPIRED' });
        expect(await snapshotOf(refunded.id)).to.deep.equal({ ...refunded.toSnapshot(), status: 'EXPIRED' });
        expect(await snapshotOf(running.id)).to.deep.equal(running.toSnapshot());
        expect(await snapshotOf(bound.id)).to.deep.equal({ ...bound.toSnapshot(), orderId: boundOrder.id });
        expect(await snapshotOf(used.id)).to.deep.equal({ ...used.toSnapshot(), status: 'USED', orderId: usedOrder.id, usedAt: at(4, era) });

        expect(await userCoupons.expireEnded(now)).to.equal(0);
        expect(await userCoupons.expireEnded(at(151, era))).to.equal(1);
        expect((await snapshotOf(running.id))?.status).to.equal('EXPIRED');
        expect(idsOf(await userCoupons.listForUser(buyer, 'EXPIRED'))).to.deep.equal([running.id, endsNow.id, ended.id]);
      });

      it('a copy released from its order expires like any other', async function () {
        const era = pastEra();
        const windowed = await addCoupon({ createdAt: at(0, era), updatedAt: at(0, era), validFrom: at(1, era), validUntil: at(100, era) });
        const copy = (await userCoupons.issue({ couponId: windowed.id, userId: buyer, issuedAt: at(2, era), expiresAt: at(100, era) }, 1)) as UserCoupon;
        const order = await orderFor(buyer, copy.id);
        await move(copy.id, (c) => c.bindTo(order.id, buyer, at(3, era)));
        expect(await userCoupons.expireEnded(at(200, era))).to.equal(0);

        await move(copy.id, (c) => c.release(order.id, new Date()));

        expect(await userCoupons.expireEnded(at(200, era))).to.equal(1);
        expect(await snapshotOf(copy.id)).to.deep.equal({ ...copy.toSnapshot(), status: 'EXPIRED' });
      });
    });
  });
}
