import type { NewUser, User, UserAccess } from './user.js';

export interface UserRepository {
  /** Stores a new account; throws EmailTaken when the e-mail (any case) is already used. */
  add(user: NewUser): Promise<User>;
  get(id: number): Promise<User | null>;
  /**
   * The user's role, status and token version: read on every authenticated request whose user is
   * not cached, so adapters may gather the reads of many requests into one query.
   */
  accessOf(id: number): Promise<UserAccess | null>;
  findByEmail(email: string): Promise<User | null>;
  /**
   * Stores a changed role (with its fields), status or password, if the user's token version is
   * still the one it was loaded with (else ConcurrentModification: someone changed them since).
   * Returns the user as stored: a change of role, password or status has moved the token
   * version on, ending every token issued before.
   */
  save(user: User): Promise<User>;
}
