import type { Container } from 'inversify';
import type { Knex } from 'knex';
import { EmailTaken } from '../domain/user/errors.js';
import type { Role } from '../domain/user/user.js';
import type { DemoDataMode } from './config.js';
import { resolve, TOKENS } from './container.js';
import { demoPasswordsFile, demoPasswordsFor, readDemoPasswords } from './secrets.js';

export interface DemoLogin {
  role: Role;
  email: string;
  /** Null when this start cannot know it (changed since, or set from another data directory). */
  password: string | null;
  /** What the account holds to start with, for the banner (a buyer's balance). */
  note: string | null;
}

/** What start-up did about demo data, for the banner and the log. */
export type DemoDataReport =
  | { state: 'loaded'; logins: DemoLogin[]; products: number; coupons: string[]; passwordsFile: string | null }
  | { state: 'present'; logins: DemoLogin[] }
  /** The database holds accounts of its own: demo data is never mixed into a real shop. */
  | { state: 'skipped' };

/** The published demo password: only when DEMO_DATA=true asks for it (docs, demos, outside test harnesses). */
export const DEMO_PASSWORD = 'demo-pass-1234';

const ACCOUNTS = [
  { email: 'admin@demo.shop', name: 'Demo Admin', role: 'ADMIN', adminCode: 'DEMO-ADMIN', introduction: 'Runs the demo shop' },
  { email: 'seller@demo.shop', name: 'Demo Seller', role: 'SELLER', businessNumber: '123-45-67890', introduction: 'Sells shoes and bags' },
  { email: 'buyer1@demo.shop', name: 'Kim Buyer', role: 'BUYER' },
  { email: 'buyer2@demo.shop', name: 'Lee Buyer', role: 'BUYER' },
] as const;

/** A believable little shop: several categories, sizes, a few nearly sold out, one stopped. */
const CATALOG: { name: string; category: string; price: number; description: string; options: [string, number][]; discontinued?: boolean }[] = [
  { name: 'Trail Runner 2', category: 'shoes', price: 89_000, description: 'Light trail running shoe with a grippy sole', options: [['240', 12], ['250', 20], ['260', 4], ['270', 0]] },
  { name: 'City Sneaker', category: 'shoes', price: 64_000, description: 'Everyday leather sneaker', options: [['240', 30], ['250', 30], ['260', 30], ['270', 30]] },
  { name: 'Canvas Slip-on', category: 'shoes', price: 39_000, description: 'Washable canvas slip-on', options: [['230', 2], ['240', 2], ['250', 1]] },
  { name: 'Rain Boot', category: 'shoes', price: 52_000, description: 'Tall rubber boot', options: [['240', 0], ['250', 0]] },
  { name: 'Daypack 20L', category: 'bags', price: 45_000, description: 'Water-resistant daypack with laptop sleeve', options: [['black', 25], ['navy', 8]] },
  { name: 'Leather Tote', category: 'bags', price: 129_000, description: 'Full-grain leather tote', options: [['tan', 5]] },
  { name: 'Crossbody Mini', category: 'bags', price: 33_000, description: 'Small crossbody bag', options: [['black', 40], ['olive', 40], ['beige', 2]] },
  { name: 'Down Jacket', category: 'outerwear', price: 189_000, description: 'Warm 700-fill down jacket', options: [['S', 6], ['M', 10], ['L', 10], ['XL', 3]] },
  { name: 'Windbreaker', category: 'outerwear', price: 59_000, description: 'Packable windbreaker', options: [['M', 15], ['L', 15]] },
  { name: 'Wool Beanie', category: 'accessories', price: 19_000, description: 'Merino wool beanie', options: [['one size', 100]] },
  { name: 'Sport Socks 3-pack', category: 'accessories', price: 12_000, description: 'Cushioned running socks', options: [['M', 60], ['L', 60]] },
  { name: 'Classic Cap', category: 'accessories', price: 25_000, description: 'Last season\'s cap', options: [['one size', 10]], discontinued: true },
];

/** Coupons to try: a limited first-come-first-served one, and an open one with a minimum. */
const COUPONS = [
  { code: 'WELCOME10', name: '10% off, at most 20,000 won', type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 20_000, totalQuantity: 100 },
  { code: 'FIVETHOUSAND', name: '5,000 won off orders from 50,000 won', type: 'FIXED', discountValue: 5_000, minOrderAmount: 50_000, perUserLimit: 3 },
] as const;
const COUPON_DAYS = 90;

/** Each demo buyer starts with this much, charged through the wallet so the ledger is right. */
const DEMO_BALANCE = 500_000;

/**
 * Loads the demo accounts, catalog and coupons into an empty database, or reports the demo
 * data an earlier start loaded. "Empty" means no demo account yet and no account but the
 * configured ADMIN (ensured just before, so ADMIN_EMAIL does not keep demo data out).
 */
