import { createHash } from 'node:crypto';
import type { Cache } from '../../application/ports/cache.js';
import type { Clock } from '../../domain/shared/clock.js';

interface Entry {
  value: string;
  expiresAt: number;
  /** What the entry weighs, as counted against the byte bound. */
  bytes: number;
}

/** The byte bound's default: plenty for a catalog's hot pages, far from what a process can spare. */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** Keys longer than this (a list page's key carries the search text) are kept as their digest. */
const LONG_KEY = 64;

/**
 * The key as stored: itself when short, else `#` and its SHA-256, so that what a client types
 * into a search box costs the cache 44 characters at most. A short key starting with `#` is
 * hashed too, so a raw key can never pass for another's digest.
 */
export function compactKey(key: string): string {
  return key.length <= LONG_KEY && !key.startsWith('#') ? key : `#${createHash('sha256').update(key).digest('base64url')}`;
}

/** Map entry, entry object and the numbers in it, roughly, on top of the strings themselves. */
const ENTRY_OVERHEAD_BYTES = 128;

/** Two bytes a character (the most V8 uses for a string) for the slot and the value, plus the overhead. */
const weightOf = (slot: string, value: string) => 2 * (slot.length + value.length) + ENTRY_OVERHEAD_BYTES;

/**
 * Cache-aside in this process: right for one instance (with several, a change made on one would
 * not reach the others' caches; configure Redis then). Entries are stored as JSON, so a caller can
 * never change a cached value by mutating what it got. Bounded by entries and by bytes: when
 * either is reached, expired entries go first, then the least recently used.
 */
export class InProcessCache implements Cache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private readonly generations = new Map<string, number>();
  /** Moved on by forgetEverything(): a load under way when it happens stores where nobody looks. */
  private epoch = 0;
  /** Loads under way: a crowd missing the same entry at once waits for one load, not one each. */
  private readonly loading = new Map<string, Promise<unknown>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 10_000,
    /** 0: bounded by entries only. */
    private readonly maxBytes = DEFAULT_CACHE_MAX_BYTES,
  ) {}

  /** What the entries weigh now, as counted against the byte bound. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  async getOrLoad<T>(namespace: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    const generation = this.generations.get(namespace) ?? 0;
    const slot = `${this.epoch}\u0000${namespace}\u0000${generation}\u0000${compactKey(key)}`;
    const now = this.clock.now().getTime();
    const hit = this.entries.get(slot);
    if (hit && hit.expiresAt > now) {
      // Most recently used goes last: eviction takes from the front.
      this.entries.delete(slot);
      this.entries.set(slot, hit);
      return JSON.parse(hit.value) as T;
    }
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
    if (value !== null && value !== undefined) this.store(slot, JSON.stringify(value), now + ttlSeconds * 1000, now);
    return value;
  }

  private store(slot: string, value: string, expiresAt: number, now: number): void {
    const bytes = weightOf(slot, value);
    // An answer heavier than the whole cache is served, not kept.
    if (this.maxBytes > 0 && bytes > this.maxBytes) return;
    this.remove(slot);
    if (this.entries.size >= this.maxEntries || (this.maxBytes > 0 && this.bytes + bytes > this.maxBytes)) this.evict(now, bytes);
    this.entries.set(slot, { value, expiresAt, bytes });
    this.bytes += bytes;
  }

  async invalidate(...namespaces: string[]): Promise<void> {
    for (const namespace of namespaces) this.generations.set(namespace, (this.generations.get(namespace) ?? 0) + 1);
  }

  /** Every namespace at once: for when invalidations may have been missed (see RedisBroadcastCache). */
  forgetEverything(): void {
    this.epoch += 1;
    this.entries.clear();
    this.generations.clear();
    this.bytes = 0;
  }

  /**
   * Drops expired entries, then the least recently used, down to 90% of each bound (room for
   * `incoming` bytes included), so that a full cache evicts once per many stores, not on each.
   */
  private evict(now: number, incoming: number): void {
    for (const [slot, entry] of this.entries) if (entry.expiresAt <= now) this.remove(slot);
    const entryTarget = Math.floor(this.maxEntries * 0.9);
    const byteTarget = this.maxBytes > 0 ? Math.floor(this.maxBytes * 0.9) : Number.POSITIVE_INFINITY;
    for (const slot of this.entries.keys()) {
      if (this.entries.size <= entryTarget && this.bytes + incoming <= byteTarget) break;
      this.remove(slot);
    }
  }

  private remove(slot: string): void {
    const entry = this.entries.get(slot);
    if (!entry) return;
    this.entries.delete(slot);
    this.bytes -= entry.bytes;
  }
}

/** No caching at all (a TTL of 0): every read goes to the database. */
export class NoCache implements Cache {
  getOrLoad<T>(_namespace: string, _key: string, _ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    return load();
  }

  async invalidate(): Promise<void> {}
}
