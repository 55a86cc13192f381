import type { OrderView as Order, PaymentView as Payment, RefundView as Refund, SellerOrderView as SellerOrder } from '../../src/application/ordering/views.js';
import { expect } from 'chai';
import { uniqueName } from '../support/environment.js';
import type { Account, ApiResponse, TestService } from '../support/service.js';
import { expectIsoTime } from './problem.js';
import { CatalogClient, freshCategory, type OptionView, productBody, type ProductView } from './products-support.js';

/**
 * Helpers for the ordering end-to-end suites (orders*.test.ts, payments*.test.ts,
 * order-jobs*.test.ts): the API as API.md writes it, checked field by field.
 */

export const ORDERS = '/api/v1/orders';
export const orderPath = (orderId: number | string) => `${ORDERS}/${orderId}`;
export const cancelPath = (orderId: number | string) => `${orderPath(orderId)}/cancel`;
export const fulfilmentPath = (orderId: number | string) => `${orderPath(orderId)}/fulfillment`;
export const completePath = (orderId: number | string) => `${orderPath(orderId)}/complete`;
export const PAY = '/api/v1/payments/process';
export const CONFIRM = '/api/v1/payments/confirm';
export const paymentPath = (paymentId: number | string) => `/api/v1/payments/${paymentId}`;
export const REFUNDS = '/api/v1/refunds';
export const UNKNOWN_ID = 999_999_999;

// The shapes the service answers with; the shape checks below verify them independently.
export type {
  OrderItemView as OrderItem,
  OrderView as Order,
  PaymentView as Payment,
  RefundView as Refund,
  SellerOrderView as SellerOrder,
} from '../../src/application/ordering/views.js';

export interface OrderPage<T = Order> {
  items: T[];
  page: number;
  size: number;
  totalItems: number;
  totalPages: number;
}

export interface LedgerEntry {
  id: number;
  type: string;
  amount: number;
  balanceAfter: number;
  orderId: number | null;
  createdAt: string;
}

const ORDER_KEYS = [
  'id',
  'userId',
  'status',
  'items',
  'totalAmount',
  'discountAmount',
  'finalAmount',
  'userCouponId',
  'reservationExpiresAt',
  'cancelReason',
  'shippingAddress',
  'payment',
  'refunds',
  'createdAt',
  'updatedAt',
];
const ITEM_KEYS = ['id', 'productId', 'optionId', 'productName', 'optionName', 'unitPrice', 'quantity', 'amount', 'discountAmount', 'status', 'digital', 'refundedQuantity'];
const SELLER_ORDER_KEYS = ['id', 'userId', 'status', 'items', 'sellerView', 'shippingAddress', 'cancelReason', 'createdAt', 'updatedAt'];
const SELLER_VIEW_KEYS = ['sellerId', 'status', 'itemsAmount', 'discountAmount', 'finalAmount'];
export const LINE_STATUSES = ['ORDERED', 'PREPARING', 'SHIPPED', 'DELIVERED'];
const ADDRESS_KEYS = ['recipient', 'phone', 'postalCode', 'line1', 'line2'];
const PAYMENT_KEYS = ['id', 'orderId', 'amount', 'status', 'failureReason', 'refundedAmount', 'createdAt', 'updatedAt'];
const REFUND_KEYS = ['id', 'orderId', 'paymentId', 'amount', 'status', 'reason', 'items', 'createdAt'];
const REFUND_ITEM_KEYS = ['orderItemId', 'quantity', 'amount', 'discountAmount'];
const PAGE_KEYS = ['items', 'page', 'size', 'totalItems', 'totalPages'];
export const ORDER_STATUSES = ['CREATED', 'PENDING', 'CONFIRMED', 'PREPARING', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'FAILED'];
export const PAYMENT_STATUSES = ['INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED', 'COMPLETED', 'FAILED', 'PARTIALLY_REFUNDED', 'REFUNDED'];

