import { expect } from 'chai';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation } from './problem.js';
import {
  cancelPath,
  completePath,
  E2E_ADDRESS,
  expectOrderAnswer,
  expectSellerOrderPage,
  freshIdempotencyKey,
  fulfilmentPath,
  type Listing,
  type Order,
  OrderingClient,
  orderPath,
  ORDERS,
  REFUNDS,
  type SellerOrder,
  retryAfterOf,
  sleep,
  UNKNOWN_ID,
} from './orders-support.js';

/** 400 VALIDATION_FAILED with an `errors` entry whose field matches. */
function expectValidationMatching(res: ApiResponse, instance: string, field: RegExp): void {
  expectValidation(res, instance);
  const fields = (res.body.errors as Array<{ field: string }>).map((e) => e.field);
  expect(fields.some((f) => field.test(f)), `errors ${JSON.stringify(fields)} naming ${field}`).to.equal(true);
}

// Not the default 30 s, so the answer shows the setting is read.
const TTL_SECONDS = 120;

// The same contract over both persistence adapters: PostgreSQL (this run's database, shared by the
// whole run, so every test makes its own sellers, buyers and products) and the in-memory adapters.
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: orders (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence, env: { ORDER_RESERVATION_TTL_SECONDS: String(TTL_SECONDS) } });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    /** Nothing reserved on the listing's option: all its stock still available. */
    const expectUntouched = async (listing: Listing, totalStock: number) => {
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock, reservedStock: 0, availableStock: totalStock });
    };

    describe('POST /api/v1/orders', function () {
      it('201: exactly the order shape, CREATED, priced from the product, reservationExpiresAt = createdAt + ORDER_RESERVATION_TTL_SECONDS', async function () {
        const listing = await o.listing({ price: 12_000, options: [{ name: 'S', stock: 5 }, { name: 'M', stock: 7 }] });
        const [small, medium] = listing.product.options;
        const buyer = await t.newBuyer();
        const before = Date.now();

        const res = await o.place(buyer, { items: [{ productId: listing.product.id, optionId: medium!.id, quantity: 3 }] });
        const after = Date.now();

        const order = expectOrderAnswer(res, 201);
        expect(order).to.deep.include({
          userId: buyer.id,
          status: 'CREATED',
          totalAmount: 36_000,
          discountAmount: 0,
          finalAmount: 36_000,
          userCouponId: null,
          cancelReason: null,
          payment: null,
          shippingAddress: E2E_ADDRESS,
          refunds: [],
        });
        expect(order.items).to.deep.equal([
          {
            id: order.items[0]!.id,
            productId: listing.product.id,
            optionId: medium!.id,
            productName: listing.product.name,
            optionName: 'M',
            unitPrice: 12_000,
            quantity: 3,
            amount: 36_000,
            discountAmount: 0,
            status: 'ORDERED',
            digital: false,
            refundedQuantity: 0,
          },
        ]);
        const created = Date.parse(order.createdAt);
        expect(created).to.be.within(before - 1_000, after + 1_000);
        expect(Date.parse(order.reservationExpiresAt) - created).to.be.closeTo(TTL_SECONDS * 1000, 1_000);

        // The stock is reserved for the order, on that option only.
        expect(await o.stockOf(listing.product.id, medium!.id)).to.deep.equal({ totalStock: 7, reservedStock: 3, availableStock: 4 });
        expect(await o.stockOf(listing.product.id, small!.id)).to.deep.equal({ totalStock: 5, reservedStock: 0, availableStock: 5 });
        // And the order is there to read, the same.
        expect(await o.getOk(buyer, order.id)).to.deep.equal(order);
      });

      it('takes several lines from several sellers, reserving each', async function () {
        const a = await o.listing({ price: 3_000 });
        const b = await o.listing({ price: 7_500 + 500, options: [{ name: 'X', stock: 4 }] });
        const buyer = await t.newBuyer();

        const order = await o.placeOk(buyer, [
          { productId: a.product.id, optionId: a.option.id, quantity: 2 },
          { productId: b.product.id, optionId: b.option.id, quantity: 4 },
        ]);

        expect(order.items.map((i) => [i.productId, i.quantity, i.amount])).to.deep.equal([
          [a.product.id, 2, 6_000],
          [b.product.id, 4, 32_000],
        ]);
        expect(order).to.include({ totalAmount: 38_000, finalAmount: 38_000 });
        expect((await o.stockOf(a.product.id, a.option.id)).reservedStock).to.equal(2);
        expect(await o.stockOf(b.product.id, b.option.id)).to.deep.equal({ totalStock: 4, reservedStock: 4, availableStock: 0 });
      });

      it('lets optionId be left out for a single-option product', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();

        const order = await o.placeOk(buyer, [{ productId: listing.product.id, quantity: 2 }]);

        expect(order.items[0]).to.include({ productId: listing.product.id, optionId: listing.option.id, optionName: 'ONE', quantity: 2 });
        expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(2);
      });

      it('answers 400 VALIDATION_FAILED when optionId is left out for a product with several options, and reserves nothing', async function () {
        const listing = await o.listing({ options: [{ name: 'A', stock: 5 }, { name: 'B', stock: 5 }] });
        const buyer = await t.newBuyer();

        expectValidationMatching(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }] }), ORDERS, /optionId/);

        await expectUntouched(listing, 5);
        expect((await o.stockOf(listing.product.id, listing.product.options[1]!.id)).reservedStock).to.equal(0);
      });

      it('lets any signed-in user order: a SELLER gets 201 too', async function () {
        const listing = await o.listing();
        const shopper = await t.newAccount('SELLER');
        const order = expectOrderAnswer(await o.place(shopper, { items: [{ productId: listing.product.id, quantity: 1 }] }), 201);
        expect(order.userId).to.equal(shopper.id);
      });

      it('accepts 10 of one option and 30 in all', async function () {
        const listing = await o.listing({ options: ['A', 'B', 'C'].map((name) => ({ name, stock: 20 })) });
        const buyer = await t.newBuyer();
        const lines = listing.product.options.map((opt) => ({ productId: listing.product.id, optionId: opt.id, quantity: 10 }));

        const order = await o.placeOk(buyer, lines);

        expect(order.items.map((i) => i.quantity)).to.deep.equal([10, 10, 10]);
        expect(order.totalAmount).to.equal(300_000);
      });

      it('answers 422 ORDER_LIMIT_EXCEEDED for 11 of one option, and reserves nothing', async function () {
        const listing = await o.listing({ options: [{ name: 'ONE', stock: 20 }] });
        const buyer = await t.newBuyer();

        expectProblem(await o.place(buyer, { items: [{ productId: listing.product.id, optionId: listing.option.id, quantity: 11 }] }), 422, 'ORDER_LIMIT_EXCEEDED', ORDERS);

        await expectUntouched(listing, 20);
      });

      it('answers 422 ORDER_LIMIT_EXCEEDED for 31 units in all (10 + 10 + 10 + 1), and reserves nothing', async function () {
        const listing = await o.listing({ options: ['A', 'B', 'C', 'D'].map((name) => ({ name, stock: 20 })) });
        const buyer = await t.newBuyer();
        const lines = listing.product.options.map((opt, i) => ({ productId: listing.product.id, optionId: opt.id, quantity: i === 3 ? 1 : 10 }));

        expectProblem(await o.place(buyer, { items: lines }), 422, 'ORDER_LIMIT_EXCEEDED', ORDERS);

        for (const opt of listing.product.options) expect((await o.stockOf(listing.product.id, opt.id)).reservedStock).to.equal(0);
      });

      it('answers 400 VALIDATION_FAILED for two lines of the same option (named, or one named and one left out), and reserves nothing', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const { id: productId } = listing.product;
        const optionId = listing.option.id;

        const twice = await o.place(buyer, { items: [{ productId, optionId, quantity: 1 }, { productId, optionId, quantity: 2 }] });
        const implied = await o.place(buyer, { items: [{ productId, quantity: 1 }, { productId, optionId, quantity: 2 }] });

        expectValidation(twice, ORDERS);
        expectValidation(implied, ORDERS);
        await expectUntouched(listing, 10);
      });

      const shapes: Array<[string, (productId: number, optionId: number) => unknown, RegExp]> = [
        ['items []', () => ({ items: [] }), /^items/],
        ['no items', () => ({}), /^items/],
        ['items not an array', (productId) => ({ items: { productId, quantity: 1 } }), /^items/],
        ['quantity 0', (productId, optionId) => ({ items: [{ productId, optionId, quantity: 0 }] }), /quantity/],
        ['quantity -1', (productId, optionId) => ({ items: [{ productId, optionId, quantity: -1 }] }), /quantity/],
        ['quantity 1.5', (productId, optionId) => ({ items: [{ productId, optionId, quantity: 1.5 }] }), /quantity/],
        ['quantity "1"', (productId, optionId) => ({ items: [{ productId, optionId, quantity: '1' }] }), /quantity/],
        ['quantity missing', (productId, optionId) => ({ items: [{ productId, optionId }] }), /quantity/],
        ['productId missing', (_p, optionId) => ({ items: [{ optionId, quantity: 1 }] }), /productId/],
        ['productId "abc"', (_p, optionId) => ({ items: [{ productId: 'abc', optionId, quantity: 1 }] }), /productId/],
        ['optionId 0', (productId) => ({ items: [{ productId, optionId: 0, quantity: 1 }] }), /optionId/],
        ['an unknown body field', (productId, optionId) => ({ items: [{ productId, optionId, quantity: 1 }], note: 'fast please' }), /note/],
        ['an unknown line field', (productId, optionId) => ({ items: [{ productId, optionId, quantity: 1, colour: 'red' }] }), /colour/],
        ['userCouponId "abc"', (productId, optionId) => ({ items: [{ productId, optionId, quantity: 1 }], userCouponId: 'abc' }), /userCouponId/],
      ];
      for (const [label, body, field] of shapes) {
        it(`answers 400 VALIDATION_FAILED for ${label}, and reserves nothing`, async function () {
          const listing = await o.listing();
          const buyer = await t.newBuyer();
          expectValidationMatching(await o.place(buyer, body(listing.product.id, listing.option.id)), ORDERS, field);
          await expectUntouched(listing, 10);
        });
      }

      it('answers 400 VALIDATION_FAILED for malformed JSON', async function () {
        const buyer = await t.newBuyer();
        const res = await t.api.request('POST', ORDERS, { token: buyer.token, rawBody: '{"items": [', headers: { 'content-type': 'application/json' } });
        expectProblem(res, 400, 'VALIDATION_FAILED', ORDERS);
      });

      it('answers 404 NOT_FOUND for an unknown product, an unknown option, and an option of another product; reserves nothing', async function () {
        const listing = await o.listing();
        const other = await o.listing();
        const buyer = await t.newBuyer();

        expectProblem(await o.place(buyer, { items: [{ productId: UNKNOWN_ID, quantity: 1 }] }), 404, 'NOT_FOUND', ORDERS);
        expectProblem(await o.place(buyer, { items: [{ productId: listing.product.id, optionId: UNKNOWN_ID, quantity: 1 }] }), 404, 'NOT_FOUND', ORDERS);
        expectProblem(await o.place(buyer, { items: [{ productId: listing.product.id, optionId: other.option.id, quantity: 1 }] }), 404, 'NOT_FOUND', ORDERS);
        // A good line before the unknown one is not reserved either.
        expectProblem(
          await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }, { productId: UNKNOWN_ID, quantity: 1 }] }),
          404,
          'NOT_FOUND',
          ORDERS,
        );

        await expectUntouched(listing, 10);
        await expectUntouched(other, 10);
      });

      it('answers 422 PRODUCT_UNAVAILABLE for a DISCONTINUED product, and reserves nothing', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        expect((await o.catalog.patch(listing.seller, listing.product.id, { status: 'DISCONTINUED' })).status).to.equal(200);

        expectProblem(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }] }), 422, 'PRODUCT_UNAVAILABLE', ORDERS);

        const after = await o.stockOf(listing.product.id, listing.option.id);
        expect(after.reservedStock).to.equal(0);
      });

      it('answers 409 INSUFFICIENT_STOCK naming the short line, and reserves nothing for any line', async function () {
        const plenty = await o.listing({ options: [{ name: 'PLENTY', stock: 10 }] });
        const scarce = await o.listing({ options: [{ name: 'SCARCE', stock: 2 }] });
        const buyer = await t.newBuyer();

        const res = await o.place(buyer, {
          items: [
            { productId: plenty.product.id, optionId: plenty.option.id, quantity: 5 },
            { productId: scarce.product.id, optionId: scarce.option.id, quantity: 3 },
          ],
        });

        expectProblem(res, 409, 'INSUFFICIENT_STOCK', ORDERS);
        // Worded by the use case even where the refusal comes only with the COMMIT (PostgreSQL).
        expect(res.body.detail, 'detail names the short line').to.equal(`Line 2 (${scarce.product.name} / SCARCE): only 2 available, 3 requested`);
        await expectUntouched(plenty, 10);
        await expectUntouched(scarce, 2);
        // The last units can still be had.
        await o.placeOk(buyer, [{ productId: scarce.product.id, quantity: 2 }]);
      });

      it('never oversells: 8 buyers at once for 5 units get five 201s and three 409 INSUFFICIENT_STOCK', async function () {
        const listing = await o.listing({ options: [{ name: 'LAST', stock: 5 }] });
        const buyers = await Promise.all(Array.from({ length: 8 }, () => t.newBuyer()));

        const answers = await Promise.all(buyers.map((b) => o.place(b, { items: [{ productId: listing.product.id, quantity: 1 }] })));

        const placed = answers.filter((r) => r.status === 201);
        expect(placed, 'orders placed').to.have.length(5);
        for (const r of placed) expectOrderAnswer(r, 201);
        for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'INSUFFICIENT_STOCK', ORDERS);
        expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 5, reservedStock: 5, availableStock: 0 });
      });

      for (const userCouponId of [1, UNKNOWN_ID]) {
        it(`answers 422 COUPON_NOT_APPLICABLE for userCouponId ${userCouponId} (no such coupon of the buyer's), and reserves nothing`, async function () {
          const listing = await o.listing();
          const buyer = await t.newBuyer();
          expectProblem(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }], userCouponId }), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
          await expectUntouched(listing, 10);
        });
      }

      it('answers 401 UNAUTHENTICATED without a token or with a bad one, before looking at the body', async function () {
        const listing = await o.listing();
        expectProblem(await o.place(null, { items: [{ productId: listing.product.id, quantity: 1 }] }), 401, 'UNAUTHENTICATED', ORDERS);
        expectProblem(await o.place(null, { items: [] }), 401, 'UNAUTHENTICATED', ORDERS);
        expectProblem(await o.place({ id: 0, email: '', password: '', token: 'not-a-jwt' }, { items: [{ productId: listing.product.id, quantity: 1 }] }), 401, 'UNAUTHENTICATED', ORDERS);
        await expectUntouched(listing, 10);
      });

      it('checks the shape (400) before existence (404)', async function () {
        const buyer = await t.newBuyer();
        expectValidationMatching(await o.place(buyer, { items: [{ productId: UNKNOWN_ID, quantity: 0 }] }), ORDERS, /quantity/);
      });

      it('replays the same Idempotency-Key: the same order, Idempotent-Replayed: true, one reservation, one order', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshIdempotencyKey() };
        const body = { items: [{ productId: listing.product.id, quantity: 3 }] };

        const first = await o.place(buyer, body, headers);
        const second = await o.place(buyer, body, headers);

        const order = expectOrderAnswer(first, 201);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(order);
        expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(3);
        expect((await o.listOk(buyer)).totalItems).to.equal(1);

        // The same key with another body is refused and reserves nothing more.
        expectProblem(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 4 }] }, headers), 422, 'IDEMPOTENCY_KEY_REUSED', ORDERS);
        expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(3);
      });

      it('takes a body requestId as the key', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const body = { items: [{ productId: listing.product.id, quantity: 1 }], requestId: freshIdempotencyKey() };

        const first = expectOrderAnswer(await o.place(buyer, body), 201);
        const second = await o.place(buyer, body);

        expect(second.status).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first);
        expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(1);
      });
    });

    describe('GET /api/v1/orders', function () {
      let buyer: Account;
      let other: Account;
      let created: Order;
      let confirmed: Order;
      let cancelled: Order;
      let othersOrder: Order;

      before(async function () {
        const listing = await o.listing({ price: 1_000, options: [{ name: 'ONE', stock: 30 }] });
        buyer = await o.buyerWith(10_000);
        other = await t.newBuyer();
        created = await o.order(buyer, listing, 1);
        confirmed = (await o.paidOrder(buyer, listing, 2)).order;
        cancelled = await o.order(buyer, listing, 3);
        expect((await o.cancel(buyer, cancelled.id, { reason: 'changed my mind' })).status).to.equal(200);
        othersOrder = await o.order(other, listing, 1);
      });

      it('a buyer sees their own orders only, as a page', async function () {
        const page = await o.listOk(buyer);
        expect(page).to.include({ page: 1, size: 20, totalItems: 3, totalPages: 1 });
        expect(page.items.map((i) => i.id)).to.have.members([created.id, confirmed.id, cancelled.id]);
        for (const item of page.items) expect(item.userId).to.equal(buyer.id);
        const statuses = Object.fromEntries(page.items.map((i) => [i.id, i.status]));
        expect(statuses).to.deep.equal({ [created.id]: 'CREATED', [confirmed.id]: 'CONFIRMED', [cancelled.id]: 'CANCELLED' });
        // The paid one carries its payment; the others none.
        const paid = page.items.find((i) => i.id === confirmed.id)!;
        expect(paid.payment).to.include({ orderId: confirmed.id, status: 'COMPLETED', amount: 2_000 });
        expect(page.items.find((i) => i.id === created.id)!.payment).to.equal(null);

        const others = await o.listOk(other);
        expect(others.items.map((i) => i.id)).to.deep.equal([othersOrder.id]);
      });

      it('filters by status', async function () {
        for (const [status, order] of [
          ['CREATED', created],
          ['CONFIRMED', confirmed],
          ['CANCELLED', cancelled],
        ] as const) {
          const page = await o.listOk(buyer, `?status=${status}`);
          expect(page.totalItems, status).to.equal(1);
          expect(page.items.map((i) => i.id)).to.deep.equal([order.id]);
          expect(page.items[0]!.status).to.equal(status);
        }
        expect((await o.listOk(buyer, '?status=SHIPPED')).items).to.deep.equal([]);
      });

      it('pages: ?page=2&size=2 answers the third, totalPages 2; past the end is empty', async function () {
        const first = await o.listOk(buyer, '?page=1&size=2');
        const second = await o.listOk(buyer, '?page=2&size=2');
        const third = await o.listOk(buyer, '?page=3&size=2');
        expect(first).to.include({ page: 1, size: 2, totalItems: 3, totalPages: 2 });
        expect(second).to.include({ page: 2, size: 2, totalItems: 3, totalPages: 2 });
        expect(first.items).to.have.length(2);
        expect(second.items).to.have.length(1);
        expect([...first.items, ...second.items].map((i) => i.id)).to.have.members([created.id, confirmed.id, cancelled.id]);
        expect(third.items).to.deep.equal([]);
      });

      it('an ADMIN sees everyone\'s orders', async function () {
        const seen = new Map<number, Order>();
        for (let page = 1; ; page++) {
          const res = await o.listOk(t.admin, `?page=${page}&size=100`);
          for (const item of res.items) seen.set(item.id, item);
          if (page >= res.totalPages) break;
        }
        for (const order of [created, confirmed, cancelled, othersOrder]) expect(seen.has(order.id), `order ${order.id} listed`).to.equal(true);
        expect(seen.get(othersOrder.id)!.userId).to.equal(other.id);
        const filtered = await o.listOk(t.admin, '?status=CANCELLED&size=100');
        for (const item of filtered.items) expect(item.status).to.equal('CANCELLED');
      });

      it('a SELLER sees the orders of their products (as=seller, their default): each with only their lines; their own purchases with as=buyer', async function () {
        const mine = await o.listing({ price: 3_000, options: [{ name: 'ONE', stock: 30 }] });
        const theirs = await o.listing({ price: 7_000, options: [{ name: 'ONE', stock: 30 }] });
        const customer = await o.buyerWith(50_000);
        const only = await o.order(customer, mine, 2);
        const mixed = await o.placeOk(customer, [
          { productId: theirs.product.id, optionId: theirs.option.id, quantity: 1 },
          { productId: mine.product.id, optionId: mine.option.id, quantity: 3 },
        ]);
        await o.payOk(customer, mixed.id);
        await o.order(customer, theirs, 1);
        const purchase = await o.order(mine.seller, theirs, 1);

        const page = await o.listAsSellerOk(mine.seller);
        expect(page).to.include({ page: 1, size: 20, totalItems: 2, totalPages: 1 });
        expect(page.items.map((i) => i.id)).to.deep.equal([mixed.id, only.id]);
        const [seenMixed, seenOnly] = page.items as [SellerOrder, SellerOrder];
        expect(seenMixed).to.deep.include({ status: 'CONFIRMED', userId: customer.id });
        expect(seenMixed.items).to.deep.equal([mixed.items[1]]);
        expect(seenMixed.sellerView).to.deep.equal({ sellerId: mine.seller.id, status: 'ORDERED', itemsAmount: 9_000, discountAmount: 0, finalAmount: 9_000 });
        expect(JSON.stringify(seenMixed), 'never the other seller’s price, nor the order’s total').to.not.match(/7000|16000/);
        expect(seenOnly.sellerView.itemsAmount).to.equal(6_000);

        expect(await o.listAsSellerOk(mine.seller, '?as=seller')).to.deep.equal(page);
        expect((await o.listAsSellerOk(mine.seller, '?status=CONFIRMED')).items.map((i) => i.id)).to.deep.equal([mixed.id]);
        expect((await o.listAsSellerOk(mine.seller, '?page=2&size=1')).items.map((i) => i.id)).to.deep.equal([only.id]);
        const bought = await o.listOk(mine.seller, '?as=buyer');
        expect(bought.items.map((i) => i.id)).to.deep.equal([purchase.id]);
        expect(bought.items[0]).to.deep.equal(purchase);
        // The other seller sees the same mixed order with only their line.
        const other = await o.listAsSellerOk(theirs.seller);
        expect(other.items.find((i) => i.id === mixed.id)!.items).to.deep.equal([mixed.items[0]]);
      });

      it('an ADMIN narrows the list with as=buyer (own purchases) and as=seller (orders of their own products); as=all is everyone\'s', async function () {
        expect((await o.listOk(t.admin, '?as=buyer&size=100')).items.every((i) => i.userId === t.admin.id)).to.equal(true);
        const adminsOwn = await o.listing({ seller: t.admin, price: 2_000 });
        const sold = await o.order(buyer, adminsOwn, 1);
        const asSeller = expectSellerOrderPage(await o.list(t.admin, '?as=seller'), t.admin.id);
        expect(asSeller.items.map((i) => i.id)).to.deep.equal([sold.id]);
        // Everyone's orders, on a database other suites share (some place orders on days ahead):
        // newest first, the order just placed among or after the newest.
        const all = await o.listOk(t.admin, '?as=all&size=100');
        const times = all.items.map((i) => Date.parse(i.createdAt));
        expect(times).to.deep.equal([...times].sort((a, b) => b - a));
        expect(times[0]).to.be.at.least(Date.parse(sold.createdAt));
        expect(all.totalItems).to.be.at.least(asSeller.totalItems);
      });

      it('answers 403 FORBIDDEN for as=all to a SELLER or a BUYER, and for as=seller to a BUYER', async function () {
        const seller = await t.newAccount('SELLER');
        expectProblem(await o.list(seller, '?as=all'), 403, 'FORBIDDEN', ORDERS);
        expectProblem(await o.list(buyer, '?as=all'), 403, 'FORBIDDEN', ORDERS);
        expectProblem(await o.list(buyer, '?as=seller'), 403, 'FORBIDDEN', ORDERS);
      });

      for (const [query, field] of [
        ['?status=LOST', 'status'],
        ['?as=everyone', 'as'],
        ['?as=SELLER', 'as'],
        ['?size=0', 'size'],
        ['?size=101', 'size'],
        ['?page=0', 'page'],
        ['?page=abc', 'page'],
      ] as const) {
        it(`answers 400 VALIDATION_FAILED naming ${field} for ${query}`, async function () {
          expectValidation(await o.list(buyer, query), ORDERS, field);
        });
      }

      it('answers 401 without a token', async function () {
        expectProblem(await o.list(null), 401, 'UNAUTHENTICATED', ORDERS);
      });
    });

    describe('GET /api/v1/orders/{orderId}', function () {
      let a: Listing;
      let b: Listing;
      let buyer: Account;
      let order: Order;

      before(async function () {
        a = await o.listing();
        b = await o.listing();
        buyer = await o.buyerWith(50_000);
        order = await o.placeOk(buyer, [
          { productId: a.product.id, quantity: 1 },
          { productId: b.product.id, quantity: 1 },
        ]);
      });

      it('answers the whole order to its buyer and an ADMIN, and to the seller of either item only their line and what it comes to', async function () {
        for (const who of [buyer, t.admin]) {
          expect(await o.getOk(who, order.id)).to.deep.equal(order);
        }
        for (const [listing, index] of [
          [a, 0],
          [b, 1],
        ] as const) {
          const seen = await o.getAsSellerOk(listing.seller, order.id);
          const line = order.items[index]!;
          expect(seen).to.deep.equal({
            id: order.id,
            userId: buyer.id,
            status: 'CREATED',
            items: [line],
            sellerView: { sellerId: listing.seller.id, status: 'ORDERED', itemsAmount: line.amount, discountAmount: 0, finalAmount: line.amount },
            shippingAddress: order.shippingAddress,
            cancelReason: null,
            createdAt: order.createdAt,
            updatedAt: order.updatedAt,
          });
        }
      });

      it('a SELLER who bought their own product is its buyer: the whole order', async function () {
        const own = await o.order(a.seller, a);
        expect(await o.getOk(a.seller, own.id)).to.deep.equal(own);
      });

      it('answers 403 FORBIDDEN to another buyer and to a seller of none of its items', async function () {
        const path = orderPath(order.id);
        expectProblem(await o.get(await t.newBuyer(), order.id), 403, 'FORBIDDEN', path);
        expectProblem(await o.get(await t.newAccount('SELLER'), order.id), 403, 'FORBIDDEN', path);
      });

      it('answers 404 NOT_FOUND for an unknown order, 400 for a malformed id, 401 without a token', async function () {
        expectProblem(await o.get(buyer, UNKNOWN_ID), 404, 'NOT_FOUND', orderPath(UNKNOWN_ID));
        expectProblem(await o.get(t.admin, UNKNOWN_ID), 404, 'NOT_FOUND', orderPath(UNKNOWN_ID));
        expectValidation(await o.get(buyer, 'abc'), orderPath('abc'), 'orderId');
        expectValidation(await o.get(buyer, 0), orderPath(0), 'orderId');
        expectProblem(await o.get(null, order.id), 401, 'UNAUTHENTICATED', orderPath(order.id));
      });

      it('shows payment null until the order is paid, then the payment', async function () {
        const listing = await o.listing({ price: 4_000 });
        const payer = await o.buyerWith(10_000);
        const placed = await o.order(payer, listing, 2);
        expect((await o.getOk(payer, placed.id)).payment).to.equal(null);

        const payment = await o.payOk(payer, placed.id);

        const paid = await o.getOk(payer, placed.id);
        expect(paid.status).to.equal('CONFIRMED');
        expect(paid.payment).to.deep.equal(payment);
        expect(paid.payment).to.include({ orderId: placed.id, amount: 8_000, status: 'COMPLETED', failureReason: null });
        // The seller is not shown the payment: its amount is the whole order's.
        expect(await o.getAsSellerOk(listing.seller, placed.id)).to.not.have.property('payment');
      });
    });

    describe('PUT /api/v1/orders/{orderId}/cancel', function () {
      it('cancels a CREATED order: 200 CANCELLED with the given reason, stock released', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 4);

        const cancelled = expectOrderAnswer(await o.cancel(buyer, order.id, { reason: 'found it cheaper' }), 200);

        expect(cancelled).to.include({ id: order.id, status: 'CANCELLED', cancelReason: 'found it cheaper', payment: null });
        expect(cancelled.items).to.deep.equal(order.items);
        await expectUntouched(listing, 10);
        expect(await o.getOk(buyer, order.id)).to.deep.equal(cancelled);
      });

      it('gives a default cancelReason when none is given', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 1);

        const cancelled = expectOrderAnswer(await o.cancel(buyer, order.id), 200);

        expect(cancelled.status).to.equal('CANCELLED');
        expect(cancelled.cancelReason).to.be.a('string').that.is.not.empty;
        await expectUntouched(listing, 10);
      });

      it('trims the reason before keeping it: " damaged " is kept as "damaged" (issue 11: the old document said 400)', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 1);

        const cancelled = expectOrderAnswer(await o.cancel(buyer, order.id, { reason: ' damaged ' }), 200);

        expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'damaged' });
        expect((await o.getOk(buyer, order.id)).cancelReason).to.equal('damaged');
      });

      for (const [label, reason] of [
        ['blank', '   '],
        ['empty', ''],
        ['over 500 characters', 'r'.repeat(501)],
        ['not text', 42],
      ] as const) {
        it(`answers 400 VALIDATION_FAILED naming reason for a ${label} one, and the order stays CREATED`, async function () {
          const listing = await o.listing();
          const buyer = await t.newBuyer();
          const order = await o.order(buyer, listing, 1);

          expectValidation(await o.cancel(buyer, order.id, { reason }), cancelPath(order.id), 'reason');

          expect((await o.getOk(buyer, order.id)).status).to.equal('CREATED');
        });
      }

      it('takes a request with no body at all (the document says the body may be left out)', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 1);

        const res = await t.api.request('PUT', cancelPath(order.id), { token: buyer.token });

        expect(expectOrderAnswer(res, 200).status).to.equal('CANCELLED');
      });

      it('refunds a CONFIRMED order and then cancels it: balance back (REFUND in the history), stock back', async function () {
        const listing = await o.listing({ price: 5_000 });
        const buyer = await o.buyerWith(20_000);
        const { order } = await o.paidOrder(buyer, listing, 2);
        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 8, reservedStock: 0, availableStock: 8 });

        const cancelled = expectOrderAnswer(await o.cancel(buyer, order.id, { reason: 'no longer needed' }), 200);

        expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'no longer needed' });
        expect(await o.balanceOf(buyer)).to.equal(20_000);
        const [latest] = await o.historyOf(buyer);
        expect(latest).to.include({ type: 'REFUND', amount: 10_000, balanceAfter: 20_000, orderId: order.id });
        await expectUntouched(listing, 10);
        // It was refunded: a refund now is refused, and nothing moves.
        expectProblem(await o.refund(buyer, { orderId: order.id }), 409, 'INVALID_STATE', '/api/v1/refunds');
        expect(await o.balanceOf(buyer)).to.equal(20_000);
      });

      it('refunds a PREPARING order and then cancels it', async function () {
        const listing = await o.listing({ price: 5_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 1);
        await o.fulfilOk(listing.seller, order.id, 'PREPARING');

        expect(expectOrderAnswer(await o.cancel(buyer, order.id), 200).status).to.equal('CANCELLED');

        expect(await o.balanceOf(buyer)).to.equal(10_000);
        await expectUntouched(listing, 10);
      });

      it('answers 409 INVALID_STATE for a SHIPPED order, and for one already CANCELLED', async function () {
        const listing = await o.listing();
        const buyer = await o.buyerWith(20_000);
        const { order } = await o.paidOrder(buyer, listing, 1);
        await o.fulfilOk(listing.seller, order.id, 'PREPARING');
        await o.fulfilOk(listing.seller, order.id, 'SHIPPED');

        expectProblem(await o.cancel(buyer, order.id), 409, 'INVALID_STATE', cancelPath(order.id));
        // Permission before the state: someone else is refused for who they are.
        expectProblem(await o.cancel(await t.newBuyer(), order.id), 403, 'FORBIDDEN', cancelPath(order.id));
        expect((await o.getOk(buyer, order.id)).status).to.equal('SHIPPED');
        expect(await o.balanceOf(buyer)).to.equal(10_000);

        const other = await o.order(buyer, listing, 1);
        expect((await o.cancel(buyer, other.id)).status).to.equal(200);
        expectProblem(await o.cancel(buyer, other.id), 409, 'INVALID_STATE', cancelPath(other.id));
      });

      it('answers 403 FORBIDDEN to another buyer and to the seller, and leaves the order alone', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 2);

        expectProblem(await o.cancel(await t.newBuyer(), order.id), 403, 'FORBIDDEN', cancelPath(order.id));
        expectProblem(await o.cancel(listing.seller, order.id), 403, 'FORBIDDEN', cancelPath(order.id));

        expect((await o.getOk(buyer, order.id)).status).to.equal('CREATED');
        expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(2);
      });

      it('lets an ADMIN cancel a buyer\'s order', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 2);

        const cancelled = expectOrderAnswer(await o.cancel(t.admin, order.id, { reason: 'fraud check' }), 200);

        expect(cancelled).to.include({ status: 'CANCELLED', cancelReason: 'fraud check', userId: buyer.id });
        await expectUntouched(listing, 10);
      });

      it('answers 404 for an unknown order, 400 for a malformed id or an unknown body field, 401 without a token', async function () {
        const buyer = await t.newBuyer();
        expectProblem(await o.cancel(buyer, UNKNOWN_ID), 404, 'NOT_FOUND', cancelPath(UNKNOWN_ID));
        expectValidation(await o.cancel(buyer, 'abc'), cancelPath('abc'), 'orderId');
        const listing = await o.listing();
        const order = await o.order(buyer, listing, 1);
        expectValidation(await o.cancel(buyer, order.id, { why: 'x' }), cancelPath(order.id), 'why');
        expectProblem(await o.cancel(null, order.id), 401, 'UNAUTHENTICATED', cancelPath(order.id));
        expect((await o.getOk(buyer, order.id)).status).to.equal('CREATED');
      });

      it('replays the same Idempotency-Key: the same answer with Idempotent-Replayed: true', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const order = await o.order(buyer, listing, 1);
        const headers = { 'Idempotency-Key': freshIdempotencyKey('cancel') };

        const first = await o.cancel(buyer, order.id, { reason: 'oops' }, headers);
        const second = await o.cancel(buyer, order.id, { reason: 'oops' }, headers);

        expectOrderAnswer(first, 200);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(200);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
        await expectUntouched(listing, 10);
      });
    });

    describe('POST /api/v1/orders/{orderId}/fulfillment and /complete', function () {
      let listing: Listing;
      let buyer: Account;

      before(async function () {
        listing = await o.listing({ price: 1_000, options: [{ name: 'ONE', stock: 50 }] });
        buyer = await o.buyerWith(100_000);
      });

      it('the product\'s SELLER moves it PREPARING → SHIPPED → DELIVERED, answered their view of it; the buyer sees each line\'s status and completes it', async function () {
        const { order, payment } = await o.paidOrder(buyer, listing);

        const preparing = await o.fulfilOk(listing.seller, order.id, 'PREPARING');
        expect(preparing).to.deep.include({ id: order.id, items: [{ ...order.items[0], status: 'PREPARING' }] });
        expect((preparing as SellerOrder).sellerView).to.deep.equal({ sellerId: listing.seller.id, status: 'PREPARING', itemsAmount: 1_000, discountAmount: 0, finalAmount: 1_000 });
        const seen = await o.getOk(buyer, order.id);
        expect(seen).to.deep.include({ status: 'PREPARING', payment });
        expect(seen.items.map((i) => i.status)).to.deep.equal(['PREPARING']);
        await o.fulfilOk(listing.seller, order.id, 'SHIPPED');
        await o.fulfilOk(listing.seller, order.id, 'DELIVERED');

        const completed = expectOrderAnswer(await o.complete(buyer, order.id), 200);
        expect(completed).to.include({ id: order.id, status: 'COMPLETED' });
        expect(completed.items.map((i) => i.status)).to.deep.equal(['DELIVERED']);
        expect(await o.getOk(buyer, order.id)).to.deep.equal(completed);
      });

      it('refuses skipping a step, going back, repeating one, or fulfilling an unpaid order: 409 INVALID_STATE', async function () {
        const { order } = await o.paidOrder(buyer, listing);
        const path = fulfilmentPath(order.id);

        expectProblem(await o.fulfil(listing.seller, order.id, { status: 'SHIPPED' }), 409, 'INVALID_STATE', path);
        expectProblem(await o.fulfil(listing.seller, order.id, { status: 'DELIVERED' }), 409, 'INVALID_STATE', path);
        await o.fulfilOk(listing.seller, order.id, 'PREPARING');
        expectProblem(await o.fulfil(listing.seller, order.id, { status: 'PREPARING' }), 409, 'INVALID_STATE', path);
        expectProblem(await o.fulfil(listing.seller, order.id, { status: 'DELIVERED' }), 409, 'INVALID_STATE', path);
        await o.fulfilOk(listing.seller, order.id, 'SHIPPED');
        expectProblem(await o.fulfil(listing.seller, order.id, { status: 'PREPARING' }), 409, 'INVALID_STATE', path);
        await o.fulfilOk(listing.seller, order.id, 'DELIVERED');
        expectProblem(await o.fulfil(listing.seller, order.id, { status: 'SHIPPED' }), 409, 'INVALID_STATE', path);
        expect((await o.getOk(buyer, order.id)).status).to.equal('DELIVERED');

        const unpaid = await o.order(buyer, listing);
        expectProblem(await o.fulfil(listing.seller, unpaid.id, { status: 'PREPARING' }), 409, 'INVALID_STATE', fulfilmentPath(unpaid.id));
        expect((await o.getOk(buyer, unpaid.id)).status).to.equal('CREATED');
      });

      it('answers 403 FORBIDDEN to another seller and to a BUYER (its own buyer included)', async function () {
        const { order } = await o.paidOrder(buyer, listing);
        const path = fulfilmentPath(order.id);

        expectProblem(await o.fulfil(await t.newAccount('SELLER'), order.id, { status: 'PREPARING' }), 403, 'FORBIDDEN', path);
        expectProblem(await o.fulfil(buyer, order.id, { status: 'PREPARING' }), 403, 'FORBIDDEN', path);
        expectProblem(await o.fulfil(await t.newBuyer(), order.id, { status: 'PREPARING' }), 403, 'FORBIDDEN', path);
        // A BUYER may fulfil nothing: the role decides before the order is looked up.
        expectProblem(await o.fulfil(buyer, UNKNOWN_ID, { status: 'PREPARING' }), 403, 'FORBIDDEN', fulfilmentPath(UNKNOWN_ID));
        expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');
      });

      describe('an order with lines of two sellers', function () {
        let other: Listing;
        let mixed: Order;
        beforeEach(async function () {
          other = await o.listing({ price: 2_000, options: [{ name: 'ONE', stock: 50 }] });
          mixed = await o.placeOk(buyer, [
            { productId: listing.product.id, optionId: listing.option.id, quantity: 1 },
            { productId: other.product.id, optionId: other.option.id, quantity: 2 },
          ]);
          await o.payOk(buyer, mixed.id);
        });
        const lineStatuses = async () => (await o.getOk(buyer, mixed.id)).items.map((i) => i.status);

        it('each seller moves their own lines: the order is PREPARING until both shipped, SHIPPED until both delivered, then DELIVERED; the buyer completes it', async function () {
          const first = (await o.fulfilOk(listing.seller, mixed.id, 'PREPARING')) as SellerOrder;
          expect(first.items.map((i) => [i.productId, i.status])).to.deep.equal([[listing.product.id, 'PREPARING']]);
          expect(await lineStatuses()).to.deep.equal(['PREPARING', 'ORDERED']);
          await o.fulfilOk(listing.seller, mixed.id, 'SHIPPED', { orderStatus: 'PREPARING' });
          await o.fulfilOk(listing.seller, mixed.id, 'DELIVERED', { orderStatus: 'PREPARING' });
          await o.fulfilOk(other.seller, mixed.id, 'PREPARING');
          const shipped = (await o.fulfilOk(other.seller, mixed.id, 'SHIPPED')) as SellerOrder;
          expect(shipped.sellerView).to.deep.equal({ sellerId: other.seller.id, status: 'SHIPPED', itemsAmount: 4_000, discountAmount: 0, finalAmount: 4_000 });
          expect(await lineStatuses()).to.deep.equal(['DELIVERED', 'SHIPPED']);
          expectProblem(await o.complete(buyer, mixed.id), 409, 'INVALID_STATE', completePath(mixed.id));
          await o.fulfilOk(other.seller, mixed.id, 'DELIVERED');
          expect((expectOrderAnswer(await o.complete(buyer, mixed.id), 200)).status).to.equal('COMPLETED');
        });

        it('a seller may not skip, repeat or go back, whatever the other did (409), nor name another seller (403); nothing moves', async function () {
          const path = fulfilmentPath(mixed.id);
          await o.fulfilOk(listing.seller, mixed.id, 'PREPARING');
          await o.fulfilOk(listing.seller, mixed.id, 'SHIPPED', { orderStatus: 'PREPARING' });
          expectProblem(await o.fulfil(other.seller, mixed.id, { status: 'SHIPPED' }), 409, 'INVALID_STATE', path);
          expectProblem(await o.fulfil(other.seller, mixed.id, { status: 'DELIVERED' }), 409, 'INVALID_STATE', path);
          expectProblem(await o.fulfil(listing.seller, mixed.id, { status: 'SHIPPED' }), 409, 'INVALID_STATE', path);
          expectProblem(await o.fulfil(listing.seller, mixed.id, { status: 'PREPARING' }), 409, 'INVALID_STATE', path);
          expectProblem(await o.fulfil(other.seller, mixed.id, { status: 'PREPARING', sellerId: listing.seller.id }), 403, 'FORBIDDEN', path);
          expect(await lineStatuses()).to.deep.equal(['SHIPPED', 'ORDERED']);
          // Naming themselves is allowed.
          await o.fulfilOk(other.seller, mixed.id, 'PREPARING', { sellerId: other.seller.id });
        });

        it('an ADMIN moves one seller\'s lines with sellerId (404 for a seller with none in the order), or every line right before the step', async function () {
          const path = fulfilmentPath(mixed.id);
          const one = (await o.fulfilOk(t.admin, mixed.id, 'PREPARING', { sellerId: other.seller.id })) as Order;
          expect(one.items.map((i) => i.status)).to.deep.equal(['ORDERED', 'PREPARING']);
          expect(one.totalAmount).to.equal(5_000);
          expectProblem(await o.fulfil(t.admin, mixed.id, { status: 'PREPARING', sellerId: (await t.newAccount('SELLER')).id }), 404, 'NOT_FOUND', path);
          // Every line to SHIPPED would skip PREPARING for the ORDERED one.
          expectProblem(await o.fulfil(t.admin, mixed.id, { status: 'SHIPPED' }), 409, 'INVALID_STATE', path);
          await o.fulfilOk(t.admin, mixed.id, 'PREPARING');
          const shipped = (await o.fulfilOk(t.admin, mixed.id, 'SHIPPED')) as Order;
          expect(shipped.items.map((i) => i.status)).to.deep.equal(['SHIPPED', 'SHIPPED']);
        });

        it('a refund (or a cancel) works while nothing shipped; once one seller shipped it is 409, though the order is still PREPARING', async function () {
          await o.fulfilOk(listing.seller, mixed.id, 'PREPARING');
          await o.fulfilOk(listing.seller, mixed.id, 'SHIPPED', { orderStatus: 'PREPARING' });
          expectProblem(await o.refund(buyer, { orderId: mixed.id }), 409, 'INVALID_STATE', REFUNDS);
          expectProblem(await o.cancel(buyer, mixed.id), 409, 'INVALID_STATE', cancelPath(mixed.id));
          expect((await o.getOk(buyer, mixed.id)).status).to.equal('PREPARING');

          const another = await o.placeOk(buyer, [
            { productId: listing.product.id, optionId: listing.option.id, quantity: 1 },
            { productId: other.product.id, optionId: other.option.id, quantity: 1 },
          ]);
          await o.payOk(buyer, another.id);
          await o.fulfilOk(other.seller, another.id, 'PREPARING');
          expect((await o.refund(buyer, { orderId: another.id })).status).to.equal(201);
          expect((await o.getOk(buyer, another.id)).status).to.equal('CANCELLED');
        });
      });

      it('lets an ADMIN move it along', async function () {
        const { order } = await o.paidOrder(buyer, listing);
        await o.fulfilOk(t.admin, order.id, 'PREPARING');
        await o.fulfilOk(t.admin, order.id, 'SHIPPED');
        await o.fulfilOk(t.admin, order.id, 'DELIVERED');
      });

      for (const body of [{ status: 'PACKED' }, { status: 'COMPLETED' }, { status: 'preparing' }, {}, { status: 'PREPARING', note: 'x' }]) {
        it(`answers 400 VALIDATION_FAILED for the body ${JSON.stringify(body)}`, async function () {
          const { order } = await o.paidOrder(buyer, listing);
          expectValidation(await o.fulfil(listing.seller, order.id, body), fulfilmentPath(order.id));
          expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');
        });
      }

      it('answers 404 for an unknown order (seller, ADMIN), 400 for a malformed id, 401 without a token', async function () {
        expectProblem(await o.fulfil(listing.seller, UNKNOWN_ID, { status: 'PREPARING' }), 404, 'NOT_FOUND', fulfilmentPath(UNKNOWN_ID));
        expectProblem(await o.fulfil(t.admin, UNKNOWN_ID, { status: 'PREPARING' }), 404, 'NOT_FOUND', fulfilmentPath(UNKNOWN_ID));
        expectValidation(await o.fulfil(listing.seller, 'abc', { status: 'PREPARING' }), fulfilmentPath('abc'), 'orderId');
        expectProblem(await o.fulfil(null, 1, { status: 'PREPARING' }), 401, 'UNAUTHENTICATED', fulfilmentPath(1));
      });

      it('complete: 409 INVALID_STATE before DELIVERED (CREATED, CONFIRMED, SHIPPED) and once COMPLETED', async function () {
        const unpaid = await o.order(buyer, listing);
        expectProblem(await o.complete(buyer, unpaid.id), 409, 'INVALID_STATE', completePath(unpaid.id));

        const { order } = await o.paidOrder(buyer, listing);
        const path = completePath(order.id);
        expectProblem(await o.complete(buyer, order.id), 409, 'INVALID_STATE', path);
        await o.fulfilOk(listing.seller, order.id, 'PREPARING');
        await o.fulfilOk(listing.seller, order.id, 'SHIPPED');
        expectProblem(await o.complete(buyer, order.id), 409, 'INVALID_STATE', path);
        expect((await o.getOk(buyer, order.id)).status).to.equal('SHIPPED');
        await o.fulfilOk(listing.seller, order.id, 'DELIVERED');
        expect((await o.complete(buyer, order.id)).status).to.equal(200);
        expectProblem(await o.complete(buyer, order.id), 409, 'INVALID_STATE', path);
      });

      it('complete: 403 FORBIDDEN to anyone but the buyer (another buyer, the seller, an ADMIN); 404 unknown; 401 without a token', async function () {
        const { order } = await o.paidOrder(buyer, listing);
        await o.fulfilOk(listing.seller, order.id, 'PREPARING');
        await o.fulfilOk(listing.seller, order.id, 'SHIPPED');
        await o.fulfilOk(listing.seller, order.id, 'DELIVERED');
        const path = completePath(order.id);

        expectProblem(await o.complete(await t.newBuyer(), order.id), 403, 'FORBIDDEN', path);
        expectProblem(await o.complete(listing.seller, order.id), 403, 'FORBIDDEN', path);
        expectProblem(await o.complete(t.admin, order.id), 403, 'FORBIDDEN', path);
        expect((await o.getOk(buyer, order.id)).status).to.equal('DELIVERED');
        expectProblem(await o.complete(buyer, UNKNOWN_ID), 404, 'NOT_FOUND', completePath(UNKNOWN_ID));
        expectProblem(await o.complete(null, order.id), 401, 'UNAUTHENTICATED', path);
      });
    });
  });

  describe(`e2e: order rate limit (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence, env: { RATE_LIMIT_ORDERS_PER_SECOND: '1' } });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    /** Waits for the start of a wall-clock second, so two requests surely land in the same one. */
    const startOfASecond = async () => {
      const ms = Date.now() % 1000;
      if (ms > 200) await sleep(1000 - ms + 10);
    };

    it('RATE_LIMIT_ORDERS_PER_SECOND=1: a second order in the same second is 429 RATE_LIMITED with Retry-After, and reserves nothing', async function () {
      const listing = await o.listing();
      const buyer = await t.newBuyer();
      const other = await t.newBuyer();
      const body = { items: [{ productId: listing.product.id, quantity: 1 }] };

      await startOfASecond();
      const first = await o.place(buyer, body);
      const second = await o.place(buyer, body);
      // Someone else is not held up by it.
      const others = await o.place(other, body);

      expectOrderAnswer(first, 201);
      expectProblem(second, 429, 'RATE_LIMITED', ORDERS);
      retryAfterOf(second);
      expectOrderAnswer(others, 201);
      expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(2);
      expect((await o.listOk(buyer)).totalItems).to.equal(1);

      // A moment later it goes through.
      await sleep(1_100);
      expectOrderAnswer(await o.place(buyer, body), 201);
    });

    it('replaying an order\'s Idempotency-Key in the same second answers the first order again (DOMAIN.md "Duplicate requests"), not 429', async function () {
      const listing = await o.listing();
      const buyer = await t.newBuyer();
      const body = { items: [{ productId: listing.product.id, quantity: 1 }] };
      const headers = { 'Idempotency-Key': freshIdempotencyKey('rate') };

      await startOfASecond();
      const first = await o.place(buyer, body, headers);
      const replay = await o.place(buyer, body, headers);

      const order = expectOrderAnswer(first, 201);
      expect(replay.status, `replay answered ${replay.status} ${JSON.stringify(replay.body)}`).to.equal(201);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(order);
      expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(1);
    });
  });

  describe(`e2e: unpaid-order cap, MAX_UNPAID_ORDERS_PER_USER=2 (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence, env: { MAX_UNPAID_ORDERS_PER_USER: '2', ORDER_RESERVATION_TTL_SECONDS: String(TTL_SECONDS) } });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('a buyer with no balance places 2 orders; the 3rd is 429 RATE_LIMITED with Retry-After (until the first reservation runs out) and a detail saying why, reserving nothing; after a cancel one more goes through', async function () {
      const listing = await o.listing();
      const buyer = await t.newBuyer();
      const body = { items: [{ productId: listing.product.id, quantity: 1 }] };

      const first = expectOrderAnswer(await o.place(buyer, body), 201);
      expectOrderAnswer(await o.place(buyer, body), 201);
      const third = await o.place(buyer, body, { 'Idempotency-Key': freshIdempotencyKey('unpaid') });

      expectProblem(third, 429, 'RATE_LIMITED', ORDERS);
      expect(third.body.detail).to.equal('You have 2 unpaid orders (at most 2); pay or cancel one before placing another');
      expect(retryAfterOf(third)).to.be.at.most(TTL_SECONDS);
      expect((await o.stockOf(listing.product.id, listing.option.id)).reservedStock).to.equal(2);
      // Another buyer is not held back.
      expectOrderAnswer(await o.place(await t.newBuyer(), body), 201);

      expectOrderAnswer(await o.cancel(buyer, first.id), 200);
      expectOrderAnswer(await o.place(buyer, body), 201);
      expectProblem(await o.place(buyer, body), 429, 'RATE_LIMITED', ORDERS);
      expect((await o.listOk(buyer)).totalItems).to.equal(3);
    });
  });
}

