import { expect } from 'chai';
import type { Actor } from '../../src/domain/user/actor.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { type App, attempt, codeOf, ordersOf, pastClock, Shop, startApp, stockOf, tally } from './ordering-support.js';

const LIMIT = 5;
const TTL_SECONDS = 30;

/**
 * MAX_UNPAID_ORDERS_PER_USER on real PostgreSQL, with real parallel connections on two instances:
 * one user's placements queue on their placing lock, so the cap is exact whoever races whom.
 */
describe('the unpaid-order cap under concurrency (PostgreSQL, two instances)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const apps: App[] = [];
  let shops: [Shop, Shop];
  // Long before every other suite's orders: this suite's sweeps find only its own.
  const clock = pastClock();

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    const env = { MAX_UNPAID_ORDERS_PER_USER: String(LIMIT), ORDER_RESERVATION_TTL_SECONDS: String(TTL_SECONDS) };
    apps.push(await startApp(database, { env, clock }), await startApp(database, { env, clock }));
    const shop = await Shop.open(apps[0] as App);
    shops = [shop, shop.on(apps[1] as App)];
  });

  after(async function () {
    await Promise.all(apps.map((a) => a.close()));
  });

  const db = () => (apps[0] as App).db;

  /** Leaves no unpaid order behind for another suite's sweeper to find. */
  async function settle(buyers: Actor[]): Promise<void> {
    for (const order of await ordersOf(db(), buyers.map((b) => b.userId))) {
      if (order.status === 'CREATED') await shops[0].cancel(buyers.find((b) => b.userId === order.userId) as Actor, order.id);
    }
  }

  it('one user, 20 placements at once over two instances (no balance at all): exactly 5 placed, 15 RATE_LIMITED; a cancel frees one slot, a swept (expired) order another', async function () {
    const [one, two] = shops;
    const product = await one.product(1_000, [100]);
    const [optionId] = product.optionIds as [number];
    const buyer = await one.buyer();

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => attempt((i % 2 ? two : one).place(buyer, product, [[optionId, 1]]))));

    expect(tally(results.map(codeOf))).to.deep.equal({ OK: LIMIT, RATE_LIMITED: 20 - LIMIT });
    const placed = await ordersOf(db(), [buyer.userId]);
    expect(placed.map((o) => o.status)).to.deep.equal(Array(LIMIT).fill('CREATED'));
    expect(await stockOf(db(), optionId)).to.deep.equal({ total: 100, reserved: LIMIT, sold: 0 });

    // Cancelling one frees exactly one slot, even when asked for twice at once.
    await one.cancel(buyer, (placed[0] as { id: number }).id);
    const afterCancel = await Promise.all([one, two, one, two].map((shop) => attempt(shop.place(buyer, product, [[optionId, 1]]))));
    expect(tally(afterCancel.map(codeOf))).to.deep.equal({ OK: 1, RATE_LIMITED: 3 });

    // Every unpaid order runs out; the sweeper cancels them and the slots come back.
    clock.advance(TTL_SECONDS * 1000);
    expect(await one.sweep()).to.equal(LIMIT);
    const afterSweep = await Promise.all(Array.from({ length: 8 }, (_, i) => attempt((i % 2 ? two : one).place(buyer, product, [[optionId, 1]]))));
    expect(tally(afterSweep.map(codeOf))).to.deep.equal({ OK: LIMIT, RATE_LIMITED: 8 - LIMIT });

    const live = (await ordersOf(db(), [buyer.userId])).filter((o) => o.status === 'CREATED');
    expect(live).to.have.length(LIMIT);
    expect(await stockOf(db(), optionId)).to.deep.equal({ total: 100, reserved: LIMIT, sold: 0 });
    await settle([buyer]);
  });

  it('the cap is per user: 10 buyers placing 3 each at once are all placed', async function () {
    const [one, two] = shops;
    const product = await one.product(1_000, [100]);
    const [optionId] = product.optionIds as [number];
    const buyers = await one.buyers(10, 0);

    const results = await Promise.all(
      buyers.flatMap((buyer, b) => [0, 1, 2].map((i) => attempt(((b + i) % 2 ? two : one).place(buyer, product, [[optionId, 1]])))),
    );

    expect(tally(results.map(codeOf))).to.deep.equal({ OK: 30 });
    await settle(buyers);
  });
});
