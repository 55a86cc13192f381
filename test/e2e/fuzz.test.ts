import { expect } from 'chai';
import fc from 'fast-check';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { STATUS_OF } from '../../src/adapters/http/problem.js';
import { uniqueName } from '../support/environment.js';
import { type Account, startTestService, type TestService, type TestServiceOptions } from '../support/service.js';

/**
 * Fuzzing every route the service documents with arbitrary path parameters, query strings, JSON
 * bodies and headers, as every kind of caller: whatever arrives, the answer is never a 5xx, and
 * every 4xx is application/problem+json of API.md's shape with a code of its table.
 *
 * The routes come from the served OpenAPI document, so a new route is fuzzed without touching
 * this file. The seed is fixed (FUZZ_SEED overrides it, FUZZ_RUNS the number of requests); on a
 * failure fast-check prints the seed, the path to replay it and the shrunk request.
 */

const SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_131);
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 500);
const LIMITS = { JSON_MAX_DEPTH: '32', JSON_MAX_ENTRIES: '1000' };
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

// ---------------------------------------------------------------------------------------------
// The routes, and example bodies, from the OpenAPI document

type Schema = Record<string, unknown>;
const document = openApiDocument as unknown as {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
};

interface Route {
  method: string;
  /** `/api/v1/products/{productId}` */
  template: string;
  /** A body built from the examples of the request schema, or null when the route takes none. */
  example: unknown;
}

function resolveRef(schema: Schema): Schema {
  const ref = schema['$ref'];
  return typeof ref === 'string' ? (document.components.schemas[ref.split('/').pop()!] ?? {}) : schema;
}

/** A value as the schema's examples describe it (good enough to get past the shape now and then). */
function exampleOf(raw: Schema, depth = 0): unknown {
  const schema = resolveRef(raw);
  if (depth > 4) return null;
  if ('example' in schema) return schema['example'];
  if ('default' in schema && schema['default'] !== null) return schema['default'];
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  if (Array.isArray(schema['oneOf'])) return exampleOf(schema['oneOf'][0] as Schema, depth + 1);
  if (schema['type'] === 'array') return [exampleOf((schema['items'] ?? {}) as Schema, depth + 1)];
  if (schema['type'] === 'object' || schema['properties']) {
    const properties = (schema['properties'] ?? {}) as Record<string, Schema>;
    return Object.fromEntries(Object.entries(properties).map(([name, property]) => [name, exampleOf(property, depth + 1)]));
  }
  if (schema['type'] === 'integer' || schema['type'] === 'number') return 1;
  if (schema['type'] === 'boolean') return true;
  return 'text';
}

const ROUTES: Route[] = Object.entries(document.paths).flatMap(([template, operations]) =>
  Object.entries(operations)
    .filter(([method]) => (METHODS as readonly string[]).includes(method.toUpperCase()))
    .map(([method, operation]) => {
      const schema = operation.requestBody?.content?.['application/json']?.schema;
      return { method: method.toUpperCase(), template, example: schema ? exampleOf(schema) : null };
    }),
);

/** Every property name any schema knows: the vocabulary bodies are made of. */
const FIELD_NAMES = [
  ...new Set(Object.values(document.components.schemas).flatMap((schema) => Object.keys((schema['properties'] ?? {}) as object))),
];
const QUERY_NAMES = ['page', 'size', 'sort', 'category', 'q', 'status', 'days', 'limit', 'from', 'to', 'groupBy'];

// ---------------------------------------------------------------------------------------------
// JSON as text: numbers JSON.stringify cannot write, duplicate keys, `__proto__` as a plain key

class Literal {
  constructor(readonly text: string) {}
}
class Members {
  constructor(readonly pairs: Array<[string, unknown]>) {}
}

