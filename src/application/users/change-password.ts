import { NotFound, TooManyFailures, ValidationFailed } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { WrongPassword } from '../../domain/user/errors.js';
import { MIN_PASSWORD_LENGTH, type User } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { AccessStates } from '../auth/authenticate.js';
import type { FailureLimiter } from '../ports/failure-limiter.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { IssuedToken, TokenService } from '../ports/token-service.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/** Wrong current passwords count per user, so a stolen token cannot be used to guess the password. */
export const PASSWORD_CHANGE_ACTION = 'password-change';

export interface ChangePasswordInput {
  currentPassword: string;
  newPassword: string;
}

/** A checked request with its new hash, ready to store. */
export interface PreparedPasswordChange {
  readonly user: User;
}

/**
 * A user changes their own password, knowing the current one. Storing it ends every token the
 * user holds (the token version moves on); the answer is a fresh token for the new version.
 * In two steps, so the slow part (checking the current password, hashing the new one) runs with
 * no transaction open: `prepare`, then `apply` inside the request's transaction.
 */
export class ChangePassword {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly failures: FailureLimiter,
    private readonly transactions: TransactionManager,
    private readonly accessStates: AccessStates,
  ) {}

  async execute(actor: Actor, input: ChangePasswordInput): Promise<IssuedToken> {
    return this.apply(await this.prepare(actor, input));
  }

  async prepare(actor: Actor, input: ChangePasswordInput): Promise<PreparedPasswordChange> {
    if (input.newPassword.length < MIN_PASSWORD_LENGTH) {
      throw new ValidationFailed([{ field: 'newPassword', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` }]);
    }
    const subject = String(actor.userId);
    const blockedFor = await this.failures.blockedFor(PASSWORD_CHANGE_ACTION, subject);
    if (blockedFor > 0) throw new TooManyFailures(blockedFor, 'Too many wrong current passwords; try again later');
    const user = await this.users.get(actor.userId);
    if (!user) throw new NotFound('User', actor.userId);
    if (!(await this.hasher.verify(input.currentPassword, user.passwordHash))) {
      await this.failures.recordFailure(PASSWORD_CHANGE_ACTION, subject);
      throw new WrongPassword();
    }
    await this.failures.reset(PASSWORD_CHANGE_ACTION, subject);
    user.changePassword(await this.hasher.hash(input.newPassword));
    return { user };
  }

  /** Stores the new hash if nothing changed since `prepare` (else 409), and issues a token for the new version. */
  async apply(prepared: PreparedPasswordChange): Promise<IssuedToken> {
    return this.transactions.run(async () => {
      const saved = await this.users.save(prepared.user);
      await this.accessStates.changed(saved);
      return this.tokens.issue({ userId: saved.id, role: saved.role, tokenVersion: saved.tokenVersion });
    });
  }
}
