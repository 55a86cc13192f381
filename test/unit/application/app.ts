import { expect } from 'chai';
import type { PasswordHasher } from '../../../src/application/ports/password-hasher.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import type { Role } from '../../../src/domain/user/user.js';
import { uniqueEmail } from '../../support/environment.js';
import { memoryShop } from '../../support/memory-shop.js';

export const PASSWORD = 'correct-horse-42';
/** A client address (documentation range) for use cases that count per address. */
export const CLIENT = '192.0.2.10';

/** The use cases on memory adapters (test/support/memory-shop.ts), with a clock the test moves. */
export async function memoryApp(env: Record<string, string> = {}, adapters: { passwordHasher?: PasswordHasher } = {}) {
  const shop = await memoryShop({ env, ...adapters });
  const app = {
    ...shop,

    /** Signs up a BUYER and returns it as an actor. */
    async newBuyer(email = uniqueEmail('buyer')): Promise<Actor & { email: string }> {
      const user = await app.signUp.execute({ email, password: PASSWORD, name: 'Buyer' });
      return { userId: user.id, role: user.role, email };
    },

    /** The start-up ADMIN, as an actor. */
    async admin(): Promise<Actor> {
      const email = uniqueEmail('admin');
      expect(await app.ensureAdminAccount.execute(email, PASSWORD)).to.equal('created');
      const user = await app.users.findByEmail(email);
      if (!user) return expect.fail('the admin was not created');
      return { userId: user.id, role: user.role };
    },
  };
  return app;
}

export type MemoryApp = Awaited<ReturnType<typeof memoryApp>>;

export function actor(userId: number, role: Role): Actor {
  return { userId, role };
}
