import type { Redis } from 'ioredis';
import { Container, type ResolutionContext } from 'inversify';
import type { Knex } from 'knex';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { AccessStates, Authenticate } from '../application/auth/authenticate.js';
import { NEW_IDEMPOTENCY_KEY_RATE_LIMIT, RunIdempotently } from '../application/idempotency/run-idempotently.js';
import { ReadBusinessState } from '../application/metrics/read-business-state.js';
import type { CouponIssueGate } from '../application/ports/coupon-issue-gate.js';
import type { EventPublisher } from '../application/ports/event-publisher.js';
import type { IdempotencyTimings } from '../application/ports/idempotency-store.js';
import type { Logger } from '../application/ports/logger.js';
import type { PasswordHasher } from '../application/ports/password-hasher.js';
import type { PaymentGateway } from '../application/ports/payment-gateway.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import type { Clock } from '../domain/shared/clock.js';
import { HttpWebhookPublisher } from '../adapters/event-publisher/http-webhook-publisher.js';
import { JsonLinesFilePublisher } from '../adapters/event-publisher/json-lines-file-publisher.js';
import { RabbitMqPublisher } from '../adapters/event-publisher/rabbitmq-publisher.js';
import { WebhookSigner } from '../adapters/event-publisher/webhook-signature.js';
import { prometheusBusinessMetrics } from '../adapters/metrics/business-metrics.js';
import { BUSINESS_STATE_READ_TIMEOUT_MS, prometheusBusinessStateGauges } from '../adapters/metrics/business-state-metrics.js';
import { MemoryCatalog, MemoryProductRepository, MemoryStockRepository } from '../adapters/memory/catalog.js';
import { MemoryCouponRepository, MemoryIssueGate, MemoryUserCouponRepository } from '../adapters/memory/coupons.js';
import { MemoryFailureLimiter } from '../adapters/memory/failure-limiter.js';
import { MemoryIdempotencyStore } from '../adapters/memory/idempotency-store.js';
import { InProcessCache, NoCache } from '../adapters/memory/in-process-cache.js';
import { MemoryLock } from '../adapters/memory/memory-lock.js';
import { MemoryTransactionManager } from '../adapters/memory/memory-transaction-manager.js';
import { MemoryOrderRepository, MemoryOutbox, MemoryPaymentRepository, MemoryRefundRepository } from '../adapters/memory/ordering.js';
import { MemoryOutboxStore } from '../adapters/memory/outbox-store.js';
import { InProcessPopularAnswerStore } from '../adapters/memory/popular-answer-store.js';
import { MemoryProductSalesRepository } from '../adapters/memory/product-sales.js';
import { MemoryRateLimiter, type RateLimits } from '../adapters/memory/rate-limiter.js';
import { MemoryUserRepository } from '../adapters/memory/user-repository.js';
import { MemoryWalletRepository } from '../adapters/memory/wallet-repository.js';
import { InternalGateway } from '../adapters/payment-gateway/internal-gateway.js';
import { SandboxGateway } from '../adapters/payment-gateway/sandbox-gateway.js';
import { PostgresCouponRepository, PostgresIssueGate, PostgresUserCouponRepository } from '../adapters/postgres/coupons.js';
import { PostgresIdempotencyStore } from '../adapters/postgres/idempotency-store.js';
import { KnexTransactionManager } from '../adapters/postgres/knex-transaction-manager.js';
import { PostgresLeaseLock } from '../adapters/postgres/lease-lock.js';
import {
  PostgresOrderRepository,
  PostgresOutbox,
  PostgresPaymentRepository,
  PostgresRefundRepository,
} from '../adapters/postgres/ordering.js';
import { PostgresOutboxStore } from '../adapters/postgres/outbox-store.js';
import { PostgresProductRepository } from '../adapters/postgres/product-repository.js';
import { PostgresProductSalesRepository } from '../adapters/postgres/product-sales.js';
import { PostgresStockRepository } from '../adapters/postgres/stock-repository.js';
import { PostgresUserRepository } from '../adapters/postgres/user-repository.js';
import { PostgresWalletRepository } from '../adapters/postgres/wallet-repository.js';
import { RedisBroadcastCache } from '../adapters/redis/redis-broadcast-cache.js';
import { RedisCache } from '../adapters/redis/redis-cache.js';
import { RedisCouponIssueGate } from '../adapters/redis/redis-coupon-issue-gate.js';
import { RedisFailureLimiter } from '../adapters/redis/redis-failure-limiter.js';
import { RedisPopularAnswerStore } from '../adapters/redis/redis-popular-answer-store.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { RedlockLock } from '../adapters/redis/redlock-lock.js';
import { BoundedPasswordHasher } from '../adapters/security/bounded-password-hasher.js';
import { JwtTokenService } from '../adapters/security/jwt-token-service.js';
import { ScryptPasswordHasher } from '../adapters/security/scrypt-password-hasher.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import type { Config } from './config.js';
import { MODULES } from './modules/index.js';
import type { Resolve } from './modules/module.js';
import { SHARED, type Token } from './tokens.js';

