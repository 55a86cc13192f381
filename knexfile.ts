import type { Knex } from 'knex';
import { SqlMigrationSource } from './src/adapters/postgres/migration-source.js';

/**
 * For knex's own CLI and tools (e.g. `npx tsx node_modules/knex/bin/cli.js migrate:status`).
 * The service migrates itself at start-up, and `npm run migrate` does the same on demand, both
 * through the same SQL migration source.
 */
const config: Knex.Config = {
  client: 'pg',
  connection: process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  migrations: { migrationSource: new SqlMigrationSource() },
};

export default config;
