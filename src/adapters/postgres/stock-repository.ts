import { InsufficientStock } from '../../domain/catalog/errors.js';
import { assertQuantity, MAX_STOCK, type StockLevels } from '../../domain/catalog/stock.js';
import type { StockLine, StockRepository } from '../../domain/catalog/stock-repository.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';
import { guardRefusal, isUnmatchedGuard } from './pg-errors.js';

interface OptionRow {
  total_stock: number;
  reserved_stock: number;
  sold_quantity: number;
}

const toLevels = (row: OptionRow): StockLevels => ({
  total: Number(row.total_stock),
  reserved: Number(row.reserved_stock),
  sold: Number(row.sold_quantity),
});

/** What a pipelined move's guard reports when the option does not exist at all. */
const NO_SUCH_OPTION = 'no such option';

/**
 * One option's guarded move: the UPDATE (`set`, then `guard`, each taking the quantity at every
 * `?`, after the option id) raises through guard_matched() with `refusal` (an SQL expression, asked
 * only when the guard did not hold: CASE is lazy) when it matched no row, so a statement sent
 * behind it finds the transaction aborted instead of running. Built once per kind of move, not
 * on every statement.
 */
function guardedMove(set: string, guard: string, refusal: string): string {
  return `WITH moved AS (UPDATE product_options SET ${set} WHERE id = ? AND ${guard} RETURNING id)
    SELECT CASE WHEN EXISTS (SELECT 1 FROM moved) THEN 1 ELSE guard_matched(0, ${refusal}) END`;
}

/** The units left, read under a lock so that it is the row as it is now (see reserve); or that there is no such option. */
const RESERVE_SQL = guardedMove(
  'reserved_stock = reserved_stock + ?',
  'total_stock - reserved_stock >= ?',
  `coalesce((SELECT (total_stock - reserved_stock)::text FROM product_options WHERE id = ? FOR SHARE), '${NO_SUCH_OPTION}')`,
);

/** A move after the reservation: `set` and `guard` as in guardedMove; refused with its own text, or that there is no such option. */
interface Move {
  name: string;
  sql: string;
  /** How many `?` in `set`. */
  setCount: number;
  guard: string;
}

const moveOf = (name: string, set: string, guard: string): Move => ({
  name,
  sql: guardedMove(set, guard, `CASE WHEN EXISTS (SELECT 1 FROM product_options WHERE id = ?) THEN ? ELSE '${NO_SUCH_OPTION}' END`),
  setCount: set.split('?').length - 1,
  guard,
});

const CONFIRM = moveOf(
  'stock_confirm',
  'total_stock = total_stock - ?, reserved_stock = reserved_stock - ?, sold_quantity = sold_quantity + ?',
  'reserved_stock >= ?',
);
const RELEASE = moveOf('stock_release', 'reserved_stock = reserved_stock - ?', 'reserved_stock >= ?');
const RETURN_SOLD = moveOf('stock_return', 'total_stock = total_stock + ?, sold_quantity = sold_quantity - ?', 'sold_quantity >= ?');

/**
 * Ascending option id: every transaction takes its stock row locks in the same order. Quantities
 * are checked first: a negative one would run each guard backwards (reserve(-1) releases).
 */
function inLockOrder(lines: StockLine[]): StockLine[] {
  for (const line of lines) assertQuantity(line.quantity);
  return [...lines].sort((a, b) => a.optionId - b.optionId);
}

/**
 * Every move is one UPDATE whose WHERE clause is the rule itself, so two buyers can never both
 * take the last unit: the second UPDATE waits for the first's row lock, then re-checks the
 * guard against the committed row. No read-modify-write in application code.
 */
