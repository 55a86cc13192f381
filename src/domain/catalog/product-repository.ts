import type { Page, PageRequest } from '../shared/page.js';
import type { NewProduct, Product, ProductStatus } from './product.js';

export const PRODUCT_SORTS = ['newest', 'price_asc', 'price_desc'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];

export interface ProductQuery extends PageRequest {
  sort: ProductSort;
  category?: string;
  /** Name contains, case-insensitive. */
  q?: string;
  status?: ProductStatus;
}

export interface ProductRepository {
  add(product: NewProduct): Promise<Product>;
  get(id: number): Promise<Product | null>;
  /** Locks the product row (not its stock) until the transaction ends. */
  getForUpdate(id: number): Promise<Product | null>;
  /** Writes name, description, category, price and status. */
  save(product: Product): Promise<void>;
  /** Stable order: ties broken by id, so pages never repeat or skip a product. */
  list(query: ProductQuery): Promise<Page<Product>>;
}
