import type { Product } from '../../domain/catalog/product.js';
import type { ProductRepository } from '../../domain/catalog/product-repository.js';
import type { StockRepository } from '../../domain/catalog/stock-repository.js';
import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import type { Cache } from '../ports/cache.js';
import type { TransactionManager } from '../ports/transaction-manager.js';
import type { CatalogSettings } from './catalog-settings.js';
import { assertManages } from './product-access.js';
import { PRODUCT_LISTS, productNamespace, productView, type ProductView } from './product-view.js';

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
