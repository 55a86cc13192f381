import type { Redis } from 'ioredis';
import type { Admission, CouponIssueGate, GateAnswer, IssueTerms, TakeOptions } from '../../application/ports/coupon-issue-gate.js';
import type { Logger } from '../../application/ports/logger.js';
import type { IssuedCopies } from '../../domain/coupon/repositories.js';
import { RateLimited } from '../../domain/shared/errors.js';
import type { RateWindow, RedisRateLimiter } from './redis-rate-limiter.js';
import { RedisScript } from './redis-script.js';

/**
 * The dispute step (see DISPUTE below), shared by the take script. Expects KEYS[1..3] (counts,
 * per-user counts, the dispute's start) and `lostAfter` (milliseconds); true when the counts were dropped.
 */
const DISPUTE_STEP = `
local function dispute(lostAfter)
  local time = redis.call('TIME')
  local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local since = redis.call('GET', KEYS[3])
  if not since then
    redis.call('SET', KEYS[3], now, 'PX', lostAfter * 2)
    return false
  end
  if now - tonumber(since) < lostAfter then return false end
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return true
end
`;

/**
 * One issue request's whole question to Redis, in one round trip: the rate limit, then one copy
 * for the user, atomically (the per-user count and the remaining count are checked and both moved
 * in one script, so no two callers can take the last copy or a user's second).
 * KEYS: the coupon's counts (hash: total, issued), its per-user counts (hash: user -> n), the
 * dispute's start, and optionally the user's rate-limit counter of this window (the key
 * RedisRateLimiter counts in: the same limit).
 * ARGV: user id, per-user limit, 1 when the database's row showed copies left (an EXHAUSTED
 * answer is then disputed, as DISPUTE does), the dispute's patience in ms, then with the rate
 * key: its limit and how long to keep it.
 * RATE_LIMITED: over the limit, nothing taken. UNKNOWN: Redis does not have the coupon (first
 * use, evicted, flushed, restarted): the caller loads it from the database first, and asks again
 * without the rate key (the attempt was counted). EXHAUSTED_RELOAD: EXHAUSTED, and the dispute
 * dropped the counts (they are reloaded from the database by the next take).
 * (In a Redis Cluster the rate key would sit in another slot than the coupon's: the service
 * connects to one Redis.)
 */
const TAKE = new RedisScript(`${DISPUTE_STEP}
if #KEYS == 4 then
  local count = redis.call('INCR', KEYS[4])
  if count == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[6]) end
  if count > tonumber(ARGV[5]) then return 'RATE_LIMITED' end
end
if redis.call('EXISTS', KEYS[1]) == 0 then return 'UNKNOWN' end
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held >= tonumber(ARGV[2]) then return 'ALREADY_ISSUED' end
local counts = redis.call('HMGET', KEYS[1], 'total', 'issued')
if tonumber(counts[2]) >= tonumber(counts[1]) then
  if ARGV[3] == '1' and dispute(tonumber(ARGV[4])) then return 'EXHAUSTED_RELOAD' end
  return 'EXHAUSTED'
end
redis.call('HINCRBY', KEYS[1], 'issued', 1)
redis.call('HINCRBY', KEYS[2], ARGV[1], 1)
-- The first holder creates the per-user hash: it goes when the counts go.
if redis.call('PTTL', KEYS[2]) == -1 then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
end
return 'TAKEN'
`);

/**
 * Loads the coupon's counts as the database has them, unless another caller got there first
 * (then its state, which may already have moved on, is kept). ARGV: total, issued, expiry (unix
 * seconds), then user/count pairs.
 */
