import { InvalidState } from '../shared/errors.js';

/**
 * How far a payment got; FAILED is final. A COMPLETED payment may then be refunded, in parts
 * (PARTIALLY_REFUNDED) or to the last won (REFUNDED, final).
 */
export const PAYMENT_STATUSES = [
  'INITIATED',
  'VALIDATING',
  'LOCK_ACQUIRED',
  'DEBITED',
  'GATEWAY_REQUESTED',
  'COMPLETED',
  'FAILED',
  'PARTIALLY_REFUNDED',
  'REFUNDED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** The steps of paying, which reach() moves through; the rest are reached by failing or refunding. */
export type PaymentStep = Exclude<PaymentStatus, 'FAILED' | 'PARTIALLY_REFUNDED' | 'REFUNDED'>;

/** The money went through: the payment completed, and may have been refunded since. */
const PAID: readonly PaymentStatus[] = ['COMPLETED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/**
 * Who settles a payment that waits for the gateway: the recovery job (AUTOMATIC), or, after too
 * many inconclusive attempts, an operator (OPERATOR_REQUIRED).
 */
export const RECOVERY_STATES = ['AUTOMATIC', 'OPERATOR_REQUIRED'] as const;
export type RecoveryState = (typeof RECOVERY_STATES)[number];

/** The recovery bookkeeping of a payment (DOMAIN.md "Payment", Recovery). */
export interface PaymentRecovery {
  /** Set exactly while the payment waits for the gateway (GATEWAY_REQUESTED); null before and after. */
  state: RecoveryState | null;
  /**
   * Inconclusive recovery attempts (the gateway could not tell, failed, or the settlement failed)
   * since the payment began to wait, or since an operator's retry. Kept once it is settled.
   */
  attempts: number;
  /** When the recovery job may ask again; set exactly while AUTOMATIC. */
  nextAttemptAt: Date | null;
  /** When the last inconclusive attempt was made; null before the first. Kept once it is settled. */
  lastAttemptAt: Date | null;
}

/** How the recovery job spaces its attempts and when it gives up on one. */
export interface PaymentRecoveryPolicy {
  /** Wait after the first inconclusive attempt, doubled after each further one (at most an hour); 0: ask on every run. */
  backoffSeconds: number;
  /** Inconclusive attempts before the payment is handed to an operator; 0: never, keep retrying. */
  maxAttempts: number;
}

export const DEFAULT_RECOVERY_POLICY: PaymentRecoveryPolicy = { backoffSeconds: 30, maxAttempts: 10 };
/** The longest wait between two attempts, however many came before. */
export const MAX_RECOVERY_BACKOFF_SECONDS = 3600;

/** The wait after the `attempts`-th inconclusive attempt: base × 2^(attempts − 1), at most an hour. */
export function recoveryBackoffMs(attempts: number, policy: PaymentRecoveryPolicy): number {
  if (policy.backoffSeconds <= 0 || attempts < 1) return 0;
  // Past 2^12 any base of a second or more is over the cap already: no need to grow the power.
  const seconds = Math.min(policy.backoffSeconds * 2 ** Math.min(attempts - 1, 12), MAX_RECOVERY_BACKOFF_SECONDS);
  return seconds * 1000;
}

const NOT_IN_RECOVERY: PaymentRecovery = { state: null, attempts: 0, nextAttemptAt: null, lastAttemptAt: null };

export interface PaymentSnapshot {
  id: number;
  orderId: number;
  userId: number;
  amount: number;
  status: PaymentStatus;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** When it completed (the day its sale counts on); null until then. Refunds do not move it. */
  completedAt: Date | null;
  /** What refunds gave back of `amount` so far (KRW). */
  refundedAmount: number;
  recovery: PaymentRecovery;
}

export type NewPayment = Omit<PaymentSnapshot, 'id'>;

const ORDER_OF = Object.fromEntries(PAYMENT_STATUSES.map((s, i) => [s, i])) as Record<PaymentStatus, number>;

const copyRecovery = (r: PaymentRecovery): PaymentRecovery => ({
  state: r.state,
  attempts: r.attempts,
  nextAttemptAt: r.nextAttemptAt ? new Date(r.nextAttemptAt) : null,
  lastAttemptAt: r.lastAttemptAt ? new Date(r.lastAttemptAt) : null,
});

/**
 * One attempt to pay an order. It is stored with the furthest step it reached, so an operator can
 * see where a failed or pending payment stopped.
 */
export class Payment {
  private constructor(private state: PaymentSnapshot) {}

  static start(orderId: number, userId: number, amount: number, at: Date): NewPayment {
    return {
      orderId,
      userId,
      amount,
      status: 'INITIATED',
      failureReason: null,
      createdAt: at,
      updatedAt: at,
      completedAt: null,
      refundedAmount: 0,
      recovery: { ...NOT_IN_RECOVERY },
    };
  }

  /** An attempt refused before any money moved (it got as far as the wallet's lock). */
  static refused(orderId: number, userId: number, amount: number, reason: string, at: Date): NewPayment {
    return {
      orderId,
      userId,
      amount,
      status: 'FAILED',
      failureReason: `${reason} (at LOCK_ACQUIRED)`,
      createdAt: at,
      updatedAt: at,
      completedAt: null,
      refundedAmount: 0,
      recovery: { ...NOT_IN_RECOVERY },
    };
  }

  /**
   * A payment that passes `steps` inside the transaction that starts it. Nobody sees it before that
   * transaction commits, and a failure on the way rolls it back whole, so it is written once, at
   * its last step, with every step checked on the way (the order in which reach() allows them).
   */
  static startedThrough(steps: readonly PaymentStep[], orderId: number, userId: number, amount: number, at: Date): NewPayment {
    const draft = new Payment({ ...Payment.start(orderId, userId, amount, at), id: 0 });
    for (const step of steps) draft.reach(step, at);
    const { id: _notYet, ...payment } = draft.toSnapshot();
    return payment;
  }

  static fromSnapshot(snapshot: PaymentSnapshot): Payment {
    return new Payment(copyOf(snapshot));
  }

  get id(): number {
    return this.state.id;
  }
  get orderId(): number {
    return this.state.orderId;
  }
  get userId(): number {
    return this.state.userId;
  }
  get amount(): number {
    return this.state.amount;
  }
  get status(): PaymentStatus {
    return this.state.status;
  }
  get recovery(): PaymentRecovery {
    return copyRecovery(this.state.recovery);
  }
  /** Since when it waits for the gateway (the step's time: bookkeeping does not move it); null when it does not. */
  get waitingSince(): Date | null {
    return this.state.status === 'GATEWAY_REQUESTED' ? new Date(this.state.updatedAt) : null;
  }

  /** When it completed: the day its sale counts on. Null until COMPLETED; kept when it is refunded. */
  get completedAt(): Date | null {
    return this.state.completedAt ? new Date(this.state.completedAt) : null;
  }

  get refundedAmount(): number {
    return this.state.refundedAmount;
  }

  /** Paid: COMPLETED, or refunded since (in part or whole). */
  isPaid(): boolean {
    return PAID.includes(this.state.status);
  }

  /** Settled either way: paid (refunded since or not), or FAILED. */
  isSettled(): boolean {
    return this.isPaid() || this.state.status === 'FAILED';
  }

  /**
   * A refund gave `amount` back: PARTIALLY_REFUNDED, or REFUNDED when it was the order's last
   * (`whole`). Refuses an unpaid payment, a REFUNDED one, and more than is left of it.
   */
  recordRefund(amount: number, whole: boolean, at: Date): void {
    if (this.state.status !== 'COMPLETED' && this.state.status !== 'PARTIALLY_REFUNDED') {
      throw new InvalidState(`Payment ${this.id} is ${this.state.status}: only a completed payment can be refunded`);
    }
    if (!Number.isSafeInteger(amount) || amount < 0 || this.state.refundedAmount + amount > this.state.amount) {
      throw new InvalidState(`Payment ${this.id}: ${this.state.amount - this.state.refundedAmount} won left to refund, not ${amount}`);
    }
    const refundedAmount = this.state.refundedAmount + amount;
    if (whole && refundedAmount !== this.state.amount) {
      throw new InvalidState(`Payment ${this.id}: the last refund leaves ${this.state.amount - refundedAmount} won of ${this.state.amount} unrefunded`);
    }
    this.state = { ...this.state, status: whole ? 'REFUNDED' : 'PARTIALLY_REFUNDED', refundedAmount, updatedAt: at };
  }

  /** Whether the recovery job should ask the gateway about it at `now`. */
  isDueForRecovery(now: Date): boolean {
    const { state, nextAttemptAt } = this.state.recovery;
    return state === 'AUTOMATIC' && nextAttemptAt !== null && nextAttemptAt.getTime() <= now.getTime();
  }

  /**
   * Records the next step reached; steps only go forward. Waiting for the gateway puts the payment
   * in automatic recovery, due at once (the job still waits PENDING_RECOVERY_AFTER_SECONDS);
   * completing takes it out.
   */
  reach(status: PaymentStep, at: Date): void {
    if (this.isSettled()) throw new InvalidState(`Payment ${this.id} is already ${this.state.status}`);
    if (ORDER_OF[status] < ORDER_OF[this.state.status]) {
      throw new InvalidState(`Payment ${this.id} is at ${this.state.status}: it cannot go back to ${status}`);
    }
    let recovery = this.state.recovery;
    let completedAt = this.state.completedAt;
    if (status === 'GATEWAY_REQUESTED' && this.state.status !== 'GATEWAY_REQUESTED') {
      recovery = { state: 'AUTOMATIC', attempts: 0, nextAttemptAt: at, lastAttemptAt: null };
    } else if (status === 'COMPLETED') {
      recovery = { ...recovery, state: null, nextAttemptAt: null };
      completedAt = at;
    }
    this.state = { ...this.state, status, updatedAt: at, completedAt, recovery };
  }

  /** Keeps the step it stopped at in the reason, for operators. */
  fail(reason: string, at: Date): void {
    if (this.isSettled()) throw new InvalidState(`Payment ${this.id} is already ${this.state.status}`);
    this.state = {
      ...this.state,
      status: 'FAILED',
      failureReason: `${reason} (at ${this.state.status})`,
      updatedAt: at,
      recovery: { ...this.state.recovery, state: null, nextAttemptAt: null },
    };
  }

  /**
   * The recovery job asked at `at` and learnt nothing (the gateway could not tell, or failed, or
   * the settlement failed): one more attempt, and the next one after the backoff, or, at the
   * policy's limit, the payment is handed to an operator (the order stays PENDING, the money
   * debited: nothing is given back until the gateway's answer is known). Answers whether it was
   * handed over now.
   */
  recordInconclusiveRecovery(at: Date, policy: PaymentRecoveryPolicy): boolean {
    if (this.state.recovery.state !== 'AUTOMATIC') {
      throw new InvalidState(`Payment ${this.id} is not in automatic recovery (${this.state.recovery.state ?? this.state.status})`);
    }
    const attempts = this.state.recovery.attempts + 1;
    const handOver = policy.maxAttempts > 0 && attempts >= policy.maxAttempts;
    this.state = {
      ...this.state,
      recovery: handOver
        ? { state: 'OPERATOR_REQUIRED', attempts, nextAttemptAt: null, lastAttemptAt: at }
        : { state: 'AUTOMATIC', attempts, nextAttemptAt: new Date(at.getTime() + recoveryBackoffMs(attempts, policy)), lastAttemptAt: at },
    };
    return handOver;
  }

  /**
   * An operator puts a payment that waits for the gateway back into automatic recovery: attempts
   * from 0, due at `at`. Refused (INVALID_STATE) once the payment is settled.
   */
  resumeRecovery(at: Date): void {
    if (this.state.recovery.state === null) {
      throw new InvalidState(`Payment ${this.id} is ${this.state.status}: it is not waiting for the gateway, so there is nothing to recover`);
    }
    this.state = { ...this.state, recovery: { ...this.state.recovery, state: 'AUTOMATIC', attempts: 0, nextAttemptAt: at } };
  }

  toSnapshot(): PaymentSnapshot {
    return copyOf(this.state);
  }
}

function copyOf(s: PaymentSnapshot): PaymentSnapshot {
  return { ...s, completedAt: s.completedAt ? new Date(s.completedAt) : null, recovery: copyRecovery(s.recovery) };
}
