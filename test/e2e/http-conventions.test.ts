import { expect } from 'chai';
import { uniqueEmail } from '../support/environment.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation, forgeToken } from './problem.js';

const CHARGE = '/api/v1/balances/charge';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('e2e: HTTP conventions and operations endpoints', function () {
  let t: TestService;
  let buyer: Account;

  before(async function () {
    t = await startTestService();
    buyer = await t.newBuyer();
  });
  after(async function () {
    await t?.stop();
  });

  const balance = async () => (await t.api.get('/api/v1/balances/me', { token: buyer.token })).body.balance as number;

  describe('unknown routes: 404 NOT_FOUND, checked before authentication', function () {
    for (const [method, path] of [
      ['GET', '/api/v1/nothing-here'],
      ['GET', '/nothing-here'],
      ['POST', '/api/v1/orders/nothing'],
      ['DELETE', '/api/v1/users/me'],
      ['POST', '/api/v1/balances/5'],
      ['GET', '/api/v1/balances/me/history/extra'],
    ] as const) {
      it(`${method} ${path} is 404 without a token (not 401)`, async function () {
        expectProblem(await t.api.request(method, path), 404, 'NOT_FOUND', path);
      });

      it(`${method} ${path} is 404 with a token`, async function () {
        expectProblem(await t.api.request(method, path, { token: buyer.token }), 404, 'NOT_FOUND', path);
      });
    }

    it('an unknown route is 404 even with a bad token and a malformed body', async function () {
      const path = '/api/v1/nothing-here';
      const res = await t.api.request('POST', path, { rawBody: '{oops', headers: { ...JSON_TYPE, authorization: 'Bearer nope' } });
      expectProblem(res, 404, 'NOT_FOUND', path);
    });

    it('the instance is the path without the query string', async function () {
      const res = await t.api.get('/api/v1/nothing-here?page=2&x=y');
      expectProblem(res, 404, 'NOT_FOUND', '/api/v1/nothing-here');
    });
  });

  describe('X-Request-Id', function () {
    it('echoes the request\'s own id, on success and on error answers', async function () {
      const ok = await t.api.get('/health/live', { headers: { 'X-Request-Id': 'e2e-req-42' } });
      const missing = await t.api.get('/api/v1/nothing-here', { headers: { 'X-Request-Id': 'e2e-req-43' } });
      const unauthenticated = await t.api.get('/api/v1/users/me', { headers: { 'X-Request-Id': 'e2e-req-44' } });
      const invalid = await t.api.post(CHARGE, { amount: 999 }, { token: buyer.token, headers: { 'X-Request-Id': 'e2e-req-45' } });
      expect(ok.headers.get('x-request-id')).to.equal('e2e-req-42');
      expect(missing.headers.get('x-request-id')).to.equal('e2e-req-43');
      expect(unauthenticated.headers.get('x-request-id')).to.equal('e2e-req-44');
      expect(invalid.headers.get('x-request-id')).to.equal('e2e-req-45');
    });

    it('generates a non-empty id, a new one per request, when none is sent', async function () {
      const answers = await Promise.all([
        t.api.get('/health/live'),
        t.api.get('/api/v1/users/me', { token: buyer.token }),
        t.api.get('/api/v1/users/me'),
        t.api.get('/api/v1/nothing-here'),
      ]);
      const ids = answers.map((r) => r.headers.get('x-request-id'));
      for (const id of ids) expect(id).to.be.a('string').that.is.not.empty;
      expect(new Set(ids).size).to.equal(ids.length);
    });
  });

  describe('bodies', function () {
    it('answers 413 PAYLOAD_TOO_LARGE to an authenticated body over 1 MB, and charges nothing', async function () {
      const before = await balance();
      const rawBody = JSON.stringify({ amount: 1_000, note: 'x'.repeat(1_100_000) });
      const res = await t.api.request('POST', CHARGE, { token: buyer.token, rawBody, headers: JSON_TYPE });
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE', CHARGE);
      expect(await balance()).to.equal(before);
    });

    it('answers 415 UNSUPPORTED_MEDIA_TYPE to a text/plain body', async function () {
      const res = await t.api.request('POST', CHARGE, { token: buyer.token, rawBody: '{"amount":1000}', headers: { 'content-type': 'text/plain' } });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE', CHARGE);
    });

    it('answers 415 to a form-encoded body and charges nothing', async function () {
      const before = await balance();
      const res = await t.api.request('POST', CHARGE, {
        token: buyer.token,
        rawBody: 'amount=1000',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE', CHARGE);
      expect(await balance()).to.equal(before);
    });

    it('answers 400 VALIDATION_FAILED with errors to malformed JSON', async function () {
      const res = await t.api.request('POST', CHARGE, { token: buyer.token, rawBody: '{"amount": 1000', headers: JSON_TYPE });
      expectValidation(res, CHARGE);
    });

    it('answers 400 to malformed JSON on a public route too (sign-up)', async function () {
      const path = '/api/v1/auth/signup';
      expectValidation(await t.api.request('POST', path, { rawBody: '{"email":', headers: JSON_TYPE }), path);
    });

    it('answers 400 to a JSON body that is not an object', async function () {
      expectValidation(await t.api.request('POST', CHARGE, { token: buyer.token, rawBody: '[1000]', headers: JSON_TYPE }), CHARGE);
    });

    it('checks authentication before the body: no token + malformed JSON is 401', async function () {
      const res = await t.api.request('POST', CHARGE, { rawBody: '{"amount": 1000', headers: JSON_TYPE });
      expectProblem(res, 401, 'UNAUTHENTICATED', CHARGE);
    });

    it('checks authentication before the media type: no token + text/plain is 401', async function () {
      const res = await t.api.request('POST', CHARGE, { rawBody: 'hello', headers: { 'content-type': 'text/plain' } });
      expectProblem(res, 401, 'UNAUTHENTICATED', CHARGE);
    });

    it('checks authentication before the shape: an expired token with a bad body is 401', async function () {
      const token = forgeToken({ sub: buyer.id, role: 'BUYER', exp: Math.floor(Date.now() / 1000) - 10 });
      expectProblem(await t.api.post(CHARGE, { amount: 'lots' }, { token }), 401, 'UNAUTHENTICATED', CHARGE);
    });

    it('answers 400 naming Idempotency-Key to an empty Idempotency-Key (1..255 characters)', async function () {
      const res = await t.api.post(CHARGE, { amount: 1_000 }, { token: buyer.token, headers: { 'Idempotency-Key': '' } });
      expectValidation(res, CHARGE, 'Idempotency-Key');
    });
  });

  describe('unexpected input never shows internals', function () {
    // Provoking a 500 without changing the service: PostgreSQL cannot store U+0000 in text.
    const NUL_CASES = [
      { label: 'sign-up name', path: '/api/v1/auth/signup', field: 'name', body: () => ({ email: uniqueEmail(), password: 'long-enough-1', name: 'Kim\u0000' }) },
      { label: 'login e-mail', path: '/api/v1/auth/login', field: 'email', body: () => ({ email: `nul\u0000${uniqueEmail()}`, password: 'long-enough-1' }) },
      { label: 'charge requestId', path: CHARGE, field: 'requestId', body: () => ({ amount: 1_000, requestId: 'key\u0000' }) },
    ];

    for (const c of NUL_CASES) {
      it(`a NUL character in the ${c.label}: whatever the status, a clean problem with no stack, SQL or driver message`, async function () {
        const res = await t.api.post(c.path, c.body(), { token: buyer.token, headers: { 'X-Request-Id': 'e2e-nul' } });
        expect(res.headers.get('x-request-id')).to.equal('e2e-nul');
        if (res.status === 500) {
          expectProblem(res, 500, 'INTERNAL', c.path);
          expect(res.body.detail).not.to.match(/byte|utf8|0x00|encoding|postgres/i);
        } else {
          expect(res.status).to.be.oneOf([400, 401]);
          expectProblem(res, res.status, res.status === 400 ? 'VALIDATION_FAILED' : 'UNAUTHENTICATED', c.path);
        }
      });
    }

    // A string the database cannot store is a shape problem of the request (400), never a 500.
    for (const c of NUL_CASES) {
      it(`a NUL character in the ${c.label} is 400 VALIDATION_FAILED naming ${c.field}, not 500`, async function () {
        const res = await t.api.post(c.path, c.body(), { token: buyer.token });
        expectValidation(res, c.path, c.field);
      });
    }
  });

  describe('health, metrics and documents', function () {
    it('GET /health/live answers 200 {status: "ok"}', async function () {
      const res = await t.api.get('/health/live');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('GET /health/ready answers 200 {status: "ok", checks: {database: "up", redis: "off"}} without Redis', async function () {
      const res = await t.api.get('/health/ready');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body).to.deep.equal({ status: 'ok', checks: { database: 'up', redis: 'off' } });
    });

    it('GET /metrics is Prometheus text with http_request_duration_seconds labelled by route template, not the raw id', async function () {
      const read = await t.api.get(`/api/v1/balances/${buyer.id}`, { token: buyer.token });
      expect(read.status).to.equal(200);

      const res = await t.api.get('/metrics');

      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/plain/);
      const text = res.body as string;
      expect(text).to.include('# TYPE http_request_duration_seconds histogram');
      const lines = text.split('\n').filter((l) => l.startsWith('http_request_duration_seconds'));
      const balanceLines = lines.filter((l) => l.includes('route="/api/v1/balances/:userId"'));
      expect(balanceLines, 'series for the balance route').to.not.be.empty;
      expect(balanceLines.some((l) => l.startsWith('http_request_duration_seconds_count{') && l.includes('method="GET"') && l.includes('status_code="200"'))).to.equal(true);
      expect(text).not.to.include(`route="/api/v1/balances/${buyer.id}"`);
      expect(text).not.to.match(/route="\/api\/v1\/balances\/\d+"/);
    });

    it('GET /openapi.json is an OpenAPI 3 document listing every endpoint', async function () {
      const res = await t.api.get('/openapi.json');

      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body.openapi).to.match(/^3\.\d+\.\d+$/);
      expect(res.body.info?.title).to.be.a('string').that.is.not.empty;
      const expected: Array<[string, string]> = [
        ['post', '/api/v1/auth/signup'],
        ['post', '/api/v1/auth/login'],
        ['get', '/api/v1/users/me'],
        ['post', '/api/v1/users'],
        ['put', '/api/v1/users/me/password'],
        ['patch', '/api/v1/users/{userId}'],
        ['post', '/api/v1/balances/charge'],
        ['get', '/api/v1/balances/{userId}'],
        ['get', '/api/v1/balances/{userId}/history'],
        ['get', '/api/v1/payments/{paymentId}/recovery'],
        ['get', '/api/v1/admin/payments'],
        ['post', '/api/v1/admin/payments/{paymentId}/retry'],
        ['get', '/health/live'],
        ['get', '/health/ready'],
        ['get', '/metrics'],
        ['get', '/openapi.json'],
        ['get', '/docs'],
      ];
      const listed = Object.entries(res.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
        Object.keys(ops)
          .filter((m) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map((m) => `${m} ${path}`),
      );
      for (const [method, path] of expected) expect(listed, `${method.toUpperCase()} ${path}`).to.include(`${method} ${path}`);
    });

    it('GET /docs answers 200 HTML (Swagger UI)', async function () {
      const res = await t.api.get('/docs');
      expect(res.status).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^text\/html/);
      expect(res.body as string).to.match(/<html/i).and.to.match(/swagger/i);
    });

    it('GET / leads to /docs', async function () {
      const res = await fetch(`${t.api.baseUrl}/`, { redirect: 'manual' });
      expect(res.status).to.equal(302);
      expect(res.headers.get('location')).to.equal('/docs');
    });

    it('"Try it out" sends each state-changing request with a fresh Idempotency-Key unless one is typed in', async function () {
      const script = (await t.api.get('/docs/swagger-ui-init.js')).body as string;
      const source = /"requestInterceptor":\s*(function anonymous\(request\s*\)\s*\{[\s\S]*?\n\})/.exec(script)?.[1];
      expect(source, 'the interceptor in the page').to.be.a('string');
      const intercept = new Function(`return (${source!})`)() as (r: { method: string; headers: Record<string, string> }) => { headers: Record<string, string> };
      const first = intercept({ method: 'POST', headers: {} }).headers['Idempotency-Key'];
      const second = intercept({ method: 'post', headers: {} }).headers['Idempotency-Key'];
      expect(first).to.match(/^[0-9a-f]{32}$/);
      expect(second).to.match(/^[0-9a-f]{32}$/).and.not.equal(first);
      expect(intercept({ method: 'PUT', headers: { 'Idempotency-Key': 'typed' } }).headers['Idempotency-Key']).to.equal('typed');
      expect(intercept({ method: 'GET', headers: {} }).headers).to.not.have.property('Idempotency-Key');
    });
  });
});
