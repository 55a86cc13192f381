import { isIP } from 'node:net';
import path from 'node:path';
import Joi from 'joi';
import { DEFAULT_WALLET_POLICY, type WalletPolicy } from '../domain/wallet/wallet-policy.js';

/**
 * Demo accounts and catalog on an empty database. `random-passwords`: each demo account gets a
 * password generated once per DATA_DIR (the embedded default); `fixed-passwords`: the published
 * `demo-pass-1234`, only when DEMO_DATA=true is asked for. Never in production.
 */
export type DemoDataMode = 'off' | 'random-passwords' | 'fixed-passwords';

export interface Config {
  nodeEnv: string;
  port: number;
  databaseUrl: string | null;
  databasePoolMax: number;
  /** Writes nothing waits for are pipelined: sent without waiting, sharing the next statement's round trip. */
  databasePipelining: boolean;
  /** Several URLs mean several independent Redis nodes (for Redlock); the first serves everything else. */
  redisUrls: string[];
  redisKeyPrefix: string;
  dataDir: string;
  jwtSecret: string | null;
  jwtLifetimeSeconds: number;
  passwordHashCost: number;
  /** Password hashes (sign-up) and checks (login) run at once; 0: no bound. */
  passwordHashConcurrency: number;
  /** Hashes waiting for a turn; past it the request is answered 503 at once. 0: no bound. */
  passwordHashQueue: number;
  /**
   * Which peers' X-Forwarded-For to believe, in Express's `trust proxy` terms: a hop count (0:
   * none, the socket's address is the client's) or the proxies' addresses, subnets and names.
   */
  trustProxy: number | string[];
  admin: { email: string; password: string } | null;
  demoData: DemoDataMode;
  dataPlatformUrl: string | null;
  /**
   * The JSON-lines file events go to when there is no data platform (DATA_PLATFORM_URL unset):
   * `DATA_DIR/events.jsonl` beside the embedded database, `DATA_DIR/events-<database>.jsonl`
   * with DATABASE_URL, so a server database's events never land in the embedded demo's file.
   */
  eventsFile: string;
  /** Browser origins (`https://shop.example`) allowed to call the API cross-origin; empty: no CORS. */
  corsOrigins: string[];
  /** Where events go: the webhook, the JSON-lines file, or RabbitMQ (`auto`: the webhook when DATA_PLATFORM_URL is set, else the file). */
  eventPublisher: 'http' | 'file' | 'rabbitmq';
  /** The wire format of events: today's platform JSON, or CloudEvents 1.0 (structured mode). */
  dataPlatformFormat: 'platform' | 'cloudevents';
  /** Standard Webhooks secrets (`whsec_...`), every one signing each delivery; none: unsigned. */
  dataPlatformSecrets: string[];
  /** CloudEvents `source` and AMQP `app_id`. */
  eventSource: string;
  rabbitMq: { url: string; exchange: string } | null;
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
  rateLimitIdempotencyKeysPerMinute: number;
  rateLimitSignupsPerMinutePerAddress: number;
  rateLimitLoginsPerMinutePerAddress: number;
  maxUnpaidOrdersPerUser: number;
  failureBlockThreshold: number;
  failureBlockSeconds: number;
  /** Failed logins from one client address, on any accounts, that block its logins; 0: off. */
  loginFailuresPerAddress: number;
  popularCacheTtlSeconds: number;
  jobIntervalMs: number;
  outboxMaxAttempts: number;
  outboxRetryBaseMs: number;
  outboxRetentionDays: number;
  idempotencyRetentionHours: number;
  logLevel: string;
  /** A listener of its own for /metrics (the main port then has no /metrics); null: on the main port. */
  metricsPort: number | null;
  /** Bearer token /metrics asks for, wherever it is served; null: public. */
  metricsToken: string | null;
  /** How long one reading of the stored state (pending payments, outbox backlog) serves scrapes; 0: every scrape reads. */
  metricsStateCacheSeconds: number;
  wallet: WalletPolicy;
  lowStockThreshold: number;
  catalogCacheTtlSeconds: number;
  /** Levels of objects and arrays one JSON input may nest (0: no limit). */
  jsonMaxDepth: number;
  /** Members of one object or items of one array in any input (0: no limit). */
  jsonMaxEntries: number;
  /** Bytes each in-process cache may hold (0: bounded by entries only). */
  cacheMaxBytes: number;
  /** Subjects each in-process limiter keeps counts for (0: no bound). */
  limiterMaxSubjects: number;
  /** How long a user's role, status and token version may be served from cache when checking a token. */
  authCacheTtlSeconds: number;
}

