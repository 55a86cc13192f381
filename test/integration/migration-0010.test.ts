import { expect } from 'chai';
import type { Knex } from 'knex';
import { SqlMigrationSource } from '../../src/adapters/postgres/migration-source.js';
import { allocateProportionally } from '../../src/domain/shared/allocation.js';
import { createPglite, openEmbedded } from '../../src/infrastructure/database.js';
import { rejectionOf } from '../unit/expect-error.js';

/** The migrations before 0010: the schema a shop upgrading to it runs on. */
class MigrationsBefore extends SqlMigrationSource {
  override async getMigrations() {
    return (await super.getMigrations()).filter((m) => m.name < '0010');
  }
}

const DAY = '2025-06-01';
const AT = new Date(`${DAY}T10:00:00.000Z`);

/**
 * Migration 0010 on a database with data in it (the embedded database, a fresh one): coupons take
 * the scope of their creator, orders placed before it have their discount split over their lines
 * as the service splits one, and the day's sales get the discounts of the sales they hold.
 */
describe('migration 0010 on a shop with orders (embedded database)', function () {
  this.timeout(60_000);
  let db: Knex;
  const ids: Record<string, number> = {};

  const one = async (sql: string, bindings: Knex.RawBinding[] = []) => Number(((await db.raw(sql, bindings)) as { rows: { id: string }[] }).rows[0]?.id);

  before(async function () {
    db = openEmbedded(createPglite());
    await db.migrate.latest({ migrationSource: new MigrationsBefore() });

    const user = (role: string, extra: string) =>
      one(`INSERT INTO users (email, name, role, password_hash, ${extra}) VALUES (?, 'U', ?, 'x', 'X') RETURNING id`, [`${role}-${Math.random()}@m.test`, role]);
    ids['seller'] = await user('SELLER', 'business_number');
    ids['rival'] = await user('SELLER', 'business_number');
    ids['admin'] = await user('ADMIN', 'admin_code');
    ids['buyer'] = await user('BUYER', 'introduction');

    const coupon = (code: string, by: number) =>
      one(
        `INSERT INTO coupons (code, name, type, discount_value, valid_from, valid_until, created_by, created_at, updated_at)
         VALUES (?, 'C', 'FIXED', 1000, ?, ?, ?, ?, ?) RETURNING id`,
        [code, AT, new Date(AT.getTime() + 86_400_000), by, AT, AT],
      );
    ids['sellerCoupon'] = await coupon('SELLERS', ids['seller'] as number);
    ids['adminCoupon'] = await coupon('ADMINS', ids['admin'] as number);

    const product = async (seller: number, price: number) => {
      const productId = await one(`INSERT INTO products (seller_id, name, category, price, created_at, updated_at) VALUES (?, 'P', 'c', ?, ?, ?) RETURNING id`, [
        seller,
        price,
        AT,
        AT,
      ]);
      const optionId = await one(`INSERT INTO product_options (product_id, name, total_stock) VALUES (?, 'o', 100) RETURNING id`, [productId]);
      return { productId, optionId, seller, price };
    };
    const cheap = await product(ids['seller'] as number, 1_000);
    const dear = await product(ids['rival'] as number, 2_000);
    ids['cheap'] = cheap.productId;
    ids['dear'] = dear.productId;

    /** An order of these lines with this discount, paid on DAY (and refunded when told). */
    const order = async (lines: [typeof cheap, number][], discount: number, refunded = false) => {
      const total = lines.reduce((sum, [p, q]) => sum + p.price * q, 0);
      const orderId = await one(
        `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
        [ids['buyer'] as number, refunded ? 'CANCELLED' : 'CONFIRMED', total, discount, total - discount, AT, AT, AT],
      );
      for (const [n, [p, q]] of lines.entries()) {
        await db.raw(
          `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount)
           VALUES (?, ?, ?, ?, ?, 'P', 'o', ?, ?, ?)`,
          [orderId, n + 1, p.productId, p.optionId, p.seller, p.price, q, p.price * q],
        );
      }
      const paymentId = await one(`INSERT INTO payments (order_id, user_id, amount, status, created_at, updated_at) VALUES (?, ?, ?, 'COMPLETED', ?, ?) RETURNING id`, [
        orderId,
        ids['buyer'] as number,
        total - discount,
        AT,
        AT,
      ]);
      if (refunded) await db.raw(`INSERT INTO refunds (order_id, payment_id, amount, status, created_at) VALUES (?, ?, ?, 'REFUNDED', ?)`, [orderId, paymentId, total - discount, AT]);
      return orderId;
    };
    // 1,000 off lines of 1,000 and 2 × 2,000: 200 / 800 exactly; 1,000 off 1,000 and 2,000: 333.33 / 666.67.
    ids['split'] = await order([[cheap, 1], [dear, 2]], 1_000);
    ids['rounded'] = await order([[cheap, 1], [dear, 1]], 1_000);
    ids['plain'] = await order([[cheap, 3]], 0);
    ids['refunded'] = await order([[cheap, 1], [dear, 1]], 3_000, true);
    // The day's sales as the payments left them (refunded sales taken back).
    await db.raw(`INSERT INTO product_sales_daily (product_id, day, units, revenue) VALUES (?, ?, 5, 5000), (?, ?, 3, 6000)`, [cheap.productId, DAY, dear.productId, DAY]);

    await db.migrate.latest({ migrationSource: new SqlMigrationSource() });
  });

  after(async function () {
    await db?.destroy();
  });

  const lineDiscounts = async (orderId: number) =>
    ((await db('order_items').where({ order_id: orderId }).orderBy('line_no').select('discount_amount')) as { discount_amount: string }[]).map((r) => Number(r.discount_amount));

  it('a SELLER\'s coupon takes the seller\'s scope; an ADMIN\'s stays shop-wide', async function () {
    const scopes = await db('coupons').whereIn('id', [ids['sellerCoupon'] as number, ids['adminCoupon'] as number]).orderBy('id').select('seller_id');
    expect(scopes.map((r: { seller_id: string | null }) => (r.seller_id === null ? null : Number(r.seller_id)))).to.deep.equal([ids['seller'], null]);
  });

  it('splits each old order\'s discount over all its lines exactly as the service splits one, summing to it', async function () {
    expect(await lineDiscounts(ids['split'] as number)).to.deep.equal([200, 800]);
    expect(await lineDiscounts(ids['rounded'] as number)).to.deep.equal(allocateProportionally(1_000, [1_000, 2_000]));
    expect(await lineDiscounts(ids['rounded'] as number)).to.deep.equal([333, 667]);
    expect(await lineDiscounts(ids['refunded'] as number)).to.deep.equal([1_000, 2_000]);
    expect(await lineDiscounts(ids['plain'] as number)).to.deep.equal([0]);
  });

  it('gives the day\'s sales the discounts of the paid, unrefunded orders in them', async function () {
    const rows = (await db('product_sales_daily').orderBy('product_id').select('product_id', 'units', 'revenue', 'discount')) as Record<string, string>[];
    expect(rows.map((r) => [Number(r['product_id']), Number(r['units']), Number(r['revenue']), Number(r['discount'])])).to.deep.equal([
      [ids['cheap'], 5, 5_000, 200 + 333],
      [ids['dear'], 3, 6_000, 800 + 667],
    ]);
  });

  it('from now on the database refuses an order whose lines do not carry its discount, at commit', async function () {
    const error = await rejectionOf(
      db.transaction(async (trx) => {
        await trx.raw(`UPDATE orders SET discount_amount = 900, final_amount = total_amount - 900 WHERE id = ?`, [ids['split'] as number]);
      }),
    );
    expect(String((error as Error).message)).to.match(/orders_discount_allocated|carry/);
    expect(await lineDiscounts(ids['split'] as number)).to.deep.equal([200, 800]);
  });
});