/**
 * Where the suites' orders ship (issue 12: an order with a physical line needs an address).
 * OrderingClient.place adds it to a body that names none; tests of the address itself post
 * with `t.api` or name one.
 */
export const E2E_ADDRESS = { recipient: 'E2E Buyer', phone: '010-1234-5678', postalCode: '06236', line1: '1 Test-ro, Gangnam-gu', line2: '2F' };

/** The body with E2E_ADDRESS when it is an order's body that names no address. */
export function withAddress(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'shippingAddress' in body || !('items' in body)) return body;
  return { ...body, shippingAddress: E2E_ADDRESS };
}

const isId = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;
const isMoney = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** A payment exactly as API.md's "Resource shapes" writes it. */
export function expectPaymentShape(body: unknown): asserts body is Payment {
  expect(body, 'payment').to.be.an('object');
  const p = body as Record<string, unknown>;
  expect(Object.keys(p), 'payment fields').to.have.members(PAYMENT_KEYS);
  expect(isId(p['id']), 'payment id is a positive integer').to.equal(true);
  expect(isId(p['orderId']), 'payment orderId is a positive integer').to.equal(true);
  expect(isMoney(p['amount']), 'payment amount is integer won').to.equal(true);
  expect(p['status']).to.be.oneOf(PAYMENT_STATUSES);
  expect(isMoney(p['refundedAmount']), 'refundedAmount is integer won').to.equal(true);
  expect(p['refundedAmount'] as number, 'refundedAmount <= amount').to.be.at.most(p['amount'] as number);
  if (p['status'] === 'REFUNDED') expect(p['refundedAmount'], 'a REFUNDED payment gave all of it back').to.equal(p['amount']);
  if (p['status'] !== 'REFUNDED' && p['status'] !== 'PARTIALLY_REFUNDED') expect(p['refundedAmount'], 'nothing refunded yet').to.equal(0);
  if (p['failureReason'] !== null) expect(p['failureReason']).to.be.a('string');
  expectIsoTime(p['createdAt']);
  expectIsoTime(p['updatedAt']);
}

/** An order exactly as API.md's "Resource shapes" writes it, with its amounts consistent. */
export function expectOrderShape(body: unknown): asserts body is Order {
  expect(body, 'order').to.be.an('object');
  const o = body as Record<string, unknown>;
  expect(Object.keys(o), 'order fields').to.have.members(ORDER_KEYS);
  expect(isId(o['id']), 'order id is a positive integer').to.equal(true);
  expect(isId(o['userId']), 'order userId is a positive integer').to.equal(true);
  expect(o['status']).to.be.oneOf(ORDER_STATUSES);
  const { total, lineDiscounts } = expectItemsShape(o['items']);
  expect(o['totalAmount'], 'totalAmount = sum of the lines').to.equal(total);
  expect(isMoney(o['discountAmount']), 'discountAmount is integer won').to.equal(true);
  expect(o['discountAmount'] as number, 'discount <= total').to.be.at.most(total);
  expect(o['discountAmount'], 'discountAmount = sum of the lines\' discounts').to.equal(lineDiscounts);
  expect(o['finalAmount'], 'finalAmount = total - discount').to.equal(total - (o['discountAmount'] as number));
  if (o['userCouponId'] !== null) expect(isId(o['userCouponId'])).to.equal(true);
  if (o['cancelReason'] !== null) expect(o['cancelReason']).to.be.a('string');
  if (o['payment'] !== null) {
    expectPaymentShape(o['payment']);
    expect((o['payment'] as Payment).orderId, 'payment.orderId').to.equal(o['id']);
  }
  if (o['shippingAddress'] !== null) {
    expect(Object.keys(o['shippingAddress'] as object), 'address fields').to.have.members(ADDRESS_KEYS);
  } else {
    expect((o['items'] as Array<{ digital: boolean }>).every((i) => i.digital), 'only an order of digital lines has no address').to.equal(true);
  }
  expect(o['refunds'], 'refunds').to.be.an('array');
  for (const refund of o['refunds'] as unknown[]) {
    expectRefundShape(refund);
    expect((refund as Refund).orderId, 'refund.orderId').to.equal(o['id']);
  }
  expectIsoTime(o['reservationExpiresAt']);
  expectIsoTime(o['createdAt']);
  expectIsoTime(o['updatedAt']);
}