export async function loadDemoData(
  container: Container,
  db: Knex | null,
  options: { mode: Exclude<DemoDataMode, 'off'>; dataDir: string; configuredAdminEmail: string | null },
): Promise<DemoDataReport> {
  const logger = resolve(container, TOKENS.logger);
  const found = await existingData(container, db, options.configuredAdminEmail);
  if (found === 'other-accounts') {
    logger.info('demo data not loaded: the database already has accounts of its own');
    return { state: 'skipped' };
  }
  if (found === 'demo') return { state: 'present', logins: await knownLogins(container, options.dataDir) };

  const emails = ACCOUNTS.map((a) => a.email);
  const passwords: Record<string, string> =
    options.mode === 'fixed-passwords'
      ? Object.fromEntries(emails.map((email) => [email, DEMO_PASSWORD]))
      : await demoPasswordsFor(options.dataDir, emails);
  try {
    await load(container, passwords);
  } catch (error) {
    // Another instance loading the same empty database at the same moment won the first account.
    if (error instanceof EmailTaken) return { state: 'present', logins: await knownLogins(container, options.dataDir) };
    throw error;
  }
  const report: DemoDataReport = {
    state: 'loaded',
    logins: ACCOUNTS.map((a) => ({ role: a.role, email: a.email, password: passwords[a.email] ?? null, note: noteOf(a.role) })),
    products: CATALOG.length,
    coupons: COUPONS.map((c) => c.code),
    passwordsFile: options.mode === 'random-passwords' ? demoPasswordsFile(options.dataDir) : null,
  };
  logger.info('demo data loaded', {
    accounts: ACCOUNTS.map((a) => ({ role: a.role, email: a.email })),
    products: report.products,
    coupons: report.coupons,
    passwords: options.mode === 'random-passwords' ? `generated, kept in ${report.passwordsFile}` : 'the published demo password',
  });
  return report;
}

async function existingData(container: Container, db: Knex | null, configuredAdminEmail: string | null): Promise<'none' | 'demo' | 'other-accounts'> {
  const demoAdmin = ACCOUNTS[0].email;
  if (!db) {
    // The in-memory adapters start empty but for the configured ADMIN.
    return (await resolve(container, TOKENS.users).findByEmail(demoAdmin)) ? 'demo' : 'none';
  }
  const [row] = await db('users').select(
    db.raw('count(*) FILTER (WHERE lower(email) = ?) AS demo', [demoAdmin]),
    db.raw('count(*) FILTER (WHERE lower(email) <> ?) AS others', [configuredAdminEmail?.trim().toLowerCase() ?? '']),
  );
  const { demo, others } = row as { demo: string | number; others: string | number };
  if (Number(demo) > 0) return 'demo';
  return Number(others) > 0 ? 'other-accounts' : 'none';
}

/**
 * The logins of demo data already in the database, each password only when it is certainly the
 * account's own: the one this DATA_DIR keeps, or the published one, checked against the stored
 * hash. A password changed since, or generated by another data directory, is never printed.
 */
async function knownLogins(container: Container, dataDir: string): Promise<DemoLogin[]> {
  const users = resolve(container, TOKENS.users);
  const hasher = resolve(container, TOKENS.passwordHasher);
  const kept = await readDemoPasswords(dataDir);
  const logins: DemoLogin[] = [];
  for (const account of ACCOUNTS) {
    const user = await users.findByEmail(account.email);
    if (!user) continue;
    let password: string | null = null;
    for (const candidate of new Set([kept[account.email], DEMO_PASSWORD])) {
      if (candidate && (await hasher.verify(candidate, user.passwordHash))) {
        password = candidate;
        break;
      }
    }
    logins.push({ role: user.role, email: account.email, password, note: noteOf(account.role) });
  }
  return logins;
}

function noteOf(role: Role): string | null {
  return role === 'BUYER' ? `balance ${DEMO_BALANCE.toLocaleString('en-US')} to start with` : null;
}

async function load(container: Container, passwords: Record<string, string>): Promise<void> {
  const register = resolve(container, TOKENS.registerAccount);
  const charge = resolve(container, TOKENS.chargeWallet);
  const policy = resolve(container, TOKENS.config).wallet;
  const listForSale = resolve(container, TOKENS.listProductForSale);
  const changeProduct = resolve(container, TOKENS.changeProduct);
  const createCoupon = resolve(container, TOKENS.createCoupon);
  let adminId = 0;
  for (const account of ACCOUNTS) {
    const password = passwords[account.email];
    if (!password) throw new Error(`no demo password for ${account.email}`);
    const user = await register.execute(account, password);
    if (account.role === 'ADMIN') adminId = user.id;
    if (account.role === 'SELLER') {
      const seller = { userId: user.id, role: 'SELLER' as const };
      for (const item of CATALOG) {
        const product = await listForSale.execute(seller, {
          name: item.name,
          description: item.description,
          category: item.category,
          price: item.price,
          options: item.options.map(([name, stock]) => ({ name, stock })),
        });
        if (item.discontinued) await changeProduct.execute(seller, product.id, { status: 'DISCONTINUED' });
      }
      const now = resolve(container, TOKENS.clock).now();
      for (const coupon of COUPONS) {
        await createCoupon.execute(seller, { ...coupon, validFrom: now, validUntil: new Date(now.getTime() + COUPON_DAYS * 86_400_000) });
      }
    }
    if (account.role === 'BUYER') {
      for (let charged = 0; charged < DEMO_BALANCE; charged += policy.maxCharge) {
        await charge.execute({ userId: adminId, role: 'ADMIN' }, { userId: user.id, amount: Math.min(policy.maxCharge, DEMO_BALANCE - charged) });
      }
    }
  }
}
