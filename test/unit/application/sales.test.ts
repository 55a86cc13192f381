import { expect } from 'chai';
import { InProcessPopularAnswerStore } from '../../../src/adapters/memory/popular-answer-store.js';
import type { ProductView } from '../../../src/application/catalog/product-view.js';
import type { PopularAnswerStore } from '../../../src/application/ports/popular-answer-store.js';
import { GetPopularProducts, RECOMPUTE_CLAIM_MS } from '../../../src/application/sales/get-popular-products.js';
import type { ProductSalesRepository } from '../../../src/domain/sales/product-sales-repository.js';
import type { DayRange, ProductSales } from '../../../src/domain/sales/sales.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { expectRejectsCode, rejectionOf } from '../expect-error.js';
import { type OrderingApp, orderingApp, PRICE, ScriptedGateway, TEST_ADDRESS } from './ordering-app.js';

const DAY_MS = 86_400_000;
const TTL_SECONDS = 60;

/** A sales repository whose ranking queries the test can count and hold back. */
class GatedSales implements ProductSalesRepository {
  queries = 0;
  private gate: Promise<void> | null = null;
  private open: (() => void) | null = null;
  failNext: Error | null = null;

  constructor(private readonly inner: ProductSalesRepository) {}

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }
  letGo(): void {
    this.open?.();
    this.gate = null;
  }

  record: ProductSalesRepository['record'] = (day, lines) => this.inner.record(day, lines);
  revert: ProductSalesRepository['revert'] = (day, lines) => this.inner.revert(day, lines);
  salesBy: ProductSalesRepository['salesBy'] = (query) => this.inner.salesBy(query);

  async popular(window: DayRange, limit: number): Promise<ProductSales[]> {
    this.queries += 1;
    if (this.gate) await this.gate;
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      throw error;
    }
    return this.inner.popular(window, limit);
  }
}

