import { EmailTaken } from '../../domain/user/errors.js';
import { type NewUser, normalizeEmail, User, type UserSnapshot } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import { MemorySequence, MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

export class MemoryUserRepository implements UserRepository {
  private readonly users: MemoryTable<number, UserSnapshot>;
  private readonly ids = new MemorySequence();

  constructor(transactions: MemoryTransactionManager) {
    this.users = new MemoryTable(transactions);
  }

  async add(user: NewUser): Promise<User> {
    if (await this.findByEmail(user.email)) throw new EmailTaken(user.email);
    const snapshot: UserSnapshot = { ...user, id: this.ids.next() };
    this.users.set(snapshot.id, snapshot);
    return User.fromSnapshot(snapshot);
  }

  async get(id: number): Promise<User | null> {
    const row = this.users.get(id);
    return row ? User.fromSnapshot(row) : null;
  }

  async findByEmail(email: string): Promise<User | null> {
    const wanted = normalizeEmail(email);
    const row = this.users.values().find((u) => normalizeEmail(u.email) === wanted);
    return row ? User.fromSnapshot(row) : null;
  }
}
