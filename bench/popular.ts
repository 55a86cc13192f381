import knexFactory from 'knex';
import { seedCatalog } from './catalog-seed.js';
import { cpuSnapshot, describeCpu } from './cpu.js';
import { LoadClient, percentile, printResult, runLoad } from './load.js';
import { type BenchServer, startBenchServer } from './server.js';

const PRODUCTS = 10_000;
const ORDERS = 500_000;
const LINES_PER_ORDER = 2;
const DAYS = 30;
/** Every 50th order was refunded: its lines are in order_items but not (net) in the aggregate. */
const REFUNDED_EVERY = 50;

/**
 * Seeds 1,000,000 order lines over the last 30 days straight into the database (seeding through
 * the API would take hours): orders CONFIRMED with their COMPLETED payments, every 50th one
 * CANCELLED with a refund, and the product_sales_daily rows all that implies (the day of each
 * payment's completion, refunded sales taken back). Popularity is skewed (a few products sell a
 * lot, most a little), as in a real shop.
 */
async function seedSales(databaseUrl: string): Promise<{ items: number; salesRows: number; seconds: number }> {
  const started = performance.now();
  const { minId, maxId } = await seedCatalog(databaseUrl, PRODUCTS);
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 1, max: 1 } });
  try {
    const [buyer] = await db('users')
      .insert({ email: `bench-buyer-${Date.now()}@bench.shop`, name: 'Bench Buyer', role: 'BUYER', password_hash: 'x' })
      .returning('id');
    const buyerId = Number((buyer as { id: string }).id);
    const span = maxId - minId + 1;
    // Each line: a product drawn with a cubic skew (u^3 over the ids), its first option, 1-3 units,
    // at a time spread over the last 30 days.
    await db.raw(
      `CREATE TEMP TABLE bench_lines AS
       SELECT g AS order_id, k AS line_no,
              ? + floor(? * power(((g * 2654435761 + k * 40503) % 1000003) / 1000003.0, 3))::bigint AS product_id,
              1 + (g + k) % 3 AS quantity,
              now() - make_interval(secs => (g * 7919) % (? * 86400)) AS at
       FROM generate_series(1::bigint, ?) g CROSS JOIN generate_series(1::bigint, ?) k`,
      [minId, span, DAYS, ORDERS, LINES_PER_ORDER],
    );
    // Two lines of one order on the same product would break UNIQUE (order_id, option_id): move the second on.
    await db.raw(`UPDATE bench_lines b SET product_id = ? + ((b.product_id - ? + 1) % ?)
                  FROM bench_lines a WHERE a.order_id = b.order_id AND a.line_no = 1 AND b.line_no = 2 AND a.product_id = b.product_id`, [minId, minId, span]);
    await db.raw(
      `CREATE TEMP TABLE bench_priced AS
       SELECT l.*, p.seller_id, p.name AS product_name, p.price AS unit_price, o.id AS option_id, o.name AS option_name
       FROM bench_lines l JOIN products p ON p.id = l.product_id
       JOIN LATERAL (SELECT id, name FROM product_options WHERE product_id = p.id ORDER BY id LIMIT 1) o ON true`,
    );
    await db.raw(
      `INSERT INTO orders (id, user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, version, created_at, updated_at)
       OVERRIDING SYSTEM VALUE
       SELECT order_id, ?, CASE WHEN order_id % ? = 0 THEN 'CANCELLED' ELSE 'CONFIRMED' END,
              sum(unit_price * quantity), 0, sum(unit_price * quantity), min(at) + interval '30 seconds', 1, min(at), min(at)
       FROM bench_priced GROUP BY order_id`,
      [buyerId, REFUNDED_EVERY],
    );
    await db.raw(`ALTER TABLE orders ALTER COLUMN id RESTART WITH ${ORDERS + 1}`);
    await db.raw(
      `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, placed_at)
       SELECT b.order_id, b.line_no, b.product_id, b.option_id, b.seller_id, b.product_name, b.option_name, b.unit_price, b.quantity, b.unit_price * b.quantity, o.created_at
       FROM bench_priced b JOIN orders o ON o.id = b.order_id`,
    );
    await db.raw(
      `INSERT INTO payments (id, order_id, user_id, amount, status, created_at, updated_at, completed_at, refunded_amount) OVERRIDING SYSTEM VALUE
       SELECT id, id, user_id, final_amount, CASE WHEN status = 'CANCELLED' THEN 'REFUNDED' ELSE 'COMPLETED' END, created_at, created_at, created_at,
              CASE WHEN status = 'CANCELLED' THEN final_amount ELSE 0 END
       FROM orders`,
    );
    await db.raw(`ALTER TABLE payments ALTER COLUMN id RESTART WITH ${ORDERS + 1}`);
    // A refund, its lines, its lines' refunded units and its payment's refunded amount must agree at commit (0014).
    await db.transaction(async (trx) => {
      await trx.raw(
        `INSERT INTO refunds (order_id, payment_id, amount, status, reason, created_at)
         SELECT id, id, final_amount, 'REFUNDED', 'bench', created_at + interval '1 hour' FROM orders WHERE status = 'CANCELLED'`,
      );
      await trx.raw(
        `INSERT INTO refund_items (refund_id, order_item_id, quantity, amount, discount_amount)
         SELECT r.id, i.id, i.quantity, i.amount - i.discount_amount, i.discount_amount FROM refunds r JOIN order_items i ON i.order_id = r.order_id`,
      );
      await trx.raw(`UPDATE order_items i SET refunded_quantity = i.quantity FROM refunds r WHERE r.order_id = i.order_id`);
    });
    // The aggregate as the payments and refunds above would have left it: on each payment's UTC day, net of refunds.
    await db.raw(
      `INSERT INTO product_sales_daily (product_id, day, units, revenue)
       SELECT product_id, (at AT TIME ZONE 'UTC')::date, sum(quantity), sum(unit_price * quantity)
       FROM bench_priced WHERE order_id % ? <> 0 GROUP BY 1, 2`,
      [REFUNDED_EVERY],
    );
    await db.raw('VACUUM ANALYZE orders, order_items, payments, refunds, product_sales_daily');
    const [{ items }] = (await db('order_items').count({ items: '*' })) as [{ items: string }];
    const [{ rows }] = (await db('product_sales_daily').count({ rows: '*' })) as [{ rows: string }];
    return { items: Number(items), salesRows: Number(rows), seconds: (performance.now() - started) / 1000 };
  } finally {
    await db.destroy();
  }
}

