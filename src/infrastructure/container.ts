import type { Redis } from 'ioredis';
import { Container, type ResolutionContext } from 'inversify';
import type { Knex } from 'knex';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { AccessStates, Authenticate } from '../application/auth/authenticate.js';
import { LOGIN_RATE_LIMIT, LogIn } from '../application/auth/log-in.js';
import { RegisterAccount } from '../application/auth/register-account.js';
import { SIGNUP_RATE_LIMIT, SignUp } from '../application/auth/sign-up.js';
import { NEW_IDEMPOTENCY_KEY_RATE_LIMIT, RunIdempotently } from '../application/idempotency/run-idempotently.js';
import type { FailureLimiter } from '../application/ports/failure-limiter.js';
import type { IdempotencyStore, IdempotencyTimings } from '../application/ports/idempotency-store.js';
import type { Logger } from '../application/ports/logger.js';
import type { PasswordHasher } from '../application/ports/password-hasher.js';
import type { TokenService } from '../application/ports/token-service.js';
import type { TransactionManager } from '../application/ports/transaction-manager.js';
import { GetProduct } from '../application/catalog/get-product.js';
import { ListProducts } from '../application/catalog/list-products.js';
import type { CatalogSettings } from '../application/catalog/catalog-settings.js';
import { ChangeProduct } from '../application/catalog/change-product.js';
import { ListProductForSale } from '../application/catalog/list-product-for-sale.js';
import { RestockOption } from '../application/catalog/restock-option.js';
import type { Cache } from '../application/ports/cache.js';
import type { DistributedLock } from '../application/ports/distributed-lock.js';
import type { Outbox } from '../application/ports/outbox.js';
import { DomainEventOutbox } from '../application/outbox/domain-event-outbox.js';
import type { EventPublisher } from '../application/ports/event-publisher.js';
import type { OutboxStore } from '../application/ports/outbox-store.js';
import { ListOutboxEvents } from '../application/outbox/list-outbox-events.js';
import { PruneSentEvents } from '../application/outbox/prune-sent-events.js';
import { RetryOutboxEvent } from '../application/outbox/retry-outbox-event.js';
import { DEFAULT_RELAY_SETTINGS, RelayOutbox } from '../application/outbox/relay-outbox.js';
import { HttpWebhookPublisher } from '../adapters/event-publisher/http-webhook-publisher.js';
import { JsonLinesFilePublisher } from '../adapters/event-publisher/json-lines-file-publisher.js';
import { RabbitMqPublisher } from '../adapters/event-publisher/rabbitmq-publisher.js';
import { WebhookSigner } from '../adapters/event-publisher/webhook-signature.js';
import { prometheusBusinessMetrics } from '../adapters/metrics/business-metrics.js';
import { BUSINESS_STATE_READ_TIMEOUT_MS, prometheusBusinessStateGauges } from '../adapters/metrics/business-state-metrics.js';
import { prometheusOutboxMetrics } from '../adapters/metrics/outbox-metrics.js';
import { prometheusPaymentRecoveryMetrics } from '../adapters/metrics/payment-recovery-metrics.js';
import { MemoryOutboxStore } from '../adapters/memory/outbox-store.js';
import { PostgresOutboxStore } from '../adapters/postgres/outbox-store.js';
import type { PaymentGateway } from '../application/ports/payment-gateway.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import { COUPON_ISSUE_RATE_LIMIT, type CouponContext } from '../application/coupons/coupon-context.js';
import { CountedCouponIssue } from '../application/coupons/counted-coupon-issue.js';
import type { IssueCouponFirstComeFirstServed } from '../application/coupons/issue-coupon.js';
import { ListCoupons } from '../application/coupons/list-coupons.js';
import { ReadBusinessState } from '../application/metrics/read-business-state.js';
import { ChangeCouponStatus } from '../application/coupons/change-coupon-status.js';
import { CreateCoupon } from '../application/coupons/create-coupon.js';
import { ExpireCoupons } from '../application/coupons/expire-coupons.js';
import { GetCoupon } from '../application/coupons/get-coupon.js';
import { ListUserCoupons } from '../application/coupons/list-user-coupons.js';
import type { CouponIssueGate } from '../application/ports/coupon-issue-gate.js';
import type { CouponRepository, UserCouponRepository } from '../domain/coupon/repositories.js';
import { MemoryCouponRepository, MemoryIssueGate, MemoryUserCouponRepository } from '../adapters/memory/coupons.js';
import { PostgresCouponRepository, PostgresIssueGate, PostgresUserCouponRepository } from '../adapters/postgres/coupons.js';
import { RedisCouponIssueGate } from '../adapters/redis/redis-coupon-issue-gate.js';
import { GetPayment } from '../application/ordering/get-payment.js';
import { AdvanceFulfilment } from '../application/ordering/advance-fulfilment.js';
import { CancelOrder } from '../application/ordering/cancel-order.js';
import { CompleteOrder } from '../application/ordering/complete-order.js';
import { ExpireReservations } from '../application/ordering/expire-reservations.js';
import { GetOrder } from '../application/ordering/get-order.js';
import { ListOrders } from '../application/ordering/list-orders.js';
import { ORDER_RATE_LIMIT, type OrderingContext } from '../application/ordering/ordering-context.js';
import { PayForOrder } from '../application/ordering/pay-for-order.js';
import { GetPaymentRecovery } from '../application/ordering/get-payment-recovery.js';
import { ListPaymentRecoveries } from '../application/ordering/list-payment-recoveries.js';
import { RetryPaymentRecovery } from '../application/ordering/retry-payment-recovery.js';
import { PlaceOrder } from '../application/ordering/place-order.js';
import { RefundOrder } from '../application/ordering/refund-order.js';
import { GetRefund } from '../application/ordering/refunds.js';
import { SettlePendingPayment } from '../application/ordering/settle-pending-payments.js';
import { SettleGatewayPayment } from '../application/ordering/settle-gateway-payment.js';
import type { PopularAnswerStore } from '../application/ports/popular-answer-store.js';
import { GetPopularProducts } from '../application/sales/get-popular-products.js';
import { GetSalesStatistics } from '../application/sales/sales-statistics.js';
import type { ProductSalesRepository } from '../domain/sales/product-sales-repository.js';
import { InProcessPopularAnswerStore } from '../adapters/memory/popular-answer-store.js';
import { MemoryProductSalesRepository } from '../adapters/memory/product-sales.js';
import { PostgresProductSalesRepository } from '../adapters/postgres/product-sales.js';
import { RedisPopularAnswerStore } from '../adapters/redis/redis-popular-answer-store.js';
import { ChangePassword } from '../application/users/change-password.js';
import { ChangeUserAccess } from '../application/users/change-user-access.js';
import { CreateAccount } from '../application/users/create-account.js';
import { EnsureAdminAccount } from '../application/users/ensure-admin-account.js';
import { GetUser } from '../application/users/get-user.js';
import { ChargeWallet } from '../application/wallet/charge-wallet.js';
import { GetBalance } from '../application/wallet/get-balance.js';
import { GetBalanceHistory } from '../application/wallet/get-balance-history.js';
import type { ProductRepository } from '../domain/catalog/product-repository.js';
import { DEFAULT_ORDER_POLICY } from '../domain/ordering/order.js';
import type { OrderRepository, PaymentRepository, RefundRepository } from '../domain/ordering/repositories.js';
import type { StockRepository } from '../domain/catalog/stock-repository.js';
import type { Clock } from '../domain/shared/clock.js';
import type { UserRepository } from '../domain/user/user-repository.js';
import type { WalletRepository } from '../domain/wallet/wallet-repository.js';
import { MemoryCatalog, MemoryProductRepository, MemoryStockRepository } from '../adapters/memory/catalog.js';
import { MemoryFailureLimiter } from '../adapters/memory/failure-limiter.js';
import { InProcessCache, NoCache } from '../adapters/memory/in-process-cache.js';
import { MemoryLock } from '../adapters/memory/memory-lock.js';
import { MemoryOrderRepository, MemoryOutbox, MemoryPaymentRepository, MemoryRefundRepository } from '../adapters/memory/ordering.js';
import { MemoryRateLimiter, type RateLimits } from '../adapters/memory/rate-limiter.js';
import { InternalGateway } from '../adapters/payment-gateway/internal-gateway.js';
import { SandboxGateway } from '../adapters/payment-gateway/sandbox-gateway.js';
import { PostgresLeaseLock } from '../adapters/postgres/lease-lock.js';
import {
  PostgresOrderRepository,
  PostgresOutbox,
  PostgresPaymentRepository,
  PostgresRefundRepository,
} from '../adapters/postgres/ordering.js';
import { RedisRateLimiter } from '../adapters/redis/redis-rate-limiter.js';
import { RedlockLock } from '../adapters/redis/redlock-lock.js';
import { MemoryIdempotencyStore } from '../adapters/memory/idempotency-store.js';
import { MemoryTransactionManager } from '../adapters/memory/memory-transaction-manager.js';
import { MemoryUserRepository } from '../adapters/memory/user-repository.js';
import { MemoryWalletRepository } from '../adapters/memory/wallet-repository.js';
import { PostgresIdempotencyStore } from '../adapters/postgres/idempotency-store.js';
import { PostgresProductRepository } from '../adapters/postgres/product-repository.js';
import { PostgresStockRepository } from '../adapters/postgres/stock-repository.js';
import { KnexTransactionManager } from '../adapters/postgres/knex-transaction-manager.js';
import { PostgresUserRepository } from '../adapters/postgres/user-repository.js';
import { PostgresWalletRepository } from '../adapters/postgres/wallet-repository.js';
import { RedisBroadcastCache } from '../adapters/redis/redis-broadcast-cache.js';
import { RedisCache } from '../adapters/redis/redis-cache.js';
import { RedisFailureLimiter } from '../adapters/redis/redis-failure-limiter.js';
import { JwtTokenService } from '../adapters/security/jwt-token-service.js';
import { BoundedPasswordHasher } from '../adapters/security/bounded-password-hasher.js';
import { ScryptPasswordHasher } from '../adapters/security/scrypt-password-hasher.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import type { Config } from './config.js';

