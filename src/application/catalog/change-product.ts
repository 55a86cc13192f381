import type { ProductChanges } from '../../domain/catalog/product.js';
import type { ProductRepository } from '../../domain/catalog/product-repository.js';
import type { Clock } from '../../domain/shared/clock.js';
import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { Cache } from '../ports/cache.js';
import type { TransactionManager } from '../ports/transaction-manager.js';
import type { CatalogSettings } from './catalog-settings.js';
import { assertManages } from './product-access.js';
import { PRODUCT_LISTS, productNamespace, productView, type ProductView } from './product-view.js';

export class ChangeProduct {
  constructor(
    private readonly products: ProductRepository,
    private readonly transactions: TransactionManager,
    private readonly cache: Cache,
    private readonly settings: CatalogSettings,
    private readonly clock: Clock,
  ) {}

  async execute(actor: Actor, productId: number, changes: ProductChanges): Promise<ProductView> {
    assertRole(actor, 'SELLER', 'ADMIN');
    const product = await this.transactions.run(async () => {
      const found = await this.products.getForUpdate(productId);
      if (!found) throw new NotFound('Product', productId);
      assertManages(actor, found);
      found.change(changes, this.clock.now());
      await this.products.save(found);
      return found;
    });
    // After commit (of the caller's transaction too, when there is one): a reader on any instance
    // then misses and reads the new row; before it, a reader could cache the old row again.
    await this.transactions.afterCommit(() => this.cache.invalidate(productNamespace(productId), PRODUCT_LISTS));
    return productView(product, this.settings.lowStockThreshold);
  }
}
