import { mkdtempSync } from 'node:fs';
import net, { type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import knexFactory, { type Knex } from 'knex';
import { createLogger } from '../../src/infrastructure/logger.js';
import { type RunningService, startService } from '../../src/infrastructure/service.js';
import { testConfig } from '../support/config.js';
import { requireRealPostgres, testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';
import { ApiClient } from '../support/service.js';
import { expectProblem } from './problem.js';

/**
 * A TCP relay in front of PostgreSQL. Closing it is the database going away for real (refused
 * connections, dropped sockets), with no change to the service: startService migrates through
 * it while it is open, then the test pulls the plug.
 */
class TcpRelay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async open(port = 0): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('e2e: when the database does not answer', function () {
  this.timeout(30_000);
  let relay: TcpRelay;
  let db: Knex;
  let running: RunningService;
  let api: ApiClient;
  let token: string;

  before(async function () {
    const database = await testDatabase();
    requireRealPostgres(this, database);
    const target = new URL(database.url!);
    relay = new TcpRelay(target.hostname, Number(target.port || 5432));
    await relay.open();
    const viaRelay = new URL(target);
    viaRelay.hostname = '127.0.0.1';
    viaRelay.port = String(relay.port);
    db = knexFactory({
      client: 'pg',
      connection: viaRelay.toString(),
      pool: { min: 0, max: 2 },
      acquireConnectionTimeout: 2_000,
      // The refused connections are the point of the test: keep knex from printing each one.
      log: { warn: () => {}, error: () => {}, debug: () => {}, deprecate: () => {} },
    });
    const config = testConfig({ DATA_DIR: mkdtempSync(path.join(tmpdir(), 'order-service-dbdown-')) });
    running = await startService(config, createLogger('error', true), { db, redis: null, jobs: false });
    api = new ApiClient(running.url);

    const email = uniqueEmail('dbdown');
    expect((await api.post('/api/v1/auth/signup', { email, password: 'long-enough-1', name: 'Db Down' })).status).to.equal(201);
    token = (await api.post('/api/v1/auth/login', { email, password: 'long-enough-1' })).body.accessToken;
  });
  after(async function () {
    await running?.stop();
    await relay?.close();
    await db?.destroy();
  });

  it('is ready while the database answers', async function () {
    const res = await api.get('/health/ready');
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.equal({ status: 'ok', checks: { database: 'up', redis: 'off' } });
  });

  describe('with the database gone', function () {
    before(async function () {
      await relay.close();
    });

    it('GET /health/ready answers 503 with the same shape: {status: "degraded", checks: {database: "down", redis: "off"}}', async function () {
      const res = await api.get('/health/ready');
      expect(res.status).to.equal(503);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(res.body).to.deep.equal({ status: 'degraded', checks: { database: 'down', redis: 'off' } });
    });

    it('GET /health/live is still 200: the process runs', async function () {
      const res = await api.get('/health/live');
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ status: 'ok' });
    });

    it('a request that needs the database answers 503 UNAVAILABLE (not 500), with no driver detail', async function () {
      const res = await api.get('/api/v1/balances/me', { token });
      expectProblem(res, 503, 'UNAVAILABLE', '/api/v1/balances/me');
      expect(res.body.detail).not.to.match(/ECONNREFUSED|127\.0\.0\.1|postgres|:\d{2,5}/i);
    });

    it('a charge answers 503 UNAVAILABLE as well', async function () {
      const res = await api.post('/api/v1/balances/charge', { amount: 1_000 }, { token, headers: { 'Idempotency-Key': 'db-down-charge' } });
      expectProblem(res, 503, 'UNAVAILABLE', '/api/v1/balances/charge');
    });

    it('answers that need no database keep their own status: 401 without a token, 404 for an unknown route', async function () {
      expectProblem(await api.get('/api/v1/balances/me'), 401, 'UNAUTHENTICATED', '/api/v1/balances/me');
      expectProblem(await api.get('/api/v1/nothing-here'), 404, 'NOT_FOUND', '/api/v1/nothing-here');
    });
  });

  describe('when the database is back', function () {
    before(async function () {
      await relay.open(relay.port);
    });

    it('is ready again and serves requests, without a restart', async function () {
      const ready = await api.get('/health/ready');
      expect(ready.status).to.equal(200);
      expect(ready.body).to.deep.equal({ status: 'ok', checks: { database: 'up', redis: 'off' } });
      const res = await api.get('/api/v1/balances/me', { token });
      expect(res.status).to.equal(200);
      expect(res.body.balance).to.equal(0);
    });
  });
});
