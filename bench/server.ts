import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';

export interface BenchServer {
  url: string;
  database: string;
  /** The bench database's connection string, for seeding (null on the embedded database). */
  databaseUrl: string | null;
  /** The service process, for CPU accounting. */
  pid: number;
  stop(): Promise<void>;
}

/** The machine's PostgreSQL by default; BENCH_DATABASE_URL=embedded runs on PGlite instead. */
export const benchServerUrl = (): string | null => {
  const configured = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  return configured === 'embedded' ? null : configured;
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/**
 * Starts the compiled service (`node dist/main.js`, as in production) in its own process, so the
 * load generator and the service compete for the machine as a real client and server would.
 * A fresh database is created on the PostgreSQL server (BENCH_DATABASE_URL, default the local
 * one) and dropped afterwards; BENCH_DATABASE_URL=embedded runs on the embedded database.
 */
export async function startBenchServer(
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  /** Another instance on the database of an instance already started (several behind a balancer). */
  shareDatabaseOf?: BenchServer,
): Promise<BenchServer> {
  const port = await freePort();
  const serverUrl = benchServerUrl();
  let databaseUrl: string | undefined = shareDatabaseOf?.databaseUrl ?? undefined;
  let drop: (() => Promise<void>) | null = null;
  if (serverUrl && !databaseUrl) {
    const name = `order_bench_${process.pid}_${Date.now().toString(36)}`;
    const admin = knexFactory({ client: 'pg', connection: serverUrl, pool: { min: 0, max: 1 } });
    await admin.raw('CREATE DATABASE ??', [name]);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    drop = async () => {
      await admin.raw('DROP DATABASE IF EXISTS ?? WITH (FORCE)', [name]);
      await admin.destroy();
    };
  }
  // The flags the service runs with in production (package.json "start", Dockerfile).
  const productionFlags = ['--max-semi-space-size=32'];
  const child: ChildProcess = spawn(process.execPath, [...productionFlags, ...nodeArgs, ...(process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []), 'dist/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: process.env['BENCH_LOG_LEVEL'] ?? 'warn',
      DEMO_DATA: 'false',
      DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-bench-')),
      JWT_SECRET: 'bench-secret-that-is-long-enough-for-hs256-0123456789',
      REDIS_KEY_PREFIX: `bench:${process.pid}:`,
      // Limits are off in benchmarks, as in tests (a scenario's env may switch them on).
      JSON_MAX_DEPTH: '0',
      JSON_MAX_ENTRIES: '0',
      // Limits and memory bounds off, as for tests; a scenario that measures one sets it.
      RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE: '0',
      CACHE_MAX_BYTES: '0',
      LIMITER_MAX_SUBJECTS: '0',
      // Load tests run with the abuse limits off (a scenario may switch one on).
      MAX_UNPAID_ORDERS_PER_USER: '0',
      // Limits off, as in the tests: pending-payment recovery without backoff or hand-over.
      PENDING_RECOVERY_BACKOFF_SECONDS: '0',
      PENDING_RECOVERY_MAX_ATTEMPTS: '0',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      ...(process.env['BENCH_REDIS_URL'] ? { REDIS_URL: process.env['BENCH_REDIS_URL'] } : {}),
      // Every simulated user signs up and logs in from this one address: the per-address limits,
      // the per-address login block and the bound on hashing would throttle the load, not measure it.
      RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP: '0',
      RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP: '0',
      LOGIN_FAILURES_PER_ADDRESS: '0',
      PASSWORD_HASH_CONCURRENCY: '0',
      PASSWORD_HASH_QUEUE: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`service exited with ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    database: databaseUrl ? 'PostgreSQL' : 'embedded PGlite',
    databaseUrl: databaseUrl ?? null,
    pid: child.pid ?? 0,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await drop?.();
    },
  };
}

/**
 * The bare Express endpoint (bench/bare-express.mjs: parse JSON, answer 201) in its own process,
 * started as the service is (`node` with the production flags), as a yardstick for the service.
 */
export async function startBareExpress(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--max-semi-space-size=32', 'bench/bare-express.mjs'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('listening on')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bare Express exited with ${code}: ${output}`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