const count = () => Joi.number().integer().min(0);
const positive = () => Joi.number().integer().min(1);

const schema = Joi.object({
  NODE_ENV: Joi.string().default('development'),
  PORT: Joi.number().port().default(3000),
  DATABASE_URL: Joi.string().uri({ scheme: ['postgres', 'postgresql'] }),
  DATABASE_POOL_MAX: positive().max(200).default(10),
  DATABASE_PIPELINING: Joi.boolean().truthy('1').falsy('0').default(true),
  REDIS_URL: Joi.string().pattern(/^rediss?:\/\/[^,\s]+(,rediss?:\/\/[^,\s]+)*$/).message('REDIS_URL must be redis:// URLs, comma-separated'),
  REDIS_KEY_PREFIX: Joi.string().max(100).default('order-service:'),
  DATA_DIR: Joi.string().default('./.data'),
  JWT_SECRET: Joi.string().min(32).when('NODE_ENV', { is: 'production', then: Joi.required() }),
  JWT_LIFETIME_SECONDS: positive().max(7 * 24 * 3600).default(3600),
  PASSWORD_HASH_COST: Joi.number().integer().min(10).max(20).default(15),
  PASSWORD_HASH_CONCURRENCY: count().default(4),
  PASSWORD_HASH_QUEUE: count().default(64),
  TRUST_PROXY: Joi.string().max(2000),
  ADMIN_EMAIL: Joi.string().email({ tlds: false }),
  ADMIN_PASSWORD: Joi.string().min(8).when('ADMIN_EMAIL', { is: Joi.exist(), then: Joi.required() }),
  DEMO_DATA: Joi.boolean().truthy('1').falsy('0'),
  DATA_PLATFORM_URL: Joi.string().uri({ scheme: ['http', 'https'] }),
  CORS_ORIGINS: Joi.string().max(10_000),
  EVENT_PUBLISHER: Joi.string().valid('auto', 'http', 'file', 'rabbitmq').default('auto'),
  DATA_PLATFORM_FORMAT: Joi.string().valid('platform', 'cloudevents').default('platform'),
  // whsec_ + base64 of at least 24 bytes; several (space- or comma-separated) to rotate.
  DATA_PLATFORM_SECRET: Joi.string()
    .pattern(/^\s*whsec_[A-Za-z0-9+/]{32,}={0,2}(?:[\s,]+whsec_[A-Za-z0-9+/]{32,}={0,2})*\s*$/)
    .message('DATA_PLATFORM_SECRET must be one or more whsec_<base64 of at least 24 bytes>, separated by spaces or commas'),
  EVENT_SOURCE: Joi.string().max(500).default('/order-service'),
  RABBITMQ_URL: Joi.string()
    .uri({ scheme: ['amqp', 'amqps'] })
    .when('EVENT_PUBLISHER', { is: 'rabbitmq', then: Joi.required() }),
  RABBITMQ_EXCHANGE: Joi.string().max(255).default('order-service.events'),
  ORDER_RESERVATION_TTL_SECONDS: positive().default(30),
  PENDING_RECOVERY_AFTER_SECONDS: positive().default(60),
  PENDING_RECOVERY_BACKOFF_SECONDS: count().max(3600).default(30),
  PENDING_RECOVERY_MAX_ATTEMPTS: count().max(1000).default(10),
  PAYMENT_GATEWAY: Joi.string().valid('internal', 'sandbox').default('internal'),
  PAYMENT_GATEWAY_SANDBOX_MODE: Joi.string().valid('approve', 'decline', 'timeout').default('approve'),
  RATE_LIMIT_ORDERS_PER_SECOND: count().default(1),
  RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: count().default(3),
  // Far above what a real client sends (2 a second, every minute), well below a flood.
  RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE: count().default(120),
  RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: count().default(10),
  RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP: count().default(30),
  MAX_UNPAID_ORDERS_PER_USER: count().default(5),
  FAILURE_BLOCK_THRESHOLD: count().default(5),
  FAILURE_BLOCK_SECONDS: count().default(600),
  LOGIN_FAILURES_PER_ADDRESS: count().default(20),
  POPULAR_CACHE_TTL_SECONDS: count().default(60),
  JOB_INTERVAL_MS: Joi.number().integer().min(50).default(1000),
  OUTBOX_MAX_ATTEMPTS: positive().default(10),
  OUTBOX_RETRY_BASE_MS: positive().default(1000),
  OUTBOX_RETENTION_DAYS: positive().default(7),
  IDEMPOTENCY_RETENTION_HOURS: positive().default(24),
  LOG_LEVEL: Joi.string().valid('error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly').default('info'),
  METRICS_PORT: Joi.number().port().default(0),
  // It travels in a header: visible ASCII only, and long enough not to be guessed.
  METRICS_TOKEN: Joi.string().min(16).max(512).pattern(/^[\x21-\x7e]+$/).message('METRICS_TOKEN must be 16 to 512 visible ASCII characters'),
  METRICS_STATE_CACHE_SECONDS: count().max(300).default(5),
  LOW_STOCK_THRESHOLD: count().default(5),
  CATALOG_CACHE_TTL_SECONDS: count().max(300).default(30),
  JSON_MAX_DEPTH: count().max(10_000).default(32),
  JSON_MAX_ENTRIES: count().max(1_000_000).default(1000),
  CACHE_MAX_BYTES: count().default(64 * 1024 * 1024),
  LIMITER_MAX_SUBJECTS: count().default(100_000),
  AUTH_CACHE_TTL_SECONDS: count().max(300).default(5),
  WALLET_MIN_CHARGE: positive().default(DEFAULT_WALLET_POLICY.minCharge),
  WALLET_MAX_CHARGE: positive().default(DEFAULT_WALLET_POLICY.maxCharge),
  WALLET_CHARGE_UNIT: positive().default(DEFAULT_WALLET_POLICY.chargeUnit),
  WALLET_MAX_BALANCE: positive().default(DEFAULT_WALLET_POLICY.maxBalance),
}).unknown(true);

