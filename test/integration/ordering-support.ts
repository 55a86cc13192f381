import { expect } from 'chai';
import type { Container } from 'inversify';
import type { Knex } from 'knex';
import type { GatewayAnswer, GatewayStatus, PaymentGateway } from '../../src/application/ports/payment-gateway.js';
import type { PaymentOutcome } from '../../src/application/ordering/pay-for-order.js';
import type { OrderView, RefundView } from '../../src/application/ordering/views.js';
import type { Actor } from '../../src/domain/user/actor.js';
import type { Clock } from '../../src/domain/shared/clock.js';
import { buildContainer, resolve, TOKENS } from '../../src/infrastructure/container.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { TEST_JWT_SECRET, testConfig } from '../support/config.js';
import type { TestDatabase } from '../support/database.js';
import { uniqueEmail, uniqueName } from '../support/environment.js';

/**
 * Helpers for the ordering and payment tests on real PostgreSQL: the whole application built by
 * the composition root over a pool of real connections (one App = one service instance), and
 * reads of the rows a test made (never anyone else's: the database is shared by the whole run).
 */

export interface AppOptions {
  env?: Record<string, string>;
  gateway?: PaymentGateway;
  clock?: Clock;
}

export interface App {
  container: Container;
  /** This instance's own pool; the tests read their rows through it too. */
  db: Knex;
  close(): Promise<void>;
}

