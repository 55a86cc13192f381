import { Router } from 'express';
import type { Registry } from 'prom-client';
import swaggerUi from 'swagger-ui-express';
import { metricsEndpoint, type MetricsExposure } from '../metrics.js';

export type DependencyState = 'up' | 'down' | 'off';

export interface HealthChecks {
  /** True once the service is shutting down: it must not be sent new work. */
  stopping(): boolean;
  database(): Promise<DependencyState>;
  redis(): Promise<DependencyState>;
}

/** Liveness, readiness, metrics and docs: public, outside /api/v1. */
export function operationsRoutes(health: HealthChecks, registry: Registry, openApi: object, metrics: MetricsExposure): Router {
  const router = Router();

  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/health/ready', async (_req, res) => {
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

  if (metrics.onMainPort) router.get('/metrics', metricsEndpoint(registry, metrics.token));

  router.get('/openapi.json', (_req, res) => {
    res.json(openApi);
  });
  router.use('/docs', swaggerUi.serve);
  router.get('/docs', swaggerUi.setup(openApi, { customSiteTitle: 'Order service API' }));

  return router;
}
