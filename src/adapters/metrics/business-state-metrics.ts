import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '../../application/ports/logger.js';
import type { BusinessState } from '../../application/metrics/read-business-state.js';

export interface BusinessStateReading {
  /** How long one reading of the database serves scrapes, in ms (0: every scrape reads). */
  cacheMs: number;
  /** How long a scrape waits for a reading before it shows the last one instead, in ms. */
  timeoutMs: number;
}

/** A scrape waits this long at most for the database; past it, the last reading is shown. */
export const BUSINESS_STATE_READ_TIMEOUT_MS = 2_000;

/**
 * Gauges of stored state, computed when Prometheus scrapes (collect()), not by a job: a scrape
 * sees the state of at most `cacheMs` ago, and nothing reads the database while nobody scrapes.
 * The reading is shared: every gauge of one scrape, every scrape within `cacheMs`, and scrapes
 * that arrive while a reading is under way all get the same one, so a scrape storm costs the
 * database one reading per `cacheMs`. A scrape never waits longer than `timeoutMs` (a database
 * that does not answer must not hang /metrics): it shows the last reading and counts the miss.
 *
 * They describe the whole database, so every instance shows the same values: aggregate them with
 * max(), not sum().
 */
export function prometheusBusinessStateGauges(
  registry: Registry,
  read: () => Promise<BusinessState>,
  options: BusinessStateReading,
  logger: Logger,
): void {
  let last: { at: number; state: BusinessState } | null = null;
  let reading: Promise<void> | null = null;
  const misses = new Counter({
    name: 'business_state_read_failures_total',
    help: 'Scrapes that could not read the stored state (the database failed or took longer than 2 s) and showed the last reading of the state gauges instead',
    registers: [registry],
    // Waits for this scrape's reading, so a miss shows in the scrape that met it.
    async collect() {
      await current();
    },
  });

  const fresh = () => last !== null && performance.now() - last.at < options.cacheMs;
  const readNow = (): Promise<void> =>
    (reading ??= read()
      .then((state) => {
        last = { at: performance.now(), state };
      })
      .finally(() => {
        reading = null;
      }));

  /** The reading this scrape shows; null before the first one ever succeeded. */
  let scrape: Promise<BusinessState | null> | null = null;
  const current = (): Promise<BusinessState | null> => {
    if (fresh()) return Promise.resolve(last!.state);
    // One scrape calls every gauge's collect() at once: they share its wait and its miss.
    scrape ??= new Promise<BusinessState | null>((resolve) => {
      const timer = setTimeout(() => {
        misses.inc();
        logger.warn('reading the stored state for /metrics took too long; the last reading is shown', { timeoutMs: options.timeoutMs });
        resolve(last?.state ?? null);
      }, options.timeoutMs);
      timer.unref();
      readNow().then(
        () => {
          clearTimeout(timer);
          resolve(last?.state ?? null);
        },
        (error: unknown) => {
          clearTimeout(timer);
          misses.inc();
          logger.warn('could not read the stored state for /metrics; the last reading is shown', { error: String(error) });
          resolve(last?.state ?? null);
        },
      );
    }).finally(() => {
      scrape = null;
    });
    return scrape;
  };

  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    show: (gauge: Gauge<L>, state: BusinessState) => void,
  ): Gauge<L> =>
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const state = await current();
        if (state) show(this, state);
      },
    });

  gauge('payments_waiting_for_gateway', 'Payments waiting for the gateway (order PENDING), in automatic recovery or handed to an operator; the whole database', [], (g, s) =>
    g.set(s.paymentsWaitingForGateway),
  );
  gauge(
    'outbox_backlog_events',
    'Events the relay has yet to deliver to the data platform, by status (PENDING, PROCESSING, FAILED); the whole database',
    ['status'],
    (g, s) => {
      for (const status of ['PENDING', 'PROCESSING', 'FAILED'] as const) g.set({ status }, s.outbox[status]);
    },
  );
  gauge('outbox_events_awaiting_operator', 'Events given up on (ALERTED) that wait for an operator to retry them; the whole database', [], (g, s) =>
    g.set(s.outbox.ALERTED),
  );
  gauge(
    'outbox_oldest_pending_age_seconds',
    'Seconds since the oldest event the relay has yet to deliver (PENDING, PROCESSING or FAILED) occurred; 0 when none waits',
    [],
    (g, s) => g.set(s.outboxOldestPendingAgeSeconds),
  );
}
