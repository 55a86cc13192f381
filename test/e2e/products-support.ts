import { expect } from 'chai';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import type { ProductView } from '../../src/application/catalog/product-view.js';
import { STOCK_STATUSES } from '../../src/domain/catalog/stock.js';
import { uniqueName } from '../support/environment.js';
import type { Account, ApiResponse, TestService } from '../support/service.js';
import { expectIsoTime } from './problem.js';

/** Helpers for the catalog's end-to-end suites (products*.test.ts): the API as API.md writes it. */

export const PRODUCTS = '/api/v1/products';
export const productPath = (productId: number | string) => `${PRODUCTS}/${productId}`;
export const restockPath = (productId: number | string, optionId: number | string) => `${PRODUCTS}/${productId}/options/${optionId}/restock`;

// The shapes the service answers with; the key lists below check them independently.
export type { ProductOptionView as OptionView, ProductView } from '../../src/application/catalog/product-view.js';
export { STOCK_STATUSES } from '../../src/domain/catalog/stock.js';

export interface ProductPage {
  items: ProductView[];
  page: number;
  size: number;
  totalItems: number;
  totalPages: number;
}

export interface NewProductBody {
  name: string;
  description?: string;
  category: string;
  price: number;
  digital?: boolean;
  options: Array<{ name: string; stock: number }>;
}

const PRODUCT_KEYS = ['id', 'sellerId', 'name', 'description', 'category', 'price', 'status', 'digital', 'stockStatus', 'availableStock', 'options', 'createdAt'];
const OPTION_KEYS = ['id', 'name', 'totalStock', 'reservedStock', 'availableStock', 'stockStatus'];
const PAGE_KEYS = ['items', 'page', 'size', 'totalItems', 'totalPages'];

/**
 * The test database is shared by the whole run (and the catalog is never emptied), so every test
 * gives its products a category of its own and reads lists filtered by it.
 */
export function freshCategory(): string {
  return uniqueName('cat');
}

export function freshKey(label = 'products'): string {
  return uniqueName(label);
}

/** A valid creation body: one option with 10 units, 10,000 won. */
export function productBody(category: string, overrides: Partial<NewProductBody> = {}): NewProductBody {
  return {
    name: uniqueName("Product"),
    description: 'A thing worth selling',
    category,
    price: 10_000,
    options: [{ name: 'ONE', stock: 10 }],
    ...overrides,
  };
}

/** A product exactly as API.md's "Resource shapes" writes it, with the stock sums consistent. */
export function expectProductShape(body: unknown): asserts body is ProductView {
  expect(body, 'product').to.be.an('object');
  const p = body as Record<string, unknown>;
  expect(Object.keys(p), 'product fields').to.have.members(PRODUCT_KEYS);
  for (const key of ['id', 'sellerId'] as const) {
    expect(p[key], key).to.be.a('number');
    expect(Number.isSafeInteger(p[key]) && (p[key] as number) > 0, `${key} is a positive integer`).to.equal(true);
  }
  for (const key of ['name', 'description', 'category'] as const) expect(p[key], key).to.be.a('string');
  expect(Number.isSafeInteger(p['price']), 'price is an integer').to.equal(true);
  expect(p['status']).to.be.oneOf(['ACTIVE', 'DISCONTINUED']);
  expect(p['digital'], 'digital is a boolean').to.be.a('boolean');
  expect(p['stockStatus']).to.be.oneOf([...STOCK_STATUSES]);
  expectIsoTime(p['createdAt']);
  expect(p['options'], 'options').to.be.an('array').that.is.not.empty;
  let sum = 0;
  for (const o of p['options'] as Array<Record<string, unknown>>) {
    expect(Object.keys(o), 'option fields').to.have.members(OPTION_KEYS);
    expect(Number.isSafeInteger(o['id']) && (o['id'] as number) > 0, 'option id is a positive integer').to.equal(true);
    expect(o['name']).to.be.a('string').that.is.not.empty;
    for (const key of ['totalStock', 'reservedStock', 'availableStock'] as const) {
      expect(Number.isSafeInteger(o[key]), `option ${key} is an integer`).to.equal(true);
    }
    const total = o['totalStock'] as number;
    const reserved = o['reservedStock'] as number;
    expect(reserved, 'reservedStock >= 0').to.be.at.least(0);
    expect(total, 'totalStock >= reservedStock').to.be.at.least(reserved);
    expect(o['availableStock'], 'availableStock = totalStock - reservedStock').to.equal(total - reserved);
    expect(o['stockStatus']).to.be.oneOf([...STOCK_STATUSES]);
    if (p['status'] === 'DISCONTINUED') expect(o['stockStatus']).to.equal('DISCONTINUED');
    sum += o['availableStock'] as number;
  }
  expect(p['availableStock'], 'product availableStock = sum over its options').to.equal(sum);
  if (p['status'] === 'DISCONTINUED') expect(p['stockStatus']).to.equal('DISCONTINUED');
}

