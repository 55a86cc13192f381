import type { Product } from '../../domain/catalog/product.js';
import type { ProductRepository } from '../../domain/catalog/product-repository.js';
import type { Clock } from '../../domain/shared/clock.js';
import type { Cache } from '../ports/cache.js';
import type { TransactionManager } from '../ports/transaction-manager.js';
import type { CatalogSettings } from './catalog-settings.js';
import { productView, type ProductView } from './product-view.js';

/**
 * What listing a product and changing one share: the same dependencies, and the last step. The
 * write is made in a transaction; after it commits, the cache entries it made stale are dropped
 * and the product is answered as buyers see it.
 */
export abstract class ListingWrite {
  constructor(
    protected readonly products: ProductRepository,
    protected readonly transactions: TransactionManager,
    protected readonly cache: Cache,
    protected readonly settings: CatalogSettings,
    protected readonly clock: Clock,
  ) {}

  protected async answer(product: Product, ...stale: string[]): Promise<ProductView> {
    // After commit (of the caller's transaction too, when there is one): a reader on any instance
    // then misses and reads the new row; before it, a reader could cache the old row again.
    await this.transactions.afterCommit(() => this.cache.invalidate(...stale));
    return productView(product, this.settings.lowStockThreshold);
  }
}
