import { expect } from 'chai';
import sinon from 'sinon';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { OutboxEvent } from '../../../../src/application/ports/outbox.js';
import type { StoredResponse } from '../../../../src/application/ports/idempotency-store.js';
import type { OrderView, PaymentView } from '../../../../src/application/ordering/views.js';
import { DEFAULT_ORDER_POLICY, Order } from '../../../../src/domain/ordering/order.js';
import type { TooManyFailures } from '../../../../src/domain/shared/errors.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode, rejectionOf } from '../../expect-error.js';
import { type OrderingApp, orderingApp, PRICE, ScriptedGateway, TEST_ADDRESS } from '../ordering-app.js';

const UNKNOWN = 987_654;
const TTL_MS = 30_000;
const RECOVERY_AFTER_S = 60;
const PAST_RECOVERY_AGE_MS = RECOVERY_AFTER_S * 1000 + 1_000;

const sandbox = (mode: 'approve' | 'decline' | 'timeout') => ({ env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: mode } });

/** A shop with one product (5 units) and a buyer with 100,000 won. */
async function shop(app: OrderingApp) {
  const seller = await app.seller();
  const product = await app.product(seller, [{ name: '260', stock: 5 }]);
  const buyer = await app.buyer(100_000);
  return { seller, product, optionId: product.options[0]!.id, buyer };
}

