/** Keys are scoped to the user who sent them. */
export interface IdempotencyScope {
  userId: number;
  key: string;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotencyClaim =
  | { kind: 'claimed' }
  | { kind: 'replay'; response: StoredResponse }
  | { kind: 'in-progress' }
  | { kind: 'mismatch' };

export interface IdempotencyStore {
  /**
   * Claims a key for a request with the given fingerprint, committed on its own so concurrent
   * duplicates see it. A key whose record expired, or whose first request died without
   * finishing (lease over), may be claimed again.
   */
  claim(scope: IdempotencyScope, fingerprint: string, now: Date): Promise<IdempotencyClaim>;
  /** Records the answer; must run inside the transaction of the change it guards. */
  complete(scope: IdempotencyScope, response: StoredResponse, now: Date): Promise<void>;
  /** Gives a claimed key back after the request failed, so a retry runs again. */
  release(scope: IdempotencyScope): Promise<void>;
  /** Removes expired records; returns how many. */
  purgeExpired(now: Date): Promise<number>;
}

export interface IdempotencyTimings {
  /** How long a finished key is remembered (24 hours by default). */
  retentionMs: number;
  /** How long an unfinished claim holds before a retry may take it over. */
  leaseMs: number;
}
