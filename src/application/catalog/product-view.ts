import { availableOf, type StockStatus } from '../../domain/catalog/stock.js';
import type { Product, ProductStatus } from '../../domain/catalog/product.js';

/** The catalog as buyers read it: plain JSON, so it can be cached and sent as is. */
export interface ProductOptionView {
  id: number;
  name: string;
  totalStock: number;
  reservedStock: number;
  availableStock: number;
  stockStatus: StockStatus;
}

export interface ProductView {
  id: number;
  sellerId: number;
  name: string;
  description: string;
  category: string;
  price: number;
  status: ProductStatus;
  /** Delivered without shipping: orders of digital products only need no address. */
  digital: boolean;
  stockStatus: StockStatus;
  availableStock: number;
  options: ProductOptionView[];
  createdAt: string;
}

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
  return {
    id: p.id,
    sellerId: p.sellerId,
    name: p.name,
    description: p.description,
    category: p.category,
    price: p.price,
    status: p.status,
    digital: p.digital,
    stockStatus: product.stockStatus(lowStockThreshold),
    availableStock: options.reduce((sum, o) => sum + o.availableStock, 0),
    options,
    createdAt: p.createdAt.toISOString(),
  };
}

/** Cache namespaces of the catalog: one per product, one for every list page. */
export const productNamespace = (productId: number) => `product:${productId}`;
export const PRODUCT_LISTS = 'product-lists';
