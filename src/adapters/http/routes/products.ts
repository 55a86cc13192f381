import { Router } from 'express';
import Joi from 'joi';
import type { ChangeProduct } from '../../../application/catalog/change-product.js';
import type { GetProduct } from '../../../application/catalog/get-product.js';
import type { ListProductForSale } from '../../../application/catalog/list-product-for-sale.js';
import type { ListProducts } from '../../../application/catalog/list-products.js';
import type { RestockOption } from '../../../application/catalog/restock-option.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { GetPopularProducts, PopularProductsQuery } from '../../../application/sales/get-popular-products.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { PRODUCT_STATUSES, type ProductChanges, type ProductDetails } from '../../../domain/catalog/product.js';
import { MAX_PRICE } from '../../../domain/catalog/price.js';
import { PRODUCT_SORTS, type ProductQuery } from '../../../domain/catalog/product-repository.js';
import { MAX_STOCK } from '../../../domain/catalog/stock.js';
import { MAX_POPULAR_DAYS, MAX_POPULAR_LIMIT } from '../../../domain/sales/sales.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { CATALOG_CACHE_NOTE } from '../openapi/components.js';
import { operation, type ProblemCase } from '../operation.js';
import { notFound } from '../problem-cases.js';
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

const won = (amount: number) => amount.toLocaleString('en-US');

const name = text(100).example('Canvas sneakers');
const description = Joi.string().max(5000).allow('');
const category = text(50).example('shoes');
// Only the type is a shape rule: positive, at most MAX_PRICE and a multiple of 100 is the price rule (422).
const price = Joi.number().integer().example(39000);
const PRICE_RULE = `not positive, above ${won(MAX_PRICE)}, or not a multiple of 100 is 422 INVALID_PRICE`;
const quantity = Joi.number().integer().min(1).max(1_000_000);
const digital = Joi.boolean().description(
  'A digital product (a download, a voucher code) is delivered without shipping: an order whose lines are all digital needs no `shippingAddress`. Orders keep what it was when they were placed.',
);

const listQuery = Joi.object<ProductQuery>({
  ...paging,
  sort: Joi.string()
    .valid(...PRODUCT_SORTS)
    .default('newest')
    .description(
      '`newest`: newest first (then by id, descending); `price_asc`: cheapest first (then by id); `price_desc`: dearest first (then by id, descending).',
    ),
  // Query values are converted, so trim() trims here.
  category: Joi.string().trim().min(1).max(50).description('Only this category (exact match); must not be blank.').example('shoes'),
  q: Joi.string()
    .trim()
    .min(1)
    .max(100)
    .description('Only products whose name contains this text, case-insensitively (`%` and `_` match themselves); must not be blank.')
    .example('sneak'),
  status: Joi.string()
    .valid(...PRODUCT_STATUSES)
    .description('Only products of this status (ACTIVE: on sale; DISCONTINUED: the seller stopped selling it).'),
});
const popularQuery = Joi.object<PopularProductsQuery>({
  days: Joi.number()
    .integer()
    .min(1)
    .max(MAX_POPULAR_DAYS)
    .default(3)
    .description(`How many days back, today included (1..${MAX_POPULAR_DAYS}).`),
  limit: Joi.number()
    .integer()
    .min(1)
    .max(MAX_POPULAR_LIMIT)
    .default(5)
    .description(`How many products at most (1..${MAX_POPULAR_LIMIT}).`),
});
const productId = positiveId.description('A product id (a positive integer; anything else is 400).');
const productParams = Joi.object<{ productId: number }>({ productId: productId.required() });
const optionParams = Joi.object<{ productId: number; optionId: number }>({
  productId: productId.required(),
  optionId: positiveId.description('An option id of that product (a positive integer; anything else is 400).').required(),
});
const sameOptionName = (a: unknown, b: unknown) =>
  typeof a === 'string' && typeof b === 'string' && a.trim().toLowerCase() === b.trim().toLowerCase();

// Text in a body is not trimmed by joi (see text()): the service trims it before storing it.
const TRIMMED = 'Trimmed (surrounding white space is not stored); must not be blank.';

