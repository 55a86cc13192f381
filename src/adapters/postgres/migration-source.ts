import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knex } from 'knex';

/** `migrations/` at the package root: three levels up from both src/adapters/postgres and dist/adapters/postgres. */
export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../migrations');

interface SqlMigration {
  name: string;
  file: string;
}

/**
 * Plain-SQL migrations run by knex's migrator (which records them and takes its lock, so several
 * instances starting at once migrate once). SQL keeps the constraints and triggers readable, and
 * the files need no compiling. Only forward migrations: a shop's data is never migrated down.
 */
export class SqlMigrationSource implements Knex.MigrationSource<SqlMigration> {
  constructor(private readonly dir: string = MIGRATIONS_DIR) {}

  async getMigrations(): Promise<SqlMigration[]> {
    const files = (await readdir(this.dir)).filter((f) => f.endsWith('.sql')).sort();
    return files.map((file) => ({ name: file, file: path.join(this.dir, file) }));
  }

  getMigrationName(migration: SqlMigration): string {
    return migration.name;
  }

  async getMigration(migration: SqlMigration): Promise<Knex.Migration> {
    const statements = splitSqlStatements(await readFile(migration.file, 'utf8'));
    return {
      async up(knex: Knex) {
        for (const statement of statements) await knex.raw(statement);
      },
      async down() {
        throw new Error(`${migration.name}: migrations only go forward`);
      },
    };
  }
}

/**
 * Splits a migration into statements (one statement per query keeps it portable to drivers that
 * take one at a time, such as the embedded database). A statement ends with ";" at the end of a
 * line outside a $$-quoted body.
 */
export function splitSqlStatements(sql: string): string[] {
  const statements: string[] = [];
  let current: string[] = [];
  let inBody = false;
  for (const line of sql.split('\n')) {
    current.push(line);
    const code = line.replace(/--.*$/, '');
    if ((code.match(/\$\$/g)?.length ?? 0) % 2 === 1) inBody = !inBody;
    if (!inBody && /;\s*$/.test(code)) {
      statements.push(current.join('\n'));
      current = [];
    }
  }
  statements.push(current.join('\n'));
  return statements.filter((s) => stripComments(s).trim().length > 0);
}

function stripComments(sql: string): string {
  return sql.replace(/--.*$/gm, '');
}

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new SqlMigrationSource() })) as [number, string[]];
  return applied;
}
