import { migrateToLatest } from '../adapters/postgres/migration-source.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './database.js';

/** `npm run migrate`: brings the configured database (or the embedded one) to the latest schema. */
try {
  const config = loadConfig(process.env);
  const { db, description } = await openDatabase(config);
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(`${description}: ${applied.length === 0 ? 'already up to date' : `applied ${applied.join(', ')}`}\n`);
  } finally {
    await db.destroy();
  }
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Migration failed: ${String(error)}`}\n`);
  process.exit(1);
}
