import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Cache } from '../../application/ports/cache.js';
import type { Logger } from '../../application/ports/logger.js';
import { compactKey } from '../memory/in-process-cache.js';
import { RedisScript } from './redis-script.js';

/**
 * Reads the namespace's generation and the entry stored under it in one round trip.
 * KEYS[1]: generation key; KEYS[2]: the namespace's entry prefix; ARGV[1]: the entry's key.
 * Entry keys are `cache:<namespace>@<generation>|<key>`: namespaces never contain '@', so no two
 * (namespace, key) pairs can share a Redis key.
 */
const READ = new RedisScript(`
local generation = redis.call('GET', KEYS[1]) or '0'
return { generation, redis.call('GET', KEYS[2] .. '@' .. generation .. '|' .. ARGV[1]) }
`);

/** Generations outlive every entry, so an entry can never be read under a reset generation. */
const GENERATION_TTL_FACTOR = 4;
const MIN_GENERATION_TTL_SECONDS = 3_600;

/**
 * Cache-aside shared by every instance. Invalidating a namespace gives it a new random
 * generation; readers look entries up under the current generation, so after a change every
 * instance misses at once, and a reader that loaded the old row before the change can only have
 * stored it under the old generation, where nobody looks. Redis down: loads straight through.
 */
export class RedisCache implements Cache {
  constructor(
    private readonly redis: Redis,
    private readonly logger: Logger,
    private readonly maxTtlSeconds = 300,
  ) {}

  async getOrLoad<T>(namespace: string, rawKey: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const prefix = `cache:${namespace}`;
    // A list page's key carries the search text: stored as a digest when long, as in process.
    const key = compactKey(rawKey);
    let generation: string | null = null;
    try {
      const [gen, cached] = (await READ.run(this.redis, [`cache-gen:${namespace}`, prefix], [key])) as [string, string | null];
      if (cached !== null) return JSON.parse(cached) as T;
      generation = gen;
    } catch (error) {
      this.warn('read', error);
    }
    const value = await load();
    if (generation !== null && value !== null && value !== undefined) {
      try {
        await this.redis.set(`${prefix}@${generation}|${key}`, JSON.stringify(value), 'EX', Math.min(ttlSeconds, this.maxTtlSeconds));
      } catch (error) {
        this.warn('write', error);
      }
    }
    return value;
  }

  async invalidate(...namespaces: string[]): Promise<void> {
    if (namespaces.length === 0) return;
    const ttl = Math.max(MIN_GENERATION_TTL_SECONDS, this.maxTtlSeconds * GENERATION_TTL_FACTOR);
    try {
      const pipeline = this.redis.pipeline();
      for (const namespace of namespaces) pipeline.set(`cache-gen:${namespace}`, randomUUID(), 'EX', ttl);
      // A pipeline resolves even when its commands failed: look at each answer.
      const failed = (await pipeline.exec())?.find(([error]) => error)?.[0];
      if (failed) throw failed;
    } catch (error) {
      this.warn('invalidate', error);
    }
  }

  private warn(operation: string, error: unknown): void {
    this.logger.warn('cache: Redis unavailable, going to the database', {
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
