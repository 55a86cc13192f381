import type { ProductRepository } from '../../domain/catalog/product-repository.js';
import { NotFound } from '../../domain/shared/errors.js';
import type { Cache } from '../ports/cache.js';
import type { CatalogSettings } from './catalog-settings.js';
import { productNamespace, productView, type ProductView } from './product-view.js';

export class GetProduct {
  constructor(
    private readonly products: ProductRepository,
    private readonly cache: Cache,
    private readonly settings: CatalogSettings,
  ) {}

  async execute(productId: number): Promise<ProductView> {
    const view = await this.cache.getOrLoad(productNamespace(productId), 'detail', this.settings.cacheTtlSeconds, async () => {
      const product = await this.products.get(productId);
      return product ? productView(product, this.settings.lowStockThreshold) : null;
    });
    if (!view) throw new NotFound('Product', productId);
    return view;
  }
}