/** Lets pending promise callbacks run (the memory adapters never touch a timer). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('sales: the aggregate, popular products and statistics (memory adapters)', () => {
  let app: OrderingApp;
  let sales: ProductSalesRepository;
  let seller: Actor;
  let product: ProductView;

  const today = () => app.clock.now().toISOString().slice(0, 10);
  const dayOf = (offsetDays: number) => new Date(app.clock.now().getTime() + offsetDays * DAY_MS).toISOString().slice(0, 10);
  const salesOn = (day: string) => sales.salesBy({ from: day, to: day, groupBy: 'product' });

  beforeEach(async () => {
    app = await orderingApp({ env: { POPULAR_CACHE_TTL_SECONDS: String(TTL_SECONDS) } });
    sales = app.sales;
    seller = await app.seller();
    product = await app.product(seller, [{ name: 'S', stock: 20 }, { name: 'M', stock: 20 }]);
  });

  describe('kept by payments and refunds', () => {
    it('a payment adds the order’s units and gross revenue to its product on the day it completed', async () => {
      const buyer = await app.buyer(500_000);
      const [small, medium] = product.options;
      const order = await app.placeLines(buyer, [
        { productId: product.id, optionId: small!.id, quantity: 2 },
        { productId: product.id, optionId: medium!.id, quantity: 1 },
      ]);
      expect(await salesOn(today())).to.deep.equal([]);
      await app.payForOrder.execute(buyer, order.id);
      expect(await salesOn(today())).to.deep.equal([{ key: product.id, units: 3, revenue: 3 * PRICE, discount: 0 }]);
    });

    it('revenue is gross: unit price × units, before the coupon’s discount', async () => {
      const buyer = await app.buyer(500_000);
      const now = app.clock.now().getTime();
      const coupon = await app.createCoupon.execute(seller, {
        code: 'GROSS-10',
        name: 'Ten percent',
        type: 'PERCENTAGE',
        discountValue: 10,
        validFrom: new Date(now - DAY_MS),
        validUntil: new Date(now + DAY_MS),
      });
      const copy = await app.issueCoupon.execute(buyer, { couponId: coupon.id, limitedOnly: false });
      const order = await app.placeOrder.execute(buyer, { items: [{ productId: product.id, optionId: product.options[0]!.id, quantity: 2 }], userCouponId: copy.id, shippingAddress: TEST_ADDRESS });
      expect(order.discountAmount).to.equal(PRICE * 2 / 10);
      await app.payForOrder.execute(buyer, order.id);
      // Gross revenue, and next to it what the seller's coupon cost them.
      expect(await salesOn(today())).to.deep.equal([{ key: product.id, units: 2, revenue: 2 * PRICE, discount: order.discountAmount }]);
      await app.refundOrder.execute(buyer, order.id, null);
      expect(await salesOn(today())).to.deep.equal([]);
    });

    it('another seller’s coupon never touches a seller’s sales: it covers only its own seller’s lines', async () => {
      const rival = await app.seller();
      const theirs = await app.product(rival, [{ name: 'ONE', stock: 10 }], 5_000);
      const buyer = await app.buyer(500_000);
      const now = app.clock.now().getTime();
      const coupon = await app.createCoupon.execute(rival, {
        code: 'RIVAL-ALL',
        name: 'Everything free',
        type: 'PERCENTAGE',
        discountValue: 100,
        validFrom: new Date(now - DAY_MS),
        validUntil: new Date(now + DAY_MS),
      });
      const copy = await app.issueCoupon.execute(buyer, { couponId: coupon.id, limitedOnly: false });
      const order = await app.placeOrder.execute(buyer, {
        shippingAddress: TEST_ADDRESS,
        items: [
          { productId: product.id, optionId: product.options[0]!.id, quantity: 1 },
          { productId: theirs.id, quantity: 2 },
        ],
        userCouponId: copy.id,
      });
      expect(order).to.include({ totalAmount: PRICE + 10_000, discountAmount: 10_000, finalAmount: PRICE });
      expect(order.items.map((i) => i.discountAmount)).to.deep.equal([0, 10_000]);
      await app.payForOrder.execute(buyer, order.id);
      expect(await salesOn(today())).to.deep.equal([
        { key: product.id, units: 1, revenue: PRICE, discount: 0 },
        { key: theirs.id, units: 2, revenue: 10_000, discount: 10_000 },
      ]);
    });

    it('a refund the next day takes the sale back from the day it was made', async () => {
      const buyer = await app.buyer(500_000);
      const order = await app.paid(buyer, product, 2);
      const saleDay = today();
      app.clock.advance(DAY_MS);
      await app.refundOrder.execute(buyer, order.id, 'changed my mind');
      expect(await salesOn(saleDay)).to.deep.equal([]);
      expect(await salesOn(today())).to.deep.equal([]);
      await app.paid(buyer, product, 1);
      expect(await sales.salesBy({ from: saleDay, to: today(), groupBy: 'day' })).to.deep.equal([{ key: today(), units: 1, revenue: PRICE, discount: 0 }]);
    });

    it('cancelling a paid order takes its sale back too; cancelling an unpaid one never counted', async () => {
      const buyer = await app.buyer(500_000);
      const paid = await app.paid(buyer, product, 1);
      const kept = await app.paid(buyer, product, 4);
      await app.cancelOrder.execute(buyer, paid.id, null);
      const unpaid = await app.place(buyer, product, 3);
      await app.cancelOrder.execute(buyer, unpaid.id, null);
      expect(await app.status(kept.id)).to.equal('CONFIRMED');
      expect(await salesOn(today())).to.deep.equal([{ key: product.id, units: 4, revenue: 4 * PRICE, discount: 0 }]);
    });

    it('a refund that finds no sale to take back refuses, and the whole refund rolls back', async () => {
      const buyer = await app.buyer(500_000);
      const order = await app.paid(buyer, product, 1);
      await sales.revert(today(), [{ productId: product.id, units: 1, revenue: PRICE, discount: 0 }]);
      const balance = await app.balance(buyer.userId);
      await expectRejectsCode(app.refundOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.balance(buyer.userId)).to.equal(balance);
    });

    it('through an external gateway the sale counts on the day the payment completed, not the day it was debited', async () => {
      const gateway = new ScriptedGateway(
        () => Promise.reject(new Error('the answer was lost')),
        async () => 'APPROVED',
      );
      app = await orderingApp({ gateway });
      sales = app.sales;
      seller = await app.seller();
      product = await app.product(seller);
      const buyer = await app.buyer(500_000);
      app.clock.advance(14 * 3600_000 + 59 * 60_000); // 23:59 UTC
      const debitDay = today();
      const order = await app.place(buyer, product, 2);
      const outcome = await app.payForOrder.execute(buyer, order.id);
      expect(outcome.settled).to.equal(false);
      expect(await salesOn(debitDay)).to.deep.equal([]);

      app.clock.advance(2 * 60_000);
      const confirmed = await app.settlePendingPayment.confirm(buyer, outcome.payment.id);
      expect(confirmed.status).to.equal('COMPLETED');
      expect(today()).to.not.equal(debitDay);
      expect(await salesOn(today())).to.deep.equal([{ key: product.id, units: 2, revenue: 2 * PRICE, discount: 0 }]);
      expect(await salesOn(debitDay)).to.deep.equal([]);

      app.clock.advance(DAY_MS);
      await app.refundOrder.execute(buyer, order.id, null);
      expect(await sales.salesBy({ from: debitDay, to: today(), groupBy: 'product' })).to.deep.equal([]);
    });

    it('a declined payment, an expired reservation: nothing counted', async () => {
      const declining = await orderingApp({ env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'decline' } });
      const s = await declining.seller();
      const p = await declining.product(s);
      const buyer = await declining.buyer(500_000);
      const order = await declining.place(buyer, p, 1);
      await rejectionOf(declining.payForOrder.execute(buyer, order.id));
      expect(await declining.status(order.id)).to.equal('FAILED');
      await declining.place(buyer, p, 1);
      declining.clock.advance(3_600_000);
      expect(await declining.expireReservations.execute()).to.equal(1);
      const day = declining.clock.now().toISOString().slice(0, 10);
      expect(await declining.sales.salesBy({ from: '2026-01-01', to: day, groupBy: 'product' })).to.deep.equal([]);
    });
  });

  describe('GetPopularProducts', () => {
    let popular: GetPopularProducts;
    let second: Actor;
    let other: ProductView;

    beforeEach(async () => {
      popular = app.getPopularProducts;
      second = await app.seller();
      other = await app.product(second, [{ name: 'ONE', stock: 50 }], 10_000);
    });

    it('ranks net units over the window, with the product as GET /products/{id} shows it, rank from 1', async () => {
      const buyer = await app.buyer(1_000_000);
      await app.paid(buyer, product, 2);
      await app.paid(buyer, other, 5);
      const refunded = await app.paid(buyer, other, 4);
      await app.refundOrder.execute(buyer, refunded.id, null);

      const answer = await popular.execute({ days: 3, limit: 5 });
      expect(answer).to.deep.equal({
        days: 3,
        generatedAt: app.clock.now().toISOString(),
        items: [
          { rank: 1, product: await app.getProduct.execute(other.id), soldQuantity: 5, revenue: 50_000 },
          { rank: 2, product: await app.getProduct.execute(product.id), soldQuantity: 2, revenue: 2 * PRICE },
        ],
      });
      expect((await popular.execute({ days: 3, limit: 1 })).items.map((i) => i.product.id)).to.deep.equal([other.id]);
    });

    it('the window is today and the days - 1 before it: a sale days ago is out, days - 1 ago is in', async () => {
      const buyer = await app.buyer(1_000_000);
      await app.paid(buyer, product, 1); // day D
      app.clock.advance(DAY_MS);
      await app.paid(buyer, other, 1); // D + 1
      app.clock.advance(2 * DAY_MS); // now D + 3: days=3 covers D+1..D+3
      const ids = async (days: number) => (await popular.execute({ days, limit: 5 })).items.map((i) => i.product.id);
      expect(await ids(3)).to.deep.equal([other.id]);
      // Equal units, and the cheaper product's revenue is lower: it ranks second.
      expect(await ids(4)).to.deep.equal([product.id, other.id]);
      expect(await ids(2)).to.deep.equal([]);
    });

    it('IDLE, then CACHE_UPDATED for the TTL (new sales unseen), then EXPIRED: the next call recomputes', async () => {
      const buyer = await app.buyer(1_000_000);
      const query = { days: 3, limit: 5 };
      expect(await popular.state(query)).to.equal('IDLE');
      await app.paid(buyer, product, 1);
      const first = await popular.execute(query);
      expect(await popular.state(query)).to.equal('CACHE_UPDATED');
      expect(await popular.state({ days: 3, limit: 6 }), 'another limit is another answer').to.equal('IDLE');

      await app.paid(buyer, other, 3);
      app.clock.advance(TTL_SECONDS * 1000 - 1);
      expect(await popular.execute(query)).to.deep.equal(first);
      expect(await popular.state(query)).to.equal('CACHE_UPDATED');

      app.clock.advance(1);
      expect(await popular.state(query)).to.equal('EXPIRED');
      const second = await popular.execute(query);
      expect(second.generatedAt).to.equal(app.clock.now().toISOString());
      expect(second.items.map((i) => i.product.id)).to.deep.equal([other.id, product.id]);
      expect(await popular.state(query)).to.equal('CACHE_UPDATED');
    });

    describe('no stampede', () => {
      let gated: GatedSales;
      let store: PopularAnswerStore;
      const query = { days: 3, limit: 5 };
      const make = () => new GetPopularProducts(gated, app.getProduct, store, { ttlSeconds: TTL_SECONDS }, app.clock);

      beforeEach(async () => {
        gated = new GatedSales(sales);
        store = new InProcessPopularAnswerStore(app.clock);
        const buyer = await app.buyer(1_000_000);
        await app.paid(buyer, product, 1);
      });

      it('nothing computed yet: a crowd on one instance shares one computation', async () => {
        const instance = make();
        gated.hold();
        const crowd = Array.from({ length: 10 }, () => instance.execute(query));
        await settle();
        expect(await instance.state(query)).to.equal('AGGREGATING');
        gated.letGo();
        const answers = await Promise.all(crowd);
        expect(gated.queries).to.equal(1);
        for (const answer of answers) expect(answer).to.deep.equal(answers[0]);
        expect(await instance.state(query)).to.equal('CACHE_UPDATED');
      });

      it('expired: the first caller recomputes and gets the new answer; everyone else, on every instance, the stale one at once', async () => {
        const a = make();
        const b = make();
        const stale = await a.execute(query);
        const buyer = await app.buyer(1_000_000);
        await app.paid(buyer, other, 2);
        app.clock.advance(TTL_SECONDS * 1000);
        expect(await b.state(query)).to.equal('EXPIRED');

        gated.queries = 0;
        gated.hold();
        const winner = a.execute(query);
        await settle();
        expect(await a.state(query)).to.equal('AGGREGATING');
        expect(await b.state(query)).to.equal('AGGREGATING');
        // While the recomputation is held, both instances answer at once with the stale answer.
        const others = await Promise.all([...Array.from({ length: 5 }, () => a.execute(query)), ...Array.from({ length: 5 }, () => b.execute(query))]);
        for (const answer of others) expect(answer).to.deep.equal(stale);
        gated.letGo();
        const fresh = await winner;
        expect(gated.queries).to.equal(1);
        expect(fresh.generatedAt).to.equal(app.clock.now().toISOString());
        expect(fresh.items.map((i) => i.product.id)).to.deep.equal([other.id, product.id]);
        expect(await b.execute(query)).to.deep.equal(fresh);
        expect(await b.state(query)).to.equal('CACHE_UPDATED');
      });

      it('a recomputation that fails gives the claim back: its caller gets the error, the next caller recomputes', async () => {
        const instance = make();
        const stale = await instance.execute(query);
        app.clock.advance(TTL_SECONDS * 1000);
        gated.failNext = new Error('database gone');
        expect((await rejectionOf(instance.execute(query)) as Error).message).to.equal('database gone');
        expect(await instance.state(query)).to.equal('EXPIRED');
        const again = await instance.execute(query);
        expect(again.generatedAt).to.not.equal(stale.generatedAt);
      });

      it('a recomputer that never finishes holds the claim only RECOMPUTE_CLAIM_MS: then another caller takes over', async () => {
        const a = make();
        const b = make();
        await a.execute(query);
        app.clock.advance(TTL_SECONDS * 1000);
        gated.hold();
        void a.execute(query); // never let go: as if that instance died mid-way
        await settle();
        gated.queries = 0;
        app.clock.advance(RECOMPUTE_CLAIM_MS);
        const takeover = b.execute(query);
        await settle();
        expect(gated.queries).to.equal(1);
        gated.letGo();
        expect((await takeover).generatedAt).to.equal(app.clock.now().toISOString());
      });

      it('a claim won just after another caller stored a fresh answer computes nothing', async () => {
        const instance = make();
        await instance.execute(query);
        app.clock.advance(TTL_SECONDS * 1000);
        const fresh = await make().execute(query);
        gated.queries = 0;
        // This instance read the slot before the store above (simulated by a store that answers stale once).
        const staleOnce: PopularAnswerStore = {
          read: (() => {
            let first = true;
            return async <T>(key: string) => {
              const slot = await store.read<T>(key);
              if (first && slot.answer) {
                first = false;
                return { ...slot, answer: { ...slot.answer, computedAt: slot.answer.computedAt - TTL_SECONDS * 1000 } };
              }
              return slot;
            };
          })(),
          claim: (key, ttl) => store.claim(key, ttl),
          store: (key, answer, keep, claim) => store.store(key, answer, keep, claim),
          release: (claim) => store.release(claim),
        };
        const late = new GetPopularProducts(gated, app.getProduct, staleOnce, { ttlSeconds: TTL_SECONDS }, app.clock);
        expect(await late.execute(query)).to.deep.equal(fresh);
        expect(gated.queries).to.equal(0);
        expect(await late.state(query)).to.equal('CACHE_UPDATED');
      });

      it('POPULAR_CACHE_TTL_SECONDS=0: no cache, every call computes', async () => {
        const uncached = new GetPopularProducts(gated, app.getProduct, store, { ttlSeconds: 0 }, app.clock);
        await uncached.execute(query);
        await uncached.execute(query);
        expect(gated.queries).to.equal(2);
        expect(await uncached.state(query)).to.equal('IDLE');
      });
    });
  });

  describe('GetSalesStatistics', () => {
    it('a BUYER is FORBIDDEN; a SELLER sees only their own products; an ADMIN sees all', async () => {
      const stats = app.getSalesStatistics;
      const rival = await app.seller();
      const theirs = await app.product(rival, [{ name: 'ONE', stock: 10 }], 5_000);
      const buyer = await app.buyer(1_000_000);
      await app.paid(buyer, product, 2);
      await app.paid(buyer, theirs, 1);
      const query = { from: dayOf(-1), to: dayOf(1), groupBy: 'product' as const };

      await expectRejectsCode(stats.execute(buyer, query), 'FORBIDDEN');
      expect(await stats.execute(seller, query)).to.deep.equal({ items: [{ key: product.id, soldQuantity: 2, revenue: 2 * PRICE, discountAmount: 0 }] });
      expect(await stats.execute(rival, { ...query, groupBy: 'category' })).to.deep.equal({ items: [{ key: 'shoes', soldQuantity: 1, revenue: 5_000, discountAmount: 0 }] });
      expect(await stats.execute(app.admin, { ...query, groupBy: 'day' })).to.deep.equal({
        items: [{ key: today(), soldQuantity: 3, revenue: 2 * PRICE + 5_000, discountAmount: 0 }],
      });
    });
  });
});
