import Joi from 'joi';
import { DEFAULT_WALLET_POLICY, type WalletPolicy } from '../domain/wallet/wallet-policy.js';

export interface Config {
  nodeEnv: string;
  port: number;
  databaseUrl: string | null;
  databasePoolMax: number;
  /** Several URLs mean several independent Redis nodes (for Redlock); the first serves everything else. */
  redisUrls: string[];
  redisKeyPrefix: string;
  dataDir: string;
  jwtSecret: string | null;
  jwtLifetimeSeconds: number;
  passwordHashCost: number;
  admin: { email: string; password: string } | null;
  demoData: boolean;
  dataPlatformUrl: string | null;
  orderReservationTtlSeconds: number;
  pendingRecoveryAfterSeconds: number;
  /** Wait after a pending payment's first inconclusive recovery attempt, doubling (at most an hour); 0: every run. */
  pendingRecoveryBackoffSeconds: number;
  /** Inconclusive recovery attempts before a pending payment is handed to an operator; 0: never. */
  pendingRecoveryMaxAttempts: number;
  paymentGateway: 'internal' | 'sandbox';
  paymentGatewaySandboxMode: 'approve' | 'decline' | 'timeout';
  rateLimitOrdersPerSecond: number;
  rateLimitCouponIssuesPerMinute: number;
  failureBlockThreshold: number;
  failureBlockSeconds: number;
  popularCacheTtlSeconds: number;
  jobIntervalMs: number;
  outboxMaxAttempts: number;
  outboxRetryBaseMs: number;
  outboxRetentionDays: number;
  idempotencyRetentionHours: number;
  logLevel: string;
  wallet: WalletPolicy;
  lowStockThreshold: number;
  catalogCacheTtlSeconds: number;
}

const count = () => Joi.number().integer().min(0);
const positive = () => Joi.number().integer().min(1);

const schema = Joi.object({
  NODE_ENV: Joi.string().default('development'),
  PORT: Joi.number().port().default(3000),
  DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }),
  DATABASE_POOL_MAX: positive().max(200).default(10),
  REDIS_URL: Joi.string().pattern(/^rediss?:\/\/[^,\s]+(,rediss?:\/\/[^,\s]+)*$/).message('REDIS_URL must be redis:// URLs, comma-separated'),
  REDIS_KEY_PREFIX: Joi.string().max(100).default('order-service:'),
  DATA_DIR: Joi.string().default('./.data'),
  JWT_SECRET: Joi.string().min(32).when('NODE_ENV', { is: 'production', then: Joi.required() }),
  JWT_LIFETIME_SECONDS: positive().max(7 * 24 * 3600).default(3600),
  PASSWORD_HASH_COST: Joi.number().integer().min(10).max(20).default(15),
  ADMIN_EMAIL: Joi.string().email({ tlds: false }),
  ADMIN_PASSWORD: Joi.string().min(8).when('ADMIN_EMAIL', { is: Joi.exist(), then: Joi.required() }),
  DEMO_DATA: Joi.boolean().truthy('1').falsy('0'),
  DATA_PLATFORM_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  ORDER_RESERVATION_TTL_SECONDS: positive().default(30),
  PENDING_RECOVERY_AFTER_SECONDS: positive().default(60),
  PENDING_RECOVERY_BACKOFF_SECONDS: count().max(3600).default(30),
  PENDING_RECOVERY_MAX_ATTEMPTS: count().max(1000).default(10),
  PAYMENT_GATEWAY: Joi.string().valid('internal', 'sandbox').default('internal'),
  PAYMENT_GATEWAY_SANDBOX_MODE: Joi.string().valid('approve', 'decline', 'timeout').default('approve'),
  RATE_LIMIT_ORDERS_PER_SECOND: count().default(1),
  RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: count().default(3),
  FAILURE_BLOCK_THRESHOLD: count().default(5),
  FAILURE_BLOCK_SECONDS: count().default(600),
  POPULAR_CACHE_TTL_SECONDS: count().default(60),
  JOB_INTERVAL_MS: Joi.number().integer().min(50).default(1000),
  OUTBOX_MAX_ATTEMPTS: positive().default(10),
  OUTBOX_RETRY_BASE_MS: positive().default(1000),
  OUTBOX_RETENTION_DAYS: positive().default(7),
  IDEMPOTENCY_RETENTION_HOURS: positive().default(24),
  LOG_LEVEL: Joi.string().valid('error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly').default('info'),
  LOW_STOCK_THRESHOLD: count().default(5),
  CATALOG_CACHE_TTL_SECONDS: count().max(300).default(30),
  WALLET_MIN_CHARGE: positive().default(DEFAULT_WALLET_POLICY.minCharge),
  WALLET_MAX_CHARGE: positive().default(DEFAULT_WALLET_POLICY.maxCharge),
  WALLET_CHARGE_UNIT: positive().default(DEFAULT_WALLET_POLICY.chargeUnit),
  WALLET_MAX_BALANCE: positive().default(DEFAULT_WALLET_POLICY.maxBalance),
}).unknown(true);

