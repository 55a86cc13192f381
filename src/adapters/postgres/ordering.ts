import type { Knex } from 'knex';
import { CouponNotApplicable } from '../../domain/coupon/errors.js';
import { type LinesMoved, type LineStatus, type NewOrder, Order, type OrderLine, type OrderSnapshot, type OrderStatus, type UnpaidOrders } from '../../domain/ordering/order.js';
import { type NewPayment, Payment, type PaymentStatus, type RecoveryState } from '../../domain/ordering/payment.js';
import type { NewRefund, RefundLine, RefundSnapshot, RefundStatus } from '../../domain/ordering/refund.js';
import type { ShippingAddress } from '../../domain/ordering/shipping-address.js';
import type { OrderQuery, OrderRepository, PaymentRepository, RefundRepository } from '../../domain/ordering/repositories.js';
import { ConcurrentModification, InvalidState } from '../../domain/shared/errors.js';
import { offsetOf, type Page, type PageRequest, pageOf } from '../../domain/shared/page.js';
import type { Outbox, OutboxEvent } from '../../application/ports/outbox.js';
import { IdBlocks } from './id-blocks.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';
import { concurrentModificationWhenUnmatched, isUniqueViolation } from './pg-errors.js';
import { prepared } from './prepared.js';

type Num = string | number;

