import knexFactory, { type Knex } from 'knex';
import { migrateToLatest } from '../src/adapters/postgres/migration-source.js';
import { KnexTransactionManager } from '../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresOrderRepository } from '../src/adapters/postgres/ordering.js';
import { benchServerUrl } from './server.js';

/**
 * `npx tsx bench/explain-seller-orders.ts`: seeds orders straight into a scratch database
 * (EXPLAIN_ORDERS, default 1,000,000, over 1,000 sellers; one seller holds a line in every 10th
 * order, another in every 1,000th) and prints the plan and time of the seller's order list
 * (`GET /orders` as a SELLER: the SQL PostgresOrderRepository.list sends with `sellerId`), then
 * the whole list call (page of orders, their lines, the count) timed through the repository.
 */
const ORDERS = Number(process.env['EXPLAIN_ORDERS'] ?? 1_000_000);
const SELLERS = 1_000;
const server = benchServerUrl();
if (!server) throw new Error('needs PostgreSQL (BENCH_DATABASE_URL)');
// EXPLAIN_KEEP=<name>: seed into that database once and keep it, and reuse it on later runs.
const kept = process.env['EXPLAIN_KEEP'];
const name = kept ?? `order_explain_sellers_${process.pid}`;
const admin = knexFactory({ client: 'pg', connection: server, pool: { min: 0, max: 1 } });
const exists = kept ? (await admin.raw('SELECT 1 FROM pg_database WHERE datname = ?', [name])).rows.length > 0 : false;
if (!exists) await admin.raw('CREATE DATABASE ??', [name]);
const url = new URL(server);
url.pathname = `/${name}`;
const db: Knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 2 } });