function toJson(value: unknown): string {
  if (value instanceof Literal) return value.text;
  if (value instanceof Members) return `{${value.pairs.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  if (value && typeof value === 'object') return toJson(new Members(Object.entries(value)));
  return JSON.stringify(value) ?? 'null';
}

// ---------------------------------------------------------------------------------------------
// Arbitraries

/** Characters: mostly ASCII, any code point (lone surrogates included), and the troublemakers. */
const character = fc.oneof(
  { arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), weight: 6 },
  { arbitrary: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)), weight: 2 },
  { arbitrary: fc.constantFrom('\u0000', '\uD800', '\uDBFF', '\uDC00', '\uDFFF', '%', '\\', '"', '/', '?', '#', '😀', '\u202E', '\uFEFF', '\u00E9'), weight: 2 },
);
const text = (maxLength = 24) => fc.string({ unit: character, maxLength });

const SPECIAL_NUMBERS = ['1000.5', '0.5', '-0', '1e400', '-1e400', '1e-400', '9007199254740993', '-9007199254740993', '123456789012345678901234567890', '1E3', '1e2', '100.0', '-1', '0'];
const number = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, 1, 2, 10, 100, 999, 1_000, 10_000, 100_000, 1_000_000, Number.MAX_SAFE_INTEGER),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...SPECIAL_NUMBERS).map((n) => new Literal(n)),
);
const DATES = ['2026-01-01', '2026-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2099-01-01T00:00:00+09:00', '2026-01-01T00:00:00', '+275760-09-13T00:00:00Z', '1969-12-31', '10000-01-01'];
const ENUMS = ['BUYER', 'SELLER', 'ADMIN', 'PERCENTAGE', 'FIXED', 'ACTIVE', 'SUSPENDED', 'CANCELLED', 'DISCONTINUED', 'SOLD_OUT', 'PREPARING', 'SHIPPED', 'DELIVERED', 'me', 'product', 'category', 'day', 'newest', 'price_asc'];

function arbitraries(ids: string[]) {
  const id = fc.constantFrom(...ids);
  const leaf = fc.oneof(
    { arbitrary: text(), weight: 3 },
    { arbitrary: number, weight: 3 },
    { arbitrary: id.map(Number), weight: 2 },
    { arbitrary: fc.constantFrom(...DATES, ...ENUMS), weight: 2 },
    { arbitrary: fc.constantFrom(true, false, null), weight: 1 },
  );
  const key = fc.oneof({ arbitrary: fc.constantFrom(...FIELD_NAMES), weight: 4 }, { arbitrary: text(12), weight: 1 }, { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype'), weight: 1 });
  const { value } = fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { arbitrary: leaf, weight: 4 },
      { arbitrary: fc.array(tie('value'), { maxLength: 4 }), weight: 1 },
      { arbitrary: fc.array(fc.tuple(key, tie('value')), { maxLength: 4 }).map((pairs) => new Members(pairs)), weight: 1 },
    ),
  }));

  /**
   * A route's example body, its ids pointing at things that exist, with now and then a field
   * dropped, changed or added: most get past the shape, to permission, existence and the rules.
   */
  const mutated = (example: unknown) => {
    const pairs = example && typeof example === 'object' && !Array.isArray(example) ? Object.entries(example) : [];
    const fate = fc.oneof({ arbitrary: fc.constant('keep' as const), weight: 8 }, { arbitrary: fc.constantFrom('drop' as const, 'change' as const), weight: 2 });
    return fc
      .tuple(
        fc.array(fc.tuple(fate, value, id, fc.uuid()), { minLength: pairs.length, maxLength: pairs.length }),
        sometimes(fc.tuple(key, value), 4),
      )
      .map(([fates, added]) => {
        const kept: Array<[string, unknown]> = [];
        pairs.forEach(([k, v], i) => {
          const [what, other, someId, someKey] = fates[i]!;
          if (what === 'drop') return;
          if (what === 'change') kept.push([k, other]);
          // A fresh key each time, or every body after the first would be IDEMPOTENCY_KEY_REUSED.
          else if (k === 'requestId') kept.push([k, someKey]);
          else kept.push([k, /Id$/.test(k) ? Number(someId) : v]);
        });
        return new Members(added ? [...kept, added] : kept);
      });
  };

  const nested = fc.tuple(fc.integer({ min: 20, max: 6_000 }), fc.boolean()).map(([depth, objects]) =>
    objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `{"items":${'['.repeat(depth)}${']'.repeat(depth)}}`,
  );
  const wide = fc.tuple(fc.integer({ min: 900, max: 160_000 }), fc.constantFrom('{}', '1', '"x"', '[]')).map(([count, item]) => `{"items":[${new Array(count).fill(item).join(',')}]}`);
  const junk = fc.oneof(text(40), fc.constantFrom('{', '{"amount":', '[', 'null', '"text"', '1', '{"a":1,}', '\uFEFF{}', '{"amount":1000}garbage'));

  const body = (route: Route) =>
    fc.oneof(
      { arbitrary: (route.example === null ? value : mutated(route.example)).map(toJson), weight: 6 },
      { arbitrary: value.map(toJson), weight: 2 },
      { arbitrary: nested, weight: 1 },
      { arbitrary: wide, weight: 1 },
      { arbitrary: junk, weight: 1 },
      { arbitrary: fc.constant(undefined), weight: 1 },
    );

  const MALFORMED = ['%FF', '%', '%E2%82', '%ED%A0%80', '%C0%AF', '%00', '%2F', '%25', '..', '%2e%2e', '%G0', 'a%'];
  const segment = fc.oneof(
    { arbitrary: id, weight: 10 },
    { arbitrary: fc.oneof(fc.nat().map(String), fc.constantFrom('0', '-1', '1.5', '1e3', '9007199254740993', '99999999999999999999', 'me', 'popular', 'issue', '')), weight: 2 },
    { arbitrary: fc.uuid(), weight: 1 },
    { arbitrary: text(12).map(percentEncoded), weight: 2 },
    { arbitrary: fc.array(fc.constantFrom(...MALFORMED, 'x', '1'), { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')), weight: 2 },
  );

  const queryValue = fc.oneof(
    fc.constantFrom('1', '0', '-1', '1.5', '100', '101', '1e3', '9007199254740993', 'NaN', '', '%FF', '%00', '%ED%A0%80', '%'),
    fc.constantFrom(...DATES, ...ENUMS).map(percentEncoded),
    text(16).map(percentEncoded),
  );
  const someQuery = fc
    .array(fc.tuple(fc.oneof({ arbitrary: fc.constantFrom(...QUERY_NAMES), weight: 4 }, { arbitrary: text(8).map(percentEncoded), weight: 1 }), queryValue), { maxLength: 5 })
    .map((pairs) => (pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`));
  const query = fc.oneof({ arbitrary: fc.constant(''), weight: 1 }, { arbitrary: someQuery, weight: 1 });

  // Header values are bytes: printable Latin-1, as any client could send.
  const headerText = (maxLength: number) =>
    fc.string({ unit: fc.oneof(fc.integer({ min: 0x21, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff })).map((c) => String.fromCharCode(c)), maxLength });
  const headers = fc.record(
    {
      contentType: fc.oneof(
        { arbitrary: fc.constant('application/json'), weight: 8 },
        fc.constantFrom(        'application/json; charset=utf-8',
        'application/json; charset=utf-16',
        'application/json; charset=latin1',
        'application/merge-patch+json',
        'application/vnd.api+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/json; charset=',
        '*/*',
        ),
      ),
      idempotencyKey: sometimes(fc.oneof({ arbitrary: headerText(20), weight: 4 }, headerText(300), fc.constant('')), 2),
      contentEncoding: sometimes(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown'), 9),
      requestId: sometimes(headerText(140), 4),
      // Past Node's 16 KB of headers: its parser refuses the request before Express sees it.
      filler: sometimes(fc.integer({ min: 1_000, max: 40_000 }).map((n) => 'f'.repeat(n)), 30),
    },
  );

  return { body, segment, query, headers };
}

