import { expect } from 'chai';
import { ChargeAmount } from '../../../src/domain/wallet/charge-amount.js';
import { DEFAULT_WALLET_POLICY } from '../../../src/domain/wallet/wallet-policy.js';
import { aCoupon, anOrder, aPaymentOf, aUserCoupon, aWallet, PLACED_AT, SELLER_ID } from '../../support/mothers.js';

const AT = new Date(PLACED_AT.getTime() + 1_000);
const types = (events: readonly { type: string }[]) => events.map((e) => e.type);

describe('aggregates record their events (domain events)', () => {
  describe('Order', () => {
    it('a just-stored order has recorded OrderPlaced with itself; one loaded from storage has recorded nothing', () => {
      const placed = anOrder().placed();
      const [event, ...rest] = placed.pullEvents();
      expect(rest).to.deep.equal([]);
      expect(event).to.deep.include({ type: 'OrderPlaced', occurredAt: PLACED_AT });
      expect(event?.order).to.deep.equal(placed.toSnapshot());
      expect(anOrder().build().pullEvents()).to.deep.equal([]);
    });

    it('pullEvents hands the events over once', () => {
      const order = anOrder().placed();
      expect(order.pullEvents()).to.have.length(1);
      expect(order.pullEvents()).to.deep.equal([]);
    });

    it('paying records OrderPaid with the order as paid and the payment as it completed', () => {
      const order = anOrder().build();
      const payment = aPaymentOf(order);
      payment.reach('COMPLETED', AT);
      order.confirmPayment(AT, payment);
      const [event] = order.pullEvents();
      expect(event).to.deep.include({ type: 'OrderPaid', occurredAt: AT, payment: payment.toSnapshot() });
      expect(event?.order.status).to.equal('CONFIRMED');
    });

    it('a failed payment records OrderPaymentFailed; a cancel and an expiry record OrderCancelled with the latest payment (or none)', () => {
      const failing = anOrder().in('PENDING').build();
      const payment = aPaymentOf(failing);
      payment.fail('DECLINED', AT);
      failing.fail('DECLINED', AT, payment);
      const [failed] = failing.pullEvents();
      expect(failed).to.deep.include({ type: 'OrderPaymentFailed', payment: payment.toSnapshot() });
      expect(failed?.order).to.include({ status: 'FAILED', cancelReason: 'DECLINED' });
      const cancelled = anOrder().build();
      cancelled.cancel(null, AT, null);
      expect(cancelled.pullEvents()).to.have.deep.nested.property('[0].payment', null);
      const expired = anOrder().build();
      const refused = aPaymentOf(expired);
      expired.expire(new Date(PLACED_AT.getTime() + 3_600_000), refused);
      const [event] = expired.pullEvents();
      expect(event).to.deep.include({ type: 'OrderCancelled', payment: refused.toSnapshot() });
      expect(event?.order.cancelReason).to.equal('EXPIRED');
    });

    it('a refund records OrderRefunded with the refund; the last unit’s refund then OrderCancelled with the refunded payment', () => {
      const order = anOrder().withLines({ quantity: 2 }).paid().build();
      const line = order.items[0];
      if (!line) throw new Error('no line');
      const payment = aPaymentOf(order);
      const refund = (quantity: number, id: number) => ({
        id,
        orderId: order.id,
        paymentId: payment.id,
        amount: line.unitPrice * quantity,
        status: 'REFUNDED' as const,
        reason: null,
        createdAt: AT,
        items: [{ orderItemId: line.id, quantity, amount: line.unitPrice * quantity, discountAmount: 0 }],
      });
      order.recordRefund(refund(1, 1), AT, payment);
      expect(types(order.pullEvents())).to.deep.equal(['OrderRefunded']);
      order.recordRefund(refund(1, 2), AT, payment);
      const events = order.pullEvents();
      expect(types(events)).to.deep.equal(['OrderRefunded', 'OrderCancelled']);
      expect(events[0]).to.have.nested.property('refund.id', 2);
      expect(events[1]?.order.status).to.equal('CANCELLED');
    });

    it('a fulfilment step records OrderLinesAdvanced for each seller whose lines moved, then OrderAdvanced when the order’s status moved', () => {
      const order = anOrder().withLines({ sellerId: SELLER_ID }, { sellerId: 12 }).paid().build();
      const payment = aPaymentOf(order);
      order.advanceFulfilment('PREPARING', AT, { sellerId: SELLER_ID }, payment);
      let events = order.pullEvents();
      expect(events.map((e) => [e.type, 'sellerId' in e ? e.sellerId : null])).to.deep.equal([
        ['OrderLinesAdvanced', SELLER_ID],
        ['OrderAdvanced', null],
      ]);
      order.advanceFulfilment('PREPARING', AT, { sellerId: 12 }, payment);
      events = order.pullEvents();
      // The order was PREPARING already: only the lines moved.
      expect(types(events)).to.deep.equal(['OrderLinesAdvanced']);
      order.advanceFulfilment('SHIPPED', AT, 'ALL', payment);
      events = order.pullEvents();
      expect(types(events)).to.deep.equal(['OrderLinesAdvanced', 'OrderLinesAdvanced', 'OrderAdvanced']);
      expect(events[2]).to.deep.include({ status: 'SHIPPED', payment: payment.toSnapshot() });
    });

    it('confirming the purchase records OrderCompleted', () => {
      const order = anOrder().in('DELIVERED').build();
      order.complete(AT, null);
      expect(types(order.pullEvents())).to.deep.equal(['OrderCompleted']);
    });

    it('a refused move records nothing', () => {
      const order = anOrder().paid().build();
      expect(() => order.cancel(null, AT, null)).to.throw();
      expect(() => order.complete(AT, null)).to.throw();
      expect(order.pullEvents()).to.deep.equal([]);
    });
  });

  describe('Coupon and UserCoupon', () => {
    it('a just-stored coupon has recorded CouponCreated; issuing a copy records CouponIssued with the copy; a status change CouponStatusChanged', () => {
      const coupon = aCoupon().limited(100).created();
      const copy = aUserCoupon();
      coupon.issued(copy, AT);
      coupon.changeStatus('SUSPENDED', AT);
      const events = coupon.pullEvents();
      expect(types(events)).to.deep.equal(['CouponCreated', 'CouponIssued', 'CouponStatusChanged']);
      expect(events[1]).to.deep.include({ copy: copy.toSnapshot() });
      expect(events[2]).to.deep.include({ status: 'SUSPENDED' });
    });

    it('a copy of another coupon cannot be recorded as issued from this one', () => {
      expect(() => aCoupon().build().issued(aUserCoupon({ couponId: 6 }), AT)).to.throw(RangeError);
    });

    it('a copy records each of its moves with the order it concerns', () => {
      const copy = aUserCoupon();
      copy.bindTo(42, copy.userId, AT);
      copy.use(42, AT);
      copy.refund(42, AT);
      copy.bindTo(43, copy.userId, AT);
      copy.release(43, AT);
      expect(copy.pullEvents().map((e) => [e.type, e.orderId])).to.deep.equal([
        ['UserCouponBound', 42],
        ['UserCouponUsed', 42],
        ['UserCouponRestored', 42],
        ['UserCouponBound', 43],
        ['UserCouponReleased', 43],
      ]);
    });
  });

  describe('Wallet', () => {
    it('records one event per ledger entry, carrying the entry', () => {
      const wallet = aWallet(0);
      wallet.charge(ChargeAmount.of(10_000, DEFAULT_WALLET_POLICY), DEFAULT_WALLET_POLICY, { actorId: 7, at: AT });
      wallet.pay(3_000, 42, { actorId: 7, at: AT });
      wallet.refund(1_000, 42, { actorId: null, at: AT });
      const events = wallet.pullEvents();
      expect(types(events)).to.deep.equal(['WalletCharged', 'WalletPaid', 'WalletRefunded']);
      expect(events.map((e) => e.entry)).to.deep.equal(wallet.pendingEntries());
      expect(wallet.pullEvents()).to.deep.equal([]);
    });
  });
});
