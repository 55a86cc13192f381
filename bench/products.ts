import { BENCH_CATEGORIES, seedCatalog } from './catalog-seed.js';
import { printResult, runLoad } from './load.js';
import { type BenchServer, startBenchServer } from './server.js';

const PRODUCTS = 10_000;

/** Deterministic spread of request parameters (no Math.random: runs are comparable). */
const pick = (i: number, worker: number, n: number) => ((i * 31 + worker * 17) % n) + 1;

async function run(server: BenchServer, label: string, options: { connections: number; seconds: number }): Promise<void> {
  if (!server.databaseUrl) throw new Error('the products scenario needs PostgreSQL (BENCH_DATABASE_URL)');
  const { minId, maxId } = await seedCatalog(server.databaseUrl, PRODUCTS);
  const span = maxId - minId + 1;
  console.log(`-- ${label}: ${PRODUCTS} products, ${PRODUCTS * 3} options`);
  printResult(
    await runLoad(`GET /products (newest, pages 1-50)`, server.url, options, (worker, i) => ({
      method: 'GET',
      path: `/api/v1/products?page=${pick(i, worker, 50)}&size=20`,
    })),
  );
  printResult(
    await runLoad(`GET /products (category, price_asc)`, server.url, options, (worker, i) => ({
      method: 'GET',
      path: `/api/v1/products?category=cat-${pick(i, worker, BENCH_CATEGORIES) - 1}&sort=price_asc&page=${pick(i, worker, 10)}`,
    })),
  );
  printResult(
    await runLoad(`GET /products (q=runner)`, server.url, options, (worker, i) => ({
      method: 'GET',
      path: `/api/v1/products?q=runner&page=${pick(i, worker, 20)}`,
    })),
  );
  printResult(
    await runLoad(`GET /products/{id}`, server.url, options, (worker, i) => ({
      method: 'GET',
      path: `/api/v1/products/${minId + ((i * 7919 + worker * 104729) % span)}`,
    })),
  );
}

/** List and detail against 10,000 products, with the cache on and off (target p99 < 100 ms at 64 connections). */
export async function productsScenario(_unused: BenchServer | null, options: { connections: number; seconds: number }): Promise<void> {
  for (const [label, env] of [
    ['cache on (in-process)', { CATALOG_CACHE_TTL_SECONDS: '30' }],
    ['cache off', { CATALOG_CACHE_TTL_SECONDS: '0' }],
    ...(process.env['BENCH_REDIS_URL'] ? [['cache on (Redis)', { CATALOG_CACHE_TTL_SECONDS: '30' }] as const] : []),
  ] as const) {
    const server = await startBenchServer({ ...env, ...(label.includes('Redis') ? {} : { REDIS_URL: '' }) });
    try {
      await run(server, label, options);
    } finally {
      await server.stop();
    }
  }
}
