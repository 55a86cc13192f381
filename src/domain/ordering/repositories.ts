import type { Page, PageRequest } from '../shared/page.js';
import type { LinesMoved, NewOrder, Order, OrderStatus, UnpaidOrders } from './order.js';
import type { NewPayment, Payment, RecoveryState } from './payment.js';
import type { NewRefund, RefundLine, RefundSnapshot } from './refund.js';

export interface OrderQuery extends PageRequest {
  /** The orders this user placed. Absent (and no `sellerId`): every user's orders (admins). */
  userId?: number;
  /** The orders with at least one line of this seller's. */
  sellerId?: number;
  status?: OrderStatus;
}

export interface OrderRepository {
  add(order: NewOrder): Promise<Order>;
  get(id: number): Promise<Order | null>;
  /**
   * Loads and locks the order: every transaction that changes an order locks it first. The lines
   * come as they are once the lock is held (a fulfilment step that committed while this waited
   * for the lock is seen).
   */
  getForUpdate(id: number): Promise<Order | null>;
  /**
   * Locks the order, then reads it (lines, refunded units, refunds) in a statement of its own
   * begun once the lock is held, so it sees every refund committed by whoever held the lock
   * before. A refund reads its order this way: one locking statement may read the lines as they
   * were before it waited.
   */
  getForRefund(id: number): Promise<Order | null>;
  /**
   * Counts a refund's units on the order's lines, each as one guarded write (never more than
   * the line's quantity in all), lines in ascending id; refuses (InvalidState), changing
   * nothing, when a line has fewer units left.
   */
  refundUnits(orderId: number, lines: readonly RefundLine[]): Promise<void>;
  /** Writes the status (and reason); refuses (ConcurrentModification) a stale version. */
  save(order: Order): Promise<Order>;
  /**
   * Writes a fulfilment step (Order.advanceFulfilment) of the order locked in this transaction:
   * the moved lines, each only if it still stands where the step found it (`moved.from`), and the
   * order's status as save does. Refuses (ConcurrentModification) when a line or the order moved
   * meanwhile, writing nothing that survives the transaction.
   */
  saveFulfilment(order: Order, moved: LinesMoved): Promise<Order>;
  /** Newest first, ties by id (descending). */
  list(query: OrderQuery): Promise<Page<Order>>;
  /**
   * Unpaid orders whose reservation ran out, locked; rows another transaction holds are skipped
   * (several sweepers share the work, none waits).
   */
  lockExpired(now: Date, limit: number, excluding?: number[]): Promise<Order[]>;
  /**
   * Inside a transaction: takes the user's placing lock, held until the transaction ends, then
   * counts their live unpaid orders (CREATED or PENDING). Placements of one user serialise here,
   * on every instance, so the count and the order placed after it cannot be raced. Only placing
   * takes this lock, and it takes it before any row lock, so it adds no edge to the lock order
   * (order, wallet, coupon, stock, sales) and cannot deadlock with it.
   */
  lockUnpaidOf(userId: number): Promise<UnpaidOrders>;
}

export interface PaymentRepository {
  add(payment: NewPayment): Promise<Payment>;
  get(id: number): Promise<Payment | null>;
  /**
   * Writes how far the payment got (status, failure reason, updated time) and whether it is in
   * recovery (its state and next attempt: reaching GATEWAY_REQUESTED starts it, settling ends
   * it). The attempt count and the last attempt are history only saveRecovery writes.
   */
  save(payment: Payment): Promise<void>;
  /**
   * The order's payment: its live one (not FAILED: in progress or completed; there is at most
   * one) when it has one, else its most recent failed attempt.
   */
  latestFor(orderId: number): Promise<Payment | null>;
  latestForEach(orderIds: number[]): Promise<Map<number, Payment>>;
  /**
   * The recovery job's work list: payments in AUTOMATIC recovery whose next attempt is due by
   * `now` and that wait for the gateway since `waitingSince` or before; earliest due first (then
   * by id), at most `limit`. Nothing is locked: the job takes a per-order lock and re-reads.
   */
  dueForRecovery(now: Date, waitingSince: Date, limit: number): Promise<Payment[]>;
  /**
   * Writes the payment's recovery bookkeeping (state, attempts, next and last attempt), only if
   * the stored payment still waits for the gateway in the state and with the attempts it was
   * read with (`seen`). False otherwise: another instance counted that attempt, an operator
   * retried it, or it was settled meanwhile; nothing is written then.
   */
  saveRecovery(payment: Payment, seen: { state: RecoveryState; attempts: number }): Promise<boolean>;
  /** Payments waiting for the gateway, optionally only those of one recovery state; newest first. */
  listInRecovery(query: PageRequest & { state?: RecoveryState }): Promise<Page<Payment>>;
  /**
   * Writes a refund of `amount` on the payment (its status, refunded amount and time), guarded:
   * only while the stored payment is paid and has that much left unrefunded; refuses
   * (InvalidState), changing nothing, otherwise.
   */
  saveRefund(payment: Payment, amount: number): Promise<void>;
}

export interface RefundRepository {
  /** The refund with its lines. An order may have several (partial refunds). */
  add(refund: NewRefund): Promise<RefundSnapshot>;
  get(id: number): Promise<RefundSnapshot | null>;
  /** The order's refunds, oldest first. */
  forOrder(orderId: number): Promise<RefundSnapshot[]>;
}
