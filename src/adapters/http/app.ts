import { randomUUID } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../application/ports/logger.js';
import type { Authenticate } from '../../application/auth/authenticate.js';
import { DomainError, RateLimited, TooManyFailures, ValidationFailed } from '../../domain/shared/errors.js';
import { httpMetrics, routeTemplateOf } from './metrics.js';
import { openApiDocument } from './openapi.js';
import { HttpProblem, problem, type Problem, type ProblemCode } from './problem.js';
import { requestContext } from './request-context.js';
import { type AccountUseCases, accountRoutes } from './routes/accounts.js';
import { type AdminUseCases, adminRoutes } from './routes/admin.js';
import { type BalanceUseCases, balanceRoutes } from './routes/balances.js';
import { type CouponUseCases, couponRoutes } from './routes/coupons.js';
import { type OrderUseCases, orderRoutes } from './routes/orders.js';
import { type ProductUseCases, productRoutes } from './routes/products.js';
import { type HealthChecks, operationsRoutes } from './routes/operations.js';
import { type StatsUseCases, statsRoutes } from './routes/stats.js';
import { type UserUseCases, userRoutes } from './routes/users.js';

export interface HttpDependencies {
  useCases: AdminUseCases & AccountUseCases & UserUseCases & BalanceUseCases & ProductUseCases & OrderUseCases & CouponUseCases & StatsUseCases;
  /** Checks each request's Bearer token against its user's current state. */
  authenticate: Authenticate;
  health: HealthChecks;
  metrics: Registry;
  logger: Logger;
  /** True when an error means the database cannot be reached (503, not 500). */
  isDatabaseUnavailable(error: unknown): boolean;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

export function createHttpApp(deps: HttpDependencies): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

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

  app.use(operationsRoutes(deps.health, deps.metrics, openApiDocument));
  app.use('/api/v1', accountRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', userRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', balanceRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', productRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', orderRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', couponRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', adminRoutes(deps.useCases, deps.authenticate));
  app.use('/api/v1', statsRoutes(deps.useCases, deps.authenticate));

  app.use((req, _res, next) => {
    next(new HttpProblem('NOT_FOUND', `No route ${req.method} ${req.path}`));
  });
  app.use(errorHandler(deps));
  return app;
}

function errorHandler(deps: HttpDependencies) {
  return (error: unknown, req: Request, res: Response, _next: NextFunction) => {
    const instance = req.originalUrl.split('?')[0] ?? req.path;
    const body = toProblem(error, instance, deps);
    if (body.status >= 500) {
      deps.logger.error('request failed', {
        method: req.method,
        path: instance,
        error: error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : String(error),
      });
    }
    if (error instanceof TooManyFailures || error instanceof RateLimited) {
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
  if (deps.isDatabaseUnavailable(error)) {
    return problem('UNAVAILABLE', 'The database is not reachable; try again shortly', instance);
  }
  return problem('INTERNAL', 'An unexpected error occurred; it has been logged with the request id', instance);
}
