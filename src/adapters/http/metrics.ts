import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Histogram, type Registry } from 'prom-client';
import { problem, type Problem } from './problem.js';

/** The route template (`/api/v1/balances/:userId`), never the raw path: ids would explode the label set. */
export function routeTemplateOf(req: Request): string {
  const path = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl || (mountOf.get(req) ?? '')}${path}` : 'unmatched';
}

/**
 * Where the router that matched a request is mounted (API_PREFIX). A request whose route passes
 * an error on reaches the error handler after Express has put req.baseUrl back to the app's (''),
 * so a refused request was labelled `/orders` while an answered one was `/api/v1/orders`.
 */
const mountOf = new WeakMap<Request, string>();

/** Called where the contexts' routers are entered: their routes' templates start with req.baseUrl as it is now. */
export function rememberMount(req: Request): void {
  mountOf.set(req, req.baseUrl);
}

export function httpMetrics(registry: Registry) {
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by route template',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  return (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      end({ method: req.method, route: routeTemplateOf(req), status_code: String(res.statusCode) });
    });
    next();
  };
}

/** Where /metrics is served and whether it asks for a token (METRICS_PORT, METRICS_TOKEN). */
export interface MetricsExposure {
  /** False when a listener of its own serves /metrics: the main port then has no such route (404). */
  onMainPort: boolean;
  /** The Bearer token a scrape must send; null: public. */
  token: string | null;
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * GET /metrics: Prometheus text, behind `Authorization: Bearer <token>` when a token is set.
 * Compared as digests of equal length in constant time, so the answer's timing tells nothing of
 * how much of a guess was right.
 */
export function metricsEndpoint(registry: Registry, token: string | null): RequestHandler {
  const expected = token === null ? null : digest(token);
  return async (req, res) => {
    if (expected) {
      const given = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
      if (!given || !timingSafeEqual(digest(given), expected)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        sendProblem(res, problem('UNAUTHENTICATED', 'GET /metrics needs its Bearer token', req.path));
        return;
      }
    }
    res.type(registry.contentType).send(await registry.metrics());
  };
}

/** The listener of METRICS_PORT: /metrics and nothing else. */
export function createMetricsApp(registry: Registry, token: string | null): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/metrics', metricsEndpoint(registry, token));
  app.use((req, res) => sendProblem(res, problem('NOT_FOUND', `No route ${req.method} ${req.path}`, req.path)));
  return app;
}

function sendProblem(res: Response, body: Problem): void {
  res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
}
