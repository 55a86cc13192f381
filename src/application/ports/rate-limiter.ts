import { RateLimited } from '../../domain/shared/errors.js';

/**
 * Admits at most a number of actions per subject per window (orders per second, coupon issues
 * per minute), across instances where the store allows; fails open when its store is down.
 */
export interface RateLimiter {
  /** Takes one; returns 0 when allowed, else the seconds until the next one would be. */
  take(action: string, subject: string): Promise<number>;
}

/** Takes one of `action` for `subject`; past the limit, RateLimited (429) saying `refusal`, with the seconds to wait. */
export async function assertWithinLimit(limiter: RateLimiter, action: string, subject: string, refusal: string): Promise<void> {
  const retryAfter = await limiter.take(action, subject);
  if (retryAfter > 0) throw new RateLimited(retryAfter, refusal);
}
