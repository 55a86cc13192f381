import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import knexFactory, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import type { Config } from './config.js';
import { redactUrl } from './redact-url.js';

export interface Database {
  db: Knex;
  /** `embedded` is PGlite in this process: one connection, one instance only. */
  kind: 'postgres' | 'embedded';
  description: string;
}

export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'databasePoolMax' | 'dataDir'>): Promise<Database> {
  if (config.databaseUrl) {
    const db = knexFactory({
      client: 'pg',
      connection: config.databaseUrl,
      pool: { min: 0, max: config.databasePoolMax },
      acquireConnectionTimeout: 10_000,
    });
    return { db, kind: 'postgres', description: redactUrl(config.databaseUrl, 'PostgreSQL') };
  }
  const dir = path.resolve(config.dataDir, 'pgdata');
  await mkdir(dir, { recursive: true });
  return { db: openEmbedded(createPglite(dir)), kind: 'embedded', description: `embedded PostgreSQL (PGlite) in ${dir}` };
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
