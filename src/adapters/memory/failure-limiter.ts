import type { FailureBlockPolicy, FailureLimiter } from '../../application/ports/failure-limiter.js';
import type { Clock } from '../../domain/shared/clock.js';
import { BoundedMap, DEFAULT_MAX_SUBJECTS } from './bounded-map.js';

/**
 * In-process failure counting: right for one instance (and for tests). Each map keeps at most
 * `maxSubjects` subjects, so one client trying endless e-mails cannot grow it without bound; past
 * that the oldest are forgotten (the oldest block is the nearest to its end anyway).
 */
export class MemoryFailureLimiter implements FailureLimiter {
  private readonly failures: Map<string, number>;
  private readonly blockedUntil: Map<string, number>;

  constructor(
    private readonly policy: FailureBlockPolicy,
    private readonly clock: Clock,
    maxSubjects = DEFAULT_MAX_SUBJECTS,
  ) {
    this.failures = new BoundedMap(maxSubjects);
    this.blockedUntil = new BoundedMap(maxSubjects);
  }

  async blockedFor(action: string, subject: string): Promise<number> {
    const until = this.blockedUntil.get(`${action}:${subject}`);
    if (until === undefined) return 0;
    const remainingMs = until - this.clock.now().getTime();
    if (remainingMs <= 0) {
      this.blockedUntil.delete(`${action}:${subject}`);
      return 0;
    }
    return Math.ceil(remainingMs / 1000);
  }

  async recordFailure(action: string, subject: string): Promise<void> {
    // Either setting at 0 switches blocking off.
    if (this.policy.threshold <= 0 || this.policy.blockSeconds <= 0) return;
    const key = `${action}:${subject}`;
    const count = (this.failures.get(key) ?? 0) + 1;
    if (count >= this.policy.threshold) {
      this.failures.delete(key);
      this.blockedUntil.set(key, this.clock.now().getTime() + this.policy.blockSeconds * 1000);
    } else {
      this.failures.set(key, count);
    }
  }

  async reset(action: string, subject: string): Promise<void> {
    this.failures.delete(`${action}:${subject}`);
  }
}
