import { ExecutionError, type Lock, Redlock, ResourceLockedError } from '@sesamecare-oss/redlock';
import type { Redis } from 'ioredis';
import type { DistributedLock, Lease } from '../../application/ports/distributed-lock.js';
import type { Logger } from '../../application/ports/logger.js';
import { leaseMs } from '../memory/memory-lock.js';

/** Why Redis said no: the key is someone else's (held, or not ours to release), or Redis could not answer. */
type Refusal = { kind: 'not-ours' } | { kind: 'unavailable'; error: Error };

/**
 * Redlock over one or more Redis nodes (REDIS_URL may list several; a lease needs a majority).
 * The lock only saves work (what it guards is guarded by the database too), so:
 * - held by someone else: null, as the port says;
 * - Redis unreachable (no majority answered): the `fallback` lock (the PostgreSQL lease lock)
 *   decides instead, and the fall-back is logged. While Redis is down for some instances only,
 *   one holder on each side is possible; that costs duplicated work, never correctness.
 * - release never throws: a lease Redis cannot release now expires on its own.
 */
export class RedlockLock implements DistributedLock {
  private readonly redlock: Redlock;

  constructor(
    clients: Redis[],
    private readonly logger: Logger,
    private readonly fallback: DistributedLock,
  ) {
    // Redlock's scripts SELECT their database themselves: use the one the URL names.
    this.redlock = new Redlock(clients, { retryCount: 0, db: clients[0]?.options.db ?? 0 });
  }

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | null> {
    const ttl = leaseMs(ttlMs);
    let lock: Lock;
    try {
      lock = await this.redlock.acquire([this.redisKey(key)], ttl);
    } catch (error) {
      const refusal = await refusalOf(error);
      if (refusal.kind === 'not-ours') return null;
      this.logger.warn('lock: Redis unavailable, taking the database lock instead', { key, error: refusal.error.message });
      return this.fallback.tryAcquire(key, ttlMs);
    }
    return { release: () => this.release(key, lock) };
  }

  private async release(key: string, lock: Lock): Promise<void> {
    try {
      await this.redlock.release(lock);
    } catch (error) {
      const refusal = await refusalOf(error);
      // Expired already (and perhaps someone else's by now): there is nothing of ours to release.
      if (refusal.kind === 'not-ours') return;
      this.logger.warn('lock: Redis unavailable to release a lease; it expires on its own', { key, error: refusal.error.message });
    }
  }

  private redisKey(key: string): string {
    return `lock:${key}`;
  }
}

/**
 * Reads the nodes' votes behind a refused operation: any node that refused because the key is
 * someone else's means the lock is held (or, on release, no longer ours); only errors means Redis
 * could not answer.
 */
async function refusalOf(error: unknown): Promise<Refusal> {
  if (!(error instanceof ExecutionError)) {
    return { kind: 'unavailable', error: error instanceof Error ? error : new Error(String(error)) };
  }
  const votes = (await Promise.all(error.attempts)).flatMap((stats) => [...stats.votesAgainst.values()]);
  if (votes.some((vote) => vote instanceof ResourceLockedError)) return { kind: 'not-ours' };
  return { kind: 'unavailable', error: votes[0] ?? error };
}
