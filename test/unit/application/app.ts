import { expect } from 'chai';
import type { PasswordHasher } from '../../../src/application/ports/password-hasher.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import type { Role } from '../../../src/domain/user/user.js';
import { resolve, type Token, TOKENS } from '../../../src/infrastructure/container.js';
import { ManualClock } from '../../support/clock.js';
import { uniqueEmail } from '../../support/environment.js';
import { memoryContainer } from '../../support/memory.js';

export const PASSWORD = 'correct-horse-42';
/** A client address (documentation range) for use cases that count per address. */
export const CLIENT = '192.0.2.10';

/** The whole application on memory adapters, with a clock the test moves. */
export async function memoryApp(env: Record<string, string> = {}, adapters: { passwordHasher?: PasswordHasher } = {}) {
  const clock = new ManualClock();
  const container = await memoryContainer({ clock, env, ...adapters });
  const get = <T>(token: Token<T>) => resolve(container, token);
  const app = {
    clock,
    container,
    users: get(TOKENS.users),
    wallets: get(TOKENS.wallets),
    tokens: get(TOKENS.tokens),
    signUp: get(TOKENS.signUp),
    logIn: get(TOKENS.logIn),
    createAccount: get(TOKENS.createAccount),
    ensureAdminAccount: get(TOKENS.ensureAdminAccount),
    chargeWallet: get(TOKENS.chargeWallet),
    getBalance: get(TOKENS.getBalance),
    getBalanceHistory: get(TOKENS.getBalanceHistory),
    getUser: get(TOKENS.getUser),
    transactions: get(TOKENS.transactions),
    runIdempotently: get(TOKENS.runIdempotently),

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
