import type { Clock } from '../../domain/shared/clock.js';
import type { Actor } from '../../domain/user/actor.js';
import { DomainError, RateLimited } from '../../domain/shared/errors.js';
import type { IdempotencyScope, IdempotencyStore, StoredResponse } from '../ports/idempotency-store.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

export class IdempotencyInProgress extends DomainError {
  readonly code = 'IDEMPOTENCY_IN_PROGRESS' as const;
  constructor() {
    super('A request with this Idempotency-Key is still being processed');
  }
}

/** The rate limit on new keys: each one is a row kept for the retention period. */
export const NEW_IDEMPOTENCY_KEY_RATE_LIMIT = 'idempotency-key';

export class IdempotencyKeyReused extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED' as const;
  constructor() {
    super('This Idempotency-Key was already used for a different request');
  }
}

/**
 * How a state-changing use case is run, declared by the use case itself: the idempotency runner
 * reads it, so a route hands over the use case, never a recipe for running it.
 * `Who` is whom admission counts: the acting user, or for an anonymous use case (sign-up) the
 * client's address.
 */
export interface RunsAs<Who = Actor> {
  /**
   * True (or left out): the runner wraps the work and the idempotency record in one transaction.
   * False: the use case opens its own transactions around a network call (an external payment
   * gateway, the coupon issue gate), and the record is written right after (see
   * IdempotentRequest.atomic).
   */
  readonly transactional?: boolean;
  /**
   * Admission checks (rate limits, failure blocks) that call out (Redis): run before any
   * transaction opens, and only for a request that will really be worked on, never for a replay.
   */
  admit?(who: Who): Promise<void>;
}

/** What most use cases are: one transaction, no admission checks. */
export const ONE_TRANSACTION: RunsAs<never> = { transactional: true };

export interface IdempotentRequest<P = undefined> {
  /** Absent: the request is simply run once, in one transaction. */
  scope: IdempotencyScope | null;
  /** Identifies the request's content (method, path, body). */
  fingerprint: string;
  /**
   * False for work that opens its own transactions around a network call (an external payment
   * gateway): it is not wrapped, and the answer is recorded right after it. A crash in between
   * leaves the claim to expire; a retry then meets the work's own state checks (e.g. an order
   * already paid is 409), so nothing is done twice. Default true.
   */
  atomic?: boolean;
  /**
   * Admission checks (rate limits, failure blocks): run only for a request that will really be
   * worked on — never for a replay, which returns the first answer whatever the limits say — and
   * before any transaction opens, since they may call out (Redis).
   */
  admit?: () => Promise<void>;
  /**
   * Who a newly claimed key is counted against (the user; for anonymous requests, the client's
   * address), so that no one grows the key store without bound. Absent: not counted.
   */
  claimant?: string;
  /**
   * Slow work that needs no database (hashing a password): run after the key is claimed and the
   * request admitted, and before the transaction opens, so no pooled connection sits idle in a
   * transaction while the CPU is busy. Its result is handed to the work. Never run for a replay.
   */
  prepare?: () => Promise<P>;
}

export interface IdempotentOutcome {
  response: StoredResponse;
  replayed: boolean;
}

/**
 * The one mechanism behind every `Idempotency-Key`: the first request claims the key, does its
 * work and records its answer in the same transaction as the change, so the change and the
 * record commit together or not at all. A duplicate replays the recorded answer, a duplicate
 * with a different body is refused, and one that arrives while the first is still running is
 * told so. A failed request gives the key back, so the client may retry it.
 */
export class RunIdempotently {
  constructor(
    private readonly store: IdempotencyStore,
    private readonly transactions: TransactionManager,
    private readonly clock: Clock,
    /** Absent: new keys are not limited. */
    private readonly rateLimiter?: RateLimiter,
  ) {}

  async execute<P = undefined>(
    request: IdempotentRequest<P>,
    work: (prepared: P) => Promise<StoredResponse>,
  ): Promise<IdempotentOutcome> {
    const { scope } = request;
    // Without `prepare`, P is undefined and so is what the work gets. A step the request does not
    // have is not awaited: each await is a promise and a turn of the microtask queue, per request.
    if (!scope) {
      if (request.admit) await request.admit();
      const prepared = request.prepare ? await request.prepare() : (undefined as P);
      const response = request.atomic === false ? await work(prepared) : await this.transactions.run(() => work(prepared));
      return { response, replayed: false };
    }
    const claim = await this.store.claim(scope, request.fingerprint, this.clock.now());
    switch (claim.kind) {
      case 'replay':
        return { response: claim.response, replayed: true };
      case 'in-progress':
        throw new IdempotencyInProgress();
      case 'mismatch':
        throw new IdempotencyKeyReused();
      case 'claimed':
        break;
    }
    try {
      // Only a key claimed now is counted: a replay above was answered whatever the limits say.
      if (this.rateLimiter && request.claimant !== undefined) {
        const retryAfter = await this.rateLimiter.take(NEW_IDEMPOTENCY_KEY_RATE_LIMIT, request.claimant);
        if (retryAfter > 0) throw new RateLimited(retryAfter, 'Too many new Idempotency-Keys; wait a moment');
      }
      if (request.admit) await request.admit();
      const prepared = request.prepare ? await request.prepare() : (undefined as P);
      if (request.atomic === false) {
        const answer = await work(prepared);
        await this.transactions.run(() => this.store.complete(scope, answer, this.clock.now()));
        return { response: answer, replayed: false };
      }
      const response = await this.transactions.run(async () => {
        const answer = await work(prepared);
        await this.store.complete(scope, answer, this.clock.now());
        return answer;
      });
      return { response, replayed: false };
    } catch (error) {
      await this.store.release(scope);
      throw error;
    }
  }
}
