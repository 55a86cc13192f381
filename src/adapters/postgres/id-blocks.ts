import type { KnexTransactionManager } from './knex-transaction-manager.js';

/** Tables whose new rows this service numbers itself, from the table's own identity sequence. */
export type NumberedTable = 'orders' | 'order_items' | 'payments';

/** How many ids one round trip draws: one trip per this many orders (or lines) placed. */
export const ID_BLOCK_SIZE = 64;

/**
 * Ids drawn ahead from a table's identity sequence, a block at a time, so that a row's id is known
 * before its INSERT is sent. Then nothing waits for the INSERT's answer: an order, its lines and
 * its event go out one behind the other and ride on COMMIT's round trip.
 *
 * Every id comes from the sequence PostgreSQL itself numbers the table with (nextval is never
 * rolled back and never hands a number out twice), so ids stay unique across instances and
 * against rows inserted with the column's default. What an instance drew and did not use is a gap
 * when it stops, as with a sequence's CACHE; with several instances, ids are unique but no longer
 * in the order the rows were written (the lists sort by time, never by id).
 */
export class IdBlocks {
  /** Drawn and not yet handed out, per table, ascending. */
  private readonly drawn: Record<NumberedTable, number[]> = { orders: [], order_items: [], payments: [] };

  constructor(
    private readonly tx: KnexTransactionManager,
    private readonly blockSize = ID_BLOCK_SIZE,
  ) {}

  /** `count` fresh ids of `table`, in ascending order; a round trip only when the block runs out. */
  async take(table: NumberedTable, count: number): Promise<number[]> {
    const ready = this.drawn[table];
    while (ready.length < count) {
      // In the caller's transaction (nextval is never rolled back): a second connection taken
      // while holding one could wait forever once every connection of the pool does the same.
      const rows = await this.tx.query<{ id: string | number }>(
        `next_ids_${table}`,
        `SELECT nextval(pg_get_serial_sequence('${table}', 'id')) AS id FROM generate_series(1, ?)`,
        [Math.max(this.blockSize, count)],
      );
      // Requests drawing at the same time each add their block; every id is still drawn once.
      ready.push(...rows.map((row) => Number(row.id)));
      ready.sort((a, b) => a - b);
    }
    return ready.splice(0, count);
  }
}
