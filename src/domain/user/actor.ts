import { Forbidden } from '../shared/errors.js';
import type { Role } from './user.js';

/** Who is making a request: enough to decide what they may touch. */
export interface Actor {
  userId: number;
  role: Role;
}

/** A BUYER (or SELLER) acts only on their own resources; an ADMIN on everyone's. */
export function assertActsFor(actor: Actor, ownerId: number): void {
  if (actor.role !== 'ADMIN' && actor.userId !== ownerId) {
    throw new Forbidden('You may only act on your own resources');
  }
}

export function assertRole(actor: Actor, ...roles: Role[]): void {
  if (!roles.includes(actor.role)) {
    throw new Forbidden(`This requires the role ${roles.join(' or ')}`);
  }
}
