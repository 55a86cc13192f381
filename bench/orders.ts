import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import knexFactory from 'knex';
import { ScryptPasswordHasher } from '../src/adapters/security/scrypt-password-hasher.js';
import { LoadClient, percentile } from './load.js';
import { cpuPerUnit, cpuSnapshot, describeCpu } from './cpu.js';
import { cpuProfileArgs, profileClock, summarizeProfiles } from './profile.js';
import { type BenchServer, startBenchServer } from './server.js';
import { countStatementsArgs, describeStatements, mergeStatements, readStatements, type StatementReport } from './statements.js';
import type { ScenarioOptions } from './run.js';

/** Where the benchmark's goods go: an order with a physical line needs an address (issue 12). */
const ADDRESS = { recipient: 'Bench Buyer', phone: '010-1234-5678', postalCode: '06236', line1: '1 Bench-ro' };

const BUYERS = 200;
const PRICE = 1_000;
const BUYER_BALANCE = 5_000_000;
const PASSWORD = 'bench-password';
/** Connections to PostgreSQL, for the service and for the ceiling alike. */
const POOL = 10;
/** The counting window's length at most (`--seconds` when shorter). */
const COUNTING_SECONDS = 3;

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

/** Paid orders per second; once stock sells out, over the time until the last paid order. */
const rateOf = (s: FlowStats): number => s.paid / Math.max(1e-9, s.soldOut > 0 ? s.lastPaidAt : s.seconds);

function report(
  label: string,
  s: FlowStats,
  lists: [string, number[]][] = [
    ['POST /orders', s.create],
    ['POST /payments/process', s.pay],
    ['order + pay', s.flow],
  ],
): void {
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
  for (const [name, list] of lists) console.log(line(name, list));
}

/**
 * `BENCH_IDEMPOTENCY_KEYS=1`: every create and pay carries a fresh Idempotency-Key, as a careful
 * client sends (the key claimed, the answer recorded with the change); left out, none does.
 */
const keyed = (): Record<string, string> | undefined => (process.env['BENCH_IDEMPOTENCY_KEYS'] === '1' ? { 'Idempotency-Key': randomUUID() } : undefined);

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
        const placed = await client
          .send({ method: 'POST', path: '/api/v1/orders', token, body: { items: [{ productId, quantity: 1 }], shippingAddress: ADDRESS }, headers: keyed() })
          .catch(() => null);
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
        const paid = await client.send({ method: 'POST', path: '/api/v1/payments/process', token, body: { orderId }, headers: keyed() }).catch(() => null);
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

/** Statements (BEGIN and COMMIT included; one round trip each) a SQL driver sent, per transaction kind. */
interface SqlCounts {
  [kind: string]: { transactions: number; statements: number; roundTrips: number };
}

/**
 * A pool of as many connections as the service's and a transaction helper that counts what it sends:
 * the drivers below run their SQL through it, `connections` loops at a time, with no HTTP, JSON or
 * application code in between.
 */
type Query = (name: string, text: string, values?: unknown[]) => Promise<pg.QueryResult>;
type Send = (name: string, text: string, values?: unknown[]) => void;

/**
 * `pipelined`: as the service's pool (DATABASE_PIPELINING): BEGIN is not waited for, and `send` is
 * its KnexTransactionManager.write. Without it (the minimal transaction, the yardstick the issue
 * set with pgbench), every statement waits for its answer and `send` too.
 */
