import type { Redis } from 'ioredis';
import type { Cache } from '../../application/ports/cache.js';
import type { Logger } from '../../application/ports/logger.js';
import type { InProcessCache } from '../memory/in-process-cache.js';

/**
 * An in-process cache whose invalidations reach every instance through Redis pub/sub. Reads never
 * leave the process: a hit costs no round trip and a miss only its load, which suits what every
 * authenticated request reads (who a token's user is now). An invalidation clears the namespace
 * here at once and on the other instances as soon as Redis delivers the message; a reader racing
 * it can only store its load under the namespace's old generation, where nobody looks.
 *
 * Pub/sub delivers at most once: a message sent while this instance's subscriber was away is
 * lost. So while it is not subscribed (starting, Redis down) reads go straight to the loader, as
 * with a Redis-held cache whose Redis is down, and each time it subscribes again everything
 * cached before is dropped.
 */
export class RedisBroadcastCache implements Cache {
  private readonly subscriber: Redis;
  /** True while subscribed: only then can this instance hear of other instances' changes. */
  private listening = false;
  /** Settles the first time the subscription is in place. */
  readonly subscribed: Promise<void>;

  constructor(
    private readonly local: InProcessCache,
    private readonly publisher: Redis,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    // Its own connection (a subscribed one can do nothing else), with no command timeout: it waits.
    this.subscriber = publisher.duplicate({ enableOfflineQueue: false, autoResubscribe: false, commandTimeout: undefined });
    let firstSubscription!: () => void;
    this.subscribed = new Promise((resolve) => (firstSubscription = resolve));
    this.subscriber.on('error', () => undefined); // the publisher's client already reports Redis down
    this.subscriber.on('close', () => (this.listening = false));
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(channel).then(
        () => {
          // Whatever was cached before may have missed a message: start afresh.
          local.forgetEverything();
          this.listening = true;
          firstSubscription();
        },
        (error: unknown) => this.warn('subscribe', error),
      );
    });
    this.subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const namespaces = parseNamespaces(message);
      if (namespaces) void local.invalidate(...namespaces);
      else local.forgetEverything();
    });
  }

  getOrLoad<T>(namespace: string, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
    // Deaf to other instances' changes, a cached value could outlive one: read through instead.
    return this.listening ? this.local.getOrLoad(namespace, key, ttlSeconds, load) : load();
  }

  async invalidate(...namespaces: string[]): Promise<void> {
    if (namespaces.length === 0) return;
    await this.local.invalidate(...namespaces);
    try {
      await this.publisher.publish(this.channel, JSON.stringify(namespaces));
    } catch (error) {
      this.warn('invalidate', error);
    }
  }

  /** Ends the subscriber's connection (the publisher belongs to whoever gave it). */
  close(): void {
    this.subscriber.disconnect();
  }

  private warn(operation: string, error: unknown): void {
    this.logger.warn('cache: Redis unavailable, other instances learn of this change only through the TTL', {
      operation,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}

/** The namespaces a message names; null when it is not a message of ours. */
function parseNamespaces(message: string): string[] | null {
  try {
    const parsed: unknown = JSON.parse(message);
    return Array.isArray(parsed) && parsed.every((n) => typeof n === 'string') ? parsed : null;
  } catch {
    return null;
  }
}
