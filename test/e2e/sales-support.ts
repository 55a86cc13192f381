import { expect } from 'chai';
import { ManualClock } from '../support/clock.js';
import type { Account, ApiResponse, TestService } from '../support/service.js';
import { expectIsoTime } from './problem.js';
import { expectProductShape, type ProductView } from './products-support.js';

/** Helpers for the popular-products and sales-statistics end-to-end suites. */

export const POPULAR = '/api/v1/products/popular';
export const SALES = '/api/v1/stats/sales';
export const DAY_MS = 86_400_000;

let clocks = 0;

/**
 * A clock on days of its own. The test database is shared by the whole run and the aggregate's
 * queries read every row of a range of days, so each suite sells on days nobody else uses: after
 * 2010 (the integration suites' clocks stay before 2000, and a sweeper there must never find an
 * order of ours), years before today (the suites on the real clock).
 */
export function salesClock(): ManualClock {
  clocks += 1;
  return new ManualClock(new Date(Date.UTC(2010, 0, 1, 12) + clocks * 400 * DAY_MS));
}

export const dayOf = (at: Date) => at.toISOString().slice(0, 10);

export interface PopularItem {
  rank: number;
  product: ProductView;
  soldQuantity: number;
  revenue: number;
}

export interface PopularAnswer {
  days: number;
  generatedAt: string;
  items: PopularItem[];
}

/** 200 with exactly API.md's shape: `{days, generatedAt, items: [{rank, product, soldQuantity, revenue}]}`, ranks 1..n. */
export function expectPopular(res: ApiResponse): PopularAnswer {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body)).to.have.members(['days', 'generatedAt', 'items']);
  expect(body['days']).to.be.a('number');
  expectIsoTime(body['generatedAt']);
  const items = body['items'] as Array<Record<string, unknown>>;
  expect(items).to.be.an('array');
  items.forEach((item, i) => {
    expect(Object.keys(item)).to.have.members(['rank', 'product', 'soldQuantity', 'revenue']);
    expect(item['rank']).to.equal(i + 1);
    expectProductShape(item['product']);
    expect(Number.isSafeInteger(item['soldQuantity']) && (item['soldQuantity'] as number) > 0, 'soldQuantity > 0').to.equal(true);
    expect(Number.isSafeInteger(item['revenue']) && (item['revenue'] as number) >= 0, 'revenue is integer won').to.equal(true);
  });
  return res.body as PopularAnswer;
}

export interface SalesItem {
  key: number | string;
  soldQuantity: number;
  revenue: number;
  discountAmount: number;
}

/** 200 `{items: [{key, soldQuantity, revenue, discountAmount}]}`, nothing else. */
export function expectSales(res: ApiResponse): SalesItem[] {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expect(Object.keys(res.body as object)).to.deep.equal(['items']);
  for (const item of (res.body as { items: Array<Record<string, unknown>> }).items) {
    expect(Object.keys(item)).to.have.members(['key', 'soldQuantity', 'revenue', 'discountAmount']);
    expect(Number.isSafeInteger(item['discountAmount']) && (item['discountAmount'] as number) >= 0, 'discountAmount is integer won').to.equal(true);
    expect(item['discountAmount'] as number, 'discountAmount <= revenue').to.be.at.most(item['revenue'] as number);
  }
  return (res.body as { items: SalesItem[] }).items;
}

export function popularOf(t: TestService, query = ''): Promise<ApiResponse> {
  return t.api.get(`${POPULAR}${query}`);
}

export function salesOf(t: TestService, who: Account | null, query: string): Promise<ApiResponse> {
  return t.api.get(`${SALES}${query}`, who ? { token: who.token } : {});
}
