import type { DistributedLock, Lease } from '../../application/ports/distributed-lock.js';
import type { Clock } from '../../domain/shared/clock.js';

/** A lease's length in whole milliseconds; refuses one that cannot expire or is already over. */
export function leaseMs(ttlMs: number): number {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`A lock's ttl must be a positive number of milliseconds, got ${ttlMs}`);
  return Math.ceil(ttlMs);
}

interface Holder {
  owner: number;
  expiresAt: number;
}

/**
 * Leases in this process: right for one instance (and for tests). A lease is free again once
 * released or once its ttl has passed on the clock; each lease has its own owner token, so a
 * holder whose lease expired and was taken by someone else cannot release the new holder's.
 */
export class MemoryLock implements DistributedLock {
  private readonly holders = new Map<string, Holder>();
  private owners = 0;

  constructor(private readonly clock: Clock) {}

  async tryAcquire(key: string, ttlMs: number): Promise<Lease | null> {
    const ttl = leaseMs(ttlMs);
    const now = this.clock.now().getTime();
    const held = this.holders.get(key);
    if (held && held.expiresAt > now) return null;
    this.owners += 1;
    const owner = this.owners;
    this.holders.set(key, { owner, expiresAt: now + ttl });
    return {
      release: async () => {
        if (this.holders.get(key)?.owner === owner) this.holders.delete(key);
      },
    };
  }
}
