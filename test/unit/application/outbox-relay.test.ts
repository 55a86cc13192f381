import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryTransactionManager } from '../../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryOutbox } from '../../../src/adapters/memory/ordering.js';
import { MemoryOutboxStore } from '../../../src/adapters/memory/outbox-store.js';
import { ListOutboxEvents } from '../../../src/application/outbox/list-outbox-events.js';
import { PruneSentEvents } from '../../../src/application/outbox/prune-sent-events.js';
import { RetryOutboxEvent } from '../../../src/application/outbox/retry-outbox-event.js';
import { MAX_RETRY_DELAY_MS, RelayOutbox, type RelaySettings, retryDelayMs } from '../../../src/application/outbox/relay-outbox.js';
import { DeliveryRefused, type EventPublisher, type PlatformEvent } from '../../../src/application/ports/event-publisher.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { ManualClock } from '../../support/clock.js';
import { expectRejectsCode } from '../expect-error.js';

const SETTINGS: RelaySettings = { maxAttempts: 3, retryBaseMs: 1_000, leaseMs: 60_000, batchSize: 10, concurrency: 4, maxBatchesPerRun: 50 };
const ADMIN: Actor = { userId: 1, role: 'ADMIN' };

/** A data platform the test steers: records what it received, fails while `failing` says so. */
class RecordingPublisher implements EventPublisher {
  received: PlatformEvent[] = [];
  failing: (event: PlatformEvent) => boolean = () => false;
  refusing: (event: PlatformEvent) => boolean = () => false;

  async publish(event: PlatformEvent): Promise<void> {
    if (this.refusing(event)) throw new DeliveryRefused('data platform answered HTTP 400');
    if (this.failing(event)) throw new Error('HTTP 503');
    this.received.push(event);
  }
}

