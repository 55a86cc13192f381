import pg from 'pg';
import type { Knex } from 'knex';

/**
 * Query options that make a statement a named prepared statement: node-postgres parses it once
 * per connection and then only binds and executes it, and PostgreSQL can reuse its plan. The hot
 * paths of ordering and paying send the same dozen statements thousands of times a second.
 * Only for SQL whose text never changes (node-postgres refuses one name with two texts); the
 * embedded database ignores the name.
 */
export const prepared = (name: string): { name: string } => ({ name: `os_${name}` });

/**
 * knex's `?` placeholders as PostgreSQL's `$1, $2, ...`, by knex's own rule (`\\?` stays a
 * question mark), worked out once per SQL text (keyed by the text, not the name: a name reused for
 * another text must reach node-postgres, which refuses it, rather than silently run the first
 * text). The texts are the code's fixed statements.
 */
const numbered = new Map<string, string>();
export function numberedPlaceholders(db: Knex, sql: string): string {
  let text = numbered.get(sql);
  if (text === undefined) {
    text = (db.client as { positionBindings(sql: string): string }).positionBindings(sql);
    numbered.set(sql, text);
  }
  return text;
}

/** The node-postgres connection of each open transaction (KnexTransactionManager registers it). */
const connectionOf = new WeakMap<Knex, pg.Client>();

/** A transaction's node-postgres connection, for runPrepared to send its statements on directly. */
export function registerConnection(trx: Knex.Transaction, connection: unknown): pg.Client | null {
  if (!(connection instanceof pg.Client)) return null; // the embedded database: knex's way
  connectionOf.set(trx, connection);
  return connection;
}

/**
 * The transaction is over and its connection back in the pool, perhaps another transaction's by
 * now: a statement still made on it (work left running) goes through knex, which refuses it.
 */
export function forgetConnection(trx: Knex.Transaction): void {
  connectionOf.delete(trx);
}

/**
 * Runs a fixed SQL text as a named prepared statement and returns its rows. Written out rather
 * than built: the hot paths skip knex's query builder, which cost about as much CPU per query as
 * the rest of the round trip. Inside a transaction on a server the statement goes straight to
 * the transaction's node-postgres connection, skipping knex's raw-query machinery as well (a
 * tenth of the service's CPU on the order path); elsewhere (the pool, the embedded database)
 * through knex.
 */
export async function runPrepared<Row>(db: Knex, name: string, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]> {
  const connection = connectionOf.get(db);
  if (connection) {
    const result = await connection.query<Row & pg.QueryResultRow>({ ...prepared(name), text: numberedPlaceholders(db, sql), values: [...bindings] });
    return result.rows;
  }
  const result = await db.raw(sql, bindings).options(prepared(name));
  return (result as { rows: Row[] }).rows;
}
