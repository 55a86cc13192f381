/**
 * Admits at most a number of actions per subject per window (orders per second, coupon issues
 * per minute), across instances where the store allows; fails open when its store is down.
 */
export interface RateLimiter {
  /** Takes one; returns 0 when allowed, else the seconds until the next one would be. */
  take(action: string, subject: string): Promise<number>;
}