export type { Token } from './tokens.js';

/** Entries each in-process cache may hold; CACHE_MAX_BYTES bounds what they weigh. */
const CACHE_MAX_ENTRIES = 10_000;

type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
type ModuleTokens = UnionToIntersection<(typeof MODULES)[number]['tokens']>;

/** Every token of the container: the shared ones, and each module's (modules/*.ts). */
export const TOKENS = mergeTokens();

function mergeTokens(): typeof SHARED & ModuleTokens {
  const merged: Record<string, symbol> = { ...SHARED };
  for (const module of MODULES) {
    for (const [name, t] of Object.entries(module.tokens)) {
      if (Object.hasOwn(merged, name)) throw new Error(`Module ${module.name} names a token ${name} that is already taken`);
      merged[name] = t;
    }
  }
  return merged as typeof SHARED & ModuleTokens;
}

export interface ContainerInputs {
  config: Config;
  logger: Logger;
  jwtSecret: string;
  /** Absent: the in-memory adapters (one process, nothing kept). */
  db: Knex | null;
  redis: Redis | null;
  /** Every Redis node for Redlock (the first is `redis`); defaults to just `redis`. */
  redisNodes?: Redis[];
  clock?: Clock;
  /** Replaces the configured payment gateway (tests that make a gateway fail on purpose). */
  gateway?: PaymentGateway;
  /** Replaces the configured data platform (tests that make delivery fail or crash on purpose). */
  eventPublisher?: EventPublisher;
  /** Replaces scrypt (tests that hold a hash on purpose); bounded by PASSWORD_HASH_* all the same. */
  passwordHasher?: PasswordHasher;
}

/**
 * The composition root: the only place that knows every implementation. It binds the shared
 * ports (SHARED) to the adapters the configuration picks (PostgreSQL or memory, Redis or in
 * process), then loads one container module per bounded context (MODULES), which binds that
 * context's use cases. Domain and application classes carry no decorators; each is bound through
 * a factory.
 */
