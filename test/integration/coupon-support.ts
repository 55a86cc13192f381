import type { Container } from 'inversify';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import type { CouponView, UserCouponView } from '../../src/application/coupons/views.js';
import type { CreateCouponInput } from '../../src/domain/coupon/coupon.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { buildContainer, resolve, TOKENS } from '../../src/infrastructure/container.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { TEST_JWT_SECRET, testConfig } from '../support/config.js';
import { uniqueEmail, uniqueName } from '../support/environment.js';
import type { TestRedis } from '../support/redis.js';
import type { App } from './ordering-support.js';

/**
 * Helpers for the coupon concurrency tests on real PostgreSQL (and Redis): the whole application
 * built by the composition root, as startApp does, but optionally with a Redis client, so the
 * first-come-first-served gate is the Redis one. One App = one service instance.
 */

/** An instance over an existing pool (several containers may share one pool: fewer connections). */
export async function instanceOn(db: Knex, redis: Redis | null): Promise<App> {
  const container: Container = await buildContainer({
    config: testConfig(),
    // Warnings (e.g. "Redis unavailable") stay quiet; the assertions say what went wrong.
    logger: createLogger('error', true),
    jwtSecret: TEST_JWT_SECRET,
    db,
    redis,
  });
  return { container, db, close: async () => undefined };
}

/** Users as bare rows (the foreign keys need them), a thousand in one statement. */
export async function insertUsers(db: Knex, count: number): Promise<Actor[]> {
  const rows = Array.from({ length: count }, () => ({
    email: uniqueEmail('fcfs'),
    name: 'Coupon racer',
    role: 'BUYER',
    password_hash: 'not-a-real-hash',
  }));
  const inserted: { id: string | number }[] = [];
  for (let i = 0; i < rows.length; i += 1_000) inserted.push(...(await db('users').insert(rows.slice(i, i + 1_000)).returning('id')));
  return inserted.map((r) => ({ userId: Number(r.id), role: 'BUYER' }));
}

export function couponCode(): string {
  return uniqueName('C').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
}

/** A coupon issuable now (its window opened a minute ago and runs a day). */
export function createCoupon(app: App, actor: Actor, overrides: Partial<CreateCouponInput> = {}): Promise<CouponView> {
  const now = Date.now();
  return resolve(app.container, TOKENS.createCoupon).execute(actor, {
    code: couponCode(),
    name: 'Race coupon',
    type: 'FIXED',
    discountValue: 1_000,
    totalQuantity: 100,
    perUserLimit: 1,
    validFrom: new Date(now - 60_000),
    validUntil: new Date(now + 86_400_000),
    ...overrides,
  });
}

export function issue(app: App, actor: Actor, couponId: number): Promise<UserCouponView> {
  return resolve(app.container, TOKENS.issueCoupon).execute(actor, { couponId, limitedOnly: false });
}

// ---- reads of the test's own rows -----------------------------------------------------------

export async function issuedQuantityOf(db: Knex, couponId: number): Promise<number> {
  const row = await db('coupons').where({ id: couponId }).first('issued_quantity');
  return Number(row.issued_quantity);
}

export interface UserCouponRow {
  id: number;
  userId: number;
  n: number;
  status: string;
  orderId: number | null;
  usedAt: Date | null;
}

export async function userCouponsOf(db: Knex, couponId: number): Promise<UserCouponRow[]> {
  const rows = await db('user_coupons').where({ coupon_id: couponId }).orderBy('id');
  return rows.map(toUserCouponRow);
}

export async function userCoupon(db: Knex, id: number): Promise<UserCouponRow> {
  const row = await db('user_coupons').where({ id }).first();
  return toUserCouponRow(row);
}

function toUserCouponRow(r: Record<string, unknown>): UserCouponRow {
  return {
    id: Number(r['id']),
    userId: Number(r['user_id']),
    n: Number(r['n']),
    status: String(r['status']),
    orderId: r['order_id'] === null ? null : Number(r['order_id']),
    usedAt: (r['used_at'] as Date | null) ?? null,
  };
}

export async function couponEventCount(db: Knex, couponId: number, type: string): Promise<number> {
  const [row] = await db('outbox_events').where({ aggregate_type: 'Coupon', aggregate_id: couponId, type }).count<{ n: string }[]>({ n: '*' });
  return Number(row?.n ?? 0);
}

export interface OrderCouponRow {
  id: number;
  status: string;
  userCouponId: number | null;
  totalAmount: number;
  discountAmount: number;
  finalAmount: number;
}

export async function ordersWithCoupon(db: Knex, userId: number): Promise<OrderCouponRow[]> {
  const rows = await db('orders').where({ user_id: userId }).orderBy('id');
  return rows.map((r) => ({
    id: Number(r.id),
    status: String(r.status),
    userCouponId: r.user_coupon_id === null ? null : Number(r.user_coupon_id),
    totalAmount: Number(r.total_amount),
    discountAmount: Number(r.discount_amount),
    finalAmount: Number(r.final_amount),
  }));
}

// ---- Redis ----------------------------------------------------------------------------------

/** The gate's keys of a coupon, as the (prefixed) application client names them. */
export const gateKeys = (couponId: number): [string, string] => [`coupon-gate:{${couponId}}:counts`, `coupon-gate:{${couponId}}:users`];

/** Forgets the gate's state of one coupon, as a Redis that lost its data would; how many keys went. */
export function dropGateKeys(client: Redis, couponId: number): Promise<number> {
  return client.del(...gateKeys(couponId));
}

/**
 * Deletes every key of this run (its prefix), never anyone else's: other suites share the
 * server. `admin` is a client without the key prefix. Returns how many keys went.
 */
export async function flushRunPrefix(admin: Redis, redis: TestRedis): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 500);
    if (keys.length > 0) deleted += await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}

/** A client with no key prefix, for flushing this run's keys; the caller disconnects it. */
export function adminClient(redis: TestRedis): Redis {
  return new Redis(redis.url, { maxRetriesPerRequest: 1 });
}

// ---- storms ---------------------------------------------------------------------------------

export interface StormOptions {
  /** At most this many in flight at once; absent: every request starts at once. */
  concurrency?: number;
  /** Called (not awaited in the flow) each time one more request has settled. */
  onSettled?: (settled: number) => void;
}

/**
 * Runs `count` requests, all at once or through a fixed number of workers, and gives every
 * outcome in request order.
 */
export async function storm<T>(count: number, request: (i: number) => Promise<T>, options: StormOptions = {}): Promise<PromiseSettledResult<T>[]> {
  const results: PromiseSettledResult<T>[] = new Array(count);
  let settled = 0;
  const run = async (i: number) => {
    try {
      results[i] = { status: 'fulfilled', value: await request(i) };
    } catch (reason) {
      results[i] = { status: 'rejected', reason };
    }
    settled += 1;
    options.onSettled?.(settled);
  };
  if (options.concurrency === undefined) {
    await Promise.all(Array.from({ length: count }, (_, i) => run(i)));
  } else {
    let next = 0;
    const worker = async () => {
      while (next < count) await run(next++);
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, count) }, worker));
  }
  return results;
}