export class ConfigError extends Error {}

/** The names Express's `trust proxy` (proxy-addr) knows for address ranges. */
const TRUSTED_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY in the safe part of what Express's `trust proxy` understands: a hop count, or a
 * comma-separated list of addresses, subnets (CIDR) and range names. Not `true` (trust every
 * peer): then any client could name its own address in X-Forwarded-For and walk past every
 * per-address limit.
 */
function parseTrustProxy(value: string | undefined): number | string[] {
  if (value === undefined) return 0;
  const fail = (why: string): never => {
    throw new ConfigError(`Invalid configuration: TRUST_PROXY: ${why}`);
  };
  if (/^\d+$/.test(value)) return Number(value);
  if (value.trim().toLowerCase() === 'true') {
    fail('true would trust every peer, letting any client pick its own address; give the number of proxies in front (e.g. 1) or their addresses');
  }
  return value.split(',').map((raw) => {
    const entry = raw.trim();
    if (TRUSTED_RANGE_NAMES.has(entry.toLowerCase())) return entry.toLowerCase();
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const bits = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || rest.length > 0) {
      fail(`"${entry}" is not a hop count, an address, a subnet (address/bits) or one of loopback, linklocal, uniquelocal`);
    }
    return entry;
  });
}

/**
 * CORS_ORIGINS: comma-separated origins, each `scheme://host[:port]` (http or https, no path),
 * written as browsers send them in `Origin` (lower case, no default port). `*` is refused: any web
 * page could then use its visitors' browsers against the API (sign-ups and logins from their
 * addresses, past the per-address limits) and read the answers.
 */