export async function buildContainer(inputs: ContainerInputs): Promise<Container> {
  const { config, logger, db, redis } = inputs;
  const c = new Container({ defaultScope: 'Singleton' });
  const bind = <T>(t: Token<T>, factory: (get: Resolve) => T) =>
    c.bind<T>(t).toDynamicValue((ctx: ResolutionContext) => factory(<U>(dep: Token<U>) => ctx.get<U>(dep)));

  /**
   * The coupon issue gate: with Redis, Redis's, which counts an issue request's rate limit on the
   * Redis limiter's counters in the same script as its take (one round trip); else the database's
   * or memory's, which count it through the limiter.
   */
  const couponIssueGate = (
    limiter: RateLimiter,
    records: ConstructorParameters<typeof RedisCouponIssueGate>[1],
    local: (limiter: RateLimiter) => CouponIssueGate,
  ): CouponIssueGate =>
    redis && limiter instanceof RedisRateLimiter ? new RedisCouponIssueGate(redis, records, logger, undefined, limiter) : local(limiter);

  const scrypt = inputs.passwordHasher ?? new ScryptPasswordHasher({ N: 2 ** config.passwordHashCost, r: 8, p: 1 });
  const hasher = new BoundedPasswordHasher(scrypt, {
    concurrency: config.passwordHashConcurrency,
    queue: config.passwordHashQueue,
  });
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const idempotencyTimings: IdempotencyTimings = {
    retentionMs: config.idempotencyRetentionHours * 3_600_000,
    leaseMs: 60_000,
  };
  const failurePolicy = { threshold: config.failureBlockThreshold, blockSeconds: config.failureBlockSeconds };
  const addressFailurePolicy = { threshold: config.loginFailuresPerAddress, blockSeconds: config.failureBlockSeconds };

  c.bind(SHARED.config).toConstantValue(config);
  c.bind(SHARED.logger).toConstantValue(logger);
  c.bind(SHARED.clock).toConstantValue(inputs.clock ?? new SystemClock());
  c.bind(SHARED.metrics).toConstantValue(metrics);
  c.bind(SHARED.businessMetrics).toConstantValue(prometheusBusinessMetrics(metrics));
  c.bind(SHARED.passwordHasher).toConstantValue(hasher);
  c.bind(SHARED.decoyPasswordHash).toConstantValue(await scrypt.hash(`decoy-${Date.now()}`));
  c.bind(SHARED.tokens).toConstantValue(new JwtTokenService(inputs.jwtSecret, config.jwtLifetimeSeconds));

  if (db) {
    const tx = new KnexTransactionManager(db);
    c.bind(SHARED.persistence).toConstantValue({ kind: 'postgres', transactions: tx });
    c.bind(SHARED.transactions).toConstantValue(tx);
    c.bind(SHARED.users).toConstantValue(new PostgresUserRepository(tx));
    c.bind(SHARED.wallets).toConstantValue(new PostgresWalletRepository(tx));
    c.bind(SHARED.idempotencyStore).toConstantValue(new PostgresIdempotencyStore(tx, idempotencyTimings));
    c.bind(SHARED.products).toConstantValue(new PostgresProductRepository(tx));
    c.bind(SHARED.stock).toConstantValue(new PostgresStockRepository(tx));
    c.bind(SHARED.sales).toConstantValue(new PostgresProductSalesRepository(tx));
    c.bind(SHARED.orders).toConstantValue(new PostgresOrderRepository(tx));
    c.bind(SHARED.payments).toConstantValue(new PostgresPaymentRepository(tx));
    c.bind(SHARED.refunds).toConstantValue(new PostgresRefundRepository(tx));
    c.bind(SHARED.outbox).toConstantValue(new PostgresOutbox(tx));
    c.bind(SHARED.outboxStore).toConstantValue(new PostgresOutboxStore(tx));
    c.bind(SHARED.coupons).toConstantValue(new PostgresCouponRepository(tx));
    const userCoupons = new PostgresUserCouponRepository(tx);
    c.bind(SHARED.userCoupons).toConstantValue(userCoupons);
    bind(SHARED.couponIssueGate, (get) => couponIssueGate(get(SHARED.rateLimiter), userCoupons, (limiter) => new PostgresIssueGate(tx, limiter)));
    bind(SHARED.locks, (get) => {
      const lease = new PostgresLeaseLock(tx, get(SHARED.clock));
      return redis ? new RedlockLock(inputs.redisNodes ?? [redis], logger, lease) : lease;
    });
  } else {
    const tx = new MemoryTransactionManager();
    c.bind(SHARED.persistence).toConstantValue({ kind: 'memory', transactions: tx });
    c.bind(SHARED.transactions).toConstantValue(tx);
    c.bind(SHARED.users).toConstantValue(new MemoryUserRepository(tx));
    c.bind(SHARED.wallets).toConstantValue(new MemoryWalletRepository(tx));
    c.bind(SHARED.idempotencyStore).toConstantValue(new MemoryIdempotencyStore(tx, idempotencyTimings));
    const catalog = new MemoryCatalog(tx);
    c.bind(SHARED.products).toConstantValue(new MemoryProductRepository(catalog));
    c.bind(SHARED.stock).toConstantValue(new MemoryStockRepository(catalog));
    c.bind(SHARED.sales).toConstantValue(
      new MemoryProductSalesRepository(tx, (productId) => {
        const product = catalog.products.get(productId);
        return product ? { sellerId: product.sellerId, category: product.category } : null;
      }),
    );
    // The orders show their refunds: both read the one refunds table.
    const refunds = new MemoryRefundRepository(tx);
    c.bind(SHARED.orders).toConstantValue(new MemoryOrderRepository(tx, refunds));
    c.bind(SHARED.payments).toConstantValue(new MemoryPaymentRepository(tx));
    c.bind(SHARED.refunds).toConstantValue(refunds);
    const outbox = new MemoryOutbox(tx);
    c.bind(SHARED.outbox).toConstantValue(outbox);
    c.bind(SHARED.outboxStore).toConstantValue(new MemoryOutboxStore(outbox));
    c.bind(SHARED.coupons).toConstantValue(new MemoryCouponRepository(tx));
    const userCoupons = new MemoryUserCouponRepository(tx);
    c.bind(SHARED.userCoupons).toConstantValue(userCoupons);
    bind(SHARED.couponIssueGate, (get) => couponIssueGate(get(SHARED.rateLimiter), userCoupons, (limiter) => new MemoryIssueGate(userCoupons, limiter)));
    bind(SHARED.locks, (get) => new MemoryLock(get(SHARED.clock)));
  }
  bind(SHARED.cache, (get) => {
    if (config.catalogCacheTtlSeconds === 0) return new NoCache();
    return redis ? new RedisCache(redis, logger) : new InProcessCache(get(SHARED.clock), CACHE_MAX_ENTRIES, config.cacheMaxBytes);
  });
  bind(SHARED.failureLimiter, (get) =>
    redis
      ? new RedisFailureLimiter(redis, failurePolicy, logger)
      : new MemoryFailureLimiter(failurePolicy, get(SHARED.clock), config.limiterMaxSubjects),
  );
  bind(SHARED.addressFailureLimiter, (get) =>
    redis
      ? new RedisFailureLimiter(redis, addressFailurePolicy, logger)
      : new MemoryFailureLimiter(addressFailurePolicy, get(SHARED.clock), config.limiterMaxSubjects),
  );

  // Its own cache, whatever the catalog's says: every authenticated request reads through it, and
  // with Redis a change on one instance reaches the others' checks at once.
  // In process, so a hit costs no round trip; with Redis, invalidations are broadcast to every
  // instance (a Redis-held cache cost three round trips and a database read per cold user).
  bind(SHARED.accessCache, (get) => {
    if (config.authCacheTtlSeconds === 0) return new NoCache();
    const local = new InProcessCache(get(SHARED.clock), ACCESS_STATES_KEPT, config.cacheMaxBytes);
    return redis ? new RedisBroadcastCache(local, redis, `${config.redisKeyPrefix}user-access-changed`, logger) : local;
  });
  bind(SHARED.accessStates, (get) =>
    new AccessStates(get(SHARED.users), get(SHARED.accessCache), get(SHARED.transactions), { cacheTtlSeconds: config.authCacheTtlSeconds }),
  );
  bind(SHARED.authenticate, (get) => new Authenticate(get(SHARED.tokens), get(SHARED.accessStates)));
  bind(SHARED.runIdempotently, (get) =>
    new RunIdempotently(get(SHARED.idempotencyStore), get(SHARED.transactions), get(SHARED.clock), get(SHARED.rateLimiter)),
  );

  // One table for the one limiter: the idempotency keys', and each context's (its module names them).
  const rateLimits: RateLimits = Object.assign(
    { [NEW_IDEMPOTENCY_KEY_RATE_LIMIT]: { limit: config.rateLimitIdempotencyKeysPerMinute, windowMs: 60_000 } },
    ...MODULES.map((module) => module.rateLimits(config)),
  );
  bind(SHARED.rateLimiter, (get) =>
    redis ? new RedisRateLimiter(redis, rateLimits, get(SHARED.clock), logger) : new MemoryRateLimiter(rateLimits, get(SHARED.clock), config.limiterMaxSubjects),
  );
  c.bind(SHARED.gateway).toConstantValue(
    inputs.gateway ?? (config.paymentGateway === 'sandbox' ? new SandboxGateway(config.paymentGatewaySandboxMode) : new InternalGateway()),
  );
  bind(SHARED.popularAnswers, (get) => (redis ? new RedisPopularAnswerStore(redis, logger) : new InProcessPopularAnswerStore(get(SHARED.clock))));
  c.bind(SHARED.eventPublisher).toConstantValue(inputs.eventPublisher ?? eventPublisherFor(config));

  c.load(...MODULES.map((module) => module.container));

  bind(SHARED.readBusinessState, (get) => new ReadBusinessState(get(SHARED.payments), get(SHARED.outboxStore), get(SHARED.clock)));
  prometheusBusinessStateGauges(
    metrics,
    () => resolve(c, SHARED.readBusinessState).execute(),
    { cacheMs: config.metricsStateCacheSeconds * 1000, timeoutMs: BUSINESS_STATE_READ_TIMEOUT_MS },
    logger,
  );
  return c;
}