describe('the outbox relay and the operators’ use cases (memory adapters)', () => {
  let clock: ManualClock;
  let outbox: MemoryOutbox;
  let store: MemoryOutboxStore;
  let publisher: RecordingPublisher;
  let logger: { info: sinon.SinonStub; warn: sinon.SinonStub; error: sinon.SinonStub };
  let metrics: { delivered: sinon.SinonStub; failed: sinon.SinonStub; alerted: sinon.SinonStub };
  let relay: RelayOutbox;

  const relayWith = (settings: Partial<RelaySettings> = {}) =>
    new RelayOutbox(store, publisher, clock, logger, metrics, { ...SETTINGS, ...settings });

  beforeEach(() => {
    clock = new ManualClock();
    outbox = new MemoryOutbox(new MemoryTransactionManager());
    store = new MemoryOutboxStore(outbox);
    publisher = new RecordingPublisher();
    logger = { info: sinon.stub(), warn: sinon.stub(), error: sinon.stub() };
    metrics = { delivered: sinon.stub(), failed: sinon.stub(), alerted: sinon.stub() };
    relay = relayWith();
  });

  async function write(aggregateId: number, type: 'OrderCreated' | 'PaymentCompleted' | 'OrderCancelled' = 'OrderCreated') {
    await outbox.add({ type, aggregateType: 'Order', aggregateId, occurredAt: clock.now(), payload: { id: aggregateId, type } });
  }
  const all = async () => (await store.list({ page: 1, size: 100 })).items.reverse();

  it('delivers due events as the platform receives them, marks them SENT with attempts 1, and counts them', async () => {
    await write(1);
    await write(1, 'PaymentCompleted');
    await write(2);
    expect(await relay.execute()).to.deep.equal({ claimed: 3, sent: 3, failed: 0, alerted: 0 });

    const stored = await all();
    expect(publisher.received).to.have.length(3);
    expect(publisher.received[0]).to.deep.equal({
      id: stored[0]!.id,
      type: 'OrderCreated',
      aggregateType: 'Order',
      aggregateId: 1,
      occurredAt: clock.now().toISOString(),
      payload: { id: 1, type: 'OrderCreated' },
    });
    expect(publisher.received.filter((e) => e.aggregateId === 1).map((e) => e.type)).to.deep.equal(['OrderCreated', 'PaymentCompleted']);
    expect(stored.map((e) => [e.status, e.attempts])).to.deep.equal([
      ['SENT', 1],
      ['SENT', 1],
      ['SENT', 1],
    ]);
    expect(stored[0]!.sentAt!.toISOString()).to.equal(clock.now().toISOString());
    expect(metrics.delivered.calledOnceWith(3)).to.equal(true);
    expect(await relay.execute()).to.deep.equal({ claimed: 0, sent: 0, failed: 0, alerted: 0 });
  });

  it('a run takes batch after batch until the backlog is done', async () => {
    for (let i = 0; i < 25; i += 1) await write(100 + i);
    const outcome = await relayWith({ batchSize: 10 }).execute();
    expect(outcome).to.deep.include({ claimed: 25, sent: 25 });
    expect(publisher.received).to.have.length(25);
  });

  it('a failed delivery is FAILED with its error and backs off base, 2 x base, ...; at OUTBOX_MAX_ATTEMPTS it is ALERTED, logged and counted', async () => {
    await write(7);
    publisher.failing = () => true;

    expect(await relay.execute()).to.deep.include({ claimed: 1, failed: 1 });
    let [event] = await all();
    expect(event).to.deep.include({ status: 'FAILED', attempts: 1, lastError: 'HTTP 503' });
    expect(event!.nextAttemptAt.getTime() - clock.now().getTime()).to.equal(1_000);

    clock.advance(999);
    expect((await relay.execute()).claimed).to.equal(0);
    clock.advance(1);
    await relay.execute();
    [event] = await all();
    expect(event).to.deep.include({ status: 'FAILED', attempts: 2 });
    expect(event!.nextAttemptAt.getTime() - clock.now().getTime()).to.equal(2_000);

    clock.advance(2_000);
    expect(await relay.execute()).to.deep.include({ alerted: 1, failed: 0 });
    [event] = await all();
    expect(event).to.deep.include({ status: 'ALERTED', attempts: 3, lastError: 'HTTP 503' });
    expect(metrics.failed.callCount).to.equal(3);
    expect(metrics.alerted.calledOnceWith('OrderCreated')).to.equal(true);
    expect(logger.error.calledOnce).to.equal(true);
    expect(logger.error.firstCall.args[1]).to.deep.include({ eventId: event!.id, attempts: 3, error: 'HTTP 503' });

    clock.advance(365 * 86_400_000);
    expect((await relay.execute()).claimed).to.equal(0);
    expect(publisher.received).to.deep.equal([]);
  });

  it('an event the receiver refuses for good (DeliveryRefused) is ALERTED at its first try, logged and counted; its later events wait', async () => {
    await write(9);
    await write(9, 'PaymentCompleted');
    publisher.refusing = (e) => e.type === 'OrderCreated';

    expect(await relay.execute()).to.deep.equal({ claimed: 2, sent: 0, failed: 0, alerted: 1 });
    const [refused, later] = await all();
    expect(refused).to.deep.include({ status: 'ALERTED', attempts: 1, lastError: 'data platform answered HTTP 400' });
    expect(later).to.deep.include({ status: 'PENDING', attempts: 0 });
    expect(metrics.alerted.calledOnceWith('OrderCreated')).to.equal(true);
    expect(logger.error.firstCall.args[0]).to.match(/refused/);
    clock.advance(86_400_000);
    expect((await relay.execute()).claimed).to.equal(0);
  });

  it("after one of an aggregate's events fails, its later events in the batch are not sent (given back untried); other aggregates go", async () => {
    await write(1);
    await write(1, 'PaymentCompleted');
    await write(1, 'OrderCancelled');
    await write(2);
    publisher.failing = (e) => e.aggregateId === 1 && e.type === 'OrderCreated';

    expect(await relay.execute()).to.deep.equal({ claimed: 4, sent: 1, failed: 1, alerted: 0 });
    expect(publisher.received.map((e) => e.aggregateId)).to.deep.equal([2]);
    const [first, second, third] = await all();
    expect(first).to.deep.include({ status: 'FAILED', attempts: 1 });
    expect(second).to.deep.include({ status: 'PENDING', attempts: 0 });
    expect(third).to.deep.include({ status: 'PENDING', attempts: 0 });

    publisher.failing = () => false;
    clock.advance(1_000);
    await relay.execute();
    expect(publisher.received.filter((e) => e.aggregateId === 1).map((e) => e.type)).to.deep.equal(['OrderCreated', 'PaymentCompleted', 'OrderCancelled']);
    expect((await all()).map((e) => [e.status, e.attempts])).to.deep.equal([
      ['SENT', 2],
      ['SENT', 1],
      ['SENT', 1],
      ['SENT', 1],
    ]);
  });

  it('a relay that dies between delivering and marking leaves the events PROCESSING; after the lease they go again (at least once)', async () => {
    await write(3);
    sinon.stub(store, 'markSent').rejects(new Error('the process died'));
    const error = await relay.execute().catch((e: unknown) => e);
    expect(error).to.have.property('message', 'the process died');
    sinon.restore();
    expect((await all())[0]).to.deep.include({ status: 'PROCESSING', attempts: 1 });

    clock.advance(SETTINGS.leaseMs - 1);
    expect((await relay.execute()).claimed).to.equal(0);
    clock.advance(1);
    expect((await relay.execute()).sent).to.equal(1);
    expect(publisher.received.map((e) => e.id)).to.deep.equal([(await all())[0]!.id, (await all())[0]!.id]);
    expect((await all())[0]).to.deep.include({ status: 'SENT', attempts: 2 });
  });

  it('the backoff doubles from the base and stops growing at an hour', () => {
    expect([1, 2, 3, 4].map((n) => retryDelayMs(1_000, n))).to.deep.equal([1_000, 2_000, 4_000, 8_000]);
    expect(retryDelayMs(1_000, 40)).to.equal(MAX_RETRY_DELAY_MS);
  });

  describe('operators', () => {
    it('ListOutboxEvents and RetryOutboxEvent are for ADMINs only: BUYER and SELLER are FORBIDDEN', async () => {
      const list = new ListOutboxEvents(store);
      const retry = new RetryOutboxEvent(store, outbox.transactions, clock);
      for (const role of ['BUYER', 'SELLER'] as const) {
        await expectRejectsCode(list.execute({ userId: 2, role }, { page: 1, size: 20 }), 'FORBIDDEN');
        await expectRejectsCode(retry.execute({ userId: 2, role }, '00000000-0000-4000-8000-000000000000'), 'FORBIDDEN');
      }
    });

    it('the listing shows the API shape, newest first', async () => {
      await write(1);
      await write(2);
      await relay.execute();
      const page = await new ListOutboxEvents(store).execute(ADMIN, { page: 1, size: 1 });
      const [newest] = await all().then((rows) => rows.reverse());
      expect(page).to.deep.equal({
        items: [
          {
            id: newest!.id,
            type: 'OrderCreated',
            aggregateType: 'Order',
            aggregateId: 2,
            status: 'SENT',
            attempts: 1,
            lastError: null,
            createdAt: clock.now().toISOString(),
            sentAt: clock.now().toISOString(),
          },
        ],
        page: 1,
        size: 1,
        totalItems: 2,
        totalPages: 2,
      });
    });

    it('RetryOutboxEvent: an ALERTED event goes back to PENDING with attempts 0 and is delivered; unknown NOT_FOUND; PROCESSING INVALID_STATE', async () => {
      const retry = new RetryOutboxEvent(store, outbox.transactions, clock);
      await write(5);
      publisher.failing = () => true;
      const oneTry = relayWith({ maxAttempts: 1 });
      await oneTry.execute();
      const [alerted] = await all();
      expect(alerted!.status).to.equal('ALERTED');

      const view = await retry.execute(ADMIN, alerted!.id);
      expect(view).to.deep.include({ id: alerted!.id, status: 'PENDING', attempts: 0, lastError: null, sentAt: null });
      publisher.failing = () => false;
      await oneTry.execute();
      expect((await all())[0]).to.deep.include({ status: 'SENT', attempts: 1 });

      await expectRejectsCode(retry.execute(ADMIN, '00000000-0000-4000-8000-000000000000'), 'NOT_FOUND');
      await write(6);
      await store.claim(clock.now(), 10, new Date(clock.now().getTime() + 60_000));
      const processing = (await all()).find((e) => e.status === 'PROCESSING')!;
      await expectRejectsCode(retry.execute(ADMIN, processing.id), 'INVALID_STATE');
    });

    it('PruneSentEvents removes SENT events older than the retention, keeps newer and ALERTED ones', async () => {
      await write(1);
      await write(2);
      publisher.failing = (e) => e.aggregateId === 2;
      await relayWith({ maxAttempts: 1 }).execute();
      const prune = new PruneSentEvents(store, clock, 7);
      clock.advance(7 * 86_400_000);
      expect(await prune.execute()).to.equal(0);
      clock.advance(1);
      expect(await prune.execute()).to.equal(1);
      expect((await all()).map((e) => e.status)).to.deep.equal(['ALERTED']);
    });
  });
});
