import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import type { Clock } from '../../domain/shared/clock.js';
import { BoundedMap, DEFAULT_MAX_SUBJECTS } from './bounded-map.js';

/** At most `limit` takes per subject in each fixed window of `windowMs`; a limit of 0 switches the action's limit off. */
export interface RateLimit {
  limit: number;
  windowMs: number;
}

/** Limits by action name; an action not listed is never limited. */
export type RateLimits = Record<string, RateLimit>;

/** Refuses a limit that cannot mean anything (negative, fractional, an empty window). */
export function assertRateLimits(limits: RateLimits): void {
  for (const [action, { limit, windowMs }] of Object.entries(limits)) {
    if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`Rate limit of ${action}: limit must be a whole number >= 0, got ${limit}`);
    if (!Number.isSafeInteger(windowMs) || windowMs < 1) throw new RangeError(`Rate limit of ${action}: windowMs must be a whole number >= 1, got ${windowMs}`);
  }
}

/** The action's limit, or null when it is not limited (not configured, or limit 0). */
export function ruleOf(limits: RateLimits, action: string): RateLimit | null {
  const rule = Object.hasOwn(limits, action) ? limits[action] : undefined;
  return rule && rule.limit > 0 ? rule : null;
}

/** The fixed window `nowMs` falls in: its index (the same on every instance) and when it ends. */
export function windowAt(nowMs: number, windowMs: number): { index: number; endsAt: number } {
  const index = Math.floor(nowMs / windowMs);
  return { index, endsAt: (index + 1) * windowMs };
}

/** Whole seconds until the window ends, at least 1 (a refused caller is never told "retry in 0"). */
export function secondsUntil(endsAt: number, nowMs: number): number {
  return Math.max(1, Math.ceil((endsAt - nowMs) / 1000));
}

interface Window {
  index: number;
  endsAt: number;
  count: number;
}

/** Sweep windows that ended once this many (action, subject) pairs are counted. */
const SWEEP_AT = 10_000;

/**
 * Fixed-window counting in this process: right for one instance (and for tests). At most
 * `maxSubjects` (action, subject) windows are kept, however many subjects one window sees; past
 * that the oldest started are forgotten, and those subjects start counting afresh (failing open,
 * as the Redis limiter does when Redis is away).
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows: Map<string, Window>;
  /** No window ends before this, so sweeping earlier would find nothing to drop. */
  private nextSweepAt = 0;
  /** Sweeping ended windows comes before forgetting live ones. */
  private readonly sweepAt: number;

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    maxSubjects = DEFAULT_MAX_SUBJECTS,
  ) {
    assertRateLimits(limits);
    this.windows = new BoundedMap(maxSubjects);
    this.sweepAt = maxSubjects > 0 ? Math.min(SWEEP_AT, maxSubjects) : SWEEP_AT;
  }

  async take(action: string, subject: string): Promise<number> {
    const rule = ruleOf(this.limits, action);
    if (!rule) return 0;
    const now = this.clock.now().getTime();
    const { index, endsAt } = windowAt(now, rule.windowMs);
    const key = `${action}\u0000${subject}`;
    let window = this.windows.get(key);
    if (!window || window.index !== index) {
      if (this.windows.size >= this.sweepAt && now >= this.nextSweepAt) this.sweep(now);
      window = { index, endsAt, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    return window.count <= rule.limit ? 0 : secondsUntil(endsAt, now);
  }

  /**
   * Drops the windows that ended. Once per window end at most: with a minute-long window and
   * tens of thousands of subjects in it, sweeping on every new subject was quadratic.
   */
  private sweep(now: number): void {
    let earliestEnd = Number.POSITIVE_INFINITY;
    for (const [key, window] of this.windows) {
      if (window.endsAt <= now) this.windows.delete(key);
      else earliestEnd = Math.min(earliestEnd, window.endsAt);
    }
    this.nextSweepAt = earliestEnd;
  }
}
