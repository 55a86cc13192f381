import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../application/ports/logger.js';
import type { AnswerSlot, PopularAnswerStore, RecomputeClaim, StoredAnswer } from '../../application/ports/popular-answer-store.js';
import { RedisScript } from './redis-script.js';

/** KEYS[1]: the answer, KEYS[2]: the claim; ARGV: answer JSON, seconds to keep it, the claim's token ('' for none). */
const STORE = new RedisScript(`
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
`);

/** KEYS[1]: the claim; ARGV[1]: its token. Only the holder's own claim is removed. */
const RELEASE = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * Answers shared by every instance: `popular:<key>:answer` holds the answer and when it was
 * computed, `popular:<key>:claim` (SET NX PX) marks the one caller recomputing it. The claim is a
 * plain Redis key next to the answer rather than a DistributedLock (Redlock, with its PostgreSQL
 * fallback): it only decides who refreshes an answer that lives in this same Redis, so when Redis
 * is gone there is no shared answer left to protect and a database lease would only add a write
 * to the request path. One round trip reads the answer and the claim together.
 * Redis down: reads find nothing, claims are granted, writes are dropped; all logged.
 */
export class RedisPopularAnswerStore implements PopularAnswerStore {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {}

  async read<T>(key: string): Promise<AnswerSlot<T>> {
    try {
      const [json, claim] = await this.redis.mget(answerKey(key), claimKey(key));
      return { answer: json ? (JSON.parse(json) as StoredAnswer<T>) : null, aggregating: claim !== null };
    } catch (error) {
      this.warn('read', error);
      return { answer: null, aggregating: false };
    }
  }

  async claim(key: string, ttlMs: number): Promise<RecomputeClaim | null> {
    const token = randomUUID();
    try {
      const taken = await this.redis.set(claimKey(key), token, 'PX', Math.max(1, Math.ceil(ttlMs)), 'NX');
      return taken === 'OK' ? { key, token } : null;
    } catch (error) {
      this.warn('claim', error);
      return { key, token };
    }
  }

  async store<T>(key: string, answer: StoredAnswer<T>, keepSeconds: number, claim: RecomputeClaim | null): Promise<void> {
    try {
      await STORE.run(this.redis, [answerKey(key), claimKey(key)], [JSON.stringify(answer), Math.max(1, Math.ceil(keepSeconds)), claim?.token ?? '']);
    } catch (error) {
      this.warn('store', error);
    }
  }

  async release(claim: RecomputeClaim): Promise<void> {
    try {
      await RELEASE.run(this.redis, [claimKey(claim.key)], [claim.token]);
    } catch (error) {
      this.warn('release', error);
    }
  }

  private warn(operation: string, error: unknown): void {
    this.logger.warn('popular answers: Redis unavailable, computing from the database', {
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

const answerKey = (key: string) => `popular:${key}:answer`;
const claimKey = (key: string) => `popular:${key}:claim`;
