import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { AccountDetails, User } from '../../domain/user/user.js';
import type { RegisterAccount } from '../auth/register-account.js';

export interface CreateAccountInput extends AccountDetails {
  password: string;
}

/** Only an ADMIN opens SELLER and ADMIN accounts (or BUYER ones on someone's behalf). */
export class CreateAccount {
  constructor(private readonly register: RegisterAccount) {}

  async execute(actor: Actor, input: CreateAccountInput): Promise<User> {
    assertRole(actor, 'ADMIN');
    const { password, ...details } = input;
    return this.register.execute(details, password);
  }
}
