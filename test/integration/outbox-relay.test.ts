import { expect } from 'chai';
import type { Knex } from 'knex';
import { HttpWebhookPublisher } from '../../src/adapters/event-publisher/http-webhook-publisher.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresOutbox } from '../../src/adapters/postgres/ordering.js';
import { PostgresOutboxStore } from '../../src/adapters/postgres/outbox-store.js';
import { DEFAULT_RELAY_SETTINGS, RelayOutbox, type RelaySettings } from '../../src/application/outbox/relay-outbox.js';
import type { PlatformEvent } from '../../src/application/ports/event-publisher.js';
import type { EventType } from '../../src/application/ports/outbox.js';
import type { OutboxStore } from '../../src/application/ports/outbox-store.js';
import type { Clock } from '../../src/domain/shared/clock.js';
import { ManualClock } from '../support/clock.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { PlatformReceiver } from '../support/platform-receiver.js';

/**
 * The relay against real PostgreSQL and a real HTTP receiver. Each test runs in an era of its own
 * (the relays' clocks start in the 1500s and go back a year per test), so their claims see only
 * the events the test wrote, never the rest of the run's outbox.
 */
let eras = 0;
const newEra = () => new Date(Date.UTC(1500 - ++eras, 0, 1));
let aggregates = 0;
const newAggregate = () => 9_000_000_000_000 + ++aggregates;

/** Real time, shifted into the test's era. */
class EraClock implements Clock {
  private readonly offset: number;
  constructor(start: Date) {
    this.offset = start.getTime() - Date.now();
  }
  now(): Date {
    return new Date(Date.now() + this.offset);
  }
}

const quietLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noMetrics = { delivered: () => undefined, failed: () => undefined, alerted: () => undefined };
const TYPES: EventType[] = ['OrderCreated', 'PaymentCompleted', 'RefundCompleted', 'OrderCancelled'];

