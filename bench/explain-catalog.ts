import knexFactory, { type Knex } from 'knex';
import { migrateToLatest } from '../src/adapters/postgres/migration-source.js';
import { seedCatalog } from './catalog-seed.js';
import { benchServerUrl } from './server.js';

/**
 * `npm run bench:explain`: seeds 100,000 products into a scratch database and prints, for each
 * query the product list can send, the index PostgreSQL chose and the time it took.
 * The SQL is what PostgresProductRepository sends (see its list()).
 */
const COUNT = Number(process.env['EXPLAIN_PRODUCTS'] ?? 100_000);
const server = benchServerUrl();
if (!server) throw new Error('needs PostgreSQL (BENCH_DATABASE_URL)');
const name = `order_explain_${process.pid}`;
const admin = knexFactory({ client: 'pg', connection: server, pool: { min: 0, max: 1 } });
await admin.raw('CREATE DATABASE ??', [name]);
const url = new URL(server);
url.pathname = `/${name}`;
const db: Knex = knexFactory({ client: 'pg', connection: url.toString(), pool: { min: 0, max: 1 } });

const OPTIONS = `(SELECT coalesce(json_agg(json_build_object('id', o.id) ORDER BY o.id), '[]'::json) FROM product_options o WHERE o.product_id = products.id)`;
const QUERIES: [string, string][] = [
  ['newest, page 1', `SELECT products.*, ${OPTIONS} FROM products ORDER BY created_at DESC, id DESC LIMIT 20`],
  ['newest, page 500', `SELECT products.*, ${OPTIONS} FROM (SELECT * FROM products ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 9980) products ORDER BY created_at DESC, id DESC`],
  ['price_asc', `SELECT products.*, ${OPTIONS} FROM products ORDER BY price, id LIMIT 20`],
  ['price_desc', `SELECT products.*, ${OPTIONS} FROM products ORDER BY price DESC, id DESC LIMIT 20`],
  ['category + newest', `SELECT products.*, ${OPTIONS} FROM products WHERE category = 'cat-3' ORDER BY created_at DESC, id DESC LIMIT 20`],
  ['category + price_asc', `SELECT products.*, ${OPTIONS} FROM products WHERE category = 'cat-3' ORDER BY price, id LIMIT 20`],
  ['status + newest', `SELECT products.*, ${OPTIONS} FROM products WHERE status = 'DISCONTINUED' ORDER BY created_at DESC, id DESC LIMIT 20`],
  ['status + price_asc', `SELECT products.*, ${OPTIONS} FROM products WHERE status = 'DISCONTINUED' ORDER BY price, id LIMIT 20`],
  ['q (name contains, rare)', `SELECT products.*, ${OPTIONS} FROM products WHERE lower(name) LIKE '%12345 %' ORDER BY created_at DESC, id DESC LIMIT 20`],
  ['q (name contains, common)', `SELECT products.*, ${OPTIONS} FROM products WHERE lower(name) LIKE '%runner%' ORDER BY created_at DESC, id DESC LIMIT 20`],
  ['count, no filter', `SELECT count(*) FROM products`],
  ['count, category', `SELECT count(*) FROM products WHERE category = 'cat-3'`],
  ['count, q rare', `SELECT count(*) FROM products WHERE lower(name) LIKE '%12345 %'`],
  ['detail', `SELECT products.*, ${OPTIONS} FROM products WHERE id = 5000`],
];

try {
  await migrateToLatest(db);
  await seedCatalog(url.toString(), COUNT);
  console.log(`${COUNT} products, ${COUNT * 3} options\n`);
  for (const [label, sql] of QUERIES) {
    const rows = (await db.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`)).rows as { 'QUERY PLAN': [{ Plan: Plan; 'Execution Time': number }] }[];
    const plan = rows[0]?.['QUERY PLAN'][0];
    if (!plan) continue;
    const scans = collectScans(plan.Plan).join(', ');
    console.log(`${label.padEnd(28)} ${plan['Execution Time'].toFixed(2).padStart(8)} ms   ${scans}`);
  }
} finally {
  await db.destroy();
  await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
  await admin.destroy();
}

interface Plan {
  'Node Type': string;
  'Index Name'?: string;
  'Relation Name'?: string;
  Plans?: Plan[];
}

function collectScans(plan: Plan): string[] {
  const here =
    plan['Node Type'].includes('Scan') && plan['Relation Name'] !== 'product_options'
      ? [`${plan['Node Type']}${plan['Index Name'] ? ` using ${plan['Index Name']}` : ` on ${plan['Relation Name'] ?? '?'}`}`]
      : plan['Node Type'] === 'Sort'
        ? ['Sort']
        : [];
  return [...here, ...(plan.Plans ?? []).flatMap(collectScans)];
}
