import { ConcurrentModification } from '../../domain/shared/errors.js';
import { EmailTaken } from '../../domain/user/errors.js';
import { type NewUser, normalizeEmail, type Role, User, type UserStatus } from '../../domain/user/user.js';
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

export class PostgresUserRepository implements UserRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

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

  async get(id: number): Promise<User | null> {
    const row = await this.tx.connection()<UserRow>('users').where({ id }).first();
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
