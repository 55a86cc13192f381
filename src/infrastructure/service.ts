import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Redis } from 'ioredis';
import type { Container } from 'inversify';
import type { Knex } from 'knex';
import { createHttpApp } from '../adapters/http/app.js';
import { createMetricsApp } from '../adapters/http/metrics.js';
import { answerUnparsableRequests } from '../adapters/http/unparsable-requests.js';
import type { DependencyState } from '../adapters/http/routes/operations.js';
import { migrateToLatest } from '../adapters/postgres/migration-source.js';
import { isDatabaseUnavailable } from '../adapters/postgres/pg-errors.js';
import type { EventPublisher } from '../application/ports/event-publisher.js';
import type { Logger } from '../application/ports/logger.js';
import type { PasswordHasher } from '../application/ports/password-hasher.js';
import type { PaymentGateway } from '../application/ports/payment-gateway.js';
import type { Clock } from '../domain/shared/clock.js';
import type { Config } from './config.js';
import { buildContainer, releaseContainer, resolverOf, TOKENS } from './container.js';
import { type Database, openDatabase } from './database.js';
import { type DemoDataReport, loadDemoData } from './demo-data.js';
import { DrainingServer } from './draining-server.js';
import { JobScheduler } from './jobs.js';
import { MODULES, openApiDocument } from './modules/index.js';
import { connectRedis, waitForRedis } from './redis.js';
import { resolveJwtSecret } from './secrets.js';

export interface RunningService {
  url: string;
  /** Where /metrics is served when METRICS_PORT gives it a listener of its own; else null. */
  metricsUrl: string | null;
  container: Container;
  database: { kind: 'postgres' | 'embedded' | 'memory'; description: string };
  /** The ADMIN from ADMIN_EMAIL, and whether this start created it. */
  configuredAdmin: { email: string; result: 'created' | 'exists' } | null;
  /** Null when demo data is off. */
  demoData: DemoDataReport | null;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  /** Use an already open database (tests); null means the in-memory adapters. Default: from config. */
  db?: Knex | null;
  redis?: Redis | null;
  clock?: Clock;
  /** Replaces the configured payment gateway (tests). */
  gateway?: PaymentGateway;
  /** Replaces the configured data platform (tests). */
  eventPublisher?: EventPublisher;
  /** Replaces scrypt (tests that hold a hash on purpose). */
  passwordHasher?: PasswordHasher;
  /** Start the background jobs (default true). */
  jobs?: boolean;
}

const SHUTDOWN_GRACE_MS = 10_000;
/** After the requests, how long the jobs' last runs and closing the pool, Redis and the metrics listener may take. */
const CLOSE_DEADLINE_MS = 5_000;

/** Opens everything the service needs, starts HTTP and the jobs, and knows how to stop. */
export async function startService(config: Config, logger: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  // The embedded database takes DATA_DIR's lock here: a start that fails after it lets go of it.
  const database = options.db === undefined ? await openDatabase(config, logger) : null;
  try {
    return await startOn(database, config, logger, options);
  } catch (error) {
    await database?.close().catch(() => undefined);
    throw error;
  }
}

