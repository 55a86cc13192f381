import { Product, type ProductDetails } from '../../domain/catalog/product.js';
import type { ProductRepository } from '../../domain/catalog/product-repository.js';
import type { Clock } from '../../domain/shared/clock.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { Cache } from '../ports/cache.js';
import type { TransactionManager } from '../ports/transaction-manager.js';
import type { CatalogSettings } from './catalog-settings.js';
import { PRODUCT_LISTS, productView, type ProductView } from './product-view.js';

export class ListProductForSale {
  constructor(
    private readonly products: ProductRepository,
    private readonly transactions: TransactionManager,
    private readonly cache: Cache,
    private readonly settings: CatalogSettings,
    private readonly clock: Clock,
  ) {}

  async execute(actor: Actor, details: ProductDetails): Promise<ProductView> {
    assertRole(actor, 'SELLER', 'ADMIN');
    const draft = Product.list(actor.userId, details, this.clock.now());
    const product = await this.transactions.run(() => this.products.add(draft));
    await this.transactions.afterCommit(() => this.cache.invalidate(PRODUCT_LISTS));
    return productView(product, this.settings.lowStockThreshold);
  }
}
