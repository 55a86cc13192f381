import type { Container } from 'inversify';
import type { Knex } from 'knex';
import { resolve, TOKENS } from './container.js';

export interface DemoLogin {
  role: string;
  email: string;
  password: string;
}

export const DEMO_PASSWORD = 'demo-pass-1234';

const ACCOUNTS = [
  { email: 'admin@demo.shop', name: 'Demo Admin', role: 'ADMIN', adminCode: 'DEMO-ADMIN', introduction: 'Runs the demo shop' },
  { email: 'seller@demo.shop', name: 'Demo Seller', role: 'SELLER', businessNumber: '123-45-67890', introduction: 'Sells shoes and bags' },
  { email: 'buyer1@demo.shop', name: 'Kim Buyer', role: 'BUYER' },
  { email: 'buyer2@demo.shop', name: 'Lee Buyer', role: 'BUYER' },
] as const;

/** Each demo buyer starts with this much, charged through the wallet so the ledger is right. */
const DEMO_BALANCE = 500_000;

/** Loads the demo accounts and balances into an empty database; does nothing otherwise. */
export async function loadDemoData(container: Container, db: Knex | null): Promise<DemoLogin[] | null> {
  const users = resolve(container, TOKENS.users);
  if (db) {
    const [row] = await db('users').count<{ count: string | number }[]>({ count: '*' });
    if (Number(row?.count ?? 0) > 0) return null;
  } else if (await users.findByEmail(ACCOUNTS[0].email)) {
    return null;
  }
  const register = resolve(container, TOKENS.registerAccount);
  const charge = resolve(container, TOKENS.chargeWallet);
  const policy = resolve(container, TOKENS.config).wallet;
  let adminId = 0;
  for (const account of ACCOUNTS) {
    const user = await register.execute(account, DEMO_PASSWORD);
    if (account.role === 'ADMIN') adminId = user.id;
    if (account.role === 'BUYER') {
      for (let charged = 0; charged < DEMO_BALANCE; charged += policy.maxCharge) {
        await charge.execute({ userId: adminId, role: 'ADMIN' }, { userId: user.id, amount: Math.min(policy.maxCharge, DEMO_BALANCE - charged) });
      }
    }
  }
  return ACCOUNTS.map((a) => ({ role: a.role, email: a.email, password: DEMO_PASSWORD }));
}
