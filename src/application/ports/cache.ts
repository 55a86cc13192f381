/**
 * Cache-aside storage for read models (JSON values only). Entries live in namespaces; invalidating
 * a namespace makes everything in it stale at once, on every instance sharing the cache, and a
 * reader racing with a writer can never put the old value back under the new generation.
 * A load that finds nothing (null) is not cached: the thing may be created the next moment.
 * When the cache's store is down, reads simply load and invalidations are logged.
 */
export interface Cache {
  getOrLoad<T>(namespace: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T>;
  invalidate(...namespaces: string[]): Promise<void>;
}