export async function startApp(database: TestDatabase, options: AppOptions = {}): Promise<App> {
  const db = database.connect(25);
  const container = await buildContainer({
    config: testConfig(options.env),
    logger: createLogger('error', true),
    jwtSecret: TEST_JWT_SECRET,
    db,
    redis: null,
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return { container, db, close: () => db.destroy() };
}

/** Where the scenarios' goods go (issue 12: an order with a physical line needs an address). */
export const SHIPPING_ADDRESS = { recipient: 'Integration Buyer', phone: '010-1234-5678', postalCode: '06236', line1: '1 Test-ro' };

let pastDays = 0;

/**
 * A clock of its own, far in the past, earlier than every clock handed out before. The sweeper
 * and the recovery job act on every order older than their "now"; a scenario whose clock is
 * older than everything else in the database sees only the orders it placed itself.
 */
export function pastClock(): ManualClock {
  pastDays += 1;
  return new ManualClock(new Date(Date.UTC(2000, 0, 1) - pastDays * 86_400_000));
}

/** A payment gateway whose answers a test sets, counting the questions it was asked. */
export class ScriptedGateway implements PaymentGateway {
  readonly settlesInTransaction = false;
  requests = 0;
  statusQueries = 0;

  constructor(
    public answer: () => Promise<GatewayAnswer>,
    public statusAnswer: GatewayStatus,
  ) {}

  async request(): Promise<GatewayAnswer> {
    this.requests += 1;
    return this.answer();
  }

  async status(): Promise<GatewayStatus> {
    this.statusQueries += 1;
    return this.statusAnswer;
  }
}

export interface Listed {
  productId: number;
  optionIds: number[];
  price: number;
}

export type Line = [optionId: number, quantity: number];

/** Accounts, products, money and the ordering use cases of one instance. */
export class Shop {
  private constructor(
    readonly app: App,
    readonly admin: Actor,
    readonly seller: Actor,
  ) {}

  static async open(app: App): Promise<Shop> {
    const register = resolve(app.container, TOKENS.registerAccount);
    const admin = await register.execute({ email: uniqueEmail('admin'), name: 'Admin', role: 'ADMIN', adminCode: 'TEST' }, 'password-123');
    const seller = await register.execute(
      { email: uniqueEmail('seller'), name: 'Seller', role: 'SELLER', businessNumber: '123-45-67890' },
      'password-123',
    );
    return new Shop(app, { userId: admin.id, role: 'ADMIN' }, { userId: seller.id, role: 'SELLER' });
  }

  /** The same people, served by another instance. */
  on(app: App): Shop {
    return new Shop(app, this.admin, this.seller);
  }

  async buyer(): Promise<Actor> {
    const user = await resolve(this.app.container, TOKENS.registerAccount).execute(
      { email: uniqueEmail('buyer'), name: 'Buyer', role: 'BUYER' },
      'password-123',
    );
    return { userId: user.id, role: 'BUYER' };
  }

  async buyers(count: number, balance: number): Promise<Actor[]> {
    const buyers = await Promise.all(Array.from({ length: count }, () => this.buyer()));
    if (balance > 0) await Promise.all(buyers.map((b) => this.charge(b.userId, balance)));
    return buyers;
  }

  async product(price: number, stocks: number[]): Promise<Listed> {
    const view = await resolve(this.app.container, TOKENS.listProductForSale).execute(this.seller, {
      name: uniqueName('contended'),
      category: 'race',
      price,
      options: stocks.map((stock, i) => ({ name: `option-${i}`, stock })),
    });
    return { productId: view.id, optionIds: view.options.map((o) => o.id), price };
  }

  /** Charged by the admin in steps of at most 100,000 (the largest single charge). */
  async charge(userId: number, amount: number): Promise<void> {
    const charge = resolve(this.app.container, TOKENS.chargeWallet);
    for (let left = amount; left > 0; left -= 100_000) await charge.execute(this.admin, { userId, amount: Math.min(left, 100_000) });
  }

  place(buyer: Actor, product: Listed, lines: Line[]): Promise<OrderView> {
    return resolve(this.app.container, TOKENS.placeOrder).execute(buyer, {
      items: lines.map(([optionId, quantity]) => ({ productId: product.productId, optionId, quantity })),
      shippingAddress: SHIPPING_ADDRESS,
    });
  }

  pay(buyer: Actor, orderId: number): Promise<PaymentOutcome> {
    return resolve(this.app.container, TOKENS.payForOrder).execute(buyer, orderId);
  }

  cancel(buyer: Actor, orderId: number): Promise<OrderView> {
    return resolve(this.app.container, TOKENS.cancelOrder).execute(buyer, orderId, null);
  }

  refund(buyer: Actor, orderId: number): Promise<RefundView> {
    return resolve(this.app.container, TOKENS.refundOrder).execute(buyer, orderId, null);
  }

  recover(): Promise<number> {
    return resolve(this.app.container, TOKENS.settlePendingPayment).recover(0);
  }

  sweep(batch?: number): Promise<number> {
    return resolve(this.app.container, TOKENS.expireReservations).execute(batch);
  }
}

// ---- outcomes -------------------------------------------------------------------------------

/** The error code of a settled promise: 'OK', a DomainError code, a PostgreSQL SQLSTATE, or the message. */
export function codeOf(result: PromiseSettledResult<unknown>): string {
  if (result.status === 'fulfilled') return 'OK';
  const reason = result.reason as { code?: unknown; message?: unknown } | null;
  if (reason && typeof reason.code === 'string') return reason.code;
  return `UNCODED: ${String(reason?.message ?? reason)}`;
}

export async function attempt<T>(work: Promise<T>): Promise<PromiseSettledResult<T>> {
  const [result] = await Promise.allSettled([work]);
  return result as PromiseSettledResult<T>;
}

export function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}

// ---- reads of the test's own rows -----------------------------------------------------------

export interface Levels {
  total: number;
  reserved: number;
  sold: number;
}

export async function stockOf(db: Knex, optionId: number): Promise<Levels> {
  const row = await db('product_options').where({ id: optionId }).first('total_stock', 'reserved_stock', 'sold_quantity');
  return { total: Number(row.total_stock), reserved: Number(row.reserved_stock), sold: Number(row.sold_quantity) };
}

export interface LedgerRow {
  userId: number;
  type: string;
  amount: number;
  balanceAfter: number;
  orderId: number | null;
}

export async function ledgerOf(db: Knex, userIds: number[]): Promise<LedgerRow[]> {
  const rows = await db('wallet_ledger').whereIn('user_id', userIds).orderBy('id');
  return rows.map((r) => ({
    userId: Number(r.user_id),
    type: String(r.type),
    amount: Number(r.amount),
    balanceAfter: Number(r.balance_after),
    orderId: r.order_id === null ? null : Number(r.order_id),
  }));
}

export async function balanceOf(db: Knex, userId: number): Promise<number> {
  const row = await db('wallets').where({ user_id: userId }).first('balance');
  return Number(row.balance);
}

export interface OrderRow {
  id: number;
  userId: number;
  status: string;
  finalAmount: number;
  cancelReason: string | null;
}

export async function ordersOf(db: Knex, userIds: number[]): Promise<OrderRow[]> {
  const rows = await db('orders').whereIn('user_id', userIds).orderBy('id');
  return rows.map((r) => ({
    id: Number(r.id),
    userId: Number(r.user_id),
    status: String(r.status),
    finalAmount: Number(r.final_amount),
    cancelReason: r.cancel_reason,
  }));
}

export async function orderStatus(db: Knex, orderId: number): Promise<string> {
  const row = await db('orders').where({ id: orderId }).first('status');
  return String(row.status);
}

export interface PaymentRow {
  id: number;
  orderId: number;
  status: string;
  amount: number;
  failureReason: string | null;
}

export async function paymentsOf(db: Knex, orderIds: number[]): Promise<PaymentRow[]> {
  const rows = await db('payments').whereIn('order_id', orderIds).orderBy('id');
  return rows.map((r) => ({
    id: Number(r.id),
    orderId: Number(r.order_id),
    status: String(r.status),
    amount: Number(r.amount),
    failureReason: r.failure_reason,
  }));
}

export async function refundsOf(db: Knex, orderIds: number[]): Promise<{ orderId: number; amount: number }[]> {
  const rows = await db('refunds').whereIn('order_id', orderIds).orderBy('id');
  return rows.map((r) => ({ orderId: Number(r.order_id), amount: Number(r.amount) }));
}

/** The outbox events of these orders, as "Type" per order id. */
export async function eventsOf(db: Knex, orderIds: number[]): Promise<{ orderId: number; type: string }[]> {
  const rows = await db('outbox_events').where('aggregate_type', 'Order').whereIn('aggregate_id', orderIds).orderBy('seq');
  return rows.map((r) => ({ orderId: Number(r.aggregate_id), type: String(r.type) }));
}

/** How many events of `type` each order has (orders with none are listed with 0). */
export async function eventCounts(db: Knex, orderIds: number[], type: string): Promise<number[]> {
  const events = await eventsOf(db, orderIds);
  return orderIds.map((id) => events.filter((e) => e.orderId === id && e.type === type).length);
}

/** Every wallet equals the sum of its ledger, its last balance_after, and is never negative. */
export async function expectBooksBalance(db: Knex, userIds: number[]): Promise<void> {
  const ledger = await ledgerOf(db, userIds);
  for (const userId of userIds) {
    const own = ledger.filter((l) => l.userId === userId);
    const balance = await balanceOf(db, userId);
    expect(balance, `wallet of user ${userId}`).to.be.at.least(0);
    expect(own.reduce((s, l) => s + l.amount, 0), `ledger sum of user ${userId}`).to.equal(balance);
    expect(own.at(-1)?.balanceAfter ?? 0, `last balance_after of user ${userId}`).to.equal(balance);
    for (const l of own) expect(l.balanceAfter).to.be.at.least(0);
  }
}

export function expectSane(levels: Levels): void {
  expect(levels.reserved, 'reserved >= 0').to.be.at.least(0);
  expect(levels.total, 'total >= reserved').to.be.at.least(levels.reserved);
  expect(levels.sold, 'sold >= 0').to.be.at.least(0);
}

export { deferred } from '../support/deferred.js';
