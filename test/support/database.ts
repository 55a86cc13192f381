import knexFactory, { type Knex } from 'knex';
import { migrateToLatest } from '../../src/adapters/postgres/migration-source.js';
import { createPglite, openEmbedded, openPostgresPool } from '../../src/infrastructure/database.js';
import { inCi, runId, uniqueEmail } from './environment.js';

export interface TestDatabase {
  /** `embedded` (PGlite, one connection) cannot show locking; tests that need it call requireRealPostgres. */
  kind: 'postgres' | 'embedded';
  db: Knex;
  /** Connection string of this run's own database (null for the embedded one). */
  url: string | null;
  /** Another pool on the same database, e.g. to act as a second instance. */
  connect(poolMax?: number): Knex;
}

let shared: Promise<TestDatabase> | null = null;
let cleanup: (() => Promise<void>) | null = null;
const extraPools: Knex[] = [];

/** This run's database, created and migrated on first use and dropped when the run ends. */
export function testDatabase(): Promise<TestDatabase> {
  shared ??= provision();
  return shared;
}

export function requireRealPostgres(ctx: Mocha.Context, database: TestDatabase): void {
  if (database.kind === 'postgres') return;
  if (inCi()) throw new Error('This test needs real PostgreSQL (TEST_DATABASE_URL) in CI');
  ctx.skip();
}

async function provision(): Promise<TestDatabase> {
  const serverUrl = process.env['TEST_DATABASE_URL'] ?? (inCi() ? null : await startContainer());
  if (!serverUrl) {
    if (inCi()) throw new Error('TEST_DATABASE_URL must be set in CI: tests run against real PostgreSQL there');
    // No server at all: the embedded database still serves everything but the locking tests.
    const db = openEmbedded(createPglite());
    await migrateToLatest(db);
    cleanup = () => db.destroy();
    return { kind: 'embedded', db, url: null, connect: () => db };
  }
  const name = `order_test_${runId}`;
  const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
  await admin.raw('CREATE DATABASE ??', [name]);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const connect = (poolMax = 20) => {
    // Connected as the service connects (pipelining), so the suite runs what production runs;
    // knex's own minute to wait for a connection, as the suite always had.
    const pool = openPostgresPool(url.toString(), { poolMax, acquireTimeoutMs: 60_000 });
    extraPools.push(pool);
    return pool;
  };
  const db = connect(30);
  await migrateToLatest(db);
  cleanup = async () => {
    await Promise.all(extraPools.map((p) => p.destroy()));
    await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
    await admin.destroy();
  };
  return { kind: 'postgres', db, url: url.toString(), connect };
}

let stopContainer: (() => Promise<unknown>) | null = null;

/** Without TEST_DATABASE_URL, a throwaway PostgreSQL in Docker, when Docker is there. */
async function startContainer(): Promise<string | null> {
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    stopContainer = () => container.stop();
    return container.getConnectionUri();
  } catch {
    return null;
  }
}

export async function dropTestDatabase(): Promise<void> {
  if (!shared) return;
  await shared.catch(() => null);
  await cleanup?.();
  await stopContainer?.();
}

/** A BUYER whose wallet holds `balance` (with its CHARGE in the ledger), written straight into the database; answers the user's id. */
export async function insertBuyerWithWallet(db: Knex, name: string, balance: number): Promise<number> {
  const [user] = await db('users').insert({ email: uniqueEmail(), name, role: 'BUYER', password_hash: 'x', created_at: new Date() }).returning('id');
  const userId = Number(user.id);
  await db.transaction(async (trx) => {
    await trx('wallets').insert({ user_id: userId, balance, version: 1, updated_at: new Date() });
    await trx('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: balance, balance_after: balance, created_at: new Date() });
  });
  return userId;
}
