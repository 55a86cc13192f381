import { Coupon, type CouponSnapshot } from '../../src/domain/coupon/coupon.js';
import { UserCoupon, type UserCouponSnapshot } from '../../src/domain/coupon/user-coupon.js';
import { DEFAULT_ORDER_POLICY, type LineStatus, Order, type OrderSnapshot, type OrderStatus, type PricedLine } from '../../src/domain/ordering/order.js';
import { Payment } from '../../src/domain/ordering/payment.js';
import type { ShippingAddress } from '../../src/domain/ordering/shipping-address.js';
import { Wallet } from '../../src/domain/wallet/wallet.js';

/**
 * Test builders ("mothers"): the aggregates a test needs, made the way the service makes them,
 * with only what the test is about spelled out: `anOrder().paid().withCoupon(9).build()`,
 * `aCoupon().limited(100).build()`. Every builder starts from a valid, ordinary object.
 */

export const PLACED_AT = new Date('2026-01-15T09:00:00.000Z');
export const SELLER_ID = 11;
export const BUYER_ID = 7;
export const ADDRESS: ShippingAddress = { recipient: 'Kim Minji', phone: '010-1234-5678', postalCode: '06236', line1: '123 Teheran-ro', line2: null };

/** A payment of the whole of `order`, just started (what the order's payment moves are shown with). */
export function aPaymentOf(order: { id: number; userId: number; finalAmount: number }, id = 1, at = new Date()): Payment {
  return Payment.fromSnapshot({ ...Payment.start(order.id, order.userId, order.finalAmount, at), id });
}

/** A line of an order as the catalog prices it. */
export function aLine(overrides: Partial<PricedLine> = {}): PricedLine {
  return { productId: 1, optionId: 101, sellerId: SELLER_ID, productName: 'Runner', optionName: '260', unitPrice: 59_000, quantity: 1, ...overrides };
}

/** The status every line of an order in `status` has when they all moved together. */
export const LINES_OF: Record<OrderStatus, LineStatus> = {
  CREATED: 'ORDERED',
  PENDING: 'ORDERED',
  CONFIRMED: 'ORDERED',
  PREPARING: 'PREPARING',
  SHIPPED: 'SHIPPED',
  DELIVERED: 'DELIVERED',
  COMPLETED: 'DELIVERED',
  CANCELLED: 'ORDERED',
  FAILED: 'ORDERED',
};

class OrderMother {
  private lines: PricedLine[] = [aLine()];
  private status: OrderStatus = 'CREATED';
  private userCouponId: number | null = null;
  private discount = 0;
  private id = 42;

  withId(id: number): this {
    this.id = id;
    return this;
  }
  withLines(...lines: Partial<PricedLine>[]): this {
    this.lines = lines.map((l, i) => aLine({ productId: i + 1, optionId: 101 + i, ...l }));
    return this;
  }
  /** Placed with the user's copy `userCouponId`, which took `discount` off. */
  withCoupon(userCouponId: number, discount = 0): this {
    this.userCouponId = userCouponId;
    this.discount = discount;
    return this;
  }
  /** In `status`, its lines agreeing (as the repository hands such an order back). */
  in(status: OrderStatus): this {
    this.status = status;
    return this;
  }
  paid(): this {
    return this.in('CONFIRMED');
  }

  snapshot(): OrderSnapshot {
    const placed = Order.place(
      { userId: BUYER_ID, lines: this.lines, discountAmount: this.discount, userCouponId: this.userCouponId, shippingAddress: ADDRESS, at: PLACED_AT },
      DEFAULT_ORDER_POLICY,
    );
    const items = placed.items.map((i, n) => ({ ...i, id: this.id * 10 + n, refundedQuantity: 0, status: LINES_OF[this.status] }));
    return { ...placed, id: this.id, status: this.status, items, refunds: [] };
  }
  build(): Order {
    return Order.fromSnapshot(this.snapshot());
  }
  /** As the repository's `add` answers a new order: OrderPlaced recorded. */
  placed(): Order {
    return Order.placed(this.in('CREATED').snapshot());
  }
}

export const anOrder = () => new OrderMother();

export const COUPON_CREATED_AT = new Date('2026-01-01T00:00:00.000Z');

class CouponMother {
  private state: CouponSnapshot = {
    id: 5,
    code: 'WELCOME10',
    name: 'Welcome',
    type: 'PERCENTAGE',
    discountValue: 10,
    maxDiscountAmount: null,
    minOrderAmount: 0,
    totalQuantity: null,
    issuedQuantity: 0,
    perUserLimit: 1,
    validFrom: new Date('2026-01-10T00:00:00.000Z'),
    validUntil: new Date('2026-02-10T00:00:00.000Z'),
    status: 'ACTIVE',
    sellerId: SELLER_ID,
    createdBy: SELLER_ID,
    createdAt: COUPON_CREATED_AT,
    updatedAt: COUPON_CREATED_AT,
  };

  limited(totalQuantity: number, issued = 0): this {
    this.state = { ...this.state, totalQuantity, issuedQuantity: issued };
    return this;
  }
  fixed(won: number): this {
    this.state = { ...this.state, type: 'FIXED', discountValue: won };
    return this;
  }
  shopWide(): this {
    this.state = { ...this.state, sellerId: null, createdBy: 1 };
    return this;
  }
  with(overrides: Partial<CouponSnapshot>): this {
    this.state = { ...this.state, ...overrides };
    return this;
  }
  snapshot(): CouponSnapshot {
    return { ...this.state };
  }
  build(): Coupon {
    return Coupon.fromSnapshot(this.snapshot());
  }
  /** As the repository's `add` answers a new coupon: CouponCreated recorded. */
  created(): Coupon {
    return Coupon.created(this.snapshot());
  }
}

export const aCoupon = () => new CouponMother();

/** A user's copy of coupon 5, ISSUED and free, unless told otherwise. */
export function aUserCoupon(overrides: Partial<UserCouponSnapshot> = {}): UserCoupon {
  return UserCoupon.fromSnapshot({
    id: 9,
    couponId: 5,
    userId: BUYER_ID,
    n: 1,
    status: 'ISSUED',
    orderId: null,
    issuedAt: PLACED_AT,
    usedAt: null,
    expiresAt: new Date('2026-02-10T00:00:00.000Z'),
    ...overrides,
  });
}

/** A buyer's wallet holding `balance` won. */
export function aWallet(balance = 0, userId = BUYER_ID): Wallet {
  return Wallet.fromSnapshot({ userId, balance, version: 1, updatedAt: PLACED_AT });
}
