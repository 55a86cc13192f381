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
  const listForSale = resolve(container, TOKENS.listProductForSale);
  const changeProduct = resolve(container, TOKENS.changeProduct);
  const createCoupon = resolve(container, TOKENS.createCoupon);
  let adminId = 0;
  for (const account of ACCOUNTS) {
    const user = await register.execute(account, DEMO_PASSWORD);
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
  return ACCOUNTS.map((a) => ({ role: a.role, email: a.email, password: DEMO_PASSWORD }));
}
