import { ConcurrentModification } from '../../domain/shared/errors.js';
import { EmailTaken } from '../../domain/user/errors.js';
import { type NewUser, normalizeEmail, User, type UserAccess, type UserSnapshot } from '../../domain/user/user.js';
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
    const snapshot: UserSnapshot = { ...user, id: this.ids.next(), tokenVersion: 0 };
    this.users.set(snapshot.id, snapshot);
    return User.fromSnapshot(snapshot);
  }

  async get(id: number): Promise<User | null> {
    const row = this.users.get(id);
    return row ? User.fromSnapshot(row) : null;
  }

  async accessOf(id: number): Promise<UserAccess | null> {
    const row = this.users.get(id);
    return row ? { role: row.role, status: row.status, tokenVersion: row.tokenVersion } : null;
  }

  async save(user: User): Promise<User> {
    const changed = user.toSnapshot();
    const stored = this.users.get(changed.id);
    if (!stored || stored.tokenVersion !== changed.tokenVersion) {
      throw new ConcurrentModification(`User ${changed.id} was changed meanwhile; load it again`);
    }
    // As PostgreSQL's trigger does: a new role, password or status ends the older tokens.
    const endsTokens =
      stored.role !== changed.role || stored.passwordHash !== changed.passwordHash || stored.status !== changed.status;
    const saved: UserSnapshot = {
      ...stored,
      role: changed.role,
      passwordHash: changed.passwordHash,
      introduction: changed.introduction,
      businessNumber: changed.businessNumber,
      adminCode: changed.adminCode,
      status: changed.status,
      tokenVersion: stored.tokenVersion + (endsTokens ? 1 : 0),
    };
    this.users.set(saved.id, saved);
    return User.fromSnapshot(saved);
  }

  async findByEmail(email: string): Promise<User | null> {
    const wanted = normalizeEmail(email);
    const row = this.users.values().find((u) => normalizeEmail(u.email) === wanted);
    return row ? User.fromSnapshot(row) : null;
  }
}
