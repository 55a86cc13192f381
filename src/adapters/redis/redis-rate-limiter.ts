import type { Redis } from 'ioredis';
import type { Logger } from '../../application/ports/logger.js';
import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import type { Clock } from '../../domain/shared/clock.js';
import { assertRateLimits, type RateLimits, secondsUntil, windowAt, ruleOf } from '../memory/rate-limiter.js';
import { RedisScript } from './redis-script.js';

/**
 * Counts one take in the window's key and returns the count; the first take of a window sets the
 * key to expire when the window is over. KEYS: the window's counter. ARGV: milliseconds to keep it.
 */
const TAKE = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
if count == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
return count
`);

/**
 * A counter outlives its window by this much, so an instance whose clock runs a little behind
 * still finds the window's count instead of starting it again at 1.
 */
const CLOCK_SKEW_MARGIN_MS = 1_000;

/**
 * Fixed windows shared by every instance through Redis. The window comes from the Clock (wall
 * time, so instances agree on it) and is part of the key: `rate:<action>:<subject>:<window>`.
 * Redis only saves work here: when it is down every take is allowed (fails open) and logged.
 */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    assertRateLimits(limits);
  }

  async take(action: string, subject: string): Promise<number> {
    const window = this.windowOf(action, subject);
    if (!window) return 0;
    let count: number;
    try {
      count = Number(await TAKE.run(this.redis, [window.key], [window.keepMs]));
    } catch (error) {
      this.logger.warn('rate limiter: Redis unavailable, letting the action through', {
        action,
        error: error instanceof Error ? error.message : String(error),
      });
      return 0;
    }
    return count <= window.limit ? 0 : window.retryAfterSeconds;
  }

  /**
   * Where take() counts `action` for `subject` now, for a script that counts it in the same step
   * as its own work (the coupon issue gate: one round trip for both): INCR `key`, PEXPIRE it by
   * `keepMs` on the first take of the window, refused past `limit`. Null: the action is not limited.
   */
  windowOf(action: string, subject: string): RateWindow | null {
    const rule = ruleOf(this.limits, action);
    if (!rule) return null;
    const now = this.clock.now().getTime();
    const { index, endsAt } = windowAt(now, rule.windowMs);
    return { key: `rate:${action}:${subject}:${index}`, limit: rule.limit, keepMs: endsAt - now + CLOCK_SKEW_MARGIN_MS, retryAfterSeconds: secondsUntil(endsAt, now) };
  }
}

/** One subject's counter of one action in the current window (see RedisRateLimiter.windowOf). */
export interface RateWindow {
  key: string;
  limit: number;
  keepMs: number;
  /** What a take refused now is told to wait. */
  retryAfterSeconds: number;
}
