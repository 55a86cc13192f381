import { availableOf, type StockStatus } from '../../domain/catalog/stock.js';
import type { Product, ProductSnapshot } from '../../domain/catalog/product.js';
import { fieldsOf, type Written } from '../shared/fields.js';

/**
 * The catalog as buyers read it: plain JSON, so it can be cached and sent as is. A product's view
 * is the fields named in PRODUCT_FIELDS, in that order (the order of the answer's keys), dates as
 * ISO strings; what a field means is said where ProductSnapshot declares it.
 */

/** One option of a product, its stock as buyers see it. */
export interface ProductOptionView {
  id: number;
  name: string;
  totalStock: number;
  reservedStock: number;
  availableStock: number;
  stockStatus: StockStatus;
}

/** A product with its stock as buyers see it. */
interface ProductInStock extends Omit<ProductSnapshot, 'options'> {
  /** Of the product as a whole. */
  stockStatus: StockStatus;
  /** Sum of its options' `availableStock`. */
  availableStock: number;
  options: ProductOptionView[];
}

const PRODUCT_FIELDS = ['id', 'sellerId', 'name', 'description', 'category', 'price', 'status', 'digital', 'stockStatus', 'availableStock', 'options', 'createdAt'] as const;
export type ProductView = Written<Pick<ProductInStock, (typeof PRODUCT_FIELDS)[number]>>;

export function productView(product: Product, lowStockThreshold: number): ProductView {
  const p = product.toSnapshot();
  const options = p.options.map((o) => ({
    id: o.id,
    name: o.name,
    totalStock: o.total,
    reservedStock: o.reserved,
    availableStock: availableOf(o),
    stockStatus: product.optionStockStatus(o, lowStockThreshold),
  }));
  const availableStock = options.reduce((sum, o) => sum + o.availableStock, 0);
  return fieldsOf({ ...p, stockStatus: product.stockStatus(lowStockThreshold), availableStock, options }, PRODUCT_FIELDS);
}

/** Cache namespaces of the catalog: one per product, one for every list page. */
export const productNamespace = (productId: number) => `product:${productId}`;
export const PRODUCT_LISTS = 'product-lists';
