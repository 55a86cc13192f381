import knexFactory from 'knex';

export const BENCH_CATEGORIES = 20;

/**
 * Seeds `count` products (3 options each) straight into the database with generate_series:
 * seeding through the API would take longer than the benchmark. Prices, categories, stock and
 * ages are spread deterministically; every 50th product is discontinued.
 */
export async function seedCatalog(databaseUrl: string, count: number): Promise<{ minId: number; maxId: number }> {
  const db = knexFactory({ client: 'pg', connection: databaseUrl, pool: { min: 0, max: 1 } });
  try {
    const [seller] = await db('users')
      .insert({ email: `bench-seller-${Date.now()}@bench.shop`, name: 'Bench Seller', role: 'SELLER', business_number: '123-45-67890', password_hash: 'x' })
      .returning('id');
    await db.raw(
      `INSERT INTO products (seller_id, name, description, category, price, status, created_at, updated_at)
       SELECT ?, 'Product ' || g || CASE WHEN g % 7 = 0 THEN ' Runner' WHEN g % 7 = 1 THEN ' Jacket' ELSE ' Basic' END,
              'Bench product number ' || g, 'cat-' || (g % ${BENCH_CATEGORIES}), (1 + (g * 7919) % 2000) * 100,
              CASE WHEN g % 50 = 0 THEN 'DISCONTINUED' ELSE 'ACTIVE' END,
              now() - (g || ' seconds')::interval, now()
       FROM generate_series(1, ?) g`,
      [Number((seller as { id: string }).id), count],
    );
    await db.raw(
      `INSERT INTO product_options (product_id, name, total_stock)
       SELECT p.id, s.size, (p.id * 13 + s.n) % 40 FROM products p CROSS JOIN (VALUES ('S', 1), ('M', 2), ('L', 3)) s(size, n)`,
    );
    // As autovacuum would have by now: statistics, and the visibility map index-only scans need.
    await db.raw('VACUUM ANALYZE products, product_options');
    const [range] = await db('products').min({ minId: 'id' }).max({ maxId: 'id' });
    return { minId: Number(range?.minId), maxId: Number(range?.maxId) };
  } finally {
    await db.destroy();
  }
}
