import { assertWithinLimit, type RateLimiter } from './rate-limiter.js';

/** What a gate needs to know of a limited coupon to hand out its copies. */
export interface IssueTerms {
  couponId: number;
  totalQuantity: number;
  perUserLimit: number;
  /** The gate may forget the coupon after this. */
  validUntil: Date;
}

export type GateAnswer = 'TAKEN' | 'EXHAUSTED' | 'ALREADY_ISSUED';

/** One attempt of a subject's, counted against a rate limit as `RateLimiter.take(action, subject)` counts it. */
export interface Admission {
  action: string;
  subject: string;
  /** The RateLimited message past the limit. */
  refusal: string;
}

export interface TakeOptions {
  /**
   * Counted first, on the very counters the RateLimiter keeps (the two are one limit): over the
   * limit, take() rejects with RateLimited and takes nothing. A gate with a store of its own
   * (Redis) counts it in the same step as the take, one round trip for both.
   */
  admission?: Admission;
  /**
   * The coupon's row, read a moment ago, still shows copies left: should the gate answer
   * EXHAUSTED, that is a disagreement with the database, settled as disputed() settles it (in the
   * same step where the gate can).
   */
  copiesLeftInDatabase?: boolean;
}

/**
 * The fast front of a first-come-first-served issue: answers the crowd of losers without
 * touching the database. A TAKEN answer is a claim, not the issue: the database's guarded
 * counter still decides, and the caller tells the gate when it did not go through. A gate that
 * cannot answer (its store is down) says TAKEN and lets the database decide.
 */
export interface CouponIssueGate {
  /** A limited coupon was just created: the gate may learn it now rather than on the first take. */
  prepare(terms: IssueTerms): Promise<void>;
  take(terms: IssueTerms, userId: number, options?: TakeOptions): Promise<GateAnswer>;
  /** The issue failed after take() said TAKEN (e.g. the database write failed): undo the claim. */
  giveBack(couponId: number, userId: number): Promise<void>;
  /** The database disagreed with the gate (it said exhausted or already issued): start again from the database. */
  forget(couponId: number): Promise<void>;
  /**
   * The gate turned someone away (exhausted, already issued) while the database shows a copy
   * left for them. Claims still being written explain that for a moment; a gate whose claims were
   * lost (an instance died between the gate and the database) must not keep copies nobody holds,
   * so a disagreement that lasts makes it start again from the database.
   */
  disputed(couponId: number): Promise<void>;
}

/**
 * For a gate that keeps no store of its own to count an admission in: counted through the
 * RateLimiter first (throws RateLimited past the limit). A gate given an admission and no
 * limiter is a wiring mistake, refused loudly rather than letting everyone through.
 */
export async function admitThrough(limiter: RateLimiter | undefined, admission: Admission | undefined): Promise<void> {
  if (!admission) return;
  if (!limiter) throw new Error(`coupon issue gate: asked to count ${admission.action} without a rate limiter`);
  await assertWithinLimit(limiter, admission.action, admission.subject, admission.refusal);
}
