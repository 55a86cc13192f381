import { ConcurrentModification } from '../../domain/shared/errors.js';
import { EmailTaken } from '../../domain/user/errors.js';
import { type NewUser, normalizeEmail, type Role, User, type UserAccess, type UserStatus } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';
import { isUniqueViolation } from './pg-errors.js';

interface UserRow {
  id: string | number;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  introduction: string | null;
  business_number: string | null;
  admin_code: string | null;
  status: UserStatus;
  token_version: number;
  created_at: Date;
}

function toUser(row: UserRow): User {
  return User.fromSnapshot({
    id: Number(row.id),
    email: row.email,
    name: row.name,
    role: row.role,
    passwordHash: row.password_hash,
    introduction: row.introduction,
    businessNumber: row.business_number,
    adminCode: row.admin_code,
    status: row.status,
    tokenVersion: Number(row.token_version),
    createdAt: new Date(row.created_at),
  });
}

interface AccessRow {
  id: string | number;
  role: Role;
  status: UserStatus;
  token_version: number;
}

interface AccessWaiter {
  resolve(access: UserAccess | null): void;
  reject(error: unknown): void;
}

/** At most this many users in one read of access states. */
const ACCESS_BATCH = 500;

export class PostgresUserRepository implements UserRepository {
  /** Access reads asked for in this turn of the event loop, by user: sent together at its end. */
  private waiting = new Map<number, AccessWaiter[]>();

  constructor(private readonly tx: KnexTransactionManager) {}

  /**
   * Outside a transaction (every request's token check), the reads asked for in one turn of the
   * event loop go as one query: under load, hundreds of requests whose users are not cached cost
   * a few round trips instead of one each.
   */
  accessOf(id: number): Promise<UserAccess | null> {
    if (this.tx.connection() !== this.tx.db) return this.readAccess([id]).then((found) => found.get(id) ?? null);
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) setImmediate(() => void this.sendWaitingAccessReads());
      const waiters = this.waiting.get(id);
      if (waiters) waiters.push({ resolve, reject });
      else this.waiting.set(id, [{ resolve, reject }]);
    });
  }

  private async sendWaitingAccessReads(): Promise<void> {
    const batch = [...this.waiting];
    this.waiting = new Map();
    for (let start = 0; start < batch.length; start += ACCESS_BATCH) {
      const part = batch.slice(start, start + ACCESS_BATCH);
      try {
        const found = await this.readAccess(part.map(([id]) => id));
        for (const [id, waiters] of part) for (const w of waiters) w.resolve(found.get(id) ?? null);
      } catch (error) {
        for (const [, waiters] of part) for (const w of waiters) w.reject(error);
      }
    }
  }

  private async readAccess(ids: number[]): Promise<Map<number, UserAccess>> {
    // One statement text whatever the number of ids: the ids travel as one array literal.
    const rows = await this.tx.query<AccessRow>(
      'user_access_by_ids',
      'SELECT id, role, status, token_version FROM users WHERE id = ANY(?::bigint[])',
      [`{${ids.join(',')}}`],
    );
    return new Map(rows.map((r) => [Number(r.id), { role: r.role, status: r.status, tokenVersion: Number(r.token_version) }]));
  }

  async add(user: NewUser): Promise<User> {
    try {
      const [row] = await this.tx
        .connection()<UserRow>('users')
        .insert({
          email: user.email,
          name: user.name,
          role: user.role,
          password_hash: user.passwordHash,
          introduction: user.introduction,
          business_number: user.businessNumber,
          admin_code: user.adminCode,
          status: user.status,
          created_at: user.createdAt,
        })
        .returning('*');
      return toUser(row as UserRow);
    } catch (error) {
      if (isUniqueViolation(error, 'users_email_lower_key')) throw new EmailTaken(user.email);
      throw error;
    }
  }

  /** A named prepared statement: every authenticated request whose user is not cached reads this. */
  async get(id: number): Promise<User | null> {
    const [row] = await this.tx.query<UserRow>('user_by_id', 'SELECT * FROM users WHERE id = ?', [id]);
    return row ? toUser(row) : null;
  }

  async save(user: User): Promise<User> {
    const u = user.toSnapshot();
    // The version is the database's: the trigger moves it on when role, password or status change.
    const [row] = await this.tx
      .connection()<UserRow>('users')
      .where({ id: u.id, token_version: u.tokenVersion })
      .update({
        role: u.role,
        password_hash: u.passwordHash,
        introduction: u.introduction,
        business_number: u.businessNumber,
        admin_code: u.adminCode,
        status: u.status,
      })
      .returning('*');
    if (!row) throw new ConcurrentModification(`User ${u.id} was changed meanwhile; load it again`);
    return toUser(row as UserRow);
  }

  async findByEmail(email: string): Promise<User | null> {
    const row = await this.tx
      .connection()<UserRow>('users')
      .whereRaw('lower(email) = ?', [normalizeEmail(email)])
      .first();
    return row ? toUser(row) : null;
  }
}
