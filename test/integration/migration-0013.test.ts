import { expect } from 'chai';
import type { Knex } from 'knex';
import { SqlMigrationSource } from '../../src/adapters/postgres/migration-source.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresOrderRepository } from '../../src/adapters/postgres/ordering.js';
import { createPglite, openEmbedded } from '../../src/infrastructure/database.js';
import { rejectionOf } from '../unit/expect-error.js';

/** The migrations before 0013: the schema a shop upgrading to it runs on. */
class MigrationsBefore extends SqlMigrationSource {
  override async getMigrations() {
    return (await super.getMigrations()).filter((m) => m.name < '0013');
  }
}

const T0 = Date.UTC(2025, 5, 1, 10);
const STATUSES = ['CREATED', 'PENDING', 'CONFIRMED', 'PREPARING', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'FAILED'] as const;

/**
 * Migration 0013 on a database with orders in every status (the embedded database, a fresh one):
 * each line takes the status its order's fulfilment had reached and its order's placing time, and
 * from then on the guards hold and the seller's list reads the new index.
 */
describe('migration 0013 on a shop with orders (embedded database)', function () {
  this.timeout(60_000);
  let db: Knex;
  let seller: number;
  let rival: number;
  const orderOf: Partial<Record<(typeof STATUSES)[number], number>> = {};

  const one = async (sql: string, bindings: Knex.RawBinding[] = []) => Number(((await db.raw(sql, bindings)) as { rows: { id: string }[] }).rows[0]?.id);

  before(async function () {
    db = openEmbedded(createPglite());
    await db.migrate.latest({ migrationSource: new MigrationsBefore() });
    const user = (role: string, extra: string) =>
      one(`INSERT INTO users (email, name, role, password_hash, ${extra}) VALUES (?, 'U', ?, 'x', 'X') RETURNING id`, [`${role}-${Math.random()}@m.test`, role]);
    seller = await user('SELLER', 'business_number');
    rival = await user('SELLER', 'business_number');
    const buyer = await user('BUYER', 'introduction');
    const product = async (owner: number) => {
      const productId = await one(`INSERT INTO products (seller_id, name, category, price, created_at, updated_at) VALUES (?, 'P', 'c', 1000, now(), now()) RETURNING id`, [owner]);
      const optionId = await one(`INSERT INTO product_options (product_id, name, total_stock) VALUES (?, 'o', 100) RETURNING id`, [productId]);
      return { productId, optionId, owner };
    };
    const mine = await product(seller);
    const theirs = await product(rival);
    for (const [n, status] of STATUSES.entries()) {
      const at = new Date(T0 + n * 60_000);
      const orderId = await one(
        `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, created_at, updated_at)
         VALUES (?, ?, 2000, 0, 2000, ?, ?, ?) RETURNING id`,
        [buyer, status, at, at, at],
      );
      for (const [line, p] of [mine, theirs].entries()) {
        await db.raw(
          `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount)
           VALUES (?, ?, ?, ?, ?, 'P', 'o', 1000, 1, 1000)`,
          [orderId, line + 1, p.productId, p.optionId, p.owner],
        );
      }
      orderOf[status] = orderId;
    }
    await db.migrate.latest({ migrationSource: new SqlMigrationSource() });
  });

  after(async function () {
    await db?.destroy();
  });

  it('each line takes the fulfilment its order had reached: PREPARING, SHIPPED, DELIVERED (COMPLETED too); every other line ORDERED', async function () {
    const expected: Record<(typeof STATUSES)[number], string> = {
      CREATED: 'ORDERED',
      PENDING: 'ORDERED',
      CONFIRMED: 'ORDERED',
      PREPARING: 'PREPARING',
      SHIPPED: 'SHIPPED',
      DELIVERED: 'DELIVERED',
      COMPLETED: 'DELIVERED',
      CANCELLED: 'ORDERED',
      FAILED: 'ORDERED',
    };
    for (const status of STATUSES) {
      const lines = (await db('order_items').where({ order_id: orderOf[status] }).orderBy('line_no').pluck('status')) as string[];
      expect(lines, status).to.deep.equal([expected[status], expected[status]]);
    }
  });

  it('each line carries its order\'s placing time, and the seller\'s list reads them newest first', async function () {
    const rows = (await db('order_items as i').join('orders as o', 'o.id', 'i.order_id').select('i.placed_at', 'o.created_at')) as { placed_at: Date; created_at: Date }[];
    expect(rows).to.have.length(STATUSES.length * 2);
    for (const row of rows) expect(new Date(row.placed_at).getTime()).to.equal(new Date(row.created_at).getTime());
    const orders = new PostgresOrderRepository(new KnexTransactionManager(db));
    const page = await orders.list({ sellerId: rival, page: 1, size: 4 });
    expect(page).to.include({ totalItems: STATUSES.length, totalPages: 3 });
    expect(page.items.map((o) => o.id)).to.deep.equal([...STATUSES].reverse().slice(0, 4).map((s) => orderOf[s]));
    expect((await orders.list({ sellerId: seller, status: 'SHIPPED', page: 1, size: 10 })).items.map((o) => o.id)).to.deep.equal([orderOf.SHIPPED]);
  });

  it('from then on the guards hold: a line with another placing time than its order\'s is refused, and so is a line moved on its own', async function () {
    const shipped = orderOf.SHIPPED as number;
    const line = (await db('order_items').where({ order_id: shipped, line_no: 1 }).first()) as { product_id: string; placed_at: Date };
    const another = await one(`INSERT INTO product_options (product_id, name, total_stock) VALUES (?, 'another', 100) RETURNING id`, [line.product_id]);
    const wrongTime = db.raw(
      `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, placed_at)
       VALUES (?, 3, ?, ?, ?, 'P', 'another', 1000, 1, 1000, ?)`,
      [shipped, line.product_id, another, seller, new Date(new Date(line.placed_at).getTime() + 1_000)],
    );
    const refusal = async (work: Promise<unknown>) => {
      const error = (await rejectionOf(work)) as { constraint?: string; message?: string };
      return `${error.constraint ?? ''} ${error.message ?? ''}`;
    };
    expect(await refusal(wrongTime)).to.match(/order_items_placed_with_its_order/);
    // A paid order's first line to PREPARING would make it PREPARING: not without the order.
    const confirmed = orderOf.CONFIRMED as number;
    const alone = db.transaction((trx) => trx('order_items').where({ order_id: confirmed, line_no: 1 }).update({ status: 'PREPARING' }));
    expect(await refusal(alone)).to.match(/orders_status_follows_lines/);
    expect(await db('order_items').where({ order_id: confirmed }).orderBy('line_no').pluck('status')).to.deep.equal(['ORDERED', 'ORDERED']);
    expect(await db('order_items').where({ order_id: shipped }).count({ n: '*' })).to.deep.equal([{ n: 2 }]);
  });
});
