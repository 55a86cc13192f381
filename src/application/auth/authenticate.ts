import { AuthenticationFailed } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { User, UserAccess } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { Cache } from '../ports/cache.js';
import type { TokenService } from '../ports/token-service.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

const STATE_KEY = 'state';

function namespaceOf(userId: number): string {
  return `user-access:${userId}`;
}

export interface AccessStateSettings {
  /** How long a user's role, status and token version may be served from the cache; 0: read on every request. */
  cacheTtlSeconds: number;
}

/**
 * The users' current role, status and token version, read through a short cache. Every change
 * of them forgets the cached copy once it commits (on every instance, when the cache is Redis);
 * a change made behind the service's back (SQL) is seen within the cache's TTL.
 */
export class AccessStates {
  constructor(
    private readonly users: UserRepository,
    private readonly cache: Cache,
    private readonly transactions: TransactionManager,
    private readonly settings: AccessStateSettings,
  ) {}

  /** Not async itself: on the hot path every extra await is a tick of every request. */
  of(userId: number): Promise<UserAccess | null> {
    return this.cache.getOrLoad(namespaceOf(userId), STATE_KEY, this.settings.cacheTtlSeconds, () => this.users.accessOf(userId));
  }

  /** Call inside the transaction that changes the user: forgets the cached state after it commits. */
  async changed(user: User): Promise<void> {
    await this.transactions.afterCommit(() => this.cache.invalidate(namespaceOf(user.id)));
  }
}

/**
 * Who a Bearer token speaks for, on every authenticated request: the token must be sound
 * (signature, expiry), its user must still exist and be ACTIVE, and the token must carry the
 * user's current token version, so a change of role, password or status ends older tokens. The
 * role is the user's current one, never the one the token was issued with.
 */
export class Authenticate {
  constructor(
    private readonly tokens: TokenService,
    private readonly states: AccessStates,
  ) {}

  async execute(token: string): Promise<Actor> {
    const claims = this.tokens.verify(token);
    const state = await this.states.of(claims.userId);
    if (!state) throw new AuthenticationFailed('The token is not valid: its user does not exist');
    if (state.tokenVersion !== claims.tokenVersion || state.status !== 'ACTIVE') {
      throw new AuthenticationFailed('The token has been ended (password, role or status changed); log in again');
    }
    return { userId: claims.userId, role: state.role };
  }
}
