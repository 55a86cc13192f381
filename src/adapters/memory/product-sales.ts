import type { ProductSalesRepository } from '../../domain/sales/product-sales-repository.js';
import {
  assertSaleLine,
  type DayRange,
  orderGroups,
  type ProductSales,
  rankPopular,
  type SaleLine,
  type SalesGroup,
  type SalesQuery,
} from '../../domain/sales/sales.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

interface SalesRow {
  productId: number;
  day: string;
  units: number;
  revenue: number;
  discount: number;
}

/** What the statistics need of a product: whose it is and its category (the join with `products`). */
export type ProductFacts = (productId: number) => { sellerId: number; category: string } | null;

const within = (day: string, range: DayRange) => day >= range.from && day <= range.to;

/**
 * The aggregate in a MemoryTable, with the same guards as PostgreSQL's: no row below zero, a
 * revert that does not fit changes nothing (the caller's transaction rolls back), a row only for
 * a product that exists (the foreign key).
 */
export class MemoryProductSalesRepository implements ProductSalesRepository {
  private readonly rows: MemoryTable<string, SalesRow>;

  constructor(
    private readonly transactions: MemoryTransactionManager,
    private readonly products: ProductFacts,
  ) {
    this.rows = new MemoryTable(transactions);
  }

  record(day: string, lines: SaleLine[]): Promise<void> {
    return this.transactions.run(async () => {
      for (const line of lines) assertSaleLine(line);
      for (const { productId, units, revenue, discount } of lines) {
        if (!this.products(productId)) throw new NotFound('Product', productId);
        const row = this.rows.get(`${productId}|${day}`) ?? { productId, day, units: 0, revenue: 0, discount: 0 };
        this.rows.set(`${productId}|${day}`, { ...row, units: row.units + units, revenue: row.revenue + revenue, discount: row.discount + discount });
      }
    });
  }

  revert(day: string, lines: SaleLine[]): Promise<void> {
    return this.transactions.run(async () => {
      for (const line of lines) assertSaleLine(line);
      for (const { productId, units, revenue, discount } of lines) {
        const row = this.rows.get(`${productId}|${day}`);
        if (!row || row.units < units || row.revenue < revenue || row.discount < discount) {
          throw new InvalidState(
            `Product ${productId} has fewer than ${units} units (${revenue} won, ${discount} won of discounts) of sales on ${day} to take back`,
          );
        }
        const next = { ...row, units: row.units - units, revenue: row.revenue - revenue, discount: row.discount - discount };
        // The CHECKs of product_sales_daily: revenue goes with units, a discount stays within revenue.
        if ((next.units === 0 && next.revenue !== 0) || next.discount > next.revenue) {
          throw new Error(`product_sales_daily row refused (check constraint): ${JSON.stringify(next)}`);
        }
        this.rows.set(`${productId}|${day}`, next);
      }
    });
  }

  async popular(window: DayRange, limit: number): Promise<ProductSales[]> {
    const byProduct = new Map<number, ProductSales>();
    for (const row of this.rows.values()) {
      if (!within(row.day, window)) continue;
      const sum = byProduct.get(row.productId) ?? { productId: row.productId, units: 0, revenue: 0 };
      byProduct.set(row.productId, { ...sum, units: sum.units + row.units, revenue: sum.revenue + row.revenue });
    }
    return rankPopular(byProduct.values(), limit);
  }

  async salesBy(query: SalesQuery): Promise<SalesGroup[]> {
    const groups = new Map<number | string, SalesGroup>();
    for (const row of this.rows.values()) {
      if (!within(row.day, query)) continue;
      const product = this.products(row.productId);
      if (!product || (query.sellerId !== undefined && product.sellerId !== query.sellerId)) continue;
      const key = query.groupBy === 'product' ? row.productId : query.groupBy === 'category' ? product.category : row.day;
      const sum = groups.get(key) ?? { key, units: 0, revenue: 0, discount: 0 };
      groups.set(key, { key, units: sum.units + row.units, revenue: sum.revenue + row.revenue, discount: sum.discount + row.discount });
    }
    return orderGroups(groups.values());
  }
}
