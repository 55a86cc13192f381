import { expect } from 'chai';
import { startTestService, type TestService } from '../support/service.js';
import { expectProblem } from './problem.js';
import { eventually, expectPaymentAnswer, type Order, OrderingClient, PAY, REFUNDS, sleep } from './orders-support.js';

// The background jobs of API.md ("Running it"), with short intervals, each on a service of its own,
// over both persistence adapters.
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: reservation sweeper, ORDER_RESERVATION_TTL_SECONDS=1, JOB_INTERVAL_MS=100 (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence, env: { ORDER_RESERVATION_TTL_SECONDS: '1', JOB_INTERVAL_MS: '100' } });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('cancels an unpaid order with cancelReason "EXPIRED" within ~3 s and releases its stock; a paid one is left alone', async function () {
      const listing = await o.listing({ price: 2_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(10_000);
      const { order: paid } = await o.paidOrder(buyer, listing, 2);
      const unpaid = await o.order(buyer, listing, 3);
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 8, reservedStock: 3, availableStock: 5 });

      const swept = await eventually<Order>(
        () => o.getOk(buyer, unpaid.id),
        (order) => order.status !== 'CREATED',
        3_000,
      );

      expect(swept).to.include({ status: 'CANCELLED', cancelReason: 'EXPIRED', payment: null });
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 8, reservedStock: 0, availableStock: 8 });
      expect((await o.getOk(buyer, paid.id)).status).to.equal('CONFIRMED');
      expect(await o.balanceOf(buyer)).to.equal(6_000);
      // Past its expiry it can no longer be paid.
      expectProblem(await o.pay(buyer, { orderId: unpaid.id }), 409, 'INVALID_STATE', PAY);
      expect(await o.balanceOf(buyer)).to.equal(6_000);
    });
  });

  describe(`e2e: pending-payment recovery, sandbox timeout, PENDING_RECOVERY_AFTER_SECONDS=1, JOB_INTERVAL_MS=100 (${persistence})`, function () {
    let t: TestService;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({
        persistence,
        env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'timeout', PENDING_RECOVERY_AFTER_SECONDS: '1', JOB_INTERVAL_MS: '100' },
      });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('fails a 202 payment\'s PENDING order within ~4 s, with the balance back and the stock released', async function () {
      const listing = await o.listing({ price: 7_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(30_000);
      const order = await o.order(buyer, listing, 2);

      const pending = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 202);
      expect(pending.status).to.equal('GATEWAY_REQUESTED');
      expect((await o.getOk(buyer, order.id)).status).to.equal('PENDING');
      expect(await o.balanceOf(buyer)).to.equal(16_000);

      const recovered = await eventually<Order>(
        () => o.getOk(buyer, order.id),
        (current) => current.status !== 'PENDING',
        4_000,
      );

      expect(recovered.status).to.equal('FAILED');
      expect(recovered.payment).to.include({ id: pending.id, status: 'FAILED' });
      expect(await o.balanceOf(buyer)).to.equal(30_000);
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 0, availableStock: 10 });
      const payment = expectPaymentAnswer(await o.getPayment(buyer, pending.id), 200);
      expect(payment.status).to.equal('FAILED');
      expect(payment.failureReason).to.be.a('string').that.is.not.empty;
      // Given back once: the balance stays put, and there is nothing left to refund.
      await sleep(300);
      expect(await o.balanceOf(buyer)).to.equal(30_000);
      expect((await o.historyOf(buyer)).filter((e) => e.type === 'REFUND' && e.orderId === order.id)).to.have.length(1);
      expectProblem(await o.refund(buyer, { orderId: order.id }), 409, 'INVALID_STATE', REFUNDS);
    });
  });
}