/** Order lines as API.md writes them; answers what they come to. */
function expectItemsShape(items: unknown): { total: number; lineDiscounts: number } {
  expect(items, 'items').to.be.an('array').that.is.not.empty;
  let total = 0;
  let lineDiscounts = 0;
  for (const item of items as Array<Record<string, unknown>>) {
    expect(Object.keys(item), 'order item fields').to.have.members(ITEM_KEYS);
    expect(isId(item['productId']) && isId(item['optionId']), 'item ids').to.equal(true);
    expect(item['productName']).to.be.a('string').that.is.not.empty;
    expect(item['optionName']).to.be.a('string').that.is.not.empty;
    expect(isMoney(item['unitPrice']) && isMoney(item['amount']), 'item money is integer won').to.equal(true);
    expect(isId(item['quantity']), 'item quantity is a positive integer').to.equal(true);
    expect(item['amount'], 'amount = unitPrice × quantity').to.equal((item['unitPrice'] as number) * (item['quantity'] as number));
    expect(isMoney(item['discountAmount']), 'item discountAmount is integer won').to.equal(true);
    expect(item['discountAmount'] as number, 'item discount <= its amount').to.be.at.most(item['amount'] as number);
    expect(item['status'], 'item status').to.be.oneOf(LINE_STATUSES);
    expect(isId(item['id']), 'item id is a positive integer').to.equal(true);
    expect(item['digital']).to.be.a('boolean');
    expect(isMoney(item['refundedQuantity']) && (item['refundedQuantity'] as number) <= (item['quantity'] as number), 'refundedQuantity within 0..quantity').to.equal(true);
    total += item['amount'] as number;
    lineDiscounts += item['discountAmount'] as number;
  }
  return { total, lineDiscounts };
}

/**
 * An order as one of its sellers sees it (API.md "Resource shapes"): their lines only, what they
 * come to, and nothing of the whole order's money (no totals, coupon or payment).
 */
export function expectSellerOrderShape(body: unknown, sellerId?: number): asserts body is SellerOrder {
  expect(body, 'seller order').to.be.an('object');
  const o = body as Record<string, unknown>;
  expect(Object.keys(o), 'seller order fields').to.have.members(SELLER_ORDER_KEYS);
  expect(isId(o['id']) && isId(o['userId']), 'seller order ids').to.equal(true);
  expect(o['status']).to.be.oneOf(ORDER_STATUSES);
  const { total, lineDiscounts } = expectItemsShape(o['items']);
  const view = o['sellerView'] as Record<string, unknown>;
  expect(Object.keys(view), 'sellerView fields').to.have.members(SELLER_VIEW_KEYS);
  if (sellerId !== undefined) expect(view['sellerId'], 'sellerView.sellerId').to.equal(sellerId);
  expect(view['itemsAmount'], "itemsAmount = sum of the seller's lines").to.equal(total);
  expect(view['discountAmount'], "discountAmount = sum of the seller's lines' discounts").to.equal(lineDiscounts);
  expect(view['finalAmount'], 'finalAmount = itemsAmount - discountAmount').to.equal(total - lineDiscounts);
  const statuses = (o['items'] as Array<{ status: string }>).map((i) => LINE_STATUSES.indexOf(i.status));
  expect(view['status'], "sellerView.status = the least advanced of the seller's lines").to.equal(LINE_STATUSES[Math.min(...statuses)]);
  if (o['cancelReason'] !== null) expect(o['cancelReason']).to.be.a('string');
  expectIsoTime(o['createdAt']);
  expectIsoTime(o['updatedAt']);
}

