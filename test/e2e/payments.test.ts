import { expect } from 'chai';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation } from './problem.js';
import {
  CONFIRM,
  expectOrderAnswer,
  expectPaymentAnswer,
  expectRefundAnswer,
  freshIdempotencyKey,
  type Listing,
  OrderingClient,
  PAY,
  paymentPath,
  REFUNDS,
  retryAfterOf,
  sleep,
  UNKNOWN_ID,
} from './orders-support.js';

/** Starts a service of its own for the enclosing describe; `get()` answers it once `before` ran. */
function serviceFor(persistence: 'postgres' | 'memory', env: Record<string, string> = {}) {
  let t: TestService;
  let o: OrderingClient;
  before(async function () {
    t = await startTestService({ persistence, env });
    o = new OrderingClient(t);
  });
  after(async function () {
    await t?.stop();
  });
  return { get: () => ({ t, o }) };
}

// The same contract over both persistence adapters: PostgreSQL (this run's database, shared by the
// whole run, so every test makes its own sellers, buyers and products) and the in-memory adapters.
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: payments and refunds, internal gateway (${persistence})`, function () {
    const service = serviceFor(persistence);
    let t: TestService;
    let o: OrderingClient;
    before(function () {
      ({ t, o } = service.get());
    });

    const stockOf = (listing: Listing) => o.stockOf(listing.product.id, listing.option.id);

    describe('POST /api/v1/payments/process', function () {
      it('200: exactly the payment shape, COMPLETED; the order CONFIRMED, the balance debited (PAYMENT in the history), the stock confirmed', async function () {
        const listing = await o.listing({ price: 12_000, options: [{ name: 'ONE', stock: 10 }] });
        const buyer = await o.buyerWith(50_000);
        const order = await o.order(buyer, listing, 3);
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 10, reservedStock: 3, availableStock: 7 });

        const payment = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 200);

        expect(payment).to.include({ orderId: order.id, amount: 36_000, status: 'COMPLETED', failureReason: null });
        const paid = await o.getOk(buyer, order.id);
        expect(paid.status).to.equal('CONFIRMED');
        expect(paid.payment).to.deep.equal(payment);
        expect(await o.balanceOf(buyer)).to.equal(14_000);
        const [latest] = await o.historyOf(buyer);
        expect(latest).to.include({ type: 'PAYMENT', amount: -36_000, balanceAfter: 14_000, orderId: order.id });
        // The reserved units left the shop: the total and the reservation both went down.
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 7, reservedStock: 0, availableStock: 7 });
        expectPaymentAnswer(await o.getPayment(buyer, payment.id), 200);
        expect((await o.getPayment(buyer, payment.id)).body).to.deep.equal(payment);
      });

      it('answers 409 INSUFFICIENT_BALANCE when the wallet falls short; the order stays CREATED and payable: charge, pay again, 200', async function () {
        const listing = await o.listing({ price: 10_000 });
        const buyer = await o.buyerWith(15_000);
        const order = await o.order(buyer, listing, 2);

        expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INSUFFICIENT_BALANCE', PAY);

        const still = await o.getOk(buyer, order.id);
        expect(still.status).to.equal('CREATED');
        expect(await o.balanceOf(buyer)).to.equal(15_000);
        expect((await o.historyOf(buyer)).filter((e) => e.type === 'PAYMENT')).to.deep.equal([]);
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 10, reservedStock: 2, availableStock: 8 });

        await o.charge(buyer, 5_000);
        const payment = await o.payOk(buyer, order.id);
        expect(payment).to.include({ status: 'COMPLETED', amount: 20_000 });
        expect(await o.balanceOf(buyer)).to.equal(0);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 8, reservedStock: 0, availableStock: 8 });
      });

      it('answers 409 INVALID_STATE to paying twice, debiting once', async function () {
        const listing = await o.listing({ price: 5_000 });
        const buyer = await o.buyerWith(20_000);
        const { order } = await o.paidOrder(buyer, listing, 1);

        expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INVALID_STATE', PAY);

        expect(await o.balanceOf(buyer)).to.equal(15_000);
        expect((await o.historyOf(buyer)).filter((e) => e.type === 'PAYMENT')).to.have.length(1);
      });

      it('answers 409 INVALID_STATE to paying a cancelled order', async function () {
        const listing = await o.listing();
        const buyer = await o.buyerWith(20_000);
        const order = await o.order(buyer, listing, 1);
        expect((await o.cancel(buyer, order.id)).status).to.equal(200);

        expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INVALID_STATE', PAY);
        expect(await o.balanceOf(buyer)).to.equal(20_000);
      });

      it('answers 403 FORBIDDEN to another buyer and to the seller, debiting nobody', async function () {
        const listing = await o.listing();
        const buyer = await o.buyerWith(20_000);
        const stranger = await o.buyerWith(20_000);
        const order = await o.order(buyer, listing, 1);

        expectProblem(await o.pay(stranger, { orderId: order.id }), 403, 'FORBIDDEN', PAY);
        expectProblem(await o.pay(listing.seller, { orderId: order.id }), 403, 'FORBIDDEN', PAY);

        expect(await o.balanceOf(buyer)).to.equal(20_000);
        expect(await o.balanceOf(stranger)).to.equal(20_000);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CREATED');
        // Permission comes before the order's state: a paid order of someone else's is still 403.
        await o.payOk(buyer, order.id);
        expectProblem(await o.pay(stranger, { orderId: order.id }), 403, 'FORBIDDEN', PAY);
      });

      it('two payments of one order at once: exactly one 200, the other 409 INVALID_STATE; debited once', async function () {
        const listing = await o.listing({ price: 5_000 });
        const buyer = await o.buyerWith(20_000);
        const order = await o.order(buyer, listing, 2);

        const answers = await Promise.all([o.pay(buyer, { orderId: order.id }), o.pay(buyer, { orderId: order.id })]);

        const ok = answers.filter((r) => r.status === 200);
        expect(ok, JSON.stringify(answers.map((r) => [r.status, r.body]))).to.have.length(1);
        expectPaymentAnswer(ok[0]!, 200);
        for (const r of answers.filter((a) => a.status !== 200)) expectProblem(r, 409, 'INVALID_STATE', PAY);
        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect((await o.historyOf(buyer)).filter((e) => e.type === 'PAYMENT')).to.have.length(1);
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 8, reservedStock: 0, availableStock: 8 });
      });

      it('answers 404 for an unknown order; 400 for orderId "x", 0, missing, or an unknown field; 401 without a token', async function () {
        const buyer = await o.buyerWith(10_000);
        expectProblem(await o.pay(buyer, { orderId: UNKNOWN_ID }), 404, 'NOT_FOUND', PAY);
        expectValidation(await o.pay(buyer, { orderId: 'x' }), PAY, 'orderId');
        expectValidation(await o.pay(buyer, { orderId: 0 }), PAY, 'orderId');
        expectValidation(await o.pay(buyer, {}), PAY, 'orderId');
        const listing = await o.listing();
        const order = await o.order(buyer, listing, 1);
        expectValidation(await o.pay(buyer, { orderId: order.id, amount: 10_000 }), PAY, 'amount');
        expectProblem(await o.pay(null, { orderId: order.id }), 401, 'UNAUTHENTICATED', PAY);
        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CREATED');
      });

      it('replays the same Idempotency-Key: the same payment, Idempotent-Replayed: true, one debit', async function () {
        const listing = await o.listing({ price: 7_000 });
        const buyer = await o.buyerWith(20_000);
        const order = await o.order(buyer, listing, 2);
        const headers = { 'Idempotency-Key': freshIdempotencyKey('pay') };

        const first = await o.pay(buyer, { orderId: order.id }, headers);
        const second = await o.pay(buyer, { orderId: order.id }, headers);

        const payment = expectPaymentAnswer(first, 200);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(200);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(payment);
        expect(await o.balanceOf(buyer)).to.equal(6_000);
        expect((await o.historyOf(buyer)).filter((e) => e.type === 'PAYMENT')).to.have.length(1);
      });
    });

    describe('GET /api/v1/payments/{paymentId} and POST /api/v1/payments/confirm on a completed payment', function () {
      let listing: Listing;
      let buyer: Account;

      before(async function () {
        listing = await o.listing({ price: 3_000 });
        buyer = await o.buyerWith(30_000);
      });

      it('GET: 200 to the owner and an ADMIN; 403 to another buyer and to the seller; 404 unknown; 400 malformed; 401 without a token', async function () {
        const { payment } = await o.paidOrder(buyer, listing);
        const path = paymentPath(payment.id);

        expect(expectPaymentAnswer(await o.getPayment(buyer, payment.id), 200)).to.deep.equal(payment);
        expect(expectPaymentAnswer(await o.getPayment(t.admin, payment.id), 200)).to.deep.equal(payment);
        expectProblem(await o.getPayment(await t.newBuyer(), payment.id), 403, 'FORBIDDEN', path);
        expectProblem(await o.getPayment(listing.seller, payment.id), 403, 'FORBIDDEN', path);
        expectProblem(await o.getPayment(buyer, UNKNOWN_ID), 404, 'NOT_FOUND', paymentPath(UNKNOWN_ID));
        expectValidation(await o.getPayment(buyer, 'abc'), paymentPath('abc'), 'paymentId');
        expectProblem(await o.getPayment(null, payment.id), 401, 'UNAUTHENTICATED', path);
      });

      it('confirm: a COMPLETED payment answers 200 unchanged, every time (owner and ADMIN), debiting nothing more', async function () {
        const { order, payment } = await o.paidOrder(buyer, listing);
        const balance = await o.balanceOf(buyer);

        const first = expectPaymentAnswer(await o.confirm(buyer, { paymentId: payment.id }), 200);
        const second = expectPaymentAnswer(await o.confirm(buyer, { paymentId: payment.id }), 200);
        const byAdmin = expectPaymentAnswer(await o.confirm(t.admin, { paymentId: payment.id }), 200);

        expect(first).to.deep.equal(payment);
        expect(second).to.deep.equal(payment);
        expect(byAdmin).to.deep.equal(payment);
        expect(await o.balanceOf(buyer)).to.equal(balance);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');
      });

      it('confirm: 403 to another buyer; 404 unknown; 400 for paymentId "x" or an unknown field; 401 without a token', async function () {
        const { payment } = await o.paidOrder(buyer, listing);
        expectProblem(await o.confirm(await t.newBuyer(), { paymentId: payment.id }), 403, 'FORBIDDEN', CONFIRM);
        expectProblem(await o.confirm(buyer, { paymentId: UNKNOWN_ID }), 404, 'NOT_FOUND', CONFIRM);
        expectValidation(await o.confirm(buyer, { paymentId: 'x' }), CONFIRM, 'paymentId');
        expectValidation(await o.confirm(buyer, {}), CONFIRM, 'paymentId');
        expectValidation(await o.confirm(buyer, { paymentId: payment.id, force: true }), CONFIRM, 'force');
        expectProblem(await o.confirm(null, { paymentId: payment.id }), 401, 'UNAUTHENTICATED', CONFIRM);
      });
    });

    describe('POST /api/v1/refunds', function () {
      it('201: exactly the refund shape, REFUNDED, for a CONFIRMED order; balance back (REFUND with orderId), stock back, order CANCELLED', async function () {
        const listing = await o.listing({ price: 8_000, options: [{ name: 'ONE', stock: 10 }] });
        const buyer = await o.buyerWith(30_000);
        const { order, payment } = await o.paidOrder(buyer, listing, 3);
        expect(await o.balanceOf(buyer)).to.equal(6_000);
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 7, reservedStock: 0, availableStock: 7 });

        const refund = expectRefundAnswer(await o.refund(buyer, { orderId: order.id, reason: 'arrived too late' }), 201);

        expect(refund).to.include({ orderId: order.id, paymentId: payment.id, amount: 24_000, status: 'REFUNDED', reason: 'arrived too late' });
        expect(await o.balanceOf(buyer)).to.equal(30_000);
        const [latest] = await o.historyOf(buyer);
        expect(latest).to.include({ type: 'REFUND', amount: 24_000, balanceAfter: 30_000, orderId: order.id });
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
        expect((await o.getOk(buyer, order.id)).status).to.equal('CANCELLED');
      });

      it('201 for a PREPARING order too; the reason may be left out', async function () {
        const listing = await o.listing({ price: 4_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 2);
        await o.fulfilOk(listing.seller, order.id, 'PREPARING');

        const refund = expectRefundAnswer(await o.refund(buyer, { orderId: order.id }), 201);

        expect(refund).to.include({ orderId: order.id, amount: 8_000, status: 'REFUNDED' });
        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
        expect((await o.getOk(buyer, order.id)).status).to.equal('CANCELLED');
      });

      it('trims the reason before keeping it: " damaged " is kept as "damaged", on the refund and as the order\'s cancelReason (issue 11)', async function () {
        const listing = await o.listing({ price: 4_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 1);

        const refund = expectRefundAnswer(await o.refund(buyer, { orderId: order.id, reason: ' damaged ' }), 201);

        expect(refund.reason).to.equal('damaged');
        expect((await o.getOk(buyer, order.id)).cancelReason).to.equal('damaged');
      });

      it('answers 400 VALIDATION_FAILED naming reason for a blank one or one over 500 characters, and refunds nothing', async function () {
        const listing = await o.listing({ price: 4_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 1);

        expectValidation(await o.refund(buyer, { orderId: order.id, reason: ' \t ' }), REFUNDS, 'reason');
        expectValidation(await o.refund(buyer, { orderId: order.id, reason: 'r'.repeat(501) }), REFUNDS, 'reason');

        expect(await o.balanceOf(buyer)).to.equal(6_000);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');
      });

      it('answers 409 INVALID_STATE to a second refund, crediting once', async function () {
        const listing = await o.listing({ price: 5_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 1);
        expect((await o.refund(buyer, { orderId: order.id })).status).to.equal(201);

        expectProblem(await o.refund(buyer, { orderId: order.id }), 409, 'INVALID_STATE', REFUNDS);
        expectProblem(await o.refund(t.admin, { orderId: order.id }), 409, 'INVALID_STATE', REFUNDS);

        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect((await o.historyOf(buyer)).filter((e) => e.type === 'REFUND')).to.have.length(1);
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
      });

      it('answers 409 INVALID_STATE for a CREATED, a SHIPPED and a DELIVERED order, moving nothing', async function () {
        const listing = await o.listing({ price: 1_000, options: [{ name: 'ONE', stock: 10 }] });
        const buyer = await o.buyerWith(10_000);
        const created = await o.order(buyer, listing, 1);
        const shipped = (await o.paidOrder(buyer, listing, 1)).order;
        await o.fulfilOk(listing.seller, shipped.id, 'PREPARING');
        await o.fulfilOk(listing.seller, shipped.id, 'SHIPPED');
        const delivered = (await o.paidOrder(buyer, listing, 1)).order;
        for (const step of ['PREPARING', 'SHIPPED', 'DELIVERED'] as const) await o.fulfilOk(listing.seller, delivered.id, step);

        for (const order of [created, shipped, delivered]) {
          expectProblem(await o.refund(buyer, { orderId: order.id }), 409, 'INVALID_STATE', REFUNDS);
        }

        expect(await o.balanceOf(buyer)).to.equal(8_000);
        expect((await o.getOk(buyer, created.id)).status).to.equal('CREATED');
        expect((await o.getOk(buyer, shipped.id)).status).to.equal('SHIPPED');
        expect(await stockOf(listing)).to.deep.equal({ totalStock: 8, reservedStock: 1, availableStock: 7 });
      });

      it('answers 403 FORBIDDEN to another buyer and to the seller; an ADMIN may refund', async function () {
        const listing = await o.listing({ price: 2_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 1);

        expectProblem(await o.refund(await t.newBuyer(), { orderId: order.id }), 403, 'FORBIDDEN', REFUNDS);
        expectProblem(await o.refund(listing.seller, { orderId: order.id }), 403, 'FORBIDDEN', REFUNDS);
        // Permission before the state: a stranger refunding an unpaid order is 403 too.
        const unpaid = await o.order(buyer, listing, 1);
        expectProblem(await o.refund(await t.newBuyer(), { orderId: unpaid.id }), 403, 'FORBIDDEN', REFUNDS);
        expect(await o.balanceOf(buyer)).to.equal(8_000);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');

        const refund = expectRefundAnswer(await o.refund(t.admin, { orderId: order.id, reason: 'goodwill' }), 201);
        expect(refund).to.include({ orderId: order.id, amount: 2_000, reason: 'goodwill' });
        expect(await o.balanceOf(buyer)).to.equal(10_000);
      });

      it('answers 404 unknown; 400 for orderId "x", missing, or an unknown field; 401 without a token', async function () {
        const buyer = await t.newBuyer();
        expectProblem(await o.refund(buyer, { orderId: UNKNOWN_ID }), 404, 'NOT_FOUND', REFUNDS);
        expectProblem(await o.refund(t.admin, { orderId: UNKNOWN_ID }), 404, 'NOT_FOUND', REFUNDS);
        expectValidation(await o.refund(buyer, { orderId: 'x' }), REFUNDS, 'orderId');
        expectValidation(await o.refund(buyer, {}), REFUNDS, 'orderId');
        expectValidation(await o.refund(buyer, { orderId: 1, amount: 1_000 }), REFUNDS, 'amount');
        expectProblem(await o.refund(null, { orderId: 1 }), 401, 'UNAUTHENTICATED', REFUNDS);
      });

      it('replays the same Idempotency-Key: the same refund, Idempotent-Replayed: true, credited once', async function () {
        const listing = await o.listing({ price: 6_000 });
        const buyer = await o.buyerWith(10_000);
        const { order } = await o.paidOrder(buyer, listing, 1);
        const headers = { 'Idempotency-Key': freshIdempotencyKey('refund') };

        const first = await o.refund(buyer, { orderId: order.id, reason: 'broken' }, headers);
        const second = await o.refund(buyer, { orderId: order.id, reason: 'broken' }, headers);

        const refund = expectRefundAnswer(first, 201);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(refund);
        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect((await o.historyOf(buyer)).filter((e) => e.type === 'REFUND')).to.have.length(1);
      });
    });

    describe('5 consecutive failed payments block the 6th attempt', function () {
      it('after 5 INSUFFICIENT_BALANCE answers the 6th attempt is 429 TOO_MANY_FAILURES with Retry-After, even once the wallet covers it; others are not blocked', async function () {
        const listing = await o.listing({ price: 10_000 });
        const buyer = await o.buyerWith(0);
        const order = await o.order(buyer, listing, 1);

        for (let i = 1; i <= 5; i++) expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INSUFFICIENT_BALANCE', PAY);
        const sixth = await o.pay(buyer, { orderId: order.id });

        expectProblem(sixth, 429, 'TOO_MANY_FAILURES', PAY);
        expect(retryAfterOf(sixth)).to.be.within(590, 600);
        await o.charge(buyer, 10_000);
        const blocked = await o.pay(buyer, { orderId: order.id });
        expectProblem(blocked, 429, 'TOO_MANY_FAILURES', PAY);
        retryAfterOf(blocked);
        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CREATED');

        const other = await o.buyerWith(10_000);
        await o.paidOrder(other, listing, 1);
      });

      it('a successful payment resets the count: 4 failures, a success, then 5 more failures before the block', async function () {
        const listing = await o.listing({ price: 10_000 });
        const buyer = await o.buyerWith(0);
        const first = await o.order(buyer, listing, 1);
        for (let i = 1; i <= 4; i++) expectProblem(await o.pay(buyer, { orderId: first.id }), 409, 'INSUFFICIENT_BALANCE', PAY);
        await o.charge(buyer, 10_000);
        await o.payOk(buyer, first.id);

        const second = await o.order(buyer, listing, 1);
        for (let i = 1; i <= 5; i++) expectProblem(await o.pay(buyer, { orderId: second.id }), 409, 'INSUFFICIENT_BALANCE', PAY);
        expectProblem(await o.pay(buyer, { orderId: second.id }), 429, 'TOO_MANY_FAILURES', PAY);
      });
    });
  });

  describe(`e2e: paying an expired order (${persistence})`, function () {
    // The sweeper does not get to run: the order is past its expiry but still CREATED.
    const service = serviceFor(persistence, { ORDER_RESERVATION_TTL_SECONDS: '1', JOB_INTERVAL_MS: '600000' });

    it('answers 409 INVALID_STATE once the reservation has run out, debiting nothing', async function () {
      const { o } = service.get();
      const listing = await o.listing({ price: 5_000 });
      const buyer = await o.buyerWith(20_000);
      const order = await o.order(buyer, listing, 2);

      await sleep(1_300);
      expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INVALID_STATE', PAY);

      expect(await o.balanceOf(buyer)).to.equal(20_000);
      expect((await o.historyOf(buyer)).filter((e) => e.type === 'PAYMENT')).to.deep.equal([]);
      expect((await o.getOk(buyer, order.id)).status).to.not.equal('CONFIRMED');
    });
  });

  describe(`e2e: sandbox gateway, decline (${persistence})`, function () {
    const service = serviceFor(persistence, { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'decline' });

    it('answers 402 PAYMENT_DECLINED; the order FAILED, balance and stock given back', async function () {
      const { o } = service.get();
      const listing = await o.listing({ price: 9_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(30_000);
      const order = await o.order(buyer, listing, 3);

      expectProblem(await o.pay(buyer, { orderId: order.id }), 402, 'PAYMENT_DECLINED', PAY);

      const failed = await o.getOk(buyer, order.id);
      expect(failed.status).to.equal('FAILED');
      expect(await o.balanceOf(buyer)).to.equal(30_000);
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
      // A failed order cannot be paid, refunded or cancelled into anything else.
      expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INVALID_STATE', PAY);
      expectProblem(await o.refund(buyer, { orderId: order.id }), 409, 'INVALID_STATE', REFUNDS);
      expect(await o.balanceOf(buyer)).to.equal(30_000);
    });

    it('5 declined payments block the 6th attempt: 429 TOO_MANY_FAILURES with Retry-After', async function () {
      const { o } = service.get();
      const listing = await o.listing({ price: 1_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(10_000);

      for (let i = 1; i <= 5; i++) {
        const order = await o.order(buyer, listing, 1);
        expectProblem(await o.pay(buyer, { orderId: order.id }), 402, 'PAYMENT_DECLINED', PAY);
      }
      const sixth = await o.order(buyer, listing, 1);
      const res = await o.pay(buyer, { orderId: sixth.id });

      expectProblem(res, 429, 'TOO_MANY_FAILURES', PAY);
      retryAfterOf(res);
      expect((await o.getOk(buyer, sixth.id)).status).to.equal('CREATED');
      expect(await o.balanceOf(buyer)).to.equal(10_000);
    });
  });

  describe(`e2e: sandbox gateway, timeout (${persistence})`, function () {
    // Recovery waits its default 60 s: only /payments/confirm settles anything here.
    const service = serviceFor(persistence, { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'timeout' });

    it('answers 202 with the payment GATEWAY_REQUESTED and the order PENDING; confirm settles it: 200 FAILED, order FAILED, balance and stock back; confirm again is the same', async function () {
      const { o } = service.get();
      const listing = await o.listing({ price: 6_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(20_000);
      const order = await o.order(buyer, listing, 2);

      const pending = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 202);

      expect(pending).to.include({ orderId: order.id, amount: 12_000, status: 'GATEWAY_REQUESTED' });
      const waiting = await o.getOk(buyer, order.id);
      expect(waiting.status).to.equal('PENDING');
      expect(waiting.payment).to.include({ id: pending.id, status: 'GATEWAY_REQUESTED' });
      expect(await o.balanceOf(buyer)).to.equal(8_000);
      expect(expectPaymentAnswer(await o.getPayment(buyer, pending.id), 200)).to.include({ id: pending.id, status: 'GATEWAY_REQUESTED' });
      // A PENDING order cannot be paid a second time.
      expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INVALID_STATE', PAY);
      expect(await o.balanceOf(buyer)).to.equal(8_000);

      const settled = expectPaymentAnswer(await o.confirm(buyer, { paymentId: pending.id }), 200);

      expect(settled).to.include({ id: pending.id, orderId: order.id, amount: 12_000, status: 'FAILED' });
      expect(settled.failureReason).to.be.a('string').that.is.not.empty;
      const failed = await o.getOk(buyer, order.id);
      expect(failed.status).to.equal('FAILED');
      expect(failed.payment).to.deep.equal(settled);
      expect(await o.balanceOf(buyer)).to.equal(20_000);
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });

      expect(expectPaymentAnswer(await o.confirm(buyer, { paymentId: pending.id }), 200)).to.deep.equal(settled);
      expect(await o.balanceOf(buyer)).to.equal(20_000);
    });

    it('confirm: 403 to another buyer (the payment stays pending); an ADMIN may settle it', async function () {
      const { t, o } = service.get();
      const listing = await o.listing({ price: 5_000 });
      const buyer = await o.buyerWith(10_000);
      const order = await o.order(buyer, listing, 1);
      const pending = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 202);

      expectProblem(await o.confirm(await t.newBuyer(), { paymentId: pending.id }), 403, 'FORBIDDEN', CONFIRM);
      expectProblem(await o.getPayment(await t.newBuyer(), pending.id), 403, 'FORBIDDEN', paymentPath(pending.id));
      expect((await o.getOk(buyer, order.id)).status).to.equal('PENDING');

      expect(expectPaymentAnswer(await o.confirm(t.admin, { paymentId: pending.id }), 200).status).to.equal('FAILED');
      expect((await o.getOk(buyer, order.id)).status).to.equal('FAILED');
      expect(await o.balanceOf(buyer)).to.equal(10_000);
    });
  });

  describe(`e2e: sandbox gateway, approve (${persistence})`, function () {
    const service = serviceFor(persistence, { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'approve' });

    it('answers 200 COMPLETED; the order CONFIRMED, balance debited, stock confirmed', async function () {
      const { o } = service.get();
      const listing = await o.listing({ price: 4_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(20_000);
      const order = await o.order(buyer, listing, 3);

      const payment = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 200);

      expect(payment).to.include({ orderId: order.id, amount: 12_000, status: 'COMPLETED', failureReason: null });
      const paid = expectOrderAnswer(await o.get(buyer, order.id), 200);
      expect(paid.status).to.equal('CONFIRMED');
      expect(paid.payment).to.deep.equal(payment);
      expect(await o.balanceOf(buyer)).to.equal(8_000);
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 7, reservedStock: 0, availableStock: 7 });
      expect(expectPaymentAnswer(await o.confirm(buyer, { paymentId: payment.id }), 200)).to.deep.equal(payment);
    });
  });

  describe(`e2e: FAILURE_BLOCK_* settings (${persistence})`, function () {
    describe('FAILURE_BLOCK_SECONDS=2', function () {
      const service = serviceFor(persistence, { FAILURE_BLOCK_SECONDS: '2' });

      it('blocks for that long: Retry-After at most 2, then the buyer may pay again', async function () {
        const { o } = service.get();
        const listing = await o.listing({ price: 10_000 });
        const buyer = await o.buyerWith(0);
        const order = await o.order(buyer, listing, 1);
        for (let i = 1; i <= 5; i++) expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INSUFFICIENT_BALANCE', PAY);
        const blocked = await o.pay(buyer, { orderId: order.id });
        expectProblem(blocked, 429, 'TOO_MANY_FAILURES', PAY);
        expect(retryAfterOf(blocked)).to.be.at.most(2);

        await o.charge(buyer, 10_000);
        await sleep(2_100);
        await o.payOk(buyer, order.id);
      });
    });

    describe('FAILURE_BLOCK_THRESHOLD=0', function () {
      const service = serviceFor(persistence, { FAILURE_BLOCK_THRESHOLD: '0' });

      it('switches the block off: 7 failed payments in a row all answer 409 INSUFFICIENT_BALANCE', async function () {
        const { o } = service.get();
        const listing = await o.listing({ price: 10_000 });
        const buyer = await o.buyerWith(0);
        const order = await o.order(buyer, listing, 1);
        for (let i = 1; i <= 7; i++) expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INSUFFICIENT_BALANCE', PAY);
        await o.charge(buyer, 10_000);
        await o.payOk(buyer, order.id);
      });
    });

    describe('FAILURE_BLOCK_SECONDS=0', function () {
      it('switches the block off (API.md: "0 switches it off"): the service starts, and 7 failed payments all answer 409', async function () {
        let t: TestService | null = null;
        try {
          t = await startTestService({ persistence, env: { FAILURE_BLOCK_SECONDS: '0' } });
        } catch (error) {
          expect.fail(`the service refused FAILURE_BLOCK_SECONDS=0: ${error instanceof Error ? error.message : String(error)}`);
        }
        try {
          const o = new OrderingClient(t);
          const listing = await o.listing({ price: 10_000 });
          const buyer = await o.buyerWith(0);
          const order = await o.order(buyer, listing, 1);
          for (let i = 1; i <= 7; i++) expectProblem(await o.pay(buyer, { orderId: order.id }), 409, 'INSUFFICIENT_BALANCE', PAY);
        } finally {
          await t.stop();
        }
      });
    });
  });
}

describe('e2e: refunds in the OpenAPI document (issue 11)', function () {
  it('says a refund reason is trimmed, must not be blank and is at most 500 characters', function () {
    const schemas = (openApiDocument as unknown as { components: { schemas: Record<string, Record<string, any>> } }).components.schemas;
    const reason = schemas['RefundRequest']!['properties']['reason'];
    expect(reason).to.include({ type: 'string', minLength: 1, maxLength: 500, pattern: '\\S' });
    expect(reason['description']).to.match(/trimmed/).and.to.match(/must not be blank/).and.to.match(/at most 500 characters/);
  });
});