/** One request at a time on an uncached instance: what one recomputation costs (HTTP round trip included). */
async function timeRecomputation(server: BenchServer, days: number): Promise<string> {
  const client = new LoadClient(server.url, 1);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const answer = await client.send({ method: 'GET', path: `/api/v1/products/popular?days=${days}` });
    if (answer.status !== 200) throw new Error(`popular: ${answer.status} ${answer.body}`);
    if (i >= 5) times.push(answer.ms);
  }
  client.close();
  times.sort((a, b) => a - b);
  return `one recomputation, days=${String(days).padEnd(2)}: p50 ${percentile(times, 50).toFixed(1)} ms, max ${(times[times.length - 1] ?? 0).toFixed(1)} ms (25 in a row, uncached)`;
}

async function load(server: BenchServer, name: string, path: string, options: { connections: number; seconds: number }): Promise<void> {
  const before = cpuSnapshot([server.pid]);
  const result = await runLoad(name, server.url, options, () => ({ method: 'GET', path }));
  printResult(result);
  console.log(describeCpu(before, cpuSnapshot([server.pid]), result.requests, { self: 'load generator', processes: 'service' }).replace('per paid order', 'per request'));
}

/**
 * GET /products/popular over 1,000,000 order lines in the last 30 days: answered from the cache
 * (hits), with no cache at all (every request recomputes from the aggregate), and the time one
 * recomputation takes. Target: p99 < 100 ms at 64 connections.
 */
export async function popularScenario(_unused: BenchServer | null, options: { connections: number; seconds: number }): Promise<void> {
  const redis = process.env['BENCH_REDIS_URL'] ?? '';
  const cached = await startBenchServer({ POPULAR_CACHE_TTL_SECONDS: '60', REDIS_URL: '' });
  const servers = [cached];
  try {
    if (!cached.databaseUrl) throw new Error('the popular scenario needs PostgreSQL (BENCH_DATABASE_URL)');
    const seeded = await seedSales(cached.databaseUrl);
    console.log(
      `-- ${seeded.items.toLocaleString('en')} order lines over ${DAYS} days, ${PRODUCTS.toLocaleString('en')} products, ` +
        `${seeded.salesRows.toLocaleString('en')} product_sales_daily rows (seeded in ${seeded.seconds.toFixed(0)} s)`,
    );
    const uncached = await startBenchServer({ POPULAR_CACHE_TTL_SECONDS: '0', REDIS_URL: '' }, [], cached);
    servers.push(uncached);
    console.log(`  ${await timeRecomputation(uncached, 3)}`);
    console.log(`  ${await timeRecomputation(uncached, 30)}`);

    await load(cached, 'cache hit, in-process (days=3)', '/api/v1/products/popular', options);
    if (redis) {
      const onRedis = await startBenchServer({ POPULAR_CACHE_TTL_SECONDS: '60', REDIS_URL: redis }, [], cached);
      servers.push(onRedis);
      await load(onRedis, 'cache hit, Redis (days=3)', '/api/v1/products/popular', options);
    }
    // Expiring every second: one caller recomputes each time while the crowd is served the previous answer.
    const shortLived = await startBenchServer({ POPULAR_CACHE_TTL_SECONDS: '1', REDIS_URL: '' }, [], cached);
    servers.push(shortLived);
    await load(shortLived, 'cache, TTL 1 s: recomputed every s', '/api/v1/products/popular', options);
    await load(uncached, 'no cache: every request recomputes (days=3)', '/api/v1/products/popular', options);
    await load(uncached, 'no cache: every request recomputes (days=30)', '/api/v1/products/popular?days=30', options);
  } finally {
    // The first instance owns (and drops) the database: stop it last.
    for (const server of servers.reverse()) await server.stop();
  }
}
