/**
 * The OpenAPI 3.0.3 document served at GET /openapi.json and rendered at GET /docs.
 *
 * It describes the endpoints that exist; API.md is the contract it follows. Plain data, built
 * with a few helpers so that the repeated parts (problem answers, headers, paging) are written
 * once.
 */
import type { FieldProblem } from '../../domain/shared/errors.js';
import { problem, type ProblemCode } from './problem.js';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * Every code of API.md's error table with its status. A Record, so that a code the HTTP layer
 * can answer but this list forgets is a compile error.
 */
const ERROR_CODES: Record<ProblemCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  PAYMENT_DECLINED: 402,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  COUPON_CODE_TAKEN: 409,
  INSUFFICIENT_STOCK: 409,
  INSUFFICIENT_BALANCE: 409,
  COUPON_EXHAUSTED: 409,
  COUPON_ALREADY_ISSUED: 409,
  COUPON_NOT_ISSUABLE: 409,
  INVALID_STATE: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INVALID_CHARGE_AMOUNT: 422,
  BALANCE_LIMIT_EXCEEDED: 422,
  ORDER_LIMIT_EXCEEDED: 422,
  COUPON_NOT_APPLICABLE: 422,
  INVALID_PRICE: 422,
  PRODUCT_UNAVAILABLE: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  WRONG_PASSWORD: 422,
  RATE_LIMITED: 429,
  TOO_MANY_FAILURES: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

const PROBLEM_JSON = 'application/problem+json';

// ---------------------------------------------------------------------------------------------
// Helpers

function ref(section: 'schemas' | 'responses' | 'parameters' | 'headers', name: string): JsonObject {
  return { $ref: `#/components/${section}/${name}` };
}

const schemaRef = (name: string) => ref('schemas', name);

/** Header component name → the header's name on the wire. */
const HEADER_NAMES: Record<string, string> = {
  XRequestId: 'X-Request-Id',
  IdempotentReplayed: 'Idempotent-Replayed',
  RetryAfter: 'Retry-After',
};

/** Headers every answer carries, plus any extra ones by component name. */
function headers(...extra: string[]): JsonObject {
  const all: JsonObject = { 'X-Request-Id': ref('headers', 'XRequestId') };
  for (const name of extra) {
    all[HEADER_NAMES[name] ?? name] = ref('headers', name);
  }
  return all;
}