/** A refund exactly as API.md's "Resource shapes" writes it. */
export function expectRefundShape(body: unknown): asserts body is Refund {
  expect(body, 'refund').to.be.an('object');
  const r = body as Record<string, unknown>;
  expect(Object.keys(r), 'refund fields').to.have.members(REFUND_KEYS);
  for (const key of ['id', 'orderId', 'paymentId'] as const) expect(isId(r[key]), `refund ${key}`).to.equal(true);
  expect(isMoney(r['amount']), 'refund amount is integer won').to.equal(true);
  expect(r['status']).to.be.oneOf(['REFUND_REQUESTED', 'PROCESSING', 'REFUNDED', 'FAILED', 'MANUAL']);
  if (r['reason'] !== null) expect(r['reason']).to.be.a('string');
  expect(r['items'], 'refund items').to.be.an('array').that.is.not.empty;
  let credited = 0;
  for (const line of r['items'] as Array<Record<string, unknown>>) {
    expect(Object.keys(line), 'refund item fields').to.have.members(REFUND_ITEM_KEYS);
    expect(isId(line['orderItemId']) && isId(line['quantity']), 'refund item ids and units').to.equal(true);
    expect(isMoney(line['amount']) && isMoney(line['discountAmount']), 'refund item money is integer won').to.equal(true);
    credited += line['amount'] as number;
  }
  expect(r['amount'], "refund amount = its items' amounts").to.equal(credited);
  expectIsoTime(r['createdAt']);
}

