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
      redisUrls: [],
      redisKeyPrefix: 'order-service:',
      dataDir: './.data',
      jwtSecret: null,
      jwtLifetimeSeconds: 3600,
      passwordHashCost: 15,
      admin: null,
      demoData: true,
      dataPlatformUrl: null,
      orderReservationTtlSeconds: 30,
      pendingRecoveryAfterSeconds: 60,
      pendingRecoveryBackoffSeconds: 30,
      pendingRecoveryMaxAttempts: 10,
      paymentGateway: 'internal',
      paymentGatewaySandboxMode: 'approve',
      rateLimitOrdersPerSecond: 1,
      rateLimitCouponIssuesPerMinute: 3,
      failureBlockThreshold: 5,
      failureBlockSeconds: 600,
      popularCacheTtlSeconds: 60,
      jobIntervalMs: 1000,
      outboxMaxAttempts: 10,
      outboxRetryBaseMs: 1000,
      outboxRetentionDays: 7,
      idempotencyRetentionHours: 24,
      logLevel: 'info',
      lowStockThreshold: 5,
      catalogCacheTtlSeconds: 30,
      wallet: { minCharge: 1_000, maxCharge: 100_000, chargeUnit: 10, maxBalance: 10_000_000 },
    });
  });

  it('the wallet defaults are the domain’s defaults', () => {
    expect(loadConfig({}).wallet).to.deep.equal(DEFAULT_WALLET_POLICY);
  });

  it('demo data is on without a database and off with DATABASE_URL', () => {
    expect(loadConfig({}).demoData).to.equal(true);
    const withDb = loadConfig({ DATABASE_URL: DB });
    expect(withDb.databaseUrl).to.equal(DB);
    expect(withDb.demoData).to.equal(false);
  });

  it('DEMO_DATA says otherwise when set: false, 0, true, 1', () => {
    expect(loadConfig({ DEMO_DATA: 'false' }).demoData).to.equal(false);
    expect(loadConfig({ DEMO_DATA: '0' }).demoData).to.equal(false);
    expect(loadConfig({ DATABASE_URL: DB, DEMO_DATA: 'true' }).demoData).to.equal(true);
    expect(loadConfig({ DATABASE_URL: DB, DEMO_DATA: '1' }).demoData).to.equal(true);
  });

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

  it('JOB_INTERVAL_MS below 50 is refused, naming JOB_INTERVAL_MS', () => {
    expect(configErrorOf({ JOB_INTERVAL_MS: '10' }).message.startsWith('Invalid configuration: JOB_INTERVAL_MS')).to.equal(true);
  });

  it('OUTBOX_RETENTION_DAYS is read; 0 or a fraction is refused, naming it', () => {
    expect(loadConfig({ OUTBOX_RETENTION_DAYS: '30' }).outboxRetentionDays).to.equal(30);
    for (const bad of ['0', '1.5', 'week']) expect(() => loadConfig({ OUTBOX_RETENTION_DAYS: bad })).to.throw(/OUTBOX_RETENTION_DAYS/);
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

  it('an empty variable counts as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', REDIS_URL: '', DEMO_DATA: '', ADMIN_EMAIL: '', ADMIN_PASSWORD: '', JWT_SECRET: '' });
    expect(config.port).to.equal(3000);
    expect(config.databaseUrl).to.equal(null);
    expect(config.demoData).to.equal(true);
    expect(config.redisUrls).to.deep.equal([]);
    expect(config.admin).to.equal(null);
    expect(config.jwtSecret).to.equal(null);
  });

  it('an empty JWT_SECRET in production is as missing: refused, naming JWT_SECRET', () => {
    expect(configErrorOf({ NODE_ENV: 'production', JWT_SECRET: '' }).message.startsWith('Invalid configuration: JWT_SECRET')).to.equal(true);
  });

  it('variables it does not know (the rest of the environment) are ignored', () => {
    expect(loadConfig({ HOME: '/home/shop', PATH: '/usr/bin', SOMETHING_ELSE: 'x' }).port).to.equal(3000);
  });
});
