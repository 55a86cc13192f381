import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { expect } from 'chai';
import { type Express, Router } from 'express';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../../src/adapters/http/app.js';
import { operation, type Operation } from '../../../src/adapters/http/operation.js';
import { API_PREFIX } from '../../../src/adapters/http/openapi/service-document.js';
import { firstSegmentsOf, routeDefiner } from '../../../src/adapters/http/route.js';
import { MODULES, openApiDocument } from '../../../src/infrastructure/modules/index.js';

/** Anything asked of it is another of it: enough to build the app's routers without a service. */
function anything(): never {
  const target = function () {};
  const proxy: unknown = new Proxy(target, { get: (_t, key) => (key === 'then' ? undefined : proxy), apply: () => proxy });
  return proxy as never;
}

function appOf(routers: Router[]): Express {
  return createHttpApp({
    routers,
    openApi: openApiDocument,
    health: anything(),
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    metrics: new Registry(),
    metricsExposure: { onMainPort: true, token: null },
    inputLimits: { maxDepth: 0, maxEntries: 0 },
    isDatabaseUnavailable: () => false,
    trustProxy: 0,
  });
}

/**
 * The same routers as Express mounts them one after another: each wrapped in a router of its own,
 * which routeDefiner knows nothing of, so the app enters every one in turn (the dispatch by first
 * segment skips none).
 */
const enteredInTurn = (routers: Router[]): Router[] =>
  routers.map((router) => {
    const wrapper = Router();
    wrapper.use(router);
    return wrapper;
  });

async function listen(app: Express): Promise<{ url: string; server: Server }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Answer {
  status: number;
  allow: string | null;
  contentType: string | null;
  body: string;
}

