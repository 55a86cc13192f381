import { Registry } from 'prom-client';
import { MemoryBusinessMetrics } from '../../src/adapters/memory/business-metrics.js';
import { MemoryCatalog, MemoryProductRepository, MemoryStockRepository } from '../../src/adapters/memory/catalog.js';
import { MemoryCouponRepository, MemoryIssueGate, MemoryUserCouponRepository } from '../../src/adapters/memory/coupons.js';
import { MemoryFailureLimiter } from '../../src/adapters/memory/failure-limiter.js';
import { MemoryIdempotencyStore } from '../../src/adapters/memory/idempotency-store.js';
import { InProcessCache, NoCache } from '../../src/adapters/memory/in-process-cache.js';
import { MemoryLock } from '../../src/adapters/memory/memory-lock.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryOrderRepository, MemoryOutbox, MemoryPaymentRepository, MemoryRefundRepository } from '../../src/adapters/memory/ordering.js';
import { InProcessPopularAnswerStore } from '../../src/adapters/memory/popular-answer-store.js';
import { MemoryProductSalesRepository } from '../../src/adapters/memory/product-sales.js';
import { MemoryRateLimiter, type RateLimits } from '../../src/adapters/memory/rate-limiter.js';
import { MemoryUserRepository } from '../../src/adapters/memory/user-repository.js';
import { MemoryWalletRepository } from '../../src/adapters/memory/wallet-repository.js';
import { prometheusPaymentRecoveryMetrics } from '../../src/adapters/metrics/payment-recovery-metrics.js';
import { InternalGateway } from '../../src/adapters/payment-gateway/internal-gateway.js';
import { SandboxGateway } from '../../src/adapters/payment-gateway/sandbox-gateway.js';
import { BoundedPasswordHasher } from '../../src/adapters/security/bounded-password-hasher.js';
import { JwtTokenService } from '../../src/adapters/security/jwt-token-service.js';
import { ScryptPasswordHasher } from '../../src/adapters/security/scrypt-password-hasher.js';
import { AccessStates, Authenticate } from '../../src/application/auth/authenticate.js';
import { LOGIN_RATE_LIMIT, LogIn } from '../../src/application/auth/log-in.js';
import { RegisterAccount } from '../../src/application/auth/register-account.js';
import { SIGNUP_RATE_LIMIT, SignUp } from '../../src/application/auth/sign-up.js';
import type { CatalogSettings } from '../../src/application/catalog/catalog-settings.js';
import { ChangeProduct } from '../../src/application/catalog/change-product.js';
import { GetProduct } from '../../src/application/catalog/get-product.js';
import { ListProductForSale } from '../../src/application/catalog/list-product-for-sale.js';
import { ListProducts } from '../../src/application/catalog/list-products.js';
import { RestockOption } from '../../src/application/catalog/restock-option.js';
import { ChangeCouponStatus } from '../../src/application/coupons/change-coupon-status.js';
import { COUPON_ISSUE_RATE_LIMIT, type CouponContext } from '../../src/application/coupons/coupon-context.js';
import { CountedCouponIssue } from '../../src/application/coupons/counted-coupon-issue.js';
import { CreateCoupon } from '../../src/application/coupons/create-coupon.js';
import { ExpireCoupons } from '../../src/application/coupons/expire-coupons.js';
import { GetCoupon } from '../../src/application/coupons/get-coupon.js';
import { ListCoupons } from '../../src/application/coupons/list-coupons.js';
import { ListUserCoupons } from '../../src/application/coupons/list-user-coupons.js';
import { NEW_IDEMPOTENCY_KEY_RATE_LIMIT, RunIdempotently } from '../../src/application/idempotency/run-idempotently.js';
import { AdvanceFulfilment } from '../../src/application/ordering/advance-fulfilment.js';
import { CancelOrder } from '../../src/application/ordering/cancel-order.js';
import { CompleteOrder } from '../../src/application/ordering/complete-order.js';
import { ExpireReservations } from '../../src/application/ordering/expire-reservations.js';
import { GetOrder } from '../../src/application/ordering/get-order.js';
import { GetPayment } from '../../src/application/ordering/get-payment.js';
import { GetPaymentRecovery } from '../../src/application/ordering/get-payment-recovery.js';
import { ListOrders } from '../../src/application/ordering/list-orders.js';
import { ListPaymentRecoveries } from '../../src/application/ordering/list-payment-recoveries.js';
import { ORDER_RATE_LIMIT, type OrderingContext } from '../../src/application/ordering/ordering-context.js';
import { PayForOrder } from '../../src/application/ordering/pay-for-order.js';
import { PlaceOrder } from '../../src/application/ordering/place-order.js';
import { RefundOrder } from '../../src/application/ordering/refund-order.js';
import { RetryPaymentRecovery } from '../../src/application/ordering/retry-payment-recovery.js';
import { SettleGatewayPayment } from '../../src/application/ordering/settle-gateway-payment.js';
import { SettlePendingPayment } from '../../src/application/ordering/settle-pending-payments.js';
import { DomainEventOutbox } from '../../src/application/outbox/domain-event-outbox.js';
import type { PasswordHasher } from '../../src/application/ports/password-hasher.js';
import type { PaymentGateway } from '../../src/application/ports/payment-gateway.js';
import { GetPopularProducts } from '../../src/application/sales/get-popular-products.js';
import { GetSalesStatistics } from '../../src/application/sales/sales-statistics.js';
import { ChangePassword } from '../../src/application/users/change-password.js';
import { ChangeUserAccess } from '../../src/application/users/change-user-access.js';
import { CreateAccount } from '../../src/application/users/create-account.js';
import { EnsureAdminAccount } from '../../src/application/users/ensure-admin-account.js';
import { GetUser } from '../../src/application/users/get-user.js';
import { ChargeWallet } from '../../src/application/wallet/charge-wallet.js';
import { GetBalance } from '../../src/application/wallet/get-balance.js';
import { GetBalanceHistory } from '../../src/application/wallet/get-balance-history.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from './clock.js';
import { TEST_JWT_SECRET, testConfig } from './config.js';

