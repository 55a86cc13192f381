import { randomUUID } from 'node:crypto';
import type { DistributedLock, Lease } from '../../application/ports/distributed-lock.js';
import type { Clock } from '../../domain/shared/clock.js';
import { leaseMs } from '../memory/memory-lock.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';

/**
 * Leases in the `distributed_locks` table: the lock where there is no Redis, and the fallback when
 * Redis is down. Taking a lease is one statement that inserts the row, or takes it over when the
 * last lease has run out; every lease has its own owner, and only that owner's row is released.
 * The statements run on the pool and commit on their own, never inside the caller's transaction
 * (a lock is taken before a transaction opens, and must be seen by other instances at once).
 * Time is the Clock's, like the idempotency store's, so expiry follows the service's clock.
 */
export class PostgresLeaseLock implements DistributedLock {
  constructor(
    private readonly tx: KnexTransactionManager,
    private readonly clock: Clock,
  ) {}

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | null> {
    const ttl = leaseMs(ttlMs);
    const now = this.clock.now();
    const owner = randomUUID();
    const taken = await this.tx
      .db('distributed_locks')
      .insert({ name: key, owner, expires_at: new Date(now.getTime() + ttl) })
      .onConflict('name')
      .merge(['owner', 'expires_at'])
      // A lease lasts ttl: at its expiry time it is free (as a Redis key with PX is gone).
      .whereRaw('distributed_locks.expires_at <= ?', [now])
      .returning('name');
    if (taken.length === 0) return null;
    return {
      release: async () => {
        await this.tx.db('distributed_locks').where({ name: key, owner }).delete().returning('name');
      },
    };
  }
}
