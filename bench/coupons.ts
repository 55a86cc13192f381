import { mkdtempSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { JwtTokenService } from '../src/adapters/security/jwt-token-service.js';
import { cpuPerUnit, cpuSnapshot, describeCpu } from './cpu.js';
import { LoadClient, percentile } from './load.js';
import { cpuProfileArgs, profileClock, summarizeProfiles } from './profile.js';
import type { ScenarioOptions } from './run.js';
import { type BenchServer, startBareExpress, startBenchServer } from './server.js';

/**
 * The coupon storm: 10,000 distinct buyers each ask once for a first-come-first-served coupon of
 * 100 (POST /coupons/issue/limited), as fast as the machine allows; without Redis and with it,
 * each on a fresh server and database. Exactly 100 must be issued. `BENCH_COUPON_BY=code`: every
 * request names the coupon by its code (`{couponCode}`, in lower case) instead of its id.
 */
const BY_CODE = process.env['BENCH_COUPON_BY'] === 'code';

/**
 * Buyers in the storm, one request each. `BENCH_COUPON_USERS` raises it when comparing two builds:
 * 10,000 requests take 3 to 4 s, too short for the CPU figures to settle.
 */
const STORM_USERS = Number(process.env['BENCH_COUPON_USERS'] ?? '') || 10_000;
const QUANTITY = 100;
/** Other buyers on another coupon first: JIT, pools and sockets warm, as on a server that has been up. */
const WARMUP_USERS = 500;
const WARMUP_QUANTITY = 50;
/**
 * Requests in flight at once when --connections is not given. On 2 cores the service works on
 * a handful of requests at a time whatever the client does; more in flight only lengthens the
 * queue (latency = in flight / throughput). 256 is plenty to keep it saturated, and below the
 * 500 ms target at 2,000/s (256 / 2,000 = 128 ms).
 */
const DEFAULT_STORM_CONNECTIONS = 256;
/** The bench server's secret (bench/server.ts), passed to the server again so the two cannot drift. */
const JWT_SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
const TARGET_P99_MS = 500;
const TARGET_RPS = 2_000;
/** The storm with Redis against the bare Express endpoint's rate on the same load (issue 15). */
const TARGET_SHARE_OF_BARE = 0.6;

interface Variant {
  label: string;
  redisUrl: string;
}

/** `BENCH_COUPON_VARIANTS=redis`: the storm with Redis only (and the bare endpoint), to measure a change to it quickly. */
const ONLY_REDIS = process.env['BENCH_COUPON_VARIANTS'] === 'redis';

const VARIANTS: Variant[] = [
  { label: 'without Redis (in-process counters and limits)', redisUrl: '' },
  { label: 'with Redis', redisUrl: process.env['BENCH_REDIS_URL'] ?? 'redis://127.0.0.1:6379' },
].filter((v) => !ONLY_REDIS || v.redisUrl !== '');

interface Seeded {
  sellerToken: string;
  warmup: { userIds: number[]; tokens: string[] };
  storm: { userIds: number[]; tokens: string[] };
}

/** Buyers (and one seller) straight into the database; tokens minted as the service would sign them. */
async function seed(db: Knex): Promise<Seeded> {
  const stamp = `${process.pid}-${Date.now().toString(36)}`;
  const [seller] = await db('users')
    .insert({ email: `coupon-seller-${stamp}@bench.shop`, name: 'Seller', role: 'SELLER', business_number: '123-45-67890', password_hash: 'x' })
    .returning('id');
  const ids: number[] = [];
  const total = WARMUP_USERS + STORM_USERS;
  for (let from = 0; from < total; from += 2_000) {
    const rows = Array.from({ length: Math.min(2_000, total - from) }, (_, i) => ({
      email: `coupon-buyer-${stamp}-${from + i}@bench.shop`,
      name: 'Buyer',
      role: 'BUYER',
      password_hash: 'x',
    }));
    const inserted = await db('users').insert(rows).returning('id');
    ids.push(...inserted.map((r: { id: string }) => Number(r.id)));
  }
  await db.raw('ANALYZE users');
  const tokens = new JwtTokenService(JWT_SECRET, 3_600);
  // Version 0: the version of a user nothing has changed yet.
  const mint = (userId: number, role: 'BUYER' | 'SELLER') => tokens.issue({ userId, role, tokenVersion: 0 }).accessToken;
  const warmupIds = ids.slice(0, WARMUP_USERS);
  const stormIds = ids.slice(WARMUP_USERS);
  return {
    sellerToken: mint(Number(seller.id), 'SELLER'),
    warmup: { userIds: warmupIds, tokens: warmupIds.map((id) => mint(id, 'BUYER')) },
    storm: { userIds: stormIds, tokens: stormIds.map((id) => mint(id, 'BUYER')) },
  };
}

interface Created {
  id: number;
  code: string;
}

async function createCoupon(client: LoadClient, sellerToken: string, code: string, totalQuantity: number): Promise<Created> {
  const now = Date.now();
  const answer = await client.send({
    method: 'POST',
    path: '/api/v1/coupons',
    token: sellerToken,
    body: {
      code,
      name: `Bench ${code}`,
      type: 'FIXED',
      discountValue: 1_000,
      totalQuantity,
      validFrom: new Date(now - 60_000).toISOString(),
      validUntil: new Date(now + 86_400_000).toISOString(),
    },
  });
  if (answer.status !== 201) throw new Error(`POST /api/v1/coupons: ${answer.status} ${answer.body}`);
  return { id: Number((JSON.parse(answer.body) as { id: number }).id), code };
}

const codeOf = (body: string): string => {
  try {
    return (JSON.parse(body) as { code?: string }).code ?? 'no-code';
  } catch {
    return 'unparsable';
  }
};

interface StormResult {
  answered: number;
  latencies: number[];
  /** "201", "409 COUPON_EXHAUSTED", "network ECONNRESET", ... */
  outcomes: Record<string, number>;
  /** Users answered 201. */
  winners: number[];
  seconds: number;
  /** Seconds from the start until the last 201 was answered. */
  lastIssuedAt: number;
}

/**
 * Every user asks once. `connections` workers share the queue of users, each sending the next
 * request as soon as its previous one is answered: `connections` requests are always in flight on
 * as many keep-alive sockets, and a latency is the service's answer time (plus the socket), never
 * time spent waiting in the load generator for a free socket.
 */
async function storm(client: LoadClient, coupon: Created, users: { userIds: number[]; tokens: string[] }, connections: number): Promise<StormResult> {
  const body = BY_CODE ? { couponCode: coupon.code.toLowerCase() } : { couponId: coupon.id };
  const result: StormResult = { answered: 0, latencies: [], outcomes: {}, winners: [], seconds: 0, lastIssuedAt: 0 };
  const count = (key: string) => (result.outcomes[key] = (result.outcomes[key] ?? 0) + 1);
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(connections, users.tokens.length) }, async () => {
      for (let i = next++; i < users.tokens.length; i = next++) {
        try {
          const answer = await client.send({ method: 'POST', path: '/api/v1/coupons/issue/limited', token: users.tokens[i], body });
          result.answered++;
          result.latencies.push(answer.ms);
          if (answer.status === 201) {
            count('201');
            result.winners.push(users.userIds[i] as number);
            result.lastIssuedAt = (performance.now() - started) / 1000;
          } else count(`${answer.status} ${codeOf(answer.body)}`);
        } catch (error) {
          count(`network ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        }
      }
    }),
  );
  result.seconds = (performance.now() - started) / 1000;
  result.latencies.sort((a, b) => a - b);
  return result;
}

interface Ledger {
  rows: number;
  issuedQuantity: number;
  distinctUsers: number;
  userIds: number[];
}

async function ledgerOf(db: Knex, couponId: number): Promise<Ledger> {
  const rows = await db.raw('SELECT count(*)::int AS n, count(DISTINCT user_id)::int AS users FROM user_coupons WHERE coupon_id = ?', [couponId]);
  const coupon = await db.raw('SELECT issued_quantity::int AS issued FROM coupons WHERE id = ?', [couponId]);
  const users = await db.raw('SELECT user_id FROM user_coupons WHERE coupon_id = ?', [couponId]);
  return {
    rows: rows.rows[0].n,
    distinctUsers: rows.rows[0].users,
    issuedQuantity: coupon.rows[0]?.issued ?? -1,
    userIds: users.rows.map((r: { user_id: string }) => Number(r.user_id)),
  };
}

const sameSet = (a: number[], b: number[]): boolean => {
  const set = new Set(a);
  return a.length === b.length && set.size === new Set(b).size && b.every((x) => set.has(x));
};

const fmt = (n: number) => n.toLocaleString('en-US');
const ms = (n: number) => `${n.toFixed(1)} ms`;

interface Summary {
  label: string;
  rps: number;
  p50: number;
  p99: number;
  max: number;
  issued: number;
  exhausted: number;
  other: number;
  exact: boolean;
  /** The service's CPU milliseconds per request. */
  cpu: number;
  /** The storm's users, coupon and rate, to send the very same requests to the bare endpoint. */
  load: { warmup: Created; warmupUsers: Seeded['warmup']; coupon: Created; users: Seeded['storm'] };
}

/**
 * Waits (up to 10 s) for a quiet machine before the storm, so the warm-up's after-effects (the
 * service's jobs delivering its events, autovacuum) are over; says who is still busy if it stays
 * busy (a test run or a build elsewhere takes cores from the storm).
 */
async function settle(servicePid: number): Promise<void> {
  let last = '';
  for (let i = 0; i < 10; i++) {
    const from = cpuSnapshot([servicePid]);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const to = cpuSnapshot([servicePid]);
    const total = to.machineTotal - from.machineTotal;
    if (total <= 0) return; // not Linux
    const share = (seconds: number) => `${((seconds / total) * 100).toFixed(0)}%`;
    const busy = to.machineBusy - from.machineBusy;
    if (busy / total < 0.1) return;
    const service = (to.processes[0] ?? 0) - (from.processes[0] ?? 0);
    const self = to.self - from.self;
    last = `machine ${share(busy)} busy: service ${share(service)}, load generator ${share(self)}, others ${share(Math.max(0, busy - service - self))}`;
  }
  console.log(`  WARNING: the machine did not settle before the storm (${last} of ${os.cpus().length} cores)`);
}

async function runVariant(variant: Variant, connections: number, profile: boolean): Promise<Summary> {
  // --profile: the service runs under `node --cpu-prof`; the storm's samples are summarised once it has exited.
  const profileDir = profile ? mkdtempSync(path.join(tmpdir(), 'order-bench-profile-')) : null;
  let window: { from: number; to: number } | null = null;
  const server: BenchServer = await startBenchServer(
    {
      REDIS_URL: variant.redisUrl,
      JWT_SECRET,
      // At its default on purpose (empty = unset = 3 a minute), whatever the shell says: each user
      // asks once, so the limiter is never hit and only its cost is measured.
      RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '',
    },
    profileDir ? cpuProfileArgs(profileDir) : [],
  );
  const db = server.databaseUrl ? knexFactory({ client: 'pg', connection: server.databaseUrl, pool: { min: 0, max: 2 } }) : null;
  const client = new LoadClient(server.url, connections);
  try {
    if (!db) throw new Error('the coupons scenario needs PostgreSQL (BENCH_DATABASE_URL) to seed and check the counts');
    const ready = await client.send({ method: 'GET', path: '/health/ready' });
    const redis = (JSON.parse(ready.body) as { checks?: { redis?: string } }).checks?.redis ?? '?';
    console.log(`-- ${variant.label}: redis ${redis}${variant.redisUrl ? ` (${variant.redisUrl})` : ''}, ${fmt(STORM_USERS)} buyers, ${connections} connections, by ${BY_CODE ? 'code' : 'id'}`);
    if (variant.redisUrl && redis !== 'up') console.log(`  WARNING: the service reports Redis ${redis}; these are not with-Redis figures`);

    const seeded = await seed(db);
    const stamp = Date.now().toString(36).toUpperCase();

    const warmup = await createCoupon(client, seeded.sellerToken, `WARM-${stamp}`, WARMUP_QUANTITY);
    const warm = await storm(client, warmup, seeded.warmup, connections);
    console.log(
      `  warm-up: ${fmt(WARMUP_USERS)} other buyers on a coupon of ${WARMUP_QUANTITY}: ${(warm.answered / warm.seconds).toFixed(0)} answered/s, ` +
        `p99 ${ms(percentile(warm.latencies, 99))}, ${JSON.stringify(warm.outcomes)}`,
    );

    const stormCoupon = await createCoupon(client, seeded.sellerToken, `STORM-${stamp}`, QUANTITY);
    const couponId = stormCoupon.id;
    await settle(server.pid);
    const before = cpuSnapshot([server.pid]);
    const from = profileClock();
    const r = await storm(client, stormCoupon, seeded.storm, connections);
    window = { from, to: profileClock() };
    const after = cpuSnapshot([server.pid]);

    const rps = r.answered / r.seconds;
    const p50 = percentile(r.latencies, 50);
    const p99 = percentile(r.latencies, 99);
    const max = r.latencies[r.latencies.length - 1] ?? 0;
    const issued = r.outcomes['201'] ?? 0;
    const exhausted = r.outcomes['409 COUPON_EXHAUSTED'] ?? 0;
    const others = Object.entries(r.outcomes).filter(([k]) => k !== '201' && k !== '409 COUPON_EXHAUSTED');
    const other = others.reduce((a, [, n]) => a + n, 0);
    console.log(
      `  storm: ${fmt(r.answered)} of ${fmt(STORM_USERS)} answered in ${r.seconds.toFixed(2)} s = ${rps.toFixed(0)} answered/s; ` +
        `last 201 answered ${(r.lastIssuedAt * 1000).toFixed(0)} ms in`,
    );
    console.log(`  latency: p50 ${ms(p50)}   p99 ${ms(p99)}   max ${ms(max)}`);
    console.log(
      `  answers: 201 ${fmt(issued)}   409 COUPON_EXHAUSTED ${fmt(exhausted)}   other ${fmt(other)}` +
        (other > 0 ? ` ${JSON.stringify(Object.fromEntries(others))}` : ''),
    );
    console.log(
      describeCpu(before, after, r.answered, {
        self: 'load generator',
        processes: 'service',
        ...(server.databaseUrl ? { database: new URL(server.databaseUrl).pathname.slice(1) } : {}),
      }).replace('CPU per paid order', 'CPU per issue request'),
    );

    let ledger = await ledgerOf(db, couponId);
    const matches = (l: Ledger) => l.rows === QUANTITY && l.issuedQuantity === QUANTITY && l.distinctUsers === QUANTITY && issued === QUANTITY && sameSet(l.userIds, r.winners);
    if (!matches(ledger)) {
      // Tell a count that is late (written after the answer) from one that is wrong.
      console.log(
        `  database right after the storm: user_coupons ${ledger.rows}, coupons.issued_quantity ${ledger.issuedQuantity}; looking again in 3 s`,
      );
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      ledger = await ledgerOf(db, couponId);
    }
    const exact = matches(ledger);
    const view = await client.send({ method: 'GET', path: `/api/v1/coupons/${couponId}`, token: seeded.sellerToken });
    const shown = JSON.parse(view.body) as { issuedQuantity?: number; remainingQuantity?: number; status?: string };
    console.log(
      `  database: user_coupons rows ${ledger.rows}, coupons.issued_quantity ${ledger.issuedQuantity}, distinct users ${ledger.distinctUsers}, ` +
        `holders = the users answered 201: ${sameSet(ledger.userIds, r.winners) ? 'yes' : 'NO'}  =>  ${exact ? 'EXACT' : 'WRONG'} (must all be ${QUANTITY})`,
    );
    console.log(
      `  GET /coupons/${couponId}: ${view.status} issuedQuantity ${shown.issuedQuantity} remainingQuantity ${shown.remainingQuantity} status ${shown.status}`,
    );
    const answeredAll = r.answered === STORM_USERS && !Object.keys(r.outcomes).some((k) => k.startsWith('5'));
    console.log(
      `  targets: every request answered (no 5xx) ${answeredAll ? 'yes' : 'NO'}; p99 < ${TARGET_P99_MS} ms ${p99 < TARGET_P99_MS ? 'yes' : 'NO'}; ` +
        `>= ${fmt(TARGET_RPS)} answered/s ${rps >= TARGET_RPS ? 'yes' : 'NO'}${variant.redisUrl ? '' : ' (the throughput target is for Redis)'}`,
    );
    if (!exact) process.exitCode = 1;
    return {
      label: variant.redisUrl ? 'with Redis' : 'without Redis',
      rps,
      p50,
      p99,
      max,
      issued,
      exhausted,
      other,
      exact,
      cpu: cpuPerUnit(before, after, r.answered).processes,
      load: { warmup, warmupUsers: seeded.warmup, coupon: stormCoupon, users: seeded.storm },
    };
  } finally {
    client.close();
    await db?.destroy();
    await server.stop();
    if (profileDir) for (const line of summarizeProfiles(profileDir, window, 25)) console.log(line);
  }
}

/**
 * The yardstick: the same requests (paths, tokens, bodies, connections, load generator) to an
 * Express app that only parses the JSON body and answers 201, in its own process as the service is.
 */
async function runBare(load: Summary['load'], connections: number): Promise<{ rps: number; p50: number; p99: number; max: number; cpu: number }> {
  const bare = await startBareExpress();
  const client = new LoadClient(bare.url, connections);
  try {
    console.log(`-- bare Express POST endpoint (parses the JSON body, answers 201, nothing else): the same requests, ${connections} connections`);
    const warm = await storm(client, load.warmup, load.warmupUsers, connections);
    console.log(`  warm-up: ${fmt(warm.answered)} requests: ${(warm.answered / warm.seconds).toFixed(0)} answered/s, ${JSON.stringify(warm.outcomes)}`);
    await settle(bare.pid);
    const before = cpuSnapshot([bare.pid]);
    const r = await storm(client, load.coupon, load.users, connections);
    const after = cpuSnapshot([bare.pid]);
    const rps = r.answered / r.seconds;
    const p50 = percentile(r.latencies, 50);
    const p99 = percentile(r.latencies, 99);
    const max = r.latencies[r.latencies.length - 1] ?? 0;
    console.log(`  ${fmt(r.answered)} answered in ${r.seconds.toFixed(2)} s = ${rps.toFixed(0)} answered/s; ${JSON.stringify(r.outcomes)}`);
    console.log(`  latency: p50 ${ms(p50)}   p99 ${ms(p99)}   max ${ms(max)}`);
    console.log(describeCpu(before, after, r.answered, { self: 'load generator', processes: 'bare Express' }).replace('CPU per paid order', 'CPU per request'));
    return { rps, p50, p99, max, cpu: cpuPerUnit(before, after, r.answered).processes };
  } finally {
    client.close();
    await bare.stop();
  }
}

/**
 * The storm without Redis and with it, each on a fresh server and database; then the same requests
 * to a bare Express endpoint; then all side by side, the storm as a share of the bare endpoint.
 */
export async function couponsScenario(_unused: unknown, options: Pick<ScenarioOptions, 'connections' | 'profile'>): Promise<void> {
  // run.ts defaults --connections to 64 for every scenario; the storm wants more unless told otherwise.
  const given = process.argv.some((a) => a === '--connections' || a.startsWith('--connections='));
  const connections = given ? options.connections : DEFAULT_STORM_CONNECTIONS;
  const summaries: Summary[] = [];
  for (const variant of VARIANTS) summaries.push(await runVariant(variant, connections, options.profile));
  const bare = await runBare((summaries[summaries.length - 1] as Summary).load, connections);
  // The rates' ratio, and the same by CPU per request, which others' work on a shared machine moves less.
  const share = (s: { rps: number; cpu: number }) =>
    `= ${((s.rps / bare.rps) * 100).toFixed(0)}% of the bare endpoint (${s.cpu > 0 ? ((bare.cpu / s.cpu) * 100).toFixed(0) : '-'}% by CPU per request: ${s.cpu.toFixed(2)} ms against ${bare.cpu.toFixed(2)})`;
  console.log(`-- summary: ${fmt(STORM_USERS)} requests for ${QUANTITY} coupons, ${connections} connections`);
  for (const s of summaries) {
    console.log(
      `  ${s.label.padEnd(14)} ${s.rps.toFixed(0).padStart(6)} answered/s   p50 ${s.p50.toFixed(1).padStart(6)} ms   p99 ${s.p99.toFixed(1).padStart(6)} ms   ` +
        `max ${s.max.toFixed(0).padStart(5)} ms   201 ${s.issued}  409 exhausted ${s.exhausted}  other ${s.other}   ${s.exact ? 'EXACT' : 'WRONG'}`,
    );
    console.log(`  ${' '.repeat(14)} ${share(s)}`);
  }
  console.log(
    `  ${'bare Express'.padEnd(14)} ${bare.rps.toFixed(0).padStart(6)} answered/s   p50 ${bare.p50.toFixed(1).padStart(6)} ms   p99 ${bare.p99.toFixed(1).padStart(6)} ms   ` +
      `max ${bare.max.toFixed(0).padStart(5)} ms   (parse JSON, answer 201)`,
  );
  const withRedis = summaries.find((s) => s.label === 'with Redis');
  if (withRedis) {
    console.log(
      `  target (reported, not asserted): the storm with Redis >= ${TARGET_SHARE_OF_BARE * 100}% of the bare endpoint ` +
        `${withRedis.rps >= TARGET_SHARE_OF_BARE * bare.rps ? 'yes' : 'NO'} (${((withRedis.rps / bare.rps) * 100).toFixed(0)}%; by CPU per request ` +
        `${bare.cpu >= TARGET_SHARE_OF_BARE * withRedis.cpu ? 'yes' : 'NO'})`,
    );
  }
}
