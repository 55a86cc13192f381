import type { NewUser, User } from './user.js';

export interface UserRepository {
  /** Stores a new account; throws EmailTaken when the e-mail (any case) is already used. */
  add(user: NewUser): Promise<User>;
  get(id: number): Promise<User | null>;
  findByEmail(email: string): Promise<User | null>;
}
