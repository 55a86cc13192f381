import { normalizeEmail } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { RegisterAccount } from '../auth/register-account.js';
import { EmailTaken } from '../../domain/user/errors.js';

export type EnsureAdminResult = 'created' | 'exists';

/**
 * The first ADMIN comes from configuration. Runs at every start-up and on several instances at
 * once, so losing the race to create the account counts as "exists".
 */
export class EnsureAdminAccount {
  constructor(
    private readonly users: UserRepository,
    private readonly register: RegisterAccount,
  ) {}

  async execute(email: string, password: string): Promise<EnsureAdminResult> {
    if (await this.users.findByEmail(normalizeEmail(email))) return 'exists';
    try {
      await this.register.execute(
        { email, name: 'Administrator', role: 'ADMIN', adminCode: 'BOOTSTRAP' },
        password,
      );
      return 'created';
    } catch (error) {
      if (error instanceof EmailTaken) return 'exists';
      throw error;
    }
  }
}
