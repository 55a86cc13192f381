import { randomUUID } from 'node:crypto';
import type { Outbox, OutboxEvent } from '../../application/ports/outbox.js';
import type { StoredOutboxEvent } from '../../application/ports/outbox-store.js';
import { CouponNotApplicable } from '../../domain/coupon/errors.js';
import { LINE_STATUSES, type LinesMoved, type NewOrder, Order, type OrderSnapshot, statusAgreesWithLines, type UnpaidOrders } from '../../domain/ordering/order.js';
import { type NewPayment, Payment, type PaymentSnapshot, type RecoveryState } from '../../domain/ordering/payment.js';
import type { NewRefund, RefundLine, RefundSnapshot } from '../../domain/ordering/refund.js';
import { PHONE_PATTERN, POSTAL_CODE_PATTERN } from '../../domain/ordering/shipping-address.js';
import type { OrderQuery, OrderRepository, PaymentRepository, RefundRepository } from '../../domain/ordering/repositories.js';
import { ConcurrentModification, InvalidState, NotFound } from '../../domain/shared/errors.js';
import { offsetOf, type Page, type PageRequest, pageOf } from '../../domain/shared/page.js';
import { MemorySequence, MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

/**
 * The CHECK constraints of `orders` and `order_items` (migrations/0004): a row the database would
 * refuse is refused here too, so code that works in memory cannot break on PostgreSQL.
 */
function assertOrderRow(order: NewOrder): void {
  const problems: string[] = [];
  if (order.items.length === 0) problems.push('an order needs at least one line');
  if (!(order.totalAmount > 0)) problems.push('total_amount must be > 0');
  if (!(order.discountAmount >= 0 && order.discountAmount <= order.totalAmount)) problems.push('discount_amount must be within 0..total_amount');
  if (order.finalAmount !== order.totalAmount - order.discountAmount) problems.push('final_amount must be total_amount - discount_amount');
  if (!(order.version >= 0)) problems.push('version must be >= 0');
  const options = new Set<number>();
  for (const item of order.items) {
    if (options.has(item.optionId)) problems.push(`option ${item.optionId} is on two lines`);
    options.add(item.optionId);
    if (!(item.unitPrice > 0) || !(item.quantity >= 1)) problems.push(`option ${item.optionId}: unit_price > 0 and quantity >= 1`);
    if (item.amount !== item.unitPrice * item.quantity) problems.push(`option ${item.optionId}: amount must be unit_price * quantity`);
    if (!(item.discountAmount >= 0 && item.discountAmount <= item.amount)) problems.push(`option ${item.optionId}: discount_amount must be within 0..amount`);
    if (!LINE_STATUSES.includes(item.status)) problems.push(`option ${item.optionId}: status must be one of ${LINE_STATUSES.join(', ')}`);
  }
  // The deferred trigger orders_discount_allocated (migrations/0010).
  const allocated = order.items.reduce((sum, item) => sum + item.discountAmount, 0);
  if (allocated !== order.discountAmount) problems.push(`the lines carry a discount of ${allocated}, the order ${order.discountAmount}`);
  // The address CHECK (one function since migrations/0019, naming the part it refuses) and the deferred trigger orders_physical_goods_have_an_address (migrations/0014).
  const address = order.shippingAddress;
  if (address === null) {
    if (order.items.some((i) => !i.digital)) problems.push('orders_physical_goods_have_an_address');
  } else {
    const trimmedText = (v: string, max: number) => v.length >= 1 && v.length <= max && v === v.trim();
    if (!trimmedText(address.recipient, 50)) problems.push('orders_ship_recipient_valid');
    const digits = address.phone.replace(/\D/g, '').length;
    if (!(address.phone.length <= 20 && PHONE_PATTERN.test(address.phone) && digits >= 8 && digits <= 15)) problems.push('orders_ship_phone_valid');
    if (!POSTAL_CODE_PATTERN.test(address.postalCode)) problems.push('orders_ship_postal_code_valid');
    if (!trimmedText(address.line1, 200)) problems.push('orders_ship_line1_valid');
    if (address.line2 !== null && !trimmedText(address.line2, 200)) problems.push('orders_ship_line2_valid');
  }
  if (problems.length > 0) throw new Error(`order row refused (check constraint): ${problems.join('; ')}`);
}

/** The deferred trigger orders_status_follows_lines (migrations/0013), checked on every write here. */
function assertStatusFollowsLines(order: Pick<OrderSnapshot, 'id' | 'status' | 'items'>): void {
  if (!statusAgreesWithLines(order.status, order.items.map((i) => i.status))) {
    throw new Error(`order row refused (orders_status_follows_lines): order ${order.id} is ${order.status} but its lines are ${order.items.map((i) => i.status).join(', ')}`);
  }
}

/** The trigger order_items_only_status_moves (migrations/0013): a line's status moves one step forward at a time. */
const NEXT_LINE_STATUS: Record<string, string> = { ORDERED: 'PREPARING', PREPARING: 'SHIPPED', SHIPPED: 'DELIVERED' };

/** An order as stored: its refunds live in their own table. */
type OrderRow = Omit<OrderSnapshot, 'refunds'>;

const NEWEST_FIRST = (a: OrderRow, b: OrderRow) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

/**
 * Orders in a MemoryTable, so a failed transaction takes its writes back. Memory transactions run
 * one at a time, so loading an order inside one is as good as locking it.
 */
export class MemoryOrderRepository implements OrderRepository {
  private readonly orders: MemoryTable<number, OrderRow>;
  private readonly ids = new MemorySequence();
  private readonly itemIds = new MemorySequence();

  /** `refunds`: the refund repository whose refunds the orders show (the table they are read with). */
  constructor(
    transactions: MemoryTransactionManager,
    private readonly refunds: MemoryRefundRepository = new MemoryRefundRepository(transactions),
  ) {
    this.orders = new MemoryTable(transactions);
  }

  async add(order: NewOrder): Promise<Order> {
    assertOrderRow(order);
    // The unique index orders_one_live_per_user_coupon.
    const holder = order.userCouponId === null ? undefined : this.orders.values().find((o) => o.userCouponId === order.userCouponId && o.status !== 'CANCELLED' && o.status !== 'FAILED');
    if (holder) throw new CouponNotApplicable(`User coupon ${order.userCouponId} is held by another order`);
    const row: OrderRow = {
      ...order,
      id: this.ids.next(),
      items: order.items.map((i) => ({ ...i, id: this.itemIds.next(), refundedQuantity: 0 })),
      shippingAddress: order.shippingAddress ? { ...order.shippingAddress } : null,
    };
    assertStatusFollowsLines(row);
    this.orders.set(row.id, row);
    // A new order has no refunds yet.
    return Order.placed({ ...row, refunds: [] });
  }

  async get(id: number): Promise<Order | null> {
    const row = this.orders.get(id);
    return row ? this.toOrder(row) : null;
  }

  /** Transactions here run one at a time, so loading is locking. */
  getForUpdate(id: number): Promise<Order | null> {
    return this.get(id);
  }

  getForRefund(id: number): Promise<Order | null> {
    return this.get(id);
  }

  /** Like the guarded UPDATE of order_items: all lines or none, never past a line's quantity. */
  async refundUnits(orderId: number, lines: readonly RefundLine[]): Promise<void> {
    const row = this.orders.get(orderId);
    if (!row) throw new InvalidState(`Order ${orderId} has no such lines`);
    const more = new Map<number, number>();
    for (const { orderItemId, quantity } of lines) {
      if (!Number.isSafeInteger(quantity) || quantity < 1) throw new RangeError(`A refund takes 1 or more units of a line, got ${quantity}`);
      const item = row.items.find((i) => i.id === orderItemId);
      if (!item || item.refundedQuantity + (more.get(orderItemId) ?? 0) + quantity > item.quantity) {
        throw new InvalidState(`Order ${orderId}: order item ${orderItemId} has fewer than ${quantity} units left to refund`);
      }
      more.set(orderItemId, (more.get(orderItemId) ?? 0) + quantity);
    }
    this.orders.set(orderId, { ...row, items: row.items.map((i) => ({ ...i, refundedQuantity: i.refundedQuantity + (more.get(i.id) ?? 0) })) });
  }

  private toOrder(row: OrderRow): Order {
    return Order.fromSnapshot({ ...row, refunds: this.refunds.ofOrder(row.id) });
  }

  /**
   * Like `UPDATE orders SET status, cancel_reason, updated_at, version = version + 1 WHERE id AND
   * version`: only what the state machine moves is written (lines and amounts never change).
   */
  async save(order: Order): Promise<Order> {
    const s = order.toSnapshot();
    const stored = this.orders.get(s.id);
    if (!stored || stored.version !== s.version) {
      throw new ConcurrentModification(`Order ${s.id} changed since it was loaded`);
    }
    const saved: OrderRow = { ...stored, status: s.status, cancelReason: s.cancelReason, updatedAt: s.updatedAt, version: s.version + 1 };
    assertStatusFollowsLines(saved);
    this.orders.set(s.id, saved);
    return this.toOrder(saved);
  }

  /** Like the guarded `UPDATE order_items SET status = to WHERE ... AND status = from`, then save. */
  async saveFulfilment(order: Order, moved: LinesMoved): Promise<Order> {
    const stored = this.orders.get(order.id);
    if (!stored) throw new ConcurrentModification(`Order ${order.id} changed since it was loaded`);
    const wanted = new Set(moved.optionIds);
    const still = stored.items.filter((i) => wanted.has(i.optionId) && i.status === moved.from);
    if (still.length !== moved.optionIds.length) {
      throw new ConcurrentModification(`Order ${order.id}: ${moved.optionIds.length - still.length} of the lines to move to ${moved.to} are no longer ${moved.from}`);
    }
    if (NEXT_LINE_STATUS[moved.from] !== moved.to) throw new Error(`order_items_one_step_forward: ${moved.from} cannot move to ${moved.to}`);
    this.orders.set(order.id, { ...stored, items: stored.items.map((i) => (wanted.has(i.optionId) ? { ...i, status: moved.to } : i)) });
    return this.save(order);
  }

  async list(query: OrderQuery): Promise<Page<Order>> {
    const matching = this.orders
      .values()
      .filter((o) => query.userId === undefined || o.userId === query.userId)
      .filter((o) => query.sellerId === undefined || o.items.some((i) => i.sellerId === query.sellerId))
      .filter((o) => query.status === undefined || o.status === query.status)
      .sort(NEWEST_FIRST);
    const start = offsetOf(query);
    return pageOf(matching.slice(start, start + query.size).map((o) => this.toOrder(o)), query, matching.length);
  }

  /** CREATED orders whose reservation ran out by `now` (inclusive), the longest expired first. */
  async lockExpired(now: Date, limit: number, excluding: number[] = []): Promise<Order[]> {
    return this.orders
      .values()
      .filter((o) => o.status === 'CREATED' && o.reservationExpiresAt.getTime() <= now.getTime() && !excluding.includes(o.id))
      .sort((a, b) => a.reservationExpiresAt.getTime() - b.reservationExpiresAt.getTime() || a.id - b.id)
      .slice(0, limit)
      .map((o) => this.toOrder(o));
  }

  async lockUnpaidOf(userId: number): Promise<UnpaidOrders> {
    const unpaid = this.orders.values().filter((o) => o.userId === userId && (o.status === 'CREATED' || o.status === 'PENDING'));
    const earliest = unpaid.reduce<Date | null>((min, o) => (min === null || o.reservationExpiresAt < min ? o.reservationExpiresAt : min), null);
    return { count: unpaid.length, earliestExpiry: earliest };
  }
}

/**
 * The CHECK constraints of `payments` (migrations/0004, 0011): a payment is in recovery exactly
 * while it waits for the gateway, and has a next attempt exactly while that recovery is automatic.
 */
function assertPaymentRow(row: PaymentSnapshot): void {
  const problems: string[] = [];
  if (!(row.amount >= 0)) problems.push('amount must be >= 0');
  // migrations/0014: a paid payment knows when it completed; refunds add up.
  const paid = row.status === 'COMPLETED' || row.status === 'PARTIALLY_REFUNDED' || row.status === 'REFUNDED';
  if (paid !== (row.completedAt !== null)) problems.push('payments_completed_iff_paid');
  const refundsAddUp =
    row.refundedAmount >= 0 &&
    row.refundedAmount <= row.amount &&
    (row.status !== 'REFUNDED' || row.refundedAmount === row.amount) &&
    (row.status === 'PARTIALLY_REFUNDED' || row.status === 'REFUNDED' || row.refundedAmount === 0);
  if (!refundsAddUp) problems.push('payments_refunds_add_up');
  if ((row.status === 'GATEWAY_REQUESTED') !== (row.recovery.state !== null)) problems.push('payments_in_recovery_iff_waiting');
  if ((row.recovery.state === 'AUTOMATIC') !== (row.recovery.nextAttemptAt !== null)) problems.push('payments_next_attempt_iff_automatic');
  if (!(row.recovery.attempts >= 0)) problems.push('recovery_attempts must be >= 0');
  if (problems.length > 0) throw new Error(`payment row refused (check constraint): ${problems.join('; ')}`);
}

/** The live payment (not FAILED) comes first; among the rest, the newest. */
function ranksBefore(a: PaymentSnapshot, b: PaymentSnapshot): boolean {
  const aLive = a.status !== 'FAILED';
  const bLive = b.status !== 'FAILED';
  if (aLive !== bLive) return aLive;
  return newestFirst(a, b) < 0;
}

/** Newest first by time, then by id, as PostgreSQL's lists (whose ids are drawn ahead and need not follow time). */
const newestFirst = (a: PaymentSnapshot, b: PaymentSnapshot): number => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

/** Payments; like the partial unique index `payments_one_live_per_order`, one live (not FAILED) payment per order. */
export class MemoryPaymentRepository implements PaymentRepository {
  private readonly payments: MemoryTable<number, PaymentSnapshot>;
  private readonly ids = new MemorySequence();

  constructor(transactions: MemoryTransactionManager) {
    this.payments = new MemoryTable(transactions);
  }

  async add(payment: NewPayment): Promise<Payment> {
    const row: PaymentSnapshot = { ...payment, id: this.ids.next() };
    assertPaymentRow(row);
    this.assertOneLive(row);
    this.payments.set(row.id, row);
    return Payment.fromSnapshot(row);
  }

  async get(id: number): Promise<Payment | null> {
    const row = this.payments.get(id);
    return row ? Payment.fromSnapshot(row) : null;
  }

  /** Writes how far the payment got (status, failure reason, updated time) and its recovery state and next attempt. */
  async save(payment: Payment): Promise<void> {
    const s = payment.toSnapshot();
    const stored = this.payments.get(s.id);
    if (!stored) throw new NotFound('Payment', s.id);
    const saved: PaymentSnapshot = {
      ...stored,
      status: s.status,
      failureReason: s.failureReason,
      updatedAt: s.updatedAt,
      completedAt: s.completedAt,
      recovery: { ...stored.recovery, state: s.recovery.state, nextAttemptAt: s.recovery.nextAttemptAt },
    };
    assertPaymentRow(saved);
    this.assertOneLive(saved);
    this.payments.set(s.id, saved);
  }

  async dueForRecovery(now: Date, waitingSince: Date, limit: number): Promise<Payment[]> {
    return this.payments
      .values()
      .filter((p) => p.recovery.state === 'AUTOMATIC' && p.recovery.nextAttemptAt!.getTime() <= now.getTime() && p.updatedAt.getTime() <= waitingSince.getTime())
      .sort((a, b) => a.recovery.nextAttemptAt!.getTime() - b.recovery.nextAttemptAt!.getTime() || a.id - b.id)
      .slice(0, limit)
      .map((p) => Payment.fromSnapshot(p));
  }

  /** Like the guarded UPDATE: written only while the stored row is as `seen`, and still waiting for the gateway. */
  async saveRecovery(payment: Payment, seen: { state: RecoveryState; attempts: number }): Promise<boolean> {
    const s = payment.toSnapshot();
    const stored = this.payments.get(s.id);
    if (!stored || stored.status !== 'GATEWAY_REQUESTED' || stored.recovery.state !== seen.state || stored.recovery.attempts !== seen.attempts) {
      return false;
    }
    const saved: PaymentSnapshot = { ...stored, recovery: s.recovery };
    assertPaymentRow(saved);
    this.payments.set(s.id, saved);
    return true;
  }

  async listInRecovery(query: PageRequest & { state?: RecoveryState }): Promise<Page<Payment>> {
    const matching = this.payments
      .values()
      .filter((p) => (query.state === undefined ? p.recovery.state !== null : p.recovery.state === query.state))
      .sort(newestFirst);
    const start = offsetOf(query);
    return pageOf(matching.slice(start, start + query.size).map((p) => Payment.fromSnapshot(p)), query, matching.length);
  }

  /** Like the guarded UPDATE: only while paid, never past the payment's amount. */
  async saveRefund(payment: Payment, amount: number): Promise<void> {
    const s = payment.toSnapshot();
    const stored = this.payments.get(s.id);
    if (!stored || (stored.status !== 'COMPLETED' && stored.status !== 'PARTIALLY_REFUNDED') || stored.refundedAmount + amount > stored.amount) {
      throw new InvalidState(`Payment ${s.id} has less than ${amount} won left to refund, or is not paid`);
    }
    const saved: PaymentSnapshot = { ...stored, status: s.status, refundedAmount: stored.refundedAmount + amount, updatedAt: s.updatedAt };
    assertPaymentRow(saved);
    this.payments.set(s.id, saved);
  }

  async latestFor(orderId: number): Promise<Payment | null> {
    return (await this.latestForEach([orderId])).get(orderId) ?? null;
  }

  async latestForEach(orderIds: number[]): Promise<Map<number, Payment>> {
    const wanted = new Set(orderIds);
    const latest = new Map<number, PaymentSnapshot>();
    for (const row of this.payments.values()) {
      if (!wanted.has(row.orderId)) continue;
      const seen = latest.get(row.orderId);
      if (!seen || ranksBefore(row, seen)) latest.set(row.orderId, row);
    }
    return new Map([...latest].map(([orderId, row]) => [orderId, Payment.fromSnapshot(row)]));
  }

  private assertOneLive(row: PaymentSnapshot): void {
    if (row.status === 'FAILED') return;
    const live = this.payments.values().find((p) => p.orderId === row.orderId && p.id !== row.id && p.status !== 'FAILED');
    if (live) {
      throw new InvalidState(`Order ${row.orderId} already has payment ${live.id} (${live.status}); only a failed one may be retried`);
    }
  }
}

const copyRefund = (r: RefundSnapshot): RefundSnapshot => ({ ...r, items: r.items.map((l) => ({ ...l })) });

/** Refunds with their lines; an order may have several. */
export class MemoryRefundRepository implements RefundRepository {
  private readonly refunds: MemoryTable<number, RefundSnapshot>;
  private readonly ids = new MemorySequence();

  constructor(transactions: MemoryTransactionManager) {
    this.refunds = new MemoryTable(transactions);
  }

  async add(refund: NewRefund): Promise<RefundSnapshot> {
    // The deferred trigger refunds_books_balance (migrations/0014): the lines add up to the refund.
    const lines = refund.items.reduce((sum, l) => sum + l.amount, 0);
    if (lines !== refund.amount || refund.items.some((l) => !(l.quantity >= 1 && l.amount >= 0 && l.discountAmount >= 0))) {
      throw new Error(`refund row refused (check constraint): refunds_books_balance (${refund.amount} vs lines of ${lines})`);
    }
    const row: RefundSnapshot = { ...copyRefund({ ...refund, id: 0 }), id: this.ids.next() };
    this.refunds.set(row.id, row);
    return copyRefund(row);
  }

  async get(id: number): Promise<RefundSnapshot | null> {
    const row = this.refunds.get(id);
    return row ? copyRefund(row) : null;
  }

  async forOrder(orderId: number): Promise<RefundSnapshot[]> {
    return this.ofOrder(orderId);
  }

  /** The order's refunds, oldest first (what the order repository shows with an order). */
  ofOrder(orderId: number): RefundSnapshot[] {
    return this.refunds
      .values()
      .filter((r) => r.orderId === orderId)
      .sort((a, b) => a.id - b.id)
      .map(copyRefund);
  }
}

/**
 * The transactional outbox in memory: events written in a transaction that fails are gone with
 * it. Payloads are kept as JSON, as the `jsonb` column keeps them (dates become strings). Rows
 * carry their delivery state, which MemoryOutboxStore (the relay's side) reads and moves.
 */
export class MemoryOutbox implements Outbox {
  /** Keyed by seq; shared with MemoryOutboxStore. */
  readonly rows: MemoryTable<number, StoredOutboxEvent>;
  private readonly seq = new MemorySequence();

  constructor(readonly transactions: MemoryTransactionManager) {
    this.rows = new MemoryTable(transactions);
  }

  async add(...events: OutboxEvent[]): Promise<void> {
    for (const event of events) {
      const payload: unknown = JSON.parse(JSON.stringify(event.payload ?? null));
      const seq = this.seq.next();
      this.rows.set(seq, {
        ...event,
        payload,
        id: randomUUID(),
        seq,
        status: 'PENDING',
        attempts: 0,
        lastError: null,
        nextAttemptAt: event.occurredAt,
        // No database clock here: the event's own time stands in for the row's.
        createdAt: event.occurredAt,
        sentAt: null,
      });
    }
  }

  /** Every event written so far, in the order written (copies): for tests and the demo. */
  events(): OutboxEvent[] {
    return this.rows
      .entries()
      .sort(([a], [b]) => a - b)
      .map(([, { type, aggregateType, aggregateId, occurredAt, payload }]) => ({ type, aggregateType, aggregateId, occurredAt, payload }));
  }
}
