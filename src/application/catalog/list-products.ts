import type { ProductQuery, ProductRepository } from '../../domain/catalog/product-repository.js';
import type { Page } from '../../domain/shared/page.js';
import type { Cache } from '../ports/cache.js';
import type { CatalogSettings } from './catalog-settings.js';
import { PRODUCT_LISTS, productView, type ProductView } from './product-view.js';

export class ListProducts {
  constructor(
    private readonly products: ProductRepository,
    private readonly cache: Cache,
    private readonly settings: CatalogSettings,
  ) {}

  async execute(query: ProductQuery): Promise<Page<ProductView>> {
    const key = JSON.stringify([query.page, query.size, query.sort, query.category ?? null, query.q ?? null, query.status ?? null]);
    return this.cache.getOrLoad(PRODUCT_LISTS, key, this.settings.cacheTtlSeconds, async () => {
      const page = await this.products.list(query);
      return { ...page, items: page.items.map((p) => productView(p, this.settings.lowStockThreshold)) };
    });
  }
}
