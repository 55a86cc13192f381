import { expect } from 'chai';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import type { ManualClock } from '../support/clock.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { CouponClient } from './coupons-support.js';
import {
  E2E_ADDRESS,
  expectOrderAnswer,
  expectRefundAnswer,
  freshIdempotencyKey,
  type Listing,
  type Order,
  OrderingClient,
  ORDERS,
  REFUNDS,
  UNKNOWN_ID,
} from './orders-support.js';
import { expectProblem, expectValidation } from './problem.js';
import { expectProductAnswer } from './products-support.js';
import { DAY_MS, dayOf, expectSales, salesClock, salesOf } from './sales-support.js';

/**
 * Issue 12: a shipping address on orders (digital products need none), refunds listed on the
 * order and readable alone, payments that say they were refunded, and partial refunds by line.
 */
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: shipping addresses and digital products (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    const line = (listing: Listing, quantity = 1) => ({ productId: listing.product.id, optionId: listing.option.id, quantity });
    /** Posts exactly this body: no address is added. */
    const placeBare = (who: Account, body: unknown) => t.api.post(ORDERS, body, { token: who.token });

    describe('products: digital', function () {
      it('a product is physical unless listed digital; PATCH turns it either way; the view always says which', async function () {
        const seller = await t.newAccount('SELLER');
        const physical = await o.catalog.createOk(seller, { name: 'Mug', category: 'kitchen', price: 5_000, options: [{ name: 'ONE', stock: 1 }] });
        expect(physical.digital).to.equal(false);
        const digital = (await o.listing({ seller, digital: true })).product;
        expect(digital.digital).to.equal(true);
        expect((await o.catalog.getOk(digital.id)).digital).to.equal(true);

        const patched = expectProductAnswer(await t.api.request('PATCH', `/api/v1/products/${physical.id}`, { token: seller.token, body: { digital: true } }), 200);
        expect(patched.digital).to.equal(true);
        expect((await o.catalog.getOk(physical.id)).digital).to.equal(true);
        const back = expectProductAnswer(await t.api.request('PATCH', `/api/v1/products/${physical.id}`, { token: seller.token, body: { digital: false } }), 200);
        expect(back.digital).to.equal(false);
      });

      it('400 naming digital when it is not a boolean, on POST and PATCH', async function () {
        const seller = await t.newAccount('SELLER');
        const body = { name: 'Key', category: 'software', price: 5_000, digital: 'yes', options: [{ name: 'ONE', stock: 1 }] };
        expectValidation(await t.api.post('/api/v1/products', body, { token: seller.token }), '/api/v1/products', 'digital');
        const { product } = await o.listing({ seller });
        const path = `/api/v1/products/${product.id}`;
        expectValidation(await t.api.request('PATCH', path, { token: seller.token, body: { digital: 1 } }), path, 'digital');
      });
    });

    describe('POST /api/v1/orders: shippingAddress', function () {
      it('keeps the address trimmed (line2 null when left out) and shows it to the buyer, the seller and an ADMIN', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        const given = { recipient: '  Kim Minji ', phone: ' +82 10-1234-5678 ', postalCode: ' 06236', line1: ' 123 Teheran-ro, Gangnam-gu ' };

        const order = expectOrderAnswer(await placeBare(buyer, { items: [line(listing)], shippingAddress: given }), 201);

        const kept = { recipient: 'Kim Minji', phone: '+82 10-1234-5678', postalCode: '06236', line1: '123 Teheran-ro, Gangnam-gu', line2: null };
        expect(order.shippingAddress).to.deep.equal(kept);
        for (const who of [buyer, t.admin]) expect((await o.getOk(who, order.id)).shippingAddress).to.deep.equal(kept);
        // The seller sees their lines only, and where to ship them.
        expect((await o.getAsSellerOk(listing.seller, order.id)).shippingAddress).to.deep.equal(kept);
        expectProblem(await o.get(await t.newBuyer(), order.id), 403, 'FORBIDDEN', `${ORDERS}/${order.id}`);
        const listed = (await o.listOk(buyer)).items.find((x) => x.id === order.id);
        expect(listed?.shippingAddress).to.deep.equal(kept);
      });

      it('400 VALIDATION_FAILED naming shippingAddress when a line is physical and none is given; nothing reserved', async function () {
        const physical = await o.listing();
        const digital = await o.listing({ digital: true });
        const buyer = await t.newBuyer();

        for (const items of [[line(physical)], [line(digital), line(physical, 2)]]) {
          const res = await placeBare(buyer, { items });
          expectValidation(res, ORDERS, 'shippingAddress');
          expect(res.body.errors[0].message).to.match(/^is required: line \d \(product \d+\) is a physical product/);
        }
        expect(await o.stockOf(physical.product.id, physical.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
        expect(await o.stockOf(digital.product.id, digital.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
      });

      it('an order of digital products only needs no address (null), and keeps one given; its lines say digital', async function () {
        const digital = await o.listing({ digital: true });
        const buyer = await t.newBuyer();

        const without = expectOrderAnswer(await placeBare(buyer, { items: [line(digital)] }), 201);
        expect(without.shippingAddress).to.equal(null);
        expect(without.items.map((i) => i.digital)).to.deep.equal([true]);
        const withOne = expectOrderAnswer(await placeBare(buyer, { items: [line(digital)], shippingAddress: E2E_ADDRESS }), 201);
        expect(withOne.shippingAddress).to.deep.equal(E2E_ADDRESS);
      });

      it('an order keeps whether each line was digital when placed, whatever the product says later', async function () {
        const listing = await o.listing({ digital: true });
        const buyer = await t.newBuyer();
        const order = expectOrderAnswer(await placeBare(buyer, { items: [line(listing)] }), 201);

        await t.api.request('PATCH', `/api/v1/products/${listing.product.id}`, { token: listing.seller.token, body: { digital: false } });

        const read = await o.getOk(buyer, order.id);
        expect(read.items[0]!.digital).to.equal(true);
        expect(read.shippingAddress).to.equal(null);
        // A new order of it now needs an address.
        expectValidation(await placeBare(buyer, { items: [line(listing)] }), ORDERS, 'shippingAddress');
      });

      const bad: Array<[string, Record<string, unknown>, string]> = [
        ['a blank recipient', { recipient: '   ' }, 'shippingAddress.recipient'],
        ['a recipient of 51 characters', { recipient: 'x'.repeat(51) }, 'shippingAddress.recipient'],
        ['a phone with letters', { phone: '010-CALL-ME' }, 'shippingAddress.phone'],
        ['a phone of 7 digits', { phone: '123-4567' }, 'shippingAddress.phone'],
        ['a phone of 16 digits', { phone: '1234567890123456' }, 'shippingAddress.phone'],
        ['a phone with two separators in a row', { phone: '010--1234-5678' }, 'shippingAddress.phone'],
        ['a four-digit postal code', { postalCode: '1234' }, 'shippingAddress.postalCode'],
        ['a postal code with a letter', { postalCode: '0623A' }, 'shippingAddress.postalCode'],
        ['a postal code as a number', { postalCode: 6236 }, 'shippingAddress.postalCode'],
        ['a blank line1', { line1: ' ' }, 'shippingAddress.line1'],
        ['a line1 of 201 characters', { line1: 'x'.repeat(201) }, 'shippingAddress.line1'],
        ['a blank line2', { line2: '  ' }, 'shippingAddress.line2'],
        ['no phone', { phone: undefined }, 'shippingAddress.phone'],
        ['an unknown field', { country: 'KR' }, 'shippingAddress.country'],
      ];
      for (const [label, change, field] of bad) {
        it(`400 VALIDATION_FAILED naming ${field} for ${label}; nothing reserved`, async function () {
          const listing = await o.listing();
          const address: Record<string, unknown> = { ...E2E_ADDRESS, ...change };
          for (const key of Object.keys(address)) if (address[key] === undefined) delete address[key];
          expectValidation(await placeBare(await t.newBuyer(), { items: [line(listing)], shippingAddress: address }), ORDERS, field);
          expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.include({ reservedStock: 0 });
        });
      }

      it('an address that is not an object is 400 naming shippingAddress', async function () {
        const listing = await o.listing();
        const buyer = await t.newBuyer();
        for (const shippingAddress of ['Seoul', null, []]) {
          expectValidation(await placeBare(buyer, { items: [line(listing)], shippingAddress }), ORDERS, 'shippingAddress');
        }
      });
    });
  });

  describe(`e2e: refunds on the order, partial refunds, GET /refunds/{id} (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;
    let coupons: CouponClient;
    let clock: ManualClock;

    before(async function () {
      // The sales statistics read whole days: this suite sells on days of its own.
      clock = salesClock();
      t = await startTestService({ persistence, clock, env: { ORDER_RESERVATION_TTL_SECONDS: '600' } });
      o = new OrderingClient(t);
      coupons = new CouponClient(t);
    });
    after(async function () {
      await t?.stop();
    });
    beforeEach(function () {
      clock.advance(DAY_MS);
    });

    /** A paid order of two lines: 3 × 10,000 of one seller's product, 2 × 4,000 of another's. */
    async function twoLineOrder(buyerBalance = 100_000) {
      const a = await o.listing({ price: 10_000 });
      const b = await o.listing({ price: 4_000 });
      const buyer = await o.buyerWith(buyerBalance);
      const order = await o.placeOk(buyer, [
        { productId: a.product.id, optionId: a.option.id, quantity: 3 },
        { productId: b.product.id, optionId: b.option.id, quantity: 2 },
      ]);
      const payment = await o.payOk(buyer, order.id);
      return { a, b, buyer, order, payment, lineA: order.items[0]!.id, lineB: order.items[1]!.id };
    }

    /** An ADMIN's coupon (shop-wide, FIXED), open on the service's clock. */
    const adminCoupon = (overrides: Record<string, unknown>) =>
      coupons.createOk(t.admin, {
        validFrom: new Date(clock.now().getTime() - 3_600_000).toISOString(),
        validUntil: new Date(clock.now().getTime() + 30 * DAY_MS).toISOString(),
        ...overrides,
      });

    const partial = (who: Account, orderId: number, items: Array<{ orderItemId: number; quantity: number }>, extra: Record<string, unknown> = {}) =>
      o.refund(who, { orderId, items, ...extra });

    it('a partial refund: 201 with its lines; the units credited, restocked, counted on the order; the order stays; the payment PARTIALLY_REFUNDED', async function () {
      const { a, b, buyer, order, payment, lineA } = await twoLineOrder();
      expect(await o.balanceOf(buyer)).to.equal(100_000 - 38_000);

      const refund = expectRefundAnswer(await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 2 }], { reason: ' too many ' }), 201);

      expect(refund).to.deep.include({ orderId: order.id, paymentId: payment.id, amount: 20_000, status: 'REFUNDED', reason: 'too many' });
      expect(refund.items).to.deep.equal([{ orderItemId: lineA, quantity: 2, amount: 20_000, discountAmount: 0 }]);
      expect(await o.balanceOf(buyer)).to.equal(100_000 - 38_000 + 20_000);
      const [latest] = await o.historyOf(buyer);
      expect(latest).to.include({ type: 'REFUND', amount: 20_000, orderId: order.id });
      expect(await o.stockOf(a.product.id, a.option.id)).to.deep.equal({ totalStock: 9, reservedStock: 0, availableStock: 9 });
      expect(await o.stockOf(b.product.id, b.option.id)).to.deep.equal({ totalStock: 8, reservedStock: 0, availableStock: 8 });

      const read = await o.getOk(buyer, order.id);
      expect(read.status).to.equal('CONFIRMED');
      expect(read.cancelReason).to.equal(null);
      expect(read.items.map((i) => i.refundedQuantity)).to.deep.equal([2, 0]);
      expect(read.refunds).to.deep.equal([refund]);
      expect(read.payment).to.deep.include({ id: payment.id, status: 'PARTIALLY_REFUNDED', amount: 38_000, refundedAmount: 20_000 });
      expect((await o.getPayment(buyer, payment.id)).body).to.deep.include({ status: 'PARTIALLY_REFUNDED', refundedAmount: 20_000 });
      expect(expectRefundAnswer(await o.getRefund(buyer, refund.id), 200)).to.deep.equal(refund);
    });

    it('then the rest (no items): the remaining units, the order CANCELLED, the payment REFUNDED; the refunds add up to the payment', async function () {
      const { a, b, buyer, order, payment, lineA, lineB } = await twoLineOrder();
      const first = expectRefundAnswer(await partial(buyer, order.id, [{ orderItemId: lineB, quantity: 1 }]), 201);
      // A PREPARING order is refunded like a CONFIRMED one (two sellers' lines: an ADMIN moves it).
      await o.fulfilOk(t.admin, order.id, 'PREPARING');

      const rest = expectRefundAnswer(await o.refund(buyer, { orderId: order.id, reason: 'all of it' }), 201);

      expect(rest.items).to.deep.equal([
        { orderItemId: lineA, quantity: 3, amount: 30_000, discountAmount: 0 },
        { orderItemId: lineB, quantity: 1, amount: 4_000, discountAmount: 0 },
      ]);
      expect(first.amount + rest.amount).to.equal(payment.amount);
      expect(await o.balanceOf(buyer)).to.equal(100_000);
      const read = await o.getOk(buyer, order.id);
      expect(read).to.deep.include({ status: 'CANCELLED', cancelReason: 'all of it' });
      expect(read.items.map((i) => i.refundedQuantity)).to.deep.equal([3, 2]);
      expect(read.refunds.map((r) => r.id)).to.deep.equal([first.id, rest.id]);
      expect(read.payment).to.deep.include({ status: 'REFUNDED', refundedAmount: payment.amount });
      expect(await o.stockOf(a.product.id, a.option.id)).to.deep.include({ totalStock: 10 });
      expect(await o.stockOf(b.product.id, b.option.id)).to.deep.include({ totalStock: 10 });
      // Nothing is left: a refund of any kind is 409.
      expectProblem(await o.refund(buyer, { orderId: order.id }), 409, 'INVALID_STATE', REFUNDS);
      expectProblem(await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 1 }]), 409, 'INVALID_STATE', REFUNDS);
    });

    it('refunding every unit line by line cancels the order with the last one; a whole refund answers as before (one line per order line)', async function () {
      const { buyer, order, payment, lineA, lineB } = await twoLineOrder();
      await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 3 }]);
      const last = expectRefundAnswer(await partial(buyer, order.id, [{ orderItemId: lineB, quantity: 2 }]), 201);
      expect(last.items).to.deep.equal([{ orderItemId: lineB, quantity: 2, amount: 8_000, discountAmount: 0 }]);
      const read = await o.getOk(buyer, order.id);
      expect(read).to.deep.include({ status: 'CANCELLED', cancelReason: 'REFUNDED' });
      expect(read.payment).to.deep.include({ status: 'REFUNDED', refundedAmount: payment.amount });

      const whole = await twoLineOrder();
      const refund = expectRefundAnswer(await o.refund(whole.buyer, { orderId: whole.order.id }), 201);
      expect(refund).to.deep.include({ amount: whole.payment.amount, status: 'REFUNDED', reason: null });
      expect(refund.items.map((l) => [l.orderItemId, l.quantity])).to.deep.equal([
        [whole.lineA, 3],
        [whole.lineB, 2],
      ]);
    });

    it('never more than was bought: 409 INVALID_STATE for more units than are left of a line; 404 for a line of no such order or another; 400 for a line named twice; nothing changes', async function () {
      const { buyer, order, lineA, lineB } = await twoLineOrder();
      const other = await twoLineOrder();
      await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 2 }]);
      const before = await o.getOk(buyer, order.id);
      const balance = await o.balanceOf(buyer);

      const over = await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 2 }]);
      expectProblem(over, 409, 'INVALID_STATE', REFUNDS);
      expect(over.body.detail).to.equal(`Line 1 (order item ${lineA}) of order ${order.id}: 1 of its 3 units left to refund, 2 requested`);
      expectProblem(await partial(buyer, order.id, [{ orderItemId: lineB, quantity: 3 }]), 409, 'INVALID_STATE', REFUNDS);
      const foreign = await partial(buyer, order.id, [{ orderItemId: other.lineA, quantity: 1 }]);
      expectProblem(foreign, 404, 'NOT_FOUND', REFUNDS);
      expect(foreign.body.detail).to.equal(`Order item ${other.lineA} of order ${order.id} does not exist`);
      expectProblem(await partial(buyer, order.id, [{ orderItemId: UNKNOWN_ID, quantity: 1 }]), 404, 'NOT_FOUND', REFUNDS);
      expectValidation(
        await partial(buyer, order.id, [
          { orderItemId: lineB, quantity: 1 },
          { orderItemId: lineB, quantity: 1 },
        ]),
        REFUNDS,
        'items.1',
      );
      const shapes: Array<[unknown, string]> = [
        [[], 'items'],
        ['all', 'items'],
        [[{ orderItemId: lineB, quantity: 0 }], 'items.0.quantity'],
        [[{ orderItemId: lineB, quantity: 1.5 }], 'items.0.quantity'],
        [[{ orderItemId: lineB }], 'items.0.quantity'],
        [[{ quantity: 1 }], 'items.0.orderItemId'],
        [[{ orderItemId: lineB, quantity: 1, amount: 1 }], 'items.0.amount'],
      ];
      for (const [items, field] of shapes) expectValidation(await o.refund(buyer, { orderId: order.id, items }), REFUNDS, field);

      expect(await o.getOk(buyer, order.id)).to.deep.equal(before);
      expect(await o.balanceOf(buyer)).to.equal(balance);
    });

    it('permission before existence before state: another buyer 403, an unknown order 404 before its lines; a SHIPPED order 409', async function () {
      const { a, buyer, order, lineA } = await twoLineOrder();
      expectProblem(await partial(await t.newBuyer(), order.id, [{ orderItemId: UNKNOWN_ID, quantity: 1 }]), 403, 'FORBIDDEN', REFUNDS);
      expectProblem(await partial(a.seller, order.id, [{ orderItemId: lineA, quantity: 1 }]), 403, 'FORBIDDEN', REFUNDS);
      expectProblem(await partial(buyer, UNKNOWN_ID, [{ orderItemId: lineA, quantity: 1 }]), 404, 'NOT_FOUND', REFUNDS);

      for (const step of ['PREPARING', 'SHIPPED'] as const) await o.fulfilOk(t.admin, order.id, step);
      expectProblem(await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 1 }]), 409, 'INVALID_STATE', REFUNDS);
      // An ADMIN may refund in part what the buyer may.
      const { order: mine, lineB } = await twoLineOrder();
      expect((await partial(t.admin, mine.id, [{ orderItemId: lineB, quantity: 1 }])).status).to.equal(201);
    });

    it('replays a partial refund\'s Idempotency-Key: the same refund, credited once', async function () {
      const { buyer, order, lineA } = await twoLineOrder();
      const headers = { 'Idempotency-Key': freshIdempotencyKey('partial-refund') };
      const first = await o.refund(buyer, { orderId: order.id, items: [{ orderItemId: lineA, quantity: 1 }] }, headers);
      const second = await o.refund(buyer, { orderId: order.id, items: [{ orderItemId: lineA, quantity: 1 }] }, headers);

      expect(second.headers.get('idempotent-replayed')).to.equal('true');
      expect(second.body).to.deep.equal(expectRefundAnswer(first, 201));
      expect((await o.getOk(buyer, order.id)).items[0]!.refundedQuantity).to.equal(1);
      expect(await o.balanceOf(buyer)).to.equal(100_000 - 38_000 + 10_000);
    });

    it('two partial refunds of the last units at once: one 201, one 409; never more than was bought', async function () {
      const { buyer, order, lineB } = await twoLineOrder();
      const answers = await Promise.all([partial(buyer, order.id, [{ orderItemId: lineB, quantity: 2 }]), partial(buyer, order.id, [{ orderItemId: lineB, quantity: 2 }])]);

      expect(answers.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      expect((await o.getOk(buyer, order.id)).items[1]!.refundedQuantity).to.equal(2);
      expect(await o.balanceOf(buyer)).to.equal(100_000 - 38_000 + 8_000);
    });

    describe('with a coupon', function () {
      /** An order of 3 × 10,000 (line A) and 2 × 4,000 (line B) with an ADMIN's coupon: FIXED 3,800 off from 20,000. */
      async function couponOrder() {
        const coupon = await adminCoupon({ discountValue: 3_800, minOrderAmount: 20_000 });
        const a = await o.listing({ price: 10_000 });
        const b = await o.listing({ price: 4_000 });
        const buyer = await o.buyerWith(100_000);
        const copy = await coupons.issueOk(buyer, coupon.id);
        const order = expectOrderAnswer(
          await o.place(buyer, {
            items: [
              { productId: a.product.id, optionId: a.option.id, quantity: 3 },
              { productId: b.product.id, optionId: b.option.id, quantity: 2 },
            ],
            userCouponId: copy.id,
          }),
          201,
        );
        const payment = await o.payOk(buyer, order.id);
        return { a, b, buyer, copy, order, payment, lineA: order.items[0]!.id, lineB: order.items[1]!.id };
      }

      it('credits what was paid for the units (their part of the discount kept back, rounded down from the front); the coupon stays USED until the last unit', async function () {
        const { buyer, copy, order, payment, lineA, lineB } = await couponOrder();
        // 3,800 over 38,000: line A carries 3,000, line B 800.
        expect(order.items.map((i) => i.discountAmount)).to.deep.equal([3_000, 800]);
        expect(payment.amount).to.equal(34_200);

        const one = expectRefundAnswer(await partial(buyer, order.id, [{ orderItemId: lineB, quantity: 1 }]), 201);
        expect(one.items).to.deep.equal([{ orderItemId: lineB, quantity: 1, amount: 3_600, discountAmount: 400 }]);
        expect((await coupons.mine(buyer, copy.id)).status).to.equal('USED');

        const rest = expectRefundAnswer(await o.refund(buyer, { orderId: order.id }), 201);
        expect(rest.items).to.deep.equal([
          { orderItemId: lineA, quantity: 3, amount: 27_000, discountAmount: 3_000 },
          { orderItemId: lineB, quantity: 1, amount: 3_600, discountAmount: 400 },
        ]);
        expect(one.amount + rest.amount).to.equal(34_200);
        expect(await o.balanceOf(buyer)).to.equal(100_000);
        expect(await coupons.mine(buyer, copy.id)).to.deep.include({ status: 'REFUNDED', orderId: null });
      });

      it("422 COUPON_MINIMUM_NOT_MET when a partial refund leaves what the coupon covers below its minimum; refunding it all is fine", async function () {
        const { buyer, order, lineA, lineB } = await couponOrder();

        // Keeping 10,000 + 8,000 = 18,000 of the 20,000 minimum: refused, nothing changes.
        const refused = await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 2 }]);
        expectProblem(refused, 422, 'COUPON_MINIMUM_NOT_MET', REFUNDS);
        expect(refused.body.detail).to.include("would come to 18000 after this refund, below the coupon's minimum of 20000");
        expect((await o.getOk(buyer, order.id)).items.map((i) => i.refundedQuantity)).to.deep.equal([0, 0]);

        // Keeping 30,000 is fine, and so is refunding every unit at once.
        expect((await partial(buyer, order.id, [{ orderItemId: lineB, quantity: 2 }])).status).to.equal(201);
        expect((await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 3 }])).status).to.equal(201);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CANCELLED');
      });
    });

    it('the sales statistics take back the refunded units, their revenue and their discount, on the day of the sale', async function () {
      const coupon = await adminCoupon({ discountValue: 3_000 });
      const seller = await t.newAccount('SELLER');
      const listing = await o.listing({ seller, price: 10_000 });
      const buyer = await o.buyerWith(100_000);
      const copy = await coupons.issueOk(buyer, coupon.id);
      const order = expectOrderAnswer(await o.place(buyer, { items: [{ productId: listing.product.id, optionId: listing.option.id, quantity: 3 }], userCouponId: copy.id }), 201);
      await o.payOk(buyer, order.id);
      const day = dayOf(clock.now());
      const stats = async () => expectSales(await salesOf(t, seller, `?from=${day}&to=${day}&groupBy=product`));
      expect(await stats()).to.deep.equal([{ key: listing.product.id, soldQuantity: 3, revenue: 30_000, discountAmount: 3_000 }]);

      // Refunded the next day: taken back from the day of the sale.
      clock.advance(DAY_MS);
      await partial(buyer, order.id, [{ orderItemId: order.items[0]!.id, quantity: 1 }]);

      expect(await stats()).to.deep.equal([{ key: listing.product.id, soldQuantity: 2, revenue: 20_000, discountAmount: 2_000 }]);
      await o.refund(buyer, { orderId: order.id });
      expect(await stats()).to.deep.equal([]);
    });

    describe('GET /api/v1/refunds/{refundId}', function () {
      it("the order's buyer, a seller of one of its lines and an ADMIN read it; another buyer or seller is 403", async function () {
        const { a, b, buyer, order, lineA } = await twoLineOrder();
        const refund = expectRefundAnswer(await partial(buyer, order.id, [{ orderItemId: lineA, quantity: 1 }]), 201);

        for (const who of [buyer, a.seller, b.seller, t.admin]) expect(expectRefundAnswer(await o.getRefund(who, refund.id), 200)).to.deep.equal(refund);
        const path = `${REFUNDS}/${refund.id}`;
        expectProblem(await o.getRefund(await t.newBuyer(), refund.id), 403, 'FORBIDDEN', path);
        expectProblem(await o.getRefund(await t.newAccount('SELLER'), refund.id), 403, 'FORBIDDEN', path);
      });

      it('404 for an unknown refund, 400 for a malformed id, 401 without a token', async function () {
        expectProblem(await o.getRefund(t.admin, UNKNOWN_ID), 404, 'NOT_FOUND', `${REFUNDS}/${UNKNOWN_ID}`);
        expectValidation(await o.getRefund(t.admin, 'abc'), `${REFUNDS}/abc`, 'refundId');
        expectValidation(await o.getRefund(t.admin, 0), `${REFUNDS}/0`, 'refundId');
        expectProblem(await o.getRefund(null, 1), 401, 'UNAUTHENTICATED', `${REFUNDS}/1`);
      });

      it('a refund made by cancelling a paid order is listed on it and readable too', async function () {
        const { buyer, order, payment } = await twoLineOrder();
        const cancelled = expectOrderAnswer(await o.cancel(buyer, order.id, { reason: 'changed my mind' }), 200);

        expect(cancelled.refunds).to.have.length(1);
        const [refund] = cancelled.refunds as [Order['refunds'][number]];
        expect(refund).to.deep.include({ amount: payment.amount, reason: 'changed my mind' });
        expect(cancelled.payment).to.deep.include({ status: 'REFUNDED', refundedAmount: payment.amount });
        expect(expectRefundAnswer(await o.getRefund(buyer, refund.id), 200)).to.deep.equal(refund);
      });
    });
  });
}

describe('e2e: issue 12 in the OpenAPI document', function () {
  const doc = openApiDocument as unknown as {
    paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    components: { schemas: Record<string, { properties: Record<string, { description?: string; enum?: string[] }>; required?: string[] }> };
  };

  it('documents GET /refunds/{refundId} and the partial refund body', function () {
    expect(doc.paths['/api/v1/refunds/{refundId}']?.['get']?.responses).to.include.keys('200', '403', '404');
    expect(doc.paths['/api/v1/refunds']?.['post']?.responses).to.include.keys('201', '404', '409', '422');
    expect(doc.components.schemas['RefundRequest']!.properties).to.include.keys('items');
  });

  it('documents the address on the order and its request, digital products, refunded payments and refund lines', function () {
    const s = doc.components.schemas;
    expect(s['Order']!.required).to.include.members(['shippingAddress', 'refunds']);
    expect(s['PlaceOrderRequest']!.properties).to.include.keys('shippingAddress');
    expect(s['Product']!.required).to.include('digital');
    expect(s['CreateProductRequest']!.properties).to.include.keys('digital');
    expect(s['UpdateProductRequest']!.properties).to.include.keys('digital');
    expect(s['OrderItem']!.required).to.include.members(['id', 'digital', 'refundedQuantity']);
    expect(s['Payment']!.required).to.include('refundedAmount');
    expect((s['PaymentStatus'] as unknown as { enum: string[] }).enum).to.include.members(['PARTIALLY_REFUNDED', 'REFUNDED']);
    expect(s['Refund']!.required).to.include('items');
  });
});
