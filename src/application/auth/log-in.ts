import { AuthenticationFailed, TooManyFailures } from '../../domain/shared/errors.js';
import { AccountSuspended } from '../../domain/user/errors.js';
import { normalizeEmail } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { FailureLimiter } from '../ports/failure-limiter.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import { assertWithinLimit, type RateLimiter } from '../ports/rate-limiter.js';
import type { IssuedToken, TokenService } from '../ports/token-service.js';

/** Failed logins of one account from one client address (subject: `<address> <e-mail>`). */
export const LOGIN_ACTION = 'login';
/** Failed logins from one client address, whatever the account (credential stuffing). */
export const LOGIN_FROM_ADDRESS_ACTION = 'login-address';
/** Login attempts a client address may make a minute (RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP). */
export const LOGIN_RATE_LIMIT = 'logins-per-address';

export interface LogInInput {
  email: string;
  password: string;
}

/** What guards login: the attempt rate and the two failure counts, all per client address. */
export interface LoginGuards {
  rateLimiter: RateLimiter;
  /** Per (address, account): FAILURE_BLOCK_THRESHOLD; a success resets it. */
  accountFailures: FailureLimiter;
  /** Per address, any account: LOGIN_FAILURES_PER_ADDRESS; a success never resets it. */
  addressFailures: FailureLimiter;
}

/**
 * Checks credentials and issues a token. Failures are counted per client address, never per
 * account alone, so nobody can lock anyone else out: an address that keeps failing on one
 * account is blocked from that account, one that fails on many accounts is blocked from logging
 * in at all, and the owner logging in from another address is not held up by either.
 */
export class LogIn {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly tokens: TokenService,
    private readonly guards: LoginGuards,
    /** Checked against when the e-mail is unknown, so both cases take as long. */
    private readonly decoyHash: string,
  ) {}

  async execute(input: LogInInput, clientAddress: string): Promise<IssuedToken> {
    await assertWithinLimit(this.guards.rateLimiter, LOGIN_RATE_LIMIT, clientAddress, 'Too many logins from this address; wait a moment');
    const account = normalizeEmail(input.email);
    // The address cannot contain a space (it is an IP address), so the pair reads back unambiguously.
    const pair = `${clientAddress} ${account}`;
    const [addressBlockedFor, pairBlockedFor] = await Promise.all([
      this.guards.addressFailures.blockedFor(LOGIN_FROM_ADDRESS_ACTION, clientAddress),
      this.guards.accountFailures.blockedFor(LOGIN_ACTION, pair),
    ]);
    if (addressBlockedFor > 0) {
      throw new TooManyFailures(addressBlockedFor, 'Too many failed logins from this address; try again later');
    }
    if (pairBlockedFor > 0) {
      throw new TooManyFailures(pairBlockedFor, 'Too many failed logins for this account from this address; try again later');
    }
    const user = await this.users.findByEmail(account);
    const matches = await this.hasher.verify(input.password, user?.passwordHash ?? this.decoyHash);
    if (!user || !matches) {
      await Promise.all([
        this.guards.accountFailures.recordFailure(LOGIN_ACTION, pair),
        this.guards.addressFailures.recordFailure(LOGIN_FROM_ADDRESS_ACTION, clientAddress),
      ]);
      throw new AuthenticationFailed('Wrong e-mail or password');
    }
    // Only this pair's count: were the address's reset too, an attacker holding one valid
    // account could wipe it between guesses at others.
    await this.guards.accountFailures.reset(LOGIN_ACTION, pair);
    if (!user.isActive()) throw new AccountSuspended();
    return this.tokens.issue({ userId: user.id, role: user.role, tokenVersion: user.tokenVersion });
  }
}
