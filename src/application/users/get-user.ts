import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertActsFor } from '../../domain/user/actor.js';
import type { User } from '../../domain/user/user.js';
import type { UserRepository } from '../../domain/user/user-repository.js';

export class GetUser {
  constructor(private readonly users: UserRepository) {}

  async execute(actor: Actor, userId: number): Promise<User> {
    assertActsFor(actor, userId);
    const user = await this.users.get(userId);
    if (!user) throw new NotFound('User', userId);
    return user;
  }
}