type Schema = Record<string, any>;
const documented = openApiDocument as unknown as { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };

describe('e2e: orders in the OpenAPI document (issue 11: declared with their routes)', function () {
  it('lists every order, payment and refund operation under its old operationId and tag', function () {
    const expected: Array<[string, string, string, string]> = [
      ['post', '/api/v1/orders', 'placeOrder', 'Orders'],
      ['get', '/api/v1/orders', 'listOrders', 'Orders'],
      ['get', '/api/v1/orders/{orderId}', 'getOrder', 'Orders'],
      ['put', '/api/v1/orders/{orderId}/cancel', 'cancelOrder', 'Orders'],
      ['post', '/api/v1/orders/{orderId}/fulfillment', 'advanceFulfillment', 'Orders'],
      ['post', '/api/v1/orders/{orderId}/complete', 'completeOrder', 'Orders'],
      ['post', '/api/v1/payments/process', 'payOrder', 'Payments'],
      ['post', '/api/v1/payments/confirm', 'confirmPayment', 'Payments'],
      ['get', '/api/v1/payments/{paymentId}', 'getPayment', 'Payments'],
      ['get', '/api/v1/payments/{paymentId}/recovery', 'getPaymentRecovery', 'Payments'],
      ['post', '/api/v1/refunds', 'refundOrder', 'Refunds'],
    ];
    for (const [method, path, operationId, tag] of expected) {
      const operation = documented.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path}`).to.include({ operationId });
      expect(operation!['tags']).to.deep.equal([tag]);
    }
  });

  it('says a cancel reason is trimmed, must not be blank and is at most 500 characters', function () {
    const reason = documented.components.schemas['CancelOrderRequest']!['properties']['reason'];
    expect(reason).to.include({ type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' });
    expect(reason['description']).to.match(/trimmed/).and.to.match(/must not be blank/).and.to.match(/at most 500 characters/);
  });

  it('says the bodies of cancel and complete may be left out, and the others not', function () {
    const bodyRequired = (method: string, path: string) => documented.paths[path]![method]!['requestBody']['required'];
    expect(bodyRequired('put', '/api/v1/orders/{orderId}/cancel')).to.equal(false);
    expect(bodyRequired('post', '/api/v1/orders/{orderId}/complete')).to.equal(false);
    expect(bodyRequired('post', '/api/v1/orders')).to.equal(true);
    expect(bodyRequired('post', '/api/v1/orders/{orderId}/fulfillment')).to.equal(true);
  });

  it('gives placing an order a body example without a requestId or a coupon the caller may not hold', function () {
    const example = documented.paths['/api/v1/orders']!['post']!['requestBody']['content']['application/json']['example'];
    expect(example).to.have.property('items').that.is.an('array').that.is.not.empty;
    expect(example).not.to.have.any.keys('requestId', 'userCouponId');
  });
});
