import { expect } from 'chai';
import type { EventType, Outbox, OutboxEvent } from '../../src/application/ports/outbox.js';
import type { OutboxStore, StoredOutboxEvent } from '../../src/application/ports/outbox-store.js';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';

export interface OutboxStoreSubject {
  /** The write side, over the same table. */
  outbox: Outbox;
  store: OutboxStore;
  transactions: TransactionManager;
}

/*
 * Claims and pruning look at the whole table, which on PostgreSQL the whole run shares. Each test
 * lives in an era of its own, going back a year per test from 1800 (other suites' events are
 * newer, so never due for these claims), and uses aggregate ids nobody else uses.
 */
let eras = 0;
const newEra = () => new Date(Date.UTC(1800 - ++eras, 0, 1));
let aggregates = 0;
const newAggregate = () => 8_000_000_000_000 + ++aggregates;

const LEASE_MS = 60_000;

/** What every OutboxStore must do, whatever it keeps the outbox in. */
export function outboxStoreContract(makeSubject: () => Promise<OutboxStoreSubject>): void {
  let subject: OutboxStoreSubject;
  let store: OutboxStore;
  let t0: Date;
  const at = (ms: number) => new Date(t0.getTime() + ms);
  const lease = (now: Date) => new Date(now.getTime() + LEASE_MS);

  beforeEach(async function () {
    subject = await makeSubject();
    store = subject.store;
    t0 = newEra();
  });

  /** Writes events in one transaction, as a use case would, and answers them as stored. */
  async function write(...events: { aggregateId: number; type?: EventType; ms?: number }[]): Promise<StoredOutboxEvent[]> {
    const full: OutboxEvent[] = events.map((e) => ({
      type: e.type ?? 'OrderCreated',
      aggregateType: 'Order',
      aggregateId: e.aggregateId,
      occurredAt: at(e.ms ?? 0),
      payload: { id: e.aggregateId, note: 'contract' },
    }));
    await subject.transactions.run(() => subject.outbox.add(...full));
    const found: StoredOutboxEvent[] = [];
    // The newest rows are this test's: read them back through the listing.
    const page = await store.list({ page: 1, size: events.length });
    for (const row of page.items.reverse()) found.push(row);
    expect(found.map((e) => e.aggregateId)).to.deep.equal(events.map((e) => e.aggregateId));
    return found;
  }

  const ids = (events: StoredOutboxEvent[]) => events.map((e) => e.id);

  describe('writing', function () {
    it('a written event is PENDING, due when it occurred, with a UUID, attempts 0 and its payload', async function () {
      const aggregateId = newAggregate();
      const [event] = await write({ aggregateId, type: 'PaymentCompleted', ms: 5 });
      expect(event!.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(event).to.deep.include({
        type: 'PaymentCompleted',
        aggregateType: 'Order',
        aggregateId,
        status: 'PENDING',
        attempts: 0,
        lastError: null,
        sentAt: null,
        payload: { id: aggregateId, note: 'contract' },
      });
      expect(event!.occurredAt.toISOString()).to.equal(at(5).toISOString());
      expect(event!.nextAttemptAt.toISOString()).to.equal(at(5).toISOString());
      expect(await store.get(event!.id)).to.deep.equal(event);
    });

    it('get of an unknown id is null', async function () {
      expect(await store.get('00000000-0000-4000-8000-000000000000')).to.equal(null);
    });
  });

  describe('claim', function () {
    it('takes due events oldest first up to the limit: PROCESSING, attempts + 1, leased; not-yet-due ones stay', async function () {
      const [a, b, c, later] = await write(
        { aggregateId: newAggregate() },
        { aggregateId: newAggregate() },
        { aggregateId: newAggregate() },
        { aggregateId: newAggregate(), ms: 10_000 },
      );
      const now = at(1_000);
      const claimed = await store.claim(now, 2, lease(now));
      expect(ids(claimed)).to.deep.equal(ids([a!, b!]));
      for (const event of claimed) {
        expect(event).to.deep.include({ status: 'PROCESSING', attempts: 1 });
        expect(event.nextAttemptAt.toISOString()).to.equal(lease(now).toISOString());
      }
      expect(ids(await store.claim(now, 10, lease(now)))).to.deep.equal(ids([c!]));
      expect(await store.claim(now, 10, lease(now))).to.deep.equal([]);
      expect((await store.get(later!.id))!.status).to.equal('PENDING');
      expect(ids(await store.claim(at(10_000), 10, lease(at(10_000))))).to.deep.equal(ids([later!]));
    });

    it('a claimed event is not claimed again while its lease holds; once it runs out it is (a relay died), attempts 2', async function () {
      const [event] = await write({ aggregateId: newAggregate() });
      await store.claim(at(0), 10, lease(at(0)));
      expect(await store.claim(at(LEASE_MS - 1), 10, lease(at(LEASE_MS - 1)))).to.deep.equal([]);
      const again = await store.claim(at(LEASE_MS), 10, lease(at(LEASE_MS)));
      expect(ids(again)).to.deep.equal([event!.id]);
      expect(again[0]).to.deep.include({ status: 'PROCESSING', attempts: 2 });
    });

    it("an aggregate's events go in order: a later one only with every earlier unsent one in the same claim", async function () {
      const x = newAggregate();
      const y = newAggregate();
      const [x1, y1, x2, x3] = await write({ aggregateId: x }, { aggregateId: y }, { aggregateId: x }, { aggregateId: x });
      const now = at(0);
      // The limit cuts x3 off; x1 and x2 come together.
      expect(ids(await store.claim(now, 3, lease(now)))).to.deep.equal(ids([x1!, y1!, x2!]));
      // x3's predecessors are PROCESSING (not SENT): x3 waits.
      expect(await store.claim(now, 10, lease(now))).to.deep.equal([]);
      expect(await store.markSent([{ id: x1!.id, attempts: 1 }], now)).to.equal(1);
      expect(await store.claim(now, 10, lease(now))).to.deep.equal([]);
      expect(await store.markSent([{ id: x2!.id, attempts: 1 }], now)).to.equal(1);
      expect(ids(await store.claim(now, 10, lease(now)))).to.deep.equal([x3!.id]);
    });

    it('a FAILED event is due again at its retry time, and holds its successors back until then', async function () {
      const x = newAggregate();
      const [x1, x2] = await write({ aggregateId: x }, { aggregateId: x });
      const [first] = await store.claim(at(0), 1, lease(at(0)));
      expect(first!.id).to.equal(x1!.id);
      expect(await store.markFailed({ id: x1!.id, attempts: 1 }, 'HTTP 500', at(5_000))).to.equal(true);
      const failed = await store.get(x1!.id);
      expect(failed).to.deep.include({ status: 'FAILED', attempts: 1, lastError: 'HTTP 500' });
      expect(failed!.nextAttemptAt.toISOString()).to.equal(at(5_000).toISOString());

      expect(await store.claim(at(4_999), 10, lease(at(4_999)))).to.deep.equal([]);
      const retried = await store.claim(at(5_000), 10, lease(at(5_000)));
      expect(ids(retried)).to.deep.equal(ids([x1!, x2!]));
      expect(retried.map((e) => e.attempts)).to.deep.equal([2, 1]);
    });

    it('an ALERTED event is never claimed and holds its aggregate back until an operator requeues it; other aggregates flow', async function () {
      const x = newAggregate();
      const [x1, x2, other] = await write({ aggregateId: x }, { aggregateId: x }, { aggregateId: newAggregate() });
      await store.claim(at(0), 1, lease(at(0)));
      expect(await store.markFailed({ id: x1!.id, attempts: 1 }, 'gave up', null)).to.equal(true);
      expect(await store.get(x1!.id)).to.deep.include({ status: 'ALERTED', lastError: 'gave up', attempts: 1 });

      const far = at(365 * 86_400_000);
      expect(ids(await store.claim(far, 10, lease(far)))).to.deep.equal([other!.id]);
      expect(await store.claim(far, 10, lease(far))).to.deep.equal([]);

      const requeued = await store.requeue(x1!.id, far);
      expect(requeued).to.deep.include({ status: 'PENDING', attempts: 0, lastError: null, sentAt: null });
      expect(ids(await store.claim(far, 10, lease(far)))).to.deep.equal(ids([x1!, x2!]));
    });

    it('an event written in a transaction still open is not claimed before it commits', async function () {
      const aggregateId = newAggregate();
      let commit!: () => void;
      const held = new Promise<void>((resolve) => (commit = resolve));
      let committed = false;
      const writing = subject.transactions.run(async () => {
        await subject.outbox.add({ type: 'OrderCreated', aggregateType: 'Order', aggregateId, occurredAt: at(0), payload: {} });
        await held;
        committed = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
      const claiming = store.claim(at(0), 10, lease(at(0))).then((events) => ({ events, afterCommit: committed }));
      await new Promise((resolve) => setTimeout(resolve, 50));
      commit();
      await writing;
      const { events, afterCommit } = await claiming;
      // Either the claim ran beside the transaction and saw nothing, or it waited for the commit.
      if (!afterCommit) expect(events).to.deep.equal([]);
      else expect(events.map((e) => e.aggregateId)).to.deep.equal([aggregateId]);
    });
  });

  describe('marks are guarded by the claim', function () {
    it('markSent: SENT with sent_at for claims still held; a stale claim (lease ran out, claimed again) changes nothing', async function () {
      const [a, b] = await write({ aggregateId: newAggregate() }, { aggregateId: newAggregate() });
      await store.claim(at(0), 10, lease(at(0)));
      const reclaimed = await store.claim(at(LEASE_MS), 1, lease(at(LEASE_MS)));
      expect(ids(reclaimed)).to.deep.equal([a!.id]);

      // The first relay comes back late with its claims (attempts 1): only b's still holds.
      expect(
        await store.markSent(
          [
            { id: a!.id, attempts: 1 },
            { id: b!.id, attempts: 1 },
          ],
          at(LEASE_MS + 5),
        ),
      ).to.equal(1);
      expect(await store.get(a!.id)).to.deep.include({ status: 'PROCESSING', attempts: 2, sentAt: null });
      const sent = await store.get(b!.id);
      expect(sent).to.deep.include({ status: 'SENT', attempts: 1 });
      expect(sent!.sentAt!.toISOString()).to.equal(at(LEASE_MS + 5).toISOString());

      expect(await store.markFailed({ id: a!.id, attempts: 1 }, 'late', at(1))).to.equal(false);
      expect(await store.release({ id: a!.id, attempts: 1 }, at(1))).to.equal(false);
      expect(await store.markSent([{ id: b!.id, attempts: 1 }], at(9))).to.equal(0);
      expect(await store.markFailed({ id: b!.id, attempts: 1 }, 'after sent', null)).to.equal(false);
      expect(await store.get(b!.id)).to.deep.include({ status: 'SENT', lastError: null });
      expect(await store.markSent([], at(0))).to.equal(0);
    });

    it('release gives an untried claim back: attempts - 1, PENDING (or FAILED when it had failed before), due now', async function () {
      const [fresh, failedBefore] = await write({ aggregateId: newAggregate() }, { aggregateId: newAggregate() });
      await store.claim(at(0), 10, lease(at(0)));
      await store.markFailed({ id: failedBefore!.id, attempts: 1 }, 'HTTP 503', at(100));
      await store.claim(at(100), 10, lease(at(100)));

      expect(await store.release({ id: fresh!.id, attempts: 1 }, at(200))).to.equal(true);
      expect(await store.release({ id: failedBefore!.id, attempts: 2 }, at(200))).to.equal(true);
      const [f, g] = [await store.get(fresh!.id), await store.get(failedBefore!.id)];
      expect(f).to.deep.include({ status: 'PENDING', attempts: 0 });
      expect(g).to.deep.include({ status: 'FAILED', attempts: 1, lastError: 'HTTP 503' });
      expect(f!.nextAttemptAt.toISOString()).to.equal(at(200).toISOString());
      expect(ids(await store.claim(at(200), 10, lease(at(200))))).to.deep.equal(ids([fresh!, failedBefore!]));
    });
  });

  describe('operators', function () {
    it('list: newest first, paged, with a status filter', async function () {
      const events = await write({ aggregateId: newAggregate() }, { aggregateId: newAggregate() }, { aggregateId: newAggregate() });
      await store.claim(at(0), 1, lease(at(0)));
      await store.markFailed({ id: events[0]!.id, attempts: 1 }, 'gave up', null);

      const first = await store.list({ page: 1, size: 2 });
      expect(ids(first.items)).to.deep.equal([events[2]!.id, events[1]!.id]);
      expect(first.page).to.equal(1);
      expect(first.size).to.equal(2);
      expect(first.totalItems).to.be.at.least(3);
      expect(first.totalPages).to.equal(Math.ceil(first.totalItems / 2));
      const second = await store.list({ page: 2, size: 2 });
      expect(second.items[0]!.id).to.equal(events[0]!.id);

      const alerted = await store.list({ page: 1, size: 1, status: 'ALERTED' });
      expect(ids(alerted.items)).to.deep.equal([events[0]!.id]);
      expect(alerted.items[0]).to.deep.include({ status: 'ALERTED', lastError: 'gave up' });
      const pending = await store.list({ page: 1, size: 100, status: 'PENDING' });
      expect(pending.items.every((e) => e.status === 'PENDING')).to.equal(true);
      expect(ids(pending.items)).to.include.members([events[1]!.id, events[2]!.id]);
      expect(pending.totalItems).to.be.at.least(2);
    });

    it('requeue: any status but PROCESSING goes back to PENDING, attempts 0, no error, due now; unknown ids are null', async function () {
      const [sent, processing] = await write({ aggregateId: newAggregate() }, { aggregateId: newAggregate() });
      await store.claim(at(0), 10, lease(at(0)));
      await store.markSent([{ id: sent!.id, attempts: 1 }], at(1));

      const again = await store.requeue(sent!.id, at(50));
      expect(again).to.deep.include({ id: sent!.id, status: 'PENDING', attempts: 0, lastError: null, sentAt: null });
      expect(again!.nextAttemptAt.toISOString()).to.equal(at(50).toISOString());
      expect(await store.requeue(processing!.id, at(50))).to.equal(null);
      expect(await store.get(processing!.id)).to.deep.include({ status: 'PROCESSING', attempts: 1 });
      expect(await store.requeue('00000000-0000-4000-8000-000000000000', at(50))).to.equal(null);
    });

    it("backlog: the unsent events by status, and when the relay's oldest (PENDING, PROCESSING or FAILED) occurred; SENT and ALERTED ones are not its", async function () {
      // The table is shared on PostgreSQL: counts are compared with before; this era's events are the oldest there.
      const before = (await store.backlog()).counts;
      const moved = async () => {
        const { counts, oldestOccurredAt } = await store.backlog();
        const delta = Object.fromEntries(Object.entries(counts).map(([status, n]) => [status, n - before[status as keyof typeof before]]));
        return { delta, oldest: oldestOccurredAt?.toISOString() ?? null };
      };
      const [alerted, failed, pending, sent] = await write(
        { aggregateId: newAggregate(), ms: 0 },
        { aggregateId: newAggregate(), ms: 10 },
        { aggregateId: newAggregate(), ms: 20 },
        { aggregateId: newAggregate(), ms: 30 },
      );
      expect(await moved()).to.deep.equal({ delta: { PENDING: 4, PROCESSING: 0, FAILED: 0, ALERTED: 0 }, oldest: at(0).toISOString() });

      await store.claim(at(100), 2, lease(at(100)));
      await store.markFailed({ id: alerted!.id, attempts: 1 }, 'gave up', null);
      await store.markFailed({ id: failed!.id, attempts: 1 }, 'HTTP 500', at(5_000));
      expect(await moved()).to.deep.equal({ delta: { PENDING: 2, PROCESSING: 0, FAILED: 1, ALERTED: 1 }, oldest: at(10).toISOString() });

      expect(ids(await store.claim(at(200), 2, lease(at(200))))).to.deep.equal(ids([pending!, sent!]));
      expect(await moved()).to.deep.equal({ delta: { PENDING: 0, PROCESSING: 2, FAILED: 1, ALERTED: 1 }, oldest: at(10).toISOString() });
      await store.markSent([{ id: sent!.id, attempts: 1 }], at(300));
      await store.markSent([{ id: pending!.id, attempts: 1 }], at(300));
      expect(await moved()).to.deep.equal({ delta: { PENDING: 0, PROCESSING: 0, FAILED: 1, ALERTED: 1 }, oldest: at(10).toISOString() });
    });

    it('pruneSent deletes SENT events sent before the cut-off, and nothing else', async function () {
      // The run's database is shared: a suite that ran earlier may have left SENT events sent
      // before this era (a relay test's clock at the epoch). They go first, so the count is this test's.
      await store.pruneSent(at(2_000));
      const [old, recent, alerted, pending] = await write(
        { aggregateId: newAggregate() },
        { aggregateId: newAggregate() },
        { aggregateId: newAggregate() },
        { aggregateId: newAggregate() },
      );
      await store.claim(at(0), 3, lease(at(0)));
      await store.markSent([{ id: old!.id, attempts: 1 }], at(1_000));
      await store.markSent([{ id: recent!.id, attempts: 1 }], at(3_000));
      await store.markFailed({ id: alerted!.id, attempts: 1 }, 'gave up', null);

      expect(await store.pruneSent(at(2_000))).to.equal(1);
      expect(await store.get(old!.id)).to.equal(null);
      expect(await store.get(recent!.id)).to.deep.include({ status: 'SENT' });
      expect(await store.get(alerted!.id)).to.deep.include({ status: 'ALERTED' });
      expect(await store.get(pending!.id)).to.deep.include({ status: 'PENDING' });
      expect(await store.pruneSent(at(2_000))).to.equal(0);
    });
  });
}