const createBody = Joi.object<ProductDetails & { requestId?: string }>({
  name: name.description(TRIMMED).required(),
  description: description.description('May be empty; defaults to empty.').example('Low-top, cotton canvas.'),
  category: category.description(TRIMMED).required(),
  price: price.description(`Integer KRW (won). Only the type is a shape rule (a non-integer is 400); ${PRICE_RULE}.`).required(),
  digital: digital.default(false).example(false),
  options: Joi.array()
    .items(
      Joi.object({
        name: text(50)
          .description(`${TRIMMED} The names of one product's options must differ (case-insensitively, once trimmed), else 400.`)
          .example('270 mm')
          .required(),
        stock: Joi.number().integer().min(0).max(1_000_000).description('Units on hand at creation; 0 is allowed.').example(12).required(),
      }),
    )
    .unique((a: { name?: unknown }, b: { name?: unknown }) => sameOptionName(a.name, b.name))
    .message('option names must differ')
    .min(1)
    .max(100)
    .required()
    .description('The variants (sizes, colours), each with its own stock; their names must differ.'),
  requestId: requestIdField,
});
const changeBody = Joi.object<ProductChanges>({
  name: name.description(TRIMMED),
  description: description.description('May be empty.'),
  category: category.description(TRIMMED),
  price: price.description(`Integer KRW (won). A non-integer is 400; ${PRICE_RULE}.`),
  status: Joi.string()
    .valid(...PRODUCT_STATUSES)
    .description('ACTIVE: on sale. DISCONTINUED: the seller stopped selling it (it stays listed and can be made ACTIVE again).'),
  digital,
})
  .min(1)
  .description('Any of the fields, at least one; the ones left out keep their value. Options and stock are not changed here (see restock).');
const restockBody = Joi.object<{ quantity: number; requestId?: string }>({
  quantity: quantity
    .description(`Units added to the option's \`totalStock\`; an option holds at most ${won(MAX_STOCK)} units (more is 409 INVALID_STATE).`)
    .example(20)
    .required(),
  requestId: requestIdField,
});

/** Changing a product: its seller or an ADMIN. */
const NOT_THE_SELLER: ProblemCase = {
  code: 'FORBIDDEN',
  when: "the caller is a BUYER, or a SELLER and the product is another seller's.",
  detail: 'Only the product’s seller or an ADMIN may change it',
};

