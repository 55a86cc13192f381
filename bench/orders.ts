import pg from 'pg';
import knexFactory from 'knex';
import { ScryptPasswordHasher } from '../src/adapters/security/scrypt-password-hasher.js';
import { LoadClient, percentile } from './load.js';
import { cpuSnapshot, describeCpu } from './cpu.js';
import { startBenchServer } from './server.js';

/** Where the benchmark's goods go: an order with a physical line needs an address (issue 12). */
const ADDRESS = { recipient: 'Bench Buyer', phone: '010-1234-5678', postalCode: '06236', line1: '1 Bench-ro' };

const BUYERS = 200;
const PRICE = 1_000;
const BUYER_BALANCE = 5_000_000;
const PASSWORD = 'bench-password';
/** Connections to PostgreSQL, for the service and for the ceiling alike. */
const POOL = 10;

interface Variant {
  label: string;
  products: number;
  stockPerProduct: number;
}

const VARIANTS: Variant[] = [
  { label: 'spread (1,000 products, plenty of stock)', products: 1_000, stockPerProduct: 1_000_000 },
  { label: 'hot (100 products, 50 units each)', products: 100, stockPerProduct: 50 },
];

interface Seeded {
  productIds: number[];
  optionIds: number[];
  buyerIds: number[];
  emails: string[];
}

/** Products with one option, and buyers with money, straight into the database. */
async function seed(databaseUrl: string, variant: Variant): Promise<Seeded> {
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
  try {
    const stamp = `${process.pid}-${Date.now().toString(36)}`;
    const [seller] = await db('users')
      .insert({ email: `seller-${stamp}@bench.shop`, name: 'Seller', role: 'SELLER', business_number: '123-45-67890', password_hash: 'x' })
      .returning('id');
    const products = await db('products')
      .insert(
        Array.from({ length: variant.products }, (_, i) => ({
          seller_id: seller.id,
          name: `Bench item ${i}`,
          category: 'bench',
          price: PRICE,
          created_at: new Date(),
          updated_at: new Date(),
        })),
      )
      .returning('id');
    const options = await db('product_options')
      .insert(products.map((p: { id: string }) => ({ product_id: p.id, name: 'one', total_stock: variant.stockPerProduct })))
      .returning(['id', 'product_id']);
    const hash = await new ScryptPasswordHasher({ N: 1024, r: 8, p: 1 }).hash(PASSWORD);
    const emails = Array.from({ length: BUYERS }, (_, i) => `buyer-${stamp}-${i}@bench.shop`);
    const buyers = await db('users')
      .insert(emails.map((email) => ({ email, name: 'Buyer', role: 'BUYER', password_hash: hash })))
      .returning('id');
    const now = new Date();
    await db.transaction(async (trx) => {
      await trx('wallets').insert(buyers.map((b: { id: string }) => ({ user_id: b.id, balance: BUYER_BALANCE, version: 1, updated_at: now })));
      await trx('wallet_ledger').insert(
        buyers.map((b: { id: string }) => ({ user_id: b.id, type: 'CHARGE', amount: BUYER_BALANCE, balance_after: BUYER_BALANCE, reason: 'bench', created_at: now })),
      );
    });
    await db.raw('ANALYZE');
    return {
      productIds: options.map((o: { product_id: string }) => Number(o.product_id)),
      optionIds: options.map((o: { id: string }) => Number(o.id)),
      buyerIds: buyers.map((b: { id: string }) => Number(b.id)),
      emails,
    };
  } finally {
    await db.destroy();
  }
}

interface FlowStats {
  paid: number;
  soldOut: number;
  otherFailures: Record<string, number>;
  create: number[];
  pay: number[];
  flow: number[];
  seconds: number;
  /** Seconds from the start to the last paid order: the rate's span once stock sells out. */
  lastPaidAt: number;
}

const codeOf = (body: string): string => {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? 'no-code';
  } catch {
    return 'unparsable';
  }
};

