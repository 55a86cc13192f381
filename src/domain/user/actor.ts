import { Forbidden } from '../shared/errors.js';
import type { Role } from './user.js';

export type { Role };

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

/**
 * Only an ADMIN changes a user's role or status, and never their own: an ADMIN cannot lock
 * themselves out by mistake, and so the shop always keeps the ADMIN who acts.
 */
export function assertMayChangeAccessOf(actor: Actor, userId: number): void {
  assertRole(actor, 'ADMIN');
  if (actor.userId === userId) throw new Forbidden('An ADMIN cannot change their own role or status; another ADMIN can');
}
