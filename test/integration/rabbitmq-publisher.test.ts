import { expect } from 'chai';
import { RabbitMqPublisher } from '../../src/adapters/event-publisher/rabbitmq-publisher.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryOutbox } from '../../src/adapters/memory/ordering.js';
import { MemoryOutboxStore } from '../../src/adapters/memory/outbox-store.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import { RelayOutbox } from '../../src/application/outbox/relay-outbox.js';
import type { EventType } from '../../src/application/ports/outbox.js';
import { bindQueue, cutConnections, drain, dropExchange, exchangeName, requireRabbitMq, restartBroker } from '../support/rabbitmq.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const noMetrics = { delivered() {}, failed() {}, alerted() {} };
const TYPES: EventType[] = ['OrderCreated', 'PaymentCompleted', 'OrderCancelled'];

describe('RabbitMQ publisher against the local broker (through the outbox relay)', function () {
  this.timeout(120_000);
  let url: string;
  let exchange: string;
  let outbox: MemoryOutbox;
  let store: MemoryOutboxStore;
  let publisher: RabbitMqPublisher;
  let relay: RelayOutbox;

  beforeEach(async function () {
    url = await requireRabbitMq(this);
    exchange = exchangeName('relay');
    outbox = new MemoryOutbox(new MemoryTransactionManager());
    store = new MemoryOutboxStore(outbox);
    publisher = new RabbitMqPublisher(url, { exchange, timeoutMs: 2_000 });
    relay = new RelayOutbox(store, publisher, new SystemClock(), quiet, noMetrics, {
      maxAttempts: 1_000,
      retryBaseMs: 10,
      leaseMs: 60_000,
      batchSize: 50,
      concurrency: 8,
      maxBatchesPerRun: 50,
    });
  });
  afterEach(async function () {
    await publisher?.close();
    if (url && exchange) await dropExchange(url, exchange);
  });

  /** `count` events over `aggregates` orders, in order per order. */
  async function write(count: number, aggregates = 10, from = 0): Promise<void> {
    for (let i = from; i < from + count; i++) {
      await outbox.add({ type: TYPES[i % TYPES.length]!, aggregateType: 'Order', aggregateId: 1 + (i % aggregates), occurredAt: new Date(), payload: { n: i } });
    }
  }
  const events = async () => (await store.list({ page: 1, size: 1_000 })).items;

  /** Runs the relay (with short pauses for backoff) until every event is SENT. */
  async function relayUntilSent(deadlineMs = 60_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      await relay.execute();
      const pending = (await events()).filter((e) => e.status !== 'SENT');
      if (pending.length === 0) return;
      if (Date.now() > until) throw new Error(`${pending.length} events not SENT: ${JSON.stringify(pending.slice(0, 3))}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('delivers each event once: persistent, message_id = the event id, routing key = the versioned type, the body as the platform receives it', async function () {
    await bindQueue(url, exchange);
    await write(60);
    await relayUntilSent();
    const messages = await drain(url, exchange);
    const stored = await events();
    expect(messages.map((m) => m.properties.messageId).sort()).to.deep.equal(stored.map((e) => e.id).sort());
    const byId = new Map(stored.map((e) => [e.id, e]));
    for (const message of messages) {
      const event = byId.get(message.properties.messageId as string)!;
      expect(message.properties.deliveryMode).to.equal(2);
      expect(message.properties.contentType).to.equal('application/json');
      expect(message.fields.routingKey).to.equal({ OrderCreated: 'order.created.v1', PaymentCompleted: 'payment.completed.v1', OrderCancelled: 'order.cancelled.v1' }[event.type as string]);
      expect(JSON.parse(message.content.toString())).to.deep.include({ id: event.id, type: event.type, aggregateId: event.aggregateId });
    }
    // Each order's events arrive in the order they happened.
    const ns = (orderId: number) => messages.map((m) => JSON.parse(m.content.toString()) as { aggregateId: number; payload: { n: number } }).filter((e) => e.aggregateId === orderId).map((e) => e.payload.n);
    for (let orderId = 1; orderId <= 10; orderId++) expect(ns(orderId)).to.deep.equal([...ns(orderId)].sort((a, b) => a - b));
  });

  it('connections cut mid-delivery: what was not confirmed is delivered again under the same id; nothing is lost, nothing arrives under a new id', async function () {
    await bindQueue(url, exchange);
    await write(600, 50);
    const relaying = relayUntilSent();
    // Cut as soon as the publisher is connected, and again while it is delivering.
    while ((await events()).every((e) => e.status === 'PENDING')) await new Promise((resolve) => setTimeout(resolve, 5));
    await cutConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await cutConnections();
    await relaying;
    const ids = (await drain(url, exchange)).map((m) => m.properties.messageId as string);
    const stored = (await events()).map((e) => e.id);
    expect(new Set(ids), 'every event arrived').to.deep.equal(new Set(stored));
    expect(ids.every((id) => stored.includes(id)), 'no other ids').to.equal(true);
    // Duplicates (a confirm lost with the connection) are allowed, under the same id: consumers dedupe.
    expect(ids.length).to.be.at.least(stored.length);
    // The cuts did land mid-delivery: some publishes failed and were tried again.
    expect((await events()).some((e) => e.attempts > 1), 'a publish was cut').to.equal(true);
  });

  it('a broker restart: publishes while it is down fail and are tried again; everything confirmed before survives (durable queue, persistent messages)', async function () {
    await bindQueue(url, exchange);
    await write(30);
    await relayUntilSent();
    await restartBroker();
    await write(30, 10, 30);
    await relayUntilSent();
    const ids = (await drain(url, exchange)).map((m) => m.properties.messageId as string);
    expect(new Set(ids)).to.deep.equal(new Set((await events()).map((e) => e.id)));
  });

  it('no queue bound for the routing key: the broker returns the message, the publish fails, and after the tries the event is ALERTED', async function () {
    relay = new RelayOutbox(store, publisher, new SystemClock(), quiet, noMetrics, {
      maxAttempts: 2,
      retryBaseMs: 10,
      leaseMs: 60_000,
      batchSize: 50,
      concurrency: 8,
      maxBatchesPerRun: 50,
    });
    await write(1);
    await relay.execute();
    await new Promise((resolve) => setTimeout(resolve, 30));
    await relay.execute();
    const [event] = await events();
    expect(event).to.deep.include({ status: 'ALERTED', attempts: 2 });
    expect(event!.lastError).to.match(/no queue bound for order\.created\.v1/);
  });

  it('an unreachable broker fails the publish with a short reason and never the URL', async function () {
    const nowhere = new RabbitMqPublisher('amqp://guest:s3cret@127.0.0.1:1', { exchange, timeoutMs: 1_000 });
    await write(1);
    const error = await nowhere.publish({ ...(await events())[0]!, occurredAt: new Date().toISOString(), payload: {} } as never).catch((e: unknown) => e as Error);
    await nowhere.close();
    expect(error?.message).to.match(/^event broker not reached: /);
    expect(error?.message).to.not.match(/s3cret|127\.0\.0\.1/);
  });
});
