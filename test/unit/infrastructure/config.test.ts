import path from 'node:path';
import { expect } from 'chai';
import { DEFAULT_WALLET_POLICY } from '../../../src/domain/wallet/wallet-policy.js';
import { ConfigError, loadConfig } from '../../../src/infrastructure/config.js';
import { thrownBy } from '../expect-error.js';

const SECRET = 'a-production-secret-of-at-least-32-chars';
const DB = 'postgres://shop:shop@db.internal:5432/shop';

function configErrorOf(env: Record<string, string>): ConfigError {
  const error = thrownBy(() => loadConfig(env));
  expect(error).to.be.instanceOf(ConfigError);
  return error as ConfigError;
}

describe('loadConfig (the environment, checked at start-up)', () => {
  it('with nothing set, every setting has its documented default', () => {
    expect(loadConfig({})).to.deep.equal({
      nodeEnv: 'development',
      port: 3000,
      databaseUrl: null,
      databasePoolMax: 10,
      databasePipelining: true,
      redisUrls: [],
      redisKeyPrefix: 'order-service:',
      dataDir: './.data',
      jwtSecret: null,
      jwtLifetimeSeconds: 3600,
      passwordHashCost: 15,
      passwordHashConcurrency: 4,
      passwordHashQueue: 64,
      trustProxy: 0,
      admin: null,
      demoData: 'random-passwords',
      dataPlatformUrl: null,
      eventsFile: path.join('.data', 'events.jsonl'),
      corsOrigins: [],
      eventPublisher: 'file',
      dataPlatformFormat: 'platform',
      dataPlatformSecrets: [],
      eventSource: '/order-service',
      rabbitMq: null,
      orderReservationTtlSeconds: 30,
      pendingRecoveryAfterSeconds: 60,
      pendingRecoveryBackoffSeconds: 30,
      pendingRecoveryMaxAttempts: 10,
      paymentGateway: 'internal',
      paymentGatewaySandboxMode: 'approve',
      rateLimitOrdersPerSecond: 1,
      rateLimitCouponIssuesPerMinute: 3,
      rateLimitIdempotencyKeysPerMinute: 120,
      rateLimitSignupsPerMinutePerAddress: 10,
      rateLimitLoginsPerMinutePerAddress: 30,
      maxUnpaidOrdersPerUser: 5,
      failureBlockThreshold: 5,
      failureBlockSeconds: 600,
      loginFailuresPerAddress: 20,
      popularCacheTtlSeconds: 60,
      jobIntervalMs: 1000,
      outboxMaxAttempts: 10,
      outboxRetryBaseMs: 1000,
      outboxRetentionDays: 7,
      idempotencyRetentionHours: 24,
      logLevel: 'info',
      metricsPort: null,
      metricsToken: null,
      metricsStateCacheSeconds: 5,
      lowStockThreshold: 5,
      catalogCacheTtlSeconds: 30,
      jsonMaxDepth: 32,
      jsonMaxEntries: 1000,
      cacheMaxBytes: 64 * 1024 * 1024,
      limiterMaxSubjects: 100_000,
      authCacheTtlSeconds: 5,
      wallet: { minCharge: 1_000, maxCharge: 100_000, chargeUnit: 10, maxBalance: 10_000_000 },
    });
  });

  it('the events’ outlet: the webhook with DATA_PLATFORM_URL, else the file; RabbitMQ by choice, with its URL; secrets checked and split', () => {
    expect(loadConfig({ DATA_PLATFORM_URL: 'https://platform.example/events' }).eventPublisher).to.equal('http');
    const rabbit = loadConfig({ EVENT_PUBLISHER: 'rabbitmq', RABBITMQ_URL: 'amqp://u:p@mq:5672/shop' });
    expect(rabbit).to.deep.include({ eventPublisher: 'rabbitmq', rabbitMq: { url: 'amqp://u:p@mq:5672/shop', exchange: 'order-service.events' } });
    expect(configErrorOf({ EVENT_PUBLISHER: 'rabbitmq' }).message).to.match(/RABBITMQ_URL/);
    expect(configErrorOf({ EVENT_PUBLISHER: 'http' }).message).to.match(/EVENT_PUBLISHER: http needs DATA_PLATFORM_URL/);
    expect(configErrorOf({ EVENT_PUBLISHER: 'kafka' }).message).to.match(/EVENT_PUBLISHER/);
    const a = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
    const b = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
    expect(loadConfig({ DATA_PLATFORM_SECRET: `${a}, ${b}` }).dataPlatformSecrets).to.deep.equal([a, b]);
    expect(configErrorOf({ DATA_PLATFORM_SECRET: 'plain-secret' }).message).to.match(/DATA_PLATFORM_SECRET must be one or more whsec_/);
    expect(configErrorOf({ DATA_PLATFORM_FORMAT: 'xml' }).message).to.match(/DATA_PLATFORM_FORMAT/);
  });

  it('the wallet defaults are the domain’s defaults', () => {
    expect(loadConfig({}).wallet).to.deep.equal(DEFAULT_WALLET_POLICY);
  });

  it('demo data is on, with generated passwords, without a database, and off with DATABASE_URL', () => {
    expect(loadConfig({}).demoData).to.equal('random-passwords');
    const withDb = loadConfig({ DATABASE_URL: DB });
    expect(withDb.databaseUrl).to.equal(DB);
    expect(withDb.demoData).to.equal('off');
  });

  it('DEMO_DATA says otherwise when set: false and 0 switch it off; true and 1 load it with the published password', () => {
    expect(loadConfig({ DEMO_DATA: 'false' }).demoData).to.equal('off');
    expect(loadConfig({ DEMO_DATA: '0' }).demoData).to.equal('off');
    expect(loadConfig({ DEMO_DATA: 'true' }).demoData).to.equal('fixed-passwords');
    expect(loadConfig({ DATABASE_URL: DB, DEMO_DATA: 'true' }).demoData).to.equal('fixed-passwords');
    expect(loadConfig({ DATABASE_URL: DB, DEMO_DATA: '1' }).demoData).to.equal('fixed-passwords');
  });

  it('NODE_ENV=production: no demo data by default, even on the embedded database', () => {
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET }).demoData).to.equal('off');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DATABASE_URL: DB }).demoData).to.equal('off');
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, DEMO_DATA: 'false' }).demoData).to.equal('off');
  });

  for (const asked of ['true', '1']) {
    it(`NODE_ENV=production with DEMO_DATA=${asked} is refused with one line naming DEMO_DATA`, () => {
      const error = configErrorOf({ NODE_ENV: 'production', JWT_SECRET: SECRET, DEMO_DATA: asked });
      expect(error.message).to.match(/^Invalid configuration: DEMO_DATA: /);
      expect(error.message).to.include('production');
      expect(error.message).not.to.include('\n');
    });
  }

  it('reads numbers from their strings (PORT, TTL, job interval, block threshold, wallet cap)', () => {
    const config = loadConfig({
      PORT: '8080',
      ORDER_RESERVATION_TTL_SECONDS: '45',
      JOB_INTERVAL_MS: '250',
      FAILURE_BLOCK_THRESHOLD: '0',
      WALLET_MAX_BALANCE: '5000000',
    });
    expect(config.port).to.equal(8080);
    expect(config.orderReservationTtlSeconds).to.equal(45);
    expect(config.jobIntervalMs).to.equal(250);
    expect(config.failureBlockThreshold).to.equal(0);
    expect(config.wallet).to.deep.equal({ ...DEFAULT_WALLET_POLICY, maxBalance: 5_000_000 });
  });

  it('PORT=abc stops start-up with one line naming PORT', () => {
    const error = configErrorOf({ PORT: 'abc' });
    expect(error.message.startsWith('Invalid configuration: PORT')).to.equal(true);
    expect(error.message).not.to.include('\n');
    expect(error.message).not.to.include('"');
  });

  it('a port out of range is refused, naming PORT', () => {
    expect(configErrorOf({ PORT: '70000' }).message.startsWith('Invalid configuration: PORT')).to.equal(true);
  });

  it('production without JWT_SECRET is refused, naming JWT_SECRET', () => {
    const error = configErrorOf({ NODE_ENV: 'production', DATABASE_URL: DB });
    expect(error.message.startsWith('Invalid configuration: JWT_SECRET')).to.equal(true);
  });

  it('production with a JWT_SECRET starts', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET });
    expect([config.nodeEnv, config.jwtSecret]).to.deep.equal(['production', SECRET]);
  });

  it('a JWT_SECRET shorter than 32 characters is refused, naming JWT_SECRET', () => {
    expect(configErrorOf({ JWT_SECRET: 'too-short' }).message.startsWith('Invalid configuration: JWT_SECRET')).to.equal(true);
  });

  it('ADMIN_EMAIL without ADMIN_PASSWORD is refused, naming ADMIN_PASSWORD', () => {
    const error = configErrorOf({ ADMIN_EMAIL: 'root@shop.test' });
    expect(error.message.startsWith('Invalid configuration: ADMIN_PASSWORD')).to.equal(true);
  });

  it('ADMIN_EMAIL with ADMIN_PASSWORD gives the start-up admin', () => {
    expect(loadConfig({ ADMIN_EMAIL: 'root@shop.test', ADMIN_PASSWORD: 'root-password' }).admin).to.deep.equal({
      email: 'root@shop.test',
      password: 'root-password',
    });
  });

  it('REDIS_URL with two comma-separated URLs gives two Redis nodes', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r1:6379,redis://r2:6379' }).redisUrls).to.deep.equal([
      'redis://r1:6379',
      'redis://r2:6379',
    ]);
    expect(loadConfig({ REDIS_URL: 'rediss://one:6380' }).redisUrls).to.deep.equal(['rediss://one:6380']);
  });

  it('a REDIS_URL that is not redis:// is refused, naming REDIS_URL', () => {
    expect(configErrorOf({ REDIS_URL: 'http://cache:6379' }).message.startsWith('Invalid configuration: REDIS_URL')).to.equal(true);
  });

  it('a DATABASE_URL that is not postgres:// is refused, naming DATABASE_URL', () => {
    expect(configErrorOf({ DATABASE_URL: 'mysql://db/shop' }).message.startsWith('Invalid configuration: DATABASE_URL')).to.equal(true);
  });

  it('DATABASE_PIPELINING is on by default; 0 or false switches it off; anything else is refused, naming it', () => {
    expect(loadConfig({ DATABASE_PIPELINING: '0' }).databasePipelining).to.equal(false);
    expect(loadConfig({ DATABASE_PIPELINING: 'false' }).databasePipelining).to.equal(false);
    expect(loadConfig({ DATABASE_PIPELINING: '1' }).databasePipelining).to.equal(true);
    expect(configErrorOf({ DATABASE_PIPELINING: 'sometimes' }).message).to.include('DATABASE_PIPELINING');
  });

  it('JOB_INTERVAL_MS below 50 is refused, naming JOB_INTERVAL_MS', () => {
    expect(configErrorOf({ JOB_INTERVAL_MS: '10' }).message.startsWith('Invalid configuration: JOB_INTERVAL_MS')).to.equal(true);
  });

  it('AUTH_CACHE_TTL_SECONDS is read, 0 included (every request reads the user); above 300 or a fraction is refused, naming it', () => {
    expect(loadConfig({ AUTH_CACHE_TTL_SECONDS: '0' }).authCacheTtlSeconds).to.equal(0);
    expect(loadConfig({ AUTH_CACHE_TTL_SECONDS: '60' }).authCacheTtlSeconds).to.equal(60);
    for (const bad of ['301', '1.5', '-1', 'soon']) {
      expect(configErrorOf({ AUTH_CACHE_TTL_SECONDS: bad }).message).to.match(/^Invalid configuration: AUTH_CACHE_TTL_SECONDS: /);
    }
  });

  it('OUTBOX_RETENTION_DAYS is read; 0 or a fraction is refused, naming it', () => {
    expect(loadConfig({ OUTBOX_RETENTION_DAYS: '30' }).outboxRetentionDays).to.equal(30);
    for (const bad of ['0', '1.5', 'week']) expect(() => loadConfig({ OUTBOX_RETENTION_DAYS: bad })).to.throw(/OUTBOX_RETENTION_DAYS/);
  });

  it('JSON_MAX_DEPTH and JSON_MAX_ENTRIES are read, 0 switches them off; a negative or a fraction is refused, naming it', () => {
    expect(loadConfig({ JSON_MAX_DEPTH: '8', JSON_MAX_ENTRIES: '200' })).to.include({ jsonMaxDepth: 8, jsonMaxEntries: 200 });
    expect(loadConfig({ JSON_MAX_DEPTH: '0', JSON_MAX_ENTRIES: '0' })).to.include({ jsonMaxDepth: 0, jsonMaxEntries: 0 });
    expect(configErrorOf({ JSON_MAX_DEPTH: '-1' }).message).to.match(/^Invalid configuration: JSON_MAX_DEPTH: /);
    expect(configErrorOf({ JSON_MAX_ENTRIES: '2.5' }).message).to.match(/^Invalid configuration: JSON_MAX_ENTRIES: /);
  });

  it('the memory bounds and the new-key limit are read (0 switches each off); a negative value is refused, naming it', () => {
    const config = loadConfig({ RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE: '0', CACHE_MAX_BYTES: '1048576', LIMITER_MAX_SUBJECTS: '0' });
    expect([config.rateLimitIdempotencyKeysPerMinute, config.cacheMaxBytes, config.limiterMaxSubjects]).to.deep.equal([0, 1_048_576, 0]);
    for (const name of ['RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE', 'CACHE_MAX_BYTES', 'LIMITER_MAX_SUBJECTS']) {
      expect(configErrorOf({ [name]: '-1' }).message.startsWith(`Invalid configuration: ${name}`), name).to.equal(true);
    }
  });

  it('METRICS_PORT and METRICS_TOKEN are read; METRICS_PORT=0 keeps /metrics on PORT', () => {
    const config = loadConfig({ PORT: '3000', METRICS_PORT: '9464', METRICS_TOKEN: 'scrape-token-0123456789' });
    expect([config.metricsPort, config.metricsToken]).to.deep.equal([9464, 'scrape-token-0123456789']);
    expect(loadConfig({ METRICS_PORT: '0' }).metricsPort).to.equal(null);
  });

  it('METRICS_PORT equal to PORT is refused, naming METRICS_PORT', () => {
    expect(configErrorOf({ PORT: '8080', METRICS_PORT: '8080' }).message.startsWith('Invalid configuration: METRICS_PORT')).to.equal(true);
  });

  it('a METRICS_TOKEN too short or with spaces is refused, naming it and never echoing it', () => {
    for (const bad of ['short-token', 'a token with spaces in it']) {
      const error = configErrorOf({ METRICS_TOKEN: bad });
      expect(error.message.startsWith('Invalid configuration: METRICS_TOKEN')).to.equal(true);
      expect(error.message).not.to.include(bad);
    }
  });

  it('METRICS_STATE_CACHE_SECONDS is read (0: every scrape reads); a negative, a fraction or more than 300 is refused, naming it', () => {
    expect(loadConfig({ METRICS_STATE_CACHE_SECONDS: '0' }).metricsStateCacheSeconds).to.equal(0);
    expect(loadConfig({ METRICS_STATE_CACHE_SECONDS: '300' }).metricsStateCacheSeconds).to.equal(300);
    for (const bad of ['-1', '1.5', '301', 'soon']) {
      expect(configErrorOf({ METRICS_STATE_CACHE_SECONDS: bad }).message.startsWith('Invalid configuration: METRICS_STATE_CACHE_SECONDS')).to.equal(true);
    }
  });

  it('the sign-up, login and hashing limits are read, 0 switching each off; a negative or a fraction is refused, naming it', () => {
    const config = loadConfig({
      RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: '0',
      RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP: '100',
      LOGIN_FAILURES_PER_ADDRESS: '0',
      PASSWORD_HASH_CONCURRENCY: '2',
      PASSWORD_HASH_QUEUE: '0',
    });
    expect(config).to.include({
      rateLimitSignupsPerMinutePerAddress: 0,
      rateLimitLoginsPerMinutePerAddress: 100,
      loginFailuresPerAddress: 0,
      passwordHashConcurrency: 2,
      passwordHashQueue: 0,
    });
    for (const name of [
      'RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP',
      'RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP',
      'LOGIN_FAILURES_PER_ADDRESS',
      'PASSWORD_HASH_CONCURRENCY',
      'PASSWORD_HASH_QUEUE',
    ]) {
      for (const bad of ['-1', '1.5', 'many']) {
        expect(configErrorOf({ [name]: bad }).message.startsWith(`Invalid configuration: ${name}`), `${name}=${bad}`).to.equal(true);
      }
    }
  });

  it('PENDING_RECOVERY_BACKOFF_SECONDS and PENDING_RECOVERY_MAX_ATTEMPTS are read, 0 switching each off; a negative, fractional or too large value is refused, naming it', () => {
    const config = loadConfig({ PENDING_RECOVERY_BACKOFF_SECONDS: '0', PENDING_RECOVERY_MAX_ATTEMPTS: '0' });
    expect([config.pendingRecoveryBackoffSeconds, config.pendingRecoveryMaxAttempts]).to.deep.equal([0, 0]);
    expect(loadConfig({ PENDING_RECOVERY_BACKOFF_SECONDS: '3600', PENDING_RECOVERY_MAX_ATTEMPTS: '3' })).to.deep.include({
      pendingRecoveryBackoffSeconds: 3600,
      pendingRecoveryMaxAttempts: 3,
    });
    for (const name of ['PENDING_RECOVERY_BACKOFF_SECONDS', 'PENDING_RECOVERY_MAX_ATTEMPTS']) {
      for (const bad of ['-1', '1.5', 'often', '100000']) {
        const error = configErrorOf({ [name]: bad });
        expect(error.message.startsWith(`Invalid configuration: ${name}:`), `${name}=${bad}: ${error.message}`).to.equal(true);
        expect(error.message).not.to.include('\n');
      }
    }
  });

  describe('TRUST_PROXY (whose X-Forwarded-For to believe)', () => {
    it('takes a hop count', () => {
      expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).to.equal(1);
      expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).to.equal(0);
    });

    it('takes a comma-separated list of addresses, subnets and range names', () => {
      expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,192.168.1.7, fd00::/8 ,::1, UniqueLocal' }).trustProxy).to.deep.equal([
        'loopback',
        '10.0.0.0/8',
        '192.168.1.7',
        'fd00::/8',
        '::1',
        'uniquelocal',
      ]);
    });

    it('refuses true (any client could pick its own address), naming TRUST_PROXY in one line', () => {
      const error = configErrorOf({ TRUST_PROXY: 'true' });
      expect(error.message).to.match(/^Invalid configuration: TRUST_PROXY: true would trust every peer/);
      expect(error.message).not.to.include('\n');
    });

    for (const bad of ['yes', '10.0.0.0/33', '::1/129', '10.0.0.300', 'loopback,', '1.2.3.4/8/8', '-1', 'proxy.internal']) {
      it(`refuses ${JSON.stringify(bad)}, naming TRUST_PROXY`, () => {
        expect(configErrorOf({ TRUST_PROXY: bad }).message.startsWith('Invalid configuration: TRUST_PROXY')).to.equal(true);
      });
    }
  });

  it('MAX_UNPAID_ORDERS_PER_USER is read, 0 switches it off; a negative or a fraction is refused, naming it in one line', () => {
    expect(loadConfig({ MAX_UNPAID_ORDERS_PER_USER: '12' }).maxUnpaidOrdersPerUser).to.equal(12);
    expect(loadConfig({ MAX_UNPAID_ORDERS_PER_USER: '0' }).maxUnpaidOrdersPerUser).to.equal(0);
    for (const bad of ['-1', '2.5', 'many']) {
      const { message } = configErrorOf({ MAX_UNPAID_ORDERS_PER_USER: bad });
      expect(message.startsWith('Invalid configuration: MAX_UNPAID_ORDERS_PER_USER:')).to.equal(true);
      expect(message).not.to.include('\n');
    }
  });

  it('an empty variable counts as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', REDIS_URL: '', DEMO_DATA: '', ADMIN_EMAIL: '', ADMIN_PASSWORD: '', JWT_SECRET: '' });
    expect(config.port).to.equal(3000);
    expect(config.databaseUrl).to.equal(null);
    expect(config.demoData).to.equal('random-passwords');
    expect(config.redisUrls).to.deep.equal([]);
    expect(config.admin).to.equal(null);
    expect(config.jwtSecret).to.equal(null);
  });

  it('an empty JWT_SECRET in production is as missing: refused, naming JWT_SECRET', () => {
    expect(configErrorOf({ NODE_ENV: 'production', JWT_SECRET: '' }).message.startsWith('Invalid configuration: JWT_SECRET')).to.equal(true);
  });

  describe('CORS_ORIGINS (browser storefronts allowed cross-origin)', () => {
    it('unset or empty: none', () => {
      expect(loadConfig({}).corsOrigins).to.deep.equal([]);
      expect(loadConfig({ CORS_ORIGINS: '' }).corsOrigins).to.deep.equal([]);
      expect(loadConfig({ CORS_ORIGINS: ' , ' }).corsOrigins).to.deep.equal([]);
    });

    it('a comma-separated list, each written as browsers send Origin: lower case, no default port, no trailing slash; duplicates once', () => {
      const config = loadConfig({ CORS_ORIGINS: ' HTTPS://Shop.Example/ , http://localhost:5173,https://shop.example:443, http://[::1]:8080' });
      expect(config.corsOrigins).to.deep.equal(['https://shop.example', 'http://localhost:5173', 'http://[::1]:8080']);
    });

    for (const [value, why] of [
      ['*', 'wildcards'],
      ['https://*.shop.example', 'wildcards'],
      ['shop.example', 'not an origin'],
      ['https://shop.example/store', 'not an origin'],
      ['https://shop.example?x=1', 'not an origin'],
      ['https://user:pw@shop.example', 'not an origin'],
      ['ftp://shop.example', 'not an origin'],
      ['null', 'not an origin'],
      ['https://shop.example, nonsense', 'not an origin'],
    ] as const) {
      it(`${JSON.stringify(value)} is refused in one line naming CORS_ORIGINS (${why})`, () => {
        const error = configErrorOf({ CORS_ORIGINS: value });
        expect(error.message).to.match(/^Invalid configuration: CORS_ORIGINS: /);
        expect(error.message).to.include(why);
        expect(error.message).not.to.include('\n');
      });
    }
  });

  describe('the events file when there is no DATA_PLATFORM_URL', () => {
    it('the embedded database: DATA_DIR/events.jsonl', () => {
      expect(loadConfig({ DATA_DIR: '/srv/shop' }).eventsFile).to.equal('/srv/shop/events.jsonl');
    });

    it('DATABASE_URL: DATA_DIR/events-<database name>.jsonl, never the embedded demo\'s file', () => {
      expect(loadConfig({ DATABASE_URL: DB, DATA_DIR: '/srv/shop' }).eventsFile).to.equal('/srv/shop/events-shop.jsonl');
      expect(loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/orders?sslmode=disable' }).eventsFile).to.equal(
        path.join('.data', 'events-orders.jsonl'),
      );
    });

    it('the database name is made a safe file name; with no name in the URL it is the user\'s (PostgreSQL\'s default), else postgres', () => {
      expect(loadConfig({ DATABASE_URL: 'postgres://h/shop%2F..%2Fx%20y' }).eventsFile).to.equal(path.join('.data', 'events-shop_.._x_y.jsonl'));
      expect(loadConfig({ DATABASE_URL: 'postgres://orders_app:pw@db.internal:5432' }).eventsFile).to.equal(path.join('.data', 'events-orders_app.jsonl'));
      expect(loadConfig({ DATABASE_URL: 'postgresql://db.internal/' }).eventsFile).to.equal(path.join('.data', 'events-postgres.jsonl'));
    });
  });

  it('variables it does not know (the rest of the environment) are ignored', () => {
    expect(loadConfig({ HOME: '/home/shop', PATH: '/usr/bin', SOMETHING_ELSE: 'x' }).port).to.equal(3000);
  });
});