function sqlDriver(databaseUrl: string, { pipelined }: { pipelined: boolean }) {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL, pipeline: pipelined } as pg.PoolConfig);
  const counts: SqlCounts = {};
  const inTransaction = async <T>(kind: string, work: (q: Query, send: Send, early: Query) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    const count = (counts[kind] ??= { transactions: 0, statements: 0, roundTrips: 0 });
    let statements = 0;
    let roundTrips = 0;
    const sent: Promise<unknown>[] = [];
    // Named (prepared once per connection), as the service's hot statements are.
    const q: Query = (name, text, values = []) => {
      statements++;
      roundTrips++;
      return c.query({ name, text, values });
    };
    // Waited for, but not before what is sent next: its answer rides on that one's round trip.
    const early: Query = (name, text, values = []) => {
      statements++;
      if (!pipelined) roundTrips++;
      return c.query({ name, text, values });
    };
    // Not waited for: it rides on the round trip of the next statement (COMMIT included).
    const send: Send = (name, text, values = []) => {
      statements++;
      if (!pipelined) roundTrips++;
      const answer = c.query({ name, text, values });
      answer.catch(() => undefined);
      sent.push(answer);
    };
    try {
      // Not waited for either, as the service's KnexTransactionManager sends it.
      statements++;
      const begun = c.query('BEGIN');
      if (pipelined) {
        begun.catch(() => undefined);
        sent.push(begun);
      } else {
        roundTrips++;
        await begun;
      }
      const result = await work(q, send, early);
      statements++;
      roundTrips++;
      await c.query('COMMIT');
      // A failed write made that COMMIT a rollback: the transaction failed.
      await Promise.all(sent);
      count.transactions++;
      count.statements += statements;
      count.roundTrips += roundTrips;
      return result;
    } catch (error) {
      await Promise.allSettled(sent);
      await c.query('ROLLBACK');
      throw error;
    } finally {
      c.release();
    }
  };
  return { pool, counts, inTransaction };
}

const describeSqlCounts = (counts: SqlCounts): string =>
  Object.entries(counts)
    .map(([kind, c]) =>
      c.transactions > 0 ? `${kind}: ${(c.statements / c.transactions).toFixed(0)} statements (${(c.roundTrips / c.transactions).toFixed(0)} round trips)` : `${kind}: -`,
    )
    .join('; ');

/** The service's IdBlocks for the ceiling: ids drawn from each table's identity sequence, 64 a round trip. */
class BenchIdBlocks {
  private readonly drawn = new Map<string, number[]>();

  async take(q: Query, table: 'orders' | 'order_items' | 'payments', count: number): Promise<number[]> {
    const ready = this.drawn.get(table) ?? [];
    this.drawn.set(table, ready);
    while (ready.length < count) {
      const rows = await q(`ceil_ids_${table}`, `SELECT nextval(pg_get_serial_sequence('${table}', 'id')) AS id FROM generate_series(1, 64)`);
      ready.push(...rows.rows.map((row: { id: string }) => Number(row.id)));
    }
    return ready.splice(0, count);
  }
}

/** The loop of each connection of a SQL driver: buyers and products picked as runHttp picks them. */
async function driveSql(
  options: { connections: number; seconds: number },
  seeded: Seeded,
  order: (pick: { buyer: number; optionId: number; productId: number }, stats: FlowStats, t0: number) => Promise<void>,
): Promise<FlowStats> {
  const stats: FlowStats = { paid: 0, soldOut: 0, otherFailures: {}, create: [], pay: [], flow: [], seconds: 0, lastPaidAt: 0 };
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.connections }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const buyer = seeded.buyerIds[(worker + i * options.connections) % seeded.buyerIds.length] as number;
        const pick = (worker * 7919 + i * 104729) % seeded.optionIds.length;
        const t0 = performance.now();
        const paidBefore = stats.paid;
        try {
          await order({ buyer, optionId: seeded.optionIds[pick] as number, productId: seeded.productIds[pick] as number }, stats, t0);
        } catch (error) {
          stats.otherFailures[String(error)] = (stats.otherFailures[String(error)] ?? 0) + 1;
          continue;
        }
        if (stats.paid > paidBefore) stats.lastPaidAt = (performance.now() - started) / 1000;
      }
    }),
  );
  stats.seconds = (performance.now() - started) / 1000;
  return stats;
}

/**
 * The ceiling: the two transactions the service runs, statement for statement (as
 * `--explain-statements` lists them), sent without waiting where the service pipelines (marked
 * "sent"): BEGIN (sent), product read, guarded reserve (sent; it raises when refused), order with
 * its lines (numbered ahead, sent), event (sent, with COMMIT right behind); then
 * BEGIN (sent), order lock (with its lines and refunds) and the buyer's wallet lock in one round
 * trip, then payment (numbered ahead), debit with its ledger row, stock confirm, the day's sales
 * row, order update and event (all sent, with COMMIT right behind). When the service's SQL changes, this should follow: the counts printed
 * beside the service's show a drift.
 */
