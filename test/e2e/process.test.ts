import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
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
  'LOG_LEVEL', 'METRICS_PORT', 'METRICS_TOKEN', 'RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE', 'CACHE_MAX_BYTES', 'LIMITER_MAX_SUBJECTS', 'WALLET_MIN_CHARGE', 'WALLET_MAX_CHARGE', 'WALLET_CHARGE_UNIT', 'WALLET_MAX_BALANCE', 'NODE_OPTIONS', 'AUTH_CACHE_TTL_SECONDS', 'CORS_ORIGINS',
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

/** The banner ends with an empty line after its last line. */
const BANNER_END = /listening on http:\/\/localhost:\d+\n[\s\S]*?\n\n/;
const DEMO_EMAILS = ['admin@demo.shop', 'seller@demo.shop', 'buyer1@demo.shop', 'buyer2@demo.shop'];
const PUBLISHED_DEMO_PASSWORD = 'demo-pass-1234';

/** The demo logins the banner prints, as e-mail → password. */
function demoLogins(stdout: string): Record<string, string> {
  return Object.fromEntries([...stdout.matchAll(/^ {4}(?:ADMIN|SELLER|BUYER) +(\S+@demo\.shop) \/ (\S+)/gm)].map((m) => [m[1]!, m[2]!]));
}

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

  it('prints "listening on http://localhost:<port>" and the events file of its database, answers /health/live, and exits 0 within 10 s of SIGTERM', async function () {
    const port = await freePort();
    const database = await testDatabase();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'order-service-main-'));
    const env: Record<string, string> = {
      PORT: String(port),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'error',
      DEMO_DATA: 'false',
      JWT_SECRET,
      DATA_DIR: dataDir,
    };
    if (database.kind === 'postgres') env['DATABASE_URL'] = database.url!;
    const child = startMain(env);

    const [, printedPort] = await child.waitForOutput(/listening on http:\/\/localhost:(\d+)/, 50_000);
    expect(Number(printedPort)).to.equal(port);
    await child.waitForOutput(BANNER_END, 5_000);
    // With DATABASE_URL, the events file is the database's own, not the embedded demo's events.jsonl.
    const eventsFile = database.kind === 'postgres' ? `events-${new URL(database.url!).pathname.slice(1)}.jsonl` : 'events.jsonl';
    expect(child.stdout()).to.include(`  events:    ${path.join(dataDir, eventsFile)} (JSON lines; DATA_PLATFORM_URL unset)\n`);

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

  it('with no DATABASE_URL and DEMO_DATA unset: starts on the embedded database, prints generated demo passwords that log in (the demo buyer has 500000 and can take a demo coupon), kept 0600 in DATA_DIR, and the same after a restart', async function () {
    this.timeout(150_000);
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'order-service-embedded-'));
    const env = { PORT: String(port), PASSWORD_HASH_COST: '10', LOG_LEVEL: 'error', JWT_SECRET, DATA_DIR: dataDir };
    const child = startMain(env);

    await child.waitForOutput(/listening on http:\/\/localhost:(\d+)/, 55_000);
    await child.waitForOutput(BANNER_END, 5_000);
    expect(child.stdout()).to.match(/embedded/i);
    expect(child.stdout()).to.match(/demo data: loaded now: 4 accounts .*12 products, coupons WELCOME10, FIVETHOUSAND/);
    const logins = demoLogins(child.stdout());
    expect(Object.keys(logins)).to.have.members(DEMO_EMAILS);
    // Generated for this data directory: not the published password, and one per account.
    expect(Object.values(logins)).to.not.include(PUBLISHED_DEMO_PASSWORD);
    expect(new Set(Object.values(logins)).size).to.equal(4);
    const file = path.join(dataDir, 'demo-passwords.json');
    expect(statSync(file).mode & 0o777, 'demo-passwords.json mode').to.equal(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).to.deep.equal(logins);

    const api = new ApiClient(`http://localhost:${port}`);
    const login = await api.post('/api/v1/auth/login', { email: 'buyer1@demo.shop', password: logins['buyer1@demo.shop'] });
    expect(login.status, JSON.stringify(login.body)).to.equal(200);
    const balance = await api.get('/api/v1/balances/me', { token: login.body.accessToken });
    expect(balance.status).to.equal(200);
    expect(balance.body.balance).to.equal(500_000);
    // The demo coupons are there to try: the first is the limited WELCOME10.
    const coupon = await api.get('/api/v1/coupons/1', { token: login.body.accessToken });
    expect(coupon.body).to.deep.include({ code: 'WELCOME10', status: 'ACTIVE', totalQuantity: 100 });
    const issued = await api.post('/api/v1/coupons/issue/limited', { couponId: 1 }, { token: login.body.accessToken });
    expect(issued.status, JSON.stringify(issued.body)).to.equal(201);
    expect((await api.post('/api/v1/auth/login', { email: 'admin@demo.shop', password: logins['admin@demo.shop'] })).status).to.equal(200);
    expect((await api.post('/api/v1/auth/login', { email: 'admin@demo.shop', password: PUBLISHED_DEMO_PASSWORD })).status).to.equal(401);
    // buyer2 changes their password: the restarted service must not print the kept one for them.
    const buyer2 = await api.post('/api/v1/auth/login', { email: 'buyer2@demo.shop', password: logins['buyer2@demo.shop'] });
    const changed = await api.request('PUT', '/api/v1/users/me/password', {
      token: buyer2.body.accessToken,
      body: { currentPassword: logins['buyer2@demo.shop'], newPassword: 'buyer2-own-password' },
    });
    expect(changed.status, JSON.stringify(changed.body)).to.equal(200);

    child.process.kill('SIGTERM');
    expect(await child.waitForExit(10_000)).to.deep.equal({ code: 0, signal: null });

    // Restarted on the same DATA_DIR: the demo data is there already; the same logins, still valid,
    // except the one changed since, which is said to be unknown rather than printed wrong.
    const again = startMain(env);
    await again.waitForOutput(BANNER_END, 55_000);
    expect(again.stdout()).to.match(/demo data: already in the database/);
    const { ['buyer2@demo.shop']: _changed, ...unchanged } = logins;
    expect(demoLogins(again.stdout())).to.deep.equal(unchanged);
    expect(again.stdout()).to.match(/^ {4}BUYER +buyer2@demo\.shop +password not known/m);
    const relogin = await api.post('/api/v1/auth/login', { email: 'seller@demo.shop', password: logins['seller@demo.shop'] });
    expect(relogin.status, JSON.stringify(relogin.body)).to.equal(200);

    again.process.kill('SIGTERM');
    expect(await again.waitForExit(10_000)).to.deep.equal({ code: 0, signal: null });
  });

  it('NODE_ENV=production with no DATABASE_URL (what the Dockerfile runs): no demo data, nothing printed about it, and nobody logs in as admin@demo.shop', async function () {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'order-service-production-'));
    const child = startMain({ NODE_ENV: 'production', PORT: String(port), PASSWORD_HASH_COST: '10', LOG_LEVEL: 'error', JWT_SECRET, DATA_DIR: dataDir });

    await child.waitForOutput(BANNER_END, 55_000);
    expect(child.stdout()).to.match(/embedded/i);
    expect(child.stdout()).to.not.match(/demo/i);
    const api = new ApiClient(`http://localhost:${port}`);
    for (const email of DEMO_EMAILS) {
      const res = await api.post('/api/v1/auth/login', { email, password: PUBLISHED_DEMO_PASSWORD });
      expect(res.status, `${email}: ${JSON.stringify(res.body)}`).to.equal(401);
    }
    expect((await api.get('/api/v1/products')).body.totalItems, 'demo catalog').to.equal(0);
    expect(existsSync(path.join(dataDir, 'demo-passwords.json'))).to.equal(false);

    child.process.kill('SIGTERM');
    expect(await child.waitForExit(10_000)).to.deep.equal({ code: 0, signal: null });
  });

  it('the embedded database on one DATA_DIR: a second start exits 1 with one line naming the directory and the running pid; a lock left by a killed instance is taken over with a log line; a stop leaves no lock', async function () {
    this.timeout(180_000);
    const dataDir = mkdtempSync(path.join(tmpdir(), 'order-service-lock-'));
    const lockFile = path.join(dataDir, 'instance.lock');
    const envOn = async (logLevel: string) => ({
      PORT: String(await freePort()),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: logLevel,
      DEMO_DATA: 'false',
      JWT_SECRET,
      DATA_DIR: dataDir,
    });

    const first = startMain(await envOn('error'));
    await first.waitForOutput(BANNER_END, 55_000);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).to.include({ pid: first.process.pid });

    const second = startMain(await envOn('error'));
    expect(await second.waitForExit(30_000)).to.deep.equal({ code: 1, signal: null });
    const refusal = second.stderr();
    expect(refusal, 'one line').to.match(/^[^\n]+\n$/);
    expect(refusal).to.match(/in use by another instance/);
    expect(refusal).to.include(dataDir).and.include(`pid ${first.process.pid}`);
    expect(second.stdout()).not.to.match(/listening/);
    const firstUrl = first.stdout().match(/listening on (http:\/\/localhost:\d+)/)![1]!;
    expect((await new ApiClient(firstUrl).get('/health/ready')).status, 'the first one is untouched').to.equal(200);

    // Killed, it cannot let go: its lock stays, naming a pid that no longer runs.
    first.process.kill('SIGKILL');
    await first.waitForExit(10_000);
    expect(existsSync(lockFile)).to.equal(true);

    const third = startMain(await envOn('warn'));
    await third.waitForOutput(BANNER_END, 55_000);
    expect(third.stdout()).to.match(/"message":"taking over the lock of a stopped instance: [^"]*instance\.lock"/);
    expect(third.stdout()).to.include(`"pid":${first.process.pid}`);
    expect(JSON.parse(readFileSync(lockFile, 'utf8'))).to.include({ pid: third.process.pid });

    third.process.kill('SIGTERM');
    expect(await third.waitForExit(10_000), third.stderr()).to.deep.equal({ code: 0, signal: null });
    expect(existsSync(lockFile), 'released on stop').to.equal(false);
  });

  it('NODE_ENV=production with DEMO_DATA=true: exit code 1 and one line "Invalid configuration: DEMO_DATA: ..."', async function () {
    const child = startMain({ NODE_ENV: 'production', DEMO_DATA: 'true', LOG_LEVEL: 'error', JWT_SECRET, DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-prod-demo-')) });

    const exit = await child.waitForExit(30_000);

    expect(exit).to.deep.equal({ code: 1, signal: null });
    expect(child.stderr()).to.match(/^Invalid configuration: DEMO_DATA: [^\n]*production[^\n]*\n$/);
    expect(child.stdout()).to.not.match(/listening/);
  });

  it('DEMO_DATA=true with ADMIN_EMAIL on an empty database: the configured ADMIN and the demo data both, with the published password, and the banner says so', async function () {
    const port = await freePort();
    const dataDir = mkdtempSync(path.join(tmpdir(), 'order-service-demo-admin-'));
    const child = startMain({
      PORT: String(port),
      PASSWORD_HASH_COST: '10',
      LOG_LEVEL: 'error',
      JWT_SECRET,
      DATA_DIR: dataDir,
      DEMO_DATA: 'true',
      ADMIN_EMAIL: 'root@shop.test',
      ADMIN_PASSWORD: 'root-password-1',
    });

    await child.waitForOutput(BANNER_END, 55_000);
    const stdout = child.stdout();
    expect(stdout).to.match(/admin: +root@shop\.test \(ADMIN_EMAIL, created now/);
    expect(stdout).to.match(/demo data: loaded now: 4 accounts \(ADMIN admin@demo\.shop, SELLER seller@demo\.shop, BUYER buyer1@demo\.shop, BUYER buyer2@demo\.shop\), 12 products, coupons WELCOME10, FIVETHOUSAND/);
    const logins = demoLogins(stdout);
    expect(logins).to.deep.equal(Object.fromEntries(DEMO_EMAILS.map((email) => [email, PUBLISHED_DEMO_PASSWORD])));
    expect(existsSync(path.join(dataDir, 'demo-passwords.json')), 'nothing generated to keep').to.equal(false);

    const api = new ApiClient(`http://localhost:${port}`);
    for (const email of DEMO_EMAILS) {
      const res = await api.post('/api/v1/auth/login', { email, password: PUBLISHED_DEMO_PASSWORD });
      expect(res.status, `${email}: ${JSON.stringify(res.body)}`).to.equal(200);
    }
    expect((await api.post('/api/v1/auth/login', { email: 'root@shop.test', password: 'root-password-1' })).status).to.equal(200);
    expect((await api.get('/api/v1/products')).body.totalItems).to.be.at.least(11);

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
    expect(child.stdout()).to.match(/^ {2}events: {4}to the data platform \(DATA_PLATFORM_URL\)$/m);
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
