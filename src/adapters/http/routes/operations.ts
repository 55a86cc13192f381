import { Router } from 'express';
import type { Registry } from 'prom-client';
import swaggerUi from 'swagger-ui-express';
import { metricsEndpoint, type MetricsExposure } from '../metrics.js';
import { operation } from '../operation.js';
import { routeDefiner } from '../route.js';

export type DependencyState = 'up' | 'down' | 'off';

export interface HealthChecks {
  /** True once the service is shutting down: it must not be sent new work. */
  stopping(): boolean;
  database(): Promise<DependencyState>;
  redis(): Promise<DependencyState>;
}

export const OPERATIONS_OPERATIONS = {
  home: operation({
    method: 'get',
    path: '/',
    operationId: 'home',
    tag: 'Operations',
    summary: 'Redirects to the API documentation',
    description: 'So that the service\'s address in a browser shows the documentation.',
    auth: 'public',
    responses: [{ status: 302, description: 'To `/docs`', headers: ['Location'] }],
  }),
  liveness: operation({
    method: 'get',
    path: '/health/live',
    operationId: 'liveness',
    tag: 'Operations',
    summary: 'Liveness: 200 while the process runs',
    description: 'Asks no dependency: a process that answers is alive. For the orchestrator\'s restart decision; readiness decides about traffic.',
    auth: 'public',
    responses: [{ status: 200, description: 'The process is running', schema: 'Liveness' }],
  }),
  readiness: operation({
    method: 'get',
    path: '/health/ready',
    operationId: 'readiness',
    tag: 'Operations',
    summary: 'Readiness: can the service answer requests?',
    description:
      'Answers 200 while the database answers, even with Redis down (`status: degraded`, `redis: down`): Redis only saves work. 503, with the same JSON shape (not a problem document), when the database does not answer. ' +
      'From the moment the process is told to stop (SIGTERM) it answers 503 `{status: "stopping"}` at once, without asking the dependencies, while the requests in flight finish (up to 10 seconds); every answer from then on carries `Connection: close`, and the process exits once nothing is in flight.',
    auth: 'public',
    responses: [
      { status: 200, description: 'Ready (`ok`, or `degraded` when Redis is down)', schema: 'Readiness' },
      { status: 503, description: 'Not ready: the database does not answer, or the process is stopping (`status: stopping`)', schema: 'Readiness' },
    ],
  }),
  metrics: operation({
    method: 'get',
    path: '/metrics',
    operationId: 'metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    description:
      'Public by default (for local runs). With `METRICS_TOKEN` set it asks for `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time; anything else is 401 UNAUTHENTICATED with `WWW-Authenticate: Bearer`). ' +
      'With `METRICS_PORT` set it is served only on that port, a listener of its own that answers nothing else, and this port answers 404 NOT_FOUND for it. ' +
      'In production set `METRICS_PORT` to a port the load balancer does not expose, `METRICS_TOKEN`, or both.',
    auth: 'metrics',
    responses: [
      { status: 200, description: 'Prometheus text exposition format (`text/plain; version=0.0.4`)', schema: { type: 'string' }, contentType: 'text/plain' },
    ],
    errors: [
      {
        code: 'UNAUTHENTICATED',
        when: '`METRICS_TOKEN` is set and the request does not carry it as a Bearer token.',
        detail: 'GET /metrics needs its Bearer token',
      },
      {
        code: 'NOT_FOUND',
        when: '`METRICS_PORT` is set, so /metrics is served on that port and not on this one.',
        detail: 'No route GET /metrics',
      },
    ],
  }),
  openApi: operation({
    method: 'get',
    path: '/openapi.json',
    operationId: 'openApi',
    tag: 'Operations',
    summary: 'This OpenAPI 3 document',
    description: 'Built at start-up from the same route declarations that register and validate the requests.',
    auth: 'public',
    responses: [{ status: 200, description: 'The OpenAPI document', schema: { type: 'object' } }],
  }),
  docs: operation({
    method: 'get',
    path: '/docs',
    operationId: 'docs',
    tag: 'Operations',
    summary: 'Swagger UI for this document',
    description:
      '"Try it out" sends each state-changing request with a fresh `Idempotency-Key` unless one is typed in, so a second try is a new request, not a replay.',
    auth: 'public',
    responses: [{ status: 200, description: 'An HTML page', schema: { type: 'string' }, contentType: 'text/html' }],
  }),
};

/**
 * Swagger UI's "Try it out" gives every state-changing request a new Idempotency-Key unless the
 * form has one: a shared example key made every second charge a replay and the next order 422
 * IDEMPOTENCY_KEY_REUSED. It runs in the browser: swagger-ui-express writes a function's source
 * into the page, so it is plain JavaScript text (no compiler output), with getRandomValues, which
 * unlike randomUUID also works on a plain-http host.
 */
const freshIdempotencyKey = new Function(
  'request',
  `if ((request.method || 'GET').toUpperCase() !== 'GET' && !request.headers['Idempotency-Key']) {
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    request.headers['Idempotency-Key'] = Array.from(bytes, function (b) { return b.toString(16).padStart(2, '0'); }).join('');
  }
  return request;`,
);

/** Liveness, readiness, metrics and docs: public, outside /api/v1. */
export function operationsRoutes(health: HealthChecks, registry: Registry, openApi: object, metrics: MetricsExposure): Router {
  const router = Router();
  const route = routeDefiner(router);
  const ops = OPERATIONS_OPERATIONS;

  route(ops.home, (_req, res) => {
    res.redirect(302, '/docs');
  });

  route(ops.liveness, (_req, res) => {
    res.json({ status: 'ok' });
  });

  route(ops.readiness, async (_req, res) => {
    // At once, without asking the dependencies: a balancer should stop sending work right away.
    if (health.stopping()) {
      res.status(503).json({ status: 'stopping' });
      return;
    }
    const [database, redis] = await Promise.all([health.database(), health.redis()]);
    // Redis only saves work: without it the service is slower, not down.
    const status = database === 'up' && redis !== 'down' ? 'ok' : 'degraded';
    res.status(database === 'up' ? 200 : 503).json({ status, checks: { database, redis } });
  });

  if (metrics.onMainPort) route(ops.metrics, metricsEndpoint(registry, metrics.token));

  route(ops.openApi, (_req, res) => {
    res.json(openApi);
  });
  router.use('/docs', swaggerUi.serve);
  route(
    ops.docs,
    swaggerUi.setup(openApi, {
      customSiteTitle: 'Order service API',
      swaggerOptions: { requestInterceptor: freshIdempotencyKey },
    }),
  );

  return router;
}