describe('outbox relay against PostgreSQL and a real HTTP receiver', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  let db: Knex;
  let receiver: PlatformReceiver;
  let start: Date;

  before(async function () {
    database = await testDatabase();
    db = database.db;
  });

  beforeEach(async function () {
    receiver = await new PlatformReceiver().start();
    start = newEra();
  });

  afterEach(async function () {
    await receiver.stop();
  });

  /** `perAggregate` events for each of `count` new aggregates, interleaved, written as use cases do. */
  async function seed(count: number, perAggregate: number): Promise<{ aggregateIds: number[]; seqOf: Map<string, number> }> {
    const aggregateIds = Array.from({ length: count }, newAggregate);
    const tx = new KnexTransactionManager(db);
    for (let n = 0; n < perAggregate; n += 1) {
      await tx.run(() =>
        new PostgresOutbox(tx).add(
          ...aggregateIds.map((aggregateId) => ({
            type: TYPES[n % TYPES.length] as EventType,
            aggregateType: 'Order' as const,
            aggregateId,
            occurredAt: start,
            payload: { orderId: aggregateId, n },
          })),
        ),
      );
    }
    const rows = await db('outbox_events').whereIn('aggregate_id', aggregateIds).select('id', 'seq');
    return { aggregateIds, seqOf: new Map(rows.map((r: { id: string; seq: string }) => [r.id, Number(r.seq)])) };
  }

  function relay(pool: Knex, clock: Clock, settings: Partial<RelaySettings> = {}, store?: OutboxStore): RelayOutbox {
    return new RelayOutbox(store ?? new PostgresOutboxStore(new KnexTransactionManager(pool)), new HttpWebhookPublisher(receiver.url), clock, quietLogger, noMetrics, {
      ...DEFAULT_RELAY_SETTINGS,
      maxAttempts: 20,
      retryBaseMs: 10,
      batchSize: 20,
      concurrency: 4,
      ...settings,
    });
  }

  async function unsent(aggregateIds: number[]): Promise<number> {
    const [row] = await db('outbox_events').whereIn('aggregate_id', aggregateIds).whereNot('status', 'SENT').count<{ n: string }[]>({ n: '*' });
    return Number(row?.n ?? 0);
  }

  /** Runs the relays side by side until every event of these aggregates is SENT. */
  async function runUntilSent(relays: RelayOutbox[], aggregateIds: number[]): Promise<number[]> {
    const deadline = Date.now() + 30_000;
    let done = false;
    const sentBy = relays.map(() => 0);
    const loop = async (r: RelayOutbox, i: number) => {
      while (!done) {
        sentBy[i] = (sentBy[i] ?? 0) + (await r.execute()).sent;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    const running = relays.map(loop);
    while ((await unsent(aggregateIds)) > 0) {
      if (Date.now() > deadline) {
        done = true;
        await Promise.all(running);
        return expect.fail(`events still unsent after 30 s: ${await unsent(aggregateIds)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    done = true;
    await Promise.all(running);
    return sentBy;
  }

  /** Per aggregate, the ids in the order the receiver first got them equal the ids in seq order. */
  function expectOrderPerAggregate(events: PlatformEvent[], seqOf: Map<string, number>) {
    const byAggregate = new Map<number, string[]>();
    for (const e of events) byAggregate.set(e.aggregateId, [...(byAggregate.get(e.aggregateId) ?? []), e.id]);
    for (const [aggregateId, received] of byAggregate) {
      const inSeqOrder = [...received].sort((a, b) => (seqOf.get(a) ?? 0) - (seqOf.get(b) ?? 0));
      expect(received, `order of aggregate ${aggregateId}`).to.deep.equal(inSeqOrder);
    }
  }

  it('the receiver fails the first 25 deliveries: every event still arrives, in order per aggregate, keyed by its id', async function () {
    const { aggregateIds, seqOf } = await seed(8, 6);
    receiver.failFirst = 25;
    await runUntilSent([relay(db, new EraClock(start))], aggregateIds);

    const first = receiver.firstDeliveries();
    expect(first.map((e) => e.id).sort()).to.deep.equal([...seqOf.keys()].sort());
    expectOrderPerAggregate(first, seqOf);
    expect(receiver.deliveries.filter((d) => !d.ok)).to.have.length(25);
    for (const d of receiver.deliveries) {
      expect(d.key).to.equal(d.event.id);
      expect(Object.keys(d.event).sort()).to.deep.equal(['aggregateId', 'aggregateType', 'id', 'occurredAt', 'payload', 'type']);
    }
    // attempts counts every try, the successful one included.
    const [row] = await db('outbox_events').whereIn('aggregate_id', aggregateIds).sum<{ tries: string }[]>({ tries: 'attempts' });
    expect(Number(row?.tries)).to.equal(receiver.deliveries.length);
  });

  it('two relays on two pools at once deliver every event exactly once, in order per aggregate', async function () {
    requireRealPostgres(this, database);
    const { aggregateIds, seqOf } = await seed(40, 10);
    const clock = new EraClock(start);
    const sentBy = await runUntilSent([relay(database.connect(5), clock), relay(database.connect(5), clock)], aggregateIds);
    // Both took part: the claims really ran side by side.
    expect(sentBy.every((n) => n > 0), `sent per relay: ${sentBy.join(', ')}`).to.equal(true);
    expect(sentBy.reduce((a, b) => a + b, 0)).to.equal(400);

    const ids = receiver.deliveries.map((d) => d.event.id);
    expect(ids).to.have.length(400);
    expect(new Set(ids).size).to.equal(400);
    expectOrderPerAggregate(receiver.firstDeliveries(), seqOf);
    const attempts = await db('outbox_events').whereIn('aggregate_id', aggregateIds).distinct('attempts');
    expect(attempts.map((r: { attempts: number }) => r.attempts)).to.deep.equal([1]);
  });

  it('a relay killed between delivering and marking: the events go again after the lease (at least once), and the receiver can dedupe by id', async function () {
    const { aggregateIds, seqOf } = await seed(5, 2);
    const clock = new ManualClock(start);
    const store = new PostgresOutboxStore(new KnexTransactionManager(db));
    // The first relay's process dies after the platform answered, before anything is marked.
    const dying: OutboxStore = Object.assign(Object.create(store) as OutboxStore, {
      markSent: () => Promise.reject(new Error('killed')),
    });
    const error = await relay(db, clock, {}, dying)
      .execute()
      .catch((e: unknown) => e);
    expect(error).to.have.property('message', 'killed');
    const delivered = receiver.deliveries.map((d) => d.event.id);
    expect(delivered.length).to.be.greaterThan(0);
    expect(await unsent(aggregateIds)).to.equal(10);

    const survivor = relay(db, clock);
    clock.advance(DEFAULT_RELAY_SETTINGS.leaseMs - 1);
    expect((await survivor.execute()).claimed).to.equal(0);
    clock.advance(1);
    while ((await unsent(aggregateIds)) > 0) await survivor.execute();

    // Everything the dead relay delivered arrived twice, under the same id.
    const counts = new Map<string, number>();
    for (const d of receiver.deliveries) counts.set(d.event.id, (counts.get(d.event.id) ?? 0) + 1);
    for (const id of delivered) expect(counts.get(id)).to.equal(2);
    expect(receiver.firstDeliveries().map((e) => e.id).sort()).to.deep.equal([...seqOf.keys()].sort());
    expectOrderPerAggregate(receiver.firstDeliveries(), seqOf);
    // The dead relay's marks, were it to wake up, change nothing: its claims are stale.
    expect(await store.markSent(delivered.map((id) => ({ id, attempts: 1 })), clock.now())).to.equal(0);
  });
});
