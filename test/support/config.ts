import { type Config, loadConfig } from '../../src/infrastructure/config.js';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/** Configuration for tests: cheap password hashing, no demo data, quiet, on a free port. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({
    PORT: '0',
    PASSWORD_HASH_COST: '10',
    DEMO_DATA: 'false',
    JWT_SECRET: TEST_JWT_SECRET,
    LOG_LEVEL: 'error',
    // Tests that exercise the rate limits switch them back on.
    RATE_LIMIT_ORDERS_PER_SECOND: '0',
    // Likewise the coupon issue limit (3 a minute would throttle every coupon suite).
    RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '0',
    // Pending-payment recovery asks on every run and never hands a payment to an operator;
    // the recovery suites switch the backoff and the hand-over on.
    PENDING_RECOVERY_BACKOFF_SECONDS: '0',
    PENDING_RECOVERY_MAX_ATTEMPTS: '0',
    ...env,
  });
}
