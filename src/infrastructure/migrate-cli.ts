import { migrateToLatest } from '../adapters/postgres/migration-source.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './database.js';
import { DataDirectoryInUse } from './instance-lock.js';

/** `npm run migrate`: brings the configured database (or the embedded one) to the latest schema. */
try {
  const config = loadConfig(process.env);
  const { db, description, close } = await openDatabase(config);
  try {
    const applied = await migrateToLatest(db);
    process.stdout.write(`${description}: ${applied.length === 0 ? 'already up to date' : `applied ${applied.join(', ')}`}\n`);
  } finally {
    await close();
  }
} catch (error) {
  const line =
    error instanceof ConfigError ? error.message : error instanceof DataDirectoryInUse ? `Migration refused: ${error.message}` : `Migration failed: ${String(error)}`;
  process.stderr.write(`${line}\n`);
  process.exit(1);
}
