import type { User } from '../../domain/user/user.js';
import type { RegisterAccount } from './register-account.js';

export interface SignUpInput {
  email: string;
  password: string;
  name: string;
}

/** Anyone may sign up; sign-up only ever makes BUYERs. */
export class SignUp {
  constructor(private readonly register: RegisterAccount) {}

  async execute(input: SignUpInput): Promise<User> {
    return this.register.execute({ email: input.email, name: input.name, role: 'BUYER' }, input.password);
  }
}
