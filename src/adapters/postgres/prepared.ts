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

/**
 * Runs a fixed SQL text through knex as a named prepared statement and returns its rows: on the
 * pool, or in a transaction knex runs (the embedded database). Written out rather than built: the
 * hot paths skip knex's query builder, which cost about as much CPU per query as the rest of the
 * round trip. Inside a transaction on a server, KnexTransactionManager.query sends the same
 * statement straight to the transaction's connection instead.
 */
export async function runPrepared<Row>(db: Knex, name: string, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]> {
  const result = await db.raw(sql, bindings).options(prepared(name));
  return (result as { rows: Row[] }).rows;
}