function report(label: string, s: FlowStats): void {
  for (const list of [s.create, s.pay, s.flow]) list.sort((a, b) => a - b);
  const others = Object.values(s.otherFailures).reduce((a, b) => a + b, 0);
  const attempts = s.paid + s.soldOut + others;
  console.log(`${label}`);
  const span = s.soldOut > 0 ? s.lastPaidAt : s.seconds;
  console.log(
    `  paid orders ${(s.paid / span).toFixed(0)}/s (${s.paid} in ${span.toFixed(1)} s${s.soldOut > 0 ? ', until sold out' : ''}); sold out ${s.soldOut}; ` +
      `other failures ${others} (${((others / Math.max(1, attempts)) * 100).toFixed(2)}% of ${attempts})` +
      (others > 0 ? ` ${JSON.stringify(s.otherFailures)}` : ''),
  );
  const line = (name: string, l: number[]) =>
    `  ${name.padEnd(22)} p50 ${percentile(l, 50).toFixed(1).padStart(6)} ms   p99 ${percentile(l, 99).toFixed(1).padStart(6)} ms   (${l.length})`;
  console.log(line('POST /orders', s.create));
  console.log(line('POST /payments/process', s.pay));
  console.log(line('order + pay', s.flow));
}

/** Each connection: place an order of one unit, then pay it; again until time is up. */
async function runHttp(urls: string[], seeded: Seeded, tokens: string[], options: { connections: number; seconds: number }): Promise<FlowStats> {
  // Connections are spread evenly over the instances, as a balancer would.
  const clients = urls.map((url) => new LoadClient(url, Math.ceil(options.connections / urls.length)));
  const stats: FlowStats = { paid: 0, soldOut: 0, otherFailures: {}, create: [], pay: [], flow: [], seconds: 0, lastPaidAt: 0 };
  const fail = (what: string) => (stats.otherFailures[what] = (stats.otherFailures[what] ?? 0) + 1);
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      const client = clients[worker % clients.length] as LoadClient;
      for (let i = 0; performance.now() < deadline; i++) {
        const token = tokens[(worker + i * options.connections) % tokens.length] as string;
        const productId = seeded.productIds[(worker * 7919 + i * 104729) % seeded.productIds.length] as number;
        const t0 = performance.now();
        const placed = await client.send({ method: 'POST', path: '/api/v1/orders', token, body: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS } }).catch(() => null);
        if (!placed) {
          fail('network');
          continue;
        }
        stats.create.push(placed.ms);
        if (placed.status !== 201) {
          const code = codeOf(placed.body);
          if (code === 'INSUFFICIENT_STOCK') stats.soldOut++;
          else fail(`create ${placed.status} ${code}`);
          continue;
        }
        const orderId = (JSON.parse(placed.body) as { id: number }).id;
        const paid = await client.send({ method: 'POST', path: '/api/v1/payments/process', token, body: { orderId } }).catch(() => null);
        if (!paid) {
          fail('network');
          continue;
        }
        stats.pay.push(paid.ms);
        if (paid.status === 200) {
          stats.paid++;
          stats.flow.push(performance.now() - t0);
          stats.lastPaidAt = (performance.now() - started) / 1000;
        } else fail(`pay ${paid.status} ${codeOf(paid.body)}`);
      }
    }),
  );
  for (const client of clients) client.close();
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

/**
 * The ceiling: the same two transactions the service runs (guarded reserve, order, line, event;
 * then order lock, payment, wallet lock and debit with its ledger row, stock confirm, the day's
 * sales row, order and payment update, event), sent straight to PostgreSQL over as many connections as the service's
 * pool, with the same concurrency and no HTTP, JSON or application code in between.
 */