async function seed(): Promise<{ big: number; small: number; typical: number }> {
  const started = performance.now();
  await db.raw(
    `INSERT INTO users (email, name, role, password_hash, business_number)
     SELECT 'seller' || g || '@bench.shop', 'Seller ' || g, 'SELLER', 'x', '123-45-67890' FROM generate_series(1, ?) g`,
    [SELLERS],
  );
  await db.raw(`INSERT INTO users (email, name, role, password_hash) VALUES ('buyer@bench.shop', 'Buyer', 'BUYER', 'x')`);
  await db.raw(
    `INSERT INTO products (seller_id, name, category, price, created_at, updated_at)
     SELECT id, 'Product of ' || id, 'bench', 1000, now(), now() FROM users WHERE role = 'SELLER' ORDER BY id`,
  );
  await db.raw(`INSERT INTO product_options (product_id, name, total_stock) SELECT id, 'ONE', 1000000 FROM products ORDER BY id`);
  const [{ buyer }] = (await db.raw(`SELECT id AS buyer FROM users WHERE role = 'BUYER'`)).rows;
  const [{ first }] = (await db.raw(`SELECT min(id) AS first FROM users WHERE role = 'SELLER'`)).rows;
  const firstSeller = Number(first);
  await db.raw(
    `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, version, created_at, updated_at)
     SELECT ?, (ARRAY['CONFIRMED','PREPARING','SHIPPED','DELIVERED','COMPLETED','CANCELLED'])[1 + g % 6], 2000, 0, 2000,
            now() - make_interval(secs => ? - g), 0, now() - make_interval(secs => ? - g), now()
     FROM generate_series(1, ?) g`,
    [buyer, ORDERS, ORDERS, ORDERS],
  );
  // Two lines an order: the first of seller 0 on every 10th order and of seller 1 on every
  // 1,000th, else spread; the second always spread (so most orders have two sellers).
  await db.raw(
    `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, placed_at, status)
     SELECT o.id, l.line_no, p.id, op.id, p.seller_id, p.name, 'ONE', 1000, 1, 1000, o.created_at,
            CASE o.status WHEN 'PREPARING' THEN 'PREPARING' WHEN 'SHIPPED' THEN 'SHIPPED' WHEN 'DELIVERED' THEN 'DELIVERED' WHEN 'COMPLETED' THEN 'DELIVERED' ELSE 'ORDERED' END
     FROM orders o
     CROSS JOIN LATERAL (VALUES
       (1, CASE WHEN o.id % 10 = 0 THEN 0 WHEN o.id % 1000 = 1 THEN 1 ELSE 2 + (o.id * 7919) % (? - 2) END),
       (2, 2 + (o.id * 104729 + 13) % (? - 2))
     ) AS l(line_no, seller_no)
     JOIN products p ON p.seller_id = ? + l.seller_no
     JOIN product_options op ON op.product_id = p.id
     WHERE NOT (l.line_no = 2 AND (2 + (o.id * 104729 + 13) % (? - 2)) = CASE WHEN o.id % 10 = 0 THEN 0 WHEN o.id % 1000 = 1 THEN 1 ELSE 2 + (o.id * 7919) % (? - 2) END)`,
    [SELLERS, SELLERS, firstSeller, SELLERS, SELLERS],
  );
  await db.raw('VACUUM ANALYZE orders, order_items');
  const [{ lines }] = (await db.raw('SELECT count(*)::int AS lines FROM order_items')).rows;
  console.log(`${ORDERS} orders, ${lines} lines, ${SELLERS} sellers, seeded in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  return { big: firstSeller, small: firstSeller + 1, typical: firstSeller + 500 };
}

interface Plan {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: Plan[];
}

function collectScans(plan: Plan): string[] {
  const own = plan['Node Type'].includes('Scan') ? [`${plan['Node Type']}${plan['Index Name'] ? ` (${plan['Index Name']})` : ''}${plan['Relation Name'] ? ` on ${plan['Relation Name']}` : ''}`] : [];
  return [...own, ...(plan.Plans ?? []).flatMap(collectScans)];
}

try {
  await migrateToLatest(db);
  const sellers = exists ? await (async () => {
    const [{ first }] = (await db.raw(`SELECT min(id) AS first FROM users WHERE role = 'SELLER'`)).rows;
    return { big: Number(first), small: Number(first) + 1, typical: Number(first) + 500 };
  })() : await seed();
  const repository = new PostgresOrderRepository(new KnexTransactionManager(db));
  for (const [label, sellerId] of [
    ['seller in 10% of orders', sellers.big],
    ['seller in ~0.2% of orders', sellers.typical],
    ['seller in 0.1% of orders', sellers.small],
  ] as const) {
    for (const [what, status, page] of [
      ['page 1', undefined, 1],
      ['page 50', undefined, 50],
      ['status SHIPPED, page 1', 'SHIPPED', 1],
    ] as const) {
      // The page and the count, as PostgresOrderRepository.listOfSeller sends them.
      const byStatus = status ? `JOIN orders o ON o.id = i.order_id AND o.status = '${status}'` : '';
      const pageSql = `SELECT orders.* FROM (
          SELECT DISTINCT i.placed_at, i.order_id FROM order_items i ${byStatus} WHERE i.seller_id = ${sellerId}
          ORDER BY i.placed_at DESC, i.order_id DESC LIMIT 20 OFFSET ${(page - 1) * 20}
        ) page JOIN orders ON orders.id = page.order_id ORDER BY page.placed_at DESC, page.order_id DESC`;
      const countSql = status
        ? `SELECT count(*) FROM orders WHERE id = ANY(ARRAY(SELECT order_id FROM order_items WHERE seller_id = ${sellerId})) AND status = '${status}'`
        : `SELECT count(DISTINCT order_id) FROM order_items WHERE seller_id = ${sellerId}`;
      const explain = async (sql: string) =>
        ((await db.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`)).rows as { 'QUERY PLAN': [{ Plan: Plan; 'Execution Time': number }] }[])[0]!['QUERY PLAN'][0];
      const plan = await explain(pageSql);
      const count = await explain(countSql);
      const timings: number[] = [];
      for (let n = 0; n < 5; n += 1) {
        const t0 = performance.now();
        await repository.list({ sellerId, page, size: 20, ...(status ? { status } : {}) });
        timings.push(performance.now() - t0);
      }
      timings.sort((a, b) => a - b);
      console.log(
        `${`${label}, ${what}`.padEnd(48)} page ${plan['Execution Time'].toFixed(1).padStart(6)} ms  count ${count['Execution Time'].toFixed(1).padStart(6)} ms  list() median ${timings[2]!.toFixed(1).padStart(6)} ms   ${[...new Set(collectScans(plan.Plan))].join(', ')}`,
      );
    }
  }
} finally {
  await db.destroy();
  if (!kept) await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
  await admin.destroy();
}
