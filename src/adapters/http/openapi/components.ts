/**
 * What the OpenAPI document holds that cannot be derived from the operations: the response
 * schemas (what the presenters write), the shared answers, headers and parameters, the
 * security schemes and the prose. Request shapes and paths come from the routes' declarations
 * (see document.ts).
 */
import type { FieldProblem } from '../../../domain/shared/errors.js';
import { EVENT_TYPES } from '../../../application/ports/outbox.js';
import { problem, type ProblemCode, STATUS_OF } from '../problem.js';

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export const PROBLEM_JSON = 'application/problem+json';

// ---------------------------------------------------------------------------------------------
// Helpers

export function ref(section: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): JsonObject {
  return { $ref: `#/components/${section}/${name}` };
}

export const schemaRef = (name: string) => ref('schemas', name);

/** Header component name → the header's name on the wire. */
const HEADER_NAMES: Record<string, string> = {
  XRequestId: 'X-Request-Id',
  Location: 'Location',
  IdempotentReplayed: 'Idempotent-Replayed',
  RetryAfter: 'Retry-After',
};

/** Headers every answer carries, plus any extra ones by component name. */
export function headers(...extra: string[]): JsonObject {
  const all: JsonObject = { 'X-Request-Id': ref('headers', 'XRequestId') };
  for (const name of extra) {
    all[HEADER_NAMES[name] ?? name] = ref('headers', name);
  }
  return all;
}

/** A JSON success answer. */
export function jsonResponse(description: string, schema: JsonObject, extraHeaders: string[] = []): JsonObject {
  return {
    description,
    headers: headers(...extraHeaders),
    content: { 'application/json': { schema } },
  };
}

/** A problem example exactly as the service writes it (same type, title and status). */
function problemExample(code: ProblemCode, detail: string, instance: string, errors?: FieldProblem[]): JsonObject {
  const p = problem(code, detail, instance, errors);
  const body: JsonObject = {
    type: p.type,
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
    instance: p.instance,
  };
  if (p.errors) body['errors'] = p.errors.map((e) => ({ field: e.field, message: e.message }));
  return body;
}

export interface ProblemExample {
  code: ProblemCode;
  detail: string;
  errors?: FieldProblem[];
  /** The example's name and summary when one code has several examples (default: the code). */
  example?: string;
}

/**
 * An error answer: application/problem+json with the Problem schema and one named example per
 * code it may carry (or per case, where a code has several).
 */
export function problemResponse(description: string, cases: ProblemExample[], extraHeaders: string[] = [], instance = '/api/v1/...'): JsonObject {
  const examples: JsonObject = {};
  for (const c of cases) {
    const name = c.example ?? c.code;
    examples[name] = { summary: name, value: problemExample(c.code, c.detail, instance, c.errors) };
  }
  return {
    description,
    headers: headers(...extraHeaders),
    content: { [PROBLEM_JSON]: { schema: schemaRef('Problem'), examples } },
  };
}

/** Exactly null, as OpenAPI 3.0.3 can say it. */
const NULL: JsonObject = { type: 'object', nullable: true, enum: [null] };

const isoTime = (description: string): JsonObject => ({
  type: 'string',
  format: 'date-time',
  description: `${description} (ISO 8601, UTC)`,
  example: '2025-01-31T09:30:00.000Z',
});

const positiveId = (description: string): JsonObject => ({
  type: 'integer',
  format: 'int64',
  minimum: 1,
  description,
  example: 42,
});

export const CATALOG_CACHE_NOTE =
  'May be served from a short-lived cache (`CATALOG_CACHE_TTL_SECONDS`, default 30): every change to the catalog (a new product, an edit, a restock) invalidates the affected entries at once, on every instance, so an answer is never older than the last acknowledged change.';

const productPrice = (description: string): JsonObject => ({
  type: 'integer',
  format: 'int64',
  description,
  example: 39000,
});

/** One kind of event to the data platform: the envelope, with the payload of its types. */
function platformEvent(types: string[], aggregateType: string, payload: string, payloadDescription: string): JsonObject {
  return {
    type: 'object',
    required: ['id', 'type', 'aggregateType', 'aggregateId', 'occurredAt', 'payload'],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'The outbox id: the same on every delivery of this event' },
      type: { type: 'string', enum: types },
      aggregateType: { type: 'string', enum: [aggregateType] },
      aggregateId: { type: 'integer', format: 'int64', minimum: 1 },
      occurredAt: isoTime('When it happened'),
      payload: { allOf: [schemaRef(payload)], description: payloadDescription },
    },
  };
}