/** Entries each in-process cache may hold; CACHE_MAX_BYTES bounds what they weigh. */
const CACHE_MAX_ENTRIES = 10_000;

/** A Symbol that remembers the type bound to it. */
export type Token<T> = symbol & { readonly __type?: T };
const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>;

export const TOKENS = {
  config: token<Config>('Config'),
  logger: token<Logger>('Logger'),
  clock: token<Clock>('Clock'),
  metrics: token<Registry>('MetricsRegistry'),
  transactions: token<TransactionManager>('TransactionManager'),
  users: token<UserRepository>('UserRepository'),
  wallets: token<WalletRepository>('WalletRepository'),
  idempotencyStore: token<IdempotencyStore>('IdempotencyStore'),
  failureLimiter: token<FailureLimiter>('FailureLimiter'),
  /** Failed logins per client address, with LOGIN_FAILURES_PER_ADDRESS as its threshold. */
  addressFailureLimiter: token<FailureLimiter>('AddressFailureLimiter'),
  passwordHasher: token<PasswordHasher>('PasswordHasher'),
  tokens: token<TokenService>('TokenService'),
  registerAccount: token<RegisterAccount>('RegisterAccount'),
  signUp: token<SignUp>('SignUp'),
  logIn: token<LogIn>('LogIn'),
  accessCache: token<Cache>('AccessCache'),
  accessStates: token<AccessStates>('AccessStates'),
  authenticate: token<Authenticate>('Authenticate'),
  changePassword: token<ChangePassword>('ChangePassword'),
  changeUserAccess: token<ChangeUserAccess>('ChangeUserAccess'),
  getUser: token<GetUser>('GetUser'),
  createAccount: token<CreateAccount>('CreateAccount'),
  ensureAdminAccount: token<EnsureAdminAccount>('EnsureAdminAccount'),
  chargeWallet: token<ChargeWallet>('ChargeWallet'),
  getBalance: token<GetBalance>('GetBalance'),
  getBalanceHistory: token<GetBalanceHistory>('GetBalanceHistory'),
  runIdempotently: token<RunIdempotently>('RunIdempotently'),
  cache: token<Cache>('Cache'),
  products: token<ProductRepository>('ProductRepository'),
  stock: token<StockRepository>('StockRepository'),
  listProducts: token<ListProducts>('ListProducts'),
  getProduct: token<GetProduct>('GetProduct'),
  listProductForSale: token<ListProductForSale>('ListProductForSale'),
  changeProduct: token<ChangeProduct>('ChangeProduct'),
  restockOption: token<RestockOption>('RestockOption'),
  orders: token<OrderRepository>('OrderRepository'),
  payments: token<PaymentRepository>('PaymentRepository'),
  refunds: token<RefundRepository>('RefundRepository'),
  outbox: token<Outbox>('Outbox'),
  outboxStore: token<OutboxStore>('OutboxStore'),
  eventPublisher: token<EventPublisher>('EventPublisher'),
  relayOutbox: token<RelayOutbox>('RelayOutbox'),
  listOutboxEvents: token<ListOutboxEvents>('ListOutboxEvents'),
  retryOutboxEvent: token<RetryOutboxEvent>('RetryOutboxEvent'),
  pruneSentEvents: token<PruneSentEvents>('PruneSentEvents'),
  gateway: token<PaymentGateway>('PaymentGateway'),
  locks: token<DistributedLock>('DistributedLock'),
  rateLimiter: token<RateLimiter>('RateLimiter'),
  ordering: token<OrderingContext>('OrderingContext'),
  placeOrder: token<PlaceOrder>('PlaceOrder'),
  getOrder: token<GetOrder>('GetOrder'),
  listOrders: token<ListOrders>('ListOrders'),
  cancelOrder: token<CancelOrder>('CancelOrder'),
  refundOrder: token<RefundOrder>('RefundOrder'),
  getRefund: token<GetRefund>('GetRefund'),
  advanceFulfilment: token<AdvanceFulfilment>('AdvanceFulfilment'),
  completeOrder: token<CompleteOrder>('CompleteOrder'),
  payForOrder: token<PayForOrder>('PayForOrder'),
  settlePendingPayment: token<SettlePendingPayment>('SettlePendingPayment'),
  getPayment: token<GetPayment>('GetPayment'),
  getPaymentRecovery: token<GetPaymentRecovery>('GetPaymentRecovery'),
  listPaymentRecoveries: token<ListPaymentRecoveries>('ListPaymentRecoveries'),
  retryPaymentRecovery: token<RetryPaymentRecovery>('RetryPaymentRecovery'),
  expireReservations: token<ExpireReservations>('ExpireReservations'),
  coupons: token<CouponRepository>('CouponRepository'),
  userCoupons: token<UserCouponRepository>('UserCouponRepository'),
  couponIssueGate: token<CouponIssueGate>('CouponIssueGate'),
  couponContext: token<CouponContext>('CouponContext'),
  createCoupon: token<CreateCoupon>('CreateCoupon'),
  getCoupon: token<GetCoupon>('GetCoupon'),
  changeCouponStatus: token<ChangeCouponStatus>('ChangeCouponStatus'),
  issueCoupon: token<IssueCouponFirstComeFirstServed>('IssueCouponFirstComeFirstServed'),
  listUserCoupons: token<ListUserCoupons>('ListUserCoupons'),
  listCoupons: token<ListCoupons>('ListCoupons'),
  expireCoupons: token<ExpireCoupons>('ExpireCoupons'),
  sales: token<ProductSalesRepository>('ProductSalesRepository'),
  popularAnswers: token<PopularAnswerStore>('PopularAnswerStore'),
  getPopularProducts: token<GetPopularProducts>('GetPopularProducts'),
  getSalesStatistics: token<GetSalesStatistics>('GetSalesStatistics'),
  readBusinessState: token<ReadBusinessState>('ReadBusinessState'),
} as const;

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
 * The composition root: the only place that knows every implementation. Domain and application
 * classes carry no decorators; each is bound through a factory.
 */