describe('payments (memory adapters)', () => {
  let app: OrderingApp;
  let product: ProductView;
  let optionId: number;
  let buyer: Actor;

  afterEach(() => sinon.restore());

  describe('PayForOrder with the internal gateway', () => {
    beforeEach(async () => {
      app = await orderingApp();
      ({ product, optionId, buyer } = await shop(app));
    });

    it('is one transaction: transactional', () => {
      expect(app.payForOrder.transactional).to.equal(true);
    });

    it('debits the wallet (ledger PAYMENT), confirms the stock, CONFIRMS the order, COMPLETES the payment, records PaymentCompleted', async () => {
      const order = await app.place(buyer, product, 1);
      app.clock.advance(2_000);
      const now = app.clock.now().toISOString();

      const outcome = await app.payForOrder.execute(buyer, order.id);

      expect(outcome.settled).to.equal(true);
      expect(outcome.payment).to.deep.equal({
        id: outcome.payment.id,
        orderId: order.id,
        amount: PRICE,
        status: 'COMPLETED',
        failureReason: null,
        refundedAmount: 0,
        createdAt: now,
        updatedAt: now,
      });
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      const history = await app.wallets.history(buyer.userId, { page: 1, size: 10 });
      expect(history.items[0]).to.include({ type: 'PAYMENT', amount: -PRICE, balanceAfter: 100_000 - PRICE, orderId: order.id, actorId: buyer.userId });
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });

      const stored = await app.getOrder.execute(buyer, order.id);
      expect(stored).to.include({ status: 'CONFIRMED', updatedAt: now });
      expect(stored.payment).to.deep.equal(outcome.payment);
      expect(await app.getPayment.execute(buyer, outcome.payment.id)).to.deep.equal(outcome.payment);

      expect(app.events(order.id)).to.deep.equal([
        ['OrderCreated', order.id],
        ['PaymentCompleted', order.id],
      ]);
      expect(app.outbox.events().at(-1)!.payload).to.deep.equal(stored);
    });

    it('a balance that does not cover it is INSUFFICIENT_BALANCE: the order stays CREATED, balance and stock unchanged, a FAILED payment on record', async () => {
      const poor = await app.buyer(50_000);
      const order = await app.place(poor, product, 1);

      await expectRejectsCode(app.payForOrder.execute(poor, order.id), 'INSUFFICIENT_BALANCE');

      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.balance(poor.userId)).to.equal(50_000);
      expect(await app.ledger(poor.userId)).to.deep.equal([]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
      const failed = (await app.payments.latestFor(order.id))!.toSnapshot();
      expect(failed).to.include({ status: 'FAILED', amount: PRICE, userId: poor.userId });
      expect(failed.failureReason).to.match(/^INSUFFICIENT_BALANCE/);
      expect(app.events(order.id)).to.deep.equal([['OrderCreated', order.id]]);
      expect((await app.getOrder.execute(poor, order.id)).payment).to.include({ status: 'FAILED' });

      // The order is still payable: charge and pay again before it expires.
      await app.charge(poor.userId, 10_000);
      const outcome = await app.payForOrder.execute(poor, order.id);
      expect(outcome.payment.status).to.equal('COMPLETED');
      expect(await app.balance(poor.userId)).to.equal(60_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
    });

    it('an order past its expiry is INVALID_STATE even though the sweeper has not run; nothing is debited', async () => {
      const order = await app.place(buyer, product, 1);
      app.clock.advance(TTL_MS);
      await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'INVALID_STATE');
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
      expect(await app.payments.latestFor(order.id)).to.equal(null);
    });

    it('a millisecond before the expiry it is still payable', async () => {
      const order = await app.place(buyer, product, 1);
      app.clock.advance(TTL_MS - 1);
      expect((await app.payForOrder.execute(buyer, order.id)).payment.status).to.equal('COMPLETED');
    });

    it('someone else’s order is FORBIDDEN (nobody’s balance moves); an unknown order is NOT_FOUND', async () => {
      const order = await app.place(buyer, product, 1);
      const other = await app.buyer(100_000);
      await expectRejectsCode(app.payForOrder.execute(other, order.id), 'FORBIDDEN');
      await expectRejectsCode(app.payForOrder.execute(buyer, UNKNOWN), 'NOT_FOUND');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.balance(other.userId)).to.equal(100_000);
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.payments.latestFor(order.id)).to.equal(null);
    });

    it('an ADMIN may pay a buyer’s order: the buyer’s wallet pays', async () => {
      const order = await app.place(buyer, product, 1);
      await app.payForOrder.execute(app.admin, order.id);
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.status(order.id)).to.equal('CONFIRMED');
    });

    it('the ledger records who paid: an ADMIN paying a buyer’s order is the PAYMENT entry’s actor (DOMAIN “Retention and audit”)', async () => {
      const order = await app.place(buyer, product, 1);
      await app.payForOrder.execute(app.admin, order.id);
      const [entry] = (await app.wallets.history(buyer.userId, { page: 1, size: 1 })).items;
      expect(entry).to.include({ type: 'PAYMENT', orderId: order.id });
      // Charges already record the ADMIN who made them; a payment the ADMIN made must not be put on the buyer.
      expect(entry!.actorId, 'actorId of the PAYMENT entry').to.equal(app.admin.userId);
    });

    it('an order whose discount covers its whole total (final amount 0, DOMAIN allows 0 <= discount <= total) is paid without touching the wallet', async () => {
      // PlaceOrder cannot apply coupons yet, so the order is written as PlaceOrder will write it then.
      await app.stock.reserve([{ optionId, quantity: 1 }]);
      const draft = Order.place(
        {
          userId: buyer.userId,
          lines: [{ productId: product.id, optionId, sellerId: product.sellerId, productName: 'Runner', optionName: '260', unitPrice: PRICE, quantity: 1 }],
          discountAmount: PRICE,
          userCouponId: null,
          shippingAddress: { ...TEST_ADDRESS, line2: null },
          at: app.clock.now(),
        },
        DEFAULT_ORDER_POLICY,
      );
      const order = await app.orders.add(draft);
      expect(order.finalAmount).to.equal(0);

      const outcome = await app.payForOrder.execute(buyer, order.id);

      expect(outcome.payment).to.include({ status: 'COMPLETED', amount: 0 });
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
    });

    it('a refused attempt whose record is written after a concurrent payment succeeded still answers INSUFFICIENT_BALANCE, and hides nothing', async () => {
      const poor = await app.buyer(10_000);
      const order = await app.place(poor, product, 1);
      // Attempt A is refused for want of balance; meanwhile the buyer charges and attempt B pays.
      // (Memory transactions run one at a time in the order they were asked for: A, charge, B; A's
      // refusal is recorded in a transaction of its own once A has rolled back, i.e. after B.)
      const [a, , b] = await Promise.allSettled([
        app.payForOrder.execute(poor, order.id),
        app.chargeWallet.execute(app.admin, { userId: poor.userId, amount: 60_000 }),
        app.payForOrder.execute(poor, order.id),
      ]);
      expect(b).to.have.nested.property('value.payment.status', 'COMPLETED');
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.balance(poor.userId)).to.equal(70_000 - PRICE);
      // The paid order shows its COMPLETED payment, not the refused attempt, and can be refunded.
      expect((await app.getOrder.execute(poor, order.id)).payment).to.include({ status: 'COMPLETED' });
      await app.refundOrder.execute(poor, order.id, null);
      expect(await app.balance(poor.userId)).to.equal(70_000);

      // A was refused for want of balance, and must be told so: recording the refusal must not
      // replace the answer with an error of its own.
      expect(a.status).to.equal('rejected');
      const reason = (a as PromiseRejectedResult).reason as Error & { code?: string };
      expect(reason.code, `attempt A was answered: ${reason.message}`).to.equal('INSUFFICIENT_BALANCE');
    });

    it('paying twice: INVALID_STATE the second time, and one debit only', async () => {
      const order = await app.place(buyer, product, 1);
      await app.payForOrder.execute(buyer, order.id);
      await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'INVALID_STATE');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId: order.id }]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      expect(app.events(order.id).filter(([type]) => type === 'PaymentCompleted')).to.have.length(1);
    });

    it('a cancelled order is INVALID_STATE', async () => {
      const order = await app.place(buyer, product, 1);
      await app.cancelOrder.execute(buyer, order.id, null);
      await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'INVALID_STATE');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
    });

    it('GetPayment: the buyer and an ADMIN; another buyer FORBIDDEN; unknown NOT_FOUND', async () => {
      const order = await app.place(buyer, product, 1);
      const { payment } = await app.payForOrder.execute(buyer, order.id);
      expect(await app.getPayment.execute(app.admin, payment.id)).to.deep.equal(payment);
      await expectRejectsCode(app.getPayment.execute(await app.buyer(), payment.id), 'FORBIDDEN');
      await expectRejectsCode(app.getPayment.execute(buyer, UNKNOWN), 'NOT_FOUND');
    });
  });

  describe('PayForOrder with the sandbox gateway', () => {
    it('approve: CONFIRMED, payment COMPLETED, balance debited, stock confirmed, PaymentCompleted', async () => {
      app = await orderingApp(sandbox('approve'));
      ({ product, optionId, buyer } = await shop(app));
      expect(app.payForOrder.transactional).to.equal(false);
      const order = await app.place(buyer, product, 1);

      const outcome = await app.payForOrder.execute(buyer, order.id);

      expect(outcome.settled).to.equal(true);
      expect(outcome.payment).to.include({ status: 'COMPLETED', amount: PRICE, failureReason: null });
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId: order.id }]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'PaymentCompleted']);
    });

    it('decline: PAYMENT_DECLINED, order FAILED, balance back (ledger PAYMENT then REFUND), stock released, OrderFailed', async () => {
      app = await orderingApp(sandbox('decline'));
      ({ product, optionId, buyer } = await shop(app));
      await app.charge(buyer.userId, 100_000);
      const order = await app.place(buyer, product, 2);

      await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'PAYMENT_DECLINED');

      const stored = await app.getOrder.execute(buyer, order.id);
      expect(stored.status).to.equal('FAILED');
      expect(stored.cancelReason).to.be.a('string').and.not.equal('');
      expect(stored.payment).to.include({ status: 'FAILED' });
      expect(stored.payment!.failureReason).to.include('GATEWAY_REQUESTED');
      expect(await app.balance(buyer.userId)).to.equal(200_000);
      expect(await app.ledger(buyer.userId)).to.deep.equal([
        { type: 'PAYMENT', amount: -2 * PRICE, orderId: order.id },
        { type: 'REFUND', amount: 2 * PRICE, orderId: order.id },
      ]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'OrderFailed']);
      expect(app.outbox.events().at(-1)!.payload).to.deep.equal(stored);

      // A failed order cannot be paid, cancelled or refunded.
      await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'INVALID_STATE');
      await expectRejectsCode(app.cancelOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      await expectRejectsCode(app.refundOrder.execute(buyer, order.id, null), 'INVALID_STATE');
      expect(await app.balance(buyer.userId)).to.equal(200_000);
    });

    describe('timeout', () => {
      let order: OrderView;
      let pending: PaymentView;

      beforeEach(async () => {
        app = await orderingApp(sandbox('timeout'));
        ({ product, optionId, buyer } = await shop(app));
        order = await app.place(buyer, product, 1);
        const outcome = await app.payForOrder.execute(buyer, order.id);
        expect(outcome.settled).to.equal(false);
        pending = outcome.payment;
      });

      it('the answer is lost: settled false, order PENDING, payment GATEWAY_REQUESTED, balance debited, stock still reserved', async () => {
        expect(pending).to.include({ status: 'GATEWAY_REQUESTED', amount: PRICE, orderId: order.id });
        expect(await app.status(order.id)).to.equal('PENDING');
        expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
        expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated']);
      });

      it('a PENDING order cannot be paid again, cancelled or refunded, and the sweeper leaves it alone past its expiry', async () => {
        await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'INVALID_STATE');
        await expectRejectsCode(app.cancelOrder.execute(buyer, order.id, null), 'INVALID_STATE');
        await expectRejectsCode(app.refundOrder.execute(buyer, order.id, null), 'INVALID_STATE');
        app.clock.advance(TTL_MS + 1_000);
        expect(await app.expireReservations.execute()).to.equal(0);
        expect(await app.status(order.id)).to.equal('PENDING');
        expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
      });

      it('recover before the age settles nothing; after it the order FAILS and balance and stock come back, once', async () => {
        app.clock.advance(RECOVERY_AFTER_S * 1000 - 1_000);
        expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);
        expect(await app.status(order.id)).to.equal('PENDING');
        expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);

        app.clock.advance(2_000);
        expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);

        const stored = await app.getOrder.execute(buyer, order.id);
        expect(stored.status).to.equal('FAILED');
        expect(stored.payment).to.include({ id: pending.id, status: 'FAILED' });
        expect(await app.balance(buyer.userId)).to.equal(100_000);
        expect(await app.ledger(buyer.userId)).to.deep.equal([
          { type: 'PAYMENT', amount: -PRICE, orderId: order.id },
          { type: 'REFUND', amount: PRICE, orderId: order.id },
        ]);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'OrderFailed']);

        expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);
        expect(await app.balance(buyer.userId)).to.equal(100_000);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        expect(app.events(order.id)).to.have.length(2);
      });

      it('the stock recovery gives back shows at once in a product read from the catalog cache', async () => {
        app.clock.advance(PAST_RECOVERY_AGE_MS);
        expect((await app.getProduct.execute(product.id)).options[0]).to.include({ reservedStock: 1, availableStock: 4 });
        await app.settlePendingPayment.recover(RECOVERY_AFTER_S);
        expect((await app.getProduct.execute(product.id)).options[0]).to.include({ reservedStock: 0, availableStock: 5 });
      });

      it('confirm() settles it at once, and on a settled payment returns it unchanged (idempotent)', async () => {
        const settled = await app.settlePendingPayment.confirm(buyer, pending.id);
        expect(settled).to.include({ id: pending.id, status: 'FAILED' });
        expect(await app.status(order.id)).to.equal('FAILED');
        expect(await app.balance(buyer.userId)).to.equal(100_000);

        app.clock.advance(5_000);
        expect(await app.settlePendingPayment.confirm(buyer, pending.id)).to.deep.equal(settled);
        expect(await app.settlePendingPayment.confirm(app.admin, pending.id)).to.deep.equal(settled);
        expect(await app.balance(buyer.userId)).to.equal(100_000);
        expect((await app.ledger(buyer.userId)).map((e) => e.type)).to.deep.equal(['PAYMENT', 'REFUND']);
        expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
        app.clock.advance(PAST_RECOVERY_AGE_MS);
        expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);
      });

      it('confirm() by another buyer is FORBIDDEN and settles nothing; an unknown payment is NOT_FOUND', async () => {
        await expectRejectsCode(app.settlePendingPayment.confirm(await app.buyer(), pending.id), 'FORBIDDEN');
        await expectRejectsCode(app.settlePendingPayment.confirm(buyer, UNKNOWN), 'NOT_FOUND');
        expect(await app.status(order.id)).to.equal('PENDING');
      });
    });
  });

  describe('blocking after consecutive failed payments (FAILURE_BLOCK_THRESHOLD 5)', () => {
    beforeEach(async () => {
      app = await orderingApp();
      ({ product, optionId, buyer } = await shop(app));
    });

    const failOnce = async (who: Actor, orderId: number) => {
      await app.payForOrder.admit(who);
      await expectRejectsCode(app.payForOrder.execute(who, orderId), 'INSUFFICIENT_BALANCE');
    };

    it('5 insufficient-balance payments in a row: the next admit is TOO_MANY_FAILURES for FAILURE_BLOCK_SECONDS; others are not blocked', async () => {
      const poor = await app.buyer(10_000);
      const order = await app.place(poor, product, 1);
      for (let i = 0; i < 4; i += 1) await failOnce(poor, order.id);
      await app.payForOrder.admit(poor);
      await failOnce(poor, order.id);

      const error = (await expectRejectsCode(app.payForOrder.admit(poor), 'TOO_MANY_FAILURES')) as TooManyFailures;
      expect(error.retryAfterSeconds).to.equal(600);
      await app.payForOrder.admit(buyer);

      app.clock.advance(600_000);
      await app.payForOrder.admit(poor);
    });

    it('a successful payment in between resets the count', async () => {
      const stocked = await app.product(await app.seller(), [{ name: 'big', stock: 20 }], 50_000);
      const poor = await app.buyer(10_000);
      const unpayable = await app.place(poor, product, 1); // 59,000: more than the buyer will ever have here
      for (let i = 0; i < 4; i += 1) await failOnce(poor, unpayable.id);

      await app.charge(poor.userId, 40_000);
      const payable = await app.place(poor, stocked, 1);
      await app.payForOrder.admit(poor);
      await app.payForOrder.execute(poor, payable.id);

      for (let i = 0; i < 4; i += 1) await failOnce(poor, unpayable.id);
      await app.payForOrder.admit(poor);
      await failOnce(poor, unpayable.id);
      await expectRejectsCode(app.payForOrder.admit(poor), 'TOO_MANY_FAILURES');
    });

    it('refusals that are not failed payments (an expired order: INVALID_STATE) do not count', async () => {
      const order = await app.place(buyer, product, 1);
      app.clock.advance(TTL_MS);
      for (let i = 0; i < 6; i += 1) await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'INVALID_STATE');
      await app.payForOrder.admit(buyer);
    });

    it('declined payments count too', async () => {
      app = await orderingApp(sandbox('decline'));
      ({ product, optionId, buyer } = await shop(app));
      for (let i = 0; i < 5; i += 1) {
        const order = await app.place(buyer, product, 1);
        await app.payForOrder.admit(buyer);
        await expectRejectsCode(app.payForOrder.execute(buyer, order.id), 'PAYMENT_DECLINED');
      }
      await expectRejectsCode(app.payForOrder.admit(buyer), 'TOO_MANY_FAILURES');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('FAILURE_BLOCK_THRESHOLD=0 switches blocking off', async () => {
      app = await orderingApp({ env: { FAILURE_BLOCK_THRESHOLD: '0' } });
      ({ product } = await shop(app));
      const poor = await app.buyer(10_000);
      const order = await app.place(poor, product, 1);
      for (let i = 0; i < 7; i += 1) await failOnce(poor, order.id);
      await app.payForOrder.admit(poor);
    });
  });

  describe('crash safety: a gateway call that dies, a settlement that dies', () => {
    let gateway: ScriptedGateway;
    let order: OrderView;

    beforeEach(async () => {
      gateway = new ScriptedGateway(
        () => Promise.reject(new Error('connection reset: the process died mid-call')),
        () => Promise.resolve('UNKNOWN'),
      );
      app = await orderingApp({ gateway });
      ({ product, optionId, buyer } = await shop(app));
      order = await app.place(buyer, product, 1);
    });

    const payThroughDeadGateway = async () => {
      const outcome = await app.payForOrder.execute(buyer, order.id);
      expect(outcome.settled).to.equal(false);
      expect(outcome.payment.status).to.equal('GATEWAY_REQUESTED');
      expect(gateway.requests).to.equal(1);
      expect(await app.status(order.id)).to.equal('PENDING');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
      return outcome.payment;
    };

    it('a request that throws is an UNKNOWN answer: the order is PENDING; recovery on APPROVED completes it exactly once', async () => {
      await payThroughDeadGateway();
      gateway.onStatus = () => Promise.resolve('APPROVED');
      app.clock.advance(PAST_RECOVERY_AGE_MS);

      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);

      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect((await app.payments.latestFor(order.id))!.status).to.equal('COMPLETED');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId: order.id }]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'PaymentCompleted']);

      const asked = gateway.statusQueries;
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);
      expect(gateway.statusQueries).to.equal(asked);
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      expect(app.events(order.id)).to.have.length(2);
      // A recovered payment resets nothing it should not: the order is paid and may be fulfilled.
      await app.advanceFulfilment.execute(app.admin, order.id, 'PREPARING');
    });

    it('recovery on NOT_APPROVED gives balance and stock back exactly once and fails the order', async () => {
      await payThroughDeadGateway();
      gateway.onStatus = () => Promise.resolve('NOT_APPROVED');
      app.clock.advance(PAST_RECOVERY_AGE_MS);

      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);

      expect(await app.status(order.id)).to.equal('FAILED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.ledger(buyer.userId)).to.deep.equal([
        { type: 'PAYMENT', amount: -PRICE, orderId: order.id },
        { type: 'REFUND', amount: PRICE, orderId: order.id },
      ]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'OrderFailed']);
    });

    it('while the gateway cannot tell (UNKNOWN, or its status call throws) nothing is settled; a later run settles it', async () => {
      await payThroughDeadGateway();
      app.clock.advance(PAST_RECOVERY_AGE_MS);
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);
      gateway.onStatus = () => Promise.reject(new Error('gateway down'));
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);
      expect(await app.status(order.id)).to.equal('PENDING');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });

      gateway.onStatus = () => Promise.resolve('APPROVED');
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);
      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.ledger(buyer.userId)).to.have.length(1);
    });

    it('two recoveries at once, and a confirm, settle it once', async () => {
      const payment = await payThroughDeadGateway();
      gateway.onStatus = () => Promise.resolve('NOT_APPROVED');
      app.clock.advance(PAST_RECOVERY_AGE_MS);

      await Promise.all([
        app.settlePendingPayment.recover(RECOVERY_AFTER_S),
        app.settlePendingPayment.recover(RECOVERY_AFTER_S),
        app.settlePendingPayment.confirm(buyer, payment.id),
      ]);

      expect(await app.status(order.id)).to.equal('FAILED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect((await app.ledger(buyer.userId)).map((e) => e.type)).to.deep.equal(['PAYMENT', 'REFUND']);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      expect(app.events(order.id).filter(([type]) => type === 'OrderFailed')).to.have.length(1);
    });

    it('a settlement that dies after the gateway approved rolls back whole; the order stays PENDING and recovery completes it once', async () => {
      gateway.onRequest = () => Promise.resolve('APPROVED');
      const add = app.outbox.add.bind(app.outbox);
      let died = false;
      sinon.stub(app.outbox, 'add').callsFake(async (...events: OutboxEvent[]) => {
        if (!died && events.some((e) => e.type === 'PaymentCompleted')) {
          died = true;
          throw new Error('the process died while settling');
        }
        return add(...events);
      });

      const error = await rejectionOf(app.payForOrder.execute(buyer, order.id));
      expect(error).to.have.property('message', 'the process died while settling');
      expect(await app.status(order.id)).to.equal('PENDING');
      expect((await app.payments.latestFor(order.id))!.status).to.equal('GATEWAY_REQUESTED');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });

      gateway.onStatus = () => Promise.resolve('APPROVED');
      app.clock.advance(PAST_RECOVERY_AGE_MS);
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(1);
      expect(await app.settlePendingPayment.recover(RECOVERY_AFTER_S)).to.equal(0);

      expect(await app.status(order.id)).to.equal('CONFIRMED');
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId: order.id }]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      expect(app.events(order.id).map(([type]) => type)).to.deep.equal(['OrderCreated', 'PaymentCompleted']);
    });

    it('a confirm() that settles the payment as not approved while the request is in flight: the late approval is not answered as a success', async () => {
      let answer!: (value: 'APPROVED') => void;
      gateway.onRequest = () => new Promise((resolve) => (answer = resolve));
      gateway.onStatus = () => Promise.resolve('NOT_APPROVED');
      const paying = app.payForOrder.execute(buyer, order.id).then(
        (outcome) => ({ ok: true as const, outcome }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      while (gateway.requests === 0) await new Promise((resolve) => setImmediate(resolve));
      const payment = (await app.payments.latestFor(order.id))!;

      // The buyer asks for the payment to be settled now; the gateway has no answer yet: not approved.
      expect((await app.settlePendingPayment.confirm(buyer, payment.id)).status).to.equal('FAILED');
      expect(await app.status(order.id)).to.equal('FAILED');
      answer('APPROVED');
      const result = await paying;

      // The order FAILED and everything was given back, exactly once.
      expect(await app.status(order.id)).to.equal('FAILED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect((await app.ledger(buyer.userId)).map((e) => e.type)).to.deep.equal(['PAYMENT', 'REFUND']);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
      // So the payment request must not answer as settled-and-paid (HTTP 200 means "payment COMPLETED").
      if (result.ok) {
        expect(result.outcome.payment.status, 'PayForOrder answered settled: true with this payment').to.equal('COMPLETED');
      } else {
        expect(result.error).to.have.property('code', 'PAYMENT_DECLINED');
      }
    });

    it('a gateway that settles in the transaction and throws takes the whole payment back: nothing debited, order CREATED, payable again', async () => {
      const inTransaction = new ScriptedGateway(
        () => Promise.reject(new Error('the process died mid-call')),
        () => Promise.resolve('APPROVED'),
        true,
      );
      app = await orderingApp({ gateway: inTransaction });
      ({ product, optionId, buyer } = await shop(app));
      order = await app.place(buyer, product, 1);

      const error = await rejectionOf(app.payForOrder.execute(buyer, order.id));
      expect(error).to.have.property('message', 'the process died mid-call');
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect(await app.ledger(buyer.userId)).to.deep.equal([]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
      expect(await app.payments.latestFor(order.id)).to.equal(null);

      inTransaction.onRequest = () => Promise.resolve('APPROVED');
      expect((await app.payForOrder.execute(buyer, order.id)).payment.status).to.equal('COMPLETED');
      expect(await app.balance(buyer.userId)).to.equal(100_000 - PRICE);
    });
  });

  describe('RunIdempotently (atomic, the default) around a payment with the internal gateway', () => {
    beforeEach(async () => {
      app = await orderingApp();
      ({ product, optionId, buyer } = await shop(app));
    });

    const request = (key: string) => ({ scope: { userId: buyer.userId, key }, fingerprint: `pay ${key}` });
    const pay = (orderId: number, who: Actor = buyer) => async (): Promise<StoredResponse> => ({
      status: 200,
      body: (await app.payForOrder.execute(who, orderId)).payment,
    });

    it('a payment and its key commit together; the same key replays without a second debit', async () => {
      const order = await app.place(buyer, product, 1);
      const first = await app.runIdempotently.execute(request('k1'), pay(order.id));
      const again = await app.runIdempotently.execute(request('k1'), pay(order.id));
      expect(again).to.deep.equal({ response: first.response, replayed: true });
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId: order.id }]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
    });

    it('an insufficient balance rolls the work back but its FAILED payment and the failure count survive; the key is given back', async () => {
      const poor = await app.buyer(10_000);
      const order = await app.place(poor, product, 1);
      const key = { scope: { userId: poor.userId, key: 'k2' }, fingerprint: 'pay k2' };
      for (let i = 0; i < 5; i += 1) {
        await expectRejectsCode(app.runIdempotently.execute(key, pay(order.id, poor)), 'INSUFFICIENT_BALANCE');
      }
      expect(await app.status(order.id)).to.equal('CREATED');
      expect(await app.balance(poor.userId)).to.equal(10_000);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });
      const failed = (await app.payments.latestFor(order.id))!.toSnapshot();
      expect(failed.status).to.equal('FAILED');
      expect(failed.failureReason).to.match(/^INSUFFICIENT_BALANCE/);
      await expectRejectsCode(app.payForOrder.admit(poor), 'TOO_MANY_FAILURES');
    });
  });

  describe('RunIdempotently with atomic false (work that opens its own transactions)', () => {
    beforeEach(async () => {
      app = await orderingApp(sandbox('approve'));
      ({ product, optionId, buyer } = await shop(app));
    });

    const scope = (key = 'pay-1') => ({ userId: buyer.userId, key });
    const request = (key = 'pay-1', fingerprint = 'POST /payments/process {"orderId":1}') => ({ scope: scope(key), fingerprint, atomic: false });

    it('the work runs with no transaction open: an after-commit effect runs at once, and its writes stand even if it then fails', async () => {
      let ranAtOnce: boolean | null = null;
      const error = await rejectionOf(
        app.runIdempotently.execute(request(), async () => {
          let ran = false;
          await app.transactions.afterCommit(async () => {
            ran = true;
          });
          ranAtOnce = ran;
          await app.charge(buyer.userId, 1_000);
          throw new Error('failed after charging');
        }),
      );
      expect(error).to.have.property('message', 'failed after charging');
      expect(ranAtOnce).to.equal(true);
      expect(await app.balance(buyer.userId)).to.equal(101_000);
    });

    it('the answer is recorded after the work finished: a duplicate meanwhile is in progress, one afterwards replays it', async () => {
      const order = await app.place(buyer, product, 1);
      const steps: string[] = [];
      const complete = sinon.spy(app.idempotencyStore, 'complete');
      let duplicate: unknown = null;
      const work = async (): Promise<StoredResponse> => {
        duplicate = await rejectionOf(app.runIdempotently.execute(request(), async () => ({ status: 500, body: null })));
        const outcome = await app.payForOrder.execute(buyer, order.id);
        steps.push(`work done, complete called ${complete.callCount} times`);
        return { status: outcome.settled ? 200 : 202, body: outcome.payment };
      };

      const first = await app.runIdempotently.execute(request(), work);
      expect(duplicate).to.have.property('code', 'IDEMPOTENCY_IN_PROGRESS');
      expect(steps).to.deep.equal(['work done, complete called 0 times']);
      expect(complete.callCount).to.equal(1);
      expect(first.replayed).to.equal(false);
      expect(first.response.status).to.equal(200);

      const again = sinon.spy(work);
      const replay = await app.runIdempotently.execute(request(), again);
      expect(replay).to.deep.equal({ response: first.response, replayed: true });
      expect(again.callCount).to.equal(0);
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId: order.id }]);
      expect(await app.levels(optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
    });

    it('a failure gives the key back; the retry meets the work’s own state checks, so nothing is done twice', async () => {
      app = await orderingApp(sandbox('decline'));
      ({ product, optionId, buyer } = await shop(app));
      const order = await app.place(buyer, product, 1);
      const pay = async (): Promise<StoredResponse> => ({ status: 200, body: (await app.payForOrder.execute(buyer, order.id)).payment });

      await expectRejectsCode(app.runIdempotently.execute(request(), pay), 'PAYMENT_DECLINED');
      await expectRejectsCode(app.runIdempotently.execute(request(), pay), 'INVALID_STATE');

      expect(await app.balance(buyer.userId)).to.equal(100_000);
      expect((await app.ledger(buyer.userId)).map((e) => e.type)).to.deep.equal(['PAYMENT', 'REFUND']);
      expect(await app.levels(optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });
    });

    it('without a key (null scope) the work simply runs, outside any transaction', async () => {
      let ranAtOnce = false;
      const outcome = await app.runIdempotently.execute({ scope: null, fingerprint: 'x', atomic: false }, async () => {
        await app.transactions.afterCommit(async () => {
          ranAtOnce = true;
        });
        expect(ranAtOnce).to.equal(true);
        return { status: 204, body: null };
      });
      expect(outcome).to.deep.equal({ response: { status: 204, body: null }, replayed: false });
    });

    it('by contrast, atomic work (the default) runs inside one transaction: its after-commit effects wait for the end', async () => {
      let ranAtOnce: boolean | null = null;
      await app.runIdempotently.execute({ scope: scope('atomic'), fingerprint: 'x' }, async () => {
        let ran = false;
        await app.transactions.afterCommit(async () => {
          ran = true;
        });
        ranAtOnce = ran;
        return { status: 200, body: null };
      });
      expect(ranAtOnce).to.equal(false);
    });
  });
});
