import { expect } from 'chai';
import type { Knex } from 'knex';
import { SqlMigrationSource } from '../../src/adapters/postgres/migration-source.js';
import { createPglite, openEmbedded } from '../../src/infrastructure/database.js';

/** The migrations before 0014: the schema a shop upgrading to it runs on. */
class MigrationsBefore extends SqlMigrationSource {
  override async getMigrations() {
    return (await super.getMigrations()).filter((m) => m.name < '0014');
  }
}

const PAID_AT = new Date('2025-06-01T10:00:00.000Z');
const REFUNDED_AT = new Date('2025-06-02T08:00:00.000Z');

/**
 * Migration 0014 on a database with data in it (the embedded database, a fresh one): products are
 * physical, order lines get ids and count the units their order's refund gave back, refunds made
 * before get their lines, and payments say when they completed and whether they were refunded.
 */
describe('migration 0014 on a shop with orders (embedded database)', function () {
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
    ids['buyer'] = await user('BUYER', 'introduction');
    ids['product'] = await one(`INSERT INTO products (seller_id, name, category, price, created_at, updated_at) VALUES (?, 'P', 'c', 1000, ?, ?) RETURNING id`, [
      ids['seller'] as number,
      PAID_AT,
      PAID_AT,
    ]);
    const option = async (name: string) => one(`INSERT INTO product_options (product_id, name, total_stock) VALUES (?, ?, 100) RETURNING id`, [ids['product'] as number, name]);
    const options = [await option('a'), await option('b')];

    /** An order of 2 × 1,000 and 3 × 1,000 with 1,000 off (400 / 600), paid; refunded when told. */
    const order = (refunded: boolean) =>
      // The order and its lines in one transaction: the discount's allocation is checked at commit.
      db.transaction(async (trx) => {
        const first = async (sql: string, bindings: Knex.RawBinding[]) => Number(((await trx.raw(sql, bindings)) as { rows: { id: string }[] }).rows[0]?.id);
        const orderId = await first(
          `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, created_at, updated_at)
           VALUES (?, ?, 5000, 1000, 4000, ?, ?, ?) RETURNING id`,
          [ids['buyer'] as number, refunded ? 'CANCELLED' : 'CONFIRMED', PAID_AT, PAID_AT, PAID_AT],
        );
        for (const [n, quantity] of [2, 3].entries()) {
          await trx.raw(
            `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, discount_amount, placed_at)
             VALUES (?, ?, ?, ?, ?, 'P', 'o', 1000, ?, ?, ?, (SELECT created_at FROM orders WHERE id = ?))`,
            [orderId, n + 1, ids['product'] as number, options[n] as number, ids['seller'] as number, quantity, quantity * 1_000, n === 0 ? 400 : 600, orderId],
          );
        }
        const paymentId = await first(`INSERT INTO payments (order_id, user_id, amount, status, created_at, updated_at) VALUES (?, ?, 4000, 'COMPLETED', ?, ?) RETURNING id`, [
          orderId,
          ids['buyer'] as number,
          PAID_AT,
          PAID_AT,
        ]);
        if (refunded) await trx.raw(`INSERT INTO refunds (order_id, payment_id, amount, status, reason, created_at) VALUES (?, ?, 4000, 'REFUNDED', 'old', ?)`, [orderId, paymentId, REFUNDED_AT]);
        return { orderId, paymentId };
      });
    ({ orderId: ids['paid'], paymentId: ids['paidPayment'] } = await order(false));
    ({ orderId: ids['refunded'], paymentId: ids['refundedPayment'] } = await order(true));
    ids['failedPayment'] = await one(`INSERT INTO payments (order_id, user_id, amount, status, failure_reason, created_at, updated_at) VALUES (?, ?, 4000, 'FAILED', 'x', ?, ?) RETURNING id`, [
      ids['paid'] as number,
      ids['buyer'] as number,
      PAID_AT,
      PAID_AT,
    ]);

    await db.migrate.latest({ migrationSource: new SqlMigrationSource() });
  });

  after(async function () {
    await db?.destroy();
  });

  const linesOf = async (orderId: number) =>
    ((await db('order_items').where({ order_id: orderId }).orderBy('line_no').select('id', 'digital', 'refunded_quantity')) as Record<string, unknown>[]).map((r) => ({
      id: Number(r['id']),
      digital: r['digital'],
      refunded: Number(r['refunded_quantity']),
    }));
  const payment = async (id: number) => {
    const row = (await db('payments').where({ id }).first('status', 'refunded_amount', 'completed_at', 'updated_at')) as Record<string, unknown>;
    return {
      status: row['status'],
      refundedAmount: Number(row['refunded_amount']),
      completedAt: row['completed_at'] === null ? null : new Date(row['completed_at'] as string).toISOString(),
      updatedAt: new Date(row['updated_at'] as string).toISOString(),
    };
  };

  it('products and order lines are physical; orders have no address; every line has an id of its own', async function () {
    expect((await db('products').where({ id: ids['product'] as number }).first('digital')).digital).to.equal(false);
    const lines = [...(await linesOf(ids['paid'] as number)), ...(await linesOf(ids['refunded'] as number))];
    expect(lines.every((l) => l.digital === false)).to.equal(true);
    expect(new Set(lines.map((l) => l.id)).size).to.equal(4);
    const order = (await db('orders').where({ id: ids['paid'] as number }).first('ship_recipient', 'ship_postal_code')) as Record<string, unknown>;
    expect(order).to.deep.equal({ ship_recipient: null, ship_postal_code: null });
  });

  it('an old refund gave back every unit: its lines are written (what was paid for them, and their discount), the units counted', async function () {
    expect((await linesOf(ids['refunded'] as number)).map((l) => l.refunded)).to.deep.equal([2, 3]);
    expect((await linesOf(ids['paid'] as number)).map((l) => l.refunded)).to.deep.equal([0, 0]);
    const lines = (await db('refund_items as ri')
      .join('refunds as r', 'r.id', 'ri.refund_id')
      .where('r.order_id', ids['refunded'] as number)
      .orderBy('ri.order_item_id')
      .select('ri.quantity', 'ri.amount', 'ri.discount_amount')) as Record<string, unknown>[];
    expect(lines.map((l) => [Number(l['quantity']), Number(l['amount']), Number(l['discount_amount'])])).to.deep.equal([
      [2, 1_600, 400],
      [3, 2_400, 600],
    ]);
  });

  it('payments: a completed one knows when it completed; a refunded one is REFUNDED, all of it, as of its refund; a failed one is untouched', async function () {
    expect(await payment(ids['paidPayment'] as number)).to.deep.equal({
      status: 'COMPLETED',
      refundedAmount: 0,
      completedAt: PAID_AT.toISOString(),
      updatedAt: PAID_AT.toISOString(),
    });
    expect(await payment(ids['refundedPayment'] as number)).to.deep.equal({
      status: 'REFUNDED',
      refundedAmount: 4_000,
      completedAt: PAID_AT.toISOString(),
      updatedAt: REFUNDED_AT.toISOString(),
    });
    expect(await payment(ids['failedPayment'] as number)).to.deep.include({ status: 'FAILED', refundedAmount: 0, completedAt: null });
  });

  it('old orders without an address still move (only writing an address away is checked), and refunds now go by line', async function () {
    // A step of fulfilment moves the lines with the order (migration 0013's check at commit).
    await db.transaction(async (trx) => {
      await trx.raw(`UPDATE order_items SET status = 'PREPARING' WHERE order_id = ?`, [ids['paid'] as number]);
      await trx.raw(`UPDATE orders SET status = 'PREPARING', version = version + 1 WHERE id = ?`, [ids['paid'] as number]);
    });
    const [first] = await linesOf(ids['paid'] as number);
    await db.transaction(async (trx) => {
      const refundId = Number(
        ((await trx.raw(`INSERT INTO refunds (order_id, payment_id, amount, status, created_at) VALUES (?, ?, 800, 'REFUNDED', now()) RETURNING id`, [
          ids['paid'] as number,
          ids['paidPayment'] as number,
        ])) as { rows: { id: string }[] }).rows[0]?.id,
      );
      await trx.raw(`INSERT INTO refund_items (refund_id, order_item_id, quantity, amount, discount_amount) VALUES (?, ?, 1, 800, 200)`, [refundId, first!.id]);
      await trx.raw(`UPDATE order_items SET refunded_quantity = 1 WHERE id = ?`, [first!.id]);
      await trx.raw(`UPDATE payments SET refunded_amount = 800, status = 'PARTIALLY_REFUNDED' WHERE id = ?`, [ids['paidPayment'] as number]);
    });
    expect((await linesOf(ids['paid'] as number)).map((l) => l.refunded)).to.deep.equal([1, 0]);
    expect(await payment(ids['paidPayment'] as number)).to.deep.include({ status: 'PARTIALLY_REFUNDED', refundedAmount: 800 });
  });
});
