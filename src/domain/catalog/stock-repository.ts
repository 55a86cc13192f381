import type { InsufficientStock } from './errors.js';
import type { StockLevels } from './stock.js';

export interface StockLine {
  optionId: number;
  quantity: number;
}

/**
 * Stock moves, each applied as one guarded statement so no two buyers can take the same unit,
 * whatever runs at once. Lines are applied in ascending option id (one global lock order); a
 * move over several lines is all or nothing within the caller's transaction.
 */
export interface StockRepository {
  /**
   * Fails with InsufficientStock naming the first line that cannot be held, as `refused` words it
   * when given. Inside the caller's transaction the refusal may come when that transaction ends
   * rather than from this call (a PostgreSQL server sends the reservation without waiting for its
   * answer); either way the transaction fails with it and nothing of it is kept.
   */
  reserve(lines: StockLine[], refused?: (shortage: InsufficientStock) => Error): Promise<void>;
  confirm(lines: StockLine[]): Promise<void>;
  release(lines: StockLine[]): Promise<void>;
  /** A refund: sold units come back. */
  returnSold(lines: StockLine[]): Promise<void>;
  restock(line: StockLine): Promise<StockLevels>;
  levels(optionId: number): Promise<StockLevels | null>;
}