function expectJson(res: ApiResponse, status: number): void {
  expect(res.status, `status of ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/json\b/);
}

export function expectOrderAnswer(res: ApiResponse, status: number): Order {
  expectJson(res, status);
  expectOrderShape(res.body);
  return res.body;
}

export function expectPaymentAnswer(res: ApiResponse, status: number): Payment {
  expectJson(res, status);
  expectPaymentShape(res.body);
  return res.body;
}

export function expectRefundAnswer(res: ApiResponse, status: number): Refund {
  expectJson(res, status);
  expectRefundShape(res.body);
  return res.body;
}

export function expectSellerOrderAnswer(res: ApiResponse, status: number, sellerId?: number): SellerOrder {
  expectJson(res, status);
  expectSellerOrderShape(res.body, sellerId);
  return res.body;
}

export function expectOrderPage(res: ApiResponse): OrderPage {
  expectJson(res, 200);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body), 'page fields').to.have.members(PAGE_KEYS);
  expect(body['items']).to.be.an('array');
  for (const item of body['items'] as unknown[]) expectOrderShape(item);
  for (const key of ['page', 'size', 'totalItems', 'totalPages'] as const) {
    expect(Number.isSafeInteger(body[key]), `${key} is an integer`).to.equal(true);
  }
  return res.body as OrderPage;
}

/** A page of orders as a seller sees them (`as=seller`). */
export function expectSellerOrderPage(res: ApiResponse, sellerId: number): OrderPage<SellerOrder> {
  expectJson(res, 200);
  const body = res.body as Record<string, unknown>;
  expect(Object.keys(body), 'page fields').to.have.members(PAGE_KEYS);
  expect(body['items']).to.be.an('array');
  for (const item of body['items'] as unknown[]) expectSellerOrderShape(item, sellerId);
  for (const key of ['page', 'size', 'totalItems', 'totalPages'] as const) {
    expect(Number.isSafeInteger(body[key]), `${key} is an integer`).to.equal(true);
  }
  return res.body as OrderPage<SellerOrder>;
}

/** `Retry-After` as API.md asks of every 429: whole seconds, at least 1. */
export function retryAfterOf(res: ApiResponse): number {
  const header = res.headers.get('retry-after');
  expect(header, 'Retry-After header').to.be.a('string');
  expect(header as string, 'Retry-After in whole seconds').to.match(/^\d+$/);
  const seconds = Number(header);
  expect(seconds, 'Retry-After').to.be.at.least(1);
  return seconds;
}

let keys = 0;
export const freshIdempotencyKey = (label = 'order') => `${uniqueName(`e2e-${label}`)}-${++keys}`;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it answers something truthy or `timeoutMs` passes; answers the last value. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!done(value) && Date.now() < until) {
    await sleep(everyMs);
    value = await probe();
  }
  return value;
}

export type Line = { productId: number | string; optionId?: number | string; quantity: unknown };

/** A seller's product ready to be ordered, and the option most tests order. */
export interface Listing {
  seller: Account;
  product: ProductView;
  option: OptionView;
}

/** The ordering endpoints of one running instance, plus the catalog and wallet calls they need. */
export class OrderingClient {
  readonly catalog: CatalogClient;

  constructor(readonly t: TestService) {
    this.catalog = new CatalogClient(t);
  }

  private opts(who: Account | null, headers?: Record<string, string>) {
    return { ...(who ? { token: who.token } : {}), ...(headers ? { headers } : {}) };
  }

  /** A new SELLER with a product of its own (one option of 10 units at 10,000 won unless told; physical unless `digital`). */
  async listing(options: { seller?: Account; price?: number; options?: Array<{ name: string; stock: number }>; digital?: boolean } = {}): Promise<Listing> {
    const seller = options.seller ?? (await this.t.newAccount('SELLER'));
    const product = await this.catalog.createOk(
      seller,
      productBody(freshCategory(), {
        price: options.price ?? 10_000,
        options: options.options ?? [{ name: 'ONE', stock: 10 }],
        ...(options.digital === undefined ? {} : { digital: options.digital }),
      }),
    );
    return { seller, product, option: product.options[0] as OptionView };
  }

  /** The option's stock as the product detail shows it now. */
  async stockOf(productId: number, optionId: number): Promise<{ totalStock: number; reservedStock: number; availableStock: number }> {
    const product = await this.catalog.getOk(productId);
    const option = product.options.find((o) => o.id === optionId);
    expect(option, `option ${optionId} of product ${productId}`).to.not.equal(undefined);
    const { totalStock, reservedStock, availableStock } = option as OptionView;
    return { totalStock, reservedStock, availableStock };
  }

  /** Posts an order; a body with items and no address ships to E2E_ADDRESS (see withAddress). */
  place(who: Account | null, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(ORDERS, withAddress(body), this.opts(who, headers));
  }

  async placeOk(who: Account, items: Line[]): Promise<Order> {
    return expectOrderAnswer(await this.place(who, { items }), 201);
  }

  /** Orders `quantity` of a listing's option. */
  async order(who: Account, listing: Listing, quantity = 1): Promise<Order> {
    return this.placeOk(who, [{ productId: listing.product.id, optionId: listing.option.id, quantity }]);
  }

  get(who: Account | null, orderId: number | string): Promise<ApiResponse> {
    return this.t.api.get(orderPath(orderId), this.opts(who));
  }

  async getOk(who: Account, orderId: number): Promise<Order> {
    return expectOrderAnswer(await this.get(who, orderId), 200);
  }

  /** The order as `seller` (a seller of some of its lines, not its buyer) sees it. */
  async getAsSellerOk(seller: Account, orderId: number): Promise<SellerOrder> {
    return expectSellerOrderAnswer(await this.get(seller, orderId), 200, seller.id);
  }

  list(who: Account | null, query = ''): Promise<ApiResponse> {
    return this.t.api.get(`${ORDERS}${query}`, this.opts(who));
  }

  async listOk(who: Account, query = ''): Promise<OrderPage> {
    return expectOrderPage(await this.list(who, query));
  }

  /** The orders of `seller`'s products, as the seller sees them (`as=seller`, a SELLER's default). */
  async listAsSellerOk(seller: Account, query = ''): Promise<OrderPage<SellerOrder>> {
    return expectSellerOrderPage(await this.list(seller, query), seller.id);
  }

  pay(who: Account | null, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(PAY, body, this.opts(who, headers));
  }

  async payOk(who: Account, orderId: number): Promise<Payment> {
    return expectPaymentAnswer(await this.pay(who, { orderId }), 200);
  }

  confirm(who: Account | null, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(CONFIRM, body, this.opts(who, headers));
  }

  getPayment(who: Account | null, paymentId: number | string): Promise<ApiResponse> {
    return this.t.api.get(paymentPath(paymentId), this.opts(who));
  }

  refund(who: Account | null, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(REFUNDS, body, this.opts(who, headers));
  }

  getRefund(who: Account | null, refundId: number | string): Promise<ApiResponse> {
    return this.t.api.get(`${REFUNDS}/${refundId}`, this.opts(who));
  }

  cancel(who: Account | null, orderId: number | string, body: unknown = {}, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.request('PUT', cancelPath(orderId), { ...this.opts(who, headers), body });
  }

  fulfil(who: Account | null, orderId: number | string, body: unknown, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(fulfilmentPath(orderId), body, this.opts(who, headers));
  }

  /**
   * One fulfilment step that must go through, and (unless told otherwise) bring the order to that
   * status; a SELLER is answered the order as they see it, the ADMIN (`t.admin`) the whole order.
   */
  async fulfilOk(
    who: Account,
    orderId: number,
    status: 'PREPARING' | 'SHIPPED' | 'DELIVERED',
    options: { sellerId?: number; orderStatus?: string } = {},
  ): Promise<Order | SellerOrder> {
    const body = { status, ...(options.sellerId !== undefined ? { sellerId: options.sellerId } : {}) };
    const res = await this.fulfil(who, orderId, body);
    const order = who.id === this.t.admin.id ? expectOrderAnswer(res, 200) : expectSellerOrderAnswer(res, 200, who.id);
    expect(order.status, 'the order’s status after the step').to.equal(options.orderStatus ?? status);
    return order;
  }

  complete(who: Account | null, orderId: number | string, headers?: Record<string, string>): Promise<ApiResponse> {
    return this.t.api.post(completePath(orderId), {}, this.opts(who, headers));
  }

  /** Charges a wallet by any multiple of 1,000 won, in charges of at most 100,000. */
  async charge(who: Account, amount: number): Promise<void> {
    for (let left = amount; left > 0; left -= 100_000) {
      const res = await this.t.api.post('/api/v1/balances/charge', { amount: Math.min(left, 100_000) }, { token: who.token });
      expect(res.status, `charge: ${JSON.stringify(res.body)}`).to.equal(200);
    }
  }

  async balanceOf(who: Account): Promise<number> {
    const res = await this.t.api.get('/api/v1/balances/me', { token: who.token });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.balance as number;
  }

  /** The wallet's ledger, newest first. */
  async historyOf(who: Account): Promise<LedgerEntry[]> {
    const res = await this.t.api.get('/api/v1/balances/me/history?size=100', { token: who.token });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.items as LedgerEntry[];
  }

  /** A buyer with `balance` won in the wallet. */
  async buyerWith(balance: number): Promise<Account> {
    const buyer = await this.t.newBuyer();
    if (balance > 0) await this.charge(buyer, balance);
    return buyer;
  }

  /** A CONFIRMED order: `quantity` of the listing's option, paid by `buyer`. */
  async paidOrder(buyer: Account, listing: Listing, quantity = 1): Promise<{ order: Order; payment: Payment }> {
    const order = await this.order(buyer, listing, quantity);
    const payment = await this.payOk(buyer, order.id);
    return { order, payment };
  }
}
