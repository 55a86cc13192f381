import type { Knex } from 'knex';
import { CouponNotApplicable } from '../../domain/coupon/errors.js';
import { type LinesMoved, type LineStatus, type NewOrder, Order, type OrderLine, type OrderStatus, type UnpaidOrders } from '../../domain/ordering/order.js';
import { type NewPayment, Payment, type PaymentStatus, type RecoveryState } from '../../domain/ordering/payment.js';
import type { NewRefund, RefundSnapshot, RefundStatus } from '../../domain/ordering/refund.js';
import type { OrderQuery, OrderRepository, PaymentRepository, RefundRepository } from '../../domain/ordering/repositories.js';
import { ConcurrentModification, InvalidState } from '../../domain/shared/errors.js';
import { offsetOf, type Page, type PageRequest, pageOf } from '../../domain/shared/page.js';
import type { Outbox, OutboxEvent } from '../../application/ports/outbox.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';
import { isUniqueViolation } from './pg-errors.js';
import { prepared, runPrepared } from './prepared.js';

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
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface ItemRow {
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
}

const toLine = (r: ItemRow): OrderLine => ({
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
});

function toOrder(row: OrderRow, items: ItemRow[]): Order {
  return Order.fromSnapshot({
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
    version: row.version,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  });
}

type OrderWithItemsRow = OrderRow & { items: ItemRow[] | string };

/**
 * The advisory-lock key space of a user's placing lock (the two-int form of the key, first half):
 * no other lock of the service uses it. "OP", order placing.
 */
export const PLACING_LOCK_SPACE = 0x4f50;
/** The user's half of the key: ids past 2^31 share a key with another user, which only makes them queue together. */
const placingKeyOf = (userId: number) => userId % 2_147_483_648;

const ORDER_WITH_ITEMS = `SELECT orders.*,
  (SELECT coalesce(json_agg(i ORDER BY i.line_no), '[]'::json) FROM order_items i WHERE i.order_id = orders.id) AS items
  FROM orders`;

/** json_agg comes back parsed from node-postgres, as text from some drivers. */
function itemsOf(row: { items: ItemRow[] | string }): ItemRow[] {
  return typeof row.items === 'string' ? (JSON.parse(row.items) as ItemRow[]) : row.items;
}

