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
    // And the limits on how deep and wide JSON input may be (the input suites switch them on).
    JSON_MAX_DEPTH: '0',
    JSON_MAX_ENTRIES: '0',
    // And the limit on new Idempotency-Keys, and the in-process stores' memory bounds.
    RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE: '0',
    CACHE_MAX_BYTES: '0',
    LIMITER_MAX_SUBJECTS: '0',
    // And the per-address limits of sign-up and login, the per-address login block and the
    // bound on password hashing: every suite signs up and logs in from one address.
    RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: '0',
    RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP: '0',
    LOGIN_FAILURES_PER_ADDRESS: '0',
    PASSWORD_HASH_CONCURRENCY: '0',
    PASSWORD_HASH_QUEUE: '0',
    // Likewise the unpaid-order cap (suites place many unpaid orders for one buyer).
    MAX_UNPAID_ORDERS_PER_USER: '0',
    // Pending-payment recovery asks on every run and never hands a payment to an operator;
    // the recovery suites switch the backoff and the hand-over on.
    PENDING_RECOVERY_BACKOFF_SECONDS: '0',
    PENDING_RECOVERY_MAX_ATTEMPTS: '0',
    ...env,
  });
}
