import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { expect } from 'chai';
import { requireRealPostgres, testDatabase } from '../support/database.js';
import { freePort } from '../support/free-port.js';
import { rawRequest } from '../support/http-client.js';
import { ApiClient } from '../support/service.js';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const JWT_SECRET = 'process-test-secret-that-is-long-enough-0123456789';

/** Every variable the service reads, so nothing from the outer shell leaks into a child. */
const SERVICE_VARIABLES = [
  'NODE_ENV', 'PORT', 'DATABASE_URL', 'DATABASE_POOL_MAX', 'REDIS_URL', 'REDIS_KEY_PREFIX', 'DATA_DIR', 'JWT_SECRET',
  'JWT_LIFETIME_SECONDS', 'PASSWORD_HASH_COST', 'ADMIN_EMAIL', 'ADMIN_PASSWORD', 'DEMO_DATA', 'DATA_PLATFORM_URL',
  'ORDER_RESERVATION_TTL_SECONDS', 'PENDING_RECOVERY_AFTER_SECONDS', 'PAYMENT_GATEWAY', 'PAYMENT_GATEWAY_SANDBOX_MODE',
  'RATE_LIMIT_ORDERS_PER_SECOND', 'RATE_LIMIT_COUPON_ISSUES_PER_MINUTE', 'FAILURE_BLOCK_THRESHOLD', 'FAILURE_BLOCK_SECONDS',
  'POPULAR_CACHE_TTL_SECONDS', 'JOB_INTERVAL_MS', 'OUTBOX_MAX_ATTEMPTS', 'OUTBOX_RETRY_BASE_MS', 'IDEMPOTENCY_RETENTION_HOURS',
  'LOG_LEVEL', 'METRICS_PORT', 'METRICS_TOKEN', 'RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE', 'CACHE_MAX_BYTES', 'LIMITER_MAX_SUBJECTS', 'WALLET_MIN_CHARGE', 'WALLET_MAX_CHARGE', 'WALLET_CHARGE_UNIT', 'WALLET_MAX_BALANCE', 'NODE_OPTIONS',
];

