/** An answer as computed, and when (the service clock's epoch milliseconds). */
export interface StoredAnswer<T> {
  value: T;
  computedAt: number;
}

/** What the store holds for one key: the last answer, if any, and whether someone is recomputing it. */
export interface AnswerSlot<T> {
  answer: StoredAnswer<T> | null;
  aggregating: boolean;
}

/** The right to recompute one key for a short while; whoever holds it stores the new answer. */
export interface RecomputeClaim {
  readonly key: string;
  readonly token: string;
}

/**
 * Where computed answers wait to be served (the popular-products ranking): shared by every
 * instance (Redis), or in this process. Answers are kept well past their freshness, so a stale
 * one can be served while one caller recomputes. Saves work only: when the store is down, reads
 * find nothing, claims are granted, and writes are dropped (logged), so every caller computes.
 */
export interface PopularAnswerStore {
  read<T>(key: string): Promise<AnswerSlot<T>>;
  /** Null when someone else holds the key's claim; a claim not released runs out after `ttlMs`. */
  claim(key: string, ttlMs: number): Promise<RecomputeClaim | null>;
  /** Stores a new answer (kept for `keepSeconds`) and gives the claim back, if this caller held it. */
  store<T>(key: string, answer: StoredAnswer<T>, keepSeconds: number, claim: RecomputeClaim | null): Promise<void>;
  /** Gives a claim back without storing (the computation failed, or was not needed). */
  release(claim: RecomputeClaim): Promise<void>;
}
