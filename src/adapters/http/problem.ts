import type { ErrorCode, FieldProblem } from '../../domain/shared/errors.js';

/** Codes only the HTTP layer produces. */
export type HttpOnlyCode = 'PAYLOAD_TOO_LARGE' | 'UNSUPPORTED_MEDIA_TYPE' | 'INTERNAL' | 'UNAVAILABLE';
export type ProblemCode = Exclude<ErrorCode, 'CONCURRENT_MODIFICATION'> | HttpOnlyCode;

/** The one table from error codes to HTTP statuses (API.md "Error codes"). */
export const STATUS_OF: Record<ProblemCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  EMAIL_TAKEN: 409,
  INSUFFICIENT_BALANCE: 409,
  INVALID_STATE: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  INVALID_CHARGE_AMOUNT: 422,
  BALANCE_LIMIT_EXCEEDED: 422,
  INVALID_PRICE: 422,
  INSUFFICIENT_STOCK: 409,
  PRODUCT_UNAVAILABLE: 422,
  ORDER_LIMIT_EXCEEDED: 422,
  PAYMENT_DECLINED: 402,
  COUPON_NOT_APPLICABLE: 422,
  COUPON_EXHAUSTED: 409,
  COUPON_ALREADY_ISSUED: 409,
  COUPON_NOT_ISSUABLE: 409,
  COUPON_CODE_TAKEN: 409,
  COUPON_MINIMUM_NOT_MET: 422,
  WRONG_PASSWORD: 422,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  TOO_MANY_FAILURES: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

const TITLE_OF: Record<ProblemCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHENTICATED: 'Authentication required',
  FORBIDDEN: 'Not allowed',
  NOT_FOUND: 'Not found',
  EMAIL_TAKEN: 'E-mail already registered',
  INSUFFICIENT_BALANCE: 'Insufficient balance',
  INVALID_STATE: 'Not allowed in the current state',
  IDEMPOTENCY_IN_PROGRESS: 'Request still in progress',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key reused',
  INVALID_CHARGE_AMOUNT: 'Invalid charge amount',
  BALANCE_LIMIT_EXCEEDED: 'Balance limit exceeded',
  INVALID_PRICE: 'Invalid price',
  INSUFFICIENT_STOCK: 'Insufficient stock',
  PRODUCT_UNAVAILABLE: 'Product unavailable',
  ORDER_LIMIT_EXCEEDED: 'Order limit exceeded',
  PAYMENT_DECLINED: 'Payment declined',
  COUPON_NOT_APPLICABLE: 'Coupon not applicable',
  COUPON_EXHAUSTED: 'Coupon exhausted',
  COUPON_ALREADY_ISSUED: 'Coupon already issued',
  COUPON_NOT_ISSUABLE: 'Coupon not being issued',
  COUPON_CODE_TAKEN: 'Coupon code already taken',
  COUPON_MINIMUM_NOT_MET: "Below the coupon's minimum",
  WRONG_PASSWORD: 'Wrong current password',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  RATE_LIMITED: 'Too many requests',
  TOO_MANY_FAILURES: 'Blocked after repeated failures',
  INTERNAL: 'Internal error',
  UNAVAILABLE: 'Service unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode;
  instance: string;
  errors?: FieldProblem[];
}

/** Each code's problem type URI, written once. */
const TYPE_OF = Object.fromEntries(
  Object.keys(STATUS_OF).map((code) => [code, `urn:order-service:problem:${code.toLowerCase().replaceAll('_', '-')}`]),
) as Record<ProblemCode, string>;

export function problem(code: ProblemCode, detail: string, instance: string, errors?: FieldProblem[]): Problem {
  const body: Problem = { type: TYPE_OF[code], title: TITLE_OF[code], status: STATUS_OF[code], detail, code, instance };
  if (errors) body.errors = errors;
  return body;
}

/** An error raised by the HTTP layer itself, already carrying its problem code. */
export class HttpProblem extends Error {
  constructor(
    readonly code: ProblemCode,
    message: string,
    readonly errors?: FieldProblem[],
  ) {
    super(message);
  }
}

/** Statuses a library's error may carry that have a code of their own; any other 4xx is the request's shape. */
const CLIENT_ERRORS: Partial<Record<number, [ProblemCode, string]>> = {
  401: ['UNAUTHENTICATED', 'Authentication is required'],
  403: ['FORBIDDEN', 'You are not allowed to do this'],
  404: ['NOT_FOUND', 'Not found'],
  413: ['PAYLOAD_TOO_LARGE', 'The request is too large'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 application/json'],
};

/**
 * The answer to an error raised by Express, its router or body parser, or a static file server,
 * carrying a 4xx `status` or `statusCode` (http-errors' convention): the request was at fault, so
 * never a 500. Its message may quote the input or name the library, so the answer only says what
 * kind of problem it was. Null for anything else.
 */
export function problemOfClientError(error: unknown, instance: string): Problem | null {
  if (!error || typeof error !== 'object') return null;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  const found = typeof status === 'number' ? status : statusCode;
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 400 || found > 499) return null;
  const known = CLIENT_ERRORS[found];
  if (known) return problem(known[0], known[1], instance);
  return problem('VALIDATION_FAILED', 'The request is not valid', instance, [{ field: 'request', message: 'is malformed' }]);
}
