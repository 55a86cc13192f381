import { Router } from 'express';
import Joi from 'joi';
import type { GetProduct, ListProducts } from '../../../application/catalog/browse-products.js';
import type { ChangeProduct, ListProductForSale, RestockOption } from '../../../application/catalog/manage-products.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { GetPopularProducts, PopularProductsQuery } from '../../../application/sales/get-popular-products.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { PRODUCT_STATUSES, type ProductChanges, type ProductDetails } from '../../../domain/catalog/product.js';
import { PRODUCT_SORTS, type ProductQuery } from '../../../domain/catalog/product-repository.js';
import { MAX_POPULAR_DAYS, MAX_POPULAR_LIMIT } from '../../../domain/sales/sales.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { routeDefiner } from '../route.js';
import { paging, positiveId, requestIdField, text } from '../validation.js';

export interface ProductUseCases {
  listProducts: ListProducts;
  getProduct: GetProduct;
  listProductForSale: ListProductForSale;
  changeProduct: ChangeProduct;
  restockOption: RestockOption;
  runIdempotently: RunIdempotently;
  getPopularProducts: GetPopularProducts;
}

const name = text(100);
const description = Joi.string().max(5000).allow('');
const category = text(50);
// Only the type is a shape rule: positive and a multiple of 100 is the price rule (422).
const price = Joi.number().integer();
const quantity = Joi.number().integer().min(1).max(1_000_000);

const listQuery = Joi.object<ProductQuery>({
  ...paging,
  sort: Joi.string()
    .valid(...PRODUCT_SORTS)
    .default('newest'),
  // Query values are converted, so trim() trims here.
  category: Joi.string().trim().min(1).max(50),
  q: Joi.string().trim().min(1).max(100),
  status: Joi.string().valid(...PRODUCT_STATUSES),
});
const popularQuery = Joi.object<PopularProductsQuery>({
  days: Joi.number().integer().min(1).max(MAX_POPULAR_DAYS).default(3),
  limit: Joi.number().integer().min(1).max(MAX_POPULAR_LIMIT).default(5),
});
const productParams = Joi.object<{ productId: number }>({ productId: positiveId.required() });
const optionParams = Joi.object<{ productId: number; optionId: number }>({
  productId: positiveId.required(),
  optionId: positiveId.required(),
});
const sameOptionName = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

const createBody = Joi.object<ProductDetails & { requestId?: string }>({
  name: name.required(),
  description,
  category: category.required(),
  price: price.required(),
  options: Joi.array()
    .items(
      Joi.object({
        name: text(50).required(),
        stock: Joi.number().integer().min(0).max(1_000_000).required(),
      }),
    )
    .unique((a: { name?: unknown }, b: { name?: unknown }) => sameOptionName(a.name, b.name))
    .message('option names must differ')
    .min(1)
    .max(100)
    .required(),
  requestId: requestIdField,
});
const changeBody = Joi.object<ProductChanges>({
  name,
  description,
  category,
  price,
  status: Joi.string().valid(...PRODUCT_STATUSES),
}).min(1);
const restockBody = Joi.object<{ quantity: number; requestId?: string }>({ quantity: quantity.required(), requestId: requestIdField });

export function productRoutes(useCases: ProductUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route('get', '/products', { auth: false, query: listQuery }, async (_req, res) => {
    res.json(await useCases.listProducts.execute(checked<unknown, ProductQuery>(res).query));
  });

  // Before /products/:productId, which would take "popular" for an id.
  route('get', '/products/popular', { auth: false, query: popularQuery }, async (_req, res) => {
    res.json(await useCases.getPopularProducts.execute(checked<unknown, PopularProductsQuery>(res).query));
  });

  route('get', '/products/:productId', { auth: false, params: productParams }, async (_req, res) => {
    const { params } = checked<unknown, unknown, { productId: number }>(res);
    res.json(await useCases.getProduct.execute(params.productId));
  });

  route(
    'post',
    '/products',
    { body: createBody },
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { requestId: _key, ...details } = checked<ProductDetails & { requestId?: string }>(res).body;
      return { status: 201, body: await useCases.listProductForSale.execute(actorOf(res), details) };
    }),
  );

  route('patch', '/products/:productId', { params: productParams, body: changeBody }, async (_req, res) => {
    const { params, body } = checked<ProductChanges, unknown, { productId: number }>(res);
    res.json(await useCases.changeProduct.execute(actorOf(res), params.productId, body));
  });

  route(
    'post',
    '/products/:productId/options/:optionId/restock',
    { params: optionParams, body: restockBody },
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { params, body } = checked<{ quantity: number }, unknown, { productId: number; optionId: number }>(res);
      return {
        status: 200,
        body: await useCases.restockOption.execute(actorOf(res), params.productId, params.optionId, body.quantity),
      };
    }),
  );

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const PRODUCT_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
