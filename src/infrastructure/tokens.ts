import type { Registry } from 'prom-client';
import type { AccessStates, Authenticate } from '../application/auth/authenticate.js';
import type { RunIdempotently } from '../application/idempotency/run-idempotently.js';
import type { ReadBusinessState } from '../application/metrics/read-business-state.js';
import type { BusinessMetrics } from '../application/ports/business-metrics.js';
import type { Cache } from '../application/ports/cache.js';
import type { CouponIssueGate } from '../application/ports/coupon-issue-gate.js';
import type { DistributedLock } from '../application/ports/distributed-lock.js';
import type { EventPublisher } from '../application/ports/event-publisher.js';
import type { FailureLimiter } from '../application/ports/failure-limiter.js';
import type { IdempotencyStore } from '../application/ports/idempotency-store.js';
import type { Logger } from '../application/ports/logger.js';
import type { Outbox } from '../application/ports/outbox.js';
import type { OutboxStore } from '../application/ports/outbox-store.js';
import type { PasswordHasher } from '../application/ports/password-hasher.js';
import type { PaymentGateway } from '../application/ports/payment-gateway.js';
import type { PopularAnswerStore } from '../application/ports/popular-answer-store.js';
import type { RateLimiter } from '../application/ports/rate-limiter.js';
import type { TokenService } from '../application/ports/token-service.js';
import type { TransactionManager } from '../application/ports/transaction-manager.js';
import type { KnexTransactionManager } from '../adapters/postgres/knex-transaction-manager.js';
import type { MemoryTransactionManager } from '../adapters/memory/memory-transaction-manager.js';
import type { ProductRepository } from '../domain/catalog/product-repository.js';
import type { StockRepository } from '../domain/catalog/stock-repository.js';
import type { CouponRepository, UserCouponRepository } from '../domain/coupon/repositories.js';
import type { OrderRepository, PaymentRepository, RefundRepository } from '../domain/ordering/repositories.js';
import type { ProductSalesRepository } from '../domain/sales/product-sales-repository.js';
import type { Clock } from '../domain/shared/clock.js';
import type { UserRepository } from '../domain/user/user-repository.js';
import type { WalletRepository } from '../domain/wallet/wallet-repository.js';
import type { Config } from './config.js';

/** A Symbol that remembers the type bound to it. */
export type Token<T> = symbol & { readonly __type?: T };
export const token = <T>(name: string): Token<T> => Symbol(name) as Token<T>;

/** Where the repositories keep their data: a module with a store of its own picks its adapter by it. */
export type Persistence =
  | { kind: 'postgres'; transactions: KnexTransactionManager }
  | { kind: 'memory'; transactions: MemoryTransactionManager };

/**
 * What the root binds and every module may ask for: configuration, the shared ports with the
 * adapter the configuration picks, the repositories several contexts read, and the use cases every
 * route goes through (authentication, idempotency). A context's own use cases have their tokens
 * in its module (src/infrastructure/modules/).
 */
export const SHARED = {
  config: token<Config>('Config'),
  logger: token<Logger>('Logger'),
  clock: token<Clock>('Clock'),
  metrics: token<Registry>('MetricsRegistry'),
  businessMetrics: token<BusinessMetrics>('BusinessMetrics'),
  persistence: token<Persistence>('Persistence'),
  transactions: token<TransactionManager>('TransactionManager'),
  users: token<UserRepository>('UserRepository'),
  wallets: token<WalletRepository>('WalletRepository'),
  products: token<ProductRepository>('ProductRepository'),
  stock: token<StockRepository>('StockRepository'),
  sales: token<ProductSalesRepository>('ProductSalesRepository'),
  orders: token<OrderRepository>('OrderRepository'),
  payments: token<PaymentRepository>('PaymentRepository'),
  refunds: token<RefundRepository>('RefundRepository'),
  coupons: token<CouponRepository>('CouponRepository'),
  userCoupons: token<UserCouponRepository>('UserCouponRepository'),
  couponIssueGate: token<CouponIssueGate>('CouponIssueGate'),
  popularAnswers: token<PopularAnswerStore>('PopularAnswerStore'),
  idempotencyStore: token<IdempotencyStore>('IdempotencyStore'),
  failureLimiter: token<FailureLimiter>('FailureLimiter'),
  /** Failed logins per client address, with LOGIN_FAILURES_PER_ADDRESS as its threshold. */
  addressFailureLimiter: token<FailureLimiter>('AddressFailureLimiter'),
  passwordHasher: token<PasswordHasher>('PasswordHasher'),
  /** Checked against for unknown e-mails, so a login takes as long whether or not the account exists. */
  decoyPasswordHash: token<string>('DecoyPasswordHash'),
  tokens: token<TokenService>('TokenService'),
  accessCache: token<Cache>('AccessCache'),
  accessStates: token<AccessStates>('AccessStates'),
  authenticate: token<Authenticate>('Authenticate'),
  runIdempotently: token<RunIdempotently>('RunIdempotently'),
  cache: token<Cache>('Cache'),
  outbox: token<Outbox>('Outbox'),
  outboxStore: token<OutboxStore>('OutboxStore'),
  eventPublisher: token<EventPublisher>('EventPublisher'),
  gateway: token<PaymentGateway>('PaymentGateway'),
  locks: token<DistributedLock>('DistributedLock'),
  rateLimiter: token<RateLimiter>('RateLimiter'),
  readBusinessState: token<ReadBusinessState>('ReadBusinessState'),
} as const;