export class PostgresStockRepository implements StockRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  /**
   * Each line's guarded UPDATE raises when it does not hold (guard_matched), saying how many units
   * the option has left, read with a lock so that it is the row as it is now, not as it was when
   * the statement began (an UPDATE that waited for another buyer's reservation re-checks against
   * that reservation; so must the figure). So nothing here needs the answer: the lines are
   * pipelined writes (KnexTransactionManager.write), and so is what the caller sends next (the
   * order, its event) and the COMMIT behind them: placing an order takes one round trip after
   * its products are read. A refusal aborts the transaction, so what follows it is not run (no
   * order written on a sold-out storm), and the transaction fails with the first refused line's
   * InsufficientStock (as `refused` words it), not with what failed behind it.
   *
   * The reservation goes first among the writes and COMMIT follows at once, so the option's row
   * is locked only while PostgreSQL runs them, never while the service works between round trips.
   */
  async reserve(lines: StockLine[], refused: (shortage: InsufficientStock) => Error = (shortage) => shortage): Promise<void> {
    // Several lines are all or nothing: join the caller's transaction, or open one.
    await this.tx.run(async () => {
      for (const { optionId, quantity } of inLockOrder(lines)) {
        await this.tx.write('stock_reserve', RESERVE_SQL, [quantity, optionId, quantity, optionId], (error: unknown) => {
          if (!isUnmatchedGuard(error)) return error;
          const left = guardRefusal(error);
          if (left === NO_SUCH_OPTION) return new NotFound('Option', optionId);
          const available = Number(left);
          return refused(new InsufficientStock(`Option ${optionId}: ${available} available, ${quantity} requested`, optionId, available));
        });
      }
    });
  }

  async confirm(lines: StockLine[]): Promise<void> {
    await this.moveEach(CONFIRM, lines);
  }

  async release(lines: StockLine[]): Promise<void> {
    await this.moveEach(RELEASE, lines);
  }

  async returnSold(lines: StockLine[]): Promise<void> {
    await this.moveEach(RETURN_SOLD, lines);
  }

  async restock({ optionId, quantity }: StockLine): Promise<StockLevels> {
    assertQuantity(quantity);
    const [row] = await this.tx
      .connection()<OptionRow>('product_options')
      .where('id', optionId)
      .andWhereRaw('total_stock <= ?', [MAX_STOCK - quantity])
      .increment('total_stock', quantity)
      .returning(['total_stock', 'reserved_stock', 'sold_quantity']);
    if (row) return toLevels(row as OptionRow);
    if (!(await this.levels(optionId))) throw new NotFound('Option', optionId);
    throw new InvalidState(`Option ${optionId} would hold more than ${MAX_STOCK} units`);
  }

  async levels(optionId: number): Promise<StockLevels | null> {
    // Written out: every buyer refused in a sell-out storm reads it, and knex's builder inside a
    // transaction costs a knex of its own per transaction.
    const [row] = await this.tx.query<OptionRow>('stock_levels', 'SELECT total_stock, reserved_stock, sold_quantity FROM product_options WHERE id = ?', [optionId]);
    return row ? toLevels(row) : null;
  }

  /**
   * Pipelined (KnexTransactionManager.write): the guard raises when it does not hold, failing the
   * transaction with InvalidState. These moves follow a reservation the order holds (or a sale it
   * made), so a guard that does not hold is a broken invariant, not a buyer's everyday refusal.
   */
  private async moveEach({ name, sql, setCount, guard }: Move, lines: StockLine[]): Promise<void> {
    await this.tx.run(async () => {
      for (const { optionId, quantity } of inLockOrder(lines)) {
        const refusal = `Option ${optionId}: cannot move ${quantity} units (${guard.replace('?', String(quantity))} does not hold)`;
        await this.tx.write(name, sql, [...Array<number>(setCount).fill(quantity), optionId, quantity, optionId, refusal], (error) => {
          if (!isUnmatchedGuard(error)) return error;
          const refused = guardRefusal(error);
          return refused === NO_SUCH_OPTION ? new NotFound('Option', optionId) : new InvalidState(refused);
        });
      }
    });
  }
}
