import type { Clock } from '../../domain/shared/clock.js';
import { ValidationFailed } from '../../domain/shared/errors.js';
import { type AccountDetails, MIN_PASSWORD_LENGTH, User } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import { Wallet } from '../../domain/wallet/wallet.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
import type { PasswordHasher } from '../ports/password-hasher.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/**
 * Creates an account and its empty wallet together. Shared by sign-up, accounts made by an
 * admin, and the admin ensured at start-up.
 */
export class RegisterAccount {
  constructor(
    private readonly users: UserRepository,
    private readonly wallets: WalletRepository,
    private readonly hasher: PasswordHasher,
    private readonly transactions: TransactionManager,
    private readonly clock: Clock,
  ) {}

  async execute(details: AccountDetails, password: string): Promise<User> {
    if (password.length < MIN_PASSWORD_LENGTH) {
      throw new ValidationFailed([
        { field: 'password', message: `must be at least ${MIN_PASSWORD_LENGTH} characters` },
      ]);
    }
    // Hashing is slow on purpose: do it before the transaction so no connection waits on it.
    const passwordHash = await this.hasher.hash(password);
    const now = this.clock.now();
    const draft = User.register(details, passwordHash, now);
    return this.transactions.run(async () => {
      const user = await this.users.add(draft);
      await this.wallets.add(Wallet.open(user.id, now));
      return user;
    });
  }
}
