import { InvalidState } from '../shared/errors.js';
import { InsufficientStock } from './errors.js';

export const STOCK_STATUSES = ['DISCONTINUED', 'SOLD', 'OUT_OF_STOCK', 'RESERVED', 'LOW_STOCK', 'AVAILABLE'] as const;
export type StockStatus = (typeof STOCK_STATUSES)[number];

export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

/** Most units one option may hold; well inside the database's integer columns. */
export const MAX_STOCK = 1_000_000_000;

/** The counts behind one option's stock (or the sums over a product's options). */
export interface StockLevels {
  /** Units the shop holds, reserved ones included. */
  total: number;
  /** Units held for unpaid orders. */
  reserved: number;
  /** Units sold and paid for (refunds give them back). */
  sold: number;
}

export function availableOf(levels: StockLevels): number {
  return levels.total - levels.reserved;
}

/**
 * What a buyer is told about stock (DOMAIN.md "Catalog and stock"), in order of precedence:
 * stopped by the seller, all sold, never had any, only reserved units left, a few left, plenty.
 */
export function stockStatusOf(levels: StockLevels, discontinued: boolean, lowStockThreshold = DEFAULT_LOW_STOCK_THRESHOLD): StockStatus {
  if (discontinued) return 'DISCONTINUED';
  const available = availableOf(levels);
  if (available <= 0) {
    if (levels.reserved > 0) return 'RESERVED';
    return levels.sold > 0 ? 'SOLD' : 'OUT_OF_STOCK';
  }
  return available <= lowStockThreshold ? 'LOW_STOCK' : 'AVAILABLE';
}

export function sumLevels(all: StockLevels[]): StockLevels {
  return all.reduce((sum, l) => ({ total: sum.total + l.total, reserved: sum.reserved + l.reserved, sold: sum.sold + l.sold }), {
    total: 0,
    reserved: 0,
    sold: 0,
  });
}

/** Every stock move is a positive whole number of units; zero or less would turn a guard around. */
export function assertQuantity(quantity: number): void {
  if (!Number.isSafeInteger(quantity) || quantity <= 0) {
    throw new RangeError(`A stock quantity must be a positive whole number, got ${quantity}`);
  }
}

/**
 * One option's stock. Each move is the rule the database applies as one guarded statement
 * (`total >= reserved >= 0` always holds); this class is that rule in plain code, for the memory
 * adapter and for reading.
 */
export class Stock {
  private constructor(
    readonly optionId: number,
    private levels: StockLevels,
  ) {}

  static of(optionId: number, levels: StockLevels): Stock {
    return new Stock(optionId, { ...levels });
  }

  get total(): number {
    return this.levels.total;
  }
  get reserved(): number {
    return this.levels.reserved;
  }
  get sold(): number {
    return this.levels.sold;
  }
  get available(): number {
    return availableOf(this.levels);
  }

  /** Holds units for an unpaid order. */
  reserve(quantity: number): void {
    assertQuantity(quantity);
    if (this.available < quantity) {
      throw new InsufficientStock(`Option ${this.optionId} has ${this.available} available, ${quantity} requested`, this.optionId, this.available);
    }
    this.levels.reserved += quantity;
  }

  /** The order was paid: its reserved units leave the shop. */
  confirm(quantity: number): void {
    assertQuantity(quantity);
    if (this.levels.reserved < quantity) {
      throw new InvalidState(`Option ${this.optionId} has only ${this.levels.reserved} reserved, cannot confirm ${quantity}`);
    }
    this.levels.total -= quantity;
    this.levels.reserved -= quantity;
    this.levels.sold += quantity;
  }

  /** The unpaid order was cancelled, expired or failed: its units become available again. */
  release(quantity: number): void {
    assertQuantity(quantity);
    if (this.levels.reserved < quantity) {
      throw new InvalidState(`Option ${this.optionId} has only ${this.levels.reserved} reserved, cannot release ${quantity}`);
    }
    this.levels.reserved -= quantity;
  }

  /** The seller adds units. */
  restock(quantity: number): void {
    assertQuantity(quantity);
    if (this.levels.total + quantity > MAX_STOCK) {
      throw new InvalidState(`Option ${this.optionId} would hold more than ${MAX_STOCK} units`);
    }
    this.levels.total += quantity;
  }

  /** A paid order was refunded: its units come back to the shelf. */
  returnSold(quantity: number): void {
    assertQuantity(quantity);
    if (this.levels.sold < quantity) {
      throw new InvalidState(`Option ${this.optionId} has only ${this.levels.sold} sold, cannot take back ${quantity}`);
    }
    this.levels.total += quantity;
    this.levels.sold -= quantity;
  }

  toLevels(): StockLevels {
    return { ...this.levels };
  }
}