async function runDirectSql(databaseUrl: string, seeded: Seeded, options: { connections: number; seconds: number }): Promise<FlowStats> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL });
  const stats: FlowStats = { paid: 0, soldOut: 0, otherFailures: {}, create: [], pay: [], flow: [], seconds: 0, lastPaidAt: 0 };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const inTransaction = async <T>(work: (c: pg.PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      const result = await work(c);
      await c.query('COMMIT');
      return result;
    } catch (error) {
      await c.query('ROLLBACK');
      throw error;
    } finally {
      c.release();
    }
  };
  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const buyer = seeded.buyerIds[(worker + i * options.connections) % seeded.buyerIds.length] as number;
        const pick = (worker * 7919 + i * 104729) % seeded.optionIds.length;
        const optionId = seeded.optionIds[pick] as number;
        const productId = seeded.productIds[pick] as number;
        const t0 = performance.now();
        let orderId: number | null;
        try {
          orderId = await inTransaction(async (c) => {
            const held = await c.query('UPDATE product_options SET reserved_stock = reserved_stock + 1 WHERE id = $1 AND total_stock - reserved_stock >= 1 RETURNING id', [optionId]);
            if (held.rowCount === 0) return null;
            const now = new Date();
            const order = await c.query(
              `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, version, created_at, updated_at,
                                   ship_recipient, ship_phone, ship_postal_code, ship_line1)
               VALUES ($1, 'CREATED', $2, 0, $2, $3, 0, $4, $4, 'Bench Buyer', '010-1234-5678', '06236', '1 Bench-ro') RETURNING *`,
              [buyer, PRICE, new Date(now.getTime() + 300_000), now],
            );
            const id = Number(order.rows[0].id);
            await c.query(
              `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, discount_amount, placed_at)
               SELECT $1, 1, $2, $3, p.seller_id, p.name, 'one', $4, 1, $4, 0, $5 FROM products p WHERE p.id = $2 RETURNING *`,
              [id, productId, optionId, PRICE, order.rows[0].created_at],
            );
            await c.query(`INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ('OrderCreated', 'Order', $1, $2, $3, $3)`, [
              id,
              JSON.stringify(order.rows[0]),
              now,
            ]);
            return id;
          });
        } catch (error) {
          stats.otherFailures[String(error)] = (stats.otherFailures[String(error)] ?? 0) + 1;
          continue;
        }
        stats.create.push(performance.now() - t0);
        if (orderId === null) {
          stats.soldOut++;
          continue;
        }
        const t1 = performance.now();
        try {
          await inTransaction(async (c) => {
            const now = new Date();
            const order = await c.query('SELECT * FROM orders WHERE id = $1 FOR UPDATE', [orderId]);
            await c.query('SELECT * FROM order_items WHERE order_id = $1', [orderId]);
            const payment = await c.query(
              `INSERT INTO payments (order_id, user_id, amount, status, created_at, updated_at) VALUES ($1, $2, $3, 'INITIATED', $4, $4) RETURNING id`,
              [orderId, buyer, PRICE, now],
            );
            const wallet = await c.query('SELECT * FROM wallets WHERE user_id = $1 FOR UPDATE', [buyer]);
            const balance = Number(wallet.rows[0].balance) - PRICE;
            await c.query('UPDATE wallets SET balance = $1, version = version + 1, updated_at = $2 WHERE user_id = $3 AND version = $4 RETURNING *', [
              balance,
              now,
              buyer,
              wallet.rows[0].version,
            ]);
            await c.query(`INSERT INTO wallet_ledger (user_id, type, amount, balance_after, order_id, actor_id, created_at) VALUES ($1, 'PAYMENT', $2, $3, $4, $1, $5)`, [
              buyer,
              -PRICE,
              balance,
              orderId,
              now,
            ]);
            await c.query(
              'UPDATE product_options SET total_stock = total_stock - 1, reserved_stock = reserved_stock - 1, sold_quantity = sold_quantity + 1 WHERE id = $1 AND reserved_stock >= 1 RETURNING id',
              [optionId],
            );
            await c.query(
              `INSERT INTO product_sales_daily AS s (product_id, day, units, revenue, discount) VALUES ($1, $2::date, 1, $3, 0)
               ON CONFLICT (product_id, day) DO UPDATE
               SET units = s.units + 1, revenue = s.revenue + EXCLUDED.revenue, discount = s.discount + EXCLUDED.discount`,
              [productId, now.toISOString().slice(0, 10), PRICE],
            );
            await c.query(`UPDATE payments SET status = 'COMPLETED', updated_at = $1 WHERE id = $2`, [now, payment.rows[0].id]);
            await c.query(`UPDATE orders SET status = 'CONFIRMED', version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3 RETURNING *`, [
              now,
              orderId,
              order.rows[0].version,
            ]);
            await c.query(`INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ('PaymentCompleted', 'Order', $1, $2, $3, $3)`, [
              orderId,
              JSON.stringify(order.rows[0]),
              now,
            ]);
          });
          stats.pay.push(performance.now() - t1);
          stats.paid++;
          stats.flow.push(performance.now() - t0);
          stats.lastPaidAt = (performance.now() - started) / 1000;
        } catch (error) {
          stats.otherFailures[String(error)] = (stats.otherFailures[String(error)] ?? 0) + 1;
        }
      }
    }),
  );
  await pool.end();
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

