import type { Redis } from 'ioredis';
import type { CouponIssueGate, GateAnswer, IssueTerms } from '../../application/ports/coupon-issue-gate.js';
import type { Logger } from '../../application/ports/logger.js';
import type { IssuedCopies } from '../../domain/coupon/repositories.js';

/**
 * Takes one copy for a user, atomically: the per-user count and the remaining count are checked
 * and both moved in one script, so no two callers can take the last copy or a user's second.
 * KEYS: the coupon's counts (hash: total, issued) and its per-user counts (hash: user -> n).
 * ARGV: user id, per-user limit. UNKNOWN: Redis does not have the coupon (first use, evicted,
 * flushed, restarted): the caller loads it from the database first.
 */
const TAKE = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'UNKNOWN' end
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held >= tonumber(ARGV[2]) then return 'ALREADY_ISSUED' end
local counts = redis.call('HMGET', KEYS[1], 'total', 'issued')
if tonumber(counts[2]) >= tonumber(counts[1]) then return 'EXHAUSTED' end
redis.call('HINCRBY', KEYS[1], 'issued', 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
-- The first holder creates the per-user hash: it goes when the counts go.
if redis.call('PTTL', KEYS[2]) == -1 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return 'TAKEN'
`;

/**
 * Loads the coupon's counts as the database has them, unless another caller got there first
 * (then its state, which may already have moved on, is kept). ARGV: total, issued, expiry (unix
 * seconds), then user/count pairs.
 */
const LOAD = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'issued', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIREAT', KEYS[1], ARGV[3])
redis.call('EXPIREAT', KEYS[2], ARGV[3])
return 1
`;

/** Undoes one claim of the user's, if the state still holds one. */
const GIVE_BACK = `
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held <= 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
redis.call('HINCRBY', KEYS[1], 'issued', -1)
return 1
`;

/** Redis keeps a coupon's counts a day past its validity, then forgets them. */
const KEEP_AFTER_VALIDITY_SECONDS = 86_400;

/**
 * The first-come-first-served gate on Redis, shared by every instance. The database is still the
 * judge (guarded counter, unique numbering): when Redis loses its data the counts are reloaded
 * from it, and when Redis is down every caller is let through to it (fails open).
 */
export class RedisCouponIssueGate implements CouponIssueGate {
  /** One load per coupon at a time in this process: a storm's first wave asks the database once. */
  private readonly loading = new Map<number, Promise<void>>();

  constructor(
    private readonly redis: Redis,
    private readonly records: { issuedCopies(couponId: number): Promise<IssuedCopies> },
    private readonly logger: Logger,
  ) {}

  async prepare(terms: IssueTerms): Promise<void> {
    try {
      await this.load(terms);
    } catch (error) {
      // The first take loads it instead.
      this.logger.warn('coupon issue gate: could not load a new coupon into Redis', { couponId: terms.couponId, error: messageOf(error) });
    }
  }

  async take(terms: IssueTerms, userId: number): Promise<GateAnswer> {
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        const answer = String(await this.redis.eval(TAKE, 2, ...keysOf(terms.couponId), userId, terms.perUserLimit));
        if (answer !== 'UNKNOWN') return answer as GateAnswer;
        await this.load(terms);
      }
      throw new Error(`coupon ${terms.couponId} could not be loaded into Redis`);
    } catch (error) {
      this.logger.warn('coupon issue gate: Redis unavailable, the database decides', { couponId: terms.couponId, error: messageOf(error) });
      return 'TAKEN';
    }
  }

  async giveBack(couponId: number, userId: number): Promise<void> {
    await this.redis.eval(GIVE_BACK, 2, ...keysOf(couponId), userId);
  }

  async forget(couponId: number): Promise<void> {
    await this.redis.del(...keysOf(couponId));
  }

  private load(terms: IssueTerms): Promise<void> {
    let pending = this.loading.get(terms.couponId);
    if (!pending) {
      pending = this.loadFromDatabase(terms).finally(() => this.loading.delete(terms.couponId));
      this.loading.set(terms.couponId, pending);
    }
    return pending;
  }

  private async loadFromDatabase(terms: IssueTerms): Promise<void> {
    const copies = await this.records.issuedCopies(terms.couponId);
    const expiresAt = Math.ceil(terms.validUntil.getTime() / 1000) + KEEP_AFTER_VALIDITY_SECONDS;
    const pairs = [...copies.perUser].flatMap(([user, n]) => [user, n]);
    await this.redis.eval(LOAD, 2, ...keysOf(terms.couponId), terms.totalQuantity, copies.issued, expiresAt, ...pairs);
  }
}

/** Both keys share a hash tag, so a Redis Cluster keeps them on one node for the scripts. */
function keysOf(couponId: number): [string, string] {
  return [`coupon-gate:{${couponId}}:counts`, `coupon-gate:{${couponId}}:users`];
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
