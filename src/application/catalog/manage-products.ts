import { Product, type ProductChanges, type ProductDetails } from '../../domain/catalog/product.js';
import type { ProductRepository } from '../../domain/catalog/product-repository.js';
import type { StockRepository } from '../../domain/catalog/stock-repository.js';
import type { Clock } from '../../domain/shared/clock.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { Cache } from '../ports/cache.js';
import type { TransactionManager } from '../ports/transaction-manager.js';
import type { CatalogSettings } from './catalog-settings.js';
import { PRODUCT_LISTS, productNamespace, productView, type ProductView } from './product-view.js';

/** A seller manages their own products; an ADMIN manages everyone's. */
function assertManages(actor: Actor, product: Product): void {
  if (actor.role !== 'ADMIN' && product.sellerId !== actor.userId) {
    throw new Forbidden('Only the product’s seller or an ADMIN may change it');
  }
}

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

export class RestockOption {
  constructor(
    private readonly products: ProductRepository,
    private readonly stock: StockRepository,
    private readonly transactions: TransactionManager,
    private readonly cache: Cache,
    private readonly settings: CatalogSettings,
  ) {}

  async execute(actor: Actor, productId: number, optionId: number, quantity: number): Promise<ProductView> {
    assertRole(actor, 'SELLER', 'ADMIN');
    const product = await this.transactions.run(async () => {
      const found = await this.products.get(productId);
      if (!found) throw new NotFound('Product', productId);
      assertManages(actor, found);
      if (!found.option(optionId)) throw new NotFound('Option', optionId);
      await this.stock.restock({ optionId, quantity });
      return (await this.products.get(productId)) as Product;
    });
    await this.transactions.afterCommit(() => this.cache.invalidate(productNamespace(productId), PRODUCT_LISTS));
    return productView(product, this.settings.lowStockThreshold);
  }
}