/** Entries each in-process cache may hold (the container's bound; CACHE_MAX_BYTES is off in tests). */
const CACHE_MAX_ENTRIES = 10_000;
/** Users whose role, status and token version the access cache keeps (the container's bound). */
const ACCESS_STATES_KEPT = 100_000;

export interface MemoryShopOptions {
  clock?: ManualClock;
  /** Environment variables over testConfig's (the limits a test switches on, the sandbox gateway...). */
  env?: Record<string, string>;
  /** Replaces the configured payment gateway (tests that make a gateway answer as they say). */
  gateway?: PaymentGateway;
  /** Replaces scrypt (tests that hold a hash on purpose); bounded by PASSWORD_HASH_* all the same. */
  passwordHasher?: PasswordHasher;
}

/**
 * The use cases the unit tests run, made with `new` over the memory adapters (src/adapters/memory)
 * and a ManualClock, configured by testConfig (so `env` switches a limit on as it would in
 * production). It is not the production container (src/infrastructure/container.ts): no
 * inversify, no PostgreSQL or Redis branch, no data platform, relay or /metrics gauges; only what
 * test/unit/application uses. Each field is one instance, shared as the container shares its
 * singletons (a spy on `coupons` sees what the coupon use cases do).
 */
export async function memoryShop(options: MemoryShopOptions = {}) {
  const config = testConfig(options.env);
  const clock = options.clock ?? new ManualClock();
  const logger = createLogger('error', true);
  // Only the pending-payment recovery metrics are read from it (payments_handed_to_operator_total...).
  const metrics = new Registry();
  const businessMetrics = new MemoryBusinessMetrics();

  const scrypt = options.passwordHasher ?? new ScryptPasswordHasher({ N: 2 ** config.passwordHashCost, r: 8, p: 1 });
  const decoyHash = await scrypt.hash('decoy');
  const passwordHasher = new BoundedPasswordHasher(scrypt, { concurrency: config.passwordHashConcurrency, queue: config.passwordHashQueue });
  const tokens = new JwtTokenService(TEST_JWT_SECRET, config.jwtLifetimeSeconds);

  const transactions = new MemoryTransactionManager();
  const users = new MemoryUserRepository(transactions);
  const wallets = new MemoryWalletRepository(transactions);
  const idempotencyStore = new MemoryIdempotencyStore(transactions, { retentionMs: config.idempotencyRetentionHours * 3_600_000, leaseMs: 60_000 });
  const catalog = new MemoryCatalog(transactions);
  const products = new MemoryProductRepository(catalog);
  const stock = new MemoryStockRepository(catalog);
  const sales = new MemoryProductSalesRepository(transactions, (productId) => {
    const product = catalog.products.get(productId);
    return product ? { sellerId: product.sellerId, category: product.category } : null;
  });
  // The orders show their refunds: both read the one refunds table.
  const refunds = new MemoryRefundRepository(transactions);
  const orders = new MemoryOrderRepository(transactions, refunds);
  const payments = new MemoryPaymentRepository(transactions);
  const outbox = new MemoryOutbox(transactions);
  const coupons = new MemoryCouponRepository(transactions);
  const userCoupons = new MemoryUserCouponRepository(transactions);
  const locks = new MemoryLock(clock);
  const cache = config.catalogCacheTtlSeconds === 0 ? new NoCache() : new InProcessCache(clock, CACHE_MAX_ENTRIES, config.cacheMaxBytes);
  const failureLimiter = new MemoryFailureLimiter(
    { threshold: config.failureBlockThreshold, blockSeconds: config.failureBlockSeconds },
    clock,
    config.limiterMaxSubjects,
  );
  const addressFailureLimiter = new MemoryFailureLimiter(
    { threshold: config.loginFailuresPerAddress, blockSeconds: config.failureBlockSeconds },
    clock,
    config.limiterMaxSubjects,
  );
  const rateLimits: RateLimits = {
    [ORDER_RATE_LIMIT]: { limit: config.rateLimitOrdersPerSecond, windowMs: 1_000 },
    [COUPON_ISSUE_RATE_LIMIT]: { limit: config.rateLimitCouponIssuesPerMinute, windowMs: 60_000 },
    [NEW_IDEMPOTENCY_KEY_RATE_LIMIT]: { limit: config.rateLimitIdempotencyKeysPerMinute, windowMs: 60_000 },
    [SIGNUP_RATE_LIMIT]: { limit: config.rateLimitSignupsPerMinutePerAddress, windowMs: 60_000 },
    [LOGIN_RATE_LIMIT]: { limit: config.rateLimitLoginsPerMinutePerAddress, windowMs: 60_000 },
  };
  const rateLimiter = new MemoryRateLimiter(rateLimits, clock, config.limiterMaxSubjects);
  const gateway =
    options.gateway ?? (config.paymentGateway === 'sandbox' ? new SandboxGateway(config.paymentGatewaySandboxMode) : new InternalGateway());

  // Accounts and wallets.
  const registerAccount = new RegisterAccount(users, wallets, passwordHasher, transactions, clock);
  const accessCache = config.authCacheTtlSeconds === 0 ? new NoCache() : new InProcessCache(clock, ACCESS_STATES_KEPT, config.cacheMaxBytes);
  const accessStates = new AccessStates(users, accessCache, transactions, { cacheTtlSeconds: config.authCacheTtlSeconds });
  const accounts = {
    signUp: new SignUp(registerAccount, rateLimiter),
    logIn: new LogIn(
      users,
      passwordHasher,
      tokens,
      { rateLimiter, accountFailures: failureLimiter, addressFailures: addressFailureLimiter },
      decoyHash,
    ),
    authenticate: new Authenticate(tokens, accessStates),
    changePassword: new ChangePassword(users, passwordHasher, tokens, failureLimiter, transactions, accessStates),
    changeUserAccess: new ChangeUserAccess(users, transactions, accessStates),
    getUser: new GetUser(users),
    createAccount: new CreateAccount(registerAccount),
    ensureAdminAccount: new EnsureAdminAccount(users, registerAccount),
    chargeWallet: new ChargeWallet(wallets, transactions, config.wallet, clock, new DomainEventOutbox(outbox)),
    getBalance: new GetBalance(wallets),
    getBalanceHistory: new GetBalanceHistory(wallets),
    runIdempotently: new RunIdempotently(idempotencyStore, transactions, clock, rateLimiter),
  };

  // The catalog.
  const catalogSettings: CatalogSettings = { lowStockThreshold: config.lowStockThreshold, cacheTtlSeconds: config.catalogCacheTtlSeconds };
  const getProduct = new GetProduct(products, cache, catalogSettings);
  const catalogUseCases = {
    listProducts: new ListProducts(products, cache, catalogSettings),
    getProduct,
    listProductForSale: new ListProductForSale(products, transactions, cache, catalogSettings, clock),
    changeProduct: new ChangeProduct(products, transactions, cache, catalogSettings, clock),
    restockOption: new RestockOption(products, stock, transactions, cache, catalogSettings),
  };

  // Ordering.
  const ordering: OrderingContext = {
    orders,
    payments,
    refunds,
    products,
    stock,
    sales,
    wallets,
    coupons,
    userCoupons,
    events: new DomainEventOutbox(outbox),
    gateway,
    cache,
    locks,
    rateLimiter,
    failures: failureLimiter,
    transactions,
    clock,
    logger,
    metrics: businessMetrics,
    policy: {
      maxUnitsPerOption: 10,
      maxUnitsPerOrder: 30,
      reservationTtlSeconds: config.orderReservationTtlSeconds,
      maxUnpaidOrdersPerUser: config.maxUnpaidOrdersPerUser,
    },
  };
  const refundOrder = new RefundOrder(ordering);
  const payForOrder = new PayForOrder(ordering);
  const orderingUseCases = {
    placeOrder: new PlaceOrder(ordering),
    getOrder: new GetOrder(ordering),
    listOrders: new ListOrders(ordering),
    refundOrder,
    cancelOrder: new CancelOrder(ordering, refundOrder),
    advanceFulfilment: new AdvanceFulfilment(ordering),
    completeOrder: new CompleteOrder(ordering),
    payForOrder,
    settlePendingPayment: new SettlePendingPayment(
      ordering,
      new SettleGatewayPayment(ordering),
      { backoffSeconds: config.pendingRecoveryBackoffSeconds, maxAttempts: config.pendingRecoveryMaxAttempts },
      prometheusPaymentRecoveryMetrics(metrics),
    ),
    getPayment: new GetPayment(ordering),
    getPaymentRecovery: new GetPaymentRecovery(ordering),
    listPaymentRecoveries: new ListPaymentRecoveries(ordering),
    retryPaymentRecovery: new RetryPaymentRecovery(ordering),
    expireReservations: new ExpireReservations(ordering),
  };

  // Coupons.
  const couponContext: CouponContext = {
    coupons,
    userCoupons,
    users,
    gate: new MemoryIssueGate(userCoupons, rateLimiter),
    couponCache: new InProcessCache(clock, CACHE_MAX_ENTRIES, config.cacheMaxBytes),
    events: new DomainEventOutbox(outbox),
    rateLimiter,
    transactions,
    clock,
    logger,
  };
  const couponUseCases = {
    createCoupon: new CreateCoupon(couponContext),
    getCoupon: new GetCoupon(couponContext),
    changeCouponStatus: new ChangeCouponStatus(couponContext),
    issueCoupon: new CountedCouponIssue(couponContext, businessMetrics),
    listUserCoupons: new ListUserCoupons(couponContext),
    listCoupons: new ListCoupons(couponContext),
    expireCoupons: new ExpireCoupons(couponContext),
  };

  // Sales.
  const salesUseCases = {
    getPopularProducts: new GetPopularProducts(sales, getProduct, new InProcessPopularAnswerStore(clock), { ttlSeconds: config.popularCacheTtlSeconds }, clock),
    getSalesStatistics: new GetSalesStatistics(sales),
  };

  return {
    config,
    clock,
    logger,
    metrics,
    businessMetrics,
    transactions,
    users,
    wallets,
    tokens,
    idempotencyStore,
    products,
    stock,
    cache,
    sales,
    orders,
    payments,
    refunds,
    outbox,
    coupons,
    userCoupons,
    gateway,
    locks,
    ordering,
    couponContext,
    ...accounts,
    ...catalogUseCases,
    ...orderingUseCases,
    ...couponUseCases,
    ...salesUseCases,
  };
}

export type MemoryShop = Awaited<ReturnType<typeof memoryShop>>;