export class ConfigError extends Error {}

/** Reads and checks the environment; a bad value is one clear line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  // An empty variable counts as unset, as shells and compose files often leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const { value, error } = schema.validate(present, { abortEarly: true, convert: true });
  if (error) {
    const detail = error.details[0];
    const name = String(detail?.path[0] ?? 'configuration');
    throw new ConfigError(`Invalid configuration: ${name}: ${detail?.message.replaceAll('"', '') ?? error.message}`);
  }
  const v = value as Record<string, never>;
  const minCharge: number = v['WALLET_MIN_CHARGE'];
  const maxCharge: number = v['WALLET_MAX_CHARGE'];
  const chargeUnit: number = v['WALLET_CHARGE_UNIT'];
  if (minCharge > maxCharge) {
    throw new ConfigError('Invalid configuration: WALLET_MIN_CHARGE: must not be above WALLET_MAX_CHARGE');
  }
  if (minCharge % chargeUnit !== 0 || maxCharge % chargeUnit !== 0) {
    throw new ConfigError('Invalid configuration: WALLET_CHARGE_UNIT: WALLET_MIN_CHARGE and WALLET_MAX_CHARGE must be multiples of it');
  }
  const databaseUrl: string | null = v['DATABASE_URL'] ?? null;
  const adminEmail: string | undefined = v['ADMIN_EMAIL'];
  return {
    nodeEnv: v['NODE_ENV'],
    port: v['PORT'],
    databaseUrl,
    databasePoolMax: v['DATABASE_POOL_MAX'],
    redisUrls: v['REDIS_URL'] ? (v['REDIS_URL'] as string).split(',') : [],
    redisKeyPrefix: v['REDIS_KEY_PREFIX'],
    dataDir: v['DATA_DIR'],
    jwtSecret: v['JWT_SECRET'] ?? null,
    jwtLifetimeSeconds: v['JWT_LIFETIME_SECONDS'],
    passwordHashCost: v['PASSWORD_HASH_COST'],
    admin: adminEmail ? { email: adminEmail, password: v['ADMIN_PASSWORD'] } : null,
    demoData: v['DEMO_DATA'] ?? databaseUrl === null,
    dataPlatformUrl: v['DATA_PLATFORM_URL'] ?? null,
    orderReservationTtlSeconds: v['ORDER_RESERVATION_TTL_SECONDS'],
    pendingRecoveryAfterSeconds: v['PENDING_RECOVERY_AFTER_SECONDS'],
    pendingRecoveryBackoffSeconds: v['PENDING_RECOVERY_BACKOFF_SECONDS'],
    pendingRecoveryMaxAttempts: v['PENDING_RECOVERY_MAX_ATTEMPTS'],
    paymentGateway: v['PAYMENT_GATEWAY'],
    paymentGatewaySandboxMode: v['PAYMENT_GATEWAY_SANDBOX_MODE'],
    rateLimitOrdersPerSecond: v['RATE_LIMIT_ORDERS_PER_SECOND'],
    rateLimitCouponIssuesPerMinute: v['RATE_LIMIT_COUPON_ISSUES_PER_MINUTE'],
    failureBlockThreshold: v['FAILURE_BLOCK_THRESHOLD'],
    failureBlockSeconds: v['FAILURE_BLOCK_SECONDS'],
    popularCacheTtlSeconds: v['POPULAR_CACHE_TTL_SECONDS'],
    jobIntervalMs: v['JOB_INTERVAL_MS'],
    outboxMaxAttempts: v['OUTBOX_MAX_ATTEMPTS'],
    outboxRetryBaseMs: v['OUTBOX_RETRY_BASE_MS'],
    outboxRetentionDays: v['OUTBOX_RETENTION_DAYS'],
    idempotencyRetentionHours: v['IDEMPOTENCY_RETENTION_HOURS'],
    logLevel: v['LOG_LEVEL'],
    lowStockThreshold: v['LOW_STOCK_THRESHOLD'],
    catalogCacheTtlSeconds: v['CATALOG_CACHE_TTL_SECONDS'],
    wallet: {
      minCharge,
      maxCharge,
      chargeUnit,
      maxBalance: v['WALLET_MAX_BALANCE'],
    },
  };
}