/** A JSON answer with the given status whose body is a product. */
export function expectProductAnswer(res: ApiResponse, status: number): ProductView {
  expect(res.status, `status of ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  expectProductShape(res.body);
  return res.body;
}

/** A page as API.md's "Paging" writes it, whose items are products. */
export function expectProductPage(res: ApiResponse): ProductPage {
  expect(res.status, `status of ${JSON.stringify(res.body)}`).to.equal(200);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body), 'page fields').to.have.members(PAGE_KEYS);
  expect(body['items']).to.be.an('array');
  for (const item of body['items'] as unknown[]) expectProductShape(item);
  for (const key of ['page', 'size', 'totalItems', 'totalPages'] as const) {
    expect(Number.isSafeInteger(body[key]), `${key} is an integer`).to.equal(true);
  }
  return res.body as ProductPage;
}

export type Query = Record<string, string | number>;

/** The catalog endpoints of one running instance. */
export class CatalogClient {
  constructor(readonly t: TestService) {}

  create(who: Account | null, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(PRODUCTS, body, { ...(who ? { token: who.token } : {}), ...(headers ? { headers } : {}) });
  }

  async createOk(who: Account, body: NewProductBody): Promise<ProductView> {
    return expectProductAnswer(await this.create(who, body), 201);
  }

  get(productId: number | string, who?: Account): Promise<ApiResponse> {
    return this.t.api.get(productPath(productId), who ? { token: who.token } : {});
  }

  async getOk(productId: number): Promise<ProductView> {
    return expectProductAnswer(await this.get(productId), 200);
  }

  list(query: Query): Promise<ApiResponse> {
    const params = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]));
    return this.t.api.get(`${PRODUCTS}?${params.toString()}`);
  }

  async listOk(query: Query): Promise<ProductPage> {
    return expectProductPage(await this.list(query));
  }

  patch(who: Account | null, productId: number | string, body: unknown): Promise<ApiResponse> {
    return this.t.api.request('PATCH', productPath(productId), { ...(who ? { token: who.token } : {}), body });
  }

  restock(who: Account | null, productId: number | string, optionId: number | string, body: unknown, headers?: Record<string, string>) {
    return this.t.api.post(restockPath(productId, optionId), body, {
      ...(who ? { token: who.token } : {}),
      ...(headers ? { headers } : {}),
    });
  }

  /**
   * Moves stock the way orders will (reserve, confirm, release), straight through the stock
   * repository, then drops the product's cached views as the order use cases will have to.
   */
  async moveStock(move: 'reserve' | 'confirm' | 'release', productId: number, optionId: number, quantity: number): Promise<void> {
    const stock = resolve(this.t.service.container, TOKENS.stock);
    await stock[move]([{ optionId, quantity }]);
    await resolve(this.t.service.container, TOKENS.cache).invalidate(`product:${productId}`, 'product-lists');
  }
}

/**
 * Runs `work` on `writer` so that right after each of writer's cache invalidations, before the
 * writer goes on, `read` runs: a reader arriving at that very moment. A writer that invalidates
 * only after its change has committed lets that reader load the new row; one that invalidates
 * before committing lets it load and cache the old row again, under the new generation.
 */
export async function withReaderAtInvalidation<T>(writer: TestService, read: () => Promise<unknown>, work: () => Promise<T>): Promise<T> {
  const cache = resolve(writer.service.container, TOKENS.cache);
  const own = Object.getOwnPropertyDescriptor(cache, 'invalidate');
  const original = cache.invalidate;
  cache.invalidate = async (...namespaces: string[]) => {
    await original.apply(cache, namespaces);
    await read();
  };
  try {
    return await work();
  } finally {
    if (own) Object.defineProperty(cache, 'invalidate', own);
    else delete (cache as { invalidate?: unknown }).invalidate;
  }
}
