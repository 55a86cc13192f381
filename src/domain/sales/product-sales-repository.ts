import type { DayRange, ProductSales, SaleLine, SalesGroup, SalesQuery } from './sales.js';

/**
 * The per-product, per-day sales aggregate. Writes join the caller's transaction (a payment's or
 * a refund's), lock rows in ascending product id, and are guarded so units and revenue never go
 * below zero.
 */
export interface ProductSalesRepository {
  /** Adds a completed payment's lines to `day`. */
  record(day: string, lines: SaleLine[]): Promise<void>;
  /**
   * Takes a refunded sale's lines back from `day` (the day the sale was recorded on). Refuses
   * (InvalidState), changing nothing, when a row does not hold that much.
   */
  revert(day: string, lines: SaleLine[]): Promise<void>;
  /** The top `limit` products by net units over the days of `window` (see rankPopular). */
  popular(window: DayRange, limit: number): Promise<ProductSales[]>;
  /** Net sales over the days of the query, grouped, in key order; groups with no net units left out. */
  salesBy(query: SalesQuery): Promise<SalesGroup[]>;
}
