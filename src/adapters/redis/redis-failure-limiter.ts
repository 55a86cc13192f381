import type { Redis } from 'ioredis';
import type { FailureBlockPolicy, FailureLimiter } from '../../application/ports/failure-limiter.js';
import type { Logger } from '../../application/ports/logger.js';
import { RedisScript } from './redis-script.js';

/**
 * Counts a failure and, at the threshold, turns the count into a block, in one step so
 * instances racing on the same account cannot both miss the threshold.
 * KEYS: failure count, block. ARGV: threshold, block milliseconds.
 */
const RECORD_FAILURE = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
if count >= tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  redis.call('DEL', KEYS[1])
end
return count
`);

/**
 * Failure counts shared by every instance through Redis. Redis only saves work here: when it is
 * down the limiter lets the action through (fails open) and logs it.
 */
export class RedisFailureLimiter implements FailureLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly policy: FailureBlockPolicy,
    private readonly logger: Logger,
  ) {}

  async blockedFor(action: string, subject: string): Promise<number> {
    try {
      const ttl = await this.redis.pttl(this.blockKey(action, subject));
      return ttl > 0 ? Math.ceil(ttl / 1000) : 0;
    } catch (error) {
      this.failOpen('blockedFor', error);
      return 0;
    }
  }

  async recordFailure(action: string, subject: string): Promise<void> {
    // Either setting at 0 switches blocking off.
    if (this.policy.threshold <= 0 || this.policy.blockSeconds <= 0) return;
    try {
      await RECORD_FAILURE.run(this.redis, [this.countKey(action, subject), this.blockKey(action, subject)], [
        this.policy.threshold,
        this.policy.blockSeconds * 1000,
      ]);
    } catch (error) {
      this.failOpen('recordFailure', error);
    }
  }

  async reset(action: string, subject: string): Promise<void> {
    try {
      await this.redis.del(this.countKey(action, subject));
    } catch (error) {
      this.failOpen('reset', error);
    }
  }

  private countKey(action: string, subject: string): string {
    return `failures:${action}:${subject}`;
  }

  private blockKey(action: string, subject: string): string {
    return `blocked:${action}:${subject}`;
  }

  private failOpen(operation: string, error: unknown): void {
    this.logger.warn('failure limiter: Redis unavailable, letting the action through', {
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
