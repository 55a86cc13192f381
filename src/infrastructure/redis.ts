import { Redis } from 'ioredis';
import type { Logger } from '../application/ports/logger.js';

/**
 * A Redis client that fails fast when Redis is away (no offline queue, one retry), so callers
 * can fall back at once instead of piling up; it keeps reconnecting in the background.
 */
export function connectRedis(url: string, keyPrefix: string, logger: Logger): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Commands asked for in one turn of the event loop (a storm's requests parsed together) go out
    // as one write and come back as one read, instead of a system call each way per command.
    enableAutoPipelining: true,
    connectTimeout: 2_000,
    // A slow Redis must not hold up a request: past this, callers fall back as if it were down.
    commandTimeout: 1_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn('Redis unavailable; falling back where possible', { error: error.message });
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis available again');
    down = false;
  });
  return redis;
}

/** Waits briefly for the first connection; the service starts either way. */
export async function waitForRedis(redis: Redis, timeoutMs = 2_000): Promise<boolean> {
  if (redis.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
}
