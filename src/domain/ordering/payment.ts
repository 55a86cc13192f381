import { InvalidState } from '../shared/errors.js';

/** How far a payment got; COMPLETED and FAILED are final. */
export const PAYMENT_STATUSES = ['INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED', 'COMPLETED', 'FAILED'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export interface PaymentSnapshot {
  id: number;
  orderId: number;
  userId: number;
  amount: number;
  status: PaymentStatus;
  failureReason: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPayment = Omit<PaymentSnapshot, 'id'>;

const ORDER_OF = Object.fromEntries(PAYMENT_STATUSES.map((s, i) => [s, i])) as Record<PaymentStatus, number>;

/**
 * One attempt to pay an order. It is stored with the furthest step it reached, so an operator can
 * see where a failed or pending payment stopped.
 */
export class Payment {
  private constructor(private state: PaymentSnapshot) {}

  static start(orderId: number, userId: number, amount: number, at: Date): NewPayment {
    return { orderId, userId, amount, status: 'INITIATED', failureReason: null, createdAt: at, updatedAt: at };
  }

  /** An attempt refused before any money moved (it got as far as the wallet's lock). */
  static refused(orderId: number, userId: number, amount: number, reason: string, at: Date): NewPayment {
    return { orderId, userId, amount, status: 'FAILED', failureReason: `${reason} (at LOCK_ACQUIRED)`, createdAt: at, updatedAt: at };
  }

  static fromSnapshot(snapshot: PaymentSnapshot): Payment {
    return new Payment({ ...snapshot });
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

  /** When it completed (its last step): the day its sale counts on. Null until COMPLETED. */
  get completedAt(): Date | null {
    return this.state.status === 'COMPLETED' ? new Date(this.state.updatedAt) : null;
  }

  isSettled(): boolean {
    return this.state.status === 'COMPLETED' || this.state.status === 'FAILED';
  }

  /** Records the next step reached; steps only go forward. */
  reach(status: Exclude<PaymentStatus, 'FAILED'>, at: Date): void {
    if (this.isSettled()) throw new InvalidState(`Payment ${this.id} is already ${this.state.status}`);
    if (ORDER_OF[status] < ORDER_OF[this.state.status]) {
      throw new InvalidState(`Payment ${this.id} is at ${this.state.status}: it cannot go back to ${status}`);
    }
    this.state = { ...this.state, status, updatedAt: at };
  }

  /** Keeps the step it stopped at in the reason, for operators. */
  fail(reason: string, at: Date): void {
    if (this.isSettled()) throw new InvalidState(`Payment ${this.id} is already ${this.state.status}`);
    this.state = { ...this.state, status: 'FAILED', failureReason: `${reason} (at ${this.state.status})`, updatedAt: at };
  }

  toSnapshot(): PaymentSnapshot {
    return { ...this.state };
  }
}
