/**
 * What other contexts may use of the sales context's domain: the port a payment counts a sale
 * through (and a refund takes it back), and how a sale is dated and split into lines.
 */
export type { ProductSalesRepository } from '../../domain/sales/product-sales-repository.js';
export { saleDay, saleLinesOf } from '../../domain/sales/sales.js';
