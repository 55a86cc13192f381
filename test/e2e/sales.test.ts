import { expect } from 'chai';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import type { ManualClock } from '../support/clock.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation } from './problem.js';
import { CouponClient } from './coupons-support.js';
import { type Listing, OrderingClient } from './orders-support.js';
import { DAY_MS, dayOf, expectPopular, expectSales, POPULAR, popularOf, SALES, salesClock, salesOf } from './sales-support.js';

const TTL_SECONDS = 60;

// The same contract over both persistence adapters. On PostgreSQL the database is shared by the
// whole run: the service's clock sells on days no other suite uses (salesClock), and each test
// moves it on to days of its own.
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: popular products and sales statistics (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;
    let clock: ManualClock;
    let buyer: Account;

    before(async function () {
      clock = salesClock();
      t = await startTestService({ persistence, clock, env: { POPULAR_CACHE_TTL_SECONDS: String(TTL_SECONDS) } });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });
    beforeEach(async function () {
      // Days of this test's own; every cached ranking is long expired.
      clock.advance(10 * DAY_MS);
      buyer = await o.buyerWith(2_000_000);
    });

    const today = () => dayOf(clock.now());
    const daysAgo = (n: number) => dayOf(new Date(clock.now().getTime() - n * DAY_MS));
    const popularState = (days = 3, limit = 5) => resolve(t.service.container, TOKENS.getPopularProducts).state({ days, limit });
    const refundOk = async (orderId: number) => {
      const res = await o.refund(buyer, { orderId });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
    };
    const listingAt = (price: number, seller?: Account) => o.listing({ price, options: [{ name: 'ONE', stock: 50 }], ...(seller ? { seller } : {}) });

    describe(`GET ${POPULAR}`, function () {
      it('ranks by net units after orders and a refund; ties by revenue, then product id; anyone, no token', async function () {
        const a = await listingAt(30_000);
        const b = await listingAt(20_000);
        const c = await listingAt(10_000);
        const e = await listingAt(10_000);
        const gone = await listingAt(50_000);
        const refunded = await o.paidOrder(buyer, a, 2);
        await o.paidOrder(buyer, a, 2);
        await o.paidOrder(buyer, b, 2);
        await o.paidOrder(buyer, e, 2);
        await o.paidOrder(buyer, c, 2);
        const allBack = await o.paidOrder(buyer, gone, 9);
        await refundOk(refunded.order.id);
        await refundOk(allBack.order.id);

        const answer = expectPopular(await popularOf(t));
        expect(answer.days).to.equal(3);
        expect(answer.generatedAt).to.equal(clock.now().toISOString());
        // A: 2 net units (60,000), B: 2 (40,000), C and E: 2 (20,000 each; C's id is lower); the
        // refunded product is not listed.
        expect(answer.items.map((i) => [i.product.id, i.soldQuantity, i.revenue])).to.deep.equal([
          [a.product.id, 2, 60_000],
          [b.product.id, 2, 40_000],
          [c.product.id, 2, 20_000],
          [e.product.id, 2, 20_000],
        ]);
        // Each product exactly as its detail shows it.
        for (const item of answer.items) expect(item.product).to.deep.equal((await o.catalog.getOk(item.product.id)) as unknown);

        const top = expectPopular(await popularOf(t, '?limit=2&days=1'));
        expect(top.days).to.equal(1);
        expect(top.items.map((i) => i.product.id)).to.deep.equal([a.product.id, b.product.id]);
      });

      it('the window rolls by day: a sale `days` days ago is out, one `days - 1` ago is in; sales before a later refund stay on their day', async function () {
        const early = await listingAt(10_000);
        const late = await listingAt(10_000);
        const sold = await o.paidOrder(buyer, early, 3); // day D
        clock.advance(DAY_MS);
        await o.paidOrder(buyer, late, 1); // D + 1
        clock.advance(2 * DAY_MS); // D + 3
        const ids = async (query: string) => expectPopular(await popularOf(t, query)).items.map((i) => [i.product.id, i.soldQuantity]);
        expect(await ids('?days=3')).to.deep.equal([[late.product.id, 1]]);
        expect(await ids('?days=4')).to.deep.equal([
          [early.product.id, 3],
          [late.product.id, 1],
        ]);
        // Refunded today, the sale of day D is taken back from day D.
        const { order } = sold;
        await refundOk(order.id);
        clock.advance(TTL_SECONDS * 1000);
        expect(await ids('?days=4')).to.deep.equal([[late.product.id, 1]]);
        expect(await ids('?days=2')).to.deep.equal([]);
      });

      it('served from the cache for POPULAR_CACHE_TTL_SECONDS (state CACHE_UPDATED), then EXPIRED and recomputed', async function () {
        const listing = await listingAt(10_000);
        expect(await popularState()).to.equal('IDLE');
        await o.paidOrder(buyer, listing, 1);
        const first = expectPopular(await popularOf(t));
        expect(await popularState()).to.equal('CACHE_UPDATED');

        await o.paidOrder(buyer, listing, 4);
        clock.advance(TTL_SECONDS * 1000 - 1);
        expect(expectPopular(await popularOf(t))).to.deep.equal(first);

        clock.advance(1);
        expect(await popularState()).to.equal('EXPIRED');
        const second = expectPopular(await popularOf(t));
        expect(second.generatedAt).to.equal(clock.now().toISOString());
        expect(second.items.map((i) => i.soldQuantity)).to.deep.equal([5]);
        expect(await popularState()).to.equal('CACHE_UPDATED');
      });

      it('400 VALIDATION_FAILED naming the parameter: days outside 1..30, limit outside 1..20, not whole numbers, unknown parameters', async function () {
        for (const [query, field] of [
          ['?days=0', 'days'],
          ['?days=31', 'days'],
          ['?days=abc', 'days'],
          ['?days=1.5', 'days'],
          ['?limit=0', 'limit'],
          ['?limit=21', 'limit'],
          ['?limit=', 'limit'],
          ['?top=3', 'top'],
        ] as const) {
          expectValidation(await popularOf(t, query), POPULAR, field);
        }
        expect(expectPopular(await popularOf(t, '?days=30&limit=20')).days).to.equal(30);
        expect(expectPopular(await popularOf(t, '?days=1&limit=1')).days).to.equal(1);
      });
    });

    it('/openapi.json describes both endpoints', async function () {
      const paths = (await t.api.get('/openapi.json')).body.paths as Record<string, Record<string, unknown>>;
      expect(paths[POPULAR]).to.have.property('get');
      expect(paths[SALES]).to.have.property('get');
    });

    describe(`GET ${SALES}`, function () {
      let seller: Account;
      let shoe: Listing;
      let boot: Listing;
      let rivals: Listing;

      beforeEach(async function () {
        seller = await t.newAccount('SELLER');
        shoe = await o.listing({ seller, price: 10_000, options: [{ name: 'ONE', stock: 50 }] });
        boot = await o.listing({ seller, price: 30_000, options: [{ name: 'ONE', stock: 50 }] });
        rivals = await listingAt(5_000);
        await o.paidOrder(buyer, shoe, 2); // day D - 1
        const refunded = await o.paidOrder(buyer, rivals, 1);
        clock.advance(DAY_MS);
        await o.paidOrder(buyer, boot, 1); // day D
        await o.paidOrder(buyer, shoe, 1);
        await o.paidOrder(buyer, rivals, 4);
        await refundOk(refunded.order.id); // taken back from D - 1
      });

      const period = () => `?from=${daysAgo(1)}&to=${today()}`;

      it('ADMIN: by product, by category and by day, in key order, refunds subtracted', async function () {
        const byProduct = expectSales(await salesOf(t, t.admin, `${period()}&groupBy=product`));
        expect(byProduct).to.deep.equal([
          { key: shoe.product.id, soldQuantity: 3, revenue: 30_000, discountAmount: 0 },
          { key: boot.product.id, soldQuantity: 1, revenue: 30_000, discountAmount: 0 },
          { key: rivals.product.id, soldQuantity: 4, revenue: 20_000, discountAmount: 0 },
        ]);
        const categories = [shoe.product.category, boot.product.category, rivals.product.category];
        const byCategory = expectSales(await salesOf(t, t.admin, `${period()}&groupBy=category`));
        expect(byCategory.map((i) => i.key)).to.deep.equal([...categories].sort());
        expect(byCategory.find((i) => i.key === rivals.product.category)).to.deep.equal({ key: rivals.product.category, soldQuantity: 4, revenue: 20_000, discountAmount: 0 });
        expect(expectSales(await salesOf(t, t.admin, `${period()}&groupBy=day`))).to.deep.equal([
          { key: daysAgo(1), soldQuantity: 2, revenue: 20_000, discountAmount: 0 },
          { key: today(), soldQuantity: 6, revenue: 60_000, discountAmount: 0 },
        ]);
        expect(expectSales(await salesOf(t, t.admin, `?from=${today()}&to=${today()}&groupBy=day`))).to.deep.equal([
          { key: today(), soldQuantity: 6, revenue: 60_000, discountAmount: 0 },
        ]);
      });

      it('SELLER: only their own products, in every grouping', async function () {
        expect(expectSales(await salesOf(t, seller, `${period()}&groupBy=product`))).to.deep.equal([
          { key: shoe.product.id, soldQuantity: 3, revenue: 30_000, discountAmount: 0 },
          { key: boot.product.id, soldQuantity: 1, revenue: 30_000, discountAmount: 0 },
        ]);
        const byCategory = expectSales(await salesOf(t, seller, `${period()}&groupBy=category`));
        expect(byCategory.map((i) => i.key)).to.have.members([shoe.product.category, boot.product.category]);
        expect(expectSales(await salesOf(t, seller, `${period()}&groupBy=day`))).to.deep.equal([
          { key: daysAgo(1), soldQuantity: 2, revenue: 20_000, discountAmount: 0 },
          { key: today(), soldQuantity: 2, revenue: 40_000, discountAmount: 0 },
        ]);
        const stranger = await t.newAccount('SELLER');
        expect(expectSales(await salesOf(t, stranger, `${period()}&groupBy=product`))).to.deep.equal([]);
      });

      it('a SELLER\'s coupon: their sales show gross revenue and what the coupon took off; another seller\'s lines in the same order are untouched; a refund takes the discount back', async function () {
        const c = new CouponClient(t);
        const coupon = await c.createOk(seller, { type: 'PERCENTAGE', discountValue: 100, validFrom: new Date(clock.now().getTime() - DAY_MS).toISOString(), validUntil: new Date(clock.now().getTime() + 30 * DAY_MS).toISOString() });
        const copy = await c.issueOk(buyer, coupon.id);
        clock.advance(DAY_MS);
        const placed = await o.place(buyer, {
          items: [
            { productId: shoe.product.id, quantity: 2 },
            { productId: rivals.product.id, quantity: 3 },
          ],
          userCouponId: copy.id,
        });
        expect(placed.status, JSON.stringify(placed.body)).to.equal(201);
        expect(placed.body).to.include({ totalAmount: 35_000, discountAmount: 20_000, finalAmount: 15_000 });
        const paid = await o.payOk(buyer, placed.body.id);
        expect(paid.amount).to.equal(15_000);

        const day = `?from=${today()}&to=${today()}`;
        expect(expectSales(await salesOf(t, seller, `${day}&groupBy=product`))).to.deep.equal([{ key: shoe.product.id, soldQuantity: 2, revenue: 20_000, discountAmount: 20_000 }]);
        expect(expectSales(await salesOf(t, rivals.seller, `${day}&groupBy=product`))).to.deep.equal([{ key: rivals.product.id, soldQuantity: 3, revenue: 15_000, discountAmount: 0 }]);
        expect(expectSales(await salesOf(t, t.admin, `${day}&groupBy=day`))).to.deep.equal([{ key: today(), soldQuantity: 5, revenue: 35_000, discountAmount: 20_000 }]);
        // The ranking is by units and gross revenue, as before.
        expect(expectPopular(await popularOf(t, '?days=1')).items.map((i) => [i.product.id, i.soldQuantity, i.revenue])).to.deep.equal([
          [rivals.product.id, 3, 15_000],
          [shoe.product.id, 2, 20_000],
        ]);

        await refundOk(placed.body.id);
        expect(expectSales(await salesOf(t, seller, `${day}&groupBy=product`))).to.deep.equal([]);
        expect(expectSales(await salesOf(t, t.admin, `${day}&groupBy=day`))).to.deep.equal([]);
      });

      it('403 for a BUYER; 401 without a token', async function () {
        expectProblem(await salesOf(t, buyer, `${period()}&groupBy=product`), 403, 'FORBIDDEN', SALES);
        expectProblem(await salesOf(t, null, `${period()}&groupBy=product`), 401, 'UNAUTHENTICATED', SALES);
      });

      it('400 naming the field: from/to/groupBy missing, not a date, to before from, more than 366 days, unknown groupBy; shape before permission', async function () {
        const cases: Array<[string, string]> = [
          [`?to=2026-01-02&groupBy=day`, 'from'],
          [`?from=2026-01-02&groupBy=day`, 'to'],
          [`?from=2026-01-01&to=2026-01-02`, 'groupBy'],
          [`?from=2026-02-30&to=2026-03-02&groupBy=day`, 'from'],
          [`?from=2026-01-01&to=20260102&groupBy=day`, 'to'],
          [`?from=2026-01-03&to=2026-01-02&groupBy=day`, 'to'],
          [`?from=2025-01-01&to=2026-01-02&groupBy=day`, 'to'],
          [`?from=2026-01-01&to=2026-01-02&groupBy=week`, 'groupBy'],
          [`?from=2026-01-01&to=2026-01-02&groupBy=day&sellerId=3`, 'sellerId'],
        ];
        for (const [query, field] of cases) expectValidation(await salesOf(t, t.admin, query), SALES, field);
        expectValidation(await salesOf(t, buyer, '?from=2026-01-03&to=2026-01-02&groupBy=day'), SALES, 'to');
        // Exactly 366 days (both ends counted) is allowed.
        expect(expectSales(await salesOf(t, t.admin, '?from=1990-01-01&to=1990-12-31&groupBy=day'))).to.deep.equal([]);
        expect(expectSales(await salesOf(t, t.admin, '?from=1992-01-01&to=1992-12-31&groupBy=day'))).to.deep.equal([]);
      });
    });
  });
}
