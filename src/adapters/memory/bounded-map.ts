/** The default bound of the in-process limiters' counts (LIMITER_MAX_SUBJECTS). */
export const DEFAULT_MAX_SUBJECTS = 100_000;

/**
 * A Map that holds at most `maxSize` keys (0: no bound), for counts keyed by what a client
 * chooses (an e-mail, an address), which must not grow without bound however many it makes up.
 * Writing a key makes it the newest; writing a new key when full forgets the oldest written.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly maxSize: number) {
    super();
  }

  override set(key: K, value: V): this {
    super.delete(key);
    if (this.maxSize > 0) {
      for (const oldest of this.keys()) {
        if (this.size < this.maxSize) break;
        super.delete(oldest);
      }
    }
    return super.set(key, value);
  }
}