export async function buildContainer(inputs: ContainerInputs): Promise<Container> {
  const { config, logger, db, redis } = inputs;
  const c = new Container({ defaultScope: 'Singleton' });
  const bind = <T>(t: Token<T>, factory: (get: <U>(t: Token<U>) => U) => T) =>
    c.bind<T>(t).toDynamicValue((ctx: ResolutionContext) => factory(<U>(dep: Token<U>) => ctx.get<U>(dep)));

  const scrypt = inputs.passwordHasher ?? new ScryptPasswordHasher({ N: 2 ** config.passwordHashCost, r: 8, p: 1 });
  // Checked against for unknown e-mails, so a login takes as long whether or not the account exists.
  const decoyHash = await scrypt.hash(`decoy-${Date.now()}`);
  const hasher = new BoundedPasswordHasher(scrypt, {
    concurrency: config.passwordHashConcurrency,
    queue: config.passwordHashQueue,
  });
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const businessMetrics = prometheusBusinessMetrics(metrics);
  const idempotencyTimings: IdempotencyTimings = {
    retentionMs: config.idempotencyRetentionHours * 3_600_000,
    leaseMs: 60_000,
  };
  const failurePolicy = { threshold: config.failureBlockThreshold, blockSeconds: config.failureBlockSeconds };
  const addressFailurePolicy = { threshold: config.loginFailuresPerAddress, blockSeconds: config.failureBlockSeconds };

  c.bind(TOKENS.config).toConstantValue(config);
  c.bind(TOKENS.logger).toConstantValue(logger);
  c.bind(TOKENS.clock).toConstantValue(inputs.clock ?? new SystemClock());
  c.bind(TOKENS.metrics).toConstantValue(metrics);
  c.bind(TOKENS.passwordHasher).toConstantValue(hasher);
  c.bind(TOKENS.tokens).toConstantValue(new JwtTokenService(inputs.jwtSecret, config.jwtLifetimeSeconds));

  if (db) {
    const tx = new KnexTransactionManager(db);
    c.bind(TOKENS.transactions).toConstantValue(tx);
    c.bind(TOKENS.users).toConstantValue(new PostgresUserRepository(tx));
    c.bind(TOKENS.wallets).toConstantValue(new PostgresWalletRepository(tx));
    c.bind(TOKENS.idempotencyStore).toConstantValue(new PostgresIdempotencyStore(tx, idempotencyTimings));
    c.bind(TOKENS.products).toConstantValue(new PostgresProductRepository(tx));
    c.bind(TOKENS.stock).toConstantValue(new PostgresStockRepository(tx));
    c.bind(TOKENS.sales).toConstantValue(new PostgresProductSalesRepository(tx));
    c.bind(TOKENS.orders).toConstantValue(new PostgresOrderRepository(tx));
    c.bind(TOKENS.payments).toConstantValue(new PostgresPaymentRepository(tx));
    c.bind(TOKENS.refunds).toConstantValue(new PostgresRefundRepository(tx));
    c.bind(TOKENS.outbox).toConstantValue(new PostgresOutbox(tx));
    c.bind(TOKENS.outboxStore).toConstantValue(new PostgresOutboxStore(tx));
    c.bind(TOKENS.coupons).toConstantValue(new PostgresCouponRepository(tx));
    const userCoupons = new PostgresUserCouponRepository(tx);
    c.bind(TOKENS.userCoupons).toConstantValue(userCoupons);
    c.bind(TOKENS.couponIssueGate).toConstantValue(redis ? new RedisCouponIssueGate(redis, userCoupons, logger) : new PostgresIssueGate(tx));
    bind(TOKENS.locks, (get) => {
      const lease = new PostgresLeaseLock(tx, get(TOKENS.clock));
      return redis ? new RedlockLock(inputs.redisNodes ?? [redis], logger, lease) : lease;
    });
  } else {
    const tx = new MemoryTransactionManager();
    c.bind(TOKENS.transactions).toConstantValue(tx);
    c.bind(TOKENS.users).toConstantValue(new MemoryUserRepository(tx));
    c.bind(TOKENS.wallets).toConstantValue(new MemoryWalletRepository(tx));
    c.bind(TOKENS.idempotencyStore).toConstantValue(new MemoryIdempotencyStore(tx, idempotencyTimings));
    const catalog = new MemoryCatalog(tx);
    c.bind(TOKENS.products).toConstantValue(new MemoryProductRepository(catalog));
    c.bind(TOKENS.stock).toConstantValue(new MemoryStockRepository(catalog));
    c.bind(TOKENS.sales).toConstantValue(
      new MemoryProductSalesRepository(tx, (productId) => {
        const product = catalog.products.get(productId);
        return product ? { sellerId: product.sellerId, category: product.category } : null;
      }),
    );
    // The orders show their refunds: both read the one refunds table.
    const refunds = new MemoryRefundRepository(tx);
    c.bind(TOKENS.orders).toConstantValue(new MemoryOrderRepository(tx, refunds));
    c.bind(TOKENS.payments).toConstantValue(new MemoryPaymentRepository(tx));
    c.bind(TOKENS.refunds).toConstantValue(refunds);
    const outbox = new MemoryOutbox(tx);
    c.bind(TOKENS.outbox).toConstantValue(outbox);
    c.bind(TOKENS.outboxStore).toConstantValue(new MemoryOutboxStore(outbox));
    c.bind(TOKENS.coupons).toConstantValue(new MemoryCouponRepository(tx));
    const userCoupons = new MemoryUserCouponRepository(tx);
    c.bind(TOKENS.userCoupons).toConstantValue(userCoupons);
    c.bind(TOKENS.couponIssueGate).toConstantValue(redis ? new RedisCouponIssueGate(redis, userCoupons, logger) : new MemoryIssueGate(userCoupons));
    bind(TOKENS.locks, (get) => new MemoryLock(get(TOKENS.clock)));
  }
  bind(TOKENS.cache, (get) => {
    if (config.catalogCacheTtlSeconds === 0) return new NoCache();
    return redis ? new RedisCache(redis, logger) : new InProcessCache(get(TOKENS.clock), CACHE_MAX_ENTRIES, config.cacheMaxBytes);
  });
  bind(TOKENS.failureLimiter, (get) =>
    redis
      ? new RedisFailureLimiter(redis, failurePolicy, logger)
      : new MemoryFailureLimiter(failurePolicy, get(TOKENS.clock), config.limiterMaxSubjects),
  );
  bind(TOKENS.addressFailureLimiter, (get) =>
    redis
      ? new RedisFailureLimiter(redis, addressFailurePolicy, logger)
      : new MemoryFailureLimiter(addressFailurePolicy, get(TOKENS.clock), config.limiterMaxSubjects),
  );

  bind(TOKENS.registerAccount, (get) =>
    new RegisterAccount(get(TOKENS.users), get(TOKENS.wallets), get(TOKENS.passwordHasher), get(TOKENS.transactions), get(TOKENS.clock)),
  );
  bind(TOKENS.signUp, (get) => new SignUp(get(TOKENS.registerAccount), get(TOKENS.rateLimiter)));
  bind(TOKENS.logIn, (get) =>
    new LogIn(
      get(TOKENS.users),
      get(TOKENS.passwordHasher),
      get(TOKENS.tokens),
      {
        rateLimiter: get(TOKENS.rateLimiter),
        accountFailures: get(TOKENS.failureLimiter),
        addressFailures: get(TOKENS.addressFailureLimiter),
      },
      decoyHash,
    ),
  );
  // Its own cache, whatever the catalog's says: every authenticated request reads through it, and
  // with Redis a change on one instance reaches the others' checks at once.
  // In process, so a hit costs no round trip; with Redis, invalidations are broadcast to every
  // instance (a Redis-held cache cost three round trips and a database read per cold user).
  bind(TOKENS.accessCache, (get) => {
    if (config.authCacheTtlSeconds === 0) return new NoCache();
    const local = new InProcessCache(get(TOKENS.clock), ACCESS_STATES_KEPT, config.cacheMaxBytes);
    return redis ? new RedisBroadcastCache(local, redis, `${config.redisKeyPrefix}user-access-changed`, logger) : local;
  });
  bind(TOKENS.accessStates, (get) =>
    new AccessStates(get(TOKENS.users), get(TOKENS.accessCache), get(TOKENS.transactions), { cacheTtlSeconds: config.authCacheTtlSeconds }),
  );
  bind(TOKENS.authenticate, (get) => new Authenticate(get(TOKENS.tokens), get(TOKENS.accessStates)));
  bind(TOKENS.changePassword, (get) =>
    new ChangePassword(
      get(TOKENS.users),
      get(TOKENS.passwordHasher),
      get(TOKENS.tokens),
      get(TOKENS.failureLimiter),
      get(TOKENS.transactions),
      get(TOKENS.accessStates),
    ),
  );
  bind(TOKENS.changeUserAccess, (get) => new ChangeUserAccess(get(TOKENS.users), get(TOKENS.transactions), get(TOKENS.accessStates)));
  bind(TOKENS.getUser, (get) => new GetUser(get(TOKENS.users)));
  bind(TOKENS.createAccount, (get) => new CreateAccount(get(TOKENS.registerAccount)));
  bind(TOKENS.ensureAdminAccount, (get) => new EnsureAdminAccount(get(TOKENS.users), get(TOKENS.registerAccount)));
  bind(TOKENS.chargeWallet, (get) =>
    new ChargeWallet(get(TOKENS.wallets), get(TOKENS.transactions), get(TOKENS.config).wallet, get(TOKENS.clock), new DomainEventOutbox(get(TOKENS.outbox))),
  );
  bind(TOKENS.getBalance, (get) => new GetBalance(get(TOKENS.wallets)));
  bind(TOKENS.getBalanceHistory, (get) => new GetBalanceHistory(get(TOKENS.wallets)));
  bind(TOKENS.runIdempotently, (get) =>
    new RunIdempotently(get(TOKENS.idempotencyStore), get(TOKENS.transactions), get(TOKENS.clock), get(TOKENS.rateLimiter)),
  );

  const catalogSettings: CatalogSettings = {
    lowStockThreshold: config.lowStockThreshold,
    cacheTtlSeconds: config.catalogCacheTtlSeconds,
  };
  bind(TOKENS.listProducts, (get) => new ListProducts(get(TOKENS.products), get(TOKENS.cache), catalogSettings));
  bind(TOKENS.getProduct, (get) => new GetProduct(get(TOKENS.products), get(TOKENS.cache), catalogSettings));
  bind(TOKENS.listProductForSale, (get) =>
    new ListProductForSale(get(TOKENS.products), get(TOKENS.transactions), get(TOKENS.cache), catalogSettings, get(TOKENS.clock)),
  );
  bind(TOKENS.changeProduct, (get) =>
    new ChangeProduct(get(TOKENS.products), get(TOKENS.transactions), get(TOKENS.cache), catalogSettings, get(TOKENS.clock)),
  );
  bind(TOKENS.restockOption, (get) =>
    new RestockOption(get(TOKENS.products), get(TOKENS.stock), get(TOKENS.transactions), get(TOKENS.cache), catalogSettings),
  );

  const rateLimits: RateLimits = {
    [ORDER_RATE_LIMIT]: { limit: config.rateLimitOrdersPerSecond, windowMs: 1_000 },
    [COUPON_ISSUE_RATE_LIMIT]: { limit: config.rateLimitCouponIssuesPerMinute, windowMs: 60_000 },
    [NEW_IDEMPOTENCY_KEY_RATE_LIMIT]: { limit: config.rateLimitIdempotencyKeysPerMinute, windowMs: 60_000 },
    [SIGNUP_RATE_LIMIT]: { limit: config.rateLimitSignupsPerMinutePerAddress, windowMs: 60_000 },
    [LOGIN_RATE_LIMIT]: { limit: config.rateLimitLoginsPerMinutePerAddress, windowMs: 60_000 },
  };
  bind(TOKENS.rateLimiter, (get) =>
    redis ? new RedisRateLimiter(redis, rateLimits, get(TOKENS.clock), logger) : new MemoryRateLimiter(rateLimits, get(TOKENS.clock), config.limiterMaxSubjects),
  );
  c.bind(TOKENS.gateway).toConstantValue(
    inputs.gateway ?? (config.paymentGateway === 'sandbox' ? new SandboxGateway(config.paymentGatewaySandboxMode) : new InternalGateway()),
  );
  bind(TOKENS.ordering, (get) => ({
    orders: get(TOKENS.orders),
    payments: get(TOKENS.payments),
    refunds: get(TOKENS.refunds),
    products: get(TOKENS.products),
    stock: get(TOKENS.stock),
    sales: get(TOKENS.sales),
    wallets: get(TOKENS.wallets),
    coupons: get(TOKENS.coupons),
    userCoupons: get(TOKENS.userCoupons),
    events: new DomainEventOutbox(get(TOKENS.outbox)),
    gateway: get(TOKENS.gateway),
    cache: get(TOKENS.cache),
    locks: get(TOKENS.locks),
    rateLimiter: get(TOKENS.rateLimiter),
    failures: get(TOKENS.failureLimiter),
    transactions: get(TOKENS.transactions),
    clock: get(TOKENS.clock),
    logger,
    metrics: businessMetrics,
    // The domain's defaults, with what the configuration overrides.
    policy: {
      ...DEFAULT_ORDER_POLICY,
      reservationTtlSeconds: config.orderReservationTtlSeconds,
      maxUnpaidOrdersPerUser: config.maxUnpaidOrdersPerUser,
    },
  }));
  bind(TOKENS.placeOrder, (get) => new PlaceOrder(get(TOKENS.ordering)));
  bind(TOKENS.getOrder, (get) => new GetOrder(get(TOKENS.ordering)));
  bind(TOKENS.listOrders, (get) => new ListOrders(get(TOKENS.ordering)));
  bind(TOKENS.refundOrder, (get) => new RefundOrder(get(TOKENS.ordering)));
  bind(TOKENS.getRefund, (get) => new GetRefund(get(TOKENS.ordering)));
  bind(TOKENS.cancelOrder, (get) => new CancelOrder(get(TOKENS.ordering), get(TOKENS.refundOrder)));
  bind(TOKENS.advanceFulfilment, (get) => new AdvanceFulfilment(get(TOKENS.ordering)));
  bind(TOKENS.completeOrder, (get) => new CompleteOrder(get(TOKENS.ordering)));
  bind(TOKENS.payForOrder, (get) => new PayForOrder(get(TOKENS.ordering)));
  const recoveryMetrics = prometheusPaymentRecoveryMetrics(metrics);
  bind(TOKENS.settlePendingPayment, (get) =>
    new SettlePendingPayment(
      get(TOKENS.ordering),
      new SettleGatewayPayment(get(TOKENS.ordering)),
      { backoffSeconds: config.pendingRecoveryBackoffSeconds, maxAttempts: config.pendingRecoveryMaxAttempts },
      recoveryMetrics,
    ),
  );
  bind(TOKENS.getPayment, (get) => new GetPayment(get(TOKENS.ordering)));
  bind(TOKENS.getPaymentRecovery, (get) => new GetPaymentRecovery(get(TOKENS.ordering)));
  bind(TOKENS.listPaymentRecoveries, (get) => new ListPaymentRecoveries(get(TOKENS.ordering)));
  bind(TOKENS.retryPaymentRecovery, (get) => new RetryPaymentRecovery(get(TOKENS.ordering)));
  bind(TOKENS.expireReservations, (get) => new ExpireReservations(get(TOKENS.ordering)));

  bind(TOKENS.couponContext, (get) => ({
    coupons: get(TOKENS.coupons),
    userCoupons: get(TOKENS.userCoupons),
    users: get(TOKENS.users),
    gate: get(TOKENS.couponIssueGate),
    couponCache: new InProcessCache(get(TOKENS.clock), CACHE_MAX_ENTRIES, config.cacheMaxBytes),
    events: new DomainEventOutbox(get(TOKENS.outbox)),
    rateLimiter: get(TOKENS.rateLimiter),
    transactions: get(TOKENS.transactions),
    clock: get(TOKENS.clock),
    logger,
  }));
  bind(TOKENS.createCoupon, (get) => new CreateCoupon(get(TOKENS.couponContext)));
  bind(TOKENS.getCoupon, (get) => new GetCoupon(get(TOKENS.couponContext)));
  bind(TOKENS.changeCouponStatus, (get) => new ChangeCouponStatus(get(TOKENS.couponContext)));
  bind(TOKENS.issueCoupon, (get) => new CountedCouponIssue(get(TOKENS.couponContext), businessMetrics));
  bind(TOKENS.listUserCoupons, (get) => new ListUserCoupons(get(TOKENS.couponContext)));
  bind(TOKENS.listCoupons, (get) => new ListCoupons(get(TOKENS.couponContext)));
  bind(TOKENS.expireCoupons, (get) => new ExpireCoupons(get(TOKENS.couponContext)));

  bind(TOKENS.popularAnswers, (get) => (redis ? new RedisPopularAnswerStore(redis, logger) : new InProcessPopularAnswerStore(get(TOKENS.clock))));
  bind(TOKENS.getPopularProducts, (get) =>
    new GetPopularProducts(
      get(TOKENS.sales),
      get(TOKENS.getProduct),
      get(TOKENS.popularAnswers),
      { ttlSeconds: config.popularCacheTtlSeconds },
      get(TOKENS.clock),
    ),
  );
  bind(TOKENS.getSalesStatistics, (get) => new GetSalesStatistics(get(TOKENS.sales)));

  c.bind(TOKENS.eventPublisher).toConstantValue(
    inputs.eventPublisher ?? eventPublisherFor(config),
  );
  const outboxMetrics = prometheusOutboxMetrics(metrics);
  bind(TOKENS.relayOutbox, (get) =>
    new RelayOutbox(get(TOKENS.outboxStore), get(TOKENS.eventPublisher), get(TOKENS.clock), logger, outboxMetrics, {
      ...DEFAULT_RELAY_SETTINGS,
      maxAttempts: config.outboxMaxAttempts,
      retryBaseMs: config.outboxRetryBaseMs,
    }),
  );
  bind(TOKENS.listOutboxEvents, (get) => new ListOutboxEvents(get(TOKENS.outboxStore)));
  bind(TOKENS.retryOutboxEvent, (get) => new RetryOutboxEvent(get(TOKENS.outboxStore), get(TOKENS.transactions), get(TOKENS.clock)));
  bind(TOKENS.pruneSentEvents, (get) => new PruneSentEvents(get(TOKENS.outboxStore), get(TOKENS.clock), config.outboxRetentionDays));

  bind(TOKENS.readBusinessState, (get) => new ReadBusinessState(get(TOKENS.payments), get(TOKENS.outboxStore), get(TOKENS.clock)));
  prometheusBusinessStateGauges(
    metrics,
    () => resolve(c, TOKENS.readBusinessState).execute(),
    { cacheMs: config.metricsStateCacheSeconds * 1000, timeoutMs: BUSINESS_STATE_READ_TIMEOUT_MS },
    logger,
  );
  return c;
}

/** Users whose current role, status and token version an instance keeps (about 300 bytes each). */
const ACCESS_STATES_KEPT = 100_000;

/** Lets go of what the container opened itself (the access cache's Redis subscriber). */
export function releaseContainer(container: Container): Promise<void> {
  const accessCache = resolve(container, TOKENS.accessCache);
  if (accessCache instanceof RedisBroadcastCache) accessCache.close();
  const publisher = resolve(container, TOKENS.eventPublisher);
  return publisher instanceof RabbitMqPublisher ? publisher.close() : Promise.resolve();
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
