/** What a gate needs to know of a limited coupon to hand out its copies. */
export interface IssueTerms {
  couponId: number;
  totalQuantity: number;
  perUserLimit: number;
  /** The gate may forget the coupon after this. */
  validUntil: Date;
}

export type GateAnswer = 'TAKEN' | 'EXHAUSTED' | 'ALREADY_ISSUED';

/**
 * The fast front of a first-come-first-served issue: answers the crowd of losers without
 * touching the database. A TAKEN answer is a claim, not the issue: the database's guarded
 * counter still decides, and the caller tells the gate when it did not go through. A gate that
 * cannot answer (its store is down) says TAKEN and lets the database decide.
 */
export interface CouponIssueGate {
  /** A limited coupon was just created: the gate may learn it now rather than on the first take. */
  prepare(terms: IssueTerms): Promise<void>;
  take(terms: IssueTerms, userId: number): Promise<GateAnswer>;
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
