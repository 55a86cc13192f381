import { expect } from 'chai';
import { aPaymentOf, LINES_OF } from '../../support/mothers.js';
import {
  assertRoomForUnpaidOrder,
  DEFAULT_ORDER_POLICY,
  EXPIRED,
  FULFILMENT_STEPS,
  type FulfilmentStep,
  LINE_STATUSES,
  type LineStatus,
  Order,
  type OrderLine,
  ORDER_STATUSES,
  type OrderPolicy,
  type OrderStatus,
  type PlaceOrder,
  type PricedLine,
  statusAgreesWithLines,
  statusOfLines,
} from '../../../src/domain/ordering/order.js';
import { OrderLimitExceeded } from '../../../src/domain/ordering/errors.js';
import type { RefundSnapshot } from '../../../src/domain/ordering/refund.js';
import type { ShippingAddress } from '../../../src/domain/ordering/shipping-address.js';
import { InvalidState, type RateLimited, ValidationFailed } from '../../../src/domain/shared/errors.js';
import { expectThrowsCode, thrownBy } from '../expect-error.js';

const PLACED_AT = new Date('2026-01-15T09:00:00.000Z');
const TTL_SECONDS = 30;
const POLICY: OrderPolicy = { ...DEFAULT_ORDER_POLICY, reservationTtlSeconds: TTL_SECONDS };
const EXPIRES_AT = new Date(PLACED_AT.getTime() + TTL_SECONDS * 1000);
/** Well inside the reservation. */
const LIVE = new Date(PLACED_AT.getTime() + 1_000);
/** Past the reservation (the sweeper may not have run yet). */
const LATE = new Date(EXPIRES_AT.getTime() + 1_000);

const SELLER_A = 11;
const SELLER_B = 12;

const line = (overrides: Partial<PricedLine> = {}): PricedLine => ({
  productId: 1,
  optionId: 101,
  sellerId: SELLER_A,
  productName: 'Runner',
  optionName: '260',
  unitPrice: 59_000,
  quantity: 1,
  ...overrides,
});

const ADDRESS: ShippingAddress = { recipient: 'Kim Minji', phone: '010-1234-5678', postalCode: '06236', line1: '123 Teheran-ro', line2: null };

const placeInput = (overrides: Partial<PlaceOrder> = {}): PlaceOrder => ({
  userId: 7,
  lines: [line()],
  discountAmount: 0,
  userCouponId: null,
  shippingAddress: ADDRESS,
  at: PLACED_AT,
  ...overrides,
});

/** An order as the repository hands it back: with an id (its lines too), in the given status, its lines agreeing. */
function orderIn(status: OrderStatus, overrides: Partial<PlaceOrder> = {}): Order {
  const placed = Order.place(placeInput(overrides), POLICY);
  return Order.fromSnapshot({ ...placed, id: 42, status, version: 3, items: placed.items.map((i, n) => ({ ...i, id: 500 + n, refundedQuantity: 0, status: LINES_OF[status] })), refunds: [] });
}

/** Each move the state machine offers, called the way the use cases call it. */
type Action = { name: string; run: (order: Order, at: Date) => void };
const REASON = 'because';
const ACTIONS: Action[] = [
  { name: 'awaitGateway', run: (o, at) => o.awaitGateway(at) },
  { name: 'confirmPayment', run: (o, at) => o.confirmPayment(at, aPaymentOf(o)) },
  { name: 'fail', run: (o, at) => o.fail(REASON, at, aPaymentOf(o)) },
  { name: 'cancel', run: (o, at) => o.cancel(REASON, at, null) },
  { name: 'cancel (no reason)', run: (o, at) => o.cancel(null, at, null) },
  { name: 'expire', run: (o, at) => o.expire(at, null) },
  { name: 'cancelForRefund', run: (o, at) => o.cancelForRefund(REASON, at, aPaymentOf(o)) },
  { name: 'cancelForRefund (no reason)', run: (o, at) => o.cancelForRefund(null, at, aPaymentOf(o)) },
  ...FULFILMENT_STEPS.map((step: FulfilmentStep) => ({
    name: `advanceFulfilment(${step})`,
    run: (o: Order, at: Date) => o.advanceFulfilment(step, at, 'ALL', null),
  })),
  { name: 'complete', run: (o, at) => o.complete(at, null) },
];

/** What a successful move leads to: the new status and the cancel reason it records. */
type Outcome = { status: OrderStatus; cancelReason: string | null };
const to = (status: OrderStatus, cancelReason: string | null = null): Outcome => ({ status, cancelReason });

/**
 * The moves that succeed, by status and by whether the reservation has run out; every pair not
 * listed must throw INVALID_STATE and leave the order as it was.
 */
