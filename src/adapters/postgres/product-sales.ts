import type { ProductSalesRepository } from '../../domain/sales/product-sales-repository.js';
import { assertSaleLine, type DayRange, type ProductSales, type SaleLine, type SalesGroup, type SalesQuery } from '../../domain/sales/sales.js';
import { InvalidState } from '../../domain/shared/errors.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';

type Num = string | number;

/** Ascending product id: every transaction takes its sales row locks in the same order. */
function inLockOrder(lines: SaleLine[]): SaleLine[] {
  for (const line of lines) assertSaleLine(line);
  return [...lines].sort((a, b) => a.productId - b.productId);
}

const GROUP_KEY: Record<SalesQuery['groupBy'], { select: string; order: string }> = {
  product: { select: 's.product_id', order: 's.product_id' },
  // Byte order, as the memory adapter sorts: the same answer whatever the database's collation.
  category: { select: 'p.category', order: 'p.category COLLATE "C"' },
  day: { select: "to_char(s.day, 'YYYY-MM-DD')", order: 's.day' },
};

/**
 * The aggregate in `product_sales_daily`. A sale is one guarded UPSERT per product, a refund one
 * guarded UPDATE per product, both joining the caller's transaction; the CHECKs (units >= 0,
 * revenue >= 0, 0 <= discount <= revenue) hold even for SQL written by hand.
 */
export class PostgresProductSalesRepository implements ProductSalesRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  async record(day: string, lines: SaleLine[]): Promise<void> {
    await this.tx.run(async () => {
      for (const { productId, units, revenue, discount } of inLockOrder(lines)) {
        // Pipelined (KnexTransactionManager.write): nothing reads the row back, and a broken
        // CHECK fails the transaction all the same.
        await this.tx.write(
          'sales_record',
          `INSERT INTO product_sales_daily AS s (product_id, day, units, revenue, discount) VALUES (?, ?::date, ?, ?, ?)
           ON CONFLICT (product_id, day) DO UPDATE
           SET units = s.units + EXCLUDED.units, revenue = s.revenue + EXCLUDED.revenue, discount = s.discount + EXCLUDED.discount`,
          [productId, day, units, revenue, discount],
        );
      }
    });
  }

  async revert(day: string, lines: SaleLine[]): Promise<void> {
    await this.tx.run(async () => {
      for (const { productId, units, revenue, discount } of inLockOrder(lines)) {
        const moved = await this.tx.query(
          'sales_revert',
          `UPDATE product_sales_daily SET units = units - ?, revenue = revenue - ?, discount = discount - ?
           WHERE product_id = ? AND day = ?::date AND units >= ? AND revenue >= ? AND discount >= ? RETURNING product_id`,
          [units, revenue, discount, productId, day, units, revenue, discount],
        );
        if (moved.length === 0) {
          throw new InvalidState(
            `Product ${productId} has fewer than ${units} units (${revenue} won, ${discount} won of discounts) of sales on ${day} to take back`,
          );
        }
      }
    });
  }

  async popular(window: DayRange, limit: number): Promise<ProductSales[]> {
    const rows = await this.tx.query<{ product_id: Num; units: Num; revenue: Num }>(
      'sales_popular',
      `SELECT product_id, sum(units) AS units, sum(revenue) AS revenue
       FROM product_sales_daily WHERE day BETWEEN ?::date AND ?::date
       GROUP BY product_id HAVING sum(units) > 0
       ORDER BY sum(units) DESC, sum(revenue) DESC, product_id ASC
       LIMIT ?`,
      [window.from, window.to, limit],
    );
    return rows.map((r) => ({ productId: Number(r.product_id), units: Number(r.units), revenue: Number(r.revenue) }));
  }

  async salesBy(query: SalesQuery): Promise<SalesGroup[]> {
    const { select, order } = GROUP_KEY[query.groupBy];
    const bindings: (string | number)[] = [query.from, query.to];
    if (query.sellerId !== undefined) bindings.push(query.sellerId);
    const result = await this.tx.connection().raw(
      `SELECT ${select} AS key, sum(s.units) AS units, sum(s.revenue) AS revenue, sum(s.discount) AS discount
       FROM product_sales_daily s JOIN products p ON p.id = s.product_id
       WHERE s.day BETWEEN ?::date AND ?::date ${query.sellerId !== undefined ? 'AND p.seller_id = ?' : ''}
       GROUP BY ${select}${query.groupBy === 'day' ? ', s.day' : ''} HAVING sum(s.units) > 0
       ORDER BY ${order}`,
      bindings,
    );
    return (result as { rows: { key: Num; units: Num; revenue: Num; discount: Num }[] }).rows.map((r) => ({
      key: query.groupBy === 'product' ? Number(r.key) : String(r.key),
      units: Number(r.units),
      revenue: Number(r.revenue),
      discount: Number(r.discount),
    }));
  }
}