export class PostgresOrderRepository implements OrderRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  /** The order and its lines in one statement. */
  async add(order: NewOrder): Promise<Order> {
    const lines = order.items.map((i, index) => ({
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
    }));
    const result = await this.tx.connection().raw(
      `WITH placed AS (
         INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, user_coupon_id,
                             reservation_expires_at, cancel_reason, version, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
       ), lines AS (
         INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, discount_amount, status, placed_at)
         SELECT placed.id, l.line_no, l.product_id, l.option_id, l.seller_id, l.product_name, l.option_name, l.unit_price, l.quantity, l.amount, l.discount_amount, l.status, placed.created_at
         FROM placed, jsonb_to_recordset(?::jsonb) AS l(line_no smallint, product_id bigint, option_id bigint, seller_id bigint,
              product_name text, option_name text, unit_price bigint, quantity integer, amount bigint, discount_amount bigint, status text)
         RETURNING *
       )
       SELECT placed.*, (SELECT coalesce(json_agg(lines ORDER BY lines.line_no), '[]'::json) FROM lines) AS items FROM placed`,
      [
        order.userId,
        order.status,
        order.totalAmount,
        order.discountAmount,
        order.finalAmount,
        order.userCouponId,
        order.reservationExpiresAt,
        order.cancelReason,
        order.version,
        order.createdAt,
        order.updatedAt,
        JSON.stringify(lines),
      ],
    ).options(prepared('order_add')).catch((error: unknown) => {
      if (isUniqueViolation(error, 'orders_one_live_per_user_coupon')) {
        throw new CouponNotApplicable(`User coupon ${order.userCouponId} is held by another order`);
      }
      throw error;
    });
    const [row] = (result as { rows: (OrderRow & { items: ItemRow[] | string })[] }).rows;
    if (!row) throw new Error('the order was not written');
    return toOrder(row, itemsOf(row));
  }

  async get(id: number): Promise<Order | null> {
    const [row] = await runPrepared<OrderWithItemsRow>(this.tx.connection(), 'order_get', `${ORDER_WITH_ITEMS} WHERE orders.id = ?`, [id]);
    return row ? toOrder(row, itemsOf(row)) : null;
  }

  /**
   * The order and its lines in one round trip; only the order row is locked. A statement that
   * waited for the lock sees the order row as it is now but its lines as they were when the
   * statement began, so once an order is paid (its lines can move from then on) they are read
   * again under the lock: a fulfilment step committed meanwhile is never missed. Unpaid orders
   * (paying, the sweeper: the hot paths) keep the single round trip.
   */
  async getForUpdate(id: number): Promise<Order | null> {
    const db = this.tx.connection();
    const [row] = await runPrepared<OrderWithItemsRow>(db, 'order_lock', `${ORDER_WITH_ITEMS} WHERE orders.id = ? FOR UPDATE OF orders`, [id]);
    if (!row) return null;
    if (row.status === 'CREATED' || row.status === 'PENDING') return toOrder(row, itemsOf(row));
    const items = await runPrepared<ItemRow>(db, 'order_lines_locked', 'SELECT * FROM order_items WHERE order_id = ? ORDER BY line_no', [id]);
    return toOrder(row, items);
  }

  async save(order: Order): Promise<Order> {
    const o = order.toSnapshot();
    const [row] = await runPrepared(
      this.tx.connection(),
      'order_save',
      'UPDATE orders SET status = ?, cancel_reason = ?, updated_at = ?, version = ? WHERE id = ? AND version = ? RETURNING id',
      [o.status, o.cancelReason, o.updatedAt, o.version + 1, o.id, o.version],
    );
    if (!row) throw new ConcurrentModification(`Order ${o.id} changed since it was loaded`);
    return Order.fromSnapshot({ ...o, version: o.version + 1 });
  }

  async saveFulfilment(order: Order, moved: LinesMoved): Promise<Order> {
    const rows = await runPrepared(
      this.tx.connection(),
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
    const db = this.tx.connection();
    // Outside a transaction the lock would be let go the moment it was taken.
    if (db === this.tx.db) throw new Error('lockUnpaidOf needs an open transaction');
    await runPrepared(db, 'order_placing_lock', 'SELECT pg_advisory_xact_lock(?::int, ?::int)', [PLACING_LOCK_SPACE, placingKeyOf(userId)]);
    const [row] = await runPrepared<{ n: number; earliest: Date | null }>(
      db,
      'order_unpaid_count',
      `SELECT count(*)::int AS n, min(reservation_expires_at) AS earliest FROM orders WHERE user_id = ? AND status IN ('CREATED', 'PENDING')`,
      [userId],
    );
    return { count: Number(row?.n ?? 0), earliestExpiry: row?.earliest ? new Date(row.earliest) : null };
  }

  /** One query for the lines of all the rows. */
  private async withItems(rows: OrderRow[]): Promise<Order[]> {
    if (rows.length === 0) return [];
    const items = await this.tx
      .connection()<ItemRow>('order_items')
      .whereIn(
        'order_id',
        rows.map((r) => r.id),
      );
    const byOrder = new Map<number, ItemRow[]>();
    for (const item of items) {
      const list = byOrder.get(Number(item.order_id)) ?? [];
      list.push(item);
      byOrder.set(Number(item.order_id), list);
    }
    return rows.map((row) => toOrder(row, byOrder.get(Number(row.id)) ?? []));
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
  constructor(private readonly tx: KnexTransactionManager) {}

  async add(payment: NewPayment): Promise<Payment> {
    try {
      const [row] = await runPrepared<PaymentRow>(
        this.tx.connection(),
        'payment_add',
        `INSERT INTO payments (order_id, user_id, amount, status, failure_reason, created_at, updated_at,
                               recovery_state, recovery_attempts, recovery_next_attempt_at, recovery_last_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        [
          payment.orderId,
          payment.userId,
          payment.amount,
          payment.status,
          payment.failureReason,
          payment.createdAt,
          payment.updatedAt,
          payment.recovery.state,
          payment.recovery.attempts,
          payment.recovery.nextAttemptAt,
          payment.recovery.lastAttemptAt,
        ],
      );
      return toPayment(row as PaymentRow);
    } catch (error) {
      if (isUniqueViolation(error, 'payments_one_live_per_order')) {
        throw new InvalidState(`Order ${payment.orderId} already has a payment in progress or completed`);
      }
      throw error;
    }
  }

  async get(id: number): Promise<Payment | null> {
    const [row] = await runPrepared<PaymentRow>(this.tx.connection(), 'payment_get', 'SELECT * FROM payments WHERE id = ?', [id]);
    return row ? toPayment(row) : null;
  }

  async save(payment: Payment): Promise<void> {
    const p = payment.toSnapshot();
    await runPrepared(
      this.tx.connection(),
      'payment_save',
      'UPDATE payments SET status = ?, failure_reason = ?, updated_at = ?, recovery_state = ?, recovery_next_attempt_at = ? WHERE id = ?',
      [p.status, p.failureReason, p.updatedAt, p.recovery.state, p.recovery.nextAttemptAt, p.id],
    );
  }

  async dueForRecovery(now: Date, waitingSince: Date, limit: number): Promise<Payment[]> {
    const rows = await runPrepared<PaymentRow>(this.tx.connection(), 'payment_due_for_recovery', DUE_FOR_RECOVERY_SQL, [now, waitingSince, limit]);
    return rows.map(toPayment);
  }

  async saveRecovery(payment: Payment, seen: { state: RecoveryState; attempts: number }): Promise<boolean> {
    const p = payment.toSnapshot();
    const rows = await runPrepared(this.tx.connection(), 'payment_save_recovery', SAVE_RECOVERY_SQL, [
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
    const rows = (await filtered().orderBy('id', 'desc').offset(offsetOf(query)).limit(query.size)) as PaymentRow[];
    return pageOf(rows.map(toPayment), query, Number(counted?.n ?? 0));
  }

  async latestFor(orderId: number): Promise<Payment | null> {
    const [payment] = (await this.latestForEach([orderId])).values();
    return payment ?? null;
  }

  async latestForEach(orderIds: number[]): Promise<Map<number, Payment>> {
    if (orderIds.length === 0) return new Map();
    // The live payment first (FAILED sorts last), then the newest attempt.
    const rows = (await this.tx
      .connection()
      .select(this.tx.db.raw('DISTINCT ON (order_id) *'))
      .from('payments')
      .whereIn('order_id', orderIds)
      .orderByRaw(`order_id, (status = 'FAILED'), id DESC`)
      .options(prepared(`payment_latest_${orderIds.length}`))) as PaymentRow[];
    return new Map(rows.map((r) => [Number(r.order_id), toPayment(r)]));
  }
}

interface RefundRow {
  id: Num;
  order_id: Num;
  payment_id: Num;
  amount: Num;
  status: RefundStatus;
  reason: string | null;
  created_at: Date;
}

const toRefund = (r: RefundRow): RefundSnapshot => ({
  id: Number(r.id),
  orderId: Number(r.order_id),
  paymentId: Number(r.payment_id),
  amount: Number(r.amount),
  status: r.status,
  reason: r.reason,
  createdAt: new Date(r.created_at),
});

export class PostgresRefundRepository implements RefundRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  async add(refund: NewRefund): Promise<RefundSnapshot> {
    try {
      const [row] = await this.tx
        .connection()<RefundRow>('refunds')
        .insert({
          order_id: refund.orderId,
          payment_id: refund.paymentId,
          amount: refund.amount,
          status: refund.status,
          reason: refund.reason,
          created_at: refund.createdAt,
        })
        .returning('*');
      return toRefund(row as RefundRow);
    } catch (error) {
      if (isUniqueViolation(error, 'refunds_once_per_order')) throw new InvalidState(`Order ${refund.orderId} was refunded already`);
      throw error;
    }
  }

  async forOrder(orderId: number): Promise<RefundSnapshot | null> {
    const row = await this.tx.connection()<RefundRow>('refunds').where({ order_id: orderId }).whereNot('status', 'FAILED').first();
    return row ? toRefund(row) : null;
  }
}

/** Events go into outbox_events inside the caller's transaction; the relay delivers them later. */
export class PostgresOutbox implements Outbox {
  constructor(private readonly tx: KnexTransactionManager) {}

  async add(...events: OutboxEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map(() => '(?, ?, ?, ?, ?, ?)').join(', ');
    await runPrepared(
      this.tx.connection(),
      `outbox_add_${events.length}`,
      `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ${rows}`,
      events.flatMap((e) => [e.type, e.aggregateType, e.aggregateId, JSON.stringify(e.payload), e.occurredAt, e.occurredAt]),
    );
  }
}