/** The value once in `1 + oddsAgainst` times, else null. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, oddsAgainst: number): fc.Arbitrary<T | null> {
  return fc.oneof({ arbitrary: fc.constant(null), weight: oddsAgainst }, { arbitrary, weight: 1 });
}

/** Percent-encodes text as a client would, lone surrogates too (their code units as bytes). */
function percentEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return [...value].map((c) => (/^[A-Za-z0-9]$/.test(c) ? c : `%${(c.charCodeAt(0) & 0xff).toString(16).padStart(2, '0').toUpperCase()}`)).join('');
  }
}

// ---------------------------------------------------------------------------------------------
// The property

type Caller = 'anonymous' | 'BUYER' | 'SELLER' | 'ADMIN' | 'bad token';

interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  caller: Caller;
  headers: Record<string, string>;
  body: string | undefined;
}

const PROBLEM_KEYS = ['type', 'title', 'status', 'detail', 'code', 'instance', 'errors'];

function describeRequest(request: FuzzRequest): string {
  const body = request.body === undefined ? '(none)' : request.body.length > 300 ? `${request.body.slice(0, 300)}... (${request.body.length} chars)` : request.body;
  return `${request.method} ${request.path}${request.query} as ${request.caller} ${JSON.stringify(request.headers)} body ${body}`;
}

