import { PRODUCT_OPERATIONS, productRoutes } from '../../adapters/http/routes/products.js';
import type { CatalogSettings } from '../../application/catalog/catalog-settings.js';
import { ChangeProduct } from '../../application/catalog/change-product.js';
import { GetProduct } from '../../application/catalog/get-product.js';
import { ListProductForSale } from '../../application/catalog/list-product-for-sale.js';
import { ListProducts } from '../../application/catalog/list-products.js';
import { RestockOption } from '../../application/catalog/restock-option.js';
import type { GetPopularProducts } from '../../application/sales/get-popular-products.js';
import { SHARED, token } from '../tokens.js';
import { bindings, classTokens, contextModule, useCasesOf } from './module.js';

/** The catalog context: products, their options and stock. */
const T = {
  ...classTokens({ ListProducts, GetProduct, ListProductForSale, ChangeProduct, RestockOption }),
  catalogSettings: token<CatalogSettings>('CatalogSettings'),
  /**
   * What GET /products/popular answers with: the sales module binds it (the ranking is sales',
   * and sales reads products through GetProduct, so the dependency between the two modules runs
   * one way, sales → catalog).
   */
  popularProducts: token<GetPopularProducts>('PopularProducts'),
};

export const catalog = contextModule('catalog', T, {
  container: bindings((bind) => {
    bind(T.catalogSettings, (get) => ({
      lowStockThreshold: get(SHARED.config).lowStockThreshold,
      cacheTtlSeconds: get(SHARED.config).catalogCacheTtlSeconds,
    }));
    bind(T.listProducts, (get) => new ListProducts(get(SHARED.products), get(SHARED.cache), get(T.catalogSettings)));
    bind(T.getProduct, (get) => new GetProduct(get(SHARED.products), get(SHARED.cache), get(T.catalogSettings)));
    bind(T.listProductForSale, (get) =>
      new ListProductForSale(get(SHARED.products), get(SHARED.transactions), get(SHARED.cache), get(T.catalogSettings), get(SHARED.clock)),
    );
    bind(T.changeProduct, (get) =>
      new ChangeProduct(get(SHARED.products), get(SHARED.transactions), get(SHARED.cache), get(T.catalogSettings), get(SHARED.clock)),
    );
    bind(T.restockOption, (get) =>
      new RestockOption(get(SHARED.products), get(SHARED.stock), get(SHARED.transactions), get(SHARED.cache), get(T.catalogSettings)),
    );
  }),
  operations: Object.values(PRODUCT_OPERATIONS),
  routes: (get) => [productRoutes({ ...useCasesOf(get, T), getPopularProducts: get(T.popularProducts) }, get(SHARED.authenticate))],
  jobs: () => [],
  rateLimits: () => ({}),
});
