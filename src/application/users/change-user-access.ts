import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertMayChangeAccessOf } from '../../domain/user/actor.js';
import type { RoleChange, User, UserStatus } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';
import type { AccessStates } from '../auth/authenticate.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

export interface UserAccessChange {
  role?: RoleChange['role'];
  businessNumber?: string;
  adminCode?: string;
  status?: UserStatus;
}

/**
 * An ADMIN changes another user's role (with the field the role needs) and/or status. A real
 * change ends every token the user holds, so a demoted ADMIN's tokens stop working as ADMIN's
 * and a SUSPENDED user's stop working at all.
 */
export class ChangeUserAccess {
  constructor(
    private readonly users: UserRepository,
    private readonly transactions: TransactionManager,
    private readonly accessStates: AccessStates,
  ) {}

  async execute(actor: Actor, userId: number, change: UserAccessChange): Promise<User> {
    assertMayChangeAccessOf(actor, userId);
    return this.transactions.run(async () => {
      const user = await this.users.get(userId);
      if (!user) throw new NotFound('User', userId);
      if (change.role) {
        user.changeRole({ role: change.role, businessNumber: change.businessNumber ?? null, adminCode: change.adminCode ?? null });
      }
      if (change.status) user.changeStatus(change.status);
      const saved = await this.users.save(user);
      await this.accessStates.changed(saved);
      return saved;
    });
  }
}
