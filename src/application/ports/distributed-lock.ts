export interface Lease {
  release(): Promise<void>;
}

/**
 * A lock held by one instance at a time for a while (it expires on its own if the holder dies).
 * It only saves work: what it guards is also guarded by the database.
 */
export interface DistributedLock {
  tryAcquire(key: string, ttlMs: number): Promise<Lease | null>;
}
