import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script sent by its SHA1 (EVALSHA): Redis keeps scripts it has seen, so the hot paths
 * (rate limits, coupon issue) send a 40-character digest instead of the script on every call.
 * A Redis that does not know it (restarted, flushed with SCRIPT FLUSH) answers NOSCRIPT, and the
 * script goes in full once. Keys are passed as keys, so ioredis's key prefix applies to them.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: string[], args: (string | number)[] = []): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