export const PRODUCT_OPERATIONS = {
  listProducts: operation({
    method: 'get',
    path: '/products',
    operationId: 'listProducts',
    tag: 'Products',
    summary: 'Browse the catalog',
    description:
      'Public. Products of every status unless `status` is given. Ordered by `sort`, ties broken by id, so paging through a list that does not change never repeats or skips a product. ' +
      CATALOG_CACHE_NOTE,
    auth: 'public',
    query: listQuery,
    responses: [{ status: 200, description: 'A page of products', schema: 'ProductPage' }],
  }),
  popularProducts: operation({
    method: 'get',
    path: '/products/popular',
    operationId: 'popularProducts',
    tag: 'Products',
    summary: 'Best sellers of the last days',
    description:
      'Public. The top `limit` products by net units sold over the last `days` days (a rolling window by UTC day: today and the `days - 1` days before it), counting paid orders and subtracting refunds ' +
      '(a refund is taken back from the day of the sale it undoes). Ties are broken by revenue (descending), then product id (ascending); a product whose net units are 0 is not listed. ' +
      'Read from a per-product, per-day sales aggregate that payments and refunds keep up to date in their own transactions, never from the orders. ' +
      'Cached per (`days`, `limit`) for `POPULAR_CACHE_TTL_SECONDS` (default 60; 0: no cache), shared by all instances with Redis: when the answer expires, one caller recomputes it while everyone else is served the previous answer, so `generatedAt` may be somewhat older than the TTL.',
    auth: 'public',
    query: popularQuery,
    responses: [{ status: 200, description: 'The ranking', schema: 'PopularProducts' }],
  }),
  getProduct: operation({
    method: 'get',
    path: '/products/:productId',
    operationId: 'getProduct',
    tag: 'Products',
    summary: 'One product',
    description: `Public. ${CATALOG_CACHE_NOTE}`,
    auth: 'public',
    params: productParams,
    responses: [{ status: 200, description: 'The product', schema: 'Product' }],
    errors: [notFound('Product')],
  }),
  createProduct: operation({
    method: 'post',
    path: '/products',
    operationId: 'createProduct',
    tag: 'Products',
    summary: 'List a product for sale (SELLER or ADMIN)',
    description: 'SELLER or ADMIN; the caller becomes its seller. The product starts ACTIVE with the given options and stock.',
    body: createBody,
    bodyName: 'CreateProductRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The new product', schema: 'Product' }],
    errors: [
      { code: 'FORBIDDEN', when: 'the caller is a BUYER.', detail: 'This requires the role SELLER or ADMIN' },
      {
        code: 'INVALID_PRICE',
        when: 'the price is not positive or not a multiple of 100.',
        detail: 'A price must be a multiple of 100 won, got 39050',
        example: 'INVALID_PRICE (not a multiple of 100)',
      },
      {
        code: 'INVALID_PRICE',
        when: `the price is above ${won(MAX_PRICE)} won.`,
        detail: `A price may be at most ${MAX_PRICE} won, got 1000000100`,
        example: 'INVALID_PRICE (above the highest price)',
      },
    ],
  }),
  updateProduct: operation({
    method: 'patch',
    path: '/products/:productId',
    operationId: 'updateProduct',
    tag: 'Products',
    summary: "Change a product's details or status",
    description:
      'Its seller or an ADMIN. Changes any of name, description, category, price, status (DISCONTINUED stops sales; ACTIVE resumes them) and `digital` (orders placed before keep what it was). Takes no Idempotency-Key: applying the same change again gives the same product.',
    params: productParams,
    body: changeBody,
    bodyName: 'UpdateProductRequest',
    responses: [{ status: 200, description: 'The product after the change', schema: 'Product' }],
    errors: [
      NOT_THE_SELLER,
      notFound('Product'),
      {
        code: 'INVALID_PRICE',
        when: `the price is not positive, above ${won(MAX_PRICE)}, or not a multiple of 100.`,
        detail: 'A price must be a positive whole number of won, got 0',
      },
    ],
  }),
  restockOption: operation({
    method: 'post',
    path: '/products/:productId/options/:optionId/restock',
    operationId: 'restockOption',
    tag: 'Products',
    summary: "Add units to an option's stock",
    description:
      "Its seller or an ADMIN. Adds `quantity` to the option's `totalStock` (in one guarded statement, safe alongside concurrent orders). A replay adds nothing.",
    params: optionParams,
    body: restockBody,
    bodyName: 'RestockRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'The whole product after the restock', schema: 'Product' }],
    errors: [
      NOT_THE_SELLER,
      { code: 'NOT_FOUND', when: 'no such product, or the option is not one of its options.', detail: 'Option 999 does not exist' },
      {
        code: 'INVALID_STATE',
        when: `the option would hold more than ${won(MAX_STOCK)} units.`,
        detail: `Option 7 would hold more than ${MAX_STOCK} units`,
      },
    ],
  }),
};

export function productRoutes(useCases: ProductUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  const ops = PRODUCT_OPERATIONS;

  route(ops.listProducts, async (_req, res) => {
    res.json(await useCases.listProducts.execute(checked<unknown, ProductQuery>(res).query));
  });

  // Before /products/:productId, which would take "popular" for an id.
  route(ops.popularProducts, async (_req, res) => {
    res.json(await useCases.getPopularProducts.execute(checked<unknown, PopularProductsQuery>(res).query));
  });

  route(ops.getProduct, async (_req, res) => {
    const { params } = checked<unknown, unknown, { productId: number }>(res);
    res.json(await useCases.getProduct.execute(params.productId));
  });

  route(
    ops.createProduct,
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { requestId: _key, ...details } = checked<ProductDetails & { requestId?: string }>(res).body;
      return { status: 201, body: await useCases.listProductForSale.execute(actorOf(res), details) };
    }),
  );

  route(ops.updateProduct, async (_req, res) => {
    const { params, body } = checked<ProductChanges, unknown, { productId: number }>(res);
    res.json(await useCases.changeProduct.execute(actorOf(res), params.productId, body));
  });

  route(
    ops.restockOption,
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