async function logIn(url: string, emails: string[]): Promise<string[]> {
  const client = new LoadClient(url, 8);
  const tokens: string[] = [];
  for (const email of emails) {
    const answer = await client.send({ method: 'POST', path: '/api/v1/auth/login', body: { email, password: PASSWORD } });
    if (answer.status !== 200) throw new Error(`login: ${answer.status} ${answer.body}`);
    tokens.push((JSON.parse(answer.body) as { accessToken: string }).accessToken);
  }
  client.close();
  return tokens;
}

/** Create and pay from many buyers: spread over 1,000 products and hot on 100; with the direct-SQL ceiling of each. */
export async function ordersScenario(_unused: unknown, options: { connections: number; seconds: number; instances: number }): Promise<void> {
  const env = {
    RATE_LIMIT_ORDERS_PER_SECOND: '0',
    FAILURE_BLOCK_THRESHOLD: '0',
    ORDER_RESERVATION_TTL_SECONDS: '300',
    REDIS_URL: process.env['BENCH_REDIS_URL'] ?? '',
    // The service's default pool (10), shared out among the instances. More connections than
    // cores only move the queue into PostgreSQL: with 20, p99 doubled on 2 cores.
    DATABASE_POOL_MAX: String(Math.max(2, Math.floor(POOL / options.instances))),
  };
  for (const variant of VARIANTS) {
    const first = await startBenchServer(env);
    const servers = [first];
    try {
      for (let i = 1; i < options.instances; i++) servers.push(await startBenchServer(env, [], first));
      if (!first.databaseUrl) throw new Error('the orders scenario needs PostgreSQL (BENCH_DATABASE_URL)');
      console.log(`-- ${variant.label}, ${BUYERS} buyers, ${options.instances} instance(s)`);
      const seeded = await seed(first.databaseUrl, variant);
      const tokens = await logIn(first.url, seeded.emails);
      const pids = servers.map((s) => s.pid);
      let before = cpuSnapshot(pids);
      const viaHttp = await runHttp(servers.map((s) => s.url), seeded, tokens, options);
      report('  service (HTTP):', viaHttp);
      console.log(describeCpu(before, cpuSnapshot(pids), viaHttp.paid, { self: 'load generator', processes: 'service' }));
      // The ceiling runs on a fresh copy of the same catalog and buyers.
      const fresh = await seed(first.databaseUrl, variant);
      before = cpuSnapshot([]);
      const direct = await runDirectSql(first.databaseUrl, fresh, options);
      report('  ceiling (the same SQL transactions driven directly):', direct);
      console.log(describeCpu(before, cpuSnapshot([]), direct.paid, { self: 'SQL driver', processes: '' }));
    } finally {
      // The first instance owns (and drops) the database: stop it last.
      for (const server of servers.reverse()) await server.stop();
    }
  }
}
