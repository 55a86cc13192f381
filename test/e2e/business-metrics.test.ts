import { expect } from 'chai';
import type { GatewayAnswer, GatewayPayment, GatewayStatus, PaymentGateway } from '../../src/application/ports/payment-gateway.js';
import { ManualClock } from '../support/clock.js';
import { PlatformReceiver } from '../support/platform-receiver.js';
import { parseScrape, type Scrape, seriesKey } from '../support/prometheus-text.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import { CouponClient, expectUserCouponAnswer, ISSUE } from './coupons-support.js';
import { eventually, expectOrderAnswer, expectPaymentAnswer, freshIdempotencyKey, type Listing, OrderingClient } from './orders-support.js';
import { expectProblem } from './problem.js';

/** Every business counter the service exports (README "Metrics and alerts"). */
const COUNTERS = [
  'orders_placed_total',
  'orders_paid_total',
  'orders_cancelled_total',
  'orders_expired_total',
  'refunds_total',
  'payments_pending_total',
  'stock_conflicts_total',
  ...['completed', 'declined', 'insufficient_balance'].map((outcome) => seriesKey('payments_total', { outcome })),
  ...['issued', 'exhausted', 'already_issued', 'not_issuable', 'rate_limited'].map((outcome) => seriesKey('coupon_issues_total', { outcome })),
];

async function scrape(t: TestService): Promise<Scrape> {
  const res = await t.api.get('/metrics');
  expect(res.status).to.equal(200);
  return parseScrape(res.body as string);
}

/** The business counters, each of which must be on /metrics from the first scrape on (0 until counted). */
function countersOf(s: Scrape): Record<string, number> {
  return Object.fromEntries(
    COUNTERS.map((series) => {
      const value = s.samples.get(series);
      expect(value, `${series} on /metrics`).to.be.a('number');
      return [series, value as number];
    }),
  );
}

/** Each counter moved by exactly `moved` (left out: 0) between two scrapes. */
function expectMoved(before: Scrape, after: Scrape, moved: Record<string, number>): void {
  const [from, to] = [countersOf(before), countersOf(after)];
  const actual = Object.fromEntries(COUNTERS.map((series) => [series, (to[series] ?? 0) - (from[series] ?? 0)]));
  const expected = Object.fromEntries(COUNTERS.map((series) => [series, moved[series] ?? 0]));
  expect(actual).to.deep.equal(expected);
}

const gauge = (s: Scrape, name: string, labels?: Record<string, string>) => {
  const value = s.value(name, labels);
  expect(value, `${seriesKey(name, labels)} on /metrics`).to.be.a('number');
  return value as number;
};
const backlogOf = (s: Scrape) => ({
  PENDING: gauge(s, 'outbox_backlog_events', { status: 'PENDING' }),
  PROCESSING: gauge(s, 'outbox_backlog_events', { status: 'PROCESSING' }),
  FAILED: gauge(s, 'outbox_backlog_events', { status: 'FAILED' }),
  ALERTED: gauge(s, 'outbox_events_awaiting_operator'),
});

/** An external gateway that answers each order's payment as the test set it (APPROVED unless told), and says of it later what the test set. */
class GatewayByOrder implements PaymentGateway {
  readonly settlesInTransaction = false;
  readonly requests = new Map<number, GatewayAnswer>();
  readonly statuses = new Map<number, GatewayStatus>();

  async request(payment: GatewayPayment): Promise<GatewayAnswer> {
    return this.requests.get(payment.orderId) ?? 'APPROVED';
  }

  async status(payment: GatewayPayment): Promise<GatewayStatus> {
    return this.statuses.get(payment.orderId) ?? 'UNKNOWN';
  }
}

// Clocks decades before any other suite's: this service's jobs see no other suite's orders,
// payments or events as due on the database the run shares, and its events are the oldest there.
let clocks = 0;
const pastClock = () => new ManualClock(new Date(Date.UTC(1980 - ++clocks, 0, 1)));
const S = 1_000;

