import { expect } from 'chai';
import { uniqueName } from '../support/environment.js';
import type { Account, ApiResponse, TestService } from '../support/service.js';
import { expectIsoTime } from './problem.js';

/**
 * Helpers for the coupon end-to-end suite (coupons.test.ts): the API as API.md writes it, with the
 * gaps filled as the project's coupon decisions do, checked field by field. The shapes are written
 * out here, not imported from the service, so they check it independently.
 */

export const COUPONS = '/api/v1/coupons';
export const couponPath = (couponId: number | string) => `${COUPONS}/${couponId}`;
export const ISSUE = `${COUPONS}/issue`;
export const ISSUE_LIMITED = `${COUPONS}/issue/limited`;
export const userCouponsPath = (userId: number | string) => `${COUPONS}/user/${userId}`;

export const COUPON_TYPES = ['PERCENTAGE', 'FIXED'] as const;
export const COUPON_STATUSES = ['CREATED', 'ACTIVE', 'EXHAUSTED', 'EXPIRED', 'SUSPENDED', 'CANCELLED'] as const;
export const USER_COUPON_STATUSES = ['ISSUED', 'USED', 'EXPIRED', 'REFUNDED'] as const;

export type CouponType = (typeof COUPON_TYPES)[number];
export type CouponStatus = (typeof COUPON_STATUSES)[number];
export type UserCouponStatus = (typeof USER_COUPON_STATUSES)[number];

export interface Coupon {
  id: number;
  code: string;
  name: string;
  type: CouponType;
  discountValue: number;
  maxDiscountAmount: number | null;
  minOrderAmount: number;
  totalQuantity: number | null;
  issuedQuantity: number;
  remainingQuantity: number | null;
  perUserLimit: number;
  validFrom: string;
  validUntil: string;
  status: CouponStatus;
  sellerId: number | null;
  createdBy: number;
}

export interface UserCoupon {
  id: number;
  couponId: number;
  code: string;
  name: string;
  type: CouponType;
  discountValue: number;
  status: UserCouponStatus;
  issuedAt: string;
  usedAt: string | null;
  orderId: number | null;
  expiresAt: string;
}

/** A page of coupons: `GET /api/v1/coupons`. */
export interface CouponPage {
  items: Coupon[];
  page: number;
  size: number;
  totalItems: number;
  totalPages: number;
}

export interface NewCouponBody {
  code: string;
  name: string;
  type: string;
  discountValue: number;
  maxDiscountAmount?: number | null;
  minOrderAmount?: number;
  totalQuantity?: number | null;
  perUserLimit?: number;
  validFrom: string;
  validUntil: string;
}

const COUPON_KEYS = [
  'id',
  'code',
  'name',
  'type',
  'discountValue',
  'maxDiscountAmount',
  'minOrderAmount',
  'totalQuantity',
  'issuedQuantity',
  'remainingQuantity',
  'perUserLimit',
  'validFrom',
  'validUntil',
  'status',
  'sellerId',
  'createdBy',
];
const USER_COUPON_KEYS = ['id', 'couponId', 'code', 'name', 'type', 'discountValue', 'status', 'issuedAt', 'usedAt', 'orderId', 'expiresAt'];

const isId = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isCount = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

export const SECOND = 1_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
/** An ISO time `ms` from now (negative: in the past). */
export const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

/** A code no other test of this run uses: letters, digits and `-`, upper case. */
export function freshCode(label = 'CPN'): string {
  return uniqueName(label).toUpperCase();
}

/**
 * A valid creation body: FIXED 1,000 won, unlimited, open since an hour ago for 30 days; nothing
 * optional unless `overrides` says so (a key set to `undefined` is left out).
 */
export function couponBody(overrides: Partial<Record<keyof NewCouponBody, unknown>> & Record<string, unknown> = {}): NewCouponBody {
  const body: Record<string, unknown> = {
    code: freshCode(),
    name: 'Spring sale',
    type: 'FIXED',
    discountValue: 1_000,
    validFrom: fromNow(-HOUR),
    validUntil: fromNow(30 * DAY),
    ...overrides,
  };
  for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
  return body as unknown as NewCouponBody;
}