const ALLOWED: Record<'live' | 'late', Partial<Record<OrderStatus, Record<string, Outcome>>>> = {
  live: {
    CREATED: {
      awaitGateway: to('PENDING'),
      confirmPayment: to('CONFIRMED'),
      fail: to('FAILED', REASON),
      cancel: to('CANCELLED', REASON),
      'cancel (no reason)': to('CANCELLED', 'CANCELLED_BY_USER'),
    },
    PENDING: {
      confirmPayment: to('CONFIRMED'),
      fail: to('FAILED', REASON),
    },
    CONFIRMED: {
      cancelForRefund: to('CANCELLED', REASON),
      'cancelForRefund (no reason)': to('CANCELLED', 'REFUNDED'),
      'advanceFulfilment(PREPARING)': to('PREPARING'),
    },
    PREPARING: {
      cancelForRefund: to('CANCELLED', REASON),
      'cancelForRefund (no reason)': to('CANCELLED', 'REFUNDED'),
      'advanceFulfilment(SHIPPED)': to('SHIPPED'),
    },
    SHIPPED: { 'advanceFulfilment(DELIVERED)': to('DELIVERED') },
    DELIVERED: { complete: to('COMPLETED') },
  },
  late: {
    // Past its expiry an unpaid order can no longer be paid (nor handed to a gateway), only
    // expired, cancelled or failed.
    CREATED: {
      fail: to('FAILED', REASON),
      cancel: to('CANCELLED', REASON),
      'cancel (no reason)': to('CANCELLED', 'CANCELLED_BY_USER'),
      expire: to('CANCELLED', EXPIRED),
    },
    // A gateway that took the payment before the expiry may still approve it afterwards.
    PENDING: {
      confirmPayment: to('CONFIRMED'),
      fail: to('FAILED', REASON),
    },
    CONFIRMED: {
      cancelForRefund: to('CANCELLED', REASON),
      'cancelForRefund (no reason)': to('CANCELLED', 'REFUNDED'),
      'advanceFulfilment(PREPARING)': to('PREPARING'),
    },
    PREPARING: {
      cancelForRefund: to('CANCELLED', REASON),
      'cancelForRefund (no reason)': to('CANCELLED', 'REFUNDED'),
      'advanceFulfilment(SHIPPED)': to('SHIPPED'),
    },
    SHIPPED: { 'advanceFulfilment(DELIVERED)': to('DELIVERED') },
    DELIVERED: { complete: to('COMPLETED') },
  },
};

