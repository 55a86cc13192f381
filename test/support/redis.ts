import { Redis } from 'ioredis';
import { inCi, runId } from './environment.js';

export interface TestRedis {
  url: string;
  /** Every key of this run starts with it, so runs never see each other's keys. */
  prefix: string;
  /** A new client (a new "instance") on this run's keys. */
  connect(): Redis;
}

let shared: Promise<TestRedis | null> | null = null;
const clients: Redis[] = [];
let stopContainer: (() => Promise<unknown>) | null = null;

export function testRedis(): Promise<TestRedis | null> {
  shared ??= provision();
  return shared;
}

/** The run's Redis, or a skip (a failure in CI) when there is none. */
export async function requireRedis(ctx: Mocha.Context): Promise<TestRedis> {
  const redis = await testRedis();
  if (redis) return redis;
  if (inCi()) throw new Error('TEST_REDIS_URL must be set in CI: tests run against real Redis there');
  ctx.skip();
}

async function provision(): Promise<TestRedis | null> {
  let url = process.env['TEST_REDIS_URL'] ?? null;
  if (!url && !inCi()) {
    try {
      const { RedisContainer } = await import('@testcontainers/redis');
      const container = await new RedisContainer('redis:7-alpine').start();
      stopContainer = () => container.stop();
      url = container.getConnectionUrl();
    } catch {
      url = null;
    }
  }
  if (!url) {
    if (inCi()) throw new Error('TEST_REDIS_URL must be set in CI');
    return null;
  }
  const redisUrl = url;
  const prefix = `test:${runId}:`;
  return {
    url: redisUrl,
    prefix,
    connect: () => {
      const client = new Redis(redisUrl, { keyPrefix: prefix, maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
  };
}

/** A client for a Redis that is not there (a closed port), failing at once: for fail-open tests. */
export function unreachableRedis(): Redis {
  const client = new Redis('redis://127.0.0.1:1', {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  clients.push(client);
  return client;
}

export async function cleanUpTestRedis(): Promise<void> {
  const redis = shared ? await shared.catch(() => null) : null;
  if (redis) {
    const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    let cursor = '0';
    do {
      const [next, keys] = await admin.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await admin.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    admin.disconnect();
  }
  for (const client of clients) client.disconnect();
  await stopContainer?.();
}
