import { expect } from 'chai';
import { Registry } from 'prom-client';
import { prometheusBusinessStateGauges } from '../../../src/adapters/metrics/business-state-metrics.js';
import type { BusinessState } from '../../../src/application/metrics/read-business-state.js';
import { createLogger } from '../../../src/infrastructure/logger.js';
import { parseScrape, type Scrape } from '../../support/prometheus-text.js';

const state = (waiting: number): BusinessState => ({
  paymentsWaitingForGateway: waiting,
  outbox: { PENDING: 4, PROCESSING: 1, FAILED: 2, ALERTED: 3 },
  outboxOldestPendingAgeSeconds: 42.5,
});

/** A database the test answers for: each reading waits until the test settles it. */
class Readings {
  calls = 0;
  private pending: { resolve: (s: BusinessState) => void; reject: (e: Error) => void }[] = [];
  read = (): Promise<BusinessState> => {
    this.calls += 1;
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  };
  answer(s: BusinessState): void {
    for (const p of this.pending.splice(0)) p.resolve(s);
  }
  fail(): void {
    for (const p of this.pending.splice(0)) p.reject(new Error('connection refused'));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('stored-state gauges on /metrics (read at scrape time, shared, cached, bounded)', function () {
  let registry: Registry;
  let readings: Readings;
  const setUp = (cacheMs: number, timeoutMs = 1_000) => {
    registry = new Registry();
    readings = new Readings();
    prometheusBusinessStateGauges(registry, readings.read, { cacheMs, timeoutMs }, createLogger('error', true));
  };
  const scrape = async (): Promise<Scrape> => parseScrape(await registry.metrics());

  it('shows the reading: payments waiting, the backlog by status, the events given up on, the oldest age', async function () {
    setUp(0);
    const scraping = scrape();
    await tick();
    readings.answer(state(7));
    const s = await scraping;
    expect(s.value('payments_waiting_for_gateway')).to.equal(7);
    expect(s.value('outbox_backlog_events', { status: 'PENDING' })).to.equal(4);
    expect(s.value('outbox_backlog_events', { status: 'PROCESSING' })).to.equal(1);
    expect(s.value('outbox_backlog_events', { status: 'FAILED' })).to.equal(2);
    expect(s.value('outbox_backlog_events', { status: 'ALERTED' }), 'ALERTED is not backlog').to.equal(undefined);
    expect(s.value('outbox_events_awaiting_operator')).to.equal(3);
    expect(s.value('outbox_oldest_pending_age_seconds')).to.equal(42.5);
    expect(s.value('business_state_read_failures_total')).to.equal(0);
  });

  it('one reading per scrape, however many gauges; scrapes that come while it runs share it', async function () {
    setUp(0);
    const scrapes = [scrape(), scrape(), scrape()];
    await tick();
    expect(readings.calls).to.equal(1);
    readings.answer(state(1));
    for (const s of await Promise.all(scrapes)) expect(s.value('payments_waiting_for_gateway')).to.equal(1);
    const next = scrape();
    await tick();
    expect(readings.calls, 'with no cache, the next scrape reads again').to.equal(2);
    readings.answer(state(2));
    expect((await next).value('payments_waiting_for_gateway')).to.equal(2);
  });

  it('within cacheMs a scrape storm reads the database once', async function () {
    setUp(60_000);
    const first = scrape();
    await tick();
    readings.answer(state(5));
    await first;
    for (let i = 0; i < 50; i += 1) expect((await scrape()).value('payments_waiting_for_gateway')).to.equal(5);
    expect(readings.calls).to.equal(1);
  });

  it('a failed reading shows the last one and counts the miss; the next scrape reads again', async function () {
    setUp(0);
    const first = scrape();
    await tick();
    readings.answer(state(3));
    await first;
    const failing = scrape();
    await tick();
    readings.fail();
    const s = await failing;
    expect(s.value('payments_waiting_for_gateway')).to.equal(3);
    expect(s.value('business_state_read_failures_total')).to.equal(1);
    const again = scrape();
    await tick();
    expect(readings.calls).to.equal(3);
    readings.answer(state(4));
    expect((await again).value('payments_waiting_for_gateway')).to.equal(4);
  });

  it('a database that does not answer holds a scrape for timeoutMs at most: it shows the last reading and counts the miss', async function () {
    setUp(0, 50);
    const first = scrape();
    await tick();
    readings.answer(state(9));
    await first;
    const started = performance.now();
    const s = await scrape();
    expect(performance.now() - started).to.be.below(1_000);
    expect(s.value('payments_waiting_for_gateway')).to.equal(9);
    expect(s.value('business_state_read_failures_total')).to.equal(1);
    // The hung reading is still the one in flight: the next scrape waits on it, not on a new one.
    const next = scrape();
    await tick();
    expect(readings.calls).to.equal(2);
    readings.answer(state(10));
    expect((await next).value('payments_waiting_for_gateway')).to.equal(10);
  });
});