/** What every answer must be, whatever was asked. */
function checkAnswer(request: FuzzRequest, status: number, contentType: string, text: string, retryAfter: string | null): void {
  const what = `${describeRequest(request)}\n  answered ${status} ${contentType} ${text.slice(0, 500)}`;
  expect(status, `no 5xx: ${what}`).to.be.below(500);
  if (status < 400) return;
  expect(contentType, `problem+json: ${what}`).to.match(/^application\/problem\+json\b/);
  const body = JSON.parse(text) as Record<string, unknown>;
  expect(Object.keys(body).filter((k) => !PROBLEM_KEYS.includes(k)), `only the problem fields: ${what}`).to.deep.equal([]);
  const code = body['code'] as keyof typeof STATUS_OF;
  expect(Object.keys(STATUS_OF), `a code of the table: ${what}`).to.include(code);
  expect(STATUS_OF[code], `the code's status: ${what}`).to.equal(status);
  expect(body['status'], what).to.equal(status);
  for (const field of ['type', 'title', 'detail', 'instance']) expect(body[field], `${field}: ${what}`).to.be.a('string');
  expect(body['instance'], `instance is the path: ${what}`).to.equal(new URL(`http://x${request.path}`).pathname);
  if (code === 'VALIDATION_FAILED') {
    const errors = body['errors'] as Array<Record<string, unknown>>;
    expect(errors, `errors: ${what}`).to.be.an('array').that.is.not.empty;
    for (const e of errors) {
      expect(Object.keys(e), what).to.have.members(['field', 'message']);
      expect(e['field'], what).to.be.a('string').that.is.not.empty;
      expect(e['message'], what).to.be.a('string').that.is.not.empty;
    }
  } else {
    expect(body, `errors only on VALIDATION_FAILED: ${what}`).not.to.have.property('errors');
  }
  if (status === 429) expect(retryAfter, `Retry-After on 429: ${what}`).to.match(/^\d+$/);
}

