import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { AccountDetails, User } from '../../domain/user/user.js';
import type { PreparedAccount, RegisterAccount } from '../auth/register-account.js';

export interface CreateAccountInput extends AccountDetails {
  password: string;
}

/**
 * Only an ADMIN opens SELLER and ADMIN accounts (or BUYER ones on someone's behalf). Permission
 * is checked in `prepare`, before the password is hashed; `complete` stores what it prepared.
 */
export class CreateAccount {
  constructor(private readonly register: RegisterAccount) {}

  async prepare(actor: Actor, input: CreateAccountInput): Promise<PreparedAccount> {
    assertRole(actor, 'ADMIN');
    const { password, ...details } = input;
    return this.register.prepare(details, password);
  }

  complete(account: PreparedAccount): Promise<User> {
    return this.register.complete(account);
  }

  async execute(actor: Actor, input: CreateAccountInput): Promise<User> {
    return this.complete(await this.prepare(actor, input));
  }
}