const schemas: JsonObject = {
  Role: {
    type: 'string',
    enum: ['BUYER', 'SELLER', 'ADMIN'],
    description: 'BUYER signs up alone; only an ADMIN creates SELLER and ADMIN accounts.',
  },
  UserStatus: {
    type: 'string',
    enum: ['ACTIVE', 'SUSPENDED'],
    description: 'A SUSPENDED user cannot log in (403 FORBIDDEN with the right password) and every token they hold is 401. Only an ADMIN sets it (`PATCH /api/v1/users/{userId}`).',
  },
  User: {
    type: 'object',
    description: 'A user account. Never contains the password or its hash.',
    required: ['id', 'email', 'name', 'role', 'status', 'createdAt'],
    properties: {
      id: positiveId('User id'),
      email: {
        type: 'string',
        format: 'idn-email',
        description: 'As given at registration, trimmed, in the case given; internationalised addresses such as `ü@example.com` included.',
        example: 'buyer@example.com',
      },
      name: { type: 'string', minLength: 1, maxLength: 100, example: 'Kim Minji' },
      role: schemaRef('Role'),
      introduction: { type: 'string', description: 'SELLER and ADMIN only; absent when not set.' },
      businessNumber: {
        type: 'string',
        pattern: '^\\d{3}-\\d{2}-\\d{5}$',
        description: 'Business registration number; SELLER only.',
        example: '123-45-67890',
      },
      adminCode: { type: 'string', description: 'ADMIN only.' },
      status: schemaRef('UserStatus'),
      createdAt: isoTime('When the account was created'),
    },
  },
  Token: {
    type: 'object',
    required: ['accessToken', 'tokenType', 'expiresIn'],
    properties: {
      accessToken: {
        type: 'string',
        description:
          "HS256 JWT: subject = user id, with `role`, `ver` (the user's token version) and `exp`. Send as `Authorization: Bearer <accessToken>`. " +
          "It works while its user is ACTIVE and has that token version still: a change of the user's password, role or status ends it.",
      },
      tokenType: { type: 'string', enum: ['Bearer'] },
      expiresIn: { type: 'integer', minimum: 1, description: 'Lifetime of the token in seconds', example: 3600 },
    },
  },
  Balance: {
    type: 'object',
    description: "A user's wallet. Always equals the sum of its ledger entries.",
    required: ['userId', 'balance', 'updatedAt'],
    properties: {
      userId: positiveId('Owner of the wallet'),
      balance: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description:
          'Integer KRW (won). A charge never takes it over 10,000,000; a refund may, since that money is already the buyer\'s.',
        example: 50000,
      },
      updatedAt: isoTime('Last change of the balance'),
    },
  },
  LedgerType: {
    type: 'string',
    enum: ['CHARGE', 'PAYMENT', 'REFUND', 'ADJUSTMENT'],
  },
  LedgerEntry: {
    type: 'object',
    description: 'One change of a balance. Insert-only: never updated or deleted.',
    required: ['id', 'type', 'amount', 'balanceAfter', 'orderId', 'createdAt'],
    properties: {
      id: positiveId('Ledger entry id'),
      type: schemaRef('LedgerType'),
      amount: {
        type: 'integer',
        format: 'int64',
        description: 'Signed integer KRW: positive adds to the balance (CHARGE, REFUND), negative takes from it (PAYMENT).',
        example: 10000,
      },
      balanceAfter: { type: 'integer', format: 'int64', minimum: 0, description: 'The balance right after this entry', example: 60000 },
      orderId: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        nullable: true,
        description: 'The order behind a PAYMENT or REFUND; null for a CHARGE.',
        example: null,
      },
      createdAt: isoTime('When the entry was written'),
    },
  },
  Page: {
    type: 'object',
    description: 'A page of results. `items` holds the resource of the endpoint (see the specific page schemas).',
    required: ['items', 'page', 'size', 'totalItems', 'totalPages'],
    properties: {
      items: { type: 'array', items: {} },
      page: { type: 'integer', minimum: 1, description: 'This page, counted from 1', example: 1 },
      size: { type: 'integer', minimum: 1, maximum: 100, description: 'Requested page size', example: 20 },
      totalItems: { type: 'integer', minimum: 0, example: 57 },
      totalPages: { type: 'integer', minimum: 0, description: 'ceil(totalItems / size)', example: 3 },
    },
  },
  LedgerEntryPage: {
    description: 'A page of ledger entries, newest first.',
    allOf: [
      schemaRef('Page'),
      { type: 'object', properties: { items: { type: 'array', items: schemaRef('LedgerEntry') } } },
    ],
  },
  OutboxEventStatus: {
    type: 'string',
    enum: ['PENDING', 'PROCESSING', 'SENT', 'FAILED', 'ALERTED'],
    description:
      'PENDING: written, not yet tried (or retried by an operator). PROCESSING: a relay is delivering it (its claim holds for 60 s; if that relay dies, the event is claimed again after it). ' +
      'SENT: the data platform answered 2xx. FAILED: the last try failed; it is tried again after `OUTBOX_RETRY_BASE_MS` × 2^(attempts − 1) (at most an hour). ' +
      'ALERTED: `OUTBOX_MAX_ATTEMPTS` tries failed; an alert was logged and counted (`outbox_events_alerted_total`), and it waits for an operator. ' +
      "An aggregate's events are delivered in the order they happened, so an event that is not SENT holds back the later events of its order or coupon (an ALERTED one until it is retried).",
  },
  OutboxEvent: {
    type: 'object',
    description: 'A business event in the transactional outbox, as operators see it.',
    required: ['id', 'type', 'aggregateType', 'aggregateId', 'status', 'attempts', 'lastError', 'createdAt', 'sentAt'],
    additionalProperties: false,
    properties: {
      id: { type: 'string', format: 'uuid', description: 'Also the `Idempotency-Key` the data platform receives it with' },
      type: { type: 'string', enum: [...EVENT_TYPES] },
      aggregateType: { type: 'string', enum: ['Order', 'Coupon'] },
      aggregateId: { type: 'integer', minimum: 1, description: 'The order or coupon id' },
      status: schemaRef('OutboxEventStatus'),
      attempts: { type: 'integer', minimum: 0, description: 'Delivery tries so far, the successful one included; an operator retry resets it to 0' },
      lastError: { type: 'string', nullable: true, description: 'Why the last failed try failed (e.g. `data platform answered HTTP 503`); never a URL or a secret' },
      createdAt: isoTime('When the event was written'),
      sentAt: { ...isoTime('When the data platform took it'), nullable: true },
    },
  },
  OutboxEventPage: {
    description: 'A page of outbox events, newest first.',
    allOf: [schemaRef('Page'), { type: 'object', properties: { items: { type: 'array', items: schemaRef('OutboxEvent') } } }],
  },
  PlatformEvent: {
    description:
      'An event as the data platform receives it: `POST` to `DATA_PLATFORM_URL` with this JSON and the header `Idempotency-Key: <id>` (any 2xx counts as delivered; no answer within 5 s is a failure), ' +
      'or, when no URL is set, one line of a JSON-lines file: `DATA_DIR/events.jsonl` on the embedded database, `DATA_DIR/events-<database name>.jsonl` with `DATABASE_URL`. Delivery is at least once: deduplicate on `id`. ' +
      "An aggregate's events arrive in the order they happened. `type` says which payload it carries (OpenAPI 3.0 has no webhooks section, so the events are documented here).",
    oneOf: [
      schemaRef('OrderEvent'),
      schemaRef('RefundCompletedEvent'),
      schemaRef('FulfilmentAdvancedEvent'),
      schemaRef('CouponCreatedEvent'),
      schemaRef('CouponIssuedEvent'),
    ],
    discriminator: {
      propertyName: 'type',
      mapping: {
        OrderCreated: '#/components/schemas/OrderEvent',
        PaymentCompleted: '#/components/schemas/OrderEvent',
        OrderCancelled: '#/components/schemas/OrderEvent',
        OrderFailed: '#/components/schemas/OrderEvent',
        OrderPreparing: '#/components/schemas/OrderEvent',
        OrderShipped: '#/components/schemas/OrderEvent',
        OrderDelivered: '#/components/schemas/OrderEvent',
        OrderCompleted: '#/components/schemas/OrderEvent',
        RefundCompleted: '#/components/schemas/RefundCompletedEvent',
        FulfilmentAdvanced: '#/components/schemas/FulfilmentAdvancedEvent',
        CouponCreated: '#/components/schemas/CouponCreatedEvent',
        CouponIssued: '#/components/schemas/CouponIssuedEvent',
      },
    },
  },
  OrderEvent: platformEvent(
    ['OrderCreated', 'PaymentCompleted', 'OrderCancelled', 'OrderFailed', 'OrderPreparing', 'OrderShipped', 'OrderDelivered', 'OrderCompleted'],
    'Order',
    'Order',
    "The order, whole, as its buyer's `GET /api/v1/orders/{orderId}` showed it right after the change: placed (OrderCreated), paid (PaymentCompleted), cancelled, expired or refunded (OrderCancelled), its payment declined (OrderFailed); its status moved by fulfilment to PREPARING (OrderPreparing: the first line moved), SHIPPED (OrderShipped: every line shipped) or DELIVERED (OrderDelivered: every line delivered); or its buyer confirmed the purchase (OrderCompleted). One event per change of the order's status.",
  ),
  RefundCompletedEvent: platformEvent(['RefundCompleted'], 'Order', 'Refund', 'The refund, as the refund answer shows it; `aggregateId` is its order.'),
  FulfilmentAdvancedEvent: platformEvent(
    ['FulfilmentAdvanced'],
    'Order',
    'SellerOrder',
    "One seller's lines of the order moved one fulfilment step (`sellerView.status` is where they stand now): the order as that seller sees it right after the step. One event per seller whose lines moved, before the order's own status event when the step changed it (a seller's shipment shows here even while the order stays PREPARING for another seller's lines). `aggregateId` is the order.",
  ),
  CouponCreatedEvent: platformEvent(['CouponCreated'], 'Coupon', 'Coupon', 'The coupon as it was created.'),
  CouponIssuedEvent: platformEvent(['CouponIssued'], 'Coupon', 'UserCoupon', "The user's copy as it was issued; `aggregateId` is its coupon."),
  ProductStatus: {
    type: 'string',
    enum: ['ACTIVE', 'DISCONTINUED'],
    description: 'ACTIVE: on sale. DISCONTINUED: the seller stopped selling it (it stays listed and can be made ACTIVE again).',
  },
  StockStatus: {
    type: 'string',
    enum: ['DISCONTINUED', 'SOLD', 'OUT_OF_STOCK', 'RESERVED', 'LOW_STOCK', 'AVAILABLE'],
    description:
      'What a buyer is told about stock, of one option or (from the sums over its options) of a whole product. The first that applies wins:\n' +
      '- `DISCONTINUED`: the seller stopped the product (its status is DISCONTINUED), whatever the stock.\n' +
      '- `SOLD`: nothing available, nothing reserved, and stock existed and all of it was sold.\n' +
      '- `OUT_OF_STOCK`: nothing available, nothing reserved, and none was ever sold.\n' +
      '- `RESERVED`: nothing available, but units are reserved by unpaid orders and may come back (if those orders are cancelled, fail or expire).\n' +
      '- `LOW_STOCK`: 0 < `availableStock` ≤ the low-stock threshold (`LOW_STOCK_THRESHOLD`, default 5).\n' +
      '- `AVAILABLE`: more than the low-stock threshold available.',
    example: 'AVAILABLE',
  },
  ProductOption: {
    type: 'object',
    description: 'One variant of a product (a size, a colour); stock is kept per option.',
    required: ['id', 'name', 'totalStock', 'reservedStock', 'availableStock', 'stockStatus'],
    properties: {
      id: positiveId('Option id'),
      name: { type: 'string', minLength: 1, maxLength: 50, example: '270 mm' },
      totalStock: { type: 'integer', minimum: 0, description: 'Units the shop holds, reserved ones included', example: 12 },
      reservedStock: {
        type: 'integer',
        minimum: 0,
        description: 'Units held for unpaid orders; never more than `totalStock`',
        example: 2,
      },
      availableStock: { type: 'integer', minimum: 0, description: '`totalStock - reservedStock`: what can be ordered now', example: 10 },
      stockStatus: schemaRef('StockStatus'),
    },
  },
  Product: {
    type: 'object',
    description: `A product a seller lists, with its options. ${CATALOG_CACHE_NOTE}`,
    required: ['id', 'sellerId', 'name', 'description', 'category', 'price', 'status', 'digital', 'stockStatus', 'availableStock', 'options', 'createdAt'],
    properties: {
      id: positiveId('Product id'),
      sellerId: positiveId('The SELLER (or ADMIN) who listed it'),
      name: { type: 'string', minLength: 1, maxLength: 100, example: 'Canvas sneakers' },
      description: { type: 'string', maxLength: 5000, description: 'Empty when not given', example: 'Low-top, cotton canvas.' },
      category: { type: 'string', minLength: 1, maxLength: 50, example: 'shoes' },
      price: { ...productPrice('Integer KRW (won): positive and a multiple of 100'), minimum: 100, multipleOf: 100 },
      status: schemaRef('ProductStatus'),
      digital: {
        type: 'boolean',
        description: 'Delivered without shipping (a download, a voucher code): an order whose lines are all digital needs no `shippingAddress`. False unless the seller said so.',
        example: false,
      },
      stockStatus: { allOf: [schemaRef('StockStatus')], description: 'Of the whole product, from the sums over its options' },
      availableStock: { type: 'integer', minimum: 0, description: 'Sum of the options\' `availableStock`', example: 10 },
      options: { type: 'array', minItems: 1, items: schemaRef('ProductOption'), description: 'In the order they were created (by id)' },
      createdAt: isoTime('When the product was listed'),
    },
  },
  ProductPage: {
    description: `A page of products in the requested order; ties (same creation time or price) are broken by id, so pages never repeat or skip a product. ${CATALOG_CACHE_NOTE}`,
    allOf: [
      schemaRef('Page'),
      { type: 'object', properties: { items: { type: 'array', items: schemaRef('Product') } } },
    ],
  },
  OrderStatus: {
    type: 'string',
    enum: ['CREATED', 'PENDING', 'CONFIRMED', 'PREPARING', 'SHIPPED', 'DELIVERED', 'COMPLETED', 'CANCELLED', 'FAILED'],
    description:
      'Where an order stands. Orders are never deleted; only the status changes, one move of this state machine at a time (skipping a step or going back is 409 INVALID_STATE):\n' +
      '```\n' +
      'CREATED --pay--> CONFIRMED --> PREPARING --> SHIPPED --> DELIVERED --> COMPLETED\n' +
      'CREATED --cancel or reservation expiry--> CANCELLED\n' +
      'CREATED --gateway declines--> FAILED                 (stock and coupon given back)\n' +
      'CREATED --gateway outcome unknown--> PENDING\n' +
      'PENDING --recovery: gateway says approved--> CONFIRMED\n' +
      'PENDING --recovery: not approved--> FAILED           (balance refunded, stock and coupon given back)\n' +
      'CONFIRMED | PREPARING --refund--> CANCELLED          (balance refunded, stock restocked, coupon REFUNDED; only lines not SHIPPED)\n' +
      'CONFIRMED | PREPARING --partial refund--> (unchanged) (those units credited and restocked; CANCELLED once the last unit is refunded)\n' +
      '```\n' +
      '- `CREATED`: placed and unpaid; its stock is reserved until `reservationExpiresAt`.\n' +
      '- `PENDING`: the wallet was debited and an external gateway has the payment but its answer is unknown; settled by `POST /api/v1/payments/confirm` or by recovery.\n' +
      '- `CONFIRMED`: paid; the stock has left the shop.\n' +
      "- `PREPARING`, `SHIPPED`, `DELIVERED`: fulfilment, which follows from the lines' statuses (LineStatus), each seller moving their own lines one step at a time (or an ADMIN): `PREPARING` once any line moved and while any is ORDERED or PREPARING; `SHIPPED` once every line is SHIPPED or DELIVERED; `DELIVERED` once every line is.\n" +
      '- `COMPLETED`: the buyer confirmed the purchase. Final.\n' +
      '- `CANCELLED`: cancelled unpaid (by its buyer or an ADMIN, or by the sweeper when the reservation expired), or refunded after payment (every unit of it, at once or by partial refunds). Final.\n' +
      '- `FAILED`: the payment was declined or never approved; everything the order held was given back. Final.',
    example: 'CREATED',
  },
  LineStatus: {
    type: 'string',
    enum: ['ORDERED', 'PREPARING', 'SHIPPED', 'DELIVERED'],
    description:
      "Where one line of an order stands in its fulfilment, moved by the line's seller (or an ADMIN) one step at a time, never back (`POST /api/v1/orders/{orderId}/fulfillment`): " +
      '`ORDERED` (every line starts so, paid or not; nothing done yet), `PREPARING`, `SHIPPED`, `DELIVERED`. A seller\'s lines of one order move together. The order\'s status follows from its lines (see OrderStatus).',
    example: 'ORDERED',
  },
  OrderItem: {
    type: 'object',
    description: "One line of an order, with the product's name and price as they were when the order was placed, and where its fulfilment stands.",
    required: ['id', 'productId', 'optionId', 'productName', 'optionName', 'unitPrice', 'quantity', 'amount', 'discountAmount', 'status', 'digital', 'refundedQuantity'],
    properties: {
      id: positiveId("The line's id: what a partial refund names (`orderItemId`)"),
      productId: positiveId('Product id'),
      optionId: positiveId('Option id (filled in when the request left it out)'),
      productName: { type: 'string', example: 'Canvas sneakers' },
      optionName: { type: 'string', example: '270 mm' },
      unitPrice: { type: 'integer', format: 'int64', minimum: 100, description: 'Integer KRW (won), the price when ordered', example: 39000 },
      quantity: { type: 'integer', minimum: 1, maximum: 10, example: 2 },
      amount: { type: 'integer', format: 'int64', minimum: 100, description: '`unitPrice × quantity`', example: 78000 },
      discountAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description:
          "This line's part of the order's `discountAmount` (KRW), `0 ≤ discountAmount ≤ amount`: only lines the coupon covers get any (a SELLER's coupon: that seller's lines; an ADMIN's: every line), split in proportion to their amounts, rounded down, the won left over one each to the lines that lost the most in rounding (the earlier line first). The lines' parts sum exactly to the order's.",
        example: 0,
      },
      status: schemaRef('LineStatus'),
      digital: {
        type: 'boolean',
        description: 'Whether the product was digital when the order was placed: nothing of this line is shipped.',
        example: false,
      },
      refundedQuantity: {
        type: 'integer',
        minimum: 0,
        maximum: 10,
        description: 'Units of this line refunded so far (0..`quantity`), by whole or partial refunds (see the order\'s `refunds`).',
        example: 0,
      },
    },
  },
  ShippingAddress: {
    type: 'object',
    description: 'Where the goods of an order go, as the buyer gave it (text trimmed). Shown to the buyer, the sellers of its lines and ADMINs.',
    required: ['recipient', 'phone', 'postalCode', 'line1', 'line2'],
    additionalProperties: false,
    properties: {
      recipient: { type: 'string', minLength: 1, maxLength: 50, example: 'Kim Minji' },
      phone: {
        type: 'string',
        pattern: '^\\+?\\d+(?:[ -]\\d+)*$',
        maxLength: 20,
        description: 'Digits, an optional leading `+`, single spaces or hyphens between groups; 8 to 15 digits.',
        example: '010-1234-5678',
      },
      postalCode: { type: 'string', pattern: '^\\d{5}$', description: 'A Korean postal code: five digits.', example: '06236' },
      line1: { type: 'string', minLength: 1, maxLength: 200, example: '123 Teheran-ro, Gangnam-gu, Seoul' },
      line2: { type: 'string', minLength: 1, maxLength: 200, nullable: true, description: 'null when not given', example: '5F, Unit 501' },
    },
  },
  Order: {
    type: 'object',
    description: 'A buyer\'s order. See OrderStatus for its state machine.',
    required: [
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
    ],
    properties: {
      id: positiveId('Order id'),
      userId: positiveId('The buyer'),
      status: schemaRef('OrderStatus'),
      items: { type: 'array', minItems: 1, maxItems: 100, items: schemaRef('OrderItem'), description: 'In the order of the request' },
      totalAmount: { type: 'integer', format: 'int64', minimum: 0, description: 'Sum of the lines\' `amount` (KRW)', example: 78000 },
      discountAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description:
          "The coupon's discount (KRW); 0 without a coupon. Worked out on the amount the coupon covers: the lines of its seller for a SELLER's coupon (`sellerId`), the whole `totalAmount` for an ADMIN's. PERCENTAGE: floor(covered × discountValue / 100), capped at the coupon's `maxDiscountAmount`; FIXED: min(discountValue, covered) (also capped at `maxDiscountAmount` when set). Always `0 ≤ discountAmount ≤ totalAmount`; the items' `discountAmount` sum to it.",
        example: 0,
      },
      finalAmount: { type: 'integer', format: 'int64', minimum: 0, description: '`totalAmount - discountAmount`: what the payment debits (KRW). May be 0 (paying it debits nothing).', example: 78000 },
      userCouponId: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        nullable: true,
        description:
          'The user coupon applied to the order; null without one. While the order is unpaid (CREATED, PENDING) the user coupon is bound to it (its `orderId`, status unchanged); paying makes it USED; the unpaid order cancelled, expired or failed gives it back (ISSUED or REFUNDED as before, `orderId` null); refunding the paid order makes it REFUNDED, usable again. Stays on the order either way.',
        example: null,
      },
      reservationExpiresAt: isoTime(
        'Until when the stock is held for this unpaid order: `createdAt` + `ORDER_RESERVATION_TTL_SECONDS` (default 30). From then on it cannot be paid, and the sweeper cancels it (reason `EXPIRED`)',
      ),
      cancelReason: {
        type: 'string',
        nullable: true,
        description:
          'Why the order was CANCELLED or FAILED; null otherwise. The reason given by the buyer or ADMIN, else `CANCELLED_BY_USER` (cancelled unpaid) or `REFUNDED` (refunded); ' +
          '`EXPIRED` (cancelled by the sweeper); `DECLINED` (the gateway declined) or `NOT_APPROVED_BY_GATEWAY` (recovery found it never approved).',
        example: null,
      },
      shippingAddress: {
        anyOf: [schemaRef('ShippingAddress'), NULL],
        description:
          'Where its goods go, as given when it was placed. Every order with a physical line has one; null for an order of digital products placed without one, and for orders placed before addresses were taken.',
      },
      payment: {
        // OpenAPI 3.0's `nullable` only widens a `type` beside it, never a $ref: null is its own branch.
        anyOf: [schemaRef('Payment'), NULL],
        description:
          'The latest payment attempt; null until there is one. A payment refused for want of balance is on record (FAILED) while the order stays CREATED and payable.',
      },
      refunds: {
        type: 'array',
        items: schemaRef('Refund'),
        description: 'Its refunds, oldest first: one that refunded it whole, or partial refunds (the last of which, taking the last unit, ends it CANCELLED). Empty until one is made.',
      },
      createdAt: isoTime('When the order was placed'),
      updatedAt: isoTime('Last change of the order'),
    },
  },
  SellerPart: {
    type: 'object',
    description: "What one seller's lines of an order come to, and where they stand.",
    required: ['sellerId', 'status', 'itemsAmount', 'discountAmount', 'finalAmount'],
    additionalProperties: false,
    properties: {
      sellerId: positiveId('The seller whose lines these are (the caller)'),
      status: {
        allOf: [schemaRef('LineStatus')],
        description: "Where the seller's lines stand (they move together; were they ever apart, the least advanced).",
      },
      itemsAmount: { type: 'integer', format: 'int64', minimum: 0, description: "Sum of the seller's lines' `amount` (KRW)", example: 78000 },
      discountAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description: "Sum of the seller's lines' `discountAmount`: what coupons took off the seller's goods (their own coupon, or their lines' part of an ADMIN's).",
        example: 0,
      },
      finalAmount: { type: 'integer', format: 'int64', minimum: 0, description: '`itemsAmount - discountAmount`: what the buyer pays for the seller\'s lines (KRW)', example: 78000 },
    },
  },
  SellerOrder: {
    type: 'object',
    description:
      "An order as one of its sellers sees it: only that seller's lines, what they come to (`sellerView`) and where they stand. Never another seller's lines or prices, nor so the order's totals, coupon or payment (the payment's amount is the whole order's). " +
      "`status` is the order's (see OrderStatus; it follows from every seller's lines). What a seller is answered by `GET /api/v1/orders` (`as=seller`, a SELLER's default), `GET /api/v1/orders/{orderId}` and the fulfilment step, whether or not the order holds other sellers' lines.",
    required: ['id', 'userId', 'status', 'items', 'sellerView', 'shippingAddress', 'cancelReason', 'createdAt', 'updatedAt'],
    additionalProperties: false,
    properties: {
      id: positiveId('Order id'),
      userId: positiveId('The buyer'),
      status: schemaRef('OrderStatus'),
      items: { type: 'array', minItems: 1, maxItems: 100, items: schemaRef('OrderItem'), description: "The seller's lines only, in the order of the request" },
      sellerView: schemaRef('SellerPart'),
      shippingAddress: { anyOf: [schemaRef('ShippingAddress'), NULL], description: 'Where the seller ships to; null when every line of the order is digital.' },
      cancelReason: { type: 'string', nullable: true, description: 'Why the order was CANCELLED or FAILED; null otherwise (see Order).', example: null },
      createdAt: isoTime('When the order was placed'),
      updatedAt: isoTime('Last change of the order (a step of any seller\'s lines included)'),
    },
  },
  OrderOrSellerOrder: {
    description:
      "An order as the caller may see it: whole (Order) to its buyer and an ADMIN; as that seller sees it (SellerOrder, with `sellerView`) to a seller of some of its lines who is not its buyer.",
    oneOf: [schemaRef('Order'), schemaRef('SellerOrder')],
  },
  OrderPage: {
    description:
      'A page of orders, newest first (ties broken by id, descending): Order items for `as=buyer` and `as=all`, SellerOrder items for `as=seller` (a page holds one kind).',
    allOf: [
      schemaRef('Page'),
      { type: 'object', properties: { items: { type: 'array', items: schemaRef('OrderOrSellerOrder') } } },
    ],
  },
  PaymentStatus: {
    type: 'string',
    enum: ['INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED', 'COMPLETED', 'FAILED', 'PARTIALLY_REFUNDED', 'REFUNDED'],
    description:
      'How far a payment got; steps only go forward, and a payment is recorded with the furthest step it reached so an operator can see where a failed or pending one stopped. ' +
      'Clients normally see only `GATEWAY_REQUESTED`, `COMPLETED`, `FAILED` and, once refunded, `PARTIALLY_REFUNDED` and `REFUNDED`.\n' +
      '- `INITIATED`: the attempt is recorded; nothing checked yet.\n' +
      '- `VALIDATING`: the order is being checked (CREATED, reservation still holding) and the wallet looked up.\n' +
      "- `LOCK_ACQUIRED`: the buyer's wallet is locked for the debit.\n" +
      '- `DEBITED`: the wallet was debited (ledger entry `PAYMENT`).\n' +
      '- `GATEWAY_REQUESTED`: the payment gateway was asked and its answer is not known yet (lost, or not given); the order is PENDING until the payment is settled by `POST /api/v1/payments/confirm` or by recovery (see `GET /api/v1/payments/{paymentId}/recovery`).\n' +
      '- `COMPLETED`: approved: the stock is confirmed and the order CONFIRMED.\n' +
      '- `FAILED`: did not go through; `failureReason` says why and at which step. Whatever was debited was given back. Final.\n' +
      '- `PARTIALLY_REFUNDED`: completed, then some units of its order were refunded (`refundedAmount` says how much came back); the order keeps its status.\n' +
      '- `REFUNDED`: completed, then every unit of its order was refunded (`refundedAmount` = `amount`); the order is CANCELLED. Final.',
    example: 'COMPLETED',
  },
  Payment: {
    type: 'object',
    description: 'One attempt to pay an order from the buyer\'s wallet.',
    required: ['id', 'orderId', 'amount', 'status', 'failureReason', 'refundedAmount', 'createdAt', 'updatedAt'],
    properties: {
      id: positiveId('Payment id'),
      orderId: positiveId('The order paid for'),
      amount: { type: 'integer', format: 'int64', minimum: 0, description: "The order's `finalAmount` (KRW)", example: 78000 },
      status: schemaRef('PaymentStatus'),
      failureReason: {
        type: 'string',
        nullable: true,
        description:
          'Null unless FAILED. The reason, then the step it stopped at in parentheses: e.g. `DECLINED (at GATEWAY_REQUESTED)`, `NOT_APPROVED_BY_GATEWAY (at GATEWAY_REQUESTED)`, `INSUFFICIENT_BALANCE: ... (at LOCK_ACQUIRED)`.',
        example: null,
      },
      refundedAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description: 'What refunds gave back of `amount` so far (KRW): 0 unless PARTIALLY_REFUNDED or REFUNDED, all of it once REFUNDED.',
        example: 0,
      },
      createdAt: isoTime('When the attempt started'),
      updatedAt: isoTime('Last change of the payment'),
    },
  },
  RecoveryState: {
    type: 'string',
    enum: ['AUTOMATIC', 'OPERATOR_REQUIRED'],
    description:
      'Who settles a payment that waits for the gateway (`GATEWAY_REQUESTED`, order PENDING). ' +
      '`AUTOMATIC`: the recovery job asks the gateway when `nextAttemptAt` comes; each inconclusive attempt (the gateway cannot tell, fails, or the settlement fails) counts one and waits `PENDING_RECOVERY_BACKOFF_SECONDS` (default 30) × 2^(attempts − 1), at most an hour, before the next. ' +
      '`OPERATOR_REQUIRED`: `PENDING_RECOVERY_MAX_ATTEMPTS` (default 10) attempts were inconclusive; the job no longer asks, an error was logged and counted (`payments_handed_to_operator_total`, `payments_awaiting_operator`). ' +
      'The order stays PENDING and the money debited: nothing is given back until the gateway says the payment was not approved. An operator settles it with `POST /api/v1/payments/confirm` or puts it back with `POST /api/v1/admin/payments/{paymentId}/retry`.',
    example: 'OPERATOR_REQUIRED',
  },
  PaymentRecovery: {
    type: 'object',
    description: 'Where the recovery of a payment stands: its state and the recovery job\'s bookkeeping.',
    required: ['paymentId', 'orderId', 'userId', 'amount', 'state', 'attempts', 'waitingSince', 'lastAttemptAt', 'nextAttemptAt'],
    additionalProperties: false,
    properties: {
      paymentId: positiveId('The payment'),
      orderId: positiveId('The order it pays for (PENDING while the payment waits)'),
      userId: positiveId('The buyer'),
      amount: { type: 'integer', format: 'int64', minimum: 0, description: 'Debited from the buyer\'s wallet (KRW)', example: 78000 },
      state: {
        anyOf: [schemaRef('RecoveryState'), NULL],
        description: 'Null when the payment does not wait for the gateway: it never did (internal gateway, refused), or it is settled (read its status with `GET /api/v1/payments/{paymentId}`).',
      },
      attempts: {
        type: 'integer',
        minimum: 0,
        description: 'Inconclusive recovery attempts since the payment began to wait, or since an operator\'s retry; kept once it is settled. An ADMIN\'s confirm counts none.',
        example: 10,
      },
      waitingSince: { ...isoTime('When the payment began to wait for the gateway; null when it does not wait'), nullable: true },
      lastAttemptAt: { ...isoTime('When the last inconclusive attempt was made; null before the first'), nullable: true },
      nextAttemptAt: {
        ...isoTime('When the recovery job asks next (and not before `PENDING_RECOVERY_AFTER_SECONDS` after `waitingSince`); null unless `AUTOMATIC`'),
        nullable: true,
      },
    },
  },
  PaymentRecoveryPage: {
    description: 'A page of payments waiting for the gateway, newest first.',
    allOf: [schemaRef('Page'), { type: 'object', properties: { items: { type: 'array', items: schemaRef('PaymentRecovery') } } }],
  },
  RefundStatus: {
    type: 'string',
    enum: ['REFUND_REQUESTED', 'PROCESSING', 'REFUNDED', 'FAILED', 'MANUAL'],
    description:
      '`REFUND_REQUESTED`: asked for; `PROCESSING`: under way; `REFUNDED`: the money is back in the wallet (what a refund from the wallet answers, at once); `FAILED`: did not go through; `MANUAL`: left to an operator.',
    example: 'REFUNDED',
  },
  Refund: {
    type: 'object',
    description:
      'A refund of a paid order: the whole of it, or some units of some lines (partial). The buyer is credited what they paid for those units (ledger `REFUND`, not blocked by the balance cap), the units are restocked; the last unit refunded gives the coupon back and cancels the order.',
    required: ['id', 'orderId', 'paymentId', 'amount', 'status', 'reason', 'items', 'createdAt'],
    properties: {
      id: positiveId('Refund id'),
      orderId: positiveId('The refunded order'),
      paymentId: positiveId('The completed payment it gives back (part of)'),
      amount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description: "What the wallet was credited (KRW): the sum of its items' `amount`. A refund of a whole order never refunded before gives back the whole payment.",
        example: 78000,
      },
      status: schemaRef('RefundStatus'),
      reason: { type: 'string', nullable: true, description: 'As given; null when not given', example: 'Changed my mind' },
      items: { type: 'array', minItems: 1, items: schemaRef('RefundItem'), description: 'The lines it gave units back of, in the order of the order\'s lines' },
      createdAt: isoTime('When the refund was made'),
    },
  },
  RefundItem: {
    type: 'object',
    description: 'What a refund gave back of one order line.',
    required: ['orderItemId', 'quantity', 'amount', 'discountAmount'],
    additionalProperties: false,
    properties: {
      orderItemId: positiveId("The order line (its item's `id`)"),
      quantity: { type: 'integer', minimum: 1, maximum: 10, description: 'Units refunded', example: 1 },
      amount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description: "Credited for them (KRW): `unitPrice × quantity − discountAmount`.",
        example: 37000,
      },
      discountAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description:
          "Their part of the line's discount, which the buyer never paid: floor(line discount × units refunded up to and with these / line quantity) − the same for the units refunded before. A line refunded to its last unit has given back exactly its discount.",
        example: 2000,
      },
    },
  },
  CouponType: {
    type: 'string',
    enum: ['PERCENTAGE', 'FIXED'],
    description:
      '`PERCENTAGE`: `discountValue` percent (1..100) of the order total, rounded down, capped at `maxDiscountAmount` when set. `FIXED`: `discountValue` won (1..1,000,000,000) off, also capped at `maxDiscountAmount` when set. Either way never more than the order total.',
    example: 'PERCENTAGE',
  },
  CouponStatus: {
    type: 'string',
    enum: ['CREATED', 'ACTIVE', 'EXHAUSTED', 'EXPIRED', 'SUSPENDED', 'CANCELLED'],
    description:
      'Worked out each time the coupon is read, from what its creator set, its window and its counters. The first that applies wins:\n' +
      '- `CANCELLED`: cancelled by its creator or an ADMIN. Final: it can no longer change.\n' +
      '- `SUSPENDED`: suspended by its creator or an ADMIN; setting ACTIVE resumes it.\n' +
      '- `EXPIRED`: at or after `validUntil` (or marked so by the expiry job, which also turns a SUSPENDED coupon past its window EXPIRED). Final.\n' +
      '- `CREATED`: before `validFrom`: not issued yet.\n' +
      '- `EXHAUSTED`: every copy is issued (`issuedQuantity` = `totalQuantity`, `remainingQuantity` 0); only a coupon with a `totalQuantity`.\n' +
      '- `ACTIVE`: being issued.\n' +
      'Only ACTIVE coupons are issued (EXHAUSTED answers 409 COUPON_EXHAUSTED, the others 409 COUPON_NOT_ISSUABLE). Copies already issued apply to orders while the coupon is ACTIVE or EXHAUSTED.',
    example: 'ACTIVE',
  },
  Coupon: {
    type: 'object',
    description: 'A discount campaign opened by a SELLER or an ADMIN. Users are issued copies of it (user coupons), first come, first served.',
    required: [
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
    ],
    properties: {
      id: positiveId('Coupon id'),
      code: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{1,40}$',
        minLength: 1,
        maxLength: 40,
        description: 'As given at creation; unique among all coupons, compared case-insensitively.',
        example: 'WELCOME-10',
      },
      name: { type: 'string', minLength: 1, maxLength: 100, example: 'Welcome 10% off' },
      type: schemaRef('CouponType'),
      discountValue: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: 1000000000,
        description: 'PERCENTAGE: percent, 1..100. FIXED: integer KRW (won), 1..1,000,000,000.',
        example: 10,
      },
      maxDiscountAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        nullable: true,
        description: 'The most the discount may be (KRW); null: no cap.',
        example: 5000,
      },
      minOrderAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        description:
          "The least amount (before the discount, KRW) the coupon applies to: what the seller's lines of the order come to for a SELLER's coupon, the order total for an ADMIN's; 0: no minimum.",
        example: 10000,
      },
      totalQuantity: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: 1000000000,
        nullable: true,
        description: 'How many copies may be issued in all; null: unlimited.',
        example: 100,
      },
      issuedQuantity: { type: 'integer', format: 'int64', minimum: 0, description: 'Copies issued so far', example: 37 },
      remainingQuantity: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        nullable: true,
        description: '`totalQuantity - issuedQuantity`; null when unlimited.',
        example: 63,
      },
      perUserLimit: { type: 'integer', minimum: 1, maximum: 100, description: 'How many copies one user may hold', example: 1 },
      validFrom: isoTime('Issuing starts'),
      validUntil: isoTime('Issuing ends and issued copies expire (their `expiresAt`)'),
      status: schemaRef('CouponStatus'),
      sellerId: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        nullable: true,
        description:
          "The coupon's scope. A SELLER's coupon (their id here) covers that seller's products only: its minimum, percentage and cap are worked out on their lines of an order, other sellers' lines are never discounted, and an order with none of their lines is 422 COUPON_NOT_APPLICABLE. null: an ADMIN's coupon, shop-wide (the whole order).",
        example: 12,
      },
      createdBy: positiveId('The SELLER or ADMIN who created it'),
    },
  },
  CouponPage: {
    description: 'A page of coupons, newest first (the latest created first).',
    allOf: [schemaRef('Page'), { type: 'object', properties: { items: { type: 'array', items: schemaRef('Coupon') } } }],
  },
  UserCouponStatus: {
    type: 'string',
    enum: ['ISSUED', 'USED', 'EXPIRED', 'REFUNDED'],
    description:
      "Where a user's copy of a coupon stands: ISSUED → USED → REFUNDED (→ USED again ...), or EXPIRED.\n" +
      '- `ISSUED`: held and not used. Applying it to an order binds it to that unpaid order (`orderId` set, status unchanged); the order being cancelled, expiring or failing gives it back (`orderId` null).\n' +
      '- `USED`: the order it is bound to was paid (`usedAt`, `orderId` = that order). Applies to no other order.\n' +
      '- `REFUNDED`: the paid order that used it was refunded to its last unit (`POST /api/v1/refunds`, or cancelling a CONFIRMED or PREPARING order; a partial refund leaves it USED): `usedAt` and `orderId` null again, and it applies to a new order like an ISSUED one.\n' +
      '- `EXPIRED`: past `expiresAt` without being used; set by the expiry job (every `JOB_INTERVAL_MS`) on ISSUED and REFUNDED copies not bound to an order. Final.',
    example: 'ISSUED',
  },
  UserCoupon: {
    type: 'object',
    description: "A user's copy of a coupon, with its coupon's code, name, type and discount value.",
    required: ['id', 'couponId', 'code', 'name', 'type', 'discountValue', 'status', 'issuedAt', 'usedAt', 'orderId', 'expiresAt'],
    properties: {
      id: positiveId('User coupon id: what `userCouponId` names on an order'),
      couponId: positiveId('The coupon it is a copy of'),
      code: { type: 'string', description: "The coupon's code", example: 'WELCOME-10' },
      name: { type: 'string', description: "The coupon's name", example: 'Welcome 10% off' },
      type: schemaRef('CouponType'),
      discountValue: { type: 'integer', format: 'int64', minimum: 1, description: "The coupon's discount value (percent or KRW, as `type` says)", example: 10 },
      status: schemaRef('UserCouponStatus'),
      issuedAt: isoTime('When it was issued'),
      usedAt: { ...isoTime('When the order that used it was paid; null unless USED'), nullable: true, example: null },
      orderId: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        nullable: true,
        description: 'The unpaid order it is bound to (CREATED or PENDING), or the paid order that used it (USED); null otherwise.',
        example: null,
      },
      expiresAt: isoTime("Its coupon's `validUntil`: after that it applies to no order"),
    },
  },
  UserCouponList: {
    type: 'object',
    description: "A user's coupons, newest first (latest issued first). Not paged: all of them.",
    required: ['items'],
    properties: { items: { type: 'array', items: schemaRef('UserCoupon') } },
  },
  FieldError: {
    type: 'object',
    required: ['field', 'message'],
    properties: {
      field: { type: 'string', description: 'Dotted path of the field (or `body`, `Idempotency-Key`, ...)', example: 'email' },
      message: { type: 'string', example: "'email' must be a valid email" },
    },
  },
  Problem: {
    type: 'object',
    description:
      'RFC 9457 problem details, sent as `application/problem+json`. Never contains a stack trace, SQL or a secret.',
    required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
    properties: {
      type: {
        type: 'string',
        format: 'uri-reference',
        description: 'Identifies the problem kind: `urn:order-service:problem:<code in kebab case>`.',
        example: 'urn:order-service:problem:validation-failed',
      },
      title: { type: 'string', description: 'Short, fixed summary of the problem kind', example: 'The request is not valid' },
      status: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status, repeated', example: 400 },
      detail: { type: 'string', description: 'What went wrong with this request, for humans' },
      code: {
        type: 'string',
        enum: Object.keys(STATUS_OF),
        description:
          'Stable, machine-readable error code. Statuses: ' +
          Object.entries(STATUS_OF)
            .map(([code, status]) => `${code} ${status}`)
            .join(', ') +
          '.',
      },
      instance: {
        type: 'string',
        description: 'The request path as the client sent it, without the query string: a malformed one (`/api/v1/products/%G1`) stays as it came, so it is not always a valid URI reference.',
        example: '/api/v1/auth/signup',
      },
      errors: {
        type: 'array',
        description: 'Present on VALIDATION_FAILED: one entry per offending field, at most the first 20.',
        minItems: 1,
        maxItems: 20,
        items: schemaRef('FieldError'),
      },
    },
  },

  // Popular products and sales statistics
  PopularProduct: {
    type: 'object',
    required: ['rank', 'product', 'soldQuantity', 'revenue'],
    properties: {
      rank: { type: 'integer', minimum: 1, description: '1 for the best seller', example: 1 },
      product: { allOf: [schemaRef('Product')], description: 'The product as `GET /api/v1/products/{productId}` showed it when the ranking was computed (`generatedAt`).' },
      soldQuantity: { type: 'integer', minimum: 1, description: 'Net units sold in the window: paid, minus refunded', example: 42 },
      revenue: { type: 'integer', format: 'int64', minimum: 0, description: 'Net gross revenue in won: unit price × units, before coupon discounts, minus refunded', example: 2478000 },
    },
  },
  PopularProducts: {
    type: 'object',
    required: ['days', 'generatedAt', 'items'],
    properties: {
      days: { type: 'integer', minimum: 1, maximum: 30, description: 'The window asked for', example: 3 },
      generatedAt: isoTime('When this ranking was computed (it may be served from the cache for up to `POPULAR_CACHE_TTL_SECONDS`, longer while it is being recomputed)'),
      items: { type: 'array', maxItems: 20, items: schemaRef('PopularProduct') },
    },
  },
  SalesStatistics: {
    type: 'object',
    required: ['items'],
    properties: {
      items: {
        type: 'array',
        description: 'One entry per group with net sales in the period, ordered by key (product ids and days ascending, categories by code point).',
        items: {
          type: 'object',
          required: ['key', 'soldQuantity', 'revenue', 'discountAmount'],
          properties: {
            key: {
              oneOf: [{ type: 'integer', format: 'int64', minimum: 1 }, { type: 'string' }],
              description: '`groupBy=product`: the product id (a number); `category`: the category; `day`: the UTC day, `YYYY-MM-DD`.',
              example: '2026-01-15',
            },
            soldQuantity: { type: 'integer', minimum: 1, description: 'Net units sold: paid, minus refunded', example: 7 },
            revenue: { type: 'integer', format: 'int64', minimum: 0, description: 'Net gross revenue in won (before coupon discounts)', example: 413000 },
            discountAmount: {
              type: 'integer',
              format: 'int64',
              minimum: 0,
              description: 'What coupons took off those sales (won), net of refunds; at most `revenue`. Revenue minus it is what the buyers paid for them.',
              example: 20000,
            },
          },
        },
      },
    },
  },

  // Operations
  Liveness: {
    type: 'object',
    required: ['status'],
    properties: { status: { type: 'string', enum: ['ok'] } },
  },
  DependencyState: {
    type: 'string',
    enum: ['up', 'down', 'off'],
    description: '`off` means the dependency is not configured (e.g. no REDIS_URL).',
  },
  Readiness: {
    type: 'object',
    required: ['status'],
    properties: {
      status: {
        type: 'string',
        enum: ['ok', 'degraded', 'stopping'],
        description: '`degraded` when the database or a configured Redis is down; `stopping` (with no `checks`) once the process has been told to stop.',
      },
      checks: {
        type: 'object',
        required: ['database', 'redis'],
        properties: { database: schemaRef('DependencyState'), redis: schemaRef('DependencyState') },
      },
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Reusable parameters, headers and answers

const parameters: JsonObject = {
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Makes the request safe to retry. Same key and same body: the first answer is replayed (with `Idempotent-Replayed: true`) and nothing is done twice. ' +
      'Same key, different body: 422 IDEMPOTENCY_KEY_REUSED. Same key while the first request still runs: 409 IDEMPOTENCY_IN_PROGRESS. ' +
      'Keys are scoped to the authenticated user (anonymous sign-ups all share one scope, where the fingerprint of the whole body, password included, tells requests apart) and kept 24 hours; a request that fails releases its key. The body field `requestId` means the same. ' +
      'Each key is kept a day, so new keys are limited: at most `RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE` (default 120; 0 switches it off) a minute per user, or per client address for anonymous callers, across all instances: more is 429 RATE_LIMITED with `Retry-After`, and the refused key is not kept. A replay is never refused nor counted; a request without a key is not counted.',
    schema: { type: 'string', minLength: 1, maxLength: 255 },
  },
};

const responseHeaders: JsonObject = {
  XRequestId: {
    description: 'The request id: the one sent in `X-Request-Id` when it is valid (1..128 of `[A-Za-z0-9_.:-]`), else a generated UUID. Logged with every line about the request.',
    schema: { type: 'string' },
  },
  IdempotentReplayed: {
    description: 'Present (`true`) when this answer is a replay of an earlier request with the same Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  Location: {
    description: 'Where the redirect leads.',
    schema: { type: 'string' },
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again.',
    schema: { type: 'integer', minimum: 1 },
  },
};

const responses: JsonObject = {
  ValidationFailed: problemResponse(
    'VALIDATION_FAILED: malformed JSON, a missing, mistyped (a fraction where a whole number belongs) or out-of-range field or parameter, an unknown body field, ' +
      'or anything under "Refused input" in the API description (NUL or unpaired surrogates in text, JSON too deep or too wide, a malformed percent-encoded path parameter, dates outside 1970..9999).',
    [
      {
        code: 'VALIDATION_FAILED',
        detail: 'The request is not valid',
        errors: [
          { field: 'email', message: "'email' must be a valid email" },
          { field: 'nickname', message: "'nickname' is not allowed" },
        ],
      },
      {
        code: 'VALIDATION_FAILED',
        example: 'NESTED_TOO_DEEPLY',
        detail: 'The request is not valid',
        errors: [{ field: 'body', message: 'is nested too deeply: at most 32 levels of objects and arrays' }],
      },
      {
        code: 'VALIDATION_FAILED',
        example: 'MALFORMED_PATH_PARAMETER',
        detail: 'The request is not valid',
        errors: [{ field: 'productId', message: 'is not valid percent-encoded UTF-8' }],
      },
    ],
  ),
  Unauthenticated: problemResponse(
    'UNAUTHENTICATED: no Bearer token, a bad signature, an expired token or one without `exp`, or a token ended since: its user\'s password, role or status changed, or the user is gone.',
    [
      { code: 'UNAUTHENTICATED', detail: 'A Bearer token is required', example: 'no token' },
      { code: 'UNAUTHENTICATED', detail: 'The token has been ended (password, role or status changed); log in again', example: 'ended token' },
    ],
  ),
  IdempotencyInProgress: problemResponse('IDEMPOTENCY_IN_PROGRESS: a request with the same Idempotency-Key is still running.', [
    { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
  ]),
  IdempotencyKeyReused: problemResponse('IDEMPOTENCY_KEY_REUSED: the Idempotency-Key was already used with a different body.', [
    { code: 'IDEMPOTENCY_KEY_REUSED', detail: 'This Idempotency-Key was already used for a different request' },
  ]),
  PayloadTooLarge: problemResponse('PAYLOAD_TOO_LARGE: the body is over 1 MB.', [{ code: 'PAYLOAD_TOO_LARGE', detail: 'The body is over 1mb' }]),
  UnsupportedMediaType: problemResponse('UNSUPPORTED_MEDIA_TYPE: a body that is not UTF-8 `application/json`.', [
    { code: 'UNSUPPORTED_MEDIA_TYPE', detail: 'The body must be application/json' },
  ]),
  Internal: problemResponse('INTERNAL: anything unexpected; logged with the request id.', [
    { code: 'INTERNAL', detail: 'An unexpected error occurred; it has been logged with the request id' },
  ]),
  Unavailable: problemResponse('UNAVAILABLE: the database is unreachable. (Redis being down only slows the service.)', [
    { code: 'UNAVAILABLE', detail: 'The database is not reachable; try again shortly' },
  ]),
};

// ---------------------------------------------------------------------------------------------

export const apiDescription = `E-commerce order service: accounts, pre-charged wallets, the catalog, discount coupons, orders, payments from the wallet and refunds.

**Conventions**
- JSON in and out (\`application/json\`, UTF-8), camelCase fields. Ids are positive integers.
- Money is integer KRW (won), never fractional. Times are ISO 8601 strings in UTC.
- Authentication: \`Authorization: Bearer <jwt>\` from \`POST /api/v1/auth/login\` (HS256, default lifetime 1 hour; a token without \`exp\` is refused). Public: sign-up, login, product list, detail and popular, health and docs, and metrics unless \`METRICS_TOKEN\` is set.
- Every authenticated request checks the token against its user as they are now: the user must exist, be ACTIVE and have the token version the token carries (\`ver\`). A change of the user's password, role or status (through the API, or SQL: the database moves the version on) ends every token issued before, at once on the instance that made the change and, as soon as Redis delivers the invalidation (milliseconds), on every other instance sharing Redis; within \`AUTH_CACHE_TTL_SECONDS\` (default 5) otherwise. Requests act with the user's current role.
- Paging: \`?page=1&size=20\` (page from 1, size 1..100) answers \`{items, page, size, totalItems, totalPages}\`; pages are stably ordered (ties broken by id).
- The product list and detail may be served from a short-lived cache; every change to the catalog invalidates it at once, so an answer is never older than the last acknowledged change.
- Every response carries \`X-Request-Id\`: the request's own when it sends a valid one, else a generated UUID.
- \`429\` answers carry \`Retry-After\` (seconds), and so do \`503\` answers of a service busy checking passwords.
- The client address, which the sign-up and login limits count, is the connection's; \`X-Forwarded-For\` is believed only from the proxies \`TRUST_PROXY\` names.
- CORS only for the origins \`CORS_ORIGINS\` lists (none by default): a preflight from one is answered 204 (methods GET, HEAD, POST, PUT, PATCH, DELETE; headers \`Authorization\`, \`Content-Type\`, \`Idempotency-Key\`, \`X-Request-Id\`), and every answer to it, errors included, names that origin in \`Access-Control-Allow-Origin\` and exposes \`X-Request-Id\`, \`Idempotent-Replayed\` and \`Retry-After\`. Any other origin gets no CORS header. No cookies: the token goes in \`Authorization\`.

**Order of checks**: route (unknown → 404, with or without a token) → authentication (401) → request shape (400) → permission (403) → existence (404) → business rules (409/422). A resource that is someone else's is 403; one that does not exist is 404; a non-ADMIN naming another user's id gets 403 whether or not it exists.

**Refused input** (400 VALIDATION_FAILED naming the field, after the route and authentication, before permission):
- Money, quantities, ids and paging are whole numbers: a fraction (\`1000.5\`), an integer beyond 2^53 − 1, or \`1e400\` is 400, never a business rule's 422.
- Date-times are RFC 3339 with a time zone on a real calendar day; days are real \`YYYY-MM-DD\` dates; both from 1970-01-01 to 9999-12-31 (UTC).
- No string or key in the body, query or path may hold the NUL character or an unpaired UTF-16 surrogate (\`"\\ud800"\`), e-mails included.
- JSON nests at most 32 levels of objects and arrays, with at most 1,000 entries in any one object or array (\`JSON_MAX_DEPTH\`, \`JSON_MAX_ENTRIES\`; 0 switches either off), checked before anything else reads the body.
- A path parameter with malformed percent-encoding (\`%FF\`) is 400 naming it; an unknown route with one is still 404.
- A request HTTP parsing refuses (a malformed header line, headers over 16 KB) is 400 too, as problem+json.
- \`errors\` lists at most the first 20 problems.

**Errors** are RFC 9457 problem details (\`application/problem+json\`) with a stable \`code\`; see the Problem schema for every code. Shape problems, including unknown body fields, are 400 VALIDATION_FAILED with \`errors: [{field, message}]\`. Bodies over 1 MB are 413 PAYLOAD_TOO_LARGE; a body that is not JSON is 415 UNSUPPORTED_MEDIA_TYPE.

**Orders and payments**
- An order is placed CREATED with the stock of every line reserved (all or nothing). Paying it from the wallet (\`POST /api/v1/payments/process\`) makes it CONFIRMED; a seller of its items (or an ADMIN) moves it PREPARING → SHIPPED → DELIVERED, one step at a time; the buyer confirms the purchase (COMPLETED). Unpaid, it may be cancelled (CANCELLED, stock released, coupon given back); paid but not shipped (CONFIRMED, PREPARING), it may be refunded (balance, stock and coupon given back; CANCELLED), or some units of some lines (\`items\`: those units credited and restocked, the order keeps its status until its last unit is refunded). A declined payment makes it FAILED, everything given back. See the OrderStatus schema for the whole state machine.
- A reservation holds for \`ORDER_RESERVATION_TTL_SECONDS\` (default 30) after the order is placed (\`reservationExpiresAt\`). After that the order can no longer be paid, and the sweeper cancels it (reason \`EXPIRED\`) and releases its stock within a few job intervals (\`JOB_INTERVAL_MS\`, default 1000), on any instance, exactly once.
- With an external payment gateway (\`PAYMENT_GATEWAY\`), a payment whose answer is lost is answered 202 and its order is PENDING. \`POST /api/v1/payments/confirm\` settles it on demand; otherwise recovery asks the gateway about payments pending for longer than \`PENDING_RECOVERY_AFTER_SECONDS\` (default 60) and completes the payment or gives everything back (balance, stock, coupon) and fails the order, nothing lost or doubled. While the gateway cannot tell, recovery asks again with backoff (\`PENDING_RECOVERY_BACKOFF_SECONDS\`, default 30, doubling, at most an hour) and after \`PENDING_RECOVERY_MAX_ATTEMPTS\` (default 10) hands the payment to an operator (\`GET /api/v1/admin/payments?state=OPERATOR_REQUIRED\`), the order still PENDING and the money still debited.
- An order with a physical product on it ships: \`shippingAddress\` is required when placing it (400 naming it otherwise); an order of digital products only may leave it out.
- Abuse limits: \`RATE_LIMIT_ORDERS_PER_SECOND\` (default 1) orders a second per user (429 RATE_LIMITED); \`MAX_UNPAID_ORDERS_PER_USER\` (default 5) live unpaid orders per user (429 RATE_LIMITED until one is paid, cancelled or expires); \`RATE_LIMIT_COUPON_ISSUES_PER_MINUTE\` (default 3) coupon issue requests a minute per user (429 RATE_LIMITED); \`FAILURE_BLOCK_THRESHOLD\` (default 5) consecutive failed payments (declined, or short of balance) block a user's payments for \`FAILURE_BLOCK_SECONDS\` (default 600; 429 TOO_MANY_FAILURES); \`RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP\` (default 10) sign-ups and \`RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP\` (default 30) login attempts a minute per client address (429 RATE_LIMITED); failed logins block a client address, not an account (see the login operation).

**Coupons**
- A SELLER or an ADMIN creates a coupon (PERCENTAGE or FIXED, optionally capped, with a minimum order amount, a total quantity or none, a per-user limit and a validity window) and may suspend, resume or cancel it. Its status (CREATED, ACTIVE, EXHAUSTED, EXPIRED, SUSPENDED, CANCELLED) is worked out from that, its window and its counters.
- Codes are unique in any case. \`GET /api/v1/coupons?code=\` finds a coupon by its code (in any case, any status) for anyone signed in; without \`code\` it lists an ADMIN every coupon, a SELLER the coupons they created, a BUYER those being issued now (ACTIVE), newest first, filtered by \`status\` (as shown now) and \`sellerId\`.
- Issuing is first come, first served (\`POST /api/v1/coupons/issue\`, \`/issue/limited\`, the coupon named by \`couponId\` or \`couponCode\`): for a limited coupon a Redis gate (when \`REDIS_URL\` is set) answers the crowd in one atomic step per claim, and the PostgreSQL guarded counter with each user's uniquely numbered copies is the safety net that decides for good, so never more than \`totalQuantity\` copies are issued nor more than \`perUserLimit\` to one user, even with Redis down or reset.
- A user coupon goes ISSUED → USED (its order paid) → REFUNDED (that order refunded: usable again, and USED again by a later paid order); an ISSUED or REFUNDED one still unused at its \`expiresAt\` (the coupon's \`validUntil\`) becomes EXPIRED.
- A SELLER's coupon covers that seller's products only (\`sellerId\`): its minimum, percentage and cap apply to their lines of an order, and no other seller's line is discounted; an ADMIN's coupon is shop-wide. Each order item shows its part of the discount (\`discountAmount\`).
- Applied to an order (\`userCouponId\`), it is bound to that unpaid order (its \`orderId\`, status unchanged) and applies to no other order while that one is CREATED or PENDING; cancelled, expired or failed, the order gives it back as it was.
- The expiry job (every \`JOB_INTERVAL_MS\`) turns coupons past \`validUntil\` EXPIRED, and user coupons past \`expiresAt\` that are not bound to an order.

**Idempotency**: state-changing POSTs and PUTs (and the coupon status PATCH), sign-up included, accept an \`Idempotency-Key\` header (1..255 characters; a body field \`requestId\` means the same). The same key with the same body replays the first answer with \`Idempotent-Replayed: true\` and does nothing twice; the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED; a duplicate while the first is still running is 409 IDEMPOTENCY_IN_PROGRESS. Keys are scoped to the user and kept 24 hours; a request that fails gives its key back so it can be retried. At most \`RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE\` (default 120) new keys a minute per user, or per client address for anonymous callers (429 RATE_LIMITED); replays are never refused. Anonymous sign-ups all share one scope, where the fingerprint covers the whole body (password included): only the identical request replays (201 with \`Idempotent-Replayed: true\`), any other body with the same key is 422 IDEMPOTENCY_KEY_REUSED. A password change leaves its passwords out of the fingerprint (no fast hash of a password is kept). Login takes no key.`;

export const tags = [
  { name: 'Auth', description: 'Sign-up and login (public)' },
  { name: 'Users', description: 'User accounts' },
  { name: 'Balances', description: 'Wallets and their ledger' },
  { name: 'Products', description: 'The catalog: products, their options and stock (browsing is public)' },
  { name: 'Coupons', description: "Discount coupons: creating, finding (by id or code) and listing them, managing them, first-come-first-served issue (by id or code), and a user's coupons" },
  { name: 'Orders', description: 'Placing orders, their stock reservation, cancellation, fulfilment and completion' },
  { name: 'Payments', description: 'Paying orders from the wallet through the payment gateway, and settling pending payments' },
  { name: 'Refunds', description: 'Refunding paid orders that have not shipped, wholly or some units of some lines, and reading a refund' },
  { name: 'Statistics', description: 'Sales statistics for sellers and admins' },
  { name: 'Operations', description: 'Health, metrics and documentation (public; metrics may ask for a token or live on a port of their own); the outbox and pending payments for operators (ADMIN)' },
];

export const securitySchemes: JsonObject = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token from POST /api/v1/auth/login.',
  },
  metricsToken: {
    type: 'http',
    scheme: 'bearer',
    description: 'The `METRICS_TOKEN` of the deployment, for GET /metrics when it is set.',
  },
};

export const components = { schemas, parameters, headers: responseHeaders, responses };
