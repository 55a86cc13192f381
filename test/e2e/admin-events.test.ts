import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import type { OutboxEventView } from '../../src/application/outbox/outbox-event-view.js';
import type { PlatformEvent } from '../../src/application/ports/event-publisher.js';
import { EVENT_TYPES } from '../../src/application/ports/outbox.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import { eventNonconformity, payloadDrift } from '../support/openapi-conformance.js';
import { PlatformReceiver } from '../support/platform-receiver.js';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { eventually, freshIdempotencyKey, type Listing, OrderingClient, sleep } from './orders-support.js';
import { expectIsoTime, expectProblem, expectValidation } from './problem.js';

const EVENTS = '/api/v1/admin/events';
const retryPath = (id: string) => `${EVENTS}/${id}/retry`;
const UNKNOWN_EVENT = '00000000-0000-4000-8000-000000000000';
const EVENT_FIELDS = ['aggregateId', 'aggregateType', 'attempts', 'createdAt', 'id', 'lastError', 'sentAt', 'status', 'type'];

interface EventPage {
  items: OutboxEventView[];
  page: number;
  size: number;
  totalItems: number;
  totalPages: number;
}

function expectEventShape(e: unknown): asserts e is OutboxEventView {
  expect(Object.keys(e as object).sort()).to.deep.equal(EVENT_FIELDS);
  const event = e as OutboxEventView;
  expect(event.id).to.match(/^[0-9a-f-]{36}$/);
  expectIsoTime(event.createdAt);
  if (event.sentAt !== null) expectIsoTime(event.sentAt);
}

