/**
 * What other contexts may use of the catalog's domain: the ports through which an order reserves,
 * sells and gives back stock and reads prices, the product it prices from, and the errors it
 * passes on. Everything else of the catalog is reached through its use cases; importing its
 * domain directly breaks the context rule (.dependency-cruiser.cjs).
 */
export { InsufficientStock, ProductUnavailable } from '../../domain/catalog/errors.js';
export type { Product } from '../../domain/catalog/product.js';
export type { ProductRepository } from '../../domain/catalog/product-repository.js';
export type { StockLine, StockRepository } from '../../domain/catalog/stock-repository.js';
