import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { verifyWebhook, WebhookSigner } from '../../src/adapters/event-publisher/webhook-signature.js';
import { createConsumer, type ReceivedEvent } from '../../examples/webhook-consumer.js';
import { bindQueue, drain, dropExchange, exchangeName, requireRabbitMq } from '../support/rabbitmq.js';
import { startTestService, type TestService } from '../support/service.js';
import { eventually, OrderingClient } from './orders-support.js';

describe('e2e: the outlets of the data platform, as configured', function () {
  this.timeout(30_000);

  describe('EVENT_PUBLISHER=rabbitmq', function () {
    let t: TestService;
    let url: string;
    let exchange: string;
    before(async function () {
      url = await requireRabbitMq(this);
      exchange = exchangeName('service');
      await bindQueue(url, exchange);
      t = await startTestService({ persistence: 'memory', env: { EVENT_PUBLISHER: 'rabbitmq', RABBITMQ_URL: url, RABBITMQ_EXCHANGE: exchange, JOB_INTERVAL_MS: '50' } });
    });
    after(async function () {
      await t?.stop();
      if (exchange) await dropExchange(url, exchange);
    });

    it('a placed order reaches the exchange as order.created.v1, message_id = the outbox id', async function () {
      const o = new OrderingClient(t);
      const order = await o.order(await t.newBuyer(), await o.listing());
      const received: { id: string; routingKey: string; body: { type: string; aggregateId: number } }[] = [];
      await eventually(
        async () => {
          for (const m of await drain(url, exchange)) received.push({ id: m.properties.messageId as string, routingKey: m.fields.routingKey, body: JSON.parse(m.content.toString()) as { type: string; aggregateId: number } });
          return received;
        },
        (all) => all.some((m) => m.body.aggregateId === order.id),
        10_000,
        50,
      );
      const created = received.find((m) => m.body.aggregateId === order.id)!;
      expect(created).to.deep.include({ routingKey: 'order.created.v1' });
      expect(created.body.type).to.equal('OrderCreated');
      const [listed] = (await t.api.get('/api/v1/admin/events?status=SENT&size=100', { token: t.admin.token })).body.items.filter((e: { aggregateId: number }) => e.aggregateId === order.id);
      expect(created.id).to.equal(listed.id);
    });
  });

  describe('DATA_PLATFORM_URL with DATA_PLATFORM_SECRET and DATA_PLATFORM_FORMAT=cloudevents', function () {
    let t: TestService;
    let server: Server;
    const deliveries: { headers: IncomingHttpHeaders; body: string }[] = [];
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    before(async function () {
      server = createServer((req, res) => {
        let body = '';
        req.on('data', (chunk: Buffer) => (body += chunk.toString()));
        req.on('end', () => {
          deliveries.push({ headers: req.headers, body });
          res.writeHead(204).end();
        });
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`;
      t = await startTestService({ persistence: 'memory', env: { DATA_PLATFORM_URL: url, DATA_PLATFORM_SECRET: secret, DATA_PLATFORM_FORMAT: 'cloudevents', EVENT_SOURCE: '/shop-e2e', JOB_INTERVAL_MS: '50' } });
    });
    after(async function () {
      await t?.stop();
      server?.closeAllConnections();
      server?.close();
    });

    it('each delivery is a signed CloudEvent the receiver can verify with the secret', async function () {
      const o = new OrderingClient(t);
      const order = await o.order(await t.newBuyer(), await o.listing());
      const delivery = (await eventually(async () => deliveries, (all) => all.some((d) => (JSON.parse(d.body) as { subject: string }).subject === `orders/${order.id}`), 10_000, 50)).find(
        (d) => (JSON.parse(d.body) as { subject: string }).subject === `orders/${order.id}`,
      )!;
      expect(delivery.headers['content-type']).to.equal('application/cloudevents+json');
      const event = JSON.parse(delivery.body) as { id: string; type: string; source: string; data: { id: number } };
      expect(event).to.deep.include({ type: 'order.created.v1', source: '/shop-e2e' });
      expect(event.data.id).to.equal(order.id);
      expect(delivery.headers['webhook-id']).to.equal(event.id);
      const headers = { id: delivery.headers['webhook-id'] as string, timestamp: delivery.headers['webhook-timestamp'] as string, signature: delivery.headers['webhook-signature'] as string };
      expect(verifyWebhook(secret, headers, delivery.body, Math.floor(Date.now() / 1000))).to.equal(true);
    });
  });

  describe('the consumer example (examples/webhook-consumer.ts) behind DATA_PLATFORM_URL', function () {
    let t: TestService;
    let consumer: Server;
    let consumerUrl: string;
    const handled: ReceivedEvent[] = [];
    let failNext = 0;
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    before(async function () {
      consumer = createConsumer({
        secrets: secret,
        handle: (received) => {
          if (failNext > 0) {
            failNext -= 1;
            throw new Error('the warehouse is down');
          }
          handled.push(received);
        },
      });
      consumer.listen(0, '127.0.0.1');
      await once(consumer, 'listening');
      consumerUrl = `http://127.0.0.1:${(consumer.address() as AddressInfo).port}/events`;
      t = await startTestService({
        persistence: 'memory',
        env: { DATA_PLATFORM_URL: consumerUrl, DATA_PLATFORM_SECRET: secret, JOB_INTERVAL_MS: '50', OUTBOX_RETRY_BASE_MS: '10' },
      });
    });
    after(async function () {
      await t?.stop();
      consumer?.closeAllConnections();
      consumer?.close();
    });

    it('handles each event once: a failed handling is retried by the service under the same id, a replayed delivery is not handled again', async function () {
      failNext = 1;
      const o = new OrderingClient(t);
      const order = await o.order(await t.newBuyer(), await o.listing());
      const ofOrder = () => handled.filter((h) => (h.event as { aggregateId: number }).aggregateId === order.id);
      await eventually(async () => ofOrder(), (all) => all.length > 0, 10_000, 50);
      expect(ofOrder()).to.have.length(1);
      const [{ id }] = ofOrder() as [ReceivedEvent];
      const [listed] = (await t.api.get('/api/v1/admin/events?status=SENT&size=100', { token: t.admin.token })).body.items.filter((e: { aggregateId: number }) => e.aggregateId === order.id);
      expect(listed).to.deep.include({ id, attempts: 2 });

      // The same delivery again (a retry after a lost answer): accepted, not handled twice.
      const body = JSON.stringify(ofOrder()[0]!.event);
      const timestamp = String(Math.floor(Date.now() / 1000));
      const signature = new WebhookSigner([secret]).sign(id, Number(timestamp), body);
      const replay = await fetch(consumerUrl, { method: 'POST', body, headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature } });
      expect(replay.status).to.equal(200);
      expect(ofOrder()).to.have.length(1);
    });

    it('refuses a forged delivery (401), a tampered body (401) and a stale timestamp (400), handling nothing', async function () {
      const before = handled.length;
      const body = JSON.stringify({ id: 'forged', type: 'OrderCreated' });
      const timestamp = String(Math.floor(Date.now() / 1000));
      const forged = new WebhookSigner([`whsec_${randomBytes(32).toString('base64')}`]).sign('forged', Number(timestamp), body);
      const genuine = new WebhookSigner([secret]).sign('forged', Number(timestamp), body);
      const post = (headers: Record<string, string>, content = body) => fetch(consumerUrl, { method: 'POST', body: content, headers });
      expect((await post({ 'webhook-id': 'forged', 'webhook-timestamp': timestamp, 'webhook-signature': forged })).status).to.equal(401);
      expect((await post({ 'webhook-id': 'forged', 'webhook-timestamp': timestamp, 'webhook-signature': genuine }, body.replace('forged', 'other'))).status).to.equal(401);
      const old = String(Number(timestamp) - 3_600);
      expect((await post({ 'webhook-id': 'forged', 'webhook-timestamp': old, 'webhook-signature': new WebhookSigner([secret]).sign('forged', Number(old), body) })).status).to.equal(400);
      expect(handled.length).to.equal(before);
    });
  });
});