async function ask(url: string, method: string, path: string, body?: string): Promise<Answer> {
  const res = await fetch(url + path, {
    method,
    headers: { 'x-request-id': 'same-id', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body,
  });
  return { status: res.status, allow: res.headers.get('allow'), contentType: res.headers.get('content-type'), body: await res.text() };
}

const publicOperation = (path: string, method: Operation['method'] = 'get'): Operation =>
  operation({ method, path, operationId: `${method} ${path}`, tag: 'Test', summary: path, auth: 'public', responses: [{ status: 200, description: 'ok' }] });

/** A router of public GET routes, each answering which router and route answered. */
function namedRouter(name: string, paths: string[]): Router {
  const router = Router();
  const route = routeDefiner(router);
  for (const path of paths) route(publicOperation(path), (req, res) => res.json({ router: name, route: req.route?.path, params: req.params }));
  return router;
}

describe('HTTP app: the contexts\' routers under /api/v1', function () {
  describe('firstSegmentsOf', function () {
    it('knows the first segments, in lower case, of routes routeDefiner registered', function () {
      expect([...firstSegmentsOf(namedRouter('a', ['/Orders', '/orders/:id', '/payments/x']))!]).to.have.members(['orders', 'payments']);
    });

    it('does not know them when a path starts with a parameter or a pattern', function () {
      expect(firstSegmentsOf(namedRouter('a', ['/orders', '/:anything']))).to.equal(null);
      expect(firstSegmentsOf(namedRouter('a', ['/orders', '/{*rest}']))).to.equal(null);
      expect(firstSegmentsOf(namedRouter('a', ['/']))).to.equal(null);
    });

    it('does not know them when something else was put on the router, before or after', function () {
      const after = namedRouter('a', ['/orders']);
      after.get('/elsewhere', (_req, res) => void res.end());
      expect(firstSegmentsOf(after)).to.equal(null);
      const before = Router();
      before.use((_req, _res, next) => next());
      routeDefiner(before)(publicOperation('/orders'), (_req, res) => void res.end());
      expect(firstSegmentsOf(before)).to.equal(null);
      expect(firstSegmentsOf(Router())).to.equal(null);
    });
  });

  describe('which router answers', function () {
    let app: { url: string; server: Server };
    before(async function () {
      const foreign = namedRouter('foreign', ['/orders/foreign']);
      foreign.get('/anything/at/all', (_req, res) => void res.json({ router: 'foreign, by hand' }));
      app = await listen(
        appOf([
          namedRouter('first', ['/orders', '/orders/:orderId']),
          namedRouter('second', ['/orders/:orderId', '/orders/only-second', '/payments']),
          foreign,
          namedRouter('param', ['/:kind/param']),
          namedRouter('coupons', ['/coupons/:couponId']),
        ]),
      );
    });
    after(function () {
      app?.server.close();
    });

    const answered = async (path: string, method = 'GET') => {
      const res = await ask(app.url, method, path);
      return res.status === 200 ? (JSON.parse(res.body) as { router: string; route?: string }) : res.status;
    };

    it('the first router, in order, with a route for the path', async function () {
      expect(await answered('/api/v1/orders/7')).to.deep.include({ router: 'first', route: '/orders/:orderId' });
      expect(await answered('/api/v1/orders/only-second')).to.deep.include({ router: 'first', route: '/orders/:orderId' });
      expect(await answered('/api/v1/payments')).to.deep.include({ router: 'second' });
      expect(await answered('/api/v1/coupons/3')).to.deep.include({ router: 'coupons' });
    });

    it('compares the first segment as Express does: in any case, with or without a trailing slash', async function () {
      expect(await answered('/API/V1/ORDERS/7')).to.deep.include({ router: 'first' });
      expect(await answered('/api/v1/Coupons/3/')).to.deep.include({ router: 'coupons' });
      expect(await answered('/api/v1/orders?x=1')).to.deep.include({ router: 'first', route: '/orders' });
    });

    it('enters a router with routes of its own making, or a parameter first, for any segment', async function () {
      expect(await answered('/api/v1/anything/at/all')).to.deep.include({ router: 'foreign, by hand' });
      expect(await answered('/api/v1/orders/foreign')).to.deep.include({ router: 'first' });
      expect(await answered('/api/v1/coupons/param')).to.deep.include({ router: 'param' });
      expect(await answered('/api/v1/payments/param')).to.deep.include({ router: 'param' });
      expect(await answered('/api/v1/whatever/param')).to.deep.include({ router: 'param' });
    });

    it('answers 404 when no router has the route', async function () {
      for (const path of ['/api/v1/nothing', '/api/v1', '/api/v1/', '/api/v1//orders', '/api/v1/%6Frders', '/api/v1/coupons', '/api/v1/orders/1/2']) {
        const res = await ask(app.url, 'GET', path);
        expect(res.status, path).to.equal(404);
        expect(JSON.parse(res.body), path).to.deep.include({ code: 'NOT_FOUND', instance: path.split('?')[0] });
      }
    });

    it('answers OPTIONS from the first router with a route for the path, as Express does', async function () {
      const res = await ask(app.url, 'OPTIONS', '/api/v1/orders/7');
      expect(res.status).to.equal(200);
      expect(res.allow).to.equal('GET, HEAD');
    });

    it('leaves the routers after an error alone', async function () {
      const failing = Router();
      routeDefiner(failing)(publicOperation('/orders/:orderId'), () => {
        throw new Error('boom');
      });
      const own = await listen(appOf([failing, namedRouter('after', ['/orders/:orderId'])]));
      try {
        const res = await ask(own.url, 'GET', '/api/v1/orders/1');
        expect(res.status).to.equal(500);
        expect(JSON.parse(res.body)).to.deep.include({ code: 'INTERNAL' });
      } finally {
        own.server.close();
      }
    });
  });

  describe('the service\'s routers answer as when Express enters every one in turn', function () {
    this.timeout(60_000);
    let dispatched: { url: string; server: Server };
    let inTurn: { url: string; server: Server };
    before(async function () {
      const routers = MODULES.flatMap((module) => module.routes(anything()));
      for (const router of routers) expect(firstSegmentsOf(router), 'every context router is dispatched by its first segments').to.not.equal(null);
      dispatched = await listen(appOf(routers));
      inTurn = await listen(appOf(enteredInTurn(routers)));
    });
    after(function () {
      dispatched?.server.close();
      inTurn?.server.close();
    });

    /** Every documented path under /api/v1 with its parameters filled in, and variations of each. */
    function paths(): string[] {
      const documented = Object.keys(openApiDocument.paths as Record<string, unknown>).map((p) => p.replace(/\{\w+\}/g, '1'));
      const api = documented.filter((p) => p.startsWith(`${API_PREFIX}/`));
      const variants = api.flatMap((p) => [p, p.toUpperCase(), `${p}/`, `${p}/extra`, p.replace(/\/1(?=\/|$)/g, '/me'), p.replace(`${API_PREFIX}/`, `${API_PREFIX}//`)]);
      return [...new Set([...variants, API_PREFIX, `${API_PREFIX}/`, `${API_PREFIX}/nothing`, `${API_PREFIX}/%63oupons`, `${API_PREFIX}/coupons%2Fissue`, '/api', '/nothing'])];
    }

    it('gives the same status, Allow header and body for every route, method and variation (no token, so no handler runs)', async function () {
      const differences: string[] = [];
      for (const path of paths()) {
        for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
          // A body that is not JSON and a query no route takes: a public route refuses them before its handler.
          const body = method === 'GET' || method === 'HEAD' || method === 'OPTIONS' ? undefined : '{not json';
          const target = `${path}?unknownParameter=1`;
          const [a, b] = await Promise.all([ask(dispatched.url, method, target, body), ask(inTurn.url, method, target, body)]);
          if (JSON.stringify(a) !== JSON.stringify(b)) differences.push(`${method} ${target}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
        }
      }
      expect(differences).to.deep.equal([]);
    });
  });

});