/** A coupon exactly as API.md's "Resource shapes" writes it, its counts consistent. */
export function expectCouponShape(body: unknown): asserts body is Coupon {
  expect(body, 'coupon').to.be.an('object');
  const c = body as Record<string, unknown>;
  expect(Object.keys(c), 'coupon fields').to.have.members(COUPON_KEYS);
  expect(isId(c['id']), 'coupon id is a positive integer').to.equal(true);
  expect(isId(c['createdBy']), 'createdBy is a user id').to.equal(true);
  if (c['sellerId'] !== null) expect(c['sellerId'], 'sellerId null (shop-wide) or its creator, a SELLER').to.equal(c['createdBy']);
  expect(c['code']).to.be.a('string').that.matches(/^[A-Za-z0-9_-]{1,40}$/);
  expect(c['name']).to.be.a('string').that.is.not.empty;
  expect(c['type']).to.be.oneOf([...COUPON_TYPES]);
  expect(c['status']).to.be.oneOf([...COUPON_STATUSES]);
  expect(isId(c['discountValue']), 'discountValue is a positive integer').to.equal(true);
  if (c['maxDiscountAmount'] !== null) expect(isId(c['maxDiscountAmount']), 'maxDiscountAmount null or a positive integer').to.equal(true);
  expect(isCount(c['minOrderAmount']), 'minOrderAmount is integer won').to.equal(true);
  expect(isCount(c['issuedQuantity']), 'issuedQuantity is a count').to.equal(true);
  expect(isId(c['perUserLimit']), 'perUserLimit is a positive integer').to.equal(true);
  if (c['totalQuantity'] === null) {
    expect(c['remainingQuantity'], 'remainingQuantity null when unlimited').to.equal(null);
  } else {
    expect(isId(c['totalQuantity']), 'totalQuantity null or a positive integer').to.equal(true);
    expect(c['remainingQuantity'], 'remainingQuantity = totalQuantity - issuedQuantity').to.equal((c['totalQuantity'] as number) - (c['issuedQuantity'] as number));
    expect(c['remainingQuantity'] as number, 'never over-issued').to.be.at.least(0);
  }
  expectIsoTime(c['validFrom']);
  expectIsoTime(c['validUntil']);
}

/** A user coupon exactly as API.md's "Resource shapes" writes it. */
export function expectUserCouponShape(body: unknown): asserts body is UserCoupon {
  expect(body, 'user coupon').to.be.an('object');
  const u = body as Record<string, unknown>;
  expect(Object.keys(u), 'user coupon fields').to.have.members(USER_COUPON_KEYS);
  expect(isId(u['id']), 'user coupon id is a positive integer').to.equal(true);
  expect(isId(u['couponId']), 'couponId is a positive integer').to.equal(true);
  expect(u['code']).to.be.a('string').that.is.not.empty;
  expect(u['name']).to.be.a('string').that.is.not.empty;
  expect(u['type']).to.be.oneOf([...COUPON_TYPES]);
  expect(isId(u['discountValue']), 'discountValue is a positive integer').to.equal(true);
  expect(u['status']).to.be.oneOf([...USER_COUPON_STATUSES]);
  expectIsoTime(u['issuedAt']);
  if (u['usedAt'] !== null) expectIsoTime(u['usedAt']);
  if (u['orderId'] !== null) expect(isId(u['orderId']), 'orderId null or an order id').to.equal(true);
  expectIsoTime(u['expiresAt']);
}

