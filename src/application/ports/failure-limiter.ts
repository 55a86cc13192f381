/**
 * Counts consecutive failures of an action (a login to one account, the payments of one user)
 * and blocks the action for a while once there are too many. Implementations share the count
 * across instances where they can; when their store is down they fail open.
 */
export interface FailureLimiter {
  /** Seconds the action is still blocked for; 0 when it is allowed. */
  blockedFor(action: string, subject: string): Promise<number>;
  recordFailure(action: string, subject: string): Promise<void>;
  reset(action: string, subject: string): Promise<void>;
}

export interface FailureBlockPolicy {
  /** Consecutive failures that block the action; 0 switches blocking off. */
  threshold: number;
  /** How long a block lasts; 0 switches blocking off too. */
  blockSeconds: number;
}
