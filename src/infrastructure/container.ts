import type { Redis } from 'ioredis';
import { Container, type ResolutionContext } from 'inversify';
import type { Knex } from 'knex';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { LogIn } from '../application/auth/log-in.js';
import { RegisterAccount } from '../application/auth/register-account.js';
import { SignUp } from '../application/auth/sign-up.js';
import { RunIdempotently } from '../application/idempotency/run-idempotently.js';
import type { FailureLimiter } from '../application/ports/failure-limiter.js';
import type { IdempotencyStore, IdempotencyTimings } from '../application/ports/idempotency-store.js';
import type { Logger } from '../application/ports/logger.js';
import type { PasswordHasher } from '../application/ports/password-hasher.js';
import type { TokenService } from '../application/ports/token-service.js';
import type { TransactionManager } from '../application/ports/transaction-manager.js';
import { GetProduct, ListProducts } from '../application/catalog/browse-products.js';
import type { CatalogSettings } from '../application/catalog/catalog-settings.js';
import { ChangeProduct, ListProductForSale, RestockOption } from '../application/catalog/manage-products.js';
import type { Cache } from '../application/ports/cache.js';
import { CreateAccount } from '../application/users/create-account.js';
import { EnsureAdminAccount } from '../application/users/ensure-admin-account.js';
import { GetUser } from '../application/users/get-user.js';
import { ChargeWallet } from '../application/wallet/charge-wallet.js';
import { GetBalance, GetBalanceHistory } from '../application/wallet/get-balance.js';
import type { ProductRepository } from '../domain/catalog/product-repository.js';
import type { StockRepository } from '../domain/catalog/stock-repository.js';
import type { Clock } from '../domain/shared/clock.js';
import type { UserRepository } from '../domain/user/user-repository.js';
import type { WalletRepository } from '../domain/wallet/wallet-repository.js';
import { MemoryCatalog, MemoryProductRepository, MemoryStockRepository } from '../adapters/memory/catalog.js';
import { MemoryFailureLimiter } from '../adapters/memory/failure-limiter.js';
import { InProcessCache, NoCache } from '../adapters/memory/in-process-cache.js';
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
import { RedisCache } from '../adapters/redis/redis-cache.js';
import { RedisFailureLimiter } from '../adapters/redis/redis-failure-limiter.js';
import { JwtTokenService } from '../adapters/security/jwt-token-service.js';
import { ScryptPasswordHasher } from '../adapters/security/scrypt-password-hasher.js';
import { SystemClock } from '../adapters/system/system-clock.js';
import type { Config } from './config.js';

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
  passwordHasher: token<PasswordHasher>('PasswordHasher'),
  tokens: token<TokenService>('TokenService'),
  registerAccount: token<RegisterAccount>('RegisterAccount'),
  signUp: token<SignUp>('SignUp'),
  logIn: token<LogIn>('LogIn'),
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
} as const;

export interface ContainerInputs {
  config: Config;
  logger: Logger;
  jwtSecret: string;
  /** Absent: the in-memory adapters (one process, nothing kept). */
  db: Knex | null;
  redis: Redis | null;
  clock?: Clock;
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

  const hasher = new ScryptPasswordHasher({ N: 2 ** config.passwordHashCost, r: 8, p: 1 });
  // Checked against for unknown e-mails, so a login takes as long whether or not the account exists.
  const decoyHash = await hasher.hash(`decoy-${Date.now()}`);
  const metrics = new Registry();
  collectDefaultMetrics({ register: metrics });
  const idempotencyTimings: IdempotencyTimings = {
    retentionMs: config.idempotencyRetentionHours * 3_600_000,
    leaseMs: 60_000,
  };
  const failurePolicy = { threshold: config.failureBlockThreshold, blockSeconds: config.failureBlockSeconds };

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
  } else {
    const tx = new MemoryTransactionManager();
    c.bind(TOKENS.transactions).toConstantValue(tx);
    c.bind(TOKENS.users).toConstantValue(new MemoryUserRepository(tx));
    c.bind(TOKENS.wallets).toConstantValue(new MemoryWalletRepository(tx));
    c.bind(TOKENS.idempotencyStore).toConstantValue(new MemoryIdempotencyStore(tx, idempotencyTimings));
    const catalog = new MemoryCatalog(tx);
    c.bind(TOKENS.products).toConstantValue(new MemoryProductRepository(catalog));
    c.bind(TOKENS.stock).toConstantValue(new MemoryStockRepository(catalog));
  }
  bind(TOKENS.cache, (get) => {
    if (config.catalogCacheTtlSeconds === 0) return new NoCache();
    return redis ? new RedisCache(redis, logger) : new InProcessCache(get(TOKENS.clock));
  });
  bind(TOKENS.failureLimiter, (get) =>
    redis
      ? new RedisFailureLimiter(redis, failurePolicy, logger)
      : new MemoryFailureLimiter(failurePolicy, get(TOKENS.clock)),
  );

  bind(TOKENS.registerAccount, (get) =>
    new RegisterAccount(get(TOKENS.users), get(TOKENS.wallets), get(TOKENS.passwordHasher), get(TOKENS.transactions), get(TOKENS.clock)),
  );
  bind(TOKENS.signUp, (get) => new SignUp(get(TOKENS.registerAccount)));
  bind(TOKENS.logIn, (get) =>
    new LogIn(get(TOKENS.users), get(TOKENS.passwordHasher), get(TOKENS.tokens), get(TOKENS.failureLimiter), decoyHash),
  );
  bind(TOKENS.getUser, (get) => new GetUser(get(TOKENS.users)));
  bind(TOKENS.createAccount, (get) => new CreateAccount(get(TOKENS.registerAccount)));
  bind(TOKENS.ensureAdminAccount, (get) => new EnsureAdminAccount(get(TOKENS.users), get(TOKENS.registerAccount)));
  bind(TOKENS.chargeWallet, (get) =>
    new ChargeWallet(get(TOKENS.wallets), get(TOKENS.transactions), get(TOKENS.config).wallet, get(TOKENS.clock)),
  );
  bind(TOKENS.getBalance, (get) => new GetBalance(get(TOKENS.wallets)));
  bind(TOKENS.getBalanceHistory, (get) => new GetBalanceHistory(get(TOKENS.wallets)));
  bind(TOKENS.runIdempotently, (get) =>
    new RunIdempotently(get(TOKENS.idempotencyStore), get(TOKENS.transactions), get(TOKENS.clock)),
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
  return c;
}

/** Typed lookup: the token carries the type. */
export function resolve<T>(container: Container, t: Token<T>): T {
  return container.get<T>(t);
}
