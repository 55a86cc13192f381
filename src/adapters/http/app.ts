import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../application/ports/logger.js';
import { PasswordHasherBusy } from '../../application/ports/password-hasher.js';
import { DomainError, RateLimited, TooManyFailures, ValidationFailed } from '../../domain/shared/errors.js';
import { sendJson } from './answer.js';
import { httpMetrics, type MetricsExposure, rememberMount, routeTemplateOf } from './metrics.js';
import { API_PREFIX } from './openapi/service-document.js';
import { keepMalformedEscapesLiteral } from './path-encoding.js';
import { HttpProblem, problem, type Problem, problemOfClientError, type ProblemCode } from './problem.js';
import { requestContext } from './request-context.js';
import { errorHandlerForRoutes, inSequence } from './in-sequence.js';
import { firstSegmentsOf } from './route.js';
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

  const answerError = errorHandler(deps);
  const everyRequest: RequestHandler[] = [
    (req, res, next) => {
      // req.headers as req.get() reads it, without its lower-casing of the name on every request.
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
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
    },
    httpMetrics(deps.metrics),
    ...(deps.corsOrigins && deps.corsOrigins.length > 0 ? [cors(deps.corsOrigins)] : []),
    keepMalformedEscapesLiteral,
    inputLimits(deps.inputLimits),
    errorHandlerForRoutes(answerError),
  ];
  // One layer of the app's stack for all of them.
  app.use(inSequence(everyRequest));

  // Before the operations routes, none of whose paths (/, /health/..., /metrics, /openapi.json,
  // /docs) is under API_PREFIX: an API request need not walk them first.
  app.use(API_PREFIX, apiRouters(deps.routers));
  // An API route answers its own error (answerErrorsAtOnce); an error of the routers' entry is
  // answered here, not carried through the operations routes (Express would match every one of
  // their paths on the way to the handler at the end).
  app.use(answerError);
  app.use(operationsRoutes(deps.health, deps.metrics, deps.openApi, deps.metricsExposure));

  app.use((req, _res, next) => {
    next(new HttpProblem('NOT_FOUND', `No route ${req.method} ${pathOf(req)}`));
  });
  app.use(answerError);
  return app;
}

/** The contexts' routers as mounted under API_PREFIX; `routers` for whoever walks what is registered. */
export interface ApiRouters extends RequestHandler {
  readonly routers: readonly Router[];
}

/**
 * The contexts' routers, as if each were mounted at API_PREFIX in turn (the first to answer
 * answers; an error skips the rest), but a request only enters those that have a route for its
 * path's first segment (`/coupons/...`: the coupons router). Express would enter every one in
 * turn, each entry and exit rewriting and parsing the URL again, and walk its routes: for a coupon
 * issue, seven routers and some thirty routes, more than any other step of the HTTP layer. The
 * routers skipped for a segment are only those whose every route starts with another literal
 * segment (firstSegmentsOf); a router that may match anything, and every router for a segment no
 * router names, are still entered in order, so which route answers, and the 404 and OPTIONS
 * answers, are Express's own.
 */
function apiRouters(routers: readonly Router[]): ApiRouters {
  const segmentsOf = routers.map(firstSegmentsOf);
  const named = new Set(segmentsOf.flatMap((segments) => [...(segments ?? [])]));
  const bySegment = new Map([...named].map((segment) => [segment, inSequence(routers.filter((_, i) => segmentsOf[i]?.has(segment) ?? true))]));
  // A segment no router names: the routers that may match anything.
  const others = inSequence(routers.filter((_, i) => segmentsOf[i] === null));
  const dispatch = (req: Request, res: Response, next: NextFunction) => {
    // The path below API_PREFIX (parsed once: the router entered next reads the same parse).
    const path = req.path;
    const end = path.indexOf('/', 1);
    const segment = path.slice(1, end === -1 ? path.length : end).toLowerCase();
    rememberMount(req);
    (bySegment.get(segment) ?? others)(req, res, next);
  };
  return Object.assign(dispatch, { routers });
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
    sendProblem(req, res, body);
  };
}

/** The Content-Type of every problem answer, as Express would complete it (charset added). */
const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

/** An error answer is never fresh (not 2xx) and never 204, 205 or 304: sendJson writes it as send() would. */
function sendProblem(req: Request, res: Response, body: Problem): void {
  sendJson(req, res, body.status, body, PROBLEM_CONTENT_TYPE);
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
  const url = req.originalUrl;
  const queryAt = url.indexOf('?');
  return queryAt === -1 ? url : url.slice(0, queryAt);
}
