import type { Clock } from '../../domain/shared/clock.js';
import { ValidationFailed } from '../../domain/shared/errors.js';
import { type AccountDetails, MIN_PASSWORD_LENGTH, type NewUser, User } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import { Wallet, type WalletRepository } from '../wallet/published.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/** An account checked and with its password hashed: what `prepare` hands to `complete`. */
export type PreparedAccount = NewUser;

/**
 * Creates an account and its empty wallet together. Shared by sign-up, accounts made by an
 * admin, and the admin ensured at start-up.
 *
 * In two steps, because hashing is slow on purpose (about 100 ms of CPU and 32 MiB): `prepare`
 * checks and hashes with no transaction open, `complete` stores in one. A caller that wraps the
 * storing in a larger transaction (an Idempotency-Key's record) runs `prepare` before opening
 * it, so no pooled connection waits on the hash.
 */
export class RegisterAccount {
  constructor(
    private readonly users: UserRepository,
    private readonly wallets: WalletRepository,
    private readonly hasher: PasswordHasher,
    private readonly transactions: TransactionManager,
    private readonly clock: Clock,
  ) {}

  async prepare(details: AccountDetails, password: string): Promise<PreparedAccount> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new ValidationFailed([
        { field: 'password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` },
      ]);
    }
    const passwordHash = await this.hasher.hash(password);
    return User.register(details, passwordHash, this.clock.now());
  }

  async complete(account: PreparedAccount): Promise<User> {
    return this.transactions.run(async () => {
      const user = await this.users.add(account);
      await this.wallets.add(Wallet.open(user.id, account.createdAt));
      return user;
    });
  }

  async execute(details: AccountDetails, password: string): Promise<User> {
    return this.complete(await this.prepare(details, password));
  }
}
