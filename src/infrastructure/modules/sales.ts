import { STATS_OPERATIONS, statsRoutes } from '../../adapters/http/routes/stats.js';
import { GetPopularProducts } from '../../application/sales/get-popular-products.js';
import { GetSalesStatistics } from '../../application/sales/sales-statistics.js';
import { SHARED } from '../tokens.js';
import { catalog } from './catalog.js';
import { bindings, classTokens, contextModule, useCasesOf } from './module.js';

/** The sales context: units and revenue per product per day, the popular ranking, the statistics. */
const T = classTokens({ GetPopularProducts, GetSalesStatistics });

export const sales = contextModule('sales', T, {
  container: bindings((bind) => {
    bind(T.getPopularProducts, (get) =>
      new GetPopularProducts(
        get(SHARED.sales),
        get(catalog.tokens.getProduct),
        get(SHARED.popularAnswers),
        { ttlSeconds: get(SHARED.config).popularCacheTtlSeconds },
        get(SHARED.clock),
      ),
    );
    // The catalog's router serves the ranking at /products/popular.
    bind(catalog.tokens.popularProducts, (get) => get(T.getPopularProducts));
    bind(T.getSalesStatistics, (get) => new GetSalesStatistics(get(SHARED.sales)));
  }),
  operations: Object.values(STATS_OPERATIONS),
  routes: (get) => [statsRoutes(useCasesOf(get, T), get(SHARED.authenticate))],
  jobs: () => [],
  rateLimits: () => ({}),
});