interface OrderRow {
  id: Num;
  user_id: Num;
  status: OrderStatus;
  total_amount: Num;
  discount_amount: Num;
  final_amount: Num;
  user_coupon_id: Num | null;
  reservation_expires_at: Date;
  cancel_reason: string | null;
  ship_recipient: string | null;
  ship_phone: string | null;
  ship_postal_code: string | null;
  ship_line1: string | null;
  ship_line2: string | null;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface ItemRow {
  id: Num;
  order_id: Num;
  line_no: number;
  product_id: Num;
  option_id: Num;
  seller_id: Num;
  product_name: string;
  option_name: string;
  unit_price: Num;
  quantity: number;
  amount: Num;
  discount_amount: Num;
  status: LineStatus;
  digital: boolean;
  refunded_quantity: number;
}

const toLine = (r: ItemRow): OrderLine => ({
  id: Number(r.id),
  productId: Number(r.product_id),
  optionId: Number(r.option_id),
  sellerId: Number(r.seller_id),
  productName: r.product_name,
  optionName: r.option_name,
  unitPrice: Number(r.unit_price),
  quantity: Number(r.quantity),
  amount: Number(r.amount),
  discountAmount: Number(r.discount_amount),
  status: r.status,
  digital: Boolean(r.digital),
  refundedQuantity: Number(r.refunded_quantity),
});

const addressOf = (row: OrderRow): ShippingAddress | null =>
  row.ship_recipient === null
    ? null
    : {
        recipient: row.ship_recipient,
        phone: row.ship_phone as string,
        postalCode: row.ship_postal_code as string,
        line1: row.ship_line1 as string,
        line2: row.ship_line2,
      };

function snapshotOf(row: OrderRow, items: ItemRow[], refunds: RefundSnapshot[]): OrderSnapshot {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    status: row.status,
    items: items.sort((a, b) => a.line_no - b.line_no).map(toLine),
    totalAmount: Number(row.total_amount),
    discountAmount: Number(row.discount_amount),
    finalAmount: Number(row.final_amount),
    userCouponId: row.user_coupon_id === null ? null : Number(row.user_coupon_id),
    reservationExpiresAt: new Date(row.reservation_expires_at),
    cancelReason: row.cancel_reason,
    shippingAddress: addressOf(row),
    refunds,
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

const toOrder = (row: OrderRow, items: ItemRow[], refunds: RefundSnapshot[]): Order => Order.fromSnapshot(snapshotOf(row, items, refunds));

type OrderWithItemsRow = OrderRow & { items: ItemRow[] | string; refunds: RefundRow[] | string };

/**
 * The advisory-lock key space of a user's placing lock (the two-int form of the key, first half):
 * no other lock of the service uses it. "OP", order placing.
 */
export const PLACING_LOCK_SPACE = 0x4f50;
/** The user's half of the key: ids past 2^31 share a key with another user, which only makes them queue together. */
const placingKeyOf = (userId: number) => userId % 2_147_483_648;

/** A refund's lines as JSON, in the order of the order's lines (`r` is the refund). */
const REFUND_LINES = `(SELECT coalesce(json_agg(json_build_object('order_item_id', ri.order_item_id, 'quantity', ri.quantity,
    'amount', ri.amount, 'discount_amount', ri.discount_amount) ORDER BY i.line_no), '[]'::json)
  FROM refund_items ri JOIN order_items i ON i.id = ri.order_item_id WHERE ri.refund_id = r.id)`;

/** An order's refunds with their lines, oldest first, as one JSON value. */
const REFUNDS_OF_ORDER = `(SELECT coalesce(json_agg(json_build_object('id', r.id, 'order_id', r.order_id, 'payment_id', r.payment_id,
    'amount', r.amount, 'status', r.status, 'reason', r.reason, 'created_at', r.created_at, 'items', ${REFUND_LINES}) ORDER BY r.id), '[]'::json)
  FROM refunds r WHERE r.order_id = orders.id)`;

const ORDER_WITH_ITEMS = `SELECT orders.*,
  (SELECT coalesce(json_agg(i ORDER BY i.line_no), '[]'::json) FROM order_items i WHERE i.order_id = orders.id) AS items,
  ${REFUNDS_OF_ORDER} AS refunds
  FROM orders`;

/** json_agg comes back parsed from node-postgres, as text from some drivers. */
function parsed<T>(value: T[] | string): T[] {
  return typeof value === 'string' ? (JSON.parse(value) as T[]) : value;
}

function itemsOf(row: { items: ItemRow[] | string }): ItemRow[] {
  return parsed(row.items);
}

function orderSnapshotOf(row: OrderWithItemsRow): OrderSnapshot {
  return snapshotOf(row, itemsOf(row), parsed(row.refunds).map(toRefund));
}

function orderOf(row: OrderWithItemsRow): Order {
  return Order.fromSnapshot(orderSnapshotOf(row));
}

export class PostgresOrderRepository implements OrderRepository {
  private readonly ids: IdBlocks;

  constructor(private readonly tx: KnexTransactionManager) {
    this.ids = new IdBlocks(tx);
  }

  /**
   * The order and its lines in one statement, numbered ahead (IdBlocks), so nothing waits for its
   * answer: it is a pipelined write (KnexTransactionManager.write), sent behind the reservation
   * and followed by the order's event and COMMIT in the same round trip. A copy of a coupon
   * another live order holds fails the transaction with COUPON_NOT_APPLICABLE.
   */
  async add(order: NewOrder): Promise<Order> {
    const [orderId, ...lineIds] = [...(await this.ids.take('orders', 1)), ...(await this.ids.take('order_items', order.items.length))];
    if (orderId === undefined) throw new Error('no order id was drawn');
    const placed = Order.placed({
      ...order,
      id: orderId,
      items: order.items.map((line, index) => ({ ...line, id: lineIds[index] as number, refundedQuantity: 0 })),
      // A new order has no refunds yet.
      refunds: [],
    });
    const lines = placed.items.map((i, index) => ({
      id: i.id,
      line_no: index + 1,
      product_id: i.productId,
      option_id: i.optionId,
      seller_id: i.sellerId,
      product_name: i.productName,
      option_name: i.optionName,
      unit_price: i.unitPrice,
      quantity: i.quantity,
      amount: i.amount,
      discount_amount: i.discountAmount,
      status: i.status,
      digital: i.digital,
    }));
    const address = order.shippingAddress;
    await this.tx.write(
      'order_add',
      `WITH placed AS (
         INSERT INTO orders (id, user_id, status, total_amount, discount_amount, final_amount, user_coupon_id,
                             reservation_expires_at, cancel_reason, ship_recipient, ship_phone, ship_postal_code, ship_line1, ship_line2,
                             version, created_at, updated_at)
         OVERRIDING SYSTEM VALUE
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id, created_at
       )
       INSERT INTO order_items (id, order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, discount_amount, status, digital, placed_at)
       OVERRIDING SYSTEM VALUE
       SELECT l.id, placed.id, l.line_no, l.product_id, l.option_id, l.seller_id, l.product_name, l.option_name, l.unit_price, l.quantity, l.amount, l.discount_amount, l.status, l.digital, placed.created_at
       FROM placed, jsonb_to_recordset(?::jsonb) AS l(id bigint, line_no smallint, product_id bigint, option_id bigint, seller_id bigint,
            product_name text, option_name text, unit_price bigint, quantity integer, amount bigint, discount_amount bigint, status text, digital boolean)`,
      [
        orderId,
        order.userId,
        order.status,
        order.totalAmount,
        order.discountAmount,
        order.finalAmount,
        order.userCouponId,
        order.reservationExpiresAt,
        order.cancelReason,
        address?.recipient ?? null,
        address?.phone ?? null,
        address?.postalCode ?? null,
        address?.line1 ?? null,
        address?.line2 ?? null,
        order.version,
        order.createdAt,
        order.updatedAt,
        JSON.stringify(lines),
      ],
      (error: unknown) =>
        isUniqueViolation(error, 'orders_one_live_per_user_coupon') ? new CouponNotApplicable(`User coupon ${order.userCouponId} is held by another order`) : error,
    );
    return placed;
  }

  async get(id: number): Promise<Order | null> {
    const [row] = await this.tx.query<OrderWithItemsRow>('order_get', `${ORDER_WITH_ITEMS} WHERE orders.id = ?`, [id]);
    return row ? orderOf(row) : null;
  }

  /**
   * The order and its lines in one round trip; only the order row is locked. A statement that
   * waited for the lock sees the order row as it is now but its lines as they were when the
   * statement began, so once an order is paid (its lines can move from then on) they are read
   * again under the lock: a fulfilment step committed meanwhile is never missed. Unpaid orders
   * (paying, the sweeper: the hot paths) keep the single round trip.
   */
  async getForUpdate(id: number): Promise<Order | null> {
    const [row] = await this.tx.query<OrderWithItemsRow>('order_lock', `${ORDER_WITH_ITEMS} WHERE orders.id = ? FOR UPDATE OF orders`, [id]);
    if (!row) return null;
    if (row.status === 'CREATED' || row.status === 'PENDING') return orderOf(row);
    // A paid order's lines and refunds may have moved while this waited for the lock (one locking
    // statement reads them with the snapshot it began with): read them again, after it.
    return this.get(id);
  }

  /**
   * Two statements: the lock, then a read with a snapshot taken after it is held. (In one
   * locking statement the lines and refunds are read with the snapshot it began with, before any
   * wait for the lock: a refund committed meanwhile would not be seen.)
   */
  async getForRefund(id: number): Promise<Order | null> {
    if (!this.tx.inTransaction()) throw new Error('getForRefund needs an open transaction');
    const [locked] = await this.tx.query<{ id: Num }>('order_lock_bare', 'SELECT id FROM orders WHERE id = ? FOR UPDATE', [id]);
    return locked ? this.get(id) : null;
  }

  async refundUnits(orderId: number, lines: readonly RefundLine[]): Promise<void> {
    for (const { orderItemId, quantity } of [...lines].sort((a, b) => a.orderItemId - b.orderItemId)) {
      if (!Number.isSafeInteger(quantity) || quantity < 1) throw new RangeError(`A refund takes 1 or more units of a line, got ${quantity}`);
      const moved = await this.tx.query(
        'order_item_refund',
        'UPDATE order_items SET refunded_quantity = refunded_quantity + ? WHERE id = ? AND order_id = ? AND refunded_quantity + ? <= quantity RETURNING id',
        [quantity, orderItemId, orderId, quantity],
      );
      if (moved.length === 0) throw new InvalidState(`Order ${orderId}: order item ${orderItemId} has fewer than ${quantity} units left to refund`);
    }
  }

  /** Pipelined (KnexTransactionManager.write): its guard raises, so a stale version fails the transaction. */
  async save(order: Order): Promise<Order> {
    const o = order.toSnapshot();
    await this.tx.write(
      'order_save',
      `WITH saved AS (UPDATE orders SET status = ?, cancel_reason = ?, updated_at = ?, version = ? WHERE id = ? AND version = ? RETURNING id)
       SELECT guard_matched((SELECT count(*) FROM saved), ?)`,
      [o.status, o.cancelReason, o.updatedAt, o.version + 1, o.id, o.version, `Order ${o.id} changed since it was loaded`],
      concurrentModificationWhenUnmatched,
    );
    return Order.fromSnapshot({ ...o, version: o.version + 1 });
  }

  async saveFulfilment(order: Order, moved: LinesMoved): Promise<Order> {
    const rows = await this.tx.query(
      'order_lines_move',
      `UPDATE order_items SET status = ?
       WHERE order_id = ? AND option_id IN (SELECT value::bigint FROM jsonb_array_elements_text(?::jsonb)) AND status = ?
       RETURNING option_id`,
      [moved.to, order.id, JSON.stringify(moved.optionIds), moved.from],
    );
    if (rows.length !== moved.optionIds.length) {
      throw new ConcurrentModification(`Order ${order.id}: ${moved.optionIds.length - rows.length} of the lines to move to ${moved.to} are no longer ${moved.from}`);
    }
    return this.save(order);
  }

  async list(query: OrderQuery): Promise<Page<Order>> {
    if (query.sellerId !== undefined) return this.listOfSeller(query.sellerId, query);
    const db = this.tx.connection();
    const filtered = (q: Knex.QueryBuilder) => {
      if (query.userId !== undefined) q.where('user_id', query.userId);
      if (query.status !== undefined) q.where('status', query.status);
      return q;
    };
    const rows = (await filtered(db('orders').select('*', db.raw('count(*) OVER () AS total_items')))
      .orderBy([
        { column: 'created_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ])
      .limit(query.size)
      .offset(offsetOf(query))) as (OrderRow & { total_items: Num })[];
    const total = rows[0]
      ? Number(rows[0].total_items)
      : Number(((await filtered(db('orders')).count({ count: '*' })) as { count: Num }[])[0]?.count ?? 0);
    return pageOf(await this.withItems(rows), query, total);
  }

  /**
   * The orders holding the seller's lines, newest first: a walk of order_items_by_seller_newest
   * (seller, the order's placing time, the order), one entry per line, so an order with several
   * of the seller's lines is taken once (DISTINCT over the index's order), then the page's orders
   * by primary key. The status filter reads each candidate order's row on the way. The count
   * reads only the index (with the status filter, the seller's orders' rows too). Measured with
   * bench/explain-seller-orders.ts (README "Benchmarks").
   */
  private async listOfSeller(sellerId: number, query: OrderQuery): Promise<Page<Order>> {
    const db = this.tx.connection();
    const byStatus = query.status === undefined ? '' : 'JOIN orders o ON o.id = i.order_id AND o.status = ?';
    const filter = query.status === undefined ? [sellerId] : [query.status, sellerId];
    const { rows } = (await db.raw(
      `SELECT orders.* FROM (
         SELECT DISTINCT i.placed_at, i.order_id FROM order_items i ${byStatus}
         WHERE i.seller_id = ?
         ORDER BY i.placed_at DESC, i.order_id DESC
         LIMIT ? OFFSET ?
       ) page JOIN orders ON orders.id = page.order_id
       ORDER BY page.placed_at DESC, page.order_id DESC`,
      [...filter, query.size, offsetOf(query)],
    )) as { rows: OrderRow[] };
    // With the status filter, the seller's orders are looked up by id (an array, so each once):
    // a join would have the planner hash every order of that status.
    const counted = (await db.raw(
      query.status === undefined
        ? 'SELECT count(DISTINCT order_id)::bigint AS n FROM order_items WHERE seller_id = ?'
        : 'SELECT count(*)::bigint AS n FROM orders WHERE id = ANY(ARRAY(SELECT order_id FROM order_items WHERE seller_id = ?)) AND status = ?',
      query.status === undefined ? [sellerId] : [sellerId, query.status],
    )) as { rows: { n: Num }[] };
    return pageOf(await this.withItems(rows), query, Number(counted.rows[0]?.n ?? 0));
  }

  async lockExpired(now: Date, limit: number, excluding: number[] = []): Promise<Order[]> {
    const rows = await this.tx
      .connection()<OrderRow>('orders')
      .where('status', 'CREATED')
      .andWhere('reservation_expires_at', '<=', now)
      .whereNotIn('id', excluding)
      .orderBy('reservation_expires_at')
      .limit(limit)
      .forUpdate()
      .skipLocked();
    return this.withItems(rows);
  }

  async lockUnpaidOf(userId: number): Promise<UnpaidOrders> {
    // Outside a transaction the lock would be let go the moment it was taken.
    if (!this.tx.inTransaction()) throw new Error('lockUnpaidOf needs an open transaction');
    await this.tx.query('order_placing_lock', 'SELECT pg_advisory_xact_lock(?::int, ?::int)', [PLACING_LOCK_SPACE, placingKeyOf(userId)]);
    const [row] = await this.tx.query<{ n: number; earliest: Date | null }>(
      'order_unpaid_count',
      `SELECT count(*)::int AS n, min(reservation_expires_at) AS earliest FROM orders WHERE user_id = ? AND status IN ('CREATED', 'PENDING')`,
      [userId],
    );
    return { count: Number(row?.n ?? 0), earliestExpiry: row?.earliest ? new Date(row.earliest) : null };
  }

  /** One query for the lines of all the rows, one for their refunds. */
  private async withItems(rows: OrderRow[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    const items = await this.tx.connection()<ItemRow>('order_items').whereIn('order_id', ids);
    const byOrder = new Map<number, ItemRow[]>();
    for (const item of items) {
      const list = byOrder.get(Number(item.order_id)) ?? [];
      list.push(item);
      byOrder.set(Number(item.order_id), list);
    }
    const refunds = await refundsOfOrders(this.tx.connection(), ids.map(Number));
    return rows.map((row) => toOrder(row, byOrder.get(Number(row.id)) ?? [], refunds.get(Number(row.id)) ?? []));
  }
}

interface PaymentRow {
  id: Num;
  order_id: Num;
  user_id: Num;
  amount: Num;
  status: PaymentStatus;
  failure_reason: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  refunded_amount: Num;
  recovery_state: RecoveryState | null;
  recovery_attempts: number;
  recovery_next_attempt_at: Date | null;
  recovery_last_attempt_at: Date | null;
}

const dateOrNull = (d: Date | null): Date | null => (d === null ? null : new Date(d));

const toPayment = (r: PaymentRow): Payment =>
  Payment.fromSnapshot({
    id: Number(r.id),
    orderId: Number(r.order_id),
    userId: Number(r.user_id),
    amount: Number(r.amount),
    status: r.status,
    failureReason: r.failure_reason,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    completedAt: dateOrNull(r.completed_at),
    refundedAmount: Number(r.refunded_amount),
    recovery: {
      state: r.recovery_state,
      attempts: Number(r.recovery_attempts),
      nextAttemptAt: dateOrNull(r.recovery_next_attempt_at),
      lastAttemptAt: dateOrNull(r.recovery_last_attempt_at),
    },
  });

/** Compare-and-set of the bookkeeping: a second writer who saw the same attempt count changes nothing. */
const SAVE_RECOVERY_SQL = `UPDATE payments
  SET recovery_state = ?, recovery_attempts = ?, recovery_next_attempt_at = ?, recovery_last_attempt_at = ?
  WHERE id = ? AND status = 'GATEWAY_REQUESTED' AND recovery_state = ? AND recovery_attempts = ?
  RETURNING id`;

/** Served by payments_recovery_due: only AUTOMATIC rows, in due order; the age is a filter on those. */
const DUE_FOR_RECOVERY_SQL = `SELECT * FROM payments
  WHERE recovery_state = 'AUTOMATIC' AND recovery_next_attempt_at <= ? AND updated_at <= ?
  ORDER BY recovery_next_attempt_at, id
  LIMIT ?`;

export class PostgresPaymentRepository implements PaymentRepository {
  private readonly ids: IdBlocks;

  constructor(private readonly tx: KnexTransactionManager) {
    this.ids = new IdBlocks(tx);
  }

  /**
   * Numbered ahead (IdBlocks) and sent without waiting (a pipelined write): the debit names the
   * payment, and nothing else needs an answer. A second live payment of the order fails the
   * transaction with INVALID_STATE.
   */
  async add(payment: NewPayment): Promise<Payment> {
    const [id] = await this.ids.take('payments', 1);
    if (id === undefined) throw new Error('no payment id was drawn');
    await this.tx.write(
      'payment_add',
      `INSERT INTO payments (id, order_id, user_id, amount, status, failure_reason, created_at, updated_at, completed_at,
                             refunded_amount, recovery_state, recovery_attempts, recovery_next_attempt_at, recovery_last_attempt_at)
       OVERRIDING SYSTEM VALUE
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        payment.orderId,
        payment.userId,
        payment.amount,
        payment.status,
        payment.failureReason,
        payment.createdAt,
        payment.updatedAt,
        payment.completedAt,
        payment.refundedAmount,
        payment.recovery.state,
        payment.recovery.attempts,
        payment.recovery.nextAttemptAt,
        payment.recovery.lastAttemptAt,
      ],
      (error: unknown) =>
        isUniqueViolation(error, 'payments_one_live_per_order') ? new InvalidState(`Order ${payment.orderId} already has a payment in progress or completed`) : error,
    );
    return Payment.fromSnapshot({ ...payment, id });
  }

  async get(id: number): Promise<Payment | null> {
    const [row] = await this.tx.query<PaymentRow>('payment_get', 'SELECT * FROM payments WHERE id = ?', [id]);
    return row ? toPayment(row) : null;
  }

  async save(payment: Payment): Promise<void> {
    const p = payment.toSnapshot();
    await this.tx.query(
      'payment_save',
      'UPDATE payments SET status = ?, failure_reason = ?, updated_at = ?, completed_at = ?, recovery_state = ?, recovery_next_attempt_at = ? WHERE id = ?',
      [p.status, p.failureReason, p.updatedAt, p.completedAt, p.recovery.state, p.recovery.nextAttemptAt, p.id],
    );
  }

  async saveRefund(payment: Payment, amount: number): Promise<void> {
    const p = payment.toSnapshot();
    const [row] = await this.tx.query(
      'payment_save_refund',
      `UPDATE payments SET status = ?, refunded_amount = refunded_amount + ?, updated_at = ?
       WHERE id = ? AND status IN ('COMPLETED', 'PARTIALLY_REFUNDED') AND refunded_amount + ? <= amount RETURNING id`,
      [p.status, amount, p.updatedAt, p.id, amount],
    );
    if (!row) throw new InvalidState(`Payment ${p.id} has less than ${amount} won left to refund, or is not paid`);
  }

  async dueForRecovery(now: Date, waitingSince: Date, limit: number): Promise<Payment[]> {
    const rows = await this.tx.query<PaymentRow>('payment_due_for_recovery', DUE_FOR_RECOVERY_SQL, [now, waitingSince, limit]);
    return rows.map(toPayment);
  }

  async saveRecovery(payment: Payment, seen: { state: RecoveryState; attempts: number }): Promise<boolean> {
    const p = payment.toSnapshot();
    const rows = await this.tx.query('payment_save_recovery', SAVE_RECOVERY_SQL, [
      p.recovery.state,
      p.recovery.attempts,
      p.recovery.nextAttemptAt,
      p.recovery.lastAttemptAt,
      p.id,
      seen.state,
      seen.attempts,
    ]);
    return rows.length === 1;
  }

  async listInRecovery(query: PageRequest & { state?: RecoveryState }): Promise<Page<Payment>> {
    const db = this.tx.connection();
    const filtered = () => {
      const q = db<PaymentRow>('payments');
      return query.state ? q.where('recovery_state', query.state) : q.whereNotNull('recovery_state');
    };
    const [counted] = await filtered().count<{ n: Num }[]>({ n: '*' });
    // Newest first by time, not by id: payments are numbered ahead, a block per instance (IdBlocks).
    // The payments in recovery are few (those waiting for a gateway), so sorting them costs nothing.
    const rows = (await filtered().orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).offset(offsetOf(query)).limit(query.size)) as PaymentRow[];
    return pageOf(rows.map(toPayment), query, Number(counted?.n ?? 0));
  }

  async latestFor(orderId: number): Promise<Payment | null> {
    const [payment] = (await this.latestForEach([orderId])).values();
    return payment ?? null;
  }

  async latestForEach(orderIds: number[]): Promise<Map<number, Payment>> {
    if (orderIds.length === 0) return new Map();
    // The live payment first (FAILED sorts last), then the newest attempt: by time, since ids are
    // drawn ahead a block per instance (IdBlocks) and need not follow the order they were written in.
    const rows = (await this.tx
      .connection()
      .select(this.tx.db.raw('DISTINCT ON (order_id) *'))
      .from('payments')
      .whereIn('order_id', orderIds)
      .orderByRaw(`order_id, (status = 'FAILED'), created_at DESC, id DESC`)
      .options(prepared(`payment_latest_${orderIds.length}`))) as PaymentRow[];
    return new Map(rows.map((r) => [Number(r.order_id), toPayment(r)]));
  }
}

interface RefundLineRow {
  order_item_id: Num;
  quantity: Num;
  amount: Num;
  discount_amount: Num;
}

interface RefundRow {
  id: Num;
  order_id: Num;
  payment_id: Num;
  amount: Num;
  status: RefundStatus;
  reason: string | null;
  created_at: Date | string;
  items: RefundLineRow[] | string;
}

const toRefund = (r: RefundRow): RefundSnapshot => ({
  id: Number(r.id),
  orderId: Number(r.order_id),
  paymentId: Number(r.payment_id),
  amount: Number(r.amount),
  status: r.status,
  reason: r.reason,
  createdAt: new Date(r.created_at),
  items: parsed(r.items).map((l) => ({
    orderItemId: Number(l.order_item_id),
    quantity: Number(l.quantity),
    amount: Number(l.amount),
    discountAmount: Number(l.discount_amount),
  })),
});

const REFUND_WITH_LINES = `SELECT r.*, ${REFUND_LINES} AS items FROM refunds r`;

/** The refunds of these orders, oldest first, by order. */
async function refundsOfOrders(db: Knex, orderIds: number[]): Promise<Map<number, RefundSnapshot[]>> {
  const byOrder = new Map<number, RefundSnapshot[]>();
  if (orderIds.length === 0) return byOrder;
  const rows = (await db
    .select('r.*', db.raw(`${REFUND_LINES} AS items`))
    .from({ r: 'refunds' })
    .whereIn('r.order_id', orderIds)
    .orderBy('r.id')) as RefundRow[];
  for (const row of rows) {
    const refund = toRefund(row);
    byOrder.set(refund.orderId, [...(byOrder.get(refund.orderId) ?? []), refund]);
  }
  return byOrder;
}

export class PostgresRefundRepository implements RefundRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  /** The refund and its lines in one statement (their books are checked at commit). */
  async add(refund: NewRefund): Promise<RefundSnapshot> {
    const lines = refund.items.map((l) => ({ order_item_id: l.orderItemId, quantity: l.quantity, amount: l.amount, discount_amount: l.discountAmount }));
    const [row] = await this.tx.query<{ id: Num }>(
      'refund_add',
      `WITH made AS (
         INSERT INTO refunds (order_id, payment_id, amount, status, reason, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id
       ), lines AS (
         INSERT INTO refund_items (refund_id, order_item_id, quantity, amount, discount_amount)
         SELECT made.id, l.order_item_id, l.quantity, l.amount, l.discount_amount
         FROM made, jsonb_to_recordset(?::jsonb) AS l(order_item_id bigint, quantity integer, amount bigint, discount_amount bigint)
         RETURNING refund_id
       )
       SELECT made.id, (SELECT count(*) FROM lines) AS lines FROM made`,
      [refund.orderId, refund.paymentId, refund.amount, refund.status, refund.reason, refund.createdAt, JSON.stringify(lines)],
    );
    if (!row) throw new Error('the refund was not written');
    return { ...refund, id: Number(row.id), items: refund.items.map((l) => ({ ...l })) };
  }

  async get(id: number): Promise<RefundSnapshot | null> {
    const [row] = await this.tx.query<RefundRow>('refund_get', `${REFUND_WITH_LINES} WHERE r.id = ?`, [id]);
    return row ? toRefund(row) : null;
  }

  async forOrder(orderId: number): Promise<RefundSnapshot[]> {
    return (await refundsOfOrders(this.tx.connection(), [orderId])).get(orderId) ?? [];
  }
}

/** Events go into outbox_events inside the caller's transaction; the relay delivers them later. */
export class PostgresOutbox implements Outbox {
  constructor(private readonly tx: KnexTransactionManager) {}

  /** Pipelined (KnexTransactionManager.write): nothing in the transaction reads the rows back. */
  async add(...events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(() => '(?, ?, ?, ?, ?, ?)').join(', ');
    await this.tx.write(
      `outbox_add_${events.length}`,
      `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ${rows}`,
      events.flatMap((e) => [e.type, e.aggregateType, e.aggregateId, JSON.stringify(e.payload), e.occurredAt, e.occurredAt]),
    );
  }
}
