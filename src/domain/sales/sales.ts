import { ValidationFailed } from '../shared/errors.js';

/**
 * Sales per product per day: the aggregate that payments add to and refunds take from, inside
 * their own transactions, and that the popular-products ranking and the sales statistics read.
 */

/** What one order adds to (or, refunded, takes from) one product's day. */
export interface SaleLine {
  productId: number;
  units: number;
  /** Gross: unit price × units, before any coupon discount. */
  revenue: number;
  /** What coupons took off those units (0..revenue): what the product's coupons cost its seller. */
  discount: number;
}

/** One product's net sales over a window. */
export interface ProductSales {
  productId: number;
  units: number;
  revenue: number;
}

/** An inclusive range of UTC days, `YYYY-MM-DD`. */
export interface DayRange {
  from: string;
  to: string;
}

export const SALES_GROUPINGS = ['product', 'category', 'day'] as const;
export type SalesGrouping = (typeof SALES_GROUPINGS)[number];

export interface SalesQuery extends DayRange {
  groupBy: SalesGrouping;
  /** Only this seller's products; absent: everyone's. */
  sellerId?: number;
}

/** One group of the statistics: a product id, a category, or a day. */
export interface SalesGroup {
  key: number | string;
  units: number;
  revenue: number;
  discount: number;
}

export const MAX_POPULAR_DAYS = 30;
export const MAX_POPULAR_LIMIT = 20;
export const MAX_STATS_DAYS = 366;

const DAY_MS = 86_400_000;
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The UTC date of an instant: the day a sale counts on. */
export function saleDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

/** Whether `value` is a real calendar date written `YYYY-MM-DD` (2026-02-30 is not). */
export function isDay(value: string): boolean {
  if (!DAY_PATTERN.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00.000Z`);
  return !Number.isNaN(parsed.getTime()) && saleDay(parsed) === value;
}

/** Days from `from` to `to`, both counted (1 when equal; 0 or less when `to` is before `from`). */
export function daysSpanned(range: DayRange): number {
  return Math.round((Date.parse(`${range.to}T00:00:00Z`) - Date.parse(`${range.from}T00:00:00Z`)) / DAY_MS) + 1;
}

/**
 * The rolling window of the last `days` days: today (UTC) and the `days - 1` days before it.
 * The aggregate is kept per day, so the window moves a day at a time.
 */
export function popularWindow(now: Date, days: number): DayRange {
  if (!Number.isInteger(days) || days < 1 || days > MAX_POPULAR_DAYS) {
    throw new ValidationFailed([{ field: 'days', message: `must be a whole number from 1 to ${MAX_POPULAR_DAYS}` }]);
  }
  const today = Date.parse(`${saleDay(now)}T00:00:00Z`);
  return { from: saleDay(new Date(today - (days - 1) * DAY_MS)), to: saleDay(now) };
}

/**
 * What an order's lines add to the aggregate: one line per product (an order may hold several
 * options of one product), in ascending product id, the order every transaction locks sales rows in.
 */
export function saleLinesOf(lines: ReadonlyArray<{ productId: number; unitPrice: number; quantity: number; discountAmount: number }>): SaleLine[] {
  const byProduct = new Map<number, SaleLine>();
  for (const line of lines) {
    const sale = byProduct.get(line.productId) ?? { productId: line.productId, units: 0, revenue: 0, discount: 0 };
    sale.units += line.quantity;
    sale.revenue += line.unitPrice * line.quantity;
    sale.discount += line.discountAmount;
    byProduct.set(line.productId, sale);
  }
  return [...byProduct.values()].sort((a, b) => a.productId - b.productId);
}

/** Refuses a line that would run a guarded move backwards (adding -1 is taking 1). */
export function assertSaleLine(line: SaleLine): void {
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (
    !Number.isSafeInteger(line.productId) ||
    line.productId < 1 ||
    !whole(line.units) ||
    line.units < 1 ||
    !whole(line.revenue) ||
    !whole(line.discount) ||
    line.discount > line.revenue
  ) {
    throw new RangeError(`A sale line needs a product id, units >= 1, revenue >= 0 and a discount within 0..revenue: ${JSON.stringify(line)}`);
  }
}

/**
 * The ranking: most net units first, then most revenue, then the lowest product id; products
 * with no net units (all refunded) are not listed.
 */
export function rankPopular(sales: Iterable<ProductSales>, limit: number): ProductSales[] {
  return [...sales]
    .filter((s) => s.units > 0)
    .sort((a, b) => b.units - a.units || b.revenue - a.revenue || a.productId - b.productId)
    .slice(0, limit);
}

/** Statistics groups in key order (product ids and days ascending, categories by code point); empty groups dropped. */
export function orderGroups(groups: Iterable<SalesGroup>): SalesGroup[] {
  return [...groups]
    .filter((g) => g.units > 0)
    .sort((a, b) => (typeof a.key === 'number' && typeof b.key === 'number' ? a.key - b.key : String(a.key) < String(b.key) ? -1 : String(a.key) > String(b.key) ? 1 : 0));
}