const LOAD = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'total', ARGV[1], 'issued', ARGV[2])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
redis.call('EXPIREAT', KEYS[1], ARGV[3])
redis.call('EXPIREAT', KEYS[2], ARGV[3])
return 1
`);

/** Undoes one claim of the user's, if the state still holds one. */
const GIVE_BACK = new RedisScript(`
local held = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
if held <= 0 then return 0 end
redis.call('HINCRBY', KEYS[2], ARGV[1], -1)
redis.call('HINCRBY', KEYS[1], 'issued', -1)
return 1
`);

/**
 * The database shows fewer copies out than Redis counts. Claims still being written explain that
 * for a moment; one that outlasts ARGV[1] milliseconds is a claim lost for good (its instance
 * died between Redis and the database), so the counts are dropped and reloaded from the
 * database. KEYS: the counts, the per-user counts, the dispute's start (Redis's own clock, so
 * instances agree). Returns 1 when the counts were dropped.
 */
const DISPUTE = new RedisScript(`${DISPUTE_STEP}
if dispute(tonumber(ARGV[1])) then return 1 end
return 0
`);

/** Longer than any issue takes from its Redis claim to its commit. */
const LOST_CLAIM_AFTER_MS = 10_000;

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
    /** How long a disagreement with the database may last before the claims count as lost. */
    private readonly lostClaimAfterMs = LOST_CLAIM_AFTER_MS,
    /** The rate limiter whose counters an admission passed to take() is counted in, in the same script. */
    private readonly admissions?: Pick<RedisRateLimiter, 'windowOf'>,
  ) {}

  async prepare(terms: IssueTerms): Promise<void> {
    try {
      await this.load(terms);
    } catch (error) {
      // The first take loads it instead.
      this.logger.warn('coupon issue gate: could not load a new coupon into Redis', { couponId: terms.couponId, error: messageOf(error) });
    }
  }

  async take(terms: IssueTerms, userId: number, options: TakeOptions = {}): Promise<GateAnswer> {
    const { admission } = options;
    if (admission && !this.admissions) throw new Error(`coupon issue gate: asked to count ${admission.action} without a rate limiter`);
    const window = admission ? this.admissions?.windowOf(admission.action, admission.subject) : null;
    const keys: string[] = [...keysOf(terms.couponId), disputeKeyOf(terms.couponId)];
    const args: (string | number)[] = [userId, terms.perUserLimit, options.copiesLeftInDatabase ? 1 : 0, this.lostClaimAfterMs];
    if (window) {
      keys.push(window.key);
      args.push(window.limit, window.keepMs);
    }
    let answer: string;
    try {
      answer = String(await TAKE.run(this.redis, keys, args));
      for (let attempt = 0; answer === 'UNKNOWN'; attempt++) {
        if (attempt === 2) throw new Error(`coupon ${terms.couponId} could not be loaded into Redis`);
        await this.load(terms);
        // The attempt was counted by the first run: not again.
        answer = String(await TAKE.run(this.redis, keys.slice(0, 3), args.slice(0, 4)));
      }
    } catch (error) {
      this.logger.warn('coupon issue gate: Redis unavailable, the database decides', { couponId: terms.couponId, error: messageOf(error) });
      return 'TAKEN';
    }
    if (answer === 'RATE_LIMITED') throw new RateLimited((window as RateWindow).retryAfterSeconds, (admission as Admission).refusal);
    if (answer === 'EXHAUSTED_RELOAD') {
      this.logger.warn('coupon issue gate: Redis counted claims the database never saw; reloaded from the database', { couponId: terms.couponId });
      return 'EXHAUSTED';
    }
    return answer as GateAnswer;
  }

  async giveBack(couponId: number, userId: number): Promise<void> {
    await GIVE_BACK.run(this.redis, keysOf(couponId), [userId]);
  }

  async forget(couponId: number): Promise<void> {
    await this.redis.del(...keysOf(couponId));
  }

  async disputed(couponId: number): Promise<void> {
    try {
      const dropped = await DISPUTE.run(this.redis, [...keysOf(couponId), disputeKeyOf(couponId)], [this.lostClaimAfterMs]);
      if (dropped === 1) this.logger.warn('coupon issue gate: Redis counted claims the database never saw; reloaded from the database', { couponId });
    } catch (error) {
      this.logger.warn('coupon issue gate: could not settle a dispute with the database', { couponId, error: messageOf(error) });
    }
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
    await LOAD.run(this.redis, keysOf(terms.couponId), [terms.totalQuantity, copies.issued, expiresAt, ...pairs]);
  }
}

/** The keys share a hash tag, so a Redis Cluster keeps them on one node for the scripts. */
function keysOf(couponId: number): [string, string] {
  return [`coupon-gate:{${couponId}}:counts`, `coupon-gate:{${couponId}}:users`];
}
const disputeKeyOf = (couponId: number) => `coupon-gate:{${couponId}}:disputed`;

const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));
