import { expect } from 'chai';
import { uniqueEmail } from '../support/environment.js';
import { startTestService, type TestService } from '../support/service.js';
import { expectProblem } from './problem.js';

const SHOP = 'https://shop.example';
const DEV_SHOP = 'http://localhost:5173';
/** As an operator might write them: spaces, a trailing slash, capitals. */
const CORS_ORIGINS = ` HTTPS://Shop.Example/ , ${DEV_SHOP}`;

/**
 * A browser's preflight, as a browser sends it (no ApiClient: OPTIONS is no documented
 * operation, and the preflight answer has no body to hold to the document).
 */
async function preflight(baseUrl: string, path: string, origin: string, method = 'POST', headers = 'authorization, content-type, idempotency-key') {
  return fetch(`${baseUrl}${path}`, {
    method: 'OPTIONS',
    headers: { Origin: origin, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': headers },
  });
}

/** Every Access-Control-* header of an answer. */
function corsHeadersOf(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers].filter(([name]) => name.startsWith('access-control-')));
}

const listOf = (value: string | null) => (value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean);

for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e (${persistence}): CORS for browser storefronts (CORS_ORIGINS)`, function () {
    let t: TestService;
    before(async function () {
      t = await startTestService({ persistence, env: { CORS_ORIGINS } });
    });
    after(async function () {
      await t?.stop();
    });

    it('a preflight from a listed origin: 204, that origin named back (never *), the methods and the headers a storefront sends, Vary: Origin', async function () {
      const res = await preflight(t.service.url, '/api/v1/orders', SHOP);

      expect(res.status).to.equal(204);
      expect(await res.text()).to.equal('');
      expect(res.headers.get('access-control-allow-origin')).to.equal(SHOP);
      expect(listOf(res.headers.get('access-control-allow-methods'))).to.include.members(['get', 'post', 'put', 'patch']);
      expect(listOf(res.headers.get('access-control-allow-headers'))).to.include.members([
        'authorization',
        'content-type',
        'idempotency-key',
        'x-request-id',
      ]);
      expect(Number(res.headers.get('access-control-max-age'))).to.be.above(0);
      expect(res.headers.get('access-control-allow-credentials'), 'Bearer tokens, no cookies').to.equal(null);
      expect(listOf(res.headers.get('vary'))).to.include('origin');
    });

    it('the second listed origin is allowed too, and named back as itself', async function () {
      const res = await preflight(t.service.url, '/api/v1/products', DEV_SHOP, 'GET', 'authorization');
      expect(res.status).to.equal(204);
      expect(res.headers.get('access-control-allow-origin')).to.equal(DEV_SHOP);
    });

    it('a preflight from any other origin (another host, scheme or port, a look-alike, "null") gets no CORS headers, so the browser refuses', async function () {
      for (const origin of ['https://evil.example', 'http://shop.example', 'https://shop.example:8443', 'https://shop.example.evil.test', 'null']) {
        const res = await preflight(t.service.url, '/api/v1/orders', origin);
        expect(corsHeadersOf(res.headers), origin).to.deep.equal({});
        expect(listOf(res.headers.get('vary')), origin).to.include('origin');
      }
    });

    it('what a storefront does: preflight, then sign-up and login with Origin; each answer names the origin and exposes X-Request-Id, Idempotent-Replayed and Retry-After', async function () {
      const flight = await preflight(t.service.url, '/api/v1/auth/signup', SHOP, 'POST', 'content-type, idempotency-key, x-request-id');
      expect(flight.status).to.equal(204);

      const email = uniqueEmail('cors');
      const body = { email, password: 'correct-horse-42', name: 'Storefront Buyer' };
      const headers = { Origin: SHOP, 'Idempotency-Key': `cors-${email}` };
      const signUp = await t.api.post('/api/v1/auth/signup', body, { headers });
      expect(signUp.status, JSON.stringify(signUp.body)).to.equal(201);
      expect(signUp.headers.get('access-control-allow-origin')).to.equal(SHOP);
      expect(listOf(signUp.headers.get('access-control-expose-headers'))).to.include.members(['x-request-id', 'idempotent-replayed', 'retry-after']);
      expect(listOf(signUp.headers.get('vary'))).to.include('origin');

      const replay = await t.api.post('/api/v1/auth/signup', body, { headers });
      expect(replay.status).to.equal(201);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.headers.get('access-control-allow-origin')).to.equal(SHOP);

      const login = await t.api.post('/api/v1/auth/login', { email, password: 'correct-horse-42' }, { headers: { Origin: SHOP } });
      expect(login.status).to.equal(200);
      expect(login.headers.get('access-control-allow-origin')).to.equal(SHOP);
      const me = await t.api.get('/api/v1/users/me', { token: login.body.accessToken, headers: { Origin: SHOP } });
      expect(me.status).to.equal(200);
      expect(me.headers.get('access-control-allow-origin')).to.equal(SHOP);
    });

    it('error answers carry the CORS headers for a listed origin, so the storefront can read them: 401, 404, 400', async function () {
      const unauthenticated = await t.api.get('/api/v1/users/me', { headers: { Origin: SHOP } });
      expectProblem(unauthenticated, 401, 'UNAUTHENTICATED');
      const unknown = await t.api.get('/api/v1/no-such-route', { headers: { Origin: SHOP } });
      expectProblem(unknown, 404, 'NOT_FOUND');
      const invalid = await t.api.post('/api/v1/auth/login', { email: 'not-an-email' }, { headers: { Origin: DEV_SHOP } });
      expectProblem(invalid, 400, 'VALIDATION_FAILED');
      for (const [res, origin] of [[unauthenticated, SHOP], [unknown, SHOP], [invalid, DEV_SHOP]] as const) {
        expect(res.headers.get('access-control-allow-origin'), `${res.status}`).to.equal(origin);
        expect(listOf(res.headers.get('access-control-expose-headers')), `${res.status}`).to.include('x-request-id');
      }
    });

    it('a real request from another origin, or with no Origin at all, is answered as ever, without CORS headers (but Vary: Origin)', async function () {
      for (const headers of [{ Origin: 'https://evil.example' }, {}] as Record<string, string>[]) {
        const res = await t.api.get('/api/v1/products', { headers });
        expect(res.status).to.equal(200);
        expect(corsHeadersOf(res.headers), JSON.stringify(headers)).to.deep.equal({});
        expect(listOf(res.headers.get('vary'))).to.include('origin');
      }
    });
  });
}

describe('e2e: without CORS_ORIGINS there is no CORS at all', function () {
  let t: TestService;
  before(async function () {
    t = await startTestService({ persistence: 'memory' });
  });
  after(async function () {
    await t?.stop();
  });

  it('a preflight from any origin gets no Access-Control-* header, nor does a real request', async function () {
    for (const origin of [SHOP, 'https://evil.example']) {
      const flight = await preflight(t.service.url, '/api/v1/orders', origin);
      expect(flight.status, origin).to.not.equal(204);
      expect(corsHeadersOf(flight.headers), origin).to.deep.equal({});
      const res = await t.api.get('/api/v1/users/me', { headers: { Origin: origin } });
      expectProblem(res, 401, 'UNAUTHENTICATED');
      expect(corsHeadersOf(res.headers), origin).to.deep.equal({});
      expect(res.headers.get('vary'), origin).to.equal(null);
    }
  });
});
