import type { FailureBlockPolicy, FailureLimiter } from '../../application/ports/failure-limiter.js';
import type { Clock } from '../../domain/shared/clock.js';
import { BoundedMap, DEFAULT_MAX_SUBJECTS } from './bounded-map.js';

interface Count {
  failures: number;
  /** As in Redis: a count is forgotten blockSeconds after its last failure. */
  forgottenAt: number;
}

/** Drop what has run out once this many subjects are kept; the mark doubles with what stays. */
const SWEEP_AT = 10_000;

/**
 * In-process failure counting: right for one instance (and for tests). Each map keeps at most
 * `maxSubjects` subjects, so one client trying endless e-mails or addresses cannot grow it without
 * bound; past that the oldest are forgotten (the oldest block is the nearest to its end anyway).
 */
export class MemoryFailureLimiter implements FailureLimiter {
  private readonly counts: Map<string, Count>;
  private readonly blockedUntil: Map<string, number>;
  private sweepAt = SWEEP_AT;

  constructor(
    private readonly policy: FailureBlockPolicy,
    private readonly clock: Clock,
    maxSubjects = DEFAULT_MAX_SUBJECTS,
  ) {
    this.counts = new BoundedMap(maxSubjects);
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
    const now = this.clock.now().getTime();
    const blockMs = this.policy.blockSeconds * 1000;
    const kept = this.counts.get(key);
    const failures = (kept && kept.forgottenAt > now ? kept.failures : 0) + 1;
    if (failures >= this.policy.threshold) {
      this.counts.delete(key);
      this.blockedUntil.set(key, now + blockMs);
    } else {
      this.counts.set(key, { failures, forgottenAt: now + blockMs });
    }
    if (this.counts.size + this.blockedUntil.size >= this.sweepAt) this.sweep(now);
  }

  async reset(action: string, subject: string): Promise<void> {
    this.counts.delete(`${action}:${subject}`);
  }

  /**
   * Every address or e-mail ever tried would otherwise stay in memory. Sweeping only when the
   * maps have doubled since the last sweep keeps the cost per failure constant.
   */
  private sweep(now: number): void {
    for (const [key, count] of this.counts) if (count.forgottenAt <= now) this.counts.delete(key);
    for (const [key, until] of this.blockedUntil) if (until <= now) this.blockedUntil.delete(key);
    this.sweepAt = Math.max(SWEEP_AT, 2 * (this.counts.size + this.blockedUntil.size));
  }
}