function fuzzSuite(label: string, options: TestServiceOptions, runs: number): void {
  describe(`e2e: fuzzing every route (${label})`, function () {
    this.timeout(120_000);
    let t: TestService;
    const tokens: Partial<Record<Caller, string>> = {};
    const ids = ['1', '2', '3'];

    before(async function () {
      t = await startTestService({ ...options, env: { ...LIMITS, ...options.env } });
      const [buyer, seller]: Account[] = await Promise.all([t.newBuyer(), t.newAccount('SELLER')]);
      tokens.BUYER = buyer!.token;
      tokens.SELLER = seller!.token;
      tokens.ADMIN = t.admin.token;
      tokens['bad token'] = 'not.a.token';
      // Something to find: a product, an order, a payment, a coupon, a user coupon.
      const auth = (token: string) => ({ token });
      const product = await t.api.post('/api/v1/products', { name: 'Fuzz', category: uniqueName('fuzz'), price: 1_000, options: [{ name: 'ONE', stock: 1_000 }] }, auth(seller!.token));
      const coupon = await t.api.post(
        '/api/v1/coupons',
        { code: uniqueName('FUZZ').toUpperCase(), name: 'Fuzz', type: 'FIXED', discountValue: 100, totalQuantity: 1_000, validFrom: '2026-01-01T00:00:00Z', validUntil: '2099-01-01T00:00:00Z' },
        auth(seller!.token),
      );
      await t.api.post('/api/v1/balances/charge', { amount: 100_000 }, auth(buyer!.token));
      const shippingAddress = { recipient: 'Fuzz', phone: '010-1234-5678', postalCode: '06236', line1: '1 Fuzz-ro' };
      const order = await t.api.post('/api/v1/orders', { items: [{ productId: product.body.id, quantity: 1 }], shippingAddress }, auth(buyer!.token));
      const payment = await t.api.post('/api/v1/payments/process', { orderId: order.body.id }, auth(buyer!.token));
      const userCoupon = await t.api.post('/api/v1/coupons/issue', { couponId: coupon.body.id }, auth(buyer!.token));
      for (const found of [buyer!.id, seller!.id, product.body.id, product.body.options?.[0]?.id, coupon.body.id, order.body.id, payment.body.id, userCoupon.body.id]) {
        if (found !== undefined) ids.push(String(found));
      }
    });
    after(async function () {
      await t?.stop();
    });

    it(`${runs} arbitrary requests: never a 5xx, every 4xx a problem+json of the table (seed ${SEED})`, async function () {
      const { body, segment, query, headers } = arbitraries([...new Set(ids)]);
      const request = fc.constantFrom(...ROUTES).chain((route) =>
        fc
          .record({
            method: fc.oneof({ arbitrary: fc.constant(route.method), weight: 5 }, { arbitrary: fc.constantFrom(...METHODS), weight: 1 }),
            segments: fc.array(segment, { minLength: 8, maxLength: 8 }),
            query,
            caller: fc.oneof({ arbitrary: fc.constantFrom<Caller>('BUYER', 'SELLER', 'ADMIN'), weight: 4 }, fc.constantFrom<Caller>('anonymous', 'bad token')),
            headers,
            body: body(route),
          })
          .map(({ method, segments, query: q, caller, headers: h, body: b }): FuzzRequest => {
            let slot = 0;
            const path = route.template.replace(/\{\w+\}/g, () => segments[slot++] ?? '1');
            const sent: Record<string, string> = { 'content-type': h.contentType };
            if (h.idempotencyKey !== null) sent['idempotency-key'] = h.idempotencyKey;
            if (h.contentEncoding !== null) sent['content-encoding'] = h.contentEncoding;
            if (h.requestId !== null) sent['x-request-id'] = h.requestId;
            if (h.filler !== null) sent['x-filler'] = h.filler;
            const withBody = b !== undefined && method !== 'GET' && method !== 'DELETE';
            return { method, path, query: q, caller, headers: sent, body: withBody ? b : undefined };
          }),
      );

      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const headersSent: Record<string, string> = { ...r.headers };
          const token = tokens[r.caller];
          if (token) headersSent['authorization'] = `Bearer ${token}`;
          const res = await fetch(`${t.api.baseUrl}${r.path}${r.query}`, { method: r.method, headers: headersSent, redirect: 'manual', ...(r.body !== undefined ? { body: r.body } : {}) });
          checkAnswer(r, res.status, res.headers.get('content-type') ?? '', await res.text(), res.headers.get('retry-after'));
        }),
        { seed: SEED, numRuns: runs, endOnFailure: false },
      );
    });
  });
}

fuzzSuite('PostgreSQL', { persistence: 'postgres' }, RUNS);
fuzzSuite('memory adapters', { persistence: 'memory' }, Math.ceil(RUNS / 2));
