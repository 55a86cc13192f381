import type { User } from '../../domain/user/user.js';
import type { RunsAs } from '../idempotency/run-idempotently.js';
import { assertWithinLimit, type RateLimiter } from '../ports/rate-limiter.js';
import type { PreparedAccount, RegisterAccount } from './register-account.js';

/** Sign-ups a client address may make a minute (RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP). */
export const SIGNUP_RATE_LIMIT = 'signups-per-address';

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

/**
 * Anyone may sign up; sign-up only ever makes BUYERs. `prepare` (the password hash) and
 * `complete` (the rows) are apart so a caller can keep the hash out of its transaction.
 */
export class SignUp implements RunsAs<string> {
  constructor(
    private readonly register: RegisterAccount,
    private readonly rateLimiter: RateLimiter,
  ) {}

  /**
   * At most RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP sign-ups a client address. Apart from the rest
   * so the caller asks it before any transaction opens (Redis) and never for a replay.
   */
  async admit(clientAddress: string): Promise<void> {
    await assertWithinLimit(this.rateLimiter, SIGNUP_RATE_LIMIT, clientAddress, 'Too many sign-ups from this address; wait a moment');
  }

  prepare(input: SignUpInput): Promise<PreparedAccount> {
    return this.register.prepare({ email: input.email, name: input.name, role: 'BUYER' }, input.password);
  }

  complete(account: PreparedAccount): Promise<User> {
    return this.register.complete(account);
  }

  async execute(input: SignUpInput): Promise<User> {
    return this.complete(await this.prepare(input));
  }
}
