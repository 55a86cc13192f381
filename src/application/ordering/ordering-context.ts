import type { DomainEventOutbox } from '../outbox/domain-event-outbox.js';
import type { ProductRepository, StockRepository } from '../catalog/published.js';
import type { CouponRepository, UserCouponRepository } from '../coupons/published.js';
import type { OrderPolicy } from '../../domain/ordering/order.js';
import type { OrderRepository, PaymentRepository, RefundRepository } from '../../domain/ordering/repositories.js';
import type { ProductSalesRepository } from '../sales/published.js';
import type { Clock } from '../../domain/shared/clock.js';
import type { WalletRepository } from '../wallet/published.js';
import type { BusinessMetrics } from '../ports/business-metrics.js';
import type { Cache } from '../ports/cache.js';
import type { DistributedLock } from '../ports/distributed-lock.js';
import type { FailureLimiter } from '../ports/failure-limiter.js';
import type { Logger } from '../ports/logger.js';
import type { PaymentGateway } from '../ports/payment-gateway.js';
import type { RateLimiter } from '../ports/rate-limiter.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

/** Everything the ordering use cases share; one object keeps their constructors readable. */
export interface OrderingContext {
  orders: OrderRepository;
  payments: PaymentRepository;
  refunds: RefundRepository;
  products: ProductRepository;
  stock: StockRepository;
  /** Sales per product per day: payments add to it, refunds take from it. */
  sales: ProductSalesRepository;
  wallets: WalletRepository;
  coupons: CouponRepository;
  userCoupons: UserCouponRepository;
  /** Where the changed aggregates' events go, in the transaction that changed them. */
  events: DomainEventOutbox;
  gateway: PaymentGateway;
  cache: Cache;
  locks: DistributedLock;
  rateLimiter: RateLimiter;
  failures: FailureLimiter;
  transactions: TransactionManager;
  clock: Clock;
  logger: Logger;
  /** Business counters: what committed is counted through `transactions.afterCommit`. */
  metrics: BusinessMetrics;
  policy: OrderPolicy;
}

export const ORDER_RATE_LIMIT = 'orders';
export const PAYMENT_FAILURES = 'payment';