/** A JSON success answer. */
function jsonResponse(description: string, schema: JsonObject, extraHeaders: string[] = []): JsonObject {
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

interface ProblemCase {
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
function problemResponse(description: string, cases: ProblemCase[], extraHeaders: string[] = [], instance = '/api/v1/...'): JsonObject {
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

/** A JSON request body that is required. */
function jsonBody(schemaName: string, description?: string): JsonObject {
  return {
    required: true,
    ...(description ? { description } : {}),
    content: { 'application/json': { schema: schemaRef(schemaName) } },
  };
}

/** The error answers every /api/v1 endpoint may give whatever it does. */
const SERVER_ERRORS: JsonObject = {
  '500': ref('responses', 'Internal'),
  '503': ref('responses', 'Unavailable'),
};

/** The error answers of an endpoint that takes a JSON body. */
const BODY_ERRORS: JsonObject = {
  '400': ref('responses', 'ValidationFailed'),
  '413': ref('responses', 'PayloadTooLarge'),
  '415': ref('responses', 'UnsupportedMediaType'),
};

const BEARER: Json = [{ bearerAuth: [] }];
const PUBLIC: Json = [];

// ---------------------------------------------------------------------------------------------
// Schemas

const isoTime = (description: string): JsonObject => ({
  type: 'string',
  format: 'date-time',
  description: `${description} (ISO 8601, UTC)`,
  example: '2025-01-31T09:30:00.000Z',
});

/** A date-time the API takes: RFC 3339 with a zone, on a real calendar day, within the API's bounds. */
const inputDateTime = (description: string): JsonObject => ({
  type: 'string',
  format: 'date-time',
  description:
    `${description} An RFC 3339 date-time with a time zone (\`Z\` or \`±hh:mm\`), e.g. \`2026-01-01T09:00:00+09:00\`; answered in UTC. ` +
    'A date alone, a time without a zone, a day the calendar does not have (`2026-02-30`), seconds past 59, or an instant outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59.999Z is 400 naming the field.',
});

const positiveId = (description: string): JsonObject => ({
  type: 'integer',
  format: 'int64',
  minimum: 1,
  description,
  example: 42,
});

const userIdOrMe = (description: string): JsonObject => ({
  description,
  oneOf: [
    { type: 'integer', format: 'int64', minimum: 1 },
    { type: 'string', enum: ['me'] },
  ],
  example: 'me',
});

const CATALOG_CACHE_NOTE =
  'May be served from a short-lived cache (`CATALOG_CACHE_TTL_SECONDS`, default 30): every change to the catalog (a new product, an edit, a restock) invalidates the affected entries at once, on every instance, so an answer is never older than the last acknowledged change.';

const productPrice = (description: string): JsonObject => ({
  type: 'integer',
  format: 'int64',
  description,
  example: 39000,
});

const requestIdField: JsonObject = {
  type: 'string',
  minLength: 1,
  maxLength: 255,
  description:
    'Same meaning as the `Idempotency-Key` header (the header wins when both are given). Not part of the body fingerprint.',
};

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
      email: { type: 'string', format: 'email', example: 'buyer@example.com' },
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
      type: { type: 'string', enum: ['OrderCreated', 'PaymentCompleted', 'OrderCancelled', 'OrderFailed', 'RefundCompleted', 'CouponCreated', 'CouponIssued'] },
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
    type: 'object',
    description:
      'An event as the data platform receives it: `POST` to `DATA_PLATFORM_URL` with this JSON and the header `Idempotency-Key: <id>` (any 2xx counts as delivered; no answer within 5 s is a failure), ' +
      'or one line of `DATA_DIR/events.jsonl` when no URL is set. Delivery is at least once: deduplicate on `id`.',
    required: ['id', 'type', 'aggregateType', 'aggregateId', 'occurredAt', 'payload'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      type: { type: 'string', enum: ['OrderCreated', 'PaymentCompleted', 'OrderCancelled', 'OrderFailed', 'RefundCompleted', 'CouponCreated', 'CouponIssued'] },
      aggregateType: { type: 'string', enum: ['Order', 'Coupon'] },
      aggregateId: { type: 'integer', minimum: 1 },
      occurredAt: isoTime('When it happened'),
      payload: {
        type: 'object',
        description: 'The resource as this API shows it when the event happened: the order (Order events), the refund (RefundCompleted), the coupon (CouponCreated) or the user coupon (CouponIssued).',
      },
    },
  },
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
    required: ['id', 'sellerId', 'name', 'description', 'category', 'price', 'status', 'stockStatus', 'availableStock', 'options', 'createdAt'],
    properties: {
      id: positiveId('Product id'),
      sellerId: positiveId('The SELLER (or ADMIN) who listed it'),
      name: { type: 'string', minLength: 1, maxLength: 100, example: 'Canvas sneakers' },
      description: { type: 'string', maxLength: 5000, description: 'Empty when not given', example: 'Low-top, cotton canvas.' },
      category: { type: 'string', minLength: 1, maxLength: 50, example: 'shoes' },
      price: { ...productPrice('Integer KRW (won): positive and a multiple of 100'), minimum: 100, multipleOf: 100 },
      status: schemaRef('ProductStatus'),
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
      'CONFIRMED | PREPARING --refund--> CANCELLED          (balance refunded, stock restocked, coupon REFUNDED)\n' +
      '```\n' +
      '- `CREATED`: placed and unpaid; its stock is reserved until `reservationExpiresAt`.\n' +
      '- `PENDING`: the wallet was debited and an external gateway has the payment but its answer is unknown; settled by `POST /api/v1/payments/confirm` or by recovery.\n' +
      '- `CONFIRMED`: paid; the stock has left the shop.\n' +
      '- `PREPARING`, `SHIPPED`, `DELIVERED`: moved by a seller of its items (or an ADMIN), one step at a time.\n' +
      '- `COMPLETED`: the buyer confirmed the purchase. Final.\n' +
      '- `CANCELLED`: cancelled unpaid (by its buyer or an ADMIN, or by the sweeper when the reservation expired), or refunded after payment. Final.\n' +
      '- `FAILED`: the payment was declined or never approved; everything the order held was given back. Final.',
    example: 'CREATED',
  },
  OrderItem: {
    type: 'object',
    description: "One line of an order, with the product's name and price as they were when the order was placed.",
    required: ['productId', 'optionId', 'productName', 'optionName', 'unitPrice', 'quantity', 'amount', 'discountAmount'],
    properties: {
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
      'payment',
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
      payment: {
        allOf: [schemaRef('Payment')],
        nullable: true,
        description:
          'The latest payment attempt; null until there is one. A payment refused for want of balance is on record (FAILED) while the order stays CREATED and payable.',
      },
      createdAt: isoTime('When the order was placed'),
      updatedAt: isoTime('Last change of the order'),
    },
  },
  OrderPage: {
    description: 'A page of orders, newest first (ties broken by id, descending).',
    allOf: [
      schemaRef('Page'),
      { type: 'object', properties: { items: { type: 'array', items: schemaRef('Order') } } },
    ],
  },
  PaymentStatus: {
    type: 'string',
    enum: ['INITIATED', 'VALIDATING', 'LOCK_ACQUIRED', 'DEBITED', 'GATEWAY_REQUESTED', 'COMPLETED', 'FAILED'],
    description:
      'How far a payment got; steps only go forward, and a payment is recorded with the furthest step it reached so an operator can see where a failed or pending one stopped. ' +
      'Clients normally see only `GATEWAY_REQUESTED`, `COMPLETED` and `FAILED`.\n' +
      '- `INITIATED`: the attempt is recorded; nothing checked yet.\n' +
      '- `VALIDATING`: the order is being checked (CREATED, reservation still holding) and the wallet looked up.\n' +
      "- `LOCK_ACQUIRED`: the buyer's wallet is locked for the debit.\n" +
      '- `DEBITED`: the wallet was debited (ledger entry `PAYMENT`).\n' +
      '- `GATEWAY_REQUESTED`: the payment gateway was asked and its answer is not known yet (lost, or not given); the order is PENDING until the payment is settled by `POST /api/v1/payments/confirm` or by recovery (see `GET /api/v1/payments/{paymentId}/recovery`).\n' +
      '- `COMPLETED`: approved: the stock is confirmed and the order CONFIRMED. Final.\n' +
      '- `FAILED`: did not go through; `failureReason` says why and at which step. Whatever was debited was given back. Final.',
    example: 'COMPLETED',
  },
  Payment: {
    type: 'object',
    description: 'One attempt to pay an order from the buyer\'s wallet.',
    required: ['id', 'orderId', 'amount', 'status', 'failureReason', 'createdAt', 'updatedAt'],
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
        allOf: [schemaRef('RecoveryState')],
        nullable: true,
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
    description: 'The refund of a paid order: balance credited (ledger `REFUND`, not blocked by the balance cap), stock restocked, coupon usable again, order CANCELLED.',
    required: ['id', 'orderId', 'paymentId', 'amount', 'status', 'reason', 'createdAt'],
    properties: {
      id: positiveId('Refund id'),
      orderId: positiveId('The refunded order'),
      paymentId: positiveId('The completed payment it gives back'),
      amount: { type: 'integer', format: 'int64', minimum: 0, description: "The payment's amount (KRW), all of it", example: 78000 },
      status: schemaRef('RefundStatus'),
      reason: { type: 'string', nullable: true, description: 'As given; null when not given', example: 'Changed my mind' },
      createdAt: isoTime('When the refund was made'),
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
  UserCouponStatus: {
    type: 'string',
    enum: ['ISSUED', 'USED', 'EXPIRED', 'REFUNDED'],
    description:
      "Where a user's copy of a coupon stands: ISSUED → USED → REFUNDED (→ USED again ...), or EXPIRED.\n" +
      '- `ISSUED`: held and not used. Applying it to an order binds it to that unpaid order (`orderId` set, status unchanged); the order being cancelled, expiring or failing gives it back (`orderId` null).\n' +
      '- `USED`: the order it is bound to was paid (`usedAt`, `orderId` = that order). Applies to no other order.\n' +
      '- `REFUNDED`: the paid order that used it was refunded (`POST /api/v1/refunds`, or cancelling a CONFIRMED or PREPARING order): `usedAt` and `orderId` null again, and it applies to a new order like an ISSUED one.\n' +
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
        enum: Object.keys(ERROR_CODES),
        description:
          'Stable, machine-readable error code. Statuses: ' +
          Object.entries(ERROR_CODES)
            .map(([code, status]) => `${code} ${status}`)
            .join(', ') +
          '.',
      },
      instance: { type: 'string', format: 'uri-reference', description: 'The request path', example: '/api/v1/auth/signup' },
      errors: {
        type: 'array',
        description: 'Present on VALIDATION_FAILED: one entry per offending field, at most the first 20.',
        minItems: 1,
        maxItems: 20,
        items: schemaRef('FieldError'),
      },
    },
  },

  // Requests
  SignUpRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password', 'name'],
    properties: {
      email: {
        type: 'string',
        format: 'email',
        maxLength: 254,
        description: 'Unique, compared case-insensitively; surrounding spaces are trimmed.',
        example: 'buyer@example.com',
      },
      password: { type: 'string', format: 'password', minLength: 8, maxLength: 200, example: 'correct horse' },
      name: { type: 'string', minLength: 1, maxLength: 100, description: 'Trimmed', example: 'Kim Minji' },
      requestId: requestIdField,
    },
  },
  LoginRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['email', 'password'],
    properties: {
      email: { type: 'string', minLength: 1, maxLength: 254, description: 'Matched case-insensitively', example: 'buyer@example.com' },
      password: { type: 'string', format: 'password', minLength: 1, maxLength: 200, example: 'correct horse' },
    },
  },
  Token: {
    type: 'object',
    required: ['accessToken', 'tokenType', 'expiresIn'],
    properties: {
      accessToken: {
        type: 'string',
        description:
          'HS256 JWT: subject = user id, with `role`, `ver` (the user\'s token version) and `exp`. Send as `Authorization: Bearer <accessToken>`. ' +
          'It works while its user is ACTIVE and has that token version still: a change of the user\'s password, role or status ends it.',
      },
      tokenType: { type: 'string', enum: ['Bearer'] },
      expiresIn: { type: 'integer', minimum: 1, description: 'Lifetime of the token in seconds', example: 3600 },
    },
  },
  CreateUserRequest: {
    type: 'object',
    additionalProperties: false,
    description:
      '`businessNumber` is required when `role` is SELLER and `adminCode` when `role` is ADMIN; missing either is 400 VALIDATION_FAILED.',
    required: ['email', 'password', 'name', 'role'],
    properties: {
      email: { type: 'string', format: 'email', maxLength: 254, example: 'seller@example.com' },
      password: { type: 'string', format: 'password', minLength: 8, maxLength: 200 },
      name: { type: 'string', minLength: 1, maxLength: 100, example: 'Gangnam Shoes' },
      role: schemaRef('Role'),
      businessNumber: {
        type: 'string',
        pattern: '^\\d{3}-\\d{2}-\\d{5}$',
        description: 'NNN-NN-NNNNN; required for SELLER.',
        example: '123-45-67890',
      },
      adminCode: { type: 'string', minLength: 1, maxLength: 50, description: 'Required for ADMIN.' },
      introduction: { type: 'string', maxLength: 2000 },
      requestId: requestIdField,
    },
  },
  ChangePasswordRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['currentPassword', 'newPassword'],
    properties: {
      currentPassword: { type: 'string', format: 'password', minLength: 1, maxLength: 200, description: 'The password the user has now; a wrong one is 422 WRONG_PASSWORD' },
      newPassword: { type: 'string', format: 'password', minLength: 8, maxLength: 200, description: 'Must differ from `currentPassword` (else 400)' },
      requestId: requestIdField,
    },
  },
  ChangeUserAccessRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    description:
      '`role`, `status` or both (neither is 400). `businessNumber` goes with `role` SELLER and `adminCode` with `role` ADMIN: required with that role, refused otherwise (400). ' +
      'A new role drops the fields of the old one (a BUYER keeps no introduction).',
    properties: {
      role: schemaRef('Role'),
      businessNumber: { type: 'string', pattern: '^\\d{3}-\\d{2}-\\d{5}$', description: 'NNN-NN-NNNNN; with and only with `role` SELLER.', example: '123-45-67890' },
      adminCode: { type: 'string', minLength: 1, maxLength: 50, description: 'With and only with `role` ADMIN.' },
      status: schemaRef('UserStatus'),
    },
  },
  ChargeRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['amount'],
    properties: {
      userId: userIdOrMe('Whose wallet to charge: a user id or `me`. Defaults to the caller. Only the owner or an ADMIN may charge it.'),
      amount: {
        type: 'integer',
        format: 'int64',
        description:
          'Integer KRW (won). A non-integer (a fraction such as 1000.5, or beyond 2^53 − 1) is 400. Business rule, not shape: 1,000..100,000 and a multiple of 10 (else 422 INVALID_CHARGE_AMOUNT); the balance after the charge must not exceed 10,000,000 (else 422 BALANCE_LIMIT_EXCEEDED).',
        example: 10000,
      },
      requestId: requestIdField,
    },
  },
  NewProductOption: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'stock'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 50, description: 'Trimmed; the names of one product\'s options must differ (case-insensitively), else 400', example: '270 mm' },
      stock: { type: 'integer', minimum: 0, maximum: 1000000, description: 'Units on hand at creation; 0 is allowed', example: 12 },
    },
  },
  CreateProductRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'category', 'price', 'options'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100, description: 'Trimmed', example: 'Canvas sneakers' },
      description: { type: 'string', maxLength: 5000, description: 'May be empty; defaults to empty', example: 'Low-top, cotton canvas.' },
      category: { type: 'string', minLength: 1, maxLength: 50, description: 'Trimmed', example: 'shoes' },
      price: productPrice(
        'Integer KRW (won). Only the type is a shape rule (a non-integer is 400); not positive or not a multiple of 100 is 422 INVALID_PRICE.',
      ),
      options: { type: 'array', minItems: 1, maxItems: 100, items: schemaRef('NewProductOption') },
      requestId: requestIdField,
    },
  },
  UpdateProductRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    description: 'Any of the fields, at least one; the ones left out keep their value. Options and stock are not changed here (see restock).',
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100, description: 'Trimmed', example: 'Canvas sneakers' },
      description: { type: 'string', maxLength: 5000, description: 'May be empty' },
      category: { type: 'string', minLength: 1, maxLength: 50, description: 'Trimmed', example: 'shoes' },
      price: productPrice(
        'Integer KRW (won). A non-integer is 400; not positive or not a multiple of 100 is 422 INVALID_PRICE.',
      ),
      status: schemaRef('ProductStatus'),
    },
  },
  RestockRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['quantity'],
    properties: {
      quantity: { type: 'integer', minimum: 1, maximum: 1000000, description: 'Units added to the option\'s `totalStock`', example: 20 },
      requestId: requestIdField,
    },
  },
  NewOrderLine: {
    type: 'object',
    additionalProperties: false,
    required: ['productId', 'quantity'],
    properties: {
      productId: { ...positiveId('An ACTIVE product (unknown: 404; DISCONTINUED: 422 PRODUCT_UNAVAILABLE)'), maximum: Number.MAX_SAFE_INTEGER },
      optionId: {
        ...positiveId('One of its options (unknown or another product\'s: 404). May be left out when the product has exactly one option; left out for a product with several, 400.'),
        maximum: Number.MAX_SAFE_INTEGER,
      },
      quantity: {
        type: 'integer',
        minimum: 1,
        maximum: 1000000,
        description:
          'Units of the option. Only the type and 1..1,000,000 are shape rules (400); more than 10 of one option, or more than 30 over the whole order, is 422 ORDER_LIMIT_EXCEEDED.',
        example: 2,
      },
    },
  },
  PlaceOrderRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['items'],
    description: 'Two lines for the same option are 400.',
    properties: {
      items: { type: 'array', minItems: 1, maxItems: 100, items: schemaRef('NewOrderLine') },
      userCouponId: {
        ...positiveId(
          'A user coupon of the caller (ISSUED or REFUNDED) to apply; it is bound to the new order until the order is paid (USED) or ends unpaid (given back). ' +
            '422 COUPON_NOT_APPLICABLE, with nothing reserved, when it does not exist or is someone else\'s (the answer does not tell which), is USED or EXPIRED (or past its `expiresAt`), ' +
            'its coupon is SUSPENDED or CANCELLED or outside its window (before `validFrom`, from `validUntil` on), it is a SELLER\'s coupon and the order has none of that seller\'s lines, what it covers is below the coupon\'s `minOrderAmount`, or it is bound to another live unpaid order (CREATED or PENDING). ' +
            'What it covers: a SELLER\'s coupon that seller\'s lines only, an ADMIN\'s the whole order (the coupon\'s `sellerId`). Discount on that amount: PERCENTAGE floor(covered × discountValue / 100), capped at `maxDiscountAmount`; FIXED min(discountValue, covered) (also capped at `maxDiscountAmount` when set); never above what it covers (so `finalAmount` may be 0), split over the covered lines (each item\'s `discountAmount`).',
        ),
        maximum: Number.MAX_SAFE_INTEGER,
      },
      requestId: requestIdField,
    },
  },
  CancelOrderRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      reason: {
        type: 'string',
        minLength: 1,
        maxLength: 500,
        description: 'Kept as the order\'s `cancelReason` (and the refund\'s `reason`). Must not start or end with spaces (400).',
        example: 'Ordered the wrong size',
      },
      requestId: requestIdField,
    },
  },
  FulfilmentRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: {
      status: {
        type: 'string',
        enum: ['PREPARING', 'SHIPPED', 'DELIVERED'],
        description: 'The next step only: CONFIRMED → PREPARING → SHIPPED → DELIVERED. Any other move is 409 INVALID_STATE.',
        example: 'PREPARING',
      },
      requestId: requestIdField,
    },
  },
  CompleteOrderRequest: {
    type: 'object',
    additionalProperties: false,
    description: 'The body may be left out.',
    properties: { requestId: requestIdField },
  },
  PayRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId'],
    properties: {
      orderId: { ...positiveId('The order to pay: CREATED and its reservation still holding'), maximum: Number.MAX_SAFE_INTEGER },
      requestId: requestIdField,
    },
  },
  ConfirmPaymentRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['paymentId'],
    properties: {
      paymentId: { ...positiveId('The payment to settle'), maximum: Number.MAX_SAFE_INTEGER },
      requestId: requestIdField,
    },
  },
  RefundRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['orderId'],
    properties: {
      orderId: { ...positiveId('The order to refund: CONFIRMED or PREPARING, not refunded before'), maximum: Number.MAX_SAFE_INTEGER },
      reason: {
        type: 'string',
        minLength: 1,
        maxLength: 500,
        description: 'Kept as the refund\'s `reason` and the order\'s `cancelReason`. Must not start or end with spaces (400).',
        example: 'Changed my mind',
      },
      requestId: requestIdField,
    },
  },
  CreateCouponRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['code', 'name', 'type', 'discountValue', 'validFrom', 'validUntil'],
    description:
      'Every rule here is a shape rule: breaking one is 400 VALIDATION_FAILED naming the field (all broken ones together), except a code already taken, which is 409 COUPON_CODE_TAKEN.',
    properties: {
      code: {
        type: 'string',
        pattern: '^[A-Za-z0-9_-]{1,40}$',
        minLength: 1,
        maxLength: 40,
        description: '1..40 letters, digits, `_` and `-`. Kept as sent; unique among all coupons compared case-insensitively (`welcome-10` is taken once `WELCOME-10` exists): 409 COUPON_CODE_TAKEN.',
        example: 'WELCOME-10',
      },
      name: { type: 'string', minLength: 1, maxLength: 100, description: 'Not blank; trimmed', example: 'Welcome 10% off' },
      type: schemaRef('CouponType'),
      discountValue: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: 1000000000,
        description: 'PERCENTAGE: a whole percent, 1..100. FIXED: integer KRW (won), 1..1,000,000,000. Outside its type\'s range: 400 naming `discountValue`.',
        example: 10,
      },
      maxDiscountAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: Number.MAX_SAFE_INTEGER,
        nullable: true,
        default: null,
        description: 'The most the discount may be (KRW), for either type. Null or left out: no cap.',
        example: 5000,
      },
      minOrderAmount: {
        type: 'integer',
        format: 'int64',
        minimum: 0,
        maximum: Number.MAX_SAFE_INTEGER,
        default: 0,
        description: 'The least order total (before the discount, KRW) the coupon applies to. Left out: 0 (no minimum). Not nullable.',
        example: 10000,
      },
      totalQuantity: {
        type: 'integer',
        format: 'int64',
        minimum: 1,
        maximum: 1000000000,
        nullable: true,
        default: null,
        description: 'How many copies may be issued in all. Null or left out: unlimited (such a coupon cannot be issued through `/coupons/issue/limited`).',
        example: 100,
      },
      perUserLimit: { type: 'integer', minimum: 1, maximum: 100, default: 1, description: 'How many copies one user may hold', example: 1 },
      validFrom: {
        ...inputDateTime('Issuing starts; may be in the past.'),
        example: '2026-01-01T00:00:00.000Z',
      },
      validUntil: {
        ...inputDateTime('Issuing ends and issued copies expire. Must be after `validFrom` and in the future (else 400 naming `validUntil`).'),
        example: '2027-12-31T23:59:59.000Z',
      },
      requestId: requestIdField,
    },
  },
  ChangeCouponStatusRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['status'],
    properties: {
      status: {
        type: 'string',
        enum: ['SUSPENDED', 'ACTIVE', 'CANCELLED'],
        description:
          '`SUSPENDED`: stop issuing (and applying) it for now. `ACTIVE`: resume a SUSPENDED coupon; on one that is not suspended it changes nothing (200 with the coupon, its status worked out as usual). `CANCELLED`: stop it for good. ' +
          'A CANCELLED or EXPIRED coupon can no longer change: 409 INVALID_STATE, whatever is asked. Setting the status it already has changes nothing.',
        example: 'SUSPENDED',
      },
      requestId: requestIdField,
    },
  },
  IssueCouponRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['couponId'],
    properties: {
      couponId: { ...positiveId('The coupon to be issued a copy of (unknown: 404)'), maximum: Number.MAX_SAFE_INTEGER },
      requestId: requestIdField,
    },
  },

  // Popular products and sales statistics
  PopularProduct: {
    type: 'object',
    required: ['rank', 'product', 'soldQuantity', 'revenue'],
    properties: {
      rank: { type: 'integer', minimum: 1, description: '1 for the best seller', example: 1 },
      product: { ...schemaRef('Product'), description: 'The product as `GET /api/v1/products/{productId}` showed it when the ranking was computed (`generatedAt`).' } as JsonObject,
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
    example: '3f1c9a4e-5d7b-4a0e-9a51-7b2f0e6d8c11',
  },
  ProductId: {
    name: 'productId',
    in: 'path',
    required: true,
    description: 'A product id (a positive integer; anything else is 400).',
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
  OptionId: {
    name: 'optionId',
    in: 'path',
    required: true,
    description: 'An option id of that product (a positive integer; anything else is 400).',
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
  OrderId: {
    name: 'orderId',
    in: 'path',
    required: true,
    description: 'An order id (a positive integer; anything else is 400).',
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
  PaymentId: {
    name: 'paymentId',
    in: 'path',
    required: true,
    description: 'A payment id (a positive integer; anything else is 400).',
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
  CouponId: {
    name: 'couponId',
    in: 'path',
    required: true,
    description: 'A coupon id (a positive integer; anything else is 400).',
    schema: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
  UserId: {
    name: 'userId',
    in: 'path',
    required: true,
    description: 'A user id, or `me` for the caller.',
    schema: userIdOrMe('A user id or `me`'),
  },
  Page: {
    name: 'page',
    in: 'query',
    required: false,
    description: 'Page number, from 1.',
    schema: { type: 'integer', minimum: 1, maximum: 1000000, default: 1 },
  },
  Size: {
    name: 'size',
    in: 'query',
    required: false,
    description: 'Items per page.',
    schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
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
  Forbidden: problemResponse('FORBIDDEN: authenticated but not allowed (wrong role, or someone else\'s resource, whether or not it exists).', [
    { code: 'FORBIDDEN', detail: 'You may only act on your own resources' },
  ]),
  NotFound: problemResponse('NOT_FOUND: no such resource.', [{ code: 'NOT_FOUND', detail: 'User 999 does not exist' }]),
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
// Paths

/** The 503 of an endpoint that hashes or checks a password: the database, or the bound on hashing. */
const PASSWORD_ENDPOINT_UNAVAILABLE = problemResponse(
  'UNAVAILABLE: the database is unreachable; or the service is busy checking passwords (more sign-ups and logins waiting for a password hash than `PASSWORD_HASH_QUEUE`, at most `PASSWORD_HASH_CONCURRENCY` hashing at once per instance), answered at once with `Retry-After`.',
  [
    { code: 'UNAVAILABLE', detail: 'The database is not reachable; try again shortly', example: 'UNAVAILABLE (database)' },
    { code: 'UNAVAILABLE', detail: 'The service is busy checking passwords; try again in a moment', example: 'UNAVAILABLE (busy checking passwords)' },
  ],
  ['RetryAfter'],
);

const ORDER_NOT_FOUND = problemResponse('NOT_FOUND: no such order.', [{ code: 'NOT_FOUND', detail: 'Order 999 does not exist' }]);
const PAYMENT_NOT_FOUND = problemResponse('NOT_FOUND: no such payment.', [{ code: 'NOT_FOUND', detail: 'Payment 999 does not exist' }]);

const COUPON_NOT_FOUND = problemResponse('NOT_FOUND: no such coupon.', [{ code: 'NOT_FOUND', detail: 'Coupon 999 does not exist' }]);

/** POST /api/v1/coupons/issue and /issue/limited: one operation, but for the limited-only rule. */
function issueCouponOperation(limitedOnly: boolean): JsonObject {
  const notIssuable = limitedOnly
    ? 'COUPON_NOT_ISSUABLE when it has no `totalQuantity` (this endpoint is for limited coupons only; checked first), or is CREATED (before `validFrom`), SUSPENDED, CANCELLED or EXPIRED'
    : 'COUPON_NOT_ISSUABLE when it is CREATED (before `validFrom`), SUSPENDED, CANCELLED or EXPIRED';
  return {
    tags: ['Coupons'],
    operationId: limitedOnly ? 'issueLimitedCoupon' : 'issueCoupon',
    summary: limitedOnly ? 'Be issued a copy of a limited coupon, first come, first served' : 'Be issued a copy of a coupon, first come, first served',
    description:
      (limitedOnly
        ? 'The same as `POST /api/v1/coupons/issue`, for coupons with a `totalQuantity` only: a coupon without one (unlimited) is 409 COUPON_NOT_ISSUABLE. '
        : 'For coupons with or without a `totalQuantity` (`POST /api/v1/coupons/issue/limited` takes limited ones only). ') +
      "Any authenticated user, whatever the role, is issued one copy of an ACTIVE coupon: a user coupon, ISSUED, with `expiresAt` = the coupon's `validUntil`; the coupon's `issuedQuantity` counts one more. " +
      `Checked in this order after the shape: the rate limit (429); the coupon (404; 409 ${notIssuable}); the copies the user holds (409 COUPON_ALREADY_ISSUED when they hold \`perUserLimit\` of it; asked before whether any are left, so the holder of the last copy is told this, not COUPON_EXHAUSTED); the copies left (409 COUPON_EXHAUSTED). ` +
      'For a limited coupon a gate answers the crowd first: Redis when `REDIS_URL` is set (one atomic step per claim, shared by every instance), else a lock-free read of the database\'s counters. Only those it lets through reach the database, where a guarded counter (one more issued only while some are left and the coupon is being issued) and the unique numbering of each user\'s copies decide for good: ' +
      'never more than `totalQuantity` copies in all nor `perUserLimit` for one user, even when Redis is down (the gate then lets everyone through to the database) or has lost its counts (reloaded from the database). ' +
      'At most `RATE_LIMIT_COUPON_ISSUES_PER_MINUTE` (default 3; 0 switches it off) issue requests a minute per user, both issue endpoints together and across all instances, counting every attempt that gets past the shape check, refused ones (404, 409) included: more is 429 RATE_LIMITED with `Retry-After`. ' +
      'A `CouponIssued` event goes out with the copy (outbox). Idempotent with `Idempotency-Key` (or `requestId`): a replay answers the same user coupon (201, `Idempotent-Replayed: true`), not COUPON_ALREADY_ISSUED, and is neither limited nor counted.',
    parameters: [ref('parameters', 'IdempotencyKey')],
    requestBody: jsonBody('IssueCouponRequest'),
    responses: {
      '201': jsonResponse('The new user coupon, ISSUED', schemaRef('UserCoupon'), ['IdempotentReplayed']),
      ...BODY_ERRORS,
      '401': ref('responses', 'Unauthenticated'),
      '404': COUPON_NOT_FOUND,
      '409': problemResponse(
        `COUPON_EXHAUSTED: no copies left (first come, first served lost); COUPON_ALREADY_ISSUED: the user already holds \`perUserLimit\` of it; ${notIssuable}; or IDEMPOTENCY_IN_PROGRESS.`,
        [
          { code: 'COUPON_EXHAUSTED', detail: 'Coupon 7 has no copies left' },
          { code: 'COUPON_ALREADY_ISSUED', detail: 'You already hold this coupon' },
          limitedOnly
            ? { code: 'COUPON_NOT_ISSUABLE', detail: 'Coupon 7 has no limited quantity' }
            : { code: 'COUPON_NOT_ISSUABLE', detail: 'Coupon 7 is SUSPENDED, not being issued' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ],
      ),
      '422': ref('responses', 'IdempotencyKeyReused'),
      '429': problemResponse(
        'RATE_LIMITED: over `RATE_LIMIT_COUPON_ISSUES_PER_MINUTE` issue requests a minute for this user.',
        [{ code: 'RATE_LIMITED', detail: 'Too many coupon requests; wait a moment' }],
        ['RetryAfter'],
      ),
      ...SERVER_ERRORS,
    },
  };
}

const paths: JsonObject = {
  '/api/v1/auth/signup': {
    post: {
      tags: ['Auth'],
      operationId: 'signUp',
      summary: 'Sign up as a BUYER',
      description:
        'Public. Creates a BUYER account (and its empty wallet). Idempotent with `Idempotency-Key` (or `requestId`): anonymous callers all share one key scope, and the fingerprint covers the whole body, password included, ' +
        'so only the identical request replays the first answer (201 with `Idempotent-Replayed: true`); the same key with any other body is 422 IDEMPOTENCY_KEY_REUSED, and 409 IDEMPOTENCY_IN_PROGRESS while the first still runs. ' +
        'Without a key, a repeat answers 409 EMAIL_TAKEN. ' +
        'At most `RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP` (default 10; 0 switches it off) sign-ups a minute per client address, across all instances: more is 429 RATE_LIMITED with `Retry-After`; a replay is answered from the first answer and neither limited nor counted. ' +
        'The client address is the connection\'s; `X-Forwarded-For` counts only from the proxies `TRUST_PROXY` names.',
      security: PUBLIC,
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('SignUpRequest'),
      responses: {
        '201': jsonResponse('The new user (role BUYER)', schemaRef('User'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '409': problemResponse('EMAIL_TAKEN: the e-mail is already registered (case-insensitively); or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'EMAIL_TAKEN', detail: 'The e-mail buyer@example.com is already registered' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        '429': problemResponse(
          'RATE_LIMITED: over `RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP` sign-ups a minute from this client address.',
          [{ code: 'RATE_LIMITED', detail: 'Too many sign-ups from this address; wait a moment' }],
          ['RetryAfter'],
        ),
        ...SERVER_ERRORS,
        '503': PASSWORD_ENDPOINT_UNAVAILABLE,
      },
    },
  },
  '/api/v1/auth/login': {
    post: {
      tags: ['Auth'],
      operationId: 'logIn',
      summary: 'Log in and get a Bearer token',
      description:
        'Public. The e-mail is matched case-insensitively. Failed logins count per client address, never per account alone, so nobody can lock an account\'s owner out: ' +
        'after `FAILURE_BLOCK_THRESHOLD` (default 5) consecutive failed logins to an account from one client address, that address\'s logins to that account are blocked for `FAILURE_BLOCK_SECONDS` (default 600), a success from it resetting the count; ' +
        'after `LOGIN_FAILURES_PER_ADDRESS` (default 20) failed logins from one client address on any accounts, every login from that address is blocked for `FAILURE_BLOCK_SECONDS`, and no success resets that count or lifts that block (429 TOO_MANY_FAILURES with `Retry-After`). A count is forgotten `FAILURE_BLOCK_SECONDS` after its last failure. ' +
        'At most `RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP` (default 30; 0 switches it off) attempts a minute per client address, across all instances: more is 429 RATE_LIMITED with `Retry-After`. ' +
        'The client address is the connection\'s; `X-Forwarded-For` counts only from the proxies `TRUST_PROXY` names. A SUSPENDED account is 403 FORBIDDEN, told only to whoever gives its right password.',
      security: PUBLIC,
      requestBody: jsonBody('LoginRequest'),
      responses: {
        '200': jsonResponse('An access token', schemaRef('Token')),
        ...BODY_ERRORS,
        '401': problemResponse('UNAUTHENTICATED: wrong e-mail or password.', [
          { code: 'UNAUTHENTICATED', detail: 'Wrong e-mail or password' },
        ]),
        '403': problemResponse('FORBIDDEN: the right password, but an ADMIN suspended the account.', [
          { code: 'FORBIDDEN', detail: 'This account is suspended' },
        ]),
        '429': problemResponse(
          'TOO_MANY_FAILURES: this client address is blocked after repeated failed logins, to this account or to any; RATE_LIMITED: over `RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP` attempts a minute from this client address.',
          [
            { code: 'TOO_MANY_FAILURES', detail: 'Too many failed logins for this account from this address; try again later', example: 'TOO_MANY_FAILURES (this account)' },
            { code: 'TOO_MANY_FAILURES', detail: 'Too many failed logins from this address; try again later', example: 'TOO_MANY_FAILURES (any account)' },
            { code: 'RATE_LIMITED', detail: 'Too many logins from this address; wait a moment' },
          ],
          ['RetryAfter'],
        ),
        ...SERVER_ERRORS,
        '503': PASSWORD_ENDPOINT_UNAVAILABLE,
      },
    },
  },
  '/api/v1/users/me': {
    get: {
      tags: ['Users'],
      operationId: 'getMe',
      summary: 'The authenticated user',
      responses: {
        '200': jsonResponse('The caller', schemaRef('User')),
        '401': ref('responses', 'Unauthenticated'),
        '404': ref('responses', 'NotFound'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/users': {
    post: {
      tags: ['Users'],
      operationId: 'createUser',
      summary: 'Create a user of any role (ADMIN only)',
      description: 'ADMIN only: the way SELLER and ADMIN accounts are opened. Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('CreateUserRequest'),
      responses: {
        '201': jsonResponse('The new user', schemaRef('User'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse('FORBIDDEN: the caller is not an ADMIN.', [{ code: 'FORBIDDEN', detail: 'This requires the role ADMIN' }]),
        '409': problemResponse('EMAIL_TAKEN, or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'EMAIL_TAKEN', detail: 'The e-mail seller@example.com is already registered' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
        '503': PASSWORD_ENDPOINT_UNAVAILABLE,
      },
    },
  },
  '/api/v1/users/me/password': {
    put: {
      tags: ['Users'],
      operationId: 'changeMyPassword',
      summary: 'Change your own password',
      description:
        'The caller gives the current password and a new one. The new password ends every token the user holds (their token version moves on), on every instance; the answer carries a fresh token for the new version. ' +
        'A wrong current password is 422 WRONG_PASSWORD (not 401: the token is still good) and counts towards a block: after `FAILURE_BLOCK_THRESHOLD` (default 5) wrong ones in a row, password changes are refused for `FAILURE_BLOCK_SECONDS` (default 600; 429 TOO_MANY_FAILURES). ' +
        'The current password is checked and the new one hashed before any transaction opens; a change of the user meanwhile (another password change, a new role or status) is 409 INVALID_STATE. ' +
        'Idempotent with `Idempotency-Key` (or `requestId`): a replay answers the same token with `Idempotent-Replayed: true`, and must be sent with a token that still works (the fresh one). ' +
        'The passwords are left out of the key\'s fingerprint, so no fast hash of a password is stored: the same key with other passwords replays the first answer.',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('ChangePasswordRequest'),
      responses: {
        '200': jsonResponse('A fresh token; every other token of the user is ended', schemaRef('Token'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '409': problemResponse('INVALID_STATE: the user changed meanwhile; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'User 7 was changed meanwhile; load it again' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': problemResponse('WRONG_PASSWORD: `currentPassword` is not the user\'s; or IDEMPOTENCY_KEY_REUSED.', [
          { code: 'WRONG_PASSWORD', detail: 'The current password is not right' },
          { code: 'IDEMPOTENCY_KEY_REUSED', detail: 'This Idempotency-Key was already used for a different request' },
        ]),
        '429': problemResponse(
          'TOO_MANY_FAILURES: blocked after repeated wrong current passwords.',
          [{ code: 'TOO_MANY_FAILURES', detail: 'Too many wrong current passwords; try again later' }],
          ['RetryAfter'],
        ),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/users/{userId}': {
    patch: {
      tags: ['Users'],
      operationId: 'changeUserAccess',
      summary: "Change another user's role and/or status (ADMIN only)",
      description:
        'ADMIN only, and never on themselves (403, `me` included): the acting ADMIN always stays one. A new role needs its field (`businessNumber` for SELLER, `adminCode` for ADMIN); a SUSPENDED user cannot log in and their tokens stop working; ACTIVE lets them log in again. ' +
        "A real change (role, status) moves the user's token version on and so ends every token they hold, on every instance: a demoted ADMIN's old token can no longer act as ADMIN. Setting what the user already has changes nothing.",
      parameters: [ref('parameters', 'UserId')],
      requestBody: jsonBody('ChangeUserAccessRequest'),
      responses: {
        '200': jsonResponse('The user as changed', schemaRef('User')),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse('FORBIDDEN: the caller is not an ADMIN, or names themselves.', [
          { code: 'FORBIDDEN', detail: 'This requires the role ADMIN', example: 'not an ADMIN' },
          { code: 'FORBIDDEN', detail: 'An ADMIN cannot change their own role or status; another ADMIN can', example: 'themselves' },
        ]),
        '404': ref('responses', 'NotFound'),
        '409': problemResponse('INVALID_STATE: the user changed meanwhile (try again).', [
          { code: 'INVALID_STATE', detail: 'User 7 was changed meanwhile; load it again' },
        ]),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/balances/charge': {
    post: {
      tags: ['Balances'],
      operationId: 'chargeBalance',
      summary: 'Charge a wallet',
      description:
        'The owner or an ADMIN adds money to a wallet; one CHARGE ledger entry is written. Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('ChargeRequest'),
      responses: {
        '200': jsonResponse('The wallet after the charge', schemaRef('Balance'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        '404': ref('responses', 'NotFound'),
        '409': ref('responses', 'IdempotencyInProgress'),
        '422': problemResponse('INVALID_CHARGE_AMOUNT, BALANCE_LIMIT_EXCEEDED or IDEMPOTENCY_KEY_REUSED.', [
          { code: 'INVALID_CHARGE_AMOUNT', detail: 'A charge must be between 1000 and 100000 won' },
          { code: 'BALANCE_LIMIT_EXCEEDED', detail: 'This charge would take the balance to 10005000 won, over the limit of 10000000' },
          { code: 'IDEMPOTENCY_KEY_REUSED', detail: 'This Idempotency-Key was already used for a different request' },
        ]),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/balances/{userId}': {
    get: {
      tags: ['Balances'],
      operationId: 'getBalance',
      summary: "A user's balance",
      description: 'The owner or an ADMIN. A non-ADMIN naming another user is 403 whether or not that user exists.',
      parameters: [ref('parameters', 'UserId')],
      responses: {
        '200': jsonResponse('The wallet', schemaRef('Balance')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        '404': ref('responses', 'NotFound'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/balances/{userId}/history': {
    get: {
      tags: ['Balances'],
      operationId: 'getBalanceHistory',
      summary: "A user's ledger, newest first",
      description: 'The owner or an ADMIN. Unknown query parameters are 400.',
      parameters: [ref('parameters', 'UserId'), ref('parameters', 'Page'), ref('parameters', 'Size')],
      responses: {
        '200': jsonResponse('A page of ledger entries, newest first', schemaRef('LedgerEntryPage')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        '404': ref('responses', 'NotFound'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/products': {
    get: {
      tags: ['Products'],
      operationId: 'listProducts',
      summary: 'Browse the catalog',
      description:
        'Public. Products of every status unless `status` is given. Ordered by `sort`, ties broken by id, so paging through a list that does not change never repeats or skips a product. ' +
        `Unknown query parameters are 400. ${CATALOG_CACHE_NOTE}`,
      security: PUBLIC,
      parameters: [
        ref('parameters', 'Page'),
        ref('parameters', 'Size'),
        {
          name: 'sort',
          in: 'query',
          required: false,
          description: '`newest`: newest first (then by id, descending); `price_asc`: cheapest first (then by id); `price_desc`: dearest first (then by id, descending).',
          schema: { type: 'string', enum: ['newest', 'price_asc', 'price_desc'], default: 'newest' },
        },
        {
          name: 'category',
          in: 'query',
          required: false,
          description: 'Only this category (trimmed, exact match).',
          schema: { type: 'string', minLength: 1, maxLength: 50 },
          example: 'shoes',
        },
        {
          name: 'q',
          in: 'query',
          required: false,
          description: 'Only products whose name contains this text, case-insensitively (trimmed; `%` and `_` match themselves).',
          schema: { type: 'string', minLength: 1, maxLength: 100 },
          example: 'sneak',
        },
        {
          name: 'status',
          in: 'query',
          required: false,
          description: 'Only products of this status.',
          schema: schemaRef('ProductStatus'),
        },
      ],
      responses: {
        '200': jsonResponse('A page of products', schemaRef('ProductPage')),
        '400': ref('responses', 'ValidationFailed'),
        ...SERVER_ERRORS,
      },
    },
    post: {
      tags: ['Products'],
      operationId: 'createProduct',
      summary: 'List a product for sale (SELLER or ADMIN)',
      description:
        'SELLER or ADMIN; the caller becomes its seller. The product starts ACTIVE with the given options and stock. Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('CreateProductRequest'),
      responses: {
        '201': jsonResponse('The new product', schemaRef('Product'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse('FORBIDDEN: the caller is a BUYER.', [{ code: 'FORBIDDEN', detail: 'This requires the role SELLER or ADMIN' }]),
        '409': ref('responses', 'IdempotencyInProgress'),
        '422': problemResponse('INVALID_PRICE (price not positive or not a multiple of 100), or IDEMPOTENCY_KEY_REUSED.', [
          { code: 'INVALID_PRICE', detail: 'A price must be a multiple of 100 won, got 39050' },
          { code: 'IDEMPOTENCY_KEY_REUSED', detail: 'This Idempotency-Key was already used for a different request' },
        ]),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/products/popular': {
    get: {
      tags: ['Products'],
      operationId: 'popularProducts',
      summary: 'Best sellers of the last days',
      description:
        'Public. The top `limit` products by net units sold over the last `days` days (a rolling window by UTC day: today and the `days - 1` days before it), counting paid orders and subtracting refunds ' +
        '(a refund is taken back from the day of the sale it undoes). Ties are broken by revenue (descending), then product id (ascending); a product whose net units are 0 is not listed. ' +
        'Read from a per-product, per-day sales aggregate that payments and refunds keep up to date in their own transactions, never from the orders. ' +
        'Cached per (`days`, `limit`) for `POPULAR_CACHE_TTL_SECONDS` (default 60; 0: no cache), shared by all instances with Redis: when the answer expires, one caller recomputes it while everyone else is served the previous answer, so `generatedAt` may be somewhat older than the TTL. ' +
        'Unknown query parameters are 400.',
      security: PUBLIC,
      parameters: [
        {
          name: 'days',
          in: 'query',
          required: false,
          description: 'How many days back, today included (1..30).',
          schema: { type: 'integer', minimum: 1, maximum: 30, default: 3 },
        },
        {
          name: 'limit',
          in: 'query',
          required: false,
          description: 'How many products at most (1..20).',
          schema: { type: 'integer', minimum: 1, maximum: 20, default: 5 },
        },
      ],
      responses: {
        '200': jsonResponse('The ranking', schemaRef('PopularProducts')),
        '400': ref('responses', 'ValidationFailed'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/products/{productId}': {
    get: {
      tags: ['Products'],
      operationId: 'getProduct',
      summary: 'One product',
      description: `Public. ${CATALOG_CACHE_NOTE}`,
      security: PUBLIC,
      parameters: [ref('parameters', 'ProductId')],
      responses: {
        '200': jsonResponse('The product', schemaRef('Product')),
        '400': ref('responses', 'ValidationFailed'),
        '404': problemResponse('NOT_FOUND: no such product.', [{ code: 'NOT_FOUND', detail: 'Product 999 does not exist' }]),
        ...SERVER_ERRORS,
      },
    },
    patch: {
      tags: ['Products'],
      operationId: 'updateProduct',
      summary: "Change a product's details or status",
      description:
        'Its seller or an ADMIN. Changes any of name, description, category, price and status (DISCONTINUED stops sales; ACTIVE resumes them). Takes no Idempotency-Key: applying the same change again gives the same product.',
      parameters: [ref('parameters', 'ProductId')],
      requestBody: jsonBody('UpdateProductRequest'),
      responses: {
        '200': jsonResponse('The product after the change', schemaRef('Product')),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the caller is a BUYER, or a SELLER and the product is another seller's.", [
          { code: 'FORBIDDEN', detail: 'Only the product’s seller or an ADMIN may change it' },
        ]),
        '404': problemResponse('NOT_FOUND: no such product.', [{ code: 'NOT_FOUND', detail: 'Product 999 does not exist' }]),
        '422': problemResponse('INVALID_PRICE: price not positive or not a multiple of 100.', [
          { code: 'INVALID_PRICE', detail: 'A price must be a positive whole number of won, got 0' },
        ]),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/products/{productId}/options/{optionId}/restock': {
    post: {
      tags: ['Products'],
      operationId: 'restockOption',
      summary: "Add units to an option's stock",
      description:
        "Its seller or an ADMIN. Adds `quantity` to the option's `totalStock` (in one guarded statement, safe alongside concurrent orders). Idempotent with `Idempotency-Key` (or `requestId`): a replay adds nothing.",
      parameters: [ref('parameters', 'ProductId'), ref('parameters', 'OptionId'), ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('RestockRequest'),
      responses: {
        '200': jsonResponse('The whole product after the restock', schemaRef('Product'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the caller is a BUYER, or a SELLER and the product is another seller's.", [
          { code: 'FORBIDDEN', detail: 'Only the product’s seller or an ADMIN may change it' },
        ]),
        '404': problemResponse('NOT_FOUND: no such product, or the option is not one of its options.', [
          { code: 'NOT_FOUND', detail: 'Option 999 does not exist' },
        ]),
        '409': ref('responses', 'IdempotencyInProgress'),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/coupons': {
    post: {
      tags: ['Coupons'],
      operationId: 'createCoupon',
      summary: 'Create a coupon (SELLER or ADMIN)',
      description:
        'SELLER or ADMIN (a BUYER is 403, after the shape check); the caller becomes its `createdBy`. A SELLER\'s coupon covers their own products only (`sellerId` = the seller); an ADMIN\'s is shop-wide (`sellerId` null). Left out: `maxDiscountAmount` null (no cap), `minOrderAmount` 0, `totalQuantity` null (unlimited), `perUserLimit` 1. ' +
        'It starts with `issuedQuantity` 0 and its status worked out from its window: CREATED while `validFrom` is in the future, else ACTIVE. Every broken rule of the body is 400 VALIDATION_FAILED naming the field (see CreateCouponRequest); a code already taken, compared case-insensitively, is 409 COUPON_CODE_TAKEN. ' +
        'A `CouponCreated` event goes out with it (outbox). Idempotent with `Idempotency-Key` (or `requestId`): a replay answers the same coupon (201, `Idempotent-Replayed: true`), not COUPON_CODE_TAKEN.',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('CreateCouponRequest'),
      responses: {
        '201': jsonResponse('The new coupon', schemaRef('Coupon'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '400': problemResponse(
          'VALIDATION_FAILED: malformed JSON, a missing, mistyped or out-of-range field, an unknown field, or `validUntil` not after `validFrom` or not in the future. `errors` names each field.',
          [
            {
              code: 'VALIDATION_FAILED',
              detail: 'The request is not valid',
              errors: [
                { field: 'code', message: "'code' must be 1 to 40 letters, digits, '_' or '-'" },
                { field: 'discountValue', message: "'discountValue' must be less than or equal to 100" },
              ],
            },
            {
              code: 'VALIDATION_FAILED',
              example: 'VALIDATION_FAILED_validUntil',
              detail: 'validUntil: must be in the future',
              errors: [{ field: 'validUntil', message: 'must be in the future' }],
            },
          ],
        ),
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse('FORBIDDEN: the caller is a BUYER.', [{ code: 'FORBIDDEN', detail: 'This requires the role SELLER or ADMIN' }]),
        '409': problemResponse('COUPON_CODE_TAKEN: a coupon with this code exists (compared case-insensitively; nothing is created); or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'COUPON_CODE_TAKEN', detail: 'The coupon code WELCOME-10 is already taken' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/coupons/{couponId}': {
    get: {
      tags: ['Coupons'],
      operationId: 'getCoupon',
      summary: 'One coupon',
      description: 'Anyone with a token, whatever the role. `status` is worked out at the time of the request (see CouponStatus).',
      parameters: [ref('parameters', 'CouponId')],
      responses: {
        '200': jsonResponse('The coupon', schemaRef('Coupon')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '404': COUPON_NOT_FOUND,
        ...SERVER_ERRORS,
      },
    },
    patch: {
      tags: ['Coupons'],
      operationId: 'changeCouponStatus',
      summary: 'Suspend, resume or cancel a coupon (its creator or an ADMIN)',
      description:
        'Its creator or an ADMIN. A BUYER is 403 before the coupon is looked up (so even for an unknown id); a SELLER is 404 for an unknown coupon and 403 for another seller\'s. ' +
        '`SUSPENDED` stops it for now and `CANCELLED` for good: while it is either, issuing is 409 COUPON_NOT_ISSUABLE and its copies apply to no new order (422 COUPON_NOT_APPLICABLE); orders already placed with it are not touched. ' +
        '`ACTIVE` resumes a SUSPENDED coupon, whose status is then worked out again (CREATED, ACTIVE, EXHAUSTED or EXPIRED); on a coupon that is not suspended it changes nothing and answers 200 with the coupon. Setting the status it already has changes nothing. ' +
        'A CANCELLED or EXPIRED coupon can no longer change: 409 INVALID_STATE whatever is asked. SUSPENDED and CANCELLED may be set from any other status. ' +
        'Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'CouponId'), ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('ChangeCouponStatusRequest'),
      responses: {
        '200': jsonResponse('The coupon after the change', schemaRef('Coupon'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the caller is a BUYER, or a SELLER and the coupon is another seller's.", [
          { code: 'FORBIDDEN', detail: 'This requires the role SELLER or ADMIN' },
          { code: 'FORBIDDEN', example: 'FORBIDDEN_not_creator', detail: 'Only the coupon’s creator or an ADMIN may change it' },
        ]),
        '404': COUPON_NOT_FOUND,
        '409': problemResponse('INVALID_STATE: the coupon is CANCELLED or EXPIRED; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Coupon 7 is CANCELLED: it can no longer change' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/coupons/issue': {
    post: issueCouponOperation(false),
  },
  '/api/v1/coupons/issue/limited': {
    post: issueCouponOperation(true),
  },
  '/api/v1/coupons/user/{userId}': {
    get: {
      tags: ['Coupons'],
      operationId: 'listUserCoupons',
      summary: "A user's coupons, newest first",
      description:
        'The owner (`me`, or their own id) or an ADMIN. A BUYER or SELLER naming another user is 403 whether or not that user exists; an ADMIN naming an unknown user is 404. ' +
        "All of the user's coupons (not paged), newest first, or only those of one `status`. Unknown query parameters are 400.",
      parameters: [
        ref('parameters', 'UserId'),
        {
          name: 'status',
          in: 'query',
          required: false,
          description: 'Only user coupons of this status (anything else is 400).',
          schema: schemaRef('UserCouponStatus'),
        },
      ],
      responses: {
        '200': jsonResponse("The user's coupons", schemaRef('UserCouponList')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        '404': ref('responses', 'NotFound'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/stats/sales': {
    get: {
      tags: ['Statistics'],
      operationId: 'salesStatistics',
      summary: 'Sales by product, category or day (SELLER: own products; ADMIN: all)',
      description:
        'A SELLER sees the sales of their own products only; an ADMIN sees everyone\'s; a BUYER is 403 (after the shape of the request is checked). ' +
        'Net units, gross revenue (before coupon discounts) and the coupon discounts on them (`discountAmount`) of the payments completed in the period, by the UTC day they completed, minus refunds of those sales. ' +
        'A coupon discounts only the lines it covers (a SELLER\'s coupon, that seller\'s), so a seller\'s `discountAmount` is what their own coupons (and ADMIN shop-wide ones) took off their products, and another seller\'s coupon never touches their figures. ' +
        'Read from the per-product, per-day sales aggregate. A category is the product\'s current one. Unknown query parameters are 400.',
      parameters: [
        {
          name: 'from',
          in: 'query',
          required: true,
          description: 'First day, `YYYY-MM-DD` (UTC), counted: a real calendar date from 1970-01-01 to 9999-12-31, else 400 naming `from`.',
          schema: { type: 'string', format: 'date' },
          example: '2026-01-01',
        },
        {
          name: 'to',
          in: 'query',
          required: true,
          description: 'Last day, `YYYY-MM-DD` (UTC), counted: a real calendar date from 1970-01-01 to 9999-12-31, not before `from`, and at most 366 days from it (both counted), else 400 naming `to`.',
          schema: { type: 'string', format: 'date' },
          example: '2026-01-31',
        },
        {
          name: 'groupBy',
          in: 'query',
          required: true,
          description: 'How to group: `product`, `category` or `day`.',
          schema: { type: 'string', enum: ['product', 'category', 'day'] },
        },
      ],
      responses: {
        '200': jsonResponse('Sales per group', schemaRef('SalesStatistics')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse('FORBIDDEN: the caller is a BUYER.', [
          { code: 'FORBIDDEN', detail: 'Sales statistics are for SELLERs (their own products) and ADMINs' },
        ]),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/orders': {
    post: {
      tags: ['Orders'],
      operationId: 'placeOrder',
      summary: 'Place an order',
      description:
        'Any authenticated user; the caller is the buyer. In one transaction: the lines are checked, the stock of every line is reserved (all or nothing), the coupon is checked and bound, the amounts are worked out and the order is recorded CREATED. ' +
        'The reservation holds for `ORDER_RESERVATION_TTL_SECONDS` (default 30, see `reservationExpiresAt`): pay before then, or the sweeper cancels the order (reason `EXPIRED`) and releases the stock. ' +
        'Whenever the order is refused, nothing is reserved. Checked in this order after the shape: the rate limit (429), each line\'s product and option (404, 422 PRODUCT_UNAVAILABLE), the coupon (422), the order limits (422), the unpaid-order cap (429), the stock (409). ' +
        'At most `RATE_LIMIT_ORDERS_PER_SECOND` (default 1; 0 switches it off) orders a second per user, across all instances: more is 429 RATE_LIMITED with `Retry-After`. A replay with the same Idempotency-Key is answered from the first answer and neither limited nor counted. ' +
        'At most `MAX_UNPAID_ORDERS_PER_USER` (default 5; 0 switches it off) live unpaid orders (CREATED or PENDING) per user, exact across all instances: another is 429 RATE_LIMITED with `Retry-After` (seconds until the earliest of them lets its reservation go, at least 1) until one is paid, cancelled or expires. Placing an order without the balance to pay it is allowed (the order waits for a charge). ' +
        'Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('PlaceOrderRequest'),
      responses: {
        '201': jsonResponse('The new order, CREATED, its stock reserved until `reservationExpiresAt`', schemaRef('Order'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '404': problemResponse('NOT_FOUND: a line names a product that does not exist, or an option that is not one of its options.', [
          { code: 'NOT_FOUND', detail: 'Product 999 does not exist' },
        ]),
        '409': problemResponse('INSUFFICIENT_STOCK: a line asks for more than is available (`detail` names the line; nothing is reserved); or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INSUFFICIENT_STOCK', detail: 'Line 1 (Canvas sneakers / 270 mm): only 2 available, 3 requested' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': problemResponse(
          'ORDER_LIMIT_EXCEEDED (more than 10 units of one option, or more than 30 in all), PRODUCT_UNAVAILABLE (a product is DISCONTINUED), COUPON_NOT_APPLICABLE (the `userCouponId` is unknown or someone else\'s, USED or EXPIRED, its coupon SUSPENDED, CANCELLED or outside its window, a SELLER\'s coupon with none of that seller\'s lines in the order, what it covers below its `minOrderAmount`, or it is bound to another unpaid order; see the request schema), or IDEMPOTENCY_KEY_REUSED.',
          [
            { code: 'ORDER_LIMIT_EXCEEDED', detail: 'At most 10 units of one option per order (line 1 has 11)' },
            { code: 'PRODUCT_UNAVAILABLE', detail: 'Product 7 is no longer sold' },
            { code: 'COUPON_NOT_APPLICABLE', detail: "The order total 8000 is below the coupon's minimum of 10000" },
            { code: 'COUPON_NOT_APPLICABLE', example: 'COUPON_NOT_APPLICABLE_seller_minimum', detail: "Seller 12's products in the order come to 8000, below the coupon's minimum of 10000" },
            { code: 'COUPON_NOT_APPLICABLE', example: 'COUPON_NOT_APPLICABLE_no_line', detail: "This coupon is for seller 12's products only, and the order has none of them" },
            { code: 'IDEMPOTENCY_KEY_REUSED', detail: 'This Idempotency-Key was already used for a different request' },
          ],
        ),
        '429': problemResponse(
          'RATE_LIMITED: over `RATE_LIMIT_ORDERS_PER_SECOND` orders a second for this user, or the user already has `MAX_UNPAID_ORDERS_PER_USER` live unpaid orders.',
          [
            { code: 'RATE_LIMITED', detail: 'Too many orders; wait a moment' },
            { code: 'RATE_LIMITED', example: 'RATE_LIMITED_unpaid_orders', detail: 'You have 5 unpaid orders (at most 5); pay or cancel one before placing another' },
          ],
          ['RetryAfter'],
        ),
        ...SERVER_ERRORS,
      },
    },
    get: {
      tags: ['Orders'],
      operationId: 'listOrders',
      summary: 'List orders, newest first',
      description:
        "A non-ADMIN (a SELLER included) sees the orders they placed; an ADMIN sees everyone's. Newest first, ties broken by id. Unknown query parameters are 400.",
      parameters: [
        ref('parameters', 'Page'),
        ref('parameters', 'Size'),
        {
          name: 'status',
          in: 'query',
          required: false,
          description: 'Only orders of this status.',
          schema: schemaRef('OrderStatus'),
        },
      ],
      responses: {
        '200': jsonResponse('A page of orders', schemaRef('OrderPage')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/orders/{orderId}': {
    get: {
      tags: ['Orders'],
      operationId: 'getOrder',
      summary: 'One order',
      description: 'Its buyer, an ADMIN, or a SELLER of one of its items.',
      parameters: [ref('parameters', 'OrderId')],
      responses: {
        '200': jsonResponse('The order, with its latest payment', schemaRef('Order')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the order is someone else's.", [{ code: 'FORBIDDEN', detail: 'This order is someone else’s' }]),
        '404': ORDER_NOT_FOUND,
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/orders/{orderId}/cancel': {
    put: {
      tags: ['Orders'],
      operationId: 'cancelOrder',
      summary: 'Cancel an order',
      description:
        'Its buyer or an ADMIN. CREATED (unpaid): CANCELLED, its stock released and its coupon free again. CONFIRMED or PREPARING (paid, not shipped): refunded first (as `POST /api/v1/refunds`: balance credited, stock restocked, coupon usable again), then CANCELLED. ' +
        'Any other status (PENDING included: settle the payment first) is 409 INVALID_STATE. The body may be left out. Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'OrderId'), ref('parameters', 'IdempotencyKey')],
      requestBody: {
        required: false,
        content: { 'application/json': { schema: schemaRef('CancelOrderRequest') } },
      },
      responses: {
        '200': jsonResponse('The order, CANCELLED', schemaRef('Order'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the caller is neither the order's buyer nor an ADMIN.", [
          { code: 'FORBIDDEN', detail: 'Only the order’s buyer may cancel it' },
        ]),
        '404': ORDER_NOT_FOUND,
        '409': problemResponse('INVALID_STATE: the order is PENDING, SHIPPED or later, or already CANCELLED or FAILED; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Order 42 is SHIPPED: it can no longer be cancelled' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/orders/{orderId}/fulfillment': {
    post: {
      tags: ['Orders'],
      operationId: 'advanceFulfillment',
      summary: 'Move an order one step towards delivery (the SELLER of all its items, or ADMIN)',
      description:
        'The SELLER of every one of its items, or an ADMIN (a BUYER is 403 before the order is looked up). The status is the whole order\'s, so an order with items of several sellers is moved by an ADMIN only for now (403 to its sellers) until fulfilment is per seller. ' +
        'One step at a time, never back: CONFIRMED → PREPARING → SHIPPED → DELIVERED; any other move is 409 INVALID_STATE. ' +
        'Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'OrderId'), ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('FulfilmentRequest'),
      responses: {
        '200': jsonResponse('The order in its new status', schemaRef('Order'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse('FORBIDDEN: the caller is a BUYER, or a SELLER none of whose products is in the order, or a SELLER of an order that also holds another seller\'s items.', [
          { code: 'FORBIDDEN', detail: 'Only a seller of its items or an ADMIN may fulfil an order' },
          { code: 'FORBIDDEN', example: 'FORBIDDEN_mixed_order', detail: 'Order 42 has items of several sellers: mixed orders are fulfilled by an ADMIN for now' },
        ]),
        '404': ORDER_NOT_FOUND,
        '409': problemResponse('INVALID_STATE: `status` is not the next step from where the order stands; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Order 42 is CONFIRMED: it cannot move to SHIPPED' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/orders/{orderId}/complete': {
    post: {
      tags: ['Orders'],
      operationId: 'completeOrder',
      summary: 'Confirm the purchase (the buyer)',
      description:
        'The order\'s buyer only (not an ADMIN): DELIVERED → COMPLETED. Any other status is 409 INVALID_STATE. The body may be left out. Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'OrderId'), ref('parameters', 'IdempotencyKey')],
      requestBody: {
        required: false,
        content: { 'application/json': { schema: schemaRef('CompleteOrderRequest') } },
      },
      responses: {
        '200': jsonResponse('The order, COMPLETED', schemaRef('Order'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the caller is not the order's buyer.", [
          { code: 'FORBIDDEN', detail: 'Only the order’s buyer may confirm the purchase' },
        ]),
        '404': ORDER_NOT_FOUND,
        '409': problemResponse('INVALID_STATE: the order is not DELIVERED; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Cannot complete order 42: it is SHIPPED' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/payments/process': {
    post: {
      tags: ['Payments'],
      operationId: 'payOrder',
      summary: 'Pay an order from the wallet',
      description:
        "The order's buyer (an ADMIN may too; the buyer's wallet pays). The order must be CREATED and its reservation still holding. The wallet is debited `finalAmount` (ledger `PAYMENT`), the stock confirmed, the coupon used, and the order CONFIRMED. " +
        'With the internal gateway (`PAYMENT_GATEWAY=internal`, the default) this is one transaction and answers 200. With an external gateway, the gateway is called outside any transaction: when its answer is lost (timeout, crash) the answer is 202 with the payment `GATEWAY_REQUESTED` and the order PENDING, ' +
        'settled later by `POST /api/v1/payments/confirm` or by recovery (after `PENDING_RECOVERY_AFTER_SECONDS`, default 60, then with backoff; see RecoveryState). ' +
        'When the wallet does not cover the amount nothing changes (409 INSUFFICIENT_BALANCE; the refused attempt is on record as a FAILED payment): the buyer may charge and pay again until the reservation expires. ' +
        'A declined payment (402) and a want of balance (409) count as failed payments; `FAILURE_BLOCK_THRESHOLD` (default 5; 0 switches it off) consecutive ones block the user\'s payments for `FAILURE_BLOCK_SECONDS` (default 600): 429 TOO_MANY_FAILURES with `Retry-After`, checked before anything else; a completed payment resets the count. ' +
        'Idempotent with `Idempotency-Key` (or `requestId`): a replay answers the first answer as it was (`GET /api/v1/payments/{paymentId}` for the current state).',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('PayRequest'),
      responses: {
        '200': jsonResponse('The payment, COMPLETED; the order is CONFIRMED', schemaRef('Payment'), ['IdempotentReplayed']),
        '202': jsonResponse(
          "The payment, `GATEWAY_REQUESTED`: the gateway's answer is unknown, the order is PENDING and the wallet debited until the payment is settled (confirm, or recovery)",
          schemaRef('Payment'),
          ['IdempotentReplayed'],
        ),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '402': problemResponse('PAYMENT_DECLINED: the gateway declined. The order is FAILED; the balance, the stock and the coupon were given back.', [
          { code: 'PAYMENT_DECLINED', detail: 'The payment gateway declined payment 17; the order failed and its stock and balance were given back' },
        ]),
        '403': problemResponse("FORBIDDEN: the order is someone else's.", [{ code: 'FORBIDDEN', detail: 'Only the order’s buyer may pay for it' }]),
        '404': ORDER_NOT_FOUND,
        '409': problemResponse(
          'INSUFFICIENT_BALANCE: the wallet does not cover `finalAmount` (nothing changes: the order stays CREATED and payable until it expires); INVALID_STATE: the order is not CREATED (paid, pending, cancelled, failed) or its reservation expired; or IDEMPOTENCY_IN_PROGRESS.',
          [
            { code: 'INSUFFICIENT_BALANCE', detail: 'The balance of 5000 won does not cover 78000 won' },
            { code: 'INVALID_STATE', detail: 'Order 42: its reservation expired at 2025-01-31T09:30:30.000Z' },
            { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
          ],
        ),
        '422': ref('responses', 'IdempotencyKeyReused'),
        '429': problemResponse(
          'TOO_MANY_FAILURES: the user\'s payments are blocked after `FAILURE_BLOCK_THRESHOLD` consecutive failed payments.',
          [{ code: 'TOO_MANY_FAILURES', detail: 'Too many failed payments; try again later' }],
          ['RetryAfter'],
        ),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/payments/confirm': {
    post: {
      tags: ['Payments'],
      operationId: 'confirmPayment',
      summary: 'Settle a pending payment now',
      description:
        'The buyer or an ADMIN. Asks the gateway what became of a `GATEWAY_REQUESTED` payment and settles it at once, as recovery would: approved → COMPLETED (order CONFIRMED); not approved → FAILED (order FAILED, balance, stock and coupon given back). ' +
        'Idempotent: a payment already settled is answered as it is, and a settlement never happens twice. When the gateway still cannot say, or another instance is settling it right now, the payment is answered unchanged (`GATEWAY_REQUESTED`). ' +
        'Works whatever the recovery state: this is how an operator settles a payment handed over to them (`OPERATOR_REQUIRED`) once the gateway knows; it counts no recovery attempt. ' +
        'Always 200, whatever the outcome: read `status`. Accepts `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('ConfirmPaymentRequest'),
      responses: {
        '200': jsonResponse('The payment: COMPLETED, FAILED, or still GATEWAY_REQUESTED', schemaRef('Payment'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the payment is someone else's.", [{ code: 'FORBIDDEN', detail: 'Only the buyer may confirm this payment' }]),
        '404': PAYMENT_NOT_FOUND,
        '409': ref('responses', 'IdempotencyInProgress'),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/payments/{paymentId}': {
    get: {
      tags: ['Payments'],
      operationId: 'getPayment',
      summary: 'One payment',
      description: 'The buyer or an ADMIN.',
      parameters: [ref('parameters', 'PaymentId')],
      responses: {
        '200': jsonResponse('The payment', schemaRef('Payment')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the payment is someone else's.", [{ code: 'FORBIDDEN', detail: 'This payment is someone else’s' }]),
        '404': PAYMENT_NOT_FOUND,
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/payments/{paymentId}/recovery': {
    get: {
      tags: ['Payments'],
      operationId: 'getPaymentRecovery',
      summary: 'Where the recovery of a payment stands',
      description:
        'The buyer or an ADMIN. For a payment waiting for the gateway: whether the recovery job or an operator settles it, how many attempts were inconclusive, and when the job asks next. ' +
        'A payment that does not wait (any other status) answers `state: null` with the attempts it took.',
      parameters: [ref('parameters', 'PaymentId')],
      responses: {
        '200': jsonResponse('The payment\'s recovery', schemaRef('PaymentRecovery')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the payment is someone else's.", [{ code: 'FORBIDDEN', detail: 'This payment is someone else’s' }]),
        '404': PAYMENT_NOT_FOUND,
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/refunds': {
    post: {
      tags: ['Refunds'],
      operationId: 'refundOrder',
      summary: 'Refund a paid order',
      description:
        "The order's buyer or an ADMIN. Only a CONFIRMED or PREPARING order (paid, not shipped), and at most once. In one transaction: the wallet is credited the whole payment (ledger `REFUND`; the balance cap does not block it), the stock restocked, the coupon made usable again (REFUNDED), the order CANCELLED. " +
        'Idempotent with `Idempotency-Key` (or `requestId`); without a key, a second refund is 409 INVALID_STATE.',
      parameters: [ref('parameters', 'IdempotencyKey')],
      requestBody: jsonBody('RefundRequest'),
      responses: {
        '201': jsonResponse('The refund, REFUNDED', schemaRef('Refund'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': problemResponse("FORBIDDEN: the caller is neither the order's buyer nor an ADMIN.", [
          { code: 'FORBIDDEN', detail: 'Only the order’s buyer may refund it' },
        ]),
        '404': ORDER_NOT_FOUND,
        '409': problemResponse('INVALID_STATE: the order was refunded already, or is not CONFIRMED or PREPARING; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Order 42 was refunded already' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/admin/events': {
    get: {
      tags: ['Operations'],
      operationId: 'listOutboxEvents',
      summary: 'The outbox: events for the data platform and how their delivery went (ADMIN)',
      description:
        'ADMIN only (BUYER and SELLER 403). Newest first, optionally of one `status`. Sent events are deleted after `OUTBOX_RETENTION_DAYS` (default 7); ALERTED ones stay until an operator retries them. Unknown query parameters are 400.',
      parameters: [
        ref('parameters', 'Page'),
        ref('parameters', 'Size'),
        { name: 'status', in: 'query', required: false, description: 'Only events of this status (anything else is 400).', schema: schemaRef('OutboxEventStatus') },
      ],
      responses: {
        '200': jsonResponse('A page of outbox events, newest first', schemaRef('OutboxEventPage')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/admin/events/{eventId}/retry': {
    post: {
      tags: ['Operations'],
      operationId: 'retryOutboxEvent',
      summary: 'Deliver an event again from scratch (ADMIN)',
      description:
        'ADMIN only. Puts the event back to PENDING with `attempts` 0 and no error; the relay delivers it within a job interval, and then the later events of its aggregate it held back. ' +
        'Meant for ALERTED events; allowed for any status but PROCESSING (a relay is delivering it right now: 409 INVALID_STATE). Retrying a SENT event sends it once more with the same id (the platform deduplicates on it). ' +
        'Takes no body (only `requestId`). Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [
        { name: 'eventId', in: 'path', required: true, description: 'The event id (a UUID; anything else is 400)', schema: { type: 'string', format: 'uuid' } },
        ref('parameters', 'IdempotencyKey'),
      ],
      responses: {
        '200': jsonResponse('The event, back to PENDING', schemaRef('OutboxEvent'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        '404': problemResponse('NOT_FOUND: no such event.', [{ code: 'NOT_FOUND', detail: 'Outbox event 00000000-0000-4000-8000-000000000000 does not exist' }]),
        '409': problemResponse('INVALID_STATE: a relay is delivering the event right now; or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Outbox event 3f2c… is being delivered right now (PROCESSING); retry it once that ends' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/admin/payments': {
    get: {
      tags: ['Operations'],
      operationId: 'listPaymentRecoveries',
      summary: 'Payments waiting for the gateway, and those handed to an operator (ADMIN)',
      description:
        'ADMIN only (BUYER and SELLER 403). Every payment waiting for the gateway (order PENDING), newest first, optionally of one recovery `state`: `?state=OPERATOR_REQUIRED` is the operators\' work list. ' +
        'A payment leaves the list once settled. Unknown query parameters are 400.',
      parameters: [
        ref('parameters', 'Page'),
        ref('parameters', 'Size'),
        { name: 'state', in: 'query', required: false, description: 'Only payments in this recovery state (anything else is 400).', schema: schemaRef('RecoveryState') },
      ],
      responses: {
        '200': jsonResponse('A page of payment recoveries, newest first', schemaRef('PaymentRecoveryPage')),
        '400': ref('responses', 'ValidationFailed'),
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/api/v1/admin/payments/{paymentId}/retry': {
    post: {
      tags: ['Operations'],
      operationId: 'retryPaymentRecovery',
      summary: 'Put a pending payment back into automatic recovery (ADMIN)',
      description:
        'ADMIN only. The payment goes back to `AUTOMATIC` with `attempts` 0 and is due at once: the recovery job asks the gateway within a job interval, then backs off again and hands it over again after `PENDING_RECOVERY_MAX_ATTEMPTS`. ' +
        'Meant for `OPERATOR_REQUIRED` payments (e.g. once the gateway is back); allowed for `AUTOMATIC` ones, to have them asked now. A settled payment, or one that never waited for the gateway, is 409 INVALID_STATE. ' +
        'To settle at once instead, `POST /api/v1/payments/confirm`. Takes no body (only `requestId`). Idempotent with `Idempotency-Key` (or `requestId`).',
      parameters: [ref('parameters', 'PaymentId'), ref('parameters', 'IdempotencyKey')],
      responses: {
        '200': jsonResponse('The payment\'s recovery, back to AUTOMATIC', schemaRef('PaymentRecovery'), ['IdempotentReplayed']),
        ...BODY_ERRORS,
        '401': ref('responses', 'Unauthenticated'),
        '403': ref('responses', 'Forbidden'),
        '404': PAYMENT_NOT_FOUND,
        '409': problemResponse('INVALID_STATE: the payment does not wait for the gateway (settled); or IDEMPOTENCY_IN_PROGRESS.', [
          { code: 'INVALID_STATE', detail: 'Payment 17 is COMPLETED: it is not waiting for the gateway, so there is nothing to recover' },
          { code: 'IDEMPOTENCY_IN_PROGRESS', detail: 'A request with this Idempotency-Key is still being processed' },
        ]),
        '422': ref('responses', 'IdempotencyKeyReused'),
        ...SERVER_ERRORS,
      },
    },
  },
  '/health/live': {
    get: {
      tags: ['Operations'],
      operationId: 'liveness',
      summary: 'Liveness: 200 while the process runs',
      security: PUBLIC,
      responses: { '200': jsonResponse('The process is running', schemaRef('Liveness')) },
    },
  },
  '/health/ready': {
    get: {
      tags: ['Operations'],
      operationId: 'readiness',
      summary: 'Readiness: can the service answer requests?',
      description:
        'Answers 200 while the database answers, even with Redis down (`status: degraded`, `redis: down`): Redis only saves work. 503, with the same JSON shape (not a problem document), when the database does not answer. ' +
        'From the moment the process is told to stop (SIGTERM) it answers 503 `{status: "stopping"}` at once, without asking the dependencies, while the requests in flight finish (up to 10 seconds); every answer from then on carries `Connection: close`, and the process exits once nothing is in flight.',
      security: PUBLIC,
      responses: {
        '200': jsonResponse('Ready (`ok`, or `degraded` when Redis is down)', schemaRef('Readiness')),
        '503': jsonResponse('Not ready: the database does not answer, or the process is stopping (`status: stopping`)', schemaRef('Readiness')),
      },
    },
  },
  '/metrics': {
    get: {
      tags: ['Operations'],
      operationId: 'metrics',
      summary: 'Prometheus metrics',
      description:
        'Public by default (for local runs). With `METRICS_TOKEN` set it asks for `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time; anything else is 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer`). ' +
        'With `METRICS_PORT` set it is served only on that port, a listener of its own that answers nothing else, and this port answers 404 NOT_FOUND for it. ' +
        'In production set `METRICS_PORT` to a port the load balancer does not expose, `METRICS_TOKEN`, or both.',
      security: [{}, { metricsToken: [] }],
      responses: {
        '200': {
          description: 'Prometheus text exposition format (`text/plain; version=0.0.4`)',
          headers: headers(),
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
        '401': problemResponse(
          'UNAUTHENTICATED: `METRICS_TOKEN` is set and the request does not carry it as a Bearer token.',
          [{ code: 'UNAUTHENTICATED', detail: 'GET /metrics needs its Bearer token' }],
          [],
          '/metrics',
        ),
        '404': problemResponse(
          'NOT_FOUND: `METRICS_PORT` is set, so /metrics is served on that port and not on this one.',
          [{ code: 'NOT_FOUND', detail: 'No route GET /metrics' }],
          [],
          '/metrics',
        ),
      },
    },
  },
  '/openapi.json': {
    get: {
      tags: ['Operations'],
      operationId: 'openApi',
      summary: 'This OpenAPI 3 document',
      security: PUBLIC,
      responses: { '200': jsonResponse('The OpenAPI document', { type: 'object' }) },
    },
  },
  '/docs': {
    get: {
      tags: ['Operations'],
      operationId: 'docs',
      summary: 'Swagger UI for this document',
      security: PUBLIC,
      responses: {
        '200': {
          description: 'An HTML page',
          headers: headers(),
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
  },
};

/**
 * Every operation that takes an Idempotency-Key may also be refused for claiming too many new
 * keys (RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE): added here once rather than in each operation,
 * merged into a 429 the operation already documents.
 */
const NEW_KEYS_LIMITED: ProblemCase = {
  code: 'RATE_LIMITED',
  detail: 'Too many new Idempotency-Keys; wait a moment',
  example: 'RATE_LIMITED (new Idempotency-Keys)',
};
const NEW_KEYS_LIMITED_TEXT =
  'RATE_LIMITED: over `RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE` new Idempotency-Keys a minute for this user (anonymous callers: for this client address); a replay is never refused.';
for (const operations of Object.values(paths) as JsonObject[]) {
  for (const operation of Object.values(operations) as JsonObject[]) {
    const parameters = (operation['parameters'] ?? []) as JsonObject[];
    if (!parameters.some((p) => p['$ref'] === '#/components/parameters/IdempotencyKey')) continue;
    const responses = operation['responses'] as JsonObject;
    const existing = responses['429'] as JsonObject | undefined;
    if (!existing) {
      responses['429'] = problemResponse(NEW_KEYS_LIMITED_TEXT, [NEW_KEYS_LIMITED], ['RetryAfter']);
      continue;
    }
    existing['description'] = `${existing['description'] as string} Or ${NEW_KEYS_LIMITED_TEXT}`;
    const examples = ((existing['content'] as JsonObject)[PROBLEM_JSON] as JsonObject)['examples'] as JsonObject;
    Object.assign(examples, (((problemResponse('', [NEW_KEYS_LIMITED]) as JsonObject)['content'] as JsonObject)[PROBLEM_JSON] as JsonObject)['examples'] as JsonObject);
  }
}

// ---------------------------------------------------------------------------------------------

const description = `E-commerce order service: accounts, pre-charged wallets, the catalog, discount coupons, orders, payments from the wallet and refunds.

**Conventions**
- JSON in and out (\`application/json\`, UTF-8), camelCase fields. Ids are positive integers.
- Money is integer KRW (won), never fractional. Times are ISO 8601 strings in UTC.
- Authentication: \`Authorization: Bearer <jwt>\` from \`POST /api/v1/auth/login\` (HS256, default lifetime 1 hour; a token without \`exp\` is refused). Public: sign-up, login, product list, detail and popular, health and docs, and metrics unless \`METRICS_TOKEN\` is set.
- Every authenticated request checks the token against its user as they are now: the user must exist, be ACTIVE and have the token version the token carries (\`ver\`). A change of the user's password, role or status (through the API, or SQL: the database moves the version on) ends every token issued before, at once on every instance sharing Redis, within \`AUTH_CACHE_TTL_SECONDS\` (default 5) otherwise. Requests act with the user's current role.
- Paging: \`?page=1&size=20\` (page from 1, size 1..100) answers \`{items, page, size, totalItems, totalPages}\`; pages are stably ordered (ties broken by id).
- The product list and detail may be served from a short-lived cache; every change to the catalog invalidates it at once, so an answer is never older than the last acknowledged change.
- Every response carries \`X-Request-Id\`: the request's own when it sends a valid one, else a generated UUID.
- \`429\` answers carry \`Retry-After\` (seconds), and so do \`503\` answers of a service busy checking passwords.
- The client address, which the sign-up and login limits count, is the connection's; \`X-Forwarded-For\` is believed only from the proxies \`TRUST_PROXY\` names.

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
- An order is placed CREATED with the stock of every line reserved (all or nothing). Paying it from the wallet (\`POST /api/v1/payments/process\`) makes it CONFIRMED; a seller of its items (or an ADMIN) moves it PREPARING → SHIPPED → DELIVERED, one step at a time; the buyer confirms the purchase (COMPLETED). Unpaid, it may be cancelled (CANCELLED, stock released, coupon given back); paid but not shipped (CONFIRMED, PREPARING), it may be refunded (balance, stock and coupon given back; CANCELLED). A declined payment makes it FAILED, everything given back. See the OrderStatus schema for the whole state machine.
- A reservation holds for \`ORDER_RESERVATION_TTL_SECONDS\` (default 30) after the order is placed (\`reservationExpiresAt\`). After that the order can no longer be paid, and the sweeper cancels it (reason \`EXPIRED\`) and releases its stock within a few job intervals (\`JOB_INTERVAL_MS\`, default 1000), on any instance, exactly once.
- With an external payment gateway (\`PAYMENT_GATEWAY\`), a payment whose answer is lost is answered 202 and its order is PENDING. \`POST /api/v1/payments/confirm\` settles it on demand; otherwise recovery asks the gateway about payments pending for longer than \`PENDING_RECOVERY_AFTER_SECONDS\` (default 60) and completes the payment or gives everything back (balance, stock, coupon) and fails the order, nothing lost or doubled. While the gateway cannot tell, recovery asks again with backoff (\`PENDING_RECOVERY_BACKOFF_SECONDS\`, default 30, doubling, at most an hour) and after \`PENDING_RECOVERY_MAX_ATTEMPTS\` (default 10) hands the payment to an operator (\`GET /api/v1/admin/payments?state=OPERATOR_REQUIRED\`), the order still PENDING and the money still debited.
- Abuse limits: \`RATE_LIMIT_ORDERS_PER_SECOND\` (default 1) orders a second per user (429 RATE_LIMITED); \`MAX_UNPAID_ORDERS_PER_USER\` (default 5) live unpaid orders per user (429 RATE_LIMITED until one is paid, cancelled or expires); \`RATE_LIMIT_COUPON_ISSUES_PER_MINUTE\` (default 3) coupon issue requests a minute per user (429 RATE_LIMITED); \`FAILURE_BLOCK_THRESHOLD\` (default 5) consecutive failed payments (declined, or short of balance) block a user's payments for \`FAILURE_BLOCK_SECONDS\` (default 600; 429 TOO_MANY_FAILURES); \`RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP\` (default 10) sign-ups and \`RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP\` (default 30) login attempts a minute per client address (429 RATE_LIMITED); failed logins block a client address, not an account (see the login operation).

**Coupons**
- A SELLER or an ADMIN creates a coupon (PERCENTAGE or FIXED, optionally capped, with a minimum order amount, a total quantity or none, a per-user limit and a validity window) and may suspend, resume or cancel it. Its status (CREATED, ACTIVE, EXHAUSTED, EXPIRED, SUSPENDED, CANCELLED) is worked out from that, its window and its counters.
- Issuing is first come, first served (\`POST /api/v1/coupons/issue\`, \`/issue/limited\`): for a limited coupon a Redis gate (when \`REDIS_URL\` is set) answers the crowd in one atomic step per claim, and the PostgreSQL guarded counter with each user's uniquely numbered copies is the safety net that decides for good, so never more than \`totalQuantity\` copies are issued nor more than \`perUserLimit\` to one user, even with Redis down or reset.
- A user coupon goes ISSUED → USED (its order paid) → REFUNDED (that order refunded: usable again, and USED again by a later paid order); an ISSUED or REFUNDED one still unused at its \`expiresAt\` (the coupon's \`validUntil\`) becomes EXPIRED.
- A SELLER's coupon covers that seller's products only (\`sellerId\`): its minimum, percentage and cap apply to their lines of an order, and no other seller's line is discounted; an ADMIN's coupon is shop-wide. Each order item shows its part of the discount (\`discountAmount\`).
- Applied to an order (\`userCouponId\`), it is bound to that unpaid order (its \`orderId\`, status unchanged) and applies to no other order while that one is CREATED or PENDING; cancelled, expired or failed, the order gives it back as it was.
- The expiry job (every \`JOB_INTERVAL_MS\`) turns coupons past \`validUntil\` EXPIRED, and user coupons past \`expiresAt\` that are not bound to an order.

**Idempotency**: state-changing POSTs and PUTs (and the coupon status PATCH), sign-up included, accept an \`Idempotency-Key\` header (1..255 characters; a body field \`requestId\` means the same). The same key with the same body replays the first answer with \`Idempotent-Replayed: true\` and does nothing twice; the same key with a different body is 422 IDEMPOTENCY_KEY_REUSED; a duplicate while the first is still running is 409 IDEMPOTENCY_IN_PROGRESS. Keys are scoped to the user and kept 24 hours; a request that fails gives its key back so it can be retried. At most \`RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE\` (default 120) new keys a minute per user, or per client address for anonymous callers (429 RATE_LIMITED); replays are never refused. Anonymous sign-ups all share one scope, where the fingerprint covers the whole body (password included): only the identical request replays (201 with \`Idempotent-Replayed: true\`), any other body with the same key is 422 IDEMPOTENCY_KEY_REUSED. A password change leaves its passwords out of the fingerprint (no fast hash of a password is kept). Login takes no key.`;

export const openApiDocument = {
  openapi: '3.0.3',
  info: {
    title: 'Order service API',
    version: '0.1.0',
    description,
  },
  servers: [{ url: '/', description: 'This service' }],
  tags: [
    { name: 'Auth', description: 'Sign-up and login (public)' },
    { name: 'Users', description: 'User accounts' },
    { name: 'Balances', description: 'Wallets and their ledger' },
    { name: 'Products', description: 'The catalog: products, their options and stock (browsing is public)' },
    { name: 'Coupons', description: "Discount coupons: creating and managing them, first-come-first-served issue, and a user's coupons" },
    { name: 'Orders', description: 'Placing orders, their stock reservation, cancellation, fulfilment and completion' },
    { name: 'Payments', description: 'Paying orders from the wallet through the payment gateway, and settling pending payments' },
    { name: 'Refunds', description: 'Refunding paid orders that have not shipped' },
    { name: 'Statistics', description: 'Sales statistics for sellers and admins' },
    { name: 'Operations', description: 'Health, metrics and documentation (public; metrics may ask for a token or live on a port of their own); the outbox and pending payments for operators (ADMIN)' },
  ],
  security: BEARER,
  paths,
  components: {
    securitySchemes: {
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
    },
    schemas,
    parameters,
    headers: responseHeaders,
    responses,
  },
} satisfies JsonObject;