function expectJson(res: ApiResponse, status: number): void {
  expect(res.status, `status of ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
}

export function expectCouponAnswer(res: ApiResponse, status: number): Coupon {
  expectJson(res, status);
  expectCouponShape(res.body);
  return res.body;
}

export function expectUserCouponAnswer(res: ApiResponse, status: number): UserCoupon {
  expectJson(res, status);
  expectUserCouponShape(res.body);
  return res.body;
}

/** A page of coupons, exactly the page fields, every item a coupon, the counts consistent. */
export function expectCouponPage(res: ApiResponse): CouponPage {
  expectJson(res, 200);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body), 'page fields').to.have.members(['items', 'page', 'size', 'totalItems', 'totalPages']);
  expect(body['items']).to.be.an('array');
  for (const item of body['items'] as unknown[]) expectCouponShape(item);
  for (const key of ['page', 'size', 'totalItems', 'totalPages'] as const) expect(Number.isSafeInteger(body[key]), `${key} is an integer`).to.equal(true);
  const page = res.body as CouponPage;
  expect(page.totalPages, 'totalPages = ceil(totalItems / size)').to.equal(Math.ceil(page.totalItems / page.size));
  expect(page.items.length, 'no more items than the page size').to.be.at.most(page.size);
  const ids = page.items.map((c) => c.id);
  expect(ids, 'newest first').to.deep.equal([...ids].sort((a, b) => b - a));
  return page;
}

/** `{items: [user coupon]}` and nothing else. */
export function expectUserCouponList(res: ApiResponse): UserCoupon[] {
  expectJson(res, 200);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body), 'list fields').to.deep.equal(['items']);
  expect(body['items']).to.be.an('array');
  for (const item of body['items'] as unknown[]) expectUserCouponShape(item);
  return body['items'] as UserCoupon[];
}

/** The user coupon a buyer would be issued from `coupon`, as far as it is known in advance. */
export function issuedFrom(coupon: Coupon): Omit<UserCoupon, 'id' | 'issuedAt'> {
  return {
    couponId: coupon.id,
    code: coupon.code,
    name: coupon.name,
    type: coupon.type,
    discountValue: coupon.discountValue,
    status: 'ISSUED',
    usedAt: null,
    orderId: null,
    expiresAt: coupon.validUntil,
  };
}

/** The coupon endpoints of one running instance. */
export class CouponClient {
  constructor(readonly t: TestService) {}

  private opts(who: Account | null, headers?: Record<string, string>) {
    return { ...(who ? { token: who.token } : {}), ...(headers ? { headers } : {}) };
  }

  create(who: Account | null, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(COUPONS, body, this.opts(who, headers));
  }

  async createOk(who: Account, overrides: Parameters<typeof couponBody>[0] = {}): Promise<Coupon> {
    return expectCouponAnswer(await this.create(who, couponBody(overrides)), 201);
  }

  get(who: Account | null, couponId: number | string): Promise<ApiResponse> {
    return this.t.api.get(couponPath(couponId), this.opts(who));
  }

  async getOk(who: Account, couponId: number): Promise<Coupon> {
    return expectCouponAnswer(await this.get(who, couponId), 200);
  }

  patch(who: Account | null, couponId: number | string, body: unknown): Promise<ApiResponse> {
    return this.t.api.request('PATCH', couponPath(couponId), { ...this.opts(who), body });
  }

  async patchOk(who: Account, couponId: number, status: 'SUSPENDED' | 'ACTIVE' | 'CANCELLED'): Promise<Coupon> {
    return expectCouponAnswer(await this.patch(who, couponId, { status }), 200);
  }

  /** `GET /api/v1/coupons` with these query parameters. */
  find(who: Account | null, query: Record<string, string | number> = {}): Promise<ApiResponse> {
    const search = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
    return this.t.api.get(search ? `${COUPONS}?${search}` : COUPONS, this.opts(who));
  }

  async findOk(who: Account, query: Record<string, string | number> = {}): Promise<CouponPage> {
    return expectCouponPage(await this.find(who, query));
  }

  issue(who: Account | null, body: unknown, options: { limited?: boolean; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    return this.t.api.post(options.limited ? ISSUE_LIMITED : ISSUE, body, this.opts(who, options.headers));
  }

  async issueOk(who: Account, couponId: number, limited = false): Promise<UserCoupon> {
    return expectUserCouponAnswer(await this.issue(who, { couponId }, { limited }), 201);
  }

  list(who: Account | null, userId: number | string, query = ''): Promise<ApiResponse> {
    return this.t.api.get(`${userCouponsPath(userId)}${query}`, this.opts(who));
  }

  async listOk(who: Account, userId: number | string = 'me', query = ''): Promise<UserCoupon[]> {
    return expectUserCouponList(await this.list(who, userId, query));
  }

  /** One of the caller's user coupons, as their list shows it now. */
  async mine(who: Account, userCouponId: number): Promise<UserCoupon> {
    const found = (await this.listOk(who)).find((u) => u.id === userCouponId);
    expect(found, `user coupon ${userCouponId} in the owner's list`).to.not.equal(undefined);
    return found as UserCoupon;
  }
}