function parseCorsOrigins(value: string | undefined): string[] {
  if (value === undefined) return [];
  const origins = new Set<string>();
  for (const raw of value.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    if (entry.includes('*')) {
      throw new ConfigError(
        `Invalid configuration: CORS_ORIGINS: "${entry}": wildcards are refused (any web page could then call the API from its visitors' browsers); list each storefront origin, e.g. https://shop.example`,
      );
    }
    let url: URL | null = null;
    try {
      url = new URL(entry);
    } catch {
      url = null;
    }
    const bare = url !== null && url.username === '' && url.password === '' && url.pathname === '/' && url.search === '' && url.hash === '';
    if (url === null || !['http:', 'https:'].includes(url.protocol) || !bare || !/^https?:\/\/[^/?#]+\/?$/i.test(entry)) {
      throw new ConfigError(`Invalid configuration: CORS_ORIGINS: "${entry}" is not an origin (scheme://host[:port], http or https, no path), e.g. https://shop.example`);
    }
    origins.add(url.origin);
  }
  return [...origins];
}

/** The database a PostgreSQL URL names: its path, else its user (PostgreSQL's default), else `postgres`. */
function databaseNameOf(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  const decoded = (text: string) => {
    try {
      return decodeURIComponent(text);
    } catch {
      return text;
    }
  };
  const name = decoded(url.pathname.replace(/^\//, '')) || decoded(url.username) || 'postgres';
  // Part of a file name: anything but letters, digits, `.`, `_` and `-` becomes `_` (so no `/`).
  return name.replace(/[^\w.-]/g, '_');
}

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
  const metricsPort: number = v['METRICS_PORT'];
  if (metricsPort !== 0 && metricsPort === v['PORT']) {
    throw new ConfigError('Invalid configuration: METRICS_PORT: must differ from PORT (0 serves /metrics on PORT)');
  }
  const databaseUrl: string | null = v['DATABASE_URL'] ?? null;
  const adminEmail: string | undefined = v['ADMIN_EMAIL'];
  const production = v['NODE_ENV'] === 'production';
  const demoDataAsked: boolean | undefined = v['DEMO_DATA'];
  if (production && demoDataAsked === true) {
    // Demo accounts (an ADMIN among them) with logins anyone can read have no place in production.
    throw new ConfigError('Invalid configuration: DEMO_DATA: must not be true when NODE_ENV=production (demo accounts have known logins)');
  }
  let demoData: DemoDataMode = 'off';
  if (demoDataAsked === true) demoData = 'fixed-passwords';
  else if (demoDataAsked === undefined && !production && databaseUrl === null) demoData = 'random-passwords';
  return {
    nodeEnv: v['NODE_ENV'],
    port: v['PORT'],
    databaseUrl,
    databasePoolMax: v['DATABASE_POOL_MAX'],
    databasePipelining: v['DATABASE_PIPELINING'],
    redisUrls: v['REDIS_URL'] ? (v['REDIS_URL'] as string).split(',') : [],
    redisKeyPrefix: v['REDIS_KEY_PREFIX'],
    dataDir: v['DATA_DIR'],
    jwtSecret: v['JWT_SECRET'] ?? null,
    jwtLifetimeSeconds: v['JWT_LIFETIME_SECONDS'],
    passwordHashCost: v['PASSWORD_HASH_COST'],
    passwordHashConcurrency: v['PASSWORD_HASH_CONCURRENCY'],
    passwordHashQueue: v['PASSWORD_HASH_QUEUE'],
    trustProxy: parseTrustProxy(v['TRUST_PROXY']),
    admin: adminEmail ? { email: adminEmail, password: v['ADMIN_PASSWORD'] } : null,
    demoData,
    dataPlatformUrl: v['DATA_PLATFORM_URL'] ?? null,
    eventsFile: path.join(v['DATA_DIR'], databaseUrl === null ? 'events.jsonl' : `events-${databaseNameOf(databaseUrl)}.jsonl`),
    corsOrigins: parseCorsOrigins(v['CORS_ORIGINS']),
    eventPublisher: eventPublisherOf(v['EVENT_PUBLISHER'], v['DATA_PLATFORM_URL']),
    dataPlatformFormat: v['DATA_PLATFORM_FORMAT'],
    dataPlatformSecrets: ((v['DATA_PLATFORM_SECRET'] as string | undefined) ?? '').split(/[\s,]+/).filter(Boolean),
    eventSource: v['EVENT_SOURCE'],
    rabbitMq: v['RABBITMQ_URL'] ? { url: v['RABBITMQ_URL'], exchange: v['RABBITMQ_EXCHANGE'] } : null,
    orderReservationTtlSeconds: v['ORDER_RESERVATION_TTL_SECONDS'],
    pendingRecoveryAfterSeconds: v['PENDING_RECOVERY_AFTER_SECONDS'],
    pendingRecoveryBackoffSeconds: v['PENDING_RECOVERY_BACKOFF_SECONDS'],
    pendingRecoveryMaxAttempts: v['PENDING_RECOVERY_MAX_ATTEMPTS'],
    paymentGateway: v['PAYMENT_GATEWAY'],
    paymentGatewaySandboxMode: v['PAYMENT_GATEWAY_SANDBOX_MODE'],
    rateLimitOrdersPerSecond: v['RATE_LIMIT_ORDERS_PER_SECOND'],
    rateLimitCouponIssuesPerMinute: v['RATE_LIMIT_COUPON_ISSUES_PER_MINUTE'],
    rateLimitIdempotencyKeysPerMinute: v['RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE'],
    rateLimitSignupsPerMinutePerAddress: v['RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP'],
    rateLimitLoginsPerMinutePerAddress: v['RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP'],
    maxUnpaidOrdersPerUser: v['MAX_UNPAID_ORDERS_PER_USER'],
    failureBlockThreshold: v['FAILURE_BLOCK_THRESHOLD'],
    failureBlockSeconds: v['FAILURE_BLOCK_SECONDS'],
    loginFailuresPerAddress: v['LOGIN_FAILURES_PER_ADDRESS'],
    popularCacheTtlSeconds: v['POPULAR_CACHE_TTL_SECONDS'],
    jobIntervalMs: v['JOB_INTERVAL_MS'],
    outboxMaxAttempts: v['OUTBOX_MAX_ATTEMPTS'],
    outboxRetryBaseMs: v['OUTBOX_RETRY_BASE_MS'],
    outboxRetentionDays: v['OUTBOX_RETENTION_DAYS'],
    idempotencyRetentionHours: v['IDEMPOTENCY_RETENTION_HOURS'],
    logLevel: v['LOG_LEVEL'],
    metricsPort: metricsPort === 0 ? null : metricsPort,
    metricsToken: v['METRICS_TOKEN'] ?? null,
    metricsStateCacheSeconds: v['METRICS_STATE_CACHE_SECONDS'],
    lowStockThreshold: v['LOW_STOCK_THRESHOLD'],
    catalogCacheTtlSeconds: v['CATALOG_CACHE_TTL_SECONDS'],
    jsonMaxDepth: v['JSON_MAX_DEPTH'],
    jsonMaxEntries: v['JSON_MAX_ENTRIES'],
    cacheMaxBytes: v['CACHE_MAX_BYTES'],
    limiterMaxSubjects: v['LIMITER_MAX_SUBJECTS'],
    authCacheTtlSeconds: v['AUTH_CACHE_TTL_SECONDS'],
    wallet: {
      minCharge,
      maxCharge,
      chargeUnit,
      maxBalance: v['WALLET_MAX_BALANCE'],
    },
  };
}

function eventPublisherOf(choice: 'auto' | 'http' | 'file' | 'rabbitmq', url: string | undefined): Config['eventPublisher'] {
  if (choice === 'http' && !url) throw new ConfigError('Invalid configuration: EVENT_PUBLISHER: http needs DATA_PLATFORM_URL');
  if (choice !== 'auto') return choice;
  return url ? 'http' : 'file';
}