async function runDirectSql(databaseUrl: string, seeded: Seeded, options: { connections: number; seconds: number }): Promise<FlowStats & { counts: SqlCounts }> {
  const { pool, counts, inTransaction } = sqlDriver(databaseUrl, { pipelined: true });
  const ids = new BenchIdBlocks();
  const stats = await driveSql(options, seeded, async ({ buyer, optionId, productId }, s, t0) => {
    const orderId = await inTransaction('create', async (q, send) => {
      const product = await q(
        'ceil_product',
        `SELECT products.*, (SELECT coalesce(json_agg(json_build_object('id', o.id, 'name', o.name, 'total_stock', o.total_stock, 'reserved_stock', o.reserved_stock,
                'sold_quantity', o.sold_quantity) ORDER BY o.id), '[]'::json) FROM product_options o WHERE o.product_id = products.id) AS options
         FROM products WHERE products.id = $1`,
        [productId],
      );
      const now = new Date();
      const line = {
        line_no: 1,
        product_id: productId,
        option_id: optionId,
        seller_id: product.rows[0].seller_id,
        product_name: product.rows[0].name,
        option_name: 'one',
        unit_price: PRICE,
        quantity: 1,
        amount: PRICE,
        discount_amount: 0,
        status: 'ORDERED',
        digital: false,
      };
      // Numbered ahead, as the service's IdBlocks do: a block of ids per round trip, drawn in
      // the transaction when the block runs out.
      const [id, lineId] = [...(await ids.take(q, 'orders', 1)), ...(await ids.take(q, 'order_items', 1))] as [number, number];
      // The reservation raises when refused (as the service's does), so nothing waits: the order
      // and its event are sent behind it and COMMIT behind them, one round trip.
      send(
        'ceil_reserve',
        `WITH reserved AS (
           UPDATE product_options SET reserved_stock = reserved_stock + $1 WHERE id = $2 AND total_stock - reserved_stock >= $3 RETURNING id)
         SELECT CASE WHEN EXISTS (SELECT 1 FROM reserved) THEN 1
                     ELSE guard_matched(0, coalesce((SELECT (total_stock - reserved_stock)::text FROM product_options WHERE id = $4 FOR SHARE), 'no such option')) END`,
        [1, optionId, 1, optionId],
      );
      send(
        'ceil_order_add',
        `WITH placed AS (
           INSERT INTO orders (id, user_id, status, total_amount, discount_amount, final_amount, user_coupon_id, reservation_expires_at, cancel_reason,
                               ship_recipient, ship_phone, ship_postal_code, ship_line1, ship_line2, version, created_at, updated_at)
           OVERRIDING SYSTEM VALUE
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id, created_at
         )
         INSERT INTO order_items (id, order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, discount_amount, status, digital, placed_at)
         OVERRIDING SYSTEM VALUE
         SELECT l.id, placed.id, l.line_no, l.product_id, l.option_id, l.seller_id, l.product_name, l.option_name, l.unit_price, l.quantity, l.amount, l.discount_amount, l.status, l.digital, placed.created_at
         FROM placed, jsonb_to_recordset($18::jsonb) AS l(id bigint, line_no smallint, product_id bigint, option_id bigint, seller_id bigint,
              product_name text, option_name text, unit_price bigint, quantity integer, amount bigint, discount_amount bigint, status text, digital boolean)`,
        [
          id,
          buyer,
          'CREATED',
          PRICE,
          0,
          PRICE,
          null,
          new Date(now.getTime() + 300_000),
          null,
          ADDRESS.recipient,
          ADDRESS.phone,
          ADDRESS.postalCode,
          ADDRESS.line1,
          null,
          0,
          now,
          now,
          JSON.stringify([{ id: lineId, ...line }]),
        ],
      );
      send(
        'ceil_event',
        'INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)',
        // The order as the service's event carries it.
        ['OrderCreated', 'Order', id, JSON.stringify({ id, user_id: buyer, status: 'CREATED', total_amount: PRICE, final_amount: PRICE, items: [{ ...line, id: lineId }], created_at: now }), now, now],
      );
      return id;
    }).catch((error: unknown) => {
      // A refused reservation fails the transaction at its COMMIT.
      if ((error as { code?: string }).code === 'P0002') return null;
      throw error;
    });
    s.create.push(performance.now() - t0);
    if (orderId === null) {
      s.soldOut++;
      return;
    }
    const t1 = performance.now();
    await inTransaction('pay', async (q, send, early) => {
      const now = new Date();
      // The buyer's wallet is locked in the order's round trip (lock order: order, wallet), as the service does.
      const locking = early(
        'ceil_order_lock',
        `SELECT orders.*, (SELECT coalesce(json_agg(i ORDER BY i.line_no), '[]'::json) FROM order_items i WHERE i.order_id = orders.id) AS items,
                (SELECT coalesce(json_agg(json_build_object('id', r.id, 'order_id', r.order_id, 'payment_id', r.payment_id, 'amount', r.amount, 'status', r.status,
                        'reason', r.reason, 'created_at', r.created_at, 'items',
                        (SELECT coalesce(json_agg(json_build_object('order_item_id', ri.order_item_id, 'quantity', ri.quantity, 'amount', ri.amount,
                                'discount_amount', ri.discount_amount) ORDER BY i.line_no), '[]'::json)
                         FROM refund_items ri JOIN order_items i ON i.id = ri.order_item_id WHERE ri.refund_id = r.id)) ORDER BY r.id), '[]'::json)
                 FROM refunds r WHERE r.order_id = orders.id) AS refunds
         FROM orders WHERE orders.id = $1 FOR UPDATE OF orders`,
        [orderId],
      );
      const [order, wallet] = await Promise.all([locking, q('ceil_wallet_lock', 'SELECT * FROM wallets WHERE user_id = $1 FOR UPDATE', [buyer])]);
      const balance = Number(wallet.rows[0].balance) - PRICE;
      const [paymentId] = (await ids.take(q, 'payments', 1)) as [number];
      // From here nothing waits (openAndDebit): the payment (numbered ahead), the debit, the stock,
      // the day's sales, the order and its event ride on COMMIT's round trip.
      send(
        'ceil_payment_add',
        `INSERT INTO payments (id, order_id, user_id, amount, status, failure_reason, created_at, updated_at, completed_at, refunded_amount, recovery_state,
                               recovery_attempts, recovery_next_attempt_at, recovery_last_attempt_at)
         OVERRIDING SYSTEM VALUE
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
        // Written once, COMPLETED, as the service does (PayInternally): the whole payment is this transaction.
        [paymentId, orderId, buyer, PRICE, 'COMPLETED', null, now, now, now, 0, null, 0, null, null],
      );
      send(
        'ceil_wallet_save',
        `WITH updated AS (
           UPDATE wallets SET balance = $1, version = version + 1, updated_at = $2 WHERE user_id = $3 AND version = $4 RETURNING *
         ), ledger AS (
           INSERT INTO wallet_ledger (user_id, type, amount, balance_after, order_id, actor_id, reason, created_at)
           SELECT e.user_id, e.type, e.amount, e.balance_after, e.order_id, e.actor_id, e.reason, e.created_at
           FROM ROWS FROM (jsonb_to_recordset($5::jsonb) AS (user_id bigint, type text, amount bigint, balance_after bigint,
                order_id bigint, actor_id bigint, reason text, created_at timestamptz))
                WITH ORDINALITY AS e(user_id, type, amount, balance_after, order_id, actor_id, reason, created_at, n)
           WHERE EXISTS (SELECT 1 FROM updated)
           ORDER BY e.n
           RETURNING id
         )
         SELECT guard_matched((SELECT count(*) FROM updated), $6)`,
        [
          balance,
          now,
          buyer,
          wallet.rows[0].version,
          JSON.stringify([
            { user_id: buyer, type: 'PAYMENT', amount: -PRICE, balance_after: balance, order_id: orderId, actor_id: buyer, reason: null, created_at: now.toISOString() },
          ]),
          'wallet changed since it was locked',
        ],
      );
      // Sent without waiting, as the service pipelines them; their guards raise (guard_matched).
      send(
        'ceil_confirm',
        `WITH moved AS (UPDATE product_options SET total_stock = total_stock - $1, reserved_stock = reserved_stock - $2, sold_quantity = sold_quantity + $3
                        WHERE id = $4 AND reserved_stock >= $5 RETURNING id)
         SELECT CASE WHEN EXISTS (SELECT 1 FROM moved) THEN 1
                     ELSE guard_matched(0, CASE WHEN EXISTS (SELECT 1 FROM product_options WHERE id = $6) THEN $7 ELSE 'no such option' END) END`,
        [1, 1, 1, optionId, 1, optionId, 'stock moved'],
      );
      send(
        'ceil_sales',
        `INSERT INTO product_sales_daily AS s (product_id, day, units, revenue, discount) VALUES ($1, $2::date, $3, $4, $5)
         ON CONFLICT (product_id, day) DO UPDATE SET units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue, discount = s.discount + EXCLUDED.discount`,
        [productId, now.toISOString().slice(0, 10), 1, PRICE, 0],
      );
      send(
        'ceil_order_save',
        `WITH saved AS (UPDATE orders SET status = $1, cancel_reason = $2, updated_at = $3, version = $4 WHERE id = $5 AND version = $6 RETURNING id)
         SELECT guard_matched((SELECT count(*) FROM saved), $7)`,
        ['CONFIRMED', null, now, Number(order.rows[0].version) + 1, orderId, order.rows[0].version, 'order changed since it was locked'],
      );
      send(
        'ceil_event',
        'INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ($1, $2, $3, $4, $5, $6)',
        ['PaymentCompleted', 'Order', orderId, JSON.stringify(order.rows[0]), now, now],
      );
    });
    s.pay.push(performance.now() - t1);
    s.paid++;
    s.flow.push(performance.now() - t0);
  });
  await pool.end();
  return { ...stats, counts };
}

/**
 * The minimal order transaction: what a paid order needs and no more, in one transaction of
 * single-row statements: lock the wallet, take the stock with a guarded UPDATE, debit, write the
 * order, its two lines (the order's line and the wallet ledger's) and one outbox row.
 */
async function runMinimal(databaseUrl: string, seeded: Seeded, options: { connections: number; seconds: number }): Promise<FlowStats & { counts: SqlCounts }> {
  const { pool, counts, inTransaction } = sqlDriver(databaseUrl, { pipelined: false });
  const stats = await driveSql(options, seeded, async ({ buyer, optionId, productId }, s, t0) => {
    const orderId = await inTransaction('order', async (q) => {
      const now = new Date();
      await q('min_wallet_lock', 'SELECT balance FROM wallets WHERE user_id = $1 FOR UPDATE', [buyer]);
      const taken = await q(
        'min_stock',
        'UPDATE product_options SET total_stock = total_stock - $2, sold_quantity = sold_quantity + $2 WHERE id = $1 AND total_stock - reserved_stock >= $2 RETURNING id',
        [optionId, 1],
      );
      if (taken.rowCount === 0) return null;
      const debited = await q('min_debit', 'UPDATE wallets SET balance = balance - $2, version = version + 1, updated_at = $3 WHERE user_id = $1 AND balance >= $2 RETURNING balance', [
        buyer,
        PRICE,
        now,
      ]);
      if (debited.rowCount === 0) throw new Error('insufficient balance');
      const order = await q(
        'min_order',
        // Paid at once: no reservation runs (the column is required; it says when the order was placed).
        `INSERT INTO orders (user_id, status, total_amount, discount_amount, final_amount, reservation_expires_at, version, created_at, updated_at,
                             ship_recipient, ship_phone, ship_postal_code, ship_line1)
         VALUES ($1, 'CONFIRMED', $2, 0, $2, $3, 1, $3, $3, $4, $5, $6, $7) RETURNING id, created_at`,
        [buyer, PRICE, now, ADDRESS.recipient, ADDRESS.phone, ADDRESS.postalCode, ADDRESS.line1],
      );
      const id = Number(order.rows[0].id);
      await q(
        'min_line',
        `INSERT INTO order_items (order_id, line_no, product_id, option_id, seller_id, product_name, option_name, unit_price, quantity, amount, discount_amount, placed_at)
         SELECT $1, 1, $2, $3, p.seller_id, p.name, 'one', $4, 1, $4, 0, $5 FROM products p WHERE p.id = $2`,
        [id, productId, optionId, PRICE, order.rows[0].created_at],
      );
      await q('min_ledger', `INSERT INTO wallet_ledger (user_id, type, amount, balance_after, order_id, actor_id, created_at) VALUES ($1, 'PAYMENT', $2, $3, $4, $1, $5)`, [
        buyer,
        -PRICE,
        debited.rows[0].balance,
        id,
        now,
      ]);
      await q('min_event', `INSERT INTO outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at) VALUES ('OrderPaid', 'Order', $1, $2, $3, $3)`, [
        id,
        JSON.stringify({ orderId: id, userId: buyer, amount: PRICE, items: [{ productId, optionId, quantity: 1 }] }),
        now,
      ]);
      return id;
    });
    const ms = performance.now() - t0;
    s.create.push(ms);
    if (orderId === null) {
      s.soldOut++;
      return;
    }
    s.paid++;
    s.flow.push(ms);
  });
  await pool.end();
  return { ...stats, counts };
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

/**
 * The statements and round trips per request, counted by bench/statements-hook.mjs in a window of
 * their own after the timed run: the same connections and as many buyers, on a fresh copy of the
 * catalog (the timed run may have sold the hot one out). The timed run has the hook idle, so that
 * the counting's own CPU (its query wrapper and above all its AsyncLocalStorage, propagated on every
 * promise) is not charged to the service. Logged in before counting starts, so no login is counted.
 */
async function countStatements(servers: BenchServer[], databaseUrl: string, variant: Variant, options: ScenarioOptions): Promise<{ statements: StatementReport; paid: number; seconds: number }> {
  const seeded = await seed(databaseUrl, variant);
  const tokens = await logIn((servers[0] as BenchServer).url, seeded.emails);
  const seconds = Math.min(COUNTING_SECONDS, options.seconds);
  // Switched on with nothing in flight: a request already running would count as background.
  await Promise.all(servers.map((s) => readStatements(s.url, { count: true })));
  const counted = await runHttp(servers.map((s) => s.url), seeded, tokens, { connections: options.connections, seconds });
  const statements = mergeStatements(await Promise.all(servers.map((s) => readStatements(s.url, { count: false }))));
  return { statements, paid: counted.paid, seconds };
}

/** Create and pay from many buyers: spread over 1,000 products and hot on 100; with the direct-SQL ceiling of each. */
export async function ordersScenario(_unused: unknown, options: ScenarioOptions): Promise<void> {
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
    const profileDir = options.profile ? mkdtempSync(path.join(tmpdir(), 'order-bench-profile-')) : null;
    const nodeArgs = [...countStatementsArgs(), ...(profileDir ? cpuProfileArgs(profileDir) : [])];
    const first = await startBenchServer(env, nodeArgs);
    const servers = [first];
    let window: { from: number; to: number } | null = null;
    try {
      for (let i = 1; i < options.instances; i++) servers.push(await startBenchServer(env, nodeArgs, first));
      if (!first.databaseUrl) throw new Error('the orders scenario needs PostgreSQL (BENCH_DATABASE_URL)');
      console.log(`-- ${variant.label}, ${BUYERS} buyers, ${options.instances} instance(s)`);
      const database = new URL(first.databaseUrl).pathname.slice(1);
      const seeded = await seed(first.databaseUrl, variant);
      const tokens = await logIn(first.url, seeded.emails);
      const pids = servers.map((s) => s.pid);
      // The hook must stay idle (not counting) through the timed run: its cost is not the service's.
      if ((await Promise.all(servers.map((s) => readStatements(s.url)))).some((r) => r.counting !== false))
        throw new Error('bench/statements-hook.mjs is counting before the timed run');
      let before = cpuSnapshot(pids);
      const from = profileClock();
      const viaHttp = await runHttp(servers.map((s) => s.url), seeded, tokens, options);
      window = { from, to: profileClock() };
      let after = cpuSnapshot(pids);
      report('  service (HTTP):', viaHttp);
      console.log(describeCpu(before, after, viaHttp.paid, { self: 'load generator', processes: 'service', database }));
      const serviceCpu = cpuPerUnit(before, after, viaHttp.paid, database);
      const counted = await countStatements(servers, first.databaseUrl, variant, options);
      const { statements } = counted;
      console.log(`  statements, counted apart after the timed run (${counted.seconds} s at the same load, ${counted.paid} paid orders):`);
      for (const line of describeStatements(statements, { create: 'POST /api/v1/orders', pay: 'POST /api/v1/payments/process' }, counted.paid, 'paid order', options.explainStatements))
        console.log(line);
      if (options.explainStatements) {
        const file = path.join(mkdtempSync(path.join(tmpdir(), 'order-bench-statements-')), `${variant.products}-products.json`);
        writeFileSync(file, JSON.stringify(statements, null, 2));
        console.log(`  every statement in full, with the counts by route and status: ${file}`);
      }

      // The ceiling and the minimal transaction each run on a fresh copy of the same catalog and buyers.
      before = cpuSnapshot([]);
      const direct = await runDirectSql(first.databaseUrl, await seed(first.databaseUrl, variant), options);
      after = cpuSnapshot([]);
      report('  ceiling (the same SQL transactions driven directly):', direct);
      console.log(describeCpu(before, after, direct.paid, { self: 'SQL driver', processes: '', database }));
      console.log(`  ${describeSqlCounts(direct.counts)}`);

      before = cpuSnapshot([]);
      const minimal = await runMinimal(first.databaseUrl, await seed(first.databaseUrl, variant), options);
      after = cpuSnapshot([]);
      report('  minimal order transaction (lock wallet, guarded stock UPDATE, debit, order, order line, ledger line, outbox row):', minimal, [
        ['transaction', minimal.flow],
      ]);
      console.log(describeCpu(before, after, minimal.paid, { self: 'SQL driver', processes: '', database }));
      console.log(`  ${describeSqlCounts(minimal.counts)}`);

      const [service, ceiling, least] = [rateOf(viaHttp), rateOf(direct), rateOf(minimal)];
      const of = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(0)}%` : '-');
      console.log(
        `  service : same-SQL ceiling : minimal = ${service.toFixed(0)} : ${ceiling.toFixed(0)} : ${least.toFixed(0)} paid orders/s ` +
          `= ${of(service, least)} : ${of(ceiling, least)} : 100% (service = ${of(service, ceiling)} of the ceiling)`,
      );
      const flowP99 = percentile(viaHttp.flow, 99);
      const check = (ok: boolean) => (ok ? 'yes' : 'NO');
      console.log(
        `  targets (reported, not asserted): service >= 40% of minimal ${check(service >= 0.4 * least)} (${of(service, least)}); ` +
          `PostgreSQL CPU per paid order <= 2 ms ${check((serviceCpu.postgres ?? Infinity) <= 2)} (${serviceCpu.postgres?.toFixed(2)} ms); ` +
          `service CPU per paid order <= 2 ms ${check(serviceCpu.processes <= 2)} (${serviceCpu.processes.toFixed(2)} ms); ` +
          `order + pay p99 < 200 ms ${check(flowP99 < 200)} (${flowP99.toFixed(0)} ms${options.connections === 64 ? '' : `, at ${options.connections} connections, the target is for 64`})`,
      );
    } finally {
      // The first instance owns (and drops) the database: stop it last.
      for (const server of servers.reverse()) await server.stop();
    }
    if (profileDir) for (const line of summarizeProfiles(profileDir, window)) console.log(line);
  }
}
