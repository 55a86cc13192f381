import type { Cache } from '../../application/ports/cache.js';
import type { Clock } from '../../domain/shared/clock.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/**
 * Cache-aside in this process: right for one instance (with several, a change made on one would
 * not reach the others' caches; configure Redis then). Entries are stored as JSON, so a caller can
 * never change a cached value by mutating what it got.
 */
export class InProcessCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private readonly generations = new Map<string, number>();
  /** Loads under way: a crowd missing the same entry at once waits for one load, not one each. */
  private readonly loading = new Map<string, Promise<unknown>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
  ) {}

  async getOrLoad<T>(namespace: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const generation = this.generations.get(namespace) ?? 0;
    const slot = `${namespace}\u0000${generation}\u0000${key}`;
    const now = this.clock.now().getTime();
    const hit = this.entries.get(slot);
    if (hit && hit.expiresAt > now) return JSON.parse(hit.value) as T;
    const pending = this.loading.get(slot);
    if (pending) return JSON.parse(JSON.stringify((await pending) ?? null)) as T;
    const loaded = this.loadInto(slot, now, ttlSeconds, load);
    this.loading.set(slot, loaded);
    try {
      return await loaded;
    } finally {
      this.loading.delete(slot);
    }
  }

  private async loadInto<T>(slot: string, now: number, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const value = await load();
    // Loaded under the generation read before loading: if a change came meanwhile, this entry
    // is already unreachable.
    if (value !== null && value !== undefined) {
      if (this.entries.size >= this.maxEntries) this.evict(now);
      this.entries.set(slot, { value: JSON.stringify(value), expiresAt: now + ttlSeconds * 1000 });
    }
    return value;
  }

  async invalidate(...namespaces: string[]): Promise<void> {
    for (const namespace of namespaces) this.generations.set(namespace, (this.generations.get(namespace) ?? 0) + 1);
  }

  /** Drops expired entries, then the oldest inserted, to stay within bounds. */
  private evict(now: number): void {
    for (const [slot, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(slot);
    const excess = this.entries.size - Math.floor(this.maxEntries * 0.9);
    if (excess <= 0) return;
    let dropped = 0;
    for (const slot of this.entries.keys()) {
      if (dropped++ >= excess) break;
      this.entries.delete(slot);
    }
  }
}

/** No caching at all (a TTL of 0): every read goes to the database. */
export class NoCache implements Cache {
  getOrLoad<T>(_namespace: string, _key: string, _ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    return load();
  }

  async invalidate(): Promise<void> {}
}