for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: business counters on /metrics move by exactly what happened (${persistence})`, function () {
    this.timeout(30_000);
    let t: TestService;
    let o: OrderingClient;
    let coupons: CouponClient;
    let listing: Listing;

    before(async function () {
      t = await startTestService({ persistence, env: { RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '3' } });
      o = new OrderingClient(t);
      coupons = new CouponClient(t);
      listing = await o.listing({ price: 10_000, options: [{ name: 'ONE', stock: 3 }] });
    });
    after(async function () {
      await t?.stop();
    });

    it('every counter is there from the first scrape, at 0', async function () {
      const first = countersOf(await scrape(t));
      expect(Object.values(first).every((v) => v === 0), JSON.stringify(first)).to.equal(true);
    });

    it('orders placed, paid, cancelled and refunded, a want of stock and a want of balance; replays count nothing', async function () {
      const buyer = await o.buyerWith(100_000);
      const before = await scrape(t);

      const key = freshIdempotencyKey('metrics-place');
      const line = [{ productId: listing.product.id, optionId: listing.option.id, quantity: 1 }];
      const paid = expectOrderAnswer(await o.place(buyer, { items: line }, { 'Idempotency-Key': key }), 201);
      expectOrderAnswer(await o.place(buyer, { items: line }, { 'Idempotency-Key': key }), 201);
      const payKey = freshIdempotencyKey('metrics-pay');
      expectPaymentAnswer(await o.pay(buyer, { orderId: paid.id }, { 'Idempotency-Key': payKey }), 200);
      expectPaymentAnswer(await o.pay(buyer, { orderId: paid.id }, { 'Idempotency-Key': payKey }), 200);

      const cancelled = await o.order(buyer, listing);
      expectOrderAnswer(await o.cancel(buyer, cancelled.id), 200);

      const { order: refunded } = await o.paidOrder(buyer, listing);
      expect((await o.refund(buyer, { orderId: refunded.id })).status).to.equal(201);

      expectProblem(await o.place(buyer, { items: [{ ...line[0], quantity: 5 }] }), 409, 'INSUFFICIENT_STOCK');

      const broke = await t.newBuyer();
      const unpaid = await o.order(broke, listing);
      expectProblem(await o.pay(broke, { orderId: unpaid.id }), 409, 'INSUFFICIENT_BALANCE');

      expectMoved(before, await scrape(t), {
        orders_placed_total: 4,
        orders_paid_total: 2,
        'payments_total{outcome="completed"}': 2,
        orders_cancelled_total: 1,
        refunds_total: 1,
        stock_conflicts_total: 1,
        'payments_total{outcome="insufficient_balance"}': 1,
      });
      // The unpaid order of the broke buyer still holds its unit; refused work moved no stock.
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 2, reservedStock: 1, availableStock: 1 });
    });

    it('coupon issue requests by outcome: issued, already issued, exhausted, not issuable, rate limited; a 404 and a replay count nothing', async function () {
      const [first, late, replaying] = [await t.newBuyer(), await t.newBuyer(), await t.newBuyer()];
      const one = await coupons.createOk(t.admin, { totalQuantity: 1 });
      const suspended = await coupons.createOk(t.admin, { totalQuantity: 10 });
      await coupons.patchOk(t.admin, suspended.id, 'SUSPENDED');
      const open = await coupons.createOk(t.admin);
      const before = await scrape(t);

      expectUserCouponAnswer(await coupons.issue(first, { couponId: one.id }), 201);
      expectProblem(await coupons.issue(first, { couponId: one.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
      // `late` makes RATE_LIMIT_COUPON_ISSUES_PER_MINUTE (3) requests, then one more.
      expectProblem(await coupons.issue(late, { couponId: one.id }), 409, 'COUPON_EXHAUSTED', ISSUE);
      expectProblem(await coupons.issue(late, { couponId: suspended.id }), 409, 'COUPON_NOT_ISSUABLE', ISSUE);
      expectProblem(await coupons.issue(late, { couponId: 999_999_999 }), 404, 'NOT_FOUND', ISSUE);
      expectProblem(await coupons.issue(late, { couponId: open.id }), 429, 'RATE_LIMITED', ISSUE);
      const key = { 'Idempotency-Key': freshIdempotencyKey('metrics-issue') };
      expectUserCouponAnswer(await coupons.issue(replaying, { couponId: open.id }, { headers: key }), 201);
      const replay = await coupons.issue(replaying, { couponId: open.id }, { headers: key });
      expectUserCouponAnswer(replay, 201);
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');

      expectMoved(before, await scrape(t), {
        'coupon_issues_total{outcome="issued"}': 2,
        'coupon_issues_total{outcome="already_issued"}': 1,
        'coupon_issues_total{outcome="exhausted"}': 1,
        'coupon_issues_total{outcome="not_issuable"}': 1,
        'coupon_issues_total{outcome="rate_limited"}': 1,
      });
    });
  });

  describe(`e2e: payments through an external gateway, recovery and expiry on /metrics (${persistence})`, function () {
    this.timeout(30_000);
    let t: TestService;
    let o: OrderingClient;
    let clock: ManualClock;
    let gateway: GatewayByOrder;

    before(async function () {
      clock = pastClock();
      gateway = new GatewayByOrder();
      t = await startTestService({ persistence, clock, gateway, env: { JOB_INTERVAL_MS: '50', METRICS_STATE_CACHE_SECONDS: '0' } });
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('completed, declined and pending payments; recovery settles the pending ones, the sweeper expires the unpaid one', async function () {
      const listing = await o.listing({ price: 1_000, options: [{ name: 'ONE', stock: 10 }] });
      const buyer = await o.buyerWith(10_000);
      const before = await scrape(t);
      const waitingBefore = gauge(before, 'payments_waiting_for_gateway');

      const approved = await o.order(buyer, listing);
      const declined = await o.order(buyer, listing);
      const pendingThenApproved = await o.order(buyer, listing);
      const pendingThenNot = await o.order(buyer, listing);
      const unpaid = await o.order(buyer, listing);
      gateway.requests.set(declined.id, 'DECLINED');
      gateway.requests.set(pendingThenApproved.id, 'UNKNOWN');
      gateway.requests.set(pendingThenNot.id, 'UNKNOWN');
      gateway.statuses.set(pendingThenApproved.id, 'APPROVED');
      gateway.statuses.set(pendingThenNot.id, 'NOT_APPROVED');

      expectPaymentAnswer(await o.pay(buyer, { orderId: approved.id }), 200);
      expectProblem(await o.pay(buyer, { orderId: declined.id }), 402, 'PAYMENT_DECLINED');
      expectPaymentAnswer(await o.pay(buyer, { orderId: pendingThenApproved.id }), 202);
      expectPaymentAnswer(await o.pay(buyer, { orderId: pendingThenNot.id }), 202);

      const paidNow = await scrape(t);
      expectMoved(before, paidNow, {
        orders_placed_total: 5,
        orders_paid_total: 1,
        'payments_total{outcome="completed"}': 1,
        'payments_total{outcome="declined"}': 1,
        payments_pending_total: 2,
      });
      expect(gauge(paidNow, 'payments_waiting_for_gateway') - waitingBefore, 'payments waiting for the gateway').to.equal(2);

      // Past PENDING_RECOVERY_AFTER_SECONDS (60) and the reservation (30 s) on the service's clock.
      clock.advance(61 * S);
      const statusOf = async (orderId: number) => (await o.getOk(buyer, orderId)).status;
      const settled = await eventually(
        async () => [await statusOf(pendingThenApproved.id), await statusOf(pendingThenNot.id), await statusOf(unpaid.id)],
        (statuses) => !statuses.includes('PENDING') && !statuses.includes('CREATED'),
        5_000,
        50,
      );
      expect(settled).to.deep.equal(['CONFIRMED', 'FAILED', 'CANCELLED']);

      const after = await scrape(t);
      expectMoved(before, after, {
        orders_placed_total: 5,
        orders_paid_total: 2,
        'payments_total{outcome="completed"}': 2,
        'payments_total{outcome="declined"}': 2,
        payments_pending_total: 2,
        orders_expired_total: 1,
      });
      expect(gauge(after, 'payments_waiting_for_gateway'), 'payments waiting for the gateway').to.equal(waitingBefore);
    });
  });

  describe(`e2e: the outbox backlog, its oldest event and the events given up on, on /metrics (${persistence})`, function () {
    this.timeout(30_000);
    let t: TestService;
    let o: OrderingClient;
    let clock: ManualClock;
    let receiver: PlatformReceiver;
    let buyer: Account;
    let listing: Listing;

    before(async function () {
      clock = pastClock();
      receiver = await new PlatformReceiver().start('/platform/events');
      receiver.mode = 'fail';
      t = await startTestService({
        persistence,
        clock,
        env: {
          DATA_PLATFORM_URL: receiver.url,
          OUTBOX_MAX_ATTEMPTS: '2',
          // The second try is due an hour later on the service's clock: until the test moves it.
          OUTBOX_RETRY_BASE_MS: String(3_600 * S),
          ORDER_RESERVATION_TTL_SECONDS: String(24 * 3_600),
          JOB_INTERVAL_MS: '50',
          METRICS_STATE_CACHE_SECONDS: '0',
        },
      });
      o = new OrderingClient(t);
      listing = await o.listing({ options: [{ name: 'ONE', stock: 5 }] });
      buyer = await o.buyerWith(0);
    });
    after(async function () {
      await t?.stop();
      await receiver?.stop();
    });

    it('an event the data platform refuses is in the backlog (FAILED), ages with the clock, and once given up on waits for an operator', async function () {
      const before = backlogOf(await scrape(t));
      await o.order(buyer, listing);

      const failedOnce = await eventually(
        () => scrape(t),
        // The counter moves just after the relay's write commits, which the backlog gauge reads: wait for both.
        (s) => backlogOf(s).FAILED === before.FAILED + 1 && s.value('outbox_delivery_failures_total', { type: 'OrderCreated' }) === 1,
        5_000,
        50,
      );
      expect(backlogOf(failedOnce)).to.deep.equal({ ...before, FAILED: before.FAILED + 1 });
      expect(gauge(failedOnce, 'outbox_delivery_failures_total', { type: 'OrderCreated' })).to.equal(1);
      expect(gauge(failedOnce, 'outbox_oldest_pending_age_seconds')).to.equal(0);

      clock.advance(300 * S);
      expect(gauge(await scrape(t), 'outbox_oldest_pending_age_seconds')).to.equal(300);

      clock.advance(3_600 * S);
      const givenUp = await eventually(
        () => scrape(t),
        (s) => backlogOf(s).ALERTED === before.ALERTED + 1 && s.value('outbox_events_alerted_total', { type: 'OrderCreated' }) === 1,
        5_000,
        50,
      );
      expect(backlogOf(givenUp)).to.deep.equal({ ...before, ALERTED: before.ALERTED + 1 });
      expect(gauge(givenUp, 'outbox_events_alerted_total', { type: 'OrderCreated' })).to.equal(1);
      expect(gauge(givenUp, 'outbox_oldest_pending_age_seconds'), 'nothing of this service left in the backlog').to.equal(0);
      expect(gauge(givenUp, 'business_state_read_failures_total')).to.equal(0);
    });
  });
}

describe('e2e: the stored-state gauges are read once per METRICS_STATE_CACHE_SECONDS (memory)', function () {
  let t: TestService;
  before(async function () {
    t = await startTestService({ persistence: 'memory', jobs: false, env: { METRICS_STATE_CACHE_SECONDS: '60' } });
  });
  after(async function () {
    await t?.stop();
  });

  it('a scrape within the period shows the reading of the first one; the counters are live', async function () {
    const o = new OrderingClient(t);
    const listing = await o.listing();
    const buyer = await o.buyerWith(0);
    const first = await scrape(t);
    await o.order(buyer, listing);
    const second = await scrape(t);
    expect(backlogOf(second)).to.deep.equal(backlogOf(first));
    expect(gauge(second, 'orders_placed_total') - gauge(first, 'orders_placed_total')).to.equal(1);
  });
});
