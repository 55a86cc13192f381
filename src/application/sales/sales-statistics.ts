import type { ProductSalesRepository } from '../../domain/sales/product-sales-repository.js';
import type { SalesGrouping } from '../../domain/sales/sales.js';
import { Forbidden } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';

export interface SalesStatisticsQuery {
  /** `YYYY-MM-DD`, both days counted; the route has checked them (real dates, from <= to, at most 366 days). */
  from: string;
  to: string;
  groupBy: SalesGrouping;
}

export interface SalesStatisticsView {
  /** `revenue` is gross (before coupons); `discountAmount` is what coupons took off those sales. */
  items: Array<{ key: number | string; soldQuantity: number; revenue: number; discountAmount: number }>;
}

/**
 * `GET /stats/sales`: net units, gross revenue and the coupon discounts on them over a period, by
 * product, category or day, read from the sales aggregate. A SELLER sees only their own products'
 * sales (and so what their own coupons cost them: nobody else's coupon touches their lines); an
 * ADMIN sees everyone's.
 */
export class GetSalesStatistics {
  constructor(private readonly sales: ProductSalesRepository) {}

  async execute(actor: Actor, query: SalesStatisticsQuery): Promise<SalesStatisticsView> {
    if (actor.role !== 'SELLER' && actor.role !== 'ADMIN') throw new Forbidden('Sales statistics are for SELLERs (their own products) and ADMINs');
    const groups = await this.sales.salesBy({ ...query, ...(actor.role === 'SELLER' ? { sellerId: actor.userId } : {}) });
    return { items: groups.map((g) => ({ key: g.key, soldQuantity: g.units, revenue: g.revenue, discountAmount: g.discount })) };
  }
}
