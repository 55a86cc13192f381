import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Logger } from '../application/ports/logger.js';
import type { Config } from './config.js';
import { lockDataDirectory } from './instance-lock.js';
import { redactUrl } from './redact-url.js';

export interface Database {
  db: Knex;
  /** `embedded` is PGlite in this process: one connection, one instance only. */
  kind: 'postgres' | 'embedded';
  description: string;
  /** Closes the pool (or PGlite), then lets go of the data directory's lock. */
  close(): Promise<void>;
}

/**
 * A pool on a PostgreSQL server. `pipelining` (DATABASE_PIPELINING): node-postgres's pipeline
 * mode, in which a query is sent as soon as it is made instead of after the previous one's
 * answer. KnexTransactionManager relies on it to send BEGIN and the writes nothing waits for
 * without waiting; queries that are awaited behave as before.
 */
export function openPostgresPool(url: string, options: { poolMax: number; pipelining?: boolean; acquireTimeoutMs?: number }): Knex {
  const pipelining = options.pipelining ?? true;
  return knexFactory({
    client: 'pg',
    connection: { connectionString: url, pipeline: pipelining } as Knex.StaticConnectionConfig,
    pool: { min: 0, max: options.poolMax },
    acquireConnectionTimeout: options.acquireTimeoutMs ?? 10_000,
  });
}

/**
 * The configured PostgreSQL, or PGlite in `DATA_DIR/pgdata`. The embedded database first takes
 * `DATA_DIR/instance.lock` (DataDirectoryInUse when another instance holds it): two PGlite
 * instances on one directory overwrite each other's writes.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'databasePoolMax' | 'dataDir'> & Partial<Pick<Config, 'databasePipelining'>>,
  logger?: Logger,
): Promise<Database> {
  if (config.databaseUrl) {
    const db = openPostgresPool(config.databaseUrl, { poolMax: config.databasePoolMax, pipelining: config.databasePipelining });
    return { db, kind: 'postgres', description: redactUrl(config.databaseUrl, 'PostgreSQL'), close: () => db.destroy() };
  }
  const dataDir = path.resolve(config.dataDir);
  const dir = path.join(dataDir, 'pgdata');
  await mkdir(dir, { recursive: true });
  const lock = await lockDataDirectory(dataDir, (stale, file) => {
    const holder = stale ? { pid: stale.pid, startedAt: stale.startedAt } : { content: 'unreadable' };
    const line = `taking over the lock of a stopped instance: ${file}`;
    if (logger) logger.warn(line, { staleLock: holder });
    else process.stderr.write(`${line} (${JSON.stringify(holder)})\n`);
  });
  let pglite: PGlite;
  try {
    pglite = createPglite(dir);
  } catch (error) {
    await lock.release();
    throw error;
  }
  const db = openEmbedded(pglite);
  return {
    db,
    kind: 'embedded',
    description: `embedded PostgreSQL (PGlite) in ${dir}`,
    close: async () => {
      try {
        await db.destroy();
        // knex closes PGlite with its one connection; not if it never opened that connection.
        if (!pglite.closed) await pglite.close();
      } finally {
        await lock.release();
      }
    },
  };
}

/** PGlite with the extensions the migrations use; no directory keeps everything in memory. */
export function createPglite(dir?: string): PGlite {
  // PGlite ignores the options argument when the directory is undefined: pass one object.
  return new PGlite({ ...(dir ? { dataDir: dir } : {}), extensions: { pg_trgm } });
}

/** knex over a PGlite instance; `new PGlite()` with no directory keeps everything in memory. */
export function openEmbedded(pglite: PGlite): Knex {
  // knex-pglite's dialect class is typed loosely; knex takes it as its `client`.
  const client = ClientPgLite as unknown as typeof knexFactory.Client;
  return knexFactory({ client, dialect: 'postgres', connection: { pglite } as Knex.StaticConnectionConfig });
}
