import { RecordedEvents, type RecordsEvents } from '../shared/domain-event.js';
import { InvalidState, RateLimited, ValidationFailed } from '../shared/errors.js';
import { allocateProportionally } from '../shared/allocation.js';
import { OrderLimitExceeded } from './errors.js';
import type { OrderEvent } from './order-events.js';
import type { Payment } from './payment.js';
import type { RefundLine, RefundSnapshot } from './refund.js';
import { assertShippable, type ShippingAddress } from './shipping-address.js';

export const ORDER_STATUSES = [
  'CREATED',
  'PENDING',
  'CONFIRMED',
  'PREPARING',
  'SHIPPED',
  'DELIVERED',
  'COMPLETED',
  'CANCELLED',
  'FAILED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FULFILMENT_STEPS = ['PREPARING', 'SHIPPED', 'DELIVERED'] as const;
export type FulfilmentStep = (typeof FULFILMENT_STEPS)[number];

/**
 * Where one line of an order stands in its fulfilment, which its seller moves: `ORDERED` (placed,
 * nothing done yet: every line starts so, paid or not), then one step at a time, never back,
 * `PREPARING` → `SHIPPED` → `DELIVERED`. The order's status follows from its lines (statusOfLines).
 */
export const LINE_STATUSES = ['ORDERED', ...FULFILMENT_STEPS] as const;
export type LineStatus = (typeof LINE_STATUSES)[number];

const rankOf = (status: LineStatus): number => LINE_STATUSES.indexOf(status);

/** The status a line must be in to move to `step`: the one before it. */
export function lineStatusBefore(step: FulfilmentStep): LineStatus {
  return LINE_STATUSES[rankOf(step) - 1] as LineStatus;
}

/**
 * The status of a paid order from its lines (DOMAIN.md "Fulfilment per seller"): CONFIRMED while
 * every line is ORDERED; once any line has moved, PREPARING while any line is ORDERED or
 * PREPARING; SHIPPED once every line is SHIPPED or DELIVERED; DELIVERED once every line is.
 * In other words the least advanced line decides, except that an order whose fulfilment has begun
 * is at least PREPARING.
 */
export function statusOfLines(statuses: readonly LineStatus[]): 'CONFIRMED' | FulfilmentStep {
  if (statuses.every((s) => s === 'ORDERED')) return 'CONFIRMED';
  const least = Math.min(...statuses.map(rankOf));
  return least <= rankOf('PREPARING') ? 'PREPARING' : (LINE_STATUSES[least] as FulfilmentStep);
}

/**
 * Whether an order's status agrees with its lines' (the database's deferred check
 * `orders_status_follows_lines`, migrations/0013): a paid order in fulfilment has the status its
 * lines give it; a COMPLETED one has every line DELIVERED; an unpaid, failed or pending one has
 * every line ORDERED; a CANCELLED one (cancelled unpaid, or refunded) has no line SHIPPED or further.
 */
export function statusAgreesWithLines(status: OrderStatus, lines: readonly LineStatus[]): boolean {
  switch (status) {
    case 'CONFIRMED':
    case 'PREPARING':
    case 'SHIPPED':
    case 'DELIVERED':
      return statusOfLines(lines) === status;
    case 'COMPLETED':
      return lines.every((s) => s === 'DELIVERED');
    case 'CANCELLED':
      return lines.every((s) => rankOf(s) < rankOf('SHIPPED'));
    default:
      return lines.every((s) => s === 'ORDERED');
  }
}

/** Whose lines a fulfilment step moves: one seller's, or every line of the order (an ADMIN's step). */
export type FulfilmentScope = { sellerId: number } | 'ALL';

/** What one fulfilment step did: the lines it moved (by option), from which status to which. */
export interface LinesMoved {
  optionIds: number[];
  /** The sellers whose lines moved, ascending. */
  sellerIds: number[];
  from: LineStatus;
  to: FulfilmentStep;
  /** The order's status before and after the step (the same when the step only moved some lines). */
  orderStatusBefore: OrderStatus;
  orderStatusAfter: OrderStatus;
}

export const EXPIRED = 'EXPIRED';

export interface OrderPolicy {
  maxUnitsPerOption: number;
  maxUnitsPerOrder: number;
  reservationTtlSeconds: number;
  /** Live unpaid orders (CREATED or PENDING) a user may have at once; 0: no limit. */
  maxUnpaidOrdersPerUser: number;
}

export const DEFAULT_ORDER_POLICY: OrderPolicy = { maxUnitsPerOption: 10, maxUnitsPerOrder: 30, reservationTtlSeconds: 30, maxUnpaidOrdersPerUser: 5 };

/** A user's live unpaid orders (CREATED or PENDING): how many, and the earliest reservation expiry among them. */
export interface UnpaidOrders {
  count: number;
  /** null when there are none. */
  earliestExpiry: Date | null;
}

/**
 * Stock hoarding: placing an order costs nothing until it is paid, so an account with no balance
 * could hold stock order after order. At most `limit` live unpaid orders (0: no limit); past it
 * the user is told to pay or cancel one, and when to try again: when the earliest one's
 * reservation runs out (at least a second; a PENDING one may be past it already).
 */
export function assertRoomForUnpaidOrder(unpaid: UnpaidOrders, limit: number, now: Date): void {
  if (limit <= 0 || unpaid.count < limit) return;
  const untilExpiry = unpaid.earliestExpiry === null ? 0 : unpaid.earliestExpiry.getTime() - now.getTime();
  const retryAfter = Math.max(1, Math.ceil(untilExpiry / 1000));
  throw new RateLimited(retryAfter, `You have ${unpaid.count} unpaid orders (at most ${limit}); pay or cancel one before placing another`);
}

/** One line of an order, with the product's name and price as they were when it was placed. */
export interface OrderLine {
  /** The line's own id (`orderItemId` of a refund). */
  id: number;
  productId: number;
  optionId: number;
  /** Whose product it is: the seller may fulfil the order. */
  sellerId: number;
  productName: string;
  optionName: string;
  unitPrice: number;
  quantity: number;
  amount: number;
  /** This line's part of the order's discount (0..amount); the lines' parts sum to it. */
  discountAmount: number;
  /** How far its seller has fulfilled it. */
  status: LineStatus;
  /** Whether the product was digital when ordered: nothing to ship. */
  digital: boolean;
  /** Units of the line refunded so far (0..quantity). */
  refundedQuantity: number;
}

/** A line as placing an order writes it: the id comes from the repository, nothing is refunded yet. */
export type NewOrderLine = Omit<OrderLine, 'id' | 'refundedQuantity'>;

export interface OrderSnapshot {
  id: number;
  userId: number;
  status: OrderStatus;
  items: OrderLine[];
  totalAmount: number;
  discountAmount: number;
  finalAmount: number;
  userCouponId: number | null;
  reservationExpiresAt: Date;
  cancelReason: string | null;
  /** Where its goods go (where its sellers ship to); null only when every line is digital and none was given. */
  shippingAddress: ShippingAddress | null;
  /** Its refunds, oldest first (the repository reads them with the order). */
  refunds: RefundSnapshot[];
  /** Bumped on every save; a save against a stale version is refused. */
  version: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewOrder = Omit<OrderSnapshot, 'id' | 'items' | 'refunds'> & { items: NewOrderLine[] };

/** A line priced from its product; `digital` left out is a physical product. */
export type PricedLine = Omit<NewOrderLine, 'amount' | 'discountAmount' | 'digital' | 'status'> & { digital?: boolean };

export interface PlaceOrder {
  userId: number;
  lines: PricedLine[];
  /** Worked out by the coupon, already capped at what it covers. */
  discountAmount: number;
  /**
   * Each line's part of the discount, in the order of `lines` (the coupon's allocation: only the
   * lines it covers get any). Left out: the discount is spread over every line.
   */
  lineDiscounts?: readonly number[];
  userCouponId: number | null;
  /** Required unless every line is digital (400 naming `shippingAddress`). */
  shippingAddress?: ShippingAddress | null;
  at: Date;
}

/**
 * A buyer's order: its lines, its amounts, and where it stands. Orders are never deleted; every
 * change is a move of the state machine (DOMAIN.md "Orders"), and every illegal move throws.
 */
export class Order implements RecordsEvents<OrderEvent> {
  private readonly events = new RecordedEvents<OrderEvent>();

  private constructor(private state: OrderSnapshot) {}

  static fromSnapshot(snapshot: OrderSnapshot): Order {
    return new Order(copyOf(snapshot));
  }

  /**
   * An order just stored for the first time (its ids are known now): OrderPlaced is recorded.
   * The repository's `add` answers with this.
   */
  static placed(snapshot: OrderSnapshot): Order {
    const order = Order.fromSnapshot(snapshot);
    order.recordEvent({ type: 'OrderPlaced', occurredAt: snapshot.createdAt });
    return order;
  }

  /** The events recorded since it was loaded (or since the last call), oldest first. */
  pullEvents(): OrderEvent[] {
    return this.events.pull();
  }

  /** What the lines come to before any discount. */
  static totalOf(lines: readonly PricedLine[]): number {
    return lines.reduce((sum, l) => sum + l.unitPrice * l.quantity, 0);
  }

  /** Checks the lines against the order limits and works out the amounts. */
  static place(input: PlaceOrder, policy: OrderPolicy): NewOrder {
    assertLines(input.lines, policy);
    const shippingAddress = input.shippingAddress ?? null;
    assertShippable(input.lines, shippingAddress);
    const amounts = input.lines.map((l) => l.unitPrice * l.quantity);
    const totalAmount = Order.totalOf(input.lines);
    if (!Number.isSafeInteger(input.discountAmount) || input.discountAmount < 0 || input.discountAmount > totalAmount) {
      throw new RangeError(`A discount must be between 0 and the total (${totalAmount}), got ${input.discountAmount}`);
    }
    const lineDiscounts = input.lineDiscounts ?? allocateProportionally(input.discountAmount, amounts);
    assertAllocation(input.discountAmount, lineDiscounts, amounts);
    const items = input.lines.map((l, i) => ({ ...l, digital: l.digital ?? false, amount: amounts[i] as number, discountAmount: lineDiscounts[i] as number, status: 'ORDERED' as const }));
    return {
      userId: input.userId,
      status: 'CREATED',
      items,
      totalAmount,
      discountAmount: input.discountAmount,
      finalAmount: totalAmount - input.discountAmount,
      userCouponId: input.userCouponId,
      reservationExpiresAt: new Date(input.at.getTime() + policy.reservationTtlSeconds * 1000),
      cancelReason: null,
      shippingAddress: shippingAddress ? { ...shippingAddress } : null,
      version: 0,
      createdAt: input.at,
      updatedAt: input.at,
    };
  }

  get id(): number {
    return this.state.id;
  }
  get userId(): number {
    return this.state.userId;
  }
  get status(): OrderStatus {
    return this.state.status;
  }
  get finalAmount(): number {
    return this.state.finalAmount;
  }
  get userCouponId(): number | null {
    return this.state.userCouponId;
  }
  get items(): readonly OrderLine[] {
    return this.state.items;
  }
  get version(): number {
    return this.state.version;
  }

  /** The stock this order holds (or held), one line per option. */
  stockLines(): { optionId: number; quantity: number }[] {
    return this.state.items.map((i) => ({ optionId: i.optionId, quantity: i.quantity }));
  }

  isSoldBy(sellerId: number): boolean {
    return this.state.items.some((i) => i.sellerId === sellerId);
  }

  /** The sellers of its lines, ascending. */
  sellerIds(): number[] {
    return [...new Set(this.state.items.map((i) => i.sellerId))].sort((a, b) => a - b);
  }

  /** The lines of one seller, in the order of the order. */
  linesOf(sellerId: number): OrderLine[] {
    return this.state.items.filter((i) => i.sellerId === sellerId).map((i) => ({ ...i }));
  }

  /** Some goods have left a seller: a line is SHIPPED or DELIVERED. */
  hasShippedLines(): boolean {
    return this.state.items.some((i) => rankOf(i.status) >= rankOf('SHIPPED'));
  }

  isExpired(at: Date): boolean {
    return at.getTime() >= this.state.reservationExpiresAt.getTime();
  }

  /** Unpaid, and its reservation still holds. */
  assertPayable(at: Date): void {
    this.expect('pay', 'CREATED');
    if (this.isExpired(at)) {
      throw new InvalidState(`Order ${this.id}: its reservation expired at ${this.state.reservationExpiresAt.toISOString()}`);
    }
  }

  /** An external gateway has the payment and has not answered yet. */
  awaitGateway(at: Date): void {
    this.assertPayable(at);
    this.move('PENDING', at);
  }

  /** `payment` completed: the order is paid. */
  confirmPayment(at: Date, payment: Payment): void {
    if (this.state.status === 'CREATED') this.assertPayable(at);
    else this.expect('confirm the payment of', 'PENDING');
    this.move('CONFIRMED', at);
    this.recordEvent({ type: 'OrderPaid', occurredAt: at, payment: payment.toSnapshot() });
  }

  /** The gateway declined, or never approved, `payment`: everything the order held is given back. */
  fail(reason: string, at: Date, payment: Payment): void {
    this.expect('fail', 'CREATED', 'PENDING');
    this.move('FAILED', at, reason);
    this.recordEvent({ type: 'OrderPaymentFailed', occurredAt: at, payment: payment.toSnapshot() });
  }

  /** The buyer (or an admin) cancels an unpaid order; `latestPayment` is a refused attempt, if any. */
  cancel(reason: string | null, at: Date, latestPayment: Payment | null): void {
    this.expect('cancel', 'CREATED');
    this.move('CANCELLED', at, reason?.trim() || 'CANCELLED_BY_USER');
    this.recordEvent({ type: 'OrderCancelled', occurredAt: at, payment: latestPayment?.toSnapshot() ?? null });
  }

  /** The sweeper cancels an unpaid order whose reservation ran out. */
  expire(at: Date, latestPayment: Payment | null): void {
    this.expect('expire', 'CREATED');
    if (!this.isExpired(at)) throw new InvalidState(`Order ${this.id}: its reservation has not expired yet`);
    this.move('CANCELLED', at, EXPIRED);
    this.recordEvent({ type: 'OrderCancelled', occurredAt: at, payment: latestPayment?.toSnapshot() ?? null });
  }

  /**
   * A paid order none of whose goods has left a seller is refunded and so cancelled: CONFIRMED, or
   * PREPARING with no line SHIPPED yet (one seller may ship while another still prepares).
   */
  cancelForRefund(reason: string | null, at: Date, refundedPayment: Payment): void {
    this.expect('refund', 'CONFIRMED', 'PREPARING');
    if (this.hasShippedLines()) throw new InvalidState(`Cannot refund order ${this.id}: some of its items have shipped`);
    this.move('CANCELLED', at, reason?.trim() || 'REFUNDED');
    this.recordEvent({ type: 'OrderCancelled', occurredAt: at, payment: refundedPayment.toSnapshot() });
  }

  /** Paid and not yet shipped as a whole: some of its lines may still be refunded (those not shipped). */
  isRefundable(): boolean {
    return this.state.status === 'CONFIRMED' || this.state.status === 'PREPARING';
  }

  get refunds(): readonly RefundSnapshot[] {
    return this.state.refunds;
  }

  /** Whether refunding `plan` would leave no unit of the order unrefunded. */
  isWhollyRefundedBy(plan: readonly RefundLine[]): boolean {
    const now = new Map(plan.map((l) => [l.orderItemId, l.quantity]));
    return this.state.items.every((i) => i.refundedQuantity + (now.get(i.id) ?? 0) >= i.quantity);
  }

  /**
   * A refund of a paid, unshipped order was made: its lines' refunded units grow, it is listed
   * with the order, and when it leaves no unit unrefunded the order is CANCELLED (with the
   * refund's reason, or `REFUNDED`). A partial refund leaves the status as it is. `payment` is the
   * refunded payment, as the refund left it. Answers whether the order ended.
   */
  recordRefund(refund: RefundSnapshot, at: Date, payment: Payment): boolean {
    this.expect('refund', 'CONFIRMED', 'PREPARING');
    const units = new Map(refund.items.map((l) => [l.orderItemId, l.quantity]));
    const items = this.state.items.map((i) => {
      const more = units.get(i.id) ?? 0;
      // Goods that left their seller come back through a return, which is not built: not by a refund.
      if (more > 0 && rankOf(i.status) >= rankOf('SHIPPED')) {
        throw new InvalidState(`Cannot refund order ${this.id}: order item ${i.id} has ${i.status === 'SHIPPED' ? 'shipped' : 'been delivered'}`);
      }
      if (i.refundedQuantity + more > i.quantity) {
        throw new InvalidState(`Order ${this.id}: order item ${i.id} has ${i.quantity - i.refundedQuantity} units left to refund, not ${more}`);
      }
      return { ...i, refundedQuantity: i.refundedQuantity + more };
    });
    const refunds = [...this.state.refunds, { ...refund, items: refund.items.map((l) => ({ ...l })) }];
    this.state = { ...this.state, items, refunds, updatedAt: at };
    this.recordEvent({ type: 'OrderRefunded', occurredAt: at, refund: { ...refund, items: refund.items.map((l) => ({ ...l })) } });
    const ended = items.every((i) => i.refundedQuantity === i.quantity);
    if (ended) this.cancelForRefund(refund.reason, at, payment);
    return ended;
  }

  /**
   * One fulfilment step: the lines in `scope` (a seller's, or all of them) that stand right before
   * `step` move to it, and the order's status follows from all its lines (statusOfLines). Lines in
   * scope already at `step` or past it stay; a line in scope further behind (the step would skip
   * one) refuses the whole step, as does a step that moves nothing, or an order that is not paid
   * or is past DELIVERED. Answers what moved, for the repository's guarded write. Records
   * OrderLinesAdvanced for each seller whose lines moved, and OrderAdvanced when the order's status
   * moved too (shown with `payment`, the order's).
   */
  advanceFulfilment(step: FulfilmentStep, at: Date, scope: FulfilmentScope, payment: Payment | null): LinesMoved {
    const whose = scope === 'ALL' ? 'its items' : `the items of seller ${scope.sellerId}`;
    const before = this.state.status;
    if (before !== 'CONFIRMED' && before !== 'PREPARING' && before !== 'SHIPPED') {
      throw new InvalidState(`Order ${this.id} is ${before}: ${whose} cannot move to ${step}`);
    }
    const inScope = this.state.items.filter((i) => scope === 'ALL' || i.sellerId === scope.sellerId);
    if (inScope.length === 0) throw new InvalidState(`Order ${this.id} has no ${whose.replace(/^the /, '')}`);
    const from = lineStatusBefore(step);
    const behind = inScope.find((i) => rankOf(i.status) < rankOf(from));
    if (behind) throw new InvalidState(`Order ${this.id}: ${whose} ${inScope.length > 1 ? 'are' : 'is'} ${behind.status}: ${step} is not the next step`);
    const moving = inScope.filter((i) => i.status === from);
    if (moving.length === 0) {
      const least = inScope.reduce((a, b) => (rankOf(b.status) < rankOf(a.status) ? b : a)).status;
      throw new InvalidState(`Order ${this.id}: ${whose} ${inScope.length > 1 ? 'are' : 'is'} ${least} already: ${step} is not the next step`);
    }
    const moved = new Set(moving.map((i) => i.optionId));
    const items = this.state.items.map((i) => (moved.has(i.optionId) ? { ...i, status: step } : i));
    const after = statusOfLines(items.map((i) => i.status));
    this.state = { ...this.state, items, status: after, updatedAt: at };
    const sellerIds = [...new Set(moving.map((i) => i.sellerId))].sort((a, b) => a - b);
    for (const sellerId of sellerIds) this.recordEvent({ type: 'OrderLinesAdvanced', occurredAt: at, sellerId, step });
    if (after !== before && after !== 'CONFIRMED') this.recordEvent({ type: 'OrderAdvanced', occurredAt: at, status: after, payment: payment?.toSnapshot() ?? null });
    return {
      optionIds: moving.map((i) => i.optionId),
      sellerIds,
      from,
      to: step,
      orderStatusBefore: before,
      orderStatusAfter: after,
    };
  }

  /** The buyer confirms the purchase (`payment`: the order's, for the record). */
  complete(at: Date, payment: Payment | null): void {
    this.expect('complete', 'DELIVERED');
    this.move('COMPLETED', at);
    this.recordEvent({ type: 'OrderCompleted', occurredAt: at, payment: payment?.toSnapshot() ?? null });
  }

  toSnapshot(): OrderSnapshot {
    return copyOf(this.state);
  }

  private expect(action: string, ...allowed: OrderStatus[]): void {
    if (!allowed.includes(this.state.status)) {
      throw new InvalidState(`Cannot ${action} order ${this.id}: it is ${this.state.status}`);
    }
  }

  /** Records an event with a copy of the order as it stands now. */
  private recordEvent(event: DistributiveOmit<OrderEvent, 'order'>): void {
    this.events.record({ ...event, order: copyOf(this.state) } as OrderEvent);
  }

  private move(status: OrderStatus, at: Date, cancelReason?: string): void {
    this.state = { ...this.state, status, updatedAt: at, ...(cancelReason !== undefined ? { cancelReason } : {}) };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function copyOf(s: OrderSnapshot): OrderSnapshot {
  return {
    ...s,
    items: s.items.map((i) => ({ ...i })),
    shippingAddress: s.shippingAddress ? { ...s.shippingAddress } : null,
    refunds: s.refunds.map((r) => ({ ...r, items: r.items.map((l) => ({ ...l })) })),
  };
}

/**
 * The lines' discounts are the order's discount, split: one per line, each within 0..the line's
 * amount, summing exactly to the order's (the database checks the same at commit).
 */
function assertAllocation(discountAmount: number, lineDiscounts: readonly number[], amounts: readonly number[]): void {
  const fits = lineDiscounts.every((d, i) => Number.isSafeInteger(d) && d >= 0 && d <= (amounts[i] as number));
  const sum = lineDiscounts.reduce((a, b) => a + b, 0);
  if (lineDiscounts.length !== amounts.length || !fits || sum !== discountAmount) {
    throw new RangeError(`Line discounts ${JSON.stringify(lineDiscounts)} do not split a discount of ${discountAmount} over lines of ${JSON.stringify(amounts)}`);
  }
}

function assertLines(lines: PricedLine[], policy: OrderPolicy): void {
  if (lines.length === 0) throw new ValidationFailed([{ field: 'items', message: 'an order needs at least one line' }]);
  const seen = new Set<number>();
  let units = 0;
  for (const [index, line] of lines.entries()) {
    if (seen.has(line.optionId)) {
      throw new ValidationFailed([{ field: `items.${index}`, message: `option ${line.optionId} is on two lines` }]);
    }
    seen.add(line.optionId);
    if (!Number.isSafeInteger(line.quantity) || line.quantity < 1) {
      throw new ValidationFailed([{ field: `items.${index}.quantity`, message: 'must be a whole number of 1 or more' }]);
    }
    if (line.quantity > policy.maxUnitsPerOption) {
      throw new OrderLimitExceeded(`At most ${policy.maxUnitsPerOption} units of one option per order (line ${index + 1} has ${line.quantity})`);
    }
    units += line.quantity;
  }
  if (units > policy.maxUnitsPerOrder) {
    throw new OrderLimitExceeded(`At most ${policy.maxUnitsPerOrder} units per order (this one has ${units})`);
  }
}
