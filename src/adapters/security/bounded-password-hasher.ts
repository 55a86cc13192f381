import { type PasswordHasher, PasswordHasherBusy } from '../../application/ports/password-hasher.js';

export interface HashingBounds {
  /** Hashes run at once; 0: no bound. */
  concurrency: number;
  /** Hashes waiting for a turn beyond those; 0: no bound. Past it a hash is refused at once. */
  queue: number;
}

/** What a refused caller is told to wait: a full queue drains in about this long at the default cost. */
const RETRY_AFTER_SECONDS = 1;

/**
 * A semaphore around a PasswordHasher. Every hash (sign-up) and verification (login, the decoy
 * for unknown e-mails) takes a turn, so a login flood uses at most `concurrency` cores' worth of
 * scrypt and `concurrency` × 32 MiB, instead of as many as there are requests in flight. Waiters
 * go in arrival order; past the queue a caller gets PasswordHasherBusy at once.
 */
export class BoundedPasswordHasher implements PasswordHasher {
  private running = 0;
  /** Each waiter's turn: called by whoever finishes, who hands over their slot. */
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly inner: PasswordHasher,
    private readonly bounds: HashingBounds,
  ) {}

  hash(password: string): Promise<string> {
    return this.inTurn(() => this.inner.hash(password));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.inTurn(() => this.inner.verify(password, hash));
  }

  private async inTurn<T>(work: () => Promise<T>): Promise<T> {
    const { concurrency, queue } = this.bounds;
    if (concurrency <= 0) return work();
    if (this.running < concurrency) {
      this.running += 1;
    } else {
      if (queue > 0 && this.waiting.length >= queue) throw new PasswordHasherBusy(RETRY_AFTER_SECONDS);
      // The slot is handed over as it is: `running` stays the same, so no newcomer can jump the queue.
      await new Promise<void>((turn) => this.waiting.push(turn));
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
