import { expect } from 'chai';
import {
  assertCouponMinimumKept,
  discountShare,
  planRefund,
  type RefundableLine,
  refundLineOf,
  refundTotal,
} from '../../../src/domain/ordering/refund.js';
import { expectThrowsCode } from '../expect-error.js';

/** Three lines: 3 × 10,000 with 3,000 off (seller 1), 1 × 7,000 with 700 off (seller 1), 2 × 5,000 undiscounted (seller 2). */
const LINES: (RefundableLine & { sellerId: number })[] = [
  { id: 11, unitPrice: 10_000, quantity: 3, discountAmount: 3_001, refundedQuantity: 0, sellerId: 1 },
  { id: 12, unitPrice: 7_000, quantity: 1, discountAmount: 700, refundedQuantity: 0, sellerId: 1 },
  { id: 13, unitPrice: 5_000, quantity: 2, discountAmount: 0, refundedQuantity: 0, sellerId: 2 },
];
const PAID = LINES.reduce((sum, l) => sum + l.unitPrice * l.quantity - l.discountAmount, 0);

const after = (lines: typeof LINES, plan: { orderItemId: number; quantity: number }[]) =>
  lines.map((l) => ({ ...l, refundedQuantity: l.refundedQuantity + (plan.find((p) => p.orderItemId === l.id)?.quantity ?? 0) }));

describe('refunds (DOMAIN.md "Refunds", issue 12)', () => {
  describe('discountShare and refundLineOf', () => {
    it("a unit's share of the line's discount is rounded down from the front, so the last unit closes the line exactly", () => {
      const line = LINES[0]!;
      expect([0, 1, 2, 3].map((u) => discountShare(line, u))).to.deep.equal([0, 1_000, 2_000, 3_001]);
      expect(refundLineOf(line, 1)).to.deep.equal({ orderItemId: 11, quantity: 1, amount: 9_000, discountAmount: 1_000 });
      expect(refundLineOf({ ...line, refundedQuantity: 2 }, 1)).to.deep.equal({ orderItemId: 11, quantity: 1, amount: 8_999, discountAmount: 1_001 });
    });

    it('refunding unit by unit, or all at once, gives back exactly what was paid for the line', () => {
      for (const line of LINES) {
        let refunded = 0;
        let state = line;
        for (let unit = 0; unit < line.quantity; unit += 1) {
          const one = refundLineOf(state, 1);
          expect(one.discountAmount, 'a unit carries no more discount than its price').to.be.at.most(line.unitPrice);
          refunded += one.amount;
          state = { ...state, refundedQuantity: state.refundedQuantity + 1 };
        }
        expect(refunded).to.equal(line.unitPrice * line.quantity - line.discountAmount);
        expect(refundLineOf(line, line.quantity).amount).to.equal(refunded);
      }
    });
  });

  describe('planRefund', () => {
    it('without lines: every unit not refunded yet, in line order; the whole payment for an order never refunded', () => {
      const plan = planRefund(42, LINES, null);
      expect(plan.map((l) => [l.orderItemId, l.quantity])).to.deep.equal([
        [11, 3],
        [12, 1],
        [13, 2],
      ]);
      expect(refundTotal(plan)).to.equal(PAID);
    });

    it('with lines: those units, in the order of the order\'s lines whatever the request\'s', () => {
      const plan = planRefund(42, LINES, [
        { orderItemId: 13, quantity: 1 },
        { orderItemId: 11, quantity: 2 },
      ]);
      expect(plan).to.deep.equal([
        { orderItemId: 11, quantity: 2, amount: 18_000, discountAmount: 2_000 },
        { orderItemId: 13, quantity: 1, amount: 5_000, discountAmount: 0 },
      ]);
    });

    it('partial refunds, then the rest, add up to the payment', () => {
      const first = planRefund(42, LINES, [{ orderItemId: 11, quantity: 1 }]);
      const second = planRefund(42, after(LINES, first), [{ orderItemId: 11, quantity: 1 }, { orderItemId: 13, quantity: 2 }]);
      const rest = planRefund(42, after(after(LINES, first), second), null);
      expect(rest.map((l) => [l.orderItemId, l.quantity])).to.deep.equal([
        [11, 1],
        [12, 1],
      ]);
      expect(refundTotal(first) + refundTotal(second) + refundTotal(rest)).to.equal(PAID);
    });

    it('refuses more units than are left of a line (INVALID_STATE), a line that is not the order\'s (NOT_FOUND), a line named twice (VALIDATION_FAILED)', () => {
      const some = after(LINES, [{ orderItemId: 11, quantity: 2 }]);
      const error = expectThrowsCode(() => planRefund(42, some, [{ orderItemId: 11, quantity: 2 }]), 'INVALID_STATE') as Error;
      expect(error.message).to.equal('Line 1 (order item 11) of order 42: 1 of its 3 units left to refund, 2 requested');
      expect((expectThrowsCode(() => planRefund(42, LINES, [{ orderItemId: 99, quantity: 1 }]), 'NOT_FOUND') as Error).message).to.equal('Order item 99 of order 42 does not exist');
      expectThrowsCode(
        () =>
          planRefund(42, LINES, [
            { orderItemId: 12, quantity: 1 },
            { orderItemId: 12, quantity: 1 },
          ]),
        'VALIDATION_FAILED',
      );
      expectThrowsCode(() => planRefund(42, LINES, []), 'VALIDATION_FAILED');
      expectThrowsCode(() => planRefund(42, LINES, [{ orderItemId: 12, quantity: 0 }]), 'VALIDATION_FAILED');
    });

    it('an order with nothing left is refunded already (INVALID_STATE)', () => {
      const all = after(LINES, planRefund(42, LINES, null));
      expect((expectThrowsCode(() => planRefund(42, all, null), 'INVALID_STATE') as Error).message).to.equal('Order 42 was refunded already');
    });
  });

  describe('assertCouponMinimumKept (a partial refund keeps the coupon)', () => {
    const seller1 = { sellerId: 1, minOrderAmount: 30_000 };
    const plan = (requested: { orderItemId: number; quantity: number }[]) => planRefund(42, LINES, requested);

    it('what the coupon covers may stay at or above its minimum, or be refunded altogether', () => {
      // Seller 1's lines come to 37,000: keeping 30,000 is fine, as is refunding all of them.
      assertCouponMinimumKept(42, LINES, plan([{ orderItemId: 12, quantity: 1 }]), seller1);
      assertCouponMinimumKept(42, LINES, plan([{ orderItemId: 11, quantity: 3 }, { orderItemId: 12, quantity: 1 }]), seller1);
      // Another seller's lines do not count for a SELLER's coupon.
      assertCouponMinimumKept(42, LINES, plan([{ orderItemId: 13, quantity: 2 }]), seller1);
    });

    it('dropping below the minimum is COUPON_MINIMUM_NOT_MET; a shop-wide coupon counts every line', () => {
      const error = expectThrowsCode(() => assertCouponMinimumKept(42, LINES, plan([{ orderItemId: 11, quantity: 1 }]), seller1), 'COUPON_MINIMUM_NOT_MET') as Error;
      expect(error.message).to.include('would come to 27000 after this refund, below the coupon\'s minimum of 30000');
      const shopWide = { sellerId: null, minOrderAmount: 40_000 };
      assertCouponMinimumKept(42, LINES, plan([{ orderItemId: 12, quantity: 1 }]), shopWide);
      expectThrowsCode(() => assertCouponMinimumKept(42, LINES, plan([{ orderItemId: 13, quantity: 2 }]), shopWide), 'COUPON_MINIMUM_NOT_MET');
    });
  });
});