async function startOn(database: Database | null, config: Config, logger: Logger, options: ServiceOptions): Promise<RunningService> {
  const db = database ? database.db : (options.db ?? null);
  if (db) await migrateToLatest(db);

  const ownsRedis = options.redis === undefined;
  let redis: Redis | null = options.redis ?? null;
  let redisNodes: Redis[] = redis ? [redis] : [];
  if (ownsRedis && config.redisUrls.length > 0) {
    redisNodes = config.redisUrls.map((url) => connectRedis(url, config.redisKeyPrefix, logger));
    redis = redisNodes[0] ?? null;
    if (redis && !(await waitForRedis(redis))) logger.warn('Redis is not reachable yet; running degraded until it is');
  }

  const jwtSecret = await resolveJwtSecret(config.jwtSecret, config.dataDir);
  const container = await buildContainer({
    config,
    logger,
    jwtSecret,
    db,
    redis,
    redisNodes,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.gateway ? { gateway: options.gateway } : {}),
    ...(options.eventPublisher ? { eventPublisher: options.eventPublisher } : {}),
    ...(options.passwordHasher ? { passwordHasher: options.passwordHasher } : {}),
  });

  const get = resolverOf(container);

  let configuredAdmin: RunningService['configuredAdmin'] = null;
  if (config.admin) {
    const result = await get(TOKENS.ensureAdminAccount).execute(config.admin.email, config.admin.password);
    logger.info('admin account from configuration', { email: config.admin.email, result });
    configuredAdmin = { email: config.admin.email, result };
  }
  const demoData =
    config.demoData === 'off'
      ? null
      : await loadDemoData(container, db, { mode: config.demoData, dataDir: config.dataDir, configuredAdminEmail: config.admin?.email ?? null });

  const jobs = new JobScheduler(logger);
  const idempotency = get(TOKENS.idempotencyStore);
  const clock = get(TOKENS.clock);
  jobs.add('idempotency-key-purge', Math.max(config.jobIntervalMs, 60_000), () => idempotency.purgeExpired(clock.now()));
  for (const module of MODULES) {
    for (const job of module.jobs(get, config)) jobs.add(job.name, job.intervalMs, () => job.run());
  }
  if (options.jobs !== false) jobs.start();

  const app = createHttpApp({
    routers: MODULES.flatMap((module) => module.routes(get)),
    openApi: openApiDocument,
    metrics: get(TOKENS.metrics),
    metricsExposure: { onMainPort: config.metricsPort === null, token: config.metricsToken },
    logger,
    inputLimits: { maxDepth: config.jsonMaxDepth, maxEntries: config.jsonMaxEntries },
    isDatabaseUnavailable,
    trustProxy: config.trustProxy,
    corsOrigins: config.corsOrigins,
    health: {
      stopping: () => http.draining,
      database: () => (db ? probe(() => db.raw('select 1')) : Promise.resolve('up')),
      redis: () => (redis ? probe(() => redis.ping()) : Promise.resolve('off')),
    },
  });
  const http = new DrainingServer(app);
  answerUnparsableRequests(http.server);
  const port = await http.listen(config.port);
  let metricsServer: Server | null = null;
  if (config.metricsPort !== null) {
    metricsServer = createMetricsApp(get(TOKENS.metrics), config.metricsToken).listen(config.metricsPort);
    await once(metricsServer, 'listening');
  }

  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      logger.info('shutting down: readiness answers 503, requests in flight finish, background jobs stop');
      const jobsStopped = jobs.stop();
      await http.drain(SHUTDOWN_GRACE_MS, (requests) =>
        logger.warn('shutdown grace period over: cutting the connections left', { requestsInFlight: requests, graceMs: SHUTDOWN_GRACE_MS }),
      );
      // A job run (a delivery to a slow data platform) or a request cut at the grace period
      // (waiting on a lock) may still hold a pooled connection: the exit must not wait forever.
      await withinDeadline(
        (async () => {
          await jobsStopped;
          await Promise.all([
            releaseContainer(container),
            metricsServer && closeServer(metricsServer),
            database ? database.close() : null,
            ownsRedis ? Promise.all(redisNodes.map((node) => node.quit().catch(() => node.disconnect()))) : null,
          ]);
        })(),
        CLOSE_DEADLINE_MS,
        () => logger.warn('shutdown: background jobs or closing the pool, Redis and the metrics listener took too long; exiting anyway'),
      );
      logger.info('stopped');
    })();
    return stopping;
  };

  return {
    url: `http://localhost:${port}`,
    metricsUrl: metricsServer ? `http://localhost:${(metricsServer.address() as AddressInfo).port}` : null,
    container,
    database: database ? { kind: database.kind, description: database.description } : { kind: db ? 'postgres' : 'memory', description: db ? 'provided' : 'in memory' },
    configuredAdmin,
    demoData,
    stop,
  };
}

async function closeServer(server: Server): Promise<void> {
  const closed = once(server, 'close');
  server.close();
  server.closeIdleConnections();
  await closed;
}

/** Waits for `work`, or `ms` at most (then calls `onLate`); never rejects. */
async function withinDeadline(work: Promise<unknown>, ms: number, onLate: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      onLate();
      resolve();
    }, ms);
  });
  try {
    await Promise.race([work.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}

const PROBE_TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>): Promise<DependencyState> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS);
  });
  try {
    await Promise.race([check(), timeout]);
    return 'up';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