describe('Order (the order state machine)', () => {
  describe('every status × every move', () => {
    for (const [when, at] of [
      ['live', LIVE],
      ['late', LATE],
    ] as const) {
      describe(when === 'live' ? 'while the reservation holds' : 'after the reservation ran out', () => {
        for (const status of ORDER_STATUSES) {
          for (const action of ACTIONS) {
            const expected = ALLOWED[when][status]?.[action.name];
            if (expected) {
              it(`${status} --${action.name}--> ${expected.status} (cancelReason ${String(expected.cancelReason)})`, () => {
                const order = orderIn(status);
                const before = order.toSnapshot();
                action.run(order, at);
                // A fulfilment step moves the lines (all of them: one seller, or an ADMIN's step).
                const items = action.name.startsWith('advanceFulfilment') ? before.items.map((i) => ({ ...i, status: expected.status as LineStatus })) : before.items;
                expect(order.toSnapshot()).to.deep.equal({
                  ...before,
                  items,
                  status: expected.status,
                  cancelReason: expected.cancelReason,
                  updatedAt: at,
                });
                // Only the repository bumps the version, when it saves the move.
                expect(order.version).to.equal(before.version);
              });
            } else {
              it(`${status} refuses ${action.name}: INVALID_STATE, and the order is unchanged`, () => {
                const order = orderIn(status);
                const before = order.toSnapshot();
                const error = expectThrowsCode(() => action.run(order, at), 'INVALID_STATE');
                expect(error).to.be.instanceOf(InvalidState);
                expect(order.toSnapshot()).to.deep.equal(before);
              });
            }
          }
        }
      });
    }

    it('the table covers every status and every move', () => {
      expect(ACTIONS.map((a) => a.name)).to.include.members([
        'awaitGateway',
        'confirmPayment',
        'fail',
        'cancel',
        'expire',
        'cancelForRefund',
        'advanceFulfilment(PREPARING)',
        'advanceFulfilment(SHIPPED)',
        'advanceFulfilment(DELIVERED)',
        'complete',
      ]);
      expect(ORDER_STATUSES).to.have.length(9);
    });
  });

  describe('expiry', () => {
    it('confirmPayment of a CREATED order after its expiry is INVALID_STATE, and the order stays CREATED', () => {
      const order = orderIn('CREATED');
      expectThrowsCode(() => order.confirmPayment(LATE, aPaymentOf(order)), 'INVALID_STATE');
      expect(order.status).to.equal('CREATED');
    });

    it('the reservation runs out exactly at reservationExpiresAt: a millisecond before it is payable, at it is not', () => {
      const order = orderIn('CREATED');
      const justBefore = new Date(EXPIRES_AT.getTime() - 1);
      expect(order.isExpired(justBefore)).to.equal(false);
      expect(() => order.assertPayable(justBefore)).not.to.throw();
      expect(order.isExpired(EXPIRES_AT)).to.equal(true);
      expectThrowsCode(() => order.assertPayable(EXPIRES_AT), 'INVALID_STATE');
      expectThrowsCode(() => order.awaitGateway(EXPIRES_AT), 'INVALID_STATE');
    });

    it('expire before the expiry is INVALID_STATE (the order stays CREATED); at the expiry it cancels with reason EXPIRED', () => {
      const order = orderIn('CREATED');
      expectThrowsCode(() => order.expire(new Date(EXPIRES_AT.getTime() - 1), null), 'INVALID_STATE');
      expect(order.toSnapshot()).to.include({ status: 'CREATED', cancelReason: null });
      order.expire(EXPIRES_AT, null);
      expect(order.toSnapshot()).to.include({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
    });

    it('assertPayable refuses every status but CREATED, even inside the reservation', () => {
      for (const status of ORDER_STATUSES.filter((s) => s !== 'CREATED')) {
        expectThrowsCode(() => orderIn(status).assertPayable(LIVE), 'INVALID_STATE');
      }
    });
  });

  describe('fulfilment, one step at a time', () => {
    it('CONFIRMED → PREPARING → SHIPPED → DELIVERED → COMPLETED', () => {
      const order = orderIn('CONFIRMED');
      for (const step of FULFILMENT_STEPS) {
        order.advanceFulfilment(step, LIVE, 'ALL', null);
        expect(order.status).to.equal(step);
      }
      order.complete(LIVE, null);
      expect(order.status).to.equal('COMPLETED');
    });

    it('skipping a step is INVALID_STATE: CONFIRMED → SHIPPED, CONFIRMED → DELIVERED, PREPARING → DELIVERED', () => {
      expectThrowsCode(() => orderIn('CONFIRMED').advanceFulfilment('SHIPPED', LIVE, 'ALL', null), 'INVALID_STATE');
      expectThrowsCode(() => orderIn('CONFIRMED').advanceFulfilment('DELIVERED', LIVE, 'ALL', null), 'INVALID_STATE');
      expectThrowsCode(() => orderIn('PREPARING').advanceFulfilment('DELIVERED', LIVE, 'ALL', null), 'INVALID_STATE');
    });

    it('going back or standing still is INVALID_STATE: SHIPPED → PREPARING, DELIVERED → SHIPPED, PREPARING → PREPARING', () => {
      expectThrowsCode(() => orderIn('SHIPPED').advanceFulfilment('PREPARING', LIVE, 'ALL', null), 'INVALID_STATE');
      expectThrowsCode(() => orderIn('DELIVERED').advanceFulfilment('SHIPPED', LIVE, 'ALL', null), 'INVALID_STATE');
      expectThrowsCode(() => orderIn('PREPARING').advanceFulfilment('PREPARING', LIVE, 'ALL', null), 'INVALID_STATE');
    });

    it('a blank reason counts as none (CANCELLED_BY_USER, REFUNDED); a given one is trimmed', () => {
      const cancelled = orderIn('CREATED');
      cancelled.cancel('   ', LIVE, null);
      expect(cancelled.toSnapshot().cancelReason).to.equal('CANCELLED_BY_USER');
      const refunded = orderIn('CONFIRMED');
      refunded.cancelForRefund('', LIVE, aPaymentOf(refunded));
      expect(refunded.toSnapshot().cancelReason).to.equal('REFUNDED');
      const trimmed = orderIn('PREPARING');
      trimmed.cancelForRefund('  too late  ', LIVE, aPaymentOf(trimmed));
      expect(trimmed.toSnapshot().cancelReason).to.equal('too late');
    });

    it('isRefundable only while CONFIRMED or PREPARING', () => {
      const refundable = ORDER_STATUSES.filter((s) => orderIn(s).isRefundable());
      expect(refundable).to.deep.equal(['CONFIRMED', 'PREPARING']);
    });
  });

  describe('fulfilment per seller (lines move, the order follows)', () => {
    const A1 = 101;
    const A2 = 102;
    const B1 = 201;
    /** Paid, with two lines of seller A and one of seller B. */
    const mixed = () =>
      orderIn('CONFIRMED', {
        lines: [
          line({ optionId: A1, sellerId: SELLER_A, unitPrice: 10_000 }),
          line({ productId: 2, optionId: B1, sellerId: SELLER_B, unitPrice: 3_000 }),
          line({ optionId: A2, sellerId: SELLER_A, unitPrice: 5_000 }),
        ],
      });
    const linesOf = (order: Order) => Object.fromEntries(order.items.map((i) => [i.optionId, i.status]));
    const A = { sellerId: SELLER_A };
    const B = { sellerId: SELLER_B };

    it('statusOfLines: CONFIRMED while all are ORDERED; PREPARING once any moved and while any is ORDERED or PREPARING; SHIPPED once all shipped; DELIVERED once all delivered', () => {
      const cases: [LineStatus[], OrderStatus][] = [
        [['ORDERED'], 'CONFIRMED'],
        [['ORDERED', 'ORDERED'], 'CONFIRMED'],
        [['PREPARING'], 'PREPARING'],
        [['ORDERED', 'PREPARING'], 'PREPARING'],
        [['ORDERED', 'SHIPPED'], 'PREPARING'],
        [['ORDERED', 'DELIVERED'], 'PREPARING'],
        [['PREPARING', 'DELIVERED'], 'PREPARING'],
        [['SHIPPED'], 'SHIPPED'],
        [['SHIPPED', 'DELIVERED'], 'SHIPPED'],
        [['DELIVERED', 'SHIPPED', 'DELIVERED'], 'SHIPPED'],
        [['DELIVERED'], 'DELIVERED'],
        [['DELIVERED', 'DELIVERED'], 'DELIVERED'],
      ];
      for (const [lines, status] of cases) expect(statusOfLines(lines), lines.join(',')).to.equal(status);
    });

    it('two sellers each move their own lines; the order is PREPARING until both shipped, SHIPPED until both delivered, then DELIVERED; the buyer completes it', () => {
      const order = mixed();
      const steps: [{ sellerId: number }, FulfilmentStep, OrderStatus, Record<number, LineStatus>][] = [
        [A, 'PREPARING', 'PREPARING', { [A1]: 'PREPARING', [B1]: 'ORDERED', [A2]: 'PREPARING' }],
        [A, 'SHIPPED', 'PREPARING', { [A1]: 'SHIPPED', [B1]: 'ORDERED', [A2]: 'SHIPPED' }],
        [B, 'PREPARING', 'PREPARING', { [A1]: 'SHIPPED', [B1]: 'PREPARING', [A2]: 'SHIPPED' }],
        [A, 'DELIVERED', 'PREPARING', { [A1]: 'DELIVERED', [B1]: 'PREPARING', [A2]: 'DELIVERED' }],
        [B, 'SHIPPED', 'SHIPPED', { [A1]: 'DELIVERED', [B1]: 'SHIPPED', [A2]: 'DELIVERED' }],
        [B, 'DELIVERED', 'DELIVERED', { [A1]: 'DELIVERED', [B1]: 'DELIVERED', [A2]: 'DELIVERED' }],
      ];
      let n = 0;
      for (const [scope, step, status, lines] of steps) {
        const at = new Date(LIVE.getTime() + ++n * 1_000);
        const before = order.status;
        const moved = order.advanceFulfilment(step, at, scope, null);
        expect(moved).to.deep.equal({
          optionIds: scope.sellerId === SELLER_A ? [A1, A2] : [B1],
          sellerIds: [scope.sellerId],
          from: LINE_STATUSES[LINE_STATUSES.indexOf(step) - 1],
          to: step,
          orderStatusBefore: before,
          orderStatusAfter: status,
        });
        expect(order.status, `${scope.sellerId} ${step}`).to.equal(status);
        expect(linesOf(order)).to.deep.equal(lines);
        expect(order.toSnapshot().updatedAt).to.deep.equal(at);
        expect(statusAgreesWithLines(order.status, order.items.map((i) => i.status))).to.equal(true);
      }
      order.complete(LATE, null);
      expect(order.status).to.equal('COMPLETED');
    });

    it('a seller cannot skip, repeat or go back, whatever the other seller did: INVALID_STATE, nothing changes', () => {
      const order = mixed();
      order.advanceFulfilment('PREPARING', LIVE, A, null);
      order.advanceFulfilment('SHIPPED', LIVE, A, null);
      for (const [scope, step] of [
        [B, 'SHIPPED'],
        [B, 'DELIVERED'],
        [A, 'SHIPPED'],
        [A, 'PREPARING'],
      ] as const) {
        const before = order.toSnapshot();
        expectThrowsCode(() => order.advanceFulfilment(step, LATE, scope, null), 'INVALID_STATE');
        expect(order.toSnapshot(), `${scope.sellerId} ${step}`).to.deep.equal(before);
      }
    });

    it('a seller with no line in the order moves nothing: INVALID_STATE', () => {
      expectThrowsCode(() => mixed().advanceFulfilment('PREPARING', LIVE, { sellerId: 99 }, null), 'INVALID_STATE');
    });

    it('an ADMIN’s step (all lines) moves the lines right before it and leaves those already there; a line further behind refuses it all', () => {
      const order = mixed();
      order.advanceFulfilment('PREPARING', LIVE, A, null);
      order.advanceFulfilment('SHIPPED', LIVE, A, null);
      // B is ORDERED: moving everything to SHIPPED would skip PREPARING for B.
      const before = order.toSnapshot();
      expectThrowsCode(() => order.advanceFulfilment('SHIPPED', LIVE, 'ALL', null), 'INVALID_STATE');
      expect(order.toSnapshot()).to.deep.equal(before);
      const preparing = order.advanceFulfilment('PREPARING', LIVE, 'ALL', null);
      expect(preparing).to.include({ from: 'ORDERED', to: 'PREPARING', orderStatusBefore: 'PREPARING', orderStatusAfter: 'PREPARING' });
      expect(preparing.optionIds).to.deep.equal([B1]);
      const shipped = order.advanceFulfilment('SHIPPED', LIVE, 'ALL', null);
      expect(shipped).to.deep.include({ optionIds: [B1], sellerIds: [SELLER_B], orderStatusAfter: 'SHIPPED' });
      const delivered = order.advanceFulfilment('DELIVERED', LIVE, 'ALL', null);
      expect(delivered).to.deep.include({ optionIds: [A1, B1, A2], sellerIds: [SELLER_A, SELLER_B], orderStatusAfter: 'DELIVERED' });
      expectThrowsCode(() => order.advanceFulfilment('DELIVERED', LIVE, 'ALL', null), 'INVALID_STATE');
    });

    it('an unpaid, cancelled, failed or completed order moves no line', () => {
      for (const status of ['CREATED', 'PENDING', 'CANCELLED', 'FAILED', 'DELIVERED', 'COMPLETED'] as const) {
        const order = orderIn(status);
        for (const step of FULFILMENT_STEPS) expectThrowsCode(() => order.advanceFulfilment(step, LIVE, A, null), 'INVALID_STATE');
      }
    });

    it('a whole refund stays possible while no line has shipped (PREPARING), and is refused once one has; the lines not shipped may still be refunded', () => {
      const preparing = mixed();
      preparing.advanceFulfilment('PREPARING', LIVE, A, null);
      expect(preparing.isRefundable()).to.equal(true);
      preparing.cancelForRefund(null, LIVE, aPaymentOf(preparing));
      expect(preparing.toSnapshot()).to.include({ status: 'CANCELLED', cancelReason: 'REFUNDED' });

      const partlyShipped = mixed();
      partlyShipped.advanceFulfilment('PREPARING', LIVE, A, null);
      partlyShipped.advanceFulfilment('SHIPPED', LIVE, A, null);
      expect(partlyShipped.status).to.equal('PREPARING');
      expect(partlyShipped.hasShippedLines()).to.equal(true);
      // Seller B's line has not shipped: it may still be refunded, A's shipped lines may not.
      expect(partlyShipped.isRefundable()).to.equal(true);
      const before = partlyShipped.toSnapshot();
      expectThrowsCode(() => partlyShipped.cancelForRefund(null, LIVE, aPaymentOf(partlyShipped)), 'INVALID_STATE');
      expect(partlyShipped.toSnapshot()).to.deep.equal(before);
      const [a1, b1] = partlyShipped.items as [OrderLine, OrderLine];
      const refundOf = (item: OrderLine) => ({ id: 1, orderId: 42, paymentId: 9, amount: item.amount, status: 'REFUNDED' as const, reason: null, createdAt: LIVE, items: [{ orderItemId: item.id, quantity: item.quantity, amount: item.amount, discountAmount: 0 }] });
      expectThrowsCode(() => partlyShipped.recordRefund(refundOf(a1), LIVE, aPaymentOf(partlyShipped)), 'INVALID_STATE');
      expect(partlyShipped.toSnapshot()).to.deep.equal(before);
      expect(partlyShipped.recordRefund(refundOf(b1), LIVE, aPaymentOf(partlyShipped))).to.equal(false);
      expect(partlyShipped.status).to.equal('PREPARING');
    });

    it('statusAgreesWithLines holds the database’s check: fulfilment statuses from the lines, COMPLETED all delivered, CANCELLED nothing shipped, unpaid nothing moved', () => {
      expect(statusAgreesWithLines('PREPARING', ['ORDERED', 'SHIPPED'])).to.equal(true);
      expect(statusAgreesWithLines('SHIPPED', ['ORDERED', 'SHIPPED'])).to.equal(false);
      expect(statusAgreesWithLines('CONFIRMED', ['PREPARING'])).to.equal(false);
      expect(statusAgreesWithLines('COMPLETED', ['DELIVERED', 'DELIVERED'])).to.equal(true);
      expect(statusAgreesWithLines('COMPLETED', ['DELIVERED', 'SHIPPED'])).to.equal(false);
      expect(statusAgreesWithLines('CANCELLED', ['PREPARING', 'ORDERED'])).to.equal(true);
      expect(statusAgreesWithLines('CANCELLED', ['SHIPPED'])).to.equal(false);
      for (const status of ['CREATED', 'PENDING', 'FAILED'] as const) {
        expect(statusAgreesWithLines(status, ['ORDERED'])).to.equal(true);
        expect(statusAgreesWithLines(status, ['PREPARING'])).to.equal(false);
      }
      for (const status of ORDER_STATUSES) expect(statusAgreesWithLines(status, [LINES_OF[status]]), status).to.equal(true);
    });

    it('a new order’s lines are ORDERED', () => {
      expect(Order.place(placeInput(), POLICY).items.map((i) => i.status)).to.deep.equal(['ORDERED']);
    });
  });

  describe('Order.place', () => {
    it('works out each line (unit price × quantity), the total, the discount and the final amount; reservationExpiresAt = at + ttl', () => {
      const placed = Order.place(
        placeInput({
          lines: [line({ optionId: 101, unitPrice: 59_000, quantity: 2 }), line({ productId: 2, optionId: 201, unitPrice: 1_200, quantity: 3 })],
          discountAmount: 5_000,
          userCouponId: 9,
        }),
        POLICY,
      );
      expect(placed.items.map((i) => [i.optionId, i.unitPrice, i.quantity, i.amount])).to.deep.equal([
        [101, 59_000, 2, 118_000],
        [201, 1_200, 3, 3_600],
      ]);
      expect(placed).to.include({
        userId: 7,
        status: 'CREATED',
        totalAmount: 121_600,
        discountAmount: 5_000,
        finalAmount: 116_600,
        userCouponId: 9,
        cancelReason: null,
        version: 0,
      });
      expect(placed.reservationExpiresAt).to.deep.equal(EXPIRES_AT);
      expect(placed.createdAt).to.deep.equal(PLACED_AT);
      expect(placed.updatedAt).to.deep.equal(PLACED_AT);
    });

    it('the reservation lasts the policy’s ttl', () => {
      const placed = Order.place(placeInput(), { ...POLICY, reservationTtlSeconds: 600 });
      expect(placed.reservationExpiresAt.getTime() - PLACED_AT.getTime()).to.equal(600_000);
    });

    it('keeps the lines’ names, seller and price as given', () => {
      const placed = Order.place(placeInput(), POLICY);
      expect(placed.items).to.deep.equal([{ ...line(), amount: 59_000, discountAmount: 0, status: 'ORDERED', digital: false }]);
    });

    it('each line carries its part of the discount as the coupon split it; only covered lines get any', () => {
      const placed = Order.place(
        placeInput({
          lines: [line({ optionId: 101, sellerId: SELLER_A, unitPrice: 10_000 }), line({ productId: 2, optionId: 201, sellerId: SELLER_B, unitPrice: 5_000 })],
          discountAmount: 10_000,
          lineDiscounts: [10_000, 0],
        }),
        POLICY,
      );
      expect(placed.items.map((i) => [i.amount, i.discountAmount])).to.deep.equal([
        [10_000, 10_000],
        [5_000, 0],
      ]);
      expect(placed).to.include({ totalAmount: 15_000, discountAmount: 10_000, finalAmount: 5_000 });
    });

    it('with no split given, the discount is spread over every line in proportion to its amount, the parts summing exactly', () => {
      const placed = Order.place(
        placeInput({
          lines: [line({ optionId: 101, unitPrice: 1_000 }), line({ optionId: 102, unitPrice: 1_000 }), line({ optionId: 103, unitPrice: 1_000 })],
          discountAmount: 100,
        }),
        POLICY,
      );
      expect(placed.items.map((i) => i.discountAmount)).to.deep.equal([34, 33, 33]);
    });

    it('line discounts that do not split the order’s discount are a RangeError: wrong sum, above a line’s amount, negative, one too few', () => {
      const lines = [line({ optionId: 101, unitPrice: 1_000 }), line({ optionId: 102, unitPrice: 1_000 })];
      for (const lineDiscounts of [[500, 500], [1_001, -101], [-1, 901], [900], [450.5, 449.5]]) {
        const work = () => Order.place(placeInput({ lines, discountAmount: 900, lineDiscounts }), POLICY);
        expect(thrownBy(work), JSON.stringify(lineDiscounts)).to.be.instanceOf(RangeError);
      }
    });

    it('a discount of 0 and a discount of the whole total are accepted (final 0)', () => {
      expect(Order.place(placeInput({ discountAmount: 0 }), POLICY).finalAmount).to.equal(59_000);
      expect(Order.place(placeInput({ discountAmount: 59_000 }), POLICY).finalAmount).to.equal(0);
    });

    it('a discount outside 0..total (or not a whole number) is a RangeError', () => {
      for (const discountAmount of [-1, 59_001, 0.5, Number.NaN]) {
        expect(thrownBy(() => Order.place(placeInput({ discountAmount }), POLICY)), String(discountAmount)).to.be.instanceOf(RangeError);
      }
    });

    it('10 units of one option are accepted; 11 are ORDER_LIMIT_EXCEEDED', () => {
      expect(Order.place(placeInput({ lines: [line({ quantity: 10 })] }), POLICY).totalAmount).to.equal(590_000);
      const error = expectThrowsCode(() => Order.place(placeInput({ lines: [line({ quantity: 11 })] }), POLICY), 'ORDER_LIMIT_EXCEEDED');
      expect(error).to.be.instanceOf(OrderLimitExceeded);
    });

    it('30 units in all are accepted; 31 are ORDER_LIMIT_EXCEEDED', () => {
      const lines = (last: number) => [
        line({ optionId: 1, quantity: 10 }),
        line({ optionId: 2, quantity: 10 }),
        line({ optionId: 3, quantity: 10 }),
        ...(last > 0 ? [line({ optionId: 4, quantity: last })] : []),
      ];
      const thirty = Order.place(placeInput({ lines: lines(0) }), POLICY);
      expect(thirty.items.reduce((n, i) => n + i.quantity, 0)).to.equal(30);
      expectThrowsCode(() => Order.place(placeInput({ lines: lines(1) }), POLICY), 'ORDER_LIMIT_EXCEEDED');
    });

    it('the limits come from the policy', () => {
      const tight: OrderPolicy = { ...POLICY, maxUnitsPerOption: 2, maxUnitsPerOrder: 3 };
      expectThrowsCode(() => Order.place(placeInput({ lines: [line({ quantity: 3 })] }), tight), 'ORDER_LIMIT_EXCEEDED');
      expectThrowsCode(
        () => Order.place(placeInput({ lines: [line({ optionId: 1, quantity: 2 }), line({ optionId: 2, quantity: 2 })] }), tight),
        'ORDER_LIMIT_EXCEEDED',
      );
    });

    it('no lines is VALIDATION_FAILED', () => {
      const error = expectThrowsCode(() => Order.place(placeInput({ lines: [] }), POLICY), 'VALIDATION_FAILED');
      expect(error).to.be.instanceOf(ValidationFailed);
    });

    it('the same option on two lines is VALIDATION_FAILED (even for few units)', () => {
      const error = expectThrowsCode(
        () => Order.place(placeInput({ lines: [line({ quantity: 1 }), line({ quantity: 1 })] }), POLICY),
        'VALIDATION_FAILED',
      ) as ValidationFailed;
      expect(error.errors[0]?.field).to.equal('items.1');
    });

    it('a quantity that is not a whole number of 1 or more is VALIDATION_FAILED', () => {
      for (const quantity of [0, -1, 1.5]) {
        expectThrowsCode(() => Order.place(placeInput({ lines: [line({ quantity })] }), POLICY), 'VALIDATION_FAILED');
      }
    });
  });

  describe('reading an order', () => {
    const twoSellers = () =>
      orderIn('CREATED', {
        lines: [line({ optionId: 101, sellerId: SELLER_A, quantity: 2 }), line({ productId: 2, optionId: 201, sellerId: SELLER_B, quantity: 3 })],
      });

    it('isSoldBy: true for the seller of any of its lines, false for anyone else', () => {
      const order = twoSellers();
      expect(order.isSoldBy(SELLER_A)).to.equal(true);
      expect(order.isSoldBy(SELLER_B)).to.equal(true);
      expect(order.isSoldBy(99)).to.equal(false);
      expect(order.isSoldBy(order.userId)).to.equal(false);
    });

    it('sellerIds and linesOf: the sellers, ascending, and each one’s lines', () => {
      const order = twoSellers();
      expect(order.sellerIds()).to.deep.equal([SELLER_A, SELLER_B]);
      expect(order.linesOf(SELLER_B).map((l) => l.optionId)).to.deep.equal([201]);
      expect(order.linesOf(99)).to.deep.equal([]);
    });

    it('stockLines: one line per option with its quantity', () => {
      expect(twoSellers().stockLines()).to.deep.equal([
        { optionId: 101, quantity: 2 },
        { optionId: 201, quantity: 3 },
      ]);
    });

    it('snapshots are copies: changing one does not change the order', () => {
      const order = twoSellers();
      const snapshot = order.toSnapshot();
      snapshot.items[0]!.quantity = 99;
      expect(order.items[0]!.quantity).to.equal(2);
      const rebuilt = Order.fromSnapshot(snapshot);
      snapshot.items[0]!.quantity = 1;
      expect(rebuilt.items[0]!.quantity).to.equal(99);
    });
  });

  describe('shipping address and digital lines (issue 12)', () => {
    it('keeps the address given; lines are physical unless said digital', () => {
      const placed = Order.place(placeInput({ lines: [line(), line({ optionId: 102, digital: true })] }), POLICY);
      expect(placed.shippingAddress).to.deep.equal(ADDRESS);
      expect(placed.items.map((i) => i.digital)).to.deep.equal([false, true]);
    });

    it('an order with a physical line and no address is VALIDATION_FAILED naming shippingAddress and the line', () => {
      const error = expectThrowsCode(
        () => Order.place(placeInput({ lines: [line({ optionId: 1, digital: true }), line({ optionId: 2, productId: 9 })], shippingAddress: null }), POLICY),
        'VALIDATION_FAILED',
      );
      expect((error as ValidationFailed).errors).to.have.length(1);
      expect((error as ValidationFailed).errors[0]!.field).to.equal('shippingAddress');
      expect((error as ValidationFailed).errors[0]!.message).to.include('line 2 (product 9)');
    });

    it('an order of digital lines only needs no address, and keeps one given', () => {
      expect(Order.place(placeInput({ lines: [line({ digital: true })], shippingAddress: null }), POLICY).shippingAddress).to.equal(null);
      expect(Order.place(placeInput({ lines: [line({ digital: true })] }), POLICY).shippingAddress).to.deep.equal(ADDRESS);
    });
  });

  describe('refunds recorded on the order (issue 12)', () => {
    const refund = (items: RefundSnapshot['items'], reason: string | null = null): RefundSnapshot => ({
      id: 9,
      orderId: 42,
      paymentId: 3,
      amount: items.reduce((s, l) => s + l.amount, 0),
      status: 'REFUNDED',
      reason,
      createdAt: LIVE,
      items,
    });
    const twoLines = () => orderIn('CONFIRMED', { lines: [line({ optionId: 101, quantity: 2 }), line({ optionId: 201, productId: 2, quantity: 3, unitPrice: 1_000 })] });

    it('a partial refund counts the units on its lines and lists the refund; the status stays', () => {
      const order = twoLines();
      const ended = order.recordRefund(refund([{ orderItemId: 501, quantity: 2, amount: 2_000, discountAmount: 0 }]), LATE, aPaymentOf(order));
      expect(ended).to.equal(false);
      expect(order.status).to.equal('CONFIRMED');
      expect(order.items.map((i) => i.refundedQuantity)).to.deep.equal([0, 2]);
      expect(order.refunds.map((r) => r.id)).to.deep.equal([9]);
      expect(order.toSnapshot().updatedAt).to.deep.equal(LATE);
    });

    it('the refund of the last unit cancels the order with its reason (or REFUNDED)', () => {
      const order = twoLines();
      order.recordRefund(refund([{ orderItemId: 501, quantity: 2, amount: 2_000, discountAmount: 0 }]), LATE, aPaymentOf(order));
      expect(order.isWhollyRefundedBy([{ orderItemId: 500, quantity: 2, amount: 118_000, discountAmount: 0 }, { orderItemId: 501, quantity: 1, amount: 1_000, discountAmount: 0 }])).to.equal(true);
      expect(order.isWhollyRefundedBy([{ orderItemId: 500, quantity: 2, amount: 118_000, discountAmount: 0 }])).to.equal(false);
      const ended = order.recordRefund(
        refund([
          { orderItemId: 500, quantity: 2, amount: 118_000, discountAmount: 0 },
          { orderItemId: 501, quantity: 1, amount: 1_000, discountAmount: 0 },
        ]),
        LATE,
        aPaymentOf(order),
      );
      expect(ended).to.equal(true);
      expect(order.toSnapshot()).to.deep.include({ status: 'CANCELLED', cancelReason: 'REFUNDED' });
      expect(order.items.map((i) => i.refundedQuantity)).to.deep.equal([2, 3]);
    });

    it('refuses more units than are left of a line, and an order that is not CONFIRMED or PREPARING; unchanged', () => {
      const order = twoLines();
      const before = order.toSnapshot();
      expectThrowsCode(() => order.recordRefund(refund([{ orderItemId: 500, quantity: 3, amount: 1, discountAmount: 0 }]), LATE, aPaymentOf(order)), 'INVALID_STATE');
      expect(order.toSnapshot()).to.deep.equal(before);
      expectThrowsCode(() => orderIn('SHIPPED').recordRefund(refund([{ orderItemId: 500, quantity: 1, amount: 1, discountAmount: 0 }]), LATE, aPaymentOf(orderIn('SHIPPED'))), 'INVALID_STATE');
    });
  });

  describe('assertRoomForUnpaidOrder (the cap on live unpaid orders)', () => {
    const NOW = new Date('2026-01-15T09:00:00.000Z');
    const inSeconds = (n: number) => new Date(NOW.getTime() + n * 1000);

    it('below the limit, or with the limit off (0), there is room', () => {
      assertRoomForUnpaidOrder({ count: 4, earliestExpiry: inSeconds(10) }, 5, NOW);
      assertRoomForUnpaidOrder({ count: 0, earliestExpiry: null }, 5, NOW);
      assertRoomForUnpaidOrder({ count: 500, earliestExpiry: inSeconds(10) }, 0, NOW);
    });

    it('at the limit: RATE_LIMITED, saying how many and what to do, retry when the earliest reservation runs out (rounded up)', () => {
      const error = expectThrowsCode(() => assertRoomForUnpaidOrder({ count: 5, earliestExpiry: new Date(NOW.getTime() + 12_300) }, 5, NOW), 'RATE_LIMITED') as RateLimited;
      expect(error.message).to.equal('You have 5 unpaid orders (at most 5); pay or cancel one before placing another');
      expect(error.retryAfterSeconds).to.equal(13);
    });

    it('a reservation already past (a PENDING order, or one the sweeper has not reached), or none known: retry after 1 s', () => {
      for (const earliestExpiry of [inSeconds(-30), NOW, null]) {
        const error = expectThrowsCode(() => assertRoomForUnpaidOrder({ count: 6, earliestExpiry }, 5, NOW), 'RATE_LIMITED') as RateLimited;
        expect(error.retryAfterSeconds).to.equal(1);
      }
    });
  });
});
