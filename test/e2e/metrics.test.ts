import { expect } from 'chai';
import { freePort } from '../support/free-port.js';
import { ApiClient, startTestService, type TestService } from '../support/service.js';
import { expectProblem } from './problem.js';

const TOKEN = 'scrape-token-0123456789abcdef';

/** A scrape as Prometheus makes it: Prometheus text, with the service's own series. */
function expectPrometheusText(res: { status: number; headers: Headers; body: unknown }): void {
  expect(res.status).to.equal(200);
  expect(res.headers.get('content-type')).to.match(/^text\/plain/);
  expect(res.body as string).to.include('# TYPE http_request_duration_seconds histogram');
}

describe('e2e: who may read /metrics (METRICS_PORT, METRICS_TOKEN)', function () {
  describe('neither set (the default, for local runs)', function () {
    let t: TestService;
    before(async function () {
      t = await startTestService({ persistence: 'memory' });
    });
    after(async function () {
      await t?.stop();
    });

    it('is public on the main port', async function () {
      expectPrometheusText(await t.api.get('/metrics'));
      expect(t.service.metricsUrl).to.equal(null);
    });

    it('labels a refused API request with its full route template, as an answered one', async function () {
      expectProblem(await t.api.post('/api/v1/orders', { items: [] }), 401, 'UNAUTHENTICATED', '/api/v1/orders');
      expect((await t.api.get('/api/v1/products')).status).to.equal(200);
      const scrape = (await t.api.get('/metrics')).body as string;
      expect(scrape).to.match(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/orders"[^}]*status_code="401"/);
      expect(scrape).to.match(/http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/products"[^}]*status_code="200"/);
      expect(scrape).not.to.match(/route="\/orders"/);
    });
  });

  describe('METRICS_TOKEN set', function () {
    let t: TestService;
    before(async function () {
      t = await startTestService({ persistence: 'memory', env: { METRICS_TOKEN: TOKEN } });
    });
    after(async function () {
      await t?.stop();
    });

    it('without a token: 401 UNAUTHENTICATED problem+json with WWW-Authenticate, and no metrics', async function () {
      const res = await t.api.get('/metrics');
      expectProblem(res, 401, 'UNAUTHENTICATED', '/metrics');
      expect(res.headers.get('www-authenticate')).to.match(/^Bearer\b/);
      expect(JSON.stringify(res.body)).not.to.include('http_request_duration_seconds');
    });

    it('with a wrong token, a prefix of the token, or the token in another scheme: 401', async function () {
      for (const authorization of [`Bearer wrong-${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN]) {
        expectProblem(await t.api.get('/metrics', { headers: { authorization } }), 401, 'UNAUTHENTICATED', '/metrics');
      }
    });

    it('with `Authorization: Bearer <token>`: 200 Prometheus text', async function () {
      expectPrometheusText(await t.api.get('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }));
    });

    it('the rest of the operations endpoints stay public', async function () {
      expect((await t.api.get('/health/live')).status).to.equal(200);
      expect((await t.api.get('/health/ready')).status).to.equal(200);
    });
  });

  describe('METRICS_PORT set', function () {
    let t: TestService;
    let metrics: ApiClient;
    before(async function () {
      t = await startTestService({ persistence: 'memory', env: { METRICS_PORT: String(await freePort()) } });
      metrics = new ApiClient(t.service.metricsUrl!, false);
    });
    after(async function () {
      await t?.stop();
    });

    it('the main port answers 404 NOT_FOUND for /metrics', async function () {
      expectProblem(await t.api.get('/metrics'), 404, 'NOT_FOUND', '/metrics');
    });

    it('the metrics port serves /metrics, with the main port\'s request series', async function () {
      await t.api.get('/health/live');
      const res = await metrics.get('/metrics');
      expectPrometheusText(res);
      expect(res.body as string).to.match(/http_request_duration_seconds_count\{[^}]*route="\/health\/live"/);
    });

    it('the metrics port serves nothing else: the API is 404 there', async function () {
      expectProblem(await metrics.get('/api/v1/products'), 404, 'NOT_FOUND', '/api/v1/products');
      expectProblem(await metrics.get('/health/ready'), 404, 'NOT_FOUND', '/health/ready');
    });
  });

  describe('METRICS_PORT and METRICS_TOKEN set', function () {
    let t: TestService;
    let metrics: ApiClient;
    before(async function () {
      t = await startTestService({ persistence: 'memory', env: { METRICS_PORT: String(await freePort()), METRICS_TOKEN: TOKEN } });
      metrics = new ApiClient(t.service.metricsUrl!, false);
    });
    after(async function () {
      await t?.stop();
    });

    it('the metrics port asks for the token too', async function () {
      expectProblem(await metrics.get('/metrics'), 401, 'UNAUTHENTICATED', '/metrics');
      expectPrometheusText(await metrics.get('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }));
      expectProblem(await t.api.get('/metrics', { headers: { authorization: `Bearer ${TOKEN}` } }), 404, 'NOT_FOUND', '/metrics');
    });
  });
});
