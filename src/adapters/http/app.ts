import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../application/ports/logger.js';
import { PasswordHasherBusy } from '../../application/ports/password-hasher.js';
import { DomainError, RateLimited, TooManyFailures, ValidationFailed } from '../../domain/shared/errors.js';
import { httpMetrics, type MetricsExposure, routeTemplateOf } from './metrics.js';
import { API_PREFIX } from './openapi/service-document.js';
import { keepMalformedEscapesLiteral } from './path-encoding.js';
import { HttpProblem, problem, type Problem, problemOfClientError, type ProblemCode } from './problem.js';
import { requestContext } from './request-context.js';
import { type HealthChecks, operationsRoutes } from './routes/operations.js';
import { type InputLimits, inputLimits } from './validation.js';
import { cors } from './cors.js';

export interface HttpDependencies {
  /** The bounded contexts' routers (each built from its use cases), mounted under API_PREFIX in this order. */
  routers: readonly Router[];
  /** Served at /openapi.json and /docs: the document of the operations endpoints and of `routers`. */
  openApi: object;
  health: HealthChecks;
  metrics: Registry;
  metricsExposure: MetricsExposure;
  logger: Logger;
  /** How deep and wide any JSON input may be (config: JSON_MAX_DEPTH, JSON_MAX_ENTRIES). */
  inputLimits: InputLimits;
  /** True when an error means the database cannot be reached (503, not 500). */
  isDatabaseUnavailable(error: unknown): boolean;
  /** Whose X-Forwarded-For to believe (TRUST_PROXY): a hop count, or proxies' addresses; 0 trusts nobody. */
  trustProxy: number | string[];
  /** Browser origins allowed cross-origin (CORS_ORIGINS); none or empty: no CORS headers at all. */
  corsOrigins?: readonly string[];
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createHttpApp(deps: HttpDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  // What req.ip, and so clientAddressOf, makes of X-Forwarded-For.
  app.set('trust proxy', deps.trustProxy);

  app.use((req, res, next) => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.set('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      requestContext.run({ requestId }, () =>
        deps.logger.info('request', {
          method: req.method,
          route: routeTemplateOf(req),
          status: res.statusCode,
          durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        }),
      );
    });
    requestContext.run({ requestId }, next);
  });
  app.use(httpMetrics(deps.metrics));
  if (deps.corsOrigins && deps.corsOrigins.length > 0) app.use(cors(deps.corsOrigins));
  app.use(keepMalformedEscapesLiteral, inputLimits(deps.inputLimits));

  app.use(operationsRoutes(deps.health, deps.metrics, deps.openApi, deps.metricsExposure));
  for (const router of deps.routers) app.use(API_PREFIX, router);

  app.use((req, _res, next) => {
    next(new HttpProblem('NOT_FOUND', `No route ${req.method} ${pathOf(req)}`));
  });
  app.use(errorHandler(deps));
  return app;
}

function errorHandler(deps: HttpDependencies) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const instance = pathOf(req);
    const body = toProblem(error, instance, deps);
    // A refusal by the bound on password hashing is the bound doing its job under a flood, not a
    // fault: logging each one would flood the log as well.
    if (body.status >= 500 && !(error instanceof PasswordHasherBusy)) {
      deps.logger.error('request failed', {
        method: req.method,
        path: instance,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      });
    }
    if (error instanceof TooManyFailures || error instanceof RateLimited || error instanceof PasswordHasherBusy) {
      res.set('Retry-After', String(Math.max(1, error.retryAfterSeconds)));
    }
    if (res.headersSent) return;
    res.status(body.status).type('application/problem+json').send(JSON.stringify(body));
  };
}

function toProblem(error: unknown, instance: string, deps: HttpDependencies): Problem {
  if (error instanceof HttpProblem) return problem(error.code, error.message, instance, error.errors);
  if (error instanceof ValidationFailed) return problem('VALIDATION_FAILED', error.message, instance, error.errors);
  if (error instanceof DomainError) {
    // Two writers raced and the loser was refused: from the client's side the state moved on.
    const code: ProblemCode = error.code === 'CONCURRENT_MODIFICATION' ? 'INVALID_STATE' : error.code;
    return problem(code, error.message, instance);
  }
  const refused = problemOfClientError(error, instance);
  if (refused) return refused;
  if (error instanceof PasswordHasherBusy) {
    // The service as a whole is saturated, not this client over a limit of its own: 503.
    return problem('UNAVAILABLE', error.message, instance);
  }
  if (deps.isDatabaseUnavailable(error)) {
    return problem('UNAVAILABLE', 'The database is not reachable; try again shortly', instance);
  }
  return problem('INTERNAL', 'An unexpected error occurred; it has been logged with the request id', instance);
}

/** The path as the client sent it, without the query string. */
function pathOf(req: Request): string {
  return req.originalUrl.split('?')[0] ?? req.path;
}