for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: outbox events for operators (${persistence})`, function () {
    this.timeout(30_000);
    let t: TestService;
    let o: OrderingClient;
    let receiver: PlatformReceiver;
    let listing: Listing;
    let buyer: Account;

    before(async function () {
      receiver = await new PlatformReceiver().start('/platform/events');
      t = await startTestService({
        persistence,
        env: { DATA_PLATFORM_URL: receiver.url, OUTBOX_MAX_ATTEMPTS: '2', OUTBOX_RETRY_BASE_MS: '10', JOB_INTERVAL_MS: '50' },
      });
      o = new OrderingClient(t);
      listing = await o.listing({ options: [{ name: 'ONE', stock: 50 }] });
      buyer = await t.newBuyer();
      await t.api.post('/api/v1/balances/charge', { amount: 100_000 }, { token: buyer.token });
    });
    after(async function () {
      await t?.stop();
      await receiver?.stop();
    });
    beforeEach(() => {
      receiver.mode = 'ok';
    });

    const list = (query = '', who: Account | null = t.admin) => t.api.get(`${EVENTS}${query}`, who ? { token: who.token } : {});
    async function listOk(query = ''): Promise<EventPage> {
      const res = await list(query);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      const page = res.body as EventPage;
      page.items.forEach(expectEventShape);
      return page;
    }
    /** This order's events, newest first, as the listing shows them (searching the newest 100). */
    async function eventsOf(orderId: number, status?: string): Promise<OutboxEventView[]> {
      const page = await listOk(`?size=100${status ? `&status=${status}` : ''}`);
      return page.items.filter((e) => e.aggregateType === 'Order' && e.aggregateId === orderId);
    }
    const retry = (id: string, who: Account | null = t.admin, headers?: Record<string, string>) =>
      t.api.post(retryPath(id), undefined, { ...(who ? { token: who.token } : {}), ...(headers ? { headers } : {}) });

    it('GET lists the events newest first in the API shape, SENT once the platform took them; paging and the status filter work', async function () {
      const order = await o.order(buyer, listing);
      await o.payOk(buyer, order.id);
      const sent = await eventually(() => eventsOf(order.id, 'SENT'), (events) => events.length === 2, 10_000, 50);
      expect(sent.map((e) => e.type)).to.deep.equal(['PaymentCompleted', 'OrderCreated']);
      for (const e of sent) {
        expect(e).to.deep.include({ aggregateType: 'Order', aggregateId: order.id, status: 'SENT', attempts: 1, lastError: null });
        expect(e.sentAt).to.be.a('string');
      }
      // What the platform got: the same ids, keyed by them, oldest first.
      expect(receiver.ofOrder(order.id).map((r) => [r.key, r.event.id, r.event.type])).to.deep.equal(
        [...sent].reverse().map((e) => [e.id, e.id, e.type]),
      );
      const created = receiver.ofOrder(order.id)[0]!.event;
      expect(Object.keys(created).sort()).to.deep.equal(['aggregateId', 'aggregateType', 'id', 'occurredAt', 'payload', 'type']);
      expect(created.payload).to.deep.include({ id: order.id, status: 'CREATED', userId: buyer.id });

      const page = await listOk('?page=2&size=1');
      expect(page).to.deep.include({ page: 2, size: 1 });
      expect(page.items).to.have.length(1);
      expect(page.totalItems).to.be.at.least(2);
      expect(page.totalPages).to.equal(page.totalItems);
      const defaults = await listOk();
      expect(defaults).to.deep.include({ page: 1, size: 20 });
      const onlySent = await listOk('?status=SENT&size=100');
      expect(onlySent.items.every((e) => e.status === 'SENT')).to.equal(true);
    });

    it('an event the platform keeps refusing is ALERTED after OUTBOX_MAX_ATTEMPTS and holds its order’s later events; a retry delivers both, in order', async function () {
      receiver.mode = 'fail';
      const order = await o.order(buyer, listing);
      const [alerted] = await eventually(() => eventsOf(order.id, 'ALERTED'), (events) => events.length === 1, 10_000, 50);
      expect(alerted).to.deep.include({ type: 'OrderCreated', status: 'ALERTED', attempts: 2, lastError: 'data platform answered HTTP 500', sentAt: null });

      receiver.mode = 'ok';
      const cancelled = await t.api.request('PUT', `/api/v1/orders/${order.id}/cancel`, { token: buyer.token, body: {} });
      expect(cancelled.status).to.equal(200);
      await sleep(400);
      const held = await eventsOf(order.id);
      expect(held.map((e) => [e.type, e.status])).to.deep.equal([
        ['OrderCancelled', 'PENDING'],
        ['OrderCreated', 'ALERTED'],
      ]);
      expect(receiver.ofOrder(order.id)).to.deep.equal([]);

      const key = freshIdempotencyKey('event-retry');
      const res = await retry(alerted!.id, t.admin, { 'Idempotency-Key': key });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expectEventShape(res.body);
      expect(res.body).to.deep.equal({ ...alerted, status: 'PENDING', attempts: 0, lastError: null, sentAt: null });
      const replay = await retry(alerted!.id, t.admin, { 'Idempotency-Key': key });
      expect(replay.status).to.equal(200);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(res.body);

      const done = await eventually(() => eventsOf(order.id, 'SENT'), (events) => events.length === 2, 10_000, 50);
      expect(done.map((e) => [e.type, e.attempts])).to.deep.equal([
        ['OrderCancelled', 1],
        ['OrderCreated', 1],
      ]);
      expect(receiver.ofOrder(order.id).map((r) => r.event.type)).to.deep.equal(['OrderCreated', 'OrderCancelled']);
    });

    it('retrying an event a relay is delivering right now is 409 INVALID_STATE', async function () {
      receiver.mode = 'slow';
      const order = await o.order(buyer, listing);
      const [processing] = await eventually(() => eventsOf(order.id, 'PROCESSING'), (events) => events.length === 1, 10_000, 20);
      expect(processing).to.deep.include({ status: 'PROCESSING', attempts: 1 });
      expectProblem(await retry(processing!.id), 409, 'INVALID_STATE', retryPath(processing!.id));
      await eventually(() => eventsOf(order.id, 'SENT'), (events) => events.length === 1, 10_000, 50);
    });

    it('only an ADMIN: 401 without a token, 403 for a BUYER and a SELLER (before 404)', async function () {
      for (const res of [await list('', null), await retry(UNKNOWN_EVENT, null)]) expectProblem(res, 401, 'UNAUTHENTICATED');
      const seller = await t.newAccount('SELLER');
      for (const who of [buyer, seller]) {
        expectProblem(await list('', who), 403, 'FORBIDDEN', EVENTS);
        expectProblem(await retry(UNKNOWN_EVENT, who), 403, 'FORBIDDEN', retryPath(UNKNOWN_EVENT));
      }
    });

    it('400 for a bad status, page or size, an event id that is no UUID, or an unknown body field; 404 for an unknown event', async function () {
      const bad = async (query: string, field: string) => expectValidation(await list(query), EVENTS, field);
      await bad('?status=DONE', 'status');
      await bad('?page=0', 'page');
      await bad('?size=101', 'size');
      await bad('?sort=newest', 'sort');
      expectValidation(await retry('not-a-uuid'), retryPath('not-a-uuid'), 'eventId');
      expectValidation(await t.api.post(retryPath(UNKNOWN_EVENT), { force: true }, { token: t.admin.token }), retryPath(UNKNOWN_EVENT), 'force');
      expectProblem(await retry(UNKNOWN_EVENT), 404, 'NOT_FOUND', retryPath(UNKNOWN_EVENT));
      const res: ApiResponse = await t.api.get(`${EVENTS}/${UNKNOWN_EVENT}`, { token: t.admin.token });
      expectProblem(res, 404, 'NOT_FOUND');
    });
  });
}

describe('e2e: without DATA_PLATFORM_URL the events go to DATA_DIR/events.jsonl', function () {
  let t: TestService;
  before(async function () {
    t = await startTestService({ persistence: 'memory', env: { JOB_INTERVAL_MS: '50' } });
  });
  after(async function () {
    await t?.stop();
  });

  const read = () => {
    const file = path.join(resolve(t.service.container, TOKENS.config).dataDir, 'events.jsonl');
    try {
      return readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as PlatformEvent);
    } catch {
      return [];
    }
  };

  it('every kind of event matches its schema in the OpenAPI document (the data platform is a client too)', async function () {
    this.timeout(30_000);
    const o = new OrderingClient(t);
    const buyer = await t.newBuyer();
    await o.charge(buyer, 100_000);
    const listing = await o.listing();
    const refunded = await o.order(buyer, listing);
    await o.payOk(buyer, refunded.id);
    expect((await t.api.post('/api/v1/refunds', { orderId: refunded.id }, { token: buyer.token })).status).to.equal(201);
    const cancelled = await o.order(buyer, listing);
    expect((await t.api.request('PUT', `/api/v1/orders/${cancelled.id}/cancel`, { token: buyer.token, body: {} })).status).to.equal(200);
    // Fulfilment of an order with lines of two sellers, each moving their own, then completion.
    const other = await o.listing();
    const fulfilled = await o.placeOk(buyer, [
      { productId: listing.product.id, optionId: listing.option.id, quantity: 1 },
      { productId: other.product.id, optionId: other.option.id, quantity: 1 },
    ]);
    await o.payOk(buyer, fulfilled.id);
    for (const step of ['PREPARING', 'SHIPPED', 'DELIVERED'] as const) {
      await o.fulfilOk(listing.seller, fulfilled.id, step, { orderStatus: step === 'DELIVERED' ? 'SHIPPED' : 'PREPARING' });
      await o.fulfilOk(other.seller, fulfilled.id, step);
    }
    expect((await o.complete(buyer, fulfilled.id)).status).to.equal(200);
    const now = Date.now();
    const coupon = await t.api.post(
      '/api/v1/coupons',
      { code: `EVT${now}`, name: 'Events', type: 'FIXED', discountValue: 1000, totalQuantity: 10, validFrom: new Date(now - 60_000).toISOString(), validUntil: new Date(now + 86_400_000).toISOString() },
      { token: t.admin.token },
    );
    expect(coupon.status, JSON.stringify(coupon.body)).to.equal(201);
    expect((await t.api.post('/api/v1/coupons/issue', { couponId: coupon.body.id }, { token: buyer.token })).status).to.equal(201);
    const kinds = [
      'OrderCreated',
      'PaymentCompleted',
      'RefundCompleted',
      'OrderCancelled',
      'FulfilmentAdvanced',
      'OrderPreparing',
      'OrderShipped',
      'OrderDelivered',
      'OrderCompleted',
      'CouponCreated',
      'CouponIssued',
    ];
    const events = await eventually(async () => read(), (all) => kinds.every((kind) => all.some((e) => e.type === kind)), 10_000, 50);
    expect(events.map(eventNonconformity).filter((drift) => drift !== null)).to.deep.equal([]);
    // And the payloads are still version 1 exactly (docs/events): an API change may not change them.
    expect(events.map(payloadDrift).filter((drift) => drift !== null)).to.deep.equal([]);
    const order = events.find((e) => e.type === 'OrderCreated')!;
    expect(payloadDrift({ ...order, payload: { ...(order.payload as object), addedByTheApi: 1 } }), 'a new field is a drift').to.match(/additional propert/);
    // Every kind the service has is here (OrderFailed needs a declining gateway: the payment suites send it).
    expect([...EVENT_TYPES].filter((kind) => kind !== 'OrderFailed' && !kinds.includes(kind))).to.deep.equal([]);
    // In the order they happened: each seller's step, then the order's status when it changed.
    expect(events.filter((e) => e.aggregateId === fulfilled.id && e.aggregateType === 'Order').map((e) => e.type)).to.deep.equal([
      'OrderCreated',
      'PaymentCompleted',
      'FulfilmentAdvanced',
      'OrderPreparing',
      'FulfilmentAdvanced',
      'FulfilmentAdvanced',
      'FulfilmentAdvanced',
      'OrderShipped',
      'FulfilmentAdvanced',
      'FulfilmentAdvanced',
      'OrderDelivered',
      'OrderCompleted',
    ]);
    const advanced = events.find((e) => e.aggregateId === fulfilled.id && e.type === 'FulfilmentAdvanced')!;
    expect(advanced.payload).to.deep.include({ id: fulfilled.id, items: [{ ...fulfilled.items[0], status: 'PREPARING' }] });
    expect(advanced.payload).to.not.have.property('totalAmount');
    expect(eventNonconformity({ ...advanced, payload: { ...(advanced.payload as object), totalAmount: 1 } }), 'a seller view leaking the total is caught').to.be.a('string');
    expect(eventNonconformity({ ...events[0], payload: { id: 'not an order' } }), 'the check catches a drift').to.be.a('string');
  });

  it('one JSON line per event, as the platform would receive it', async function () {
    const o = new OrderingClient(t);
    const order = await o.order(await t.newBuyer(), await o.listing());
    const lines = await eventually(async () => read(), (events) => events.some((e) => e.aggregateId === order.id), 10_000, 50);
    const created = lines.find((e) => e.type === 'OrderCreated' && e.aggregateId === order.id);
    expect(created).to.deep.include({ aggregateType: 'Order', payload: JSON.parse(JSON.stringify(order)) });
    const [listed] = (await t.api.get(`${EVENTS}?status=SENT&size=100`, { token: t.admin.token })).body.items.filter(
      (e: OutboxEventView) => e.aggregateId === order.id,
    );
    expect(listed.id).to.equal(created!.id);
  });
});

describe('e2e: the operators\' retries in the OpenAPI document', function () {
  const paths = openApiDocument.paths as Record<string, Record<string, { requestBody?: { required?: boolean }; responses: Record<string, unknown> }>>;

  // They are posted without a body (the tests above do); the only field a body may hold is requestId.
  for (const path of ['/api/v1/admin/events/{eventId}/retry', '/api/v1/admin/payments/{paymentId}/retry']) {
    it(`POST ${path}: the body may be left out; 403 and 404 are documented`, function () {
      const retry = paths[path]?.['post'];
      expect(retry, path).to.not.equal(undefined);
      expect(retry!.requestBody?.required).to.equal(false);
      expect(retry!.responses).to.include.keys('403', '404', '409');
    });
  }
});
