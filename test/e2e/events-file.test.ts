import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { PlatformEvent } from '../../src/application/ports/event-publisher.js';
import { requireRealPostgres, testDatabase } from '../support/database.js';
import { startTestService, type TestService } from '../support/service.js';
import { eventually, OrderingClient } from './orders-support.js';

function eventsIn(file: string): PlatformEvent[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line) as PlatformEvent);
}

describe('e2e: with DATABASE_URL and no DATA_PLATFORM_URL the events go to DATA_DIR/events-<database>.jsonl', function () {
  this.timeout(30_000);
  let t: TestService;
  let dataDir: string;
  let databaseName: string;

  before(async function () {
    const database = await testDatabase();
    requireRealPostgres(this, database);
    databaseName = new URL(database.url!).pathname.slice(1);
    dataDir = mkdtempSync(path.join(tmpdir(), 'order-service-events-'));
    t = await startTestService({ persistence: 'postgres', env: { DATABASE_URL: database.url!, DATA_DIR: dataDir, JOB_INTERVAL_MS: '50' } });
  });
  after(async function () {
    await t?.stop();
  });

  it("an order's OrderCreated lands in the database's own file, and nothing in the embedded demo's events.jsonl", async function () {
    const o = new OrderingClient(t);
    const listing = await o.listing();
    const buyer = await t.newBuyer();
    const order = await o.order(buyer, listing);

    const file = path.join(dataDir, `events-${databaseName}.jsonl`);
    const created = await eventually(
      async () => eventsIn(file).find((e) => e.type === 'OrderCreated' && e.aggregateId === order.id),
      (event) => event !== undefined,
      10_000,
    );
    expect(created, `OrderCreated of order ${order.id} in ${file}`).to.include({ aggregateId: order.id });
    expect(existsSync(path.join(dataDir, 'events.jsonl')), 'the embedded database\'s file').to.equal(false);
  });
});
