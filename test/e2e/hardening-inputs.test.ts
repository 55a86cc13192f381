import { connect } from 'node:net';
import { expect } from 'chai';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { uniqueEmail, uniqueName } from '../support/environment.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { couponBody, DAY, fromNow, HOUR } from './coupons-support.js';
import { expectProblem, expectValidation } from './problem.js';

/**
 * The outside fuzz review's findings (hardening issue, items 10 to 15): input that got a 500, or
 * the wrong 4xx, and now gets the contract's answer. One plain test per finding; the fuzz suite
 * (fuzz.test.ts) looks for more of the same.
 */

const CHARGE = '/api/v1/balances/charge';
const PRODUCTS = '/api/v1/products';
const COUPONS = '/api/v1/coupons';
const STATS = '/api/v1/stats/sales';
const JSON_TYPE = { 'content-type': 'application/json' };

/** `depth` arrays inside one another around `leaf`, as JSON text (no recursion to build it). */
const nestedArrays = (depth: number, leaf = '1') => `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`;

describe('e2e: hardening, input that must be refused cleanly (items 10 to 15)', function () {
  let t: TestService;
  let buyer: Account;
  let otherBuyer: Account;
  let seller: Account;
  let productId: number;
  let optionId: number;

  before(async function () {
    t = await startTestService({ env: { JSON_MAX_DEPTH: '32', JSON_MAX_ENTRIES: '1000' } });
    [buyer, otherBuyer, seller] = await Promise.all([t.newBuyer(), t.newBuyer(), t.newAccount('SELLER')]);
    const created = await t.api.post(PRODUCTS, { name: 'Sneaker', category: uniqueName('cat'), price: 10_000, options: [{ name: '270', stock: 5 }] }, { token: seller.token });
    expect(created.status).to.equal(201);
    productId = created.body.id;
    optionId = created.body.options[0].id;
  });
  after(async function () {
    await t?.stop();
  });

  const balanceOf = async (account: Account) => (await t.api.get('/api/v1/balances/me', { token: account.token })).body.balance as number;

  describe('10. malformed percent-encoding in a path parameter is 400 naming it, in the contract\'s order of checks', function () {
    // Every route with a path parameter, from the served document, so a new one is covered too.
    const templated = Object.entries(openApiDocument.paths as Record<string, Record<string, unknown>>)
      .filter(([path]) => path.includes('{'))
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
          .map((method) => [method.toUpperCase(), path] as const),
      );

    it('the document lists the routes with path parameters (the list below is not empty)', function () {
      expect(templated.length).to.be.greaterThan(8);
    });

    for (const [method, template] of templated) {
      it(`${method} ${template} with %FF for each parameter is 400 naming it, not 500`, async function () {
        const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
        const path = template.replace(/\{\w+\}/g, '%FF');
        const body = method === 'GET' || method === 'DELETE' ? undefined : {};
        const res = await t.api.request(method, path, { token: t.admin.token, ...(body ? { body } : {}) });
        expectValidation(res, path, ...names);
      });
    }

    for (const raw of ['%E2%82', '%', '%G1', '%ED%A0%80', 'ok%FF']) {
      it(`GET /api/v1/products/${raw} (cut-off, lone or not UTF-8) is 400 naming productId`, async function () {
        const path = `${PRODUCTS}/${raw}`;
        expectValidation(await t.api.get(path), path, 'productId');
      });
    }

    it('an unknown route stays 404 with a malformed segment, whatever the method (route before shape)', async function () {
      for (const [method, path] of [
        ['DELETE', `${PRODUCTS}/%FF`],
        ['POST', '/api/v1/balances/%FF'],
        ['GET', '/api/v1/nothing/%FF'],
      ] as const) {
        expectProblem(await t.api.request(method, path, { token: buyer.token }), 404, 'NOT_FOUND', path);
      }
    });

    it('without a token a malformed parameter is 401 (authentication before shape)', async function () {
      const path = '/api/v1/balances/%FF/history';
      expectProblem(await t.api.get(path), 401, 'UNAUTHENTICATED', path);
    });

    it('a well-formed escape still works: the product id with every digit escaped (%3N) is that product', async function () {
      const escaped = [...String(productId)].map((digit) => `%3${digit}`).join('');
      const res = await t.api.get(`${PRODUCTS}/${escaped}`);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.id).to.equal(productId);
    });
  });

  describe('11. dates: real ones, within 1970-01-01..9999-12-31', function () {
    for (const [from, to, fields] of [
      ['0000-01-01', '0000-01-02', ['from', 'to']],
      ['1969-12-31', '1970-01-01', ['from']],
      ['9999-12-31', '10000-01-01', ['to']],
      ['2026-02-30', '2026-03-01', ['from']],
    ] as const) {
      it(`GET /stats/sales?from=${from}&to=${to} is 400 naming ${fields.join(' and ')}, not 500`, async function () {
        const res = await t.api.get(`${STATS}?from=${from}&to=${to}&groupBy=day`, { token: t.admin.token });
        expectValidation(res, STATS, ...fields);
      });
    }

    it('the bounds themselves are answered (200)', async function () {
      for (const [from, to] of [
        ['1970-01-01', '1970-01-31'],
        ['9999-12-01', '9999-12-31'],
      ]) {
        const res = await t.api.get(`${STATS}?from=${from}&to=${to}&groupBy=day`, { token: t.admin.token });
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        expect(res.body).to.deep.equal({ items: [] });
      }
    });

    for (const [label, overrides, field] of [
      ['a date with no time', { validFrom: '2026-01-01' }, 'validFrom'],
      ['a day the calendar does not have (Feb 30)', { validFrom: '2026-02-30T00:00:00Z' }, 'validFrom'],
      ['no time zone', { validFrom: '2026-01-01T00:00:00' }, 'validFrom'],
      ['the year 0', { validFrom: '0000-01-01T00:00:00Z' }, 'validFrom'],
      ['the year 275760', { validUntil: '+275760-09-13T00:00:00Z' }, 'validUntil'],
      ['a year past 9999', { validUntil: '10000-01-01T00:00:00Z' }, 'validUntil'],
      ['hour 24', { validUntil: '2099-01-01T24:00:00Z' }, 'validUntil'],
    ] as const) {
      it(`a coupon with ${label} is 400 naming ${field}, and none is created`, async function () {
        const body = couponBody(overrides);
        const res = await t.api.post(COUPONS, body, { token: seller.token });
        expectValidation(res, COUPONS, field);
      });
    }

    it('a date-time with an offset is taken as the instant it names, answered in UTC', async function () {
      const res = await t.api.post(COUPONS, couponBody({ validFrom: '2026-01-01T09:00:00+09:00', validUntil: '2099-12-31T23:59:59.999-00:30' }), { token: seller.token });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.validFrom).to.equal('2026-01-01T00:00:00.000Z');
      expect(res.body.validUntil).to.equal('2100-01-01T00:29:59.999Z');
    });
  });

  describe('12. unpaired UTF-16 surrogates are refused (400) in every text, key and e-mail', function () {
    it('two option names that differ only in a lone surrogate: 400 naming the option, not a 500 from the unique index', async function () {
      const body = { name: 'Tee', category: uniqueName('cat'), price: 10_000, options: [{ name: 'S\uD800', stock: 1 }, { name: 'S\uD801', stock: 1 }] };
      expectValidation(await t.api.post(PRODUCTS, body, { token: seller.token }), PRODUCTS, 'options.0.name');
    });

    it('a lone low surrogate in a product name on PATCH: 400 naming name', async function () {
      const path = `${PRODUCTS}/${productId}`;
      expectValidation(await t.api.request('PATCH', path, { token: seller.token, body: { name: '\uDC00Tee' } }), path, 'name');
    });

    it('an e-mail at sign-up and at login: 400 naming email', async function () {
      const email = uniqueEmail().replace('@', '\uD83D@');
      expectValidation(await t.api.post('/api/v1/auth/signup', { email, password: 'long-enough-1', name: 'Kim' }), '/api/v1/auth/signup', 'email');
      expectValidation(await t.api.post('/api/v1/auth/login', { email, password: 'long-enough-1' }), '/api/v1/auth/login', 'email');
    });

    it('a key with a lone surrogate is 400 too (an unknown field it would be anyway, but never stored)', async function () {
      const res = await t.api.post(CHARGE, { amount: 1_000, ['note\uD800']: 1 }, { token: buyer.token });
      expectProblem(res, 400, 'VALIDATION_FAILED', CHARGE);
      expect(res.body.errors[0].message).to.match(/surrogate/);
    });

    it('a surrogate pair (an emoji) is ordinary text: accepted', async function () {
      const res = await t.api.post(PRODUCTS, { name: 'Tee 👕', category: uniqueName('cat'), price: 10_000, options: [{ name: 'S 😀', stock: 1 }] }, { token: seller.token });
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.body.name).to.equal('Tee 👕');
    });
  });

  describe('13. depth and width: refused before anything recursive runs', function () {
    it('a body nested 5,000 deep is 400 "nested too deeply", with an Idempotency-Key too, and charges nothing', async function () {
      const before = await balanceOf(buyer);
      for (const rawBody of [`{"amount":${nestedArrays(5_000)}}`, `{"amount":1000,"requestId":${nestedArrays(5_000, '"k"')}}`]) {
        const res = await t.api.request('POST', CHARGE, { token: buyer.token, rawBody, headers: { ...JSON_TYPE, 'Idempotency-Key': uniqueName('deep') } });
        expectValidation(res, CHARGE, 'body');
        expect(res.body.errors[0].message).to.match(/nested too deeply/);
      }
      expect(await balanceOf(buyer)).to.equal(before);
    });

    it('a public route too: sign-up nested 100,000 deep is 400, not 500', async function () {
      const path = '/api/v1/auth/signup';
      const rawBody = `{"email":"a@b.c","password":"long-enough-1","name":${nestedArrays(100_000, '"n"')}}`;
      expectValidation(await t.api.request('POST', path, { rawBody, headers: JSON_TYPE }), path, 'body');
    });

    it('33 levels are too deep, wherever they are', async function () {
      const path = '/api/v1/orders';
      const rawBody = `{"items":[{"productId":1,"quantity":${nestedArrays(31)}}]}`;
      const res = await t.api.request('POST', path, { token: buyer.token, rawBody, headers: JSON_TYPE });
      expectValidation(res, path, 'body');
      expect(res.body.errors[0].message).to.equal('is nested too deeply: at most 32 levels of objects and arrays');
    });

    it('1 MB of empty order lines (150,000 of them) is 400 naming items, not a 500 from the validator', async function () {
      const path = '/api/v1/orders';
      const res = await t.api.post(path, { items: Array.from({ length: 150_000 }, () => ({})) }, { token: buyer.token });
      expectValidation(res, path, 'items');
      expect(res.body.errors[0].message).to.equal('has too many entries: at most 1000 in one object or array');
    });

    it('a body with many broken fields lists at most 20 of them', async function () {
      const res = await t.api.post(PRODUCTS, { name: 'Tee', category: 'c', price: 10_000, options: Array.from({ length: 500 }, () => ({})) }, { token: seller.token });
      expectValidation(res, PRODUCTS);
      expect(res.body.errors).to.have.length(20);
    });
  });

  describe('14. money and quantities are whole numbers: a fraction or an unsafe integer is 400', function () {
    const UNSAFE = 9_007_199_254_740_993;

    it('POST /balances/charge {"amount":1000.5} is 400 naming amount (not 422), and charges nothing', async function () {
      const before = await balanceOf(buyer);
      expectValidation(await t.api.post(CHARGE, { amount: 1000.5 }, { token: buyer.token }), CHARGE, 'amount');
      expectValidation(await t.api.request('POST', CHARGE, { token: buyer.token, rawBody: `{"amount":${UNSAFE}}`, headers: JSON_TYPE }), CHARGE, 'amount');
      expectValidation(await t.api.request('POST', CHARGE, { token: buyer.token, rawBody: '{"amount":1e400}', headers: JSON_TYPE }), CHARGE, 'amount');
      expect(await balanceOf(buyer)).to.equal(before);
    });

    it('the wallet rule is still 422: a whole amount below the minimum', async function () {
      expectProblem(await t.api.post(CHARGE, { amount: 999 }, { token: buyer.token }), 422, 'INVALID_CHARGE_AMOUNT', CHARGE);
    });

    const product = () => ({ name: 'Tee', category: uniqueName('cat'), price: 10_000, options: [{ name: 'S', stock: 1 }] });
    const cases: Array<[string, () => string, () => unknown, string]> = [
      ['product price', () => PRODUCTS, () => ({ ...product(), price: 10_000.5 }), 'price'],
      ['option stock', () => PRODUCTS, () => ({ ...product(), options: [{ name: 'S', stock: 1.5 }] }), 'options.0.stock'],
      ['price on PATCH', () => `${PRODUCTS}/${productId}`, () => ({ price: 100.25 }), 'price'],
      ['restock quantity', () => `${PRODUCTS}/${productId}/options/${optionId}/restock`, () => ({ quantity: 2.5 }), 'quantity'],
      ['order quantity', () => '/api/v1/orders', () => ({ items: [{ productId, optionId, quantity: 1.5 }] }), 'items.0.quantity'],
      ['coupon discountValue', () => COUPONS, () => couponBody({ discountValue: 1_000.5 }), 'discountValue'],
      ['coupon maxDiscountAmount', () => COUPONS, () => couponBody({ maxDiscountAmount: 0.5 }), 'maxDiscountAmount'],
      ['coupon minOrderAmount', () => COUPONS, () => couponBody({ minOrderAmount: 10_000.01 }), 'minOrderAmount'],
      ['coupon totalQuantity', () => COUPONS, () => couponBody({ totalQuantity: 2.5 }), 'totalQuantity'],
      ['coupon perUserLimit', () => COUPONS, () => couponBody({ perUserLimit: 1.5 }), 'perUserLimit'],
    ];
    for (const [label, path, body, field] of cases) {
      it(`a fraction in the ${label} is 400 naming ${field}`, async function () {
        const method = label.includes('PATCH') ? 'PATCH' : 'POST';
        const token = label.startsWith('order') ? buyer.token : seller.token;
        expectValidation(await t.api.request(method, path(), { token, body: body() }), path(), field);
      });
    }

    it('an integer beyond Number.MAX_SAFE_INTEGER in a price, a coupon amount or an id is 400 naming it', async function () {
      const raw = (path: string, text: string, token: string) => t.api.request('POST', path, { token, rawBody: text, headers: JSON_TYPE });
      const coupon = JSON.stringify(couponBody()).slice(0, -1);
      expectValidation(await raw(PRODUCTS, `{"name":"T","category":"c","price":${UNSAFE},"options":[{"name":"S","stock":1}]}`, seller.token), PRODUCTS, 'price');
      expectValidation(await raw(COUPONS, `${coupon},"minOrderAmount":${UNSAFE}}`, seller.token), COUPONS, 'minOrderAmount');
      expectValidation(await raw('/api/v1/payments/process', `{"orderId":${UNSAFE}}`, buyer.token), '/api/v1/payments/process', 'orderId');
    });
  });

  describe('15. the shape (400) comes before permission (403)', function () {
    it('a BUYER charging another user\'s wallet with a fraction is 400, not 403; with a good body 403', async function () {
      expectValidation(await t.api.post(CHARGE, { userId: otherBuyer.id, amount: 1000.5 }, { token: buyer.token }), CHARGE, 'amount');
      expectProblem(await t.api.post(CHARGE, { userId: otherBuyer.id, amount: 1_000 }, { token: buyer.token }), 403, 'FORBIDDEN', CHARGE);
    });

    it('a BUYER creating a coupon that ends before it starts is 400 naming validUntil, not 403', async function () {
      const body = couponBody({ validFrom: fromNow(2 * DAY), validUntil: fromNow(DAY) });
      expectValidation(await t.api.post(COUPONS, body, { token: buyer.token }), COUPONS, 'validUntil');
      const past = couponBody({ validFrom: fromNow(-2 * DAY), validUntil: fromNow(-HOUR) });
      expectValidation(await t.api.post(COUPONS, past, { token: buyer.token }), COUPONS, 'validUntil');
      expectProblem(await t.api.post(COUPONS, couponBody(), { token: buyer.token }), 403, 'FORBIDDEN', COUPONS);
    });

    it('every other route a BUYER may not use answers a malformed request 400 first', async function () {
      const cases: Array<[string, string, unknown, string]> = [
        ['POST', '/api/v1/users', { email: 'x', role: 'SELLER' }, 'email'],
        ['POST', PRODUCTS, { name: 'T', category: 'c', price: 1.5, options: [{ name: 'S', stock: 1 }] }, 'price'],
        ['PATCH', `${PRODUCTS}/${productId}`, { price: 'lots' }, 'price'],
        ['POST', `${PRODUCTS}/${productId}/options/${optionId}/restock`, { quantity: 0.5 }, 'quantity'],
        ['GET', `${STATS}?from=2026-02-30&to=2026-03-01&groupBy=day`, undefined, 'from'],
        ['GET', '/api/v1/admin/events?status=NOPE', undefined, 'status'],
        ['POST', '/api/v1/admin/events/not-a-uuid/retry', {}, 'eventId'],
        ['GET', `/api/v1/balances/${otherBuyer.id}/history?size=1.5`, undefined, 'size'],
        ['GET', `/api/v1/coupons/user/${otherBuyer.id}?status=NOPE`, undefined, 'status'],
        ['POST', CHARGE, { userId: otherBuyer.id, amount: '1000' }, 'amount'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await t.api.request(method, path, { token: buyer.token, ...(body !== undefined ? { body } : {}) });
        expectValidation(res, path.split('?')[0]!, field);
      }
    });

    it('a SELLER changing another seller\'s product with a malformed body is 400, with a good one 403', async function () {
      const other = await t.newAccount('SELLER');
      const path = `${PRODUCTS}/${productId}`;
      expectValidation(await t.api.request('PATCH', path, { token: other.token, body: { price: 0.5 } }), path, 'price');
      expectProblem(await t.api.request('PATCH', path, { token: other.token, body: { price: 20_000 } }), 403, 'FORBIDDEN', path);
    });
  });

  describe('found by the fuzz suite (fuzz.test.ts)', function () {
    it('an empty key in a body is 400 naming the body, never an empty field name', async function () {
      const path = '/api/v1/orders/1/complete';
      const res = await t.api.post(path, { '': '' }, { token: t.admin.token });
      expectValidation(res, path, 'body');
      for (const e of res.body.errors as Array<{ field: string }>) expect(e.field).to.not.equal('');
    });
  });

  describe('requests Node\'s HTTP parser refuses get a problem answer too', function () {
    /** Sends raw bytes and reads the whole answer (the server closes the connection). */
    const sendRaw = (raw: string) =>
      new Promise<string>((resolve, reject) => {
        const { port } = new URL(t.api.baseUrl);
        const socket = connect(Number(port), '127.0.0.1', () => socket.end(raw));
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
        socket.on('close', () => resolve(answer));
        socket.on('error', reject);
      });

    const problemOf = (answer: string) => {
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      return { head, body: JSON.parse(body) as Record<string, unknown> };
    };

    it('headers over 16 KB: 400 VALIDATION_FAILED naming headers, as problem+json, instead of a bare 431', async function () {
      const { head, body } = problemOf(await sendRaw(`GET /api/v1/products HTTP/1.1\r\nHost: x\r\nX-Filler: ${'f'.repeat(20_000)}\r\n\r\n`));
      expect(head).to.match(/^HTTP\/1\.1 400 /).and.to.match(/content-type: application\/problem\+json/i).and.to.match(/x-request-id: \S+/i);
      expect(body).to.deep.include({ status: 400, code: 'VALIDATION_FAILED', instance: '/api/v1/products', errors: [{ field: 'headers', message: 'are too large' }] });
    });

    it('a malformed header line: 400 VALIDATION_FAILED naming the request', async function () {
      const { head, body } = problemOf(await sendRaw('GET /api/v1/products HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
      expect(head).to.match(/^HTTP\/1\.1 400 /).and.to.match(/content-type: application\/problem\+json/i);
      expect(body).to.deep.include({ code: 'VALIDATION_FAILED', errors: [{ field: 'request', message: 'is not valid HTTP/1.1' }] });
    });
  });
});