/** Users whose current role, status and token version an instance keeps (about 300 bytes each). */
const ACCESS_STATES_KEPT = 100_000;

/** Lets go of what the container opened itself (the access cache's Redis subscriber, the events outlet's connection or file). */
export function releaseContainer(container: Container): Promise<void> {
  const accessCache = resolve(container, SHARED.accessCache);
  if (accessCache instanceof RedisBroadcastCache) accessCache.close();
  const publisher = resolve(container, SHARED.eventPublisher);
  return publisher instanceof RabbitMqPublisher || publisher instanceof JsonLinesFilePublisher ? publisher.close() : Promise.resolve();
}

/** The outlet of the data platform's events, as configured (EVENT_PUBLISHER). */
function eventPublisherFor(config: Config): EventPublisher {
  const wire = { format: config.dataPlatformFormat, source: config.eventSource };
  switch (config.eventPublisher) {
    case 'http':
      return new HttpWebhookPublisher(config.dataPlatformUrl!, {
        ...wire,
        signer: config.dataPlatformSecrets.length > 0 ? new WebhookSigner(config.dataPlatformSecrets) : null,
      });
    case 'rabbitmq':
      return new RabbitMqPublisher(config.rabbitMq!.url, { ...wire, exchange: config.rabbitMq!.exchange });
    case 'file':
      return new JsonLinesFilePublisher(config.eventsFile, wire);
  }
}

/** Typed lookup: the token carries the type. */
export function resolve<T>(container: Container, t: Token<T>): T {
  return container.get<T>(t);
}

/** `resolve` bound to one container: what modules' routes and jobs take. */
export function resolverOf(container: Container): Resolve {
  return <T>(t: Token<T>) => resolve(container, t);
}
