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
 * Runs a fixed SQL text as a named prepared statement and returns its rows. Written out rather
 * than built: the hot paths skip knex's query builder, which cost about as much CPU per query as
 * the rest of the round trip.
 */
export async function runPrepared<Row>(db: Knex, name: string, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]> {
  const result = await db.raw(sql, bindings).options(prepared(name));
  return (result as { rows: Row[] }).rows;
}