interface Child {
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stdout; rejects on exit or after `ms`. */
  waitForOutput(pattern: RegExp, ms: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code and signal; rejects after `ms`. */
  waitForExit(ms: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];

/**
 * `tsx src/main.ts` as its own process. Run as `node --import tsx` (what `npx tsx` runs) so that
 * nothing stands between the test and the service: signals reach it directly, and stderr holds
 * only what the service writes (npx adds its own warnings there).
 */
function startMain(env: Record<string, string>): Child {
  const base: Record<string, string | undefined> = { ...process.env };
  for (const name of SERVICE_VARIABLES) delete base[name];
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  const describeOutput = () => `\nstdout:\n${out}\nstderr:\n${err}`;

  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    waitForOutput(pattern, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = out.match(pattern);
          if (!match) return false;
          cleanup();
          resolve(match);
          return true;
        };
        const onData = () => void check();
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} within ${ms} ms${describeOutput()}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          child.stdout!.off('data', onData);
        };
        void exited.then(({ code, signal }) => {
          if (check()) return;
          cleanup();
          reject(new Error(`exited (${code ?? signal}) before printing ${pattern}${describeOutput()}`));
        });
        if (!check()) child.stdout!.on('data', onData);
      });
    },
    waitForExit(ms) {
      return Promise.race([
        exited,
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms${describeOutput()}`)), ms).unref()),
      ]);
    },
  };
}

describe('e2e: the process (src/main.ts)', function () {
  this.timeout(60_000);

  afterEach(function () {
    // Whatever a failed test left running: only the children this file started, by pid.
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('prints "listening on http://localhost:<port>", answers /health/live, and exits 0 within 10 s of SIGTERM', async function () {
    const port = await freePort();
    const database = await testDatabase();
    const env: Record<string, string> = {
      PORT: String(port),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'error',
      DEMO_DATA: 'false',
      JWT_SECRET,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-main-')),
    };
    if (database.kind === 'postgres') env['DATABASE_URL'] = database.url!;
    const child = startMain(env);

    const [, printedPort] = await child.waitForOutput(/listening on http:\/\/localhost:(\d+)/, 50_000);
    expect(Number(printedPort)).to.equal(port);

    const live = await new ApiClient(`http://localhost:${port}`).get('/health/live');
    expect(live.status).to.equal(200);
    expect(live.body).to.deep.equal({ status: 'ok' });

    child.process.kill('SIGTERM');
    const exit = await child.waitForExit(10_000);
    expect(exit, child.stderr()).to.deep.equal({ code: 0, signal: null });
  });

  it('PORT=abc: exit code 1 and exactly one line on stderr, starting "Invalid configuration: PORT"', async function () {
    const child = startMain({ PORT: 'abc', LOG_LEVEL: 'error', JWT_SECRET, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-badport-')) });

    const exit = await child.waitForExit(30_000);

    expect(exit).to.deep.equal({ code: 1, signal: null });
    const stderr = child.stderr();
    expect(stderr).to.match(/^Invalid configuration: PORT[^\n]*\n$/);
    expect(child.stdout()).to.not.match(/listening/);
  });

  it('with no DATABASE_URL and DEMO_DATA unset: starts on the embedded database, prints the demo logins, the demo buyer has 500000 and can take a demo coupon', async function () {
    const port = await freePort();
    const child = startMain({
      PORT: String(port),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'error',
      JWT_SECRET,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-embedded-')),
    });

    await child.waitForOutput(/listening on http:\/\/localhost:(\d+)/, 55_000);
    const [, password] = await child.waitForOutput(/buyer1@demo\.shop \/ (\S+)/, 5_000);
    expect(child.stdout()).to.match(/embedded/i);

    const api = new ApiClient(`http://localhost:${port}`);
    const login = await api.post('/api/v1/auth/login', { email: 'buyer1@demo.shop', password });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const balance = await api.get('/api/v1/balances/me', { token: login.body.accessToken });
    expect(balance.status).to.equal(200);
    expect(balance.body.balance).to.equal(500_000);
    // The demo coupons are there to try: the first is the limited WELCOME10.
    const coupon = await api.get('/api/v1/coupons/1', { token: login.body.accessToken });
    expect(coupon.body).to.deep.include({ code: 'WELCOME10', status: 'ACTIVE', totalQuantity: 100 });
    const issued = await api.post('/api/v1/coupons/issue/limited', { couponId: 1 }, { token: login.body.accessToken });
    expect(issued.status, JSON.stringify(issued.body)).to.equal(201);

    child.process.kill('SIGTERM');
    expect(await child.waitForExit(10_000)).to.deep.equal({ code: 0, signal: null });
  });

  it('SIGTERM with a slow request in flight: readiness 503 "stopping" at once, keep-alive clients get Connection: close, the request finishes 200, then exit 0', async function () {
    const database = await testDatabase();
    // The slow request waits on a row lock this test holds: only a real server has locks to wait on.
    requireRealPostgres(this, database);
    const port = await freePort();
    const child = startMain({
      PORT: String(port),
      DATABASE_URL: database.url!,
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'info',
      DEMO_DATA: 'false',
      JWT_SECRET,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-shutdown-')),
    });
    await child.waitForOutput(/listening on http:\/\/localhost:(\d+)/, 50_000);
    const base = `http://127.0.0.1:${port}`;
    const api = new ApiClient(base);
    const email = `shutdown-${Date.now()}@test.shop`;
    const signUp = await api.post('/api/v1/auth/signup', { email, password: 'correct-horse-42', name: 'Slow Buyer' });
    expect(signUp.status, JSON.stringify(signUp.body)).to.equal(201);
    const token = (await api.post('/api/v1/auth/login', { email, password: 'correct-horse-42' })).body.accessToken as string;

    const slowAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const lock = await database.db.transaction();
    try {
      const opened = await rawRequest(keepAliveAgent, `${base}/health/live`);
      expect(opened.headers['connection']).to.equal('keep-alive');

      // The charge locks the wallet row, which this test holds: it waits until the test lets go.
      await lock.raw('SELECT 1 FROM wallets WHERE user_id = ? FOR UPDATE', [signUp.body.id]);
      const charge = rawRequest(slowAgent, `${base}/api/v1/balances/charge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ amount: 10_000 }),
      });
      await waitUntil(async () => {
        const { rows } = await database.db.raw(
          "SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        );
        return rows[0].waiting > 0;
      }, 'the charge to wait on the wallet lock');

      child.process.kill('SIGTERM');
      await child.waitForOutput(/shutting down/, 10_000);

      const ready = await rawRequest(keepAliveAgent, `${base}/health/ready`);
      expect(ready.reusedSocket, 'asked over the keep-alive connection opened before SIGTERM').to.equal(true);
      expect(ready.status).to.equal(503);
      expect(JSON.parse(ready.body)).to.deep.equal({ status: 'stopping' });
      expect(ready.headers['connection']).to.equal('close');
      // A probe on a new connection is answered too, the same way.
      const probe = await rawRequest(new http.Agent(), `${base}/health/ready`);
      expect([probe.status, JSON.parse(probe.body)]).to.deep.equal([503, { status: 'stopping' }]);
      expect(child.process.exitCode, 'still running while the charge waits').to.equal(null);

      await lock.commit();
      const charged = await charge;
      expect(charged.status, charged.body).to.equal(200);
      expect(JSON.parse(charged.body)).to.include({ userId: signUp.body.id, balance: 10_000 });
      expect(charged.headers['connection']).to.equal('close');

      const exit = await child.waitForExit(10_000);
      expect(exit, child.stderr()).to.deep.equal({ code: 0, signal: null });
      expect(child.stdout()).to.match(/"message":"stopped"/);
      expect(child.stdout()).not.to.match(/grace period over/);
    } finally {
      if (!lock.isCompleted()) await lock.rollback();
      slowAgent.destroy();
      keepAliveAgent.destroy();
    }
  });

  it('prints no password of DATABASE_URL, REDIS_URL or DATA_PLATFORM_URL, in the banner or in any log line', async function () {
    const database = await testDatabase();
    requireRealPostgres(this, database);
    const port = await freePort();
    // The local PostgreSQL and Redis take no password, so these ones are accepted and ignored.
    const databaseUrl = new URL(database.url!);
    databaseUrl.password = 'db-secret-4711';
    const redisUrl = new URL(process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379');
    redisUrl.password = 'redis-secret-4712';
    const child = startMain({
      PORT: String(port),
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redisUrl.toString(),
      REDIS_KEY_PREFIX: `test:banner:${process.pid}:`,
      DATA_PLATFORM_URL: 'http://relay:platform-secret-4713@127.0.0.1:9/events?token=platform-token-4714',
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'info',
      DEMO_DATA: 'false',
      JWT_SECRET,
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-banner-')),
    });

    await child.waitForOutput(/listening on http:\/\/localhost:(\d+)/, 50_000);
    const [, shownRedis] = await child.waitForOutput(/redis:\s+(\S+)/, 5_000);
    child.process.kill('SIGTERM');
    expect(await child.waitForExit(10_000), child.stdout() + child.stderr()).to.deep.equal({ code: 0, signal: null });

    expect(shownRedis).to.equal(`redis://:***@${redisUrl.host}`);
    expect(child.stdout()).to.match(/database:\s+postgres:\/\/postgres:\*\*\*@/);
    const everything = child.stdout() + child.stderr();
    for (const secret of ['db-secret-4711', 'redis-secret-4712', 'platform-secret-4713', 'platform-token-4714']) {
      expect(everything, `output shows ${secret}`).not.to.include(secret);
    }
  });
});

/** Polls `condition` until it holds; fails after `ms` (a bound for a hung service, not a timing claim). */
async function waitUntil(condition: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
