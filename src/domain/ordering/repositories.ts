import type { Page, PageRequest } from '../shared/page.js';
import type { NewOrder, Order, OrderStatus, UnpaidOrders } from './order.js';
import type { NewPayment, Payment } from './payment.js';
import type { NewRefund, RefundSnapshot } from './refund.js';

export interface OrderQuery extends PageRequest {
  /** Absent: every user's orders (admins). */
  userId?: number;
  status?: OrderStatus;
}

export interface OrderRepository {
  add(order: NewOrder): Promise<Order>;
  get(id: number): Promise<Order | null>;
  /** Loads and locks the order: every transaction that changes an order locks it first. */
  getForUpdate(id: number): Promise<Order | null>;
  /** Writes the status (and reason); refuses (ConcurrentModification) a stale version. */
  save(order: Order): Promise<Order>;
  /** Newest first. */
  list(query: OrderQuery): Promise<Page<Order>>;
  /**
   * Unpaid orders whose reservation ran out, locked; rows another transaction holds are skipped
   * (several sweepers share the work, none waits).
   */
  lockExpired(now: Date, limit: number, excluding?: number[]): Promise<Order[]>;
  /** Ids of orders PENDING since before `before`, oldest first. */
  pendingSince(before: Date, limit: number): Promise<number[]>;
  /**
   * Inside a transaction: takes the user's placing lock, held until the transaction ends, then
   * counts their live unpaid orders (CREATED or PENDING). Placements of one user serialise here,
   * on every instance, so the count and the order placed after it cannot be raced. Only placing
   * takes this lock, and it takes it before any row lock, so it adds no edge to the lock order
   * (order, stock, sales, coupon, wallet) and cannot deadlock with it.
   */
  lockUnpaidOf(userId: number): Promise<UnpaidOrders>;
}

export interface PaymentRepository {
  add(payment: NewPayment): Promise<Payment>;
  get(id: number): Promise<Payment | null>;
  save(payment: Payment): Promise<void>;
  /**
   * The order's payment: its live one (not FAILED: in progress or completed; there is at most
   * one) when it has one, else its most recent failed attempt.
   */
  latestFor(orderId: number): Promise<Payment | null>;
  latestForEach(orderIds: number[]): Promise<Map<number, Payment>>;
}

export interface RefundRepository {
  /** Refuses a second refund of one order (InvalidState). */
  add(refund: NewRefund): Promise<RefundSnapshot>;
  forOrder(orderId: number): Promise<RefundSnapshot | null>;
}
