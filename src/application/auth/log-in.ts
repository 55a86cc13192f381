import { AuthenticationFailed, TooManyFailures } from '../../domain/shared/errors.js';
import { AccountSuspended } from '../../domain/user/errors.js';
import { normalizeEmail } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { FailureLimiter } from '../ports/failure-limiter.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { IssuedToken, TokenService } from '../ports/token-service.js';

export const LOGIN_ACTION = 'login';

export interface LogInInput {
  email: string;
  password: string;
}

/**
 * Checks credentials and issues a token. Consecutive failures for one account block its logins
 * for a while, whoever is trying: the counter is per account, not per client.
 */
export class LogIn {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly failures: FailureLimiter,
    /** Checked against when the e-mail is unknown, so both cases take as long. */
    private readonly decoyHash: string,
  ) {}

  async execute(input: LogInInput): Promise<IssuedToken> {
    const account = normalizeEmail(input.email);
    const blockedFor = await this.failures.blockedFor(LOGIN_ACTION, account);
    if (blockedFor > 0) {
      throw new TooManyFailures(blockedFor, 'Too many failed logins for this account; try again later');
    }
    const user = await this.users.findByEmail(account);
    const matches = await this.hasher.verify(input.password, user?.passwordHash ?? this.decoyHash);
    if (!user || !matches) {
      await this.failures.recordFailure(LOGIN_ACTION, account);
      throw new AuthenticationFailed('Wrong e-mail or password');
    }
    await this.failures.reset(LOGIN_ACTION, account);
    if (!user.isActive()) throw new AccountSuspended();
    return this.tokens.issue({ userId: user.id, role: user.role, tokenVersion: user.tokenVersion });
  }
}
