import { Counter, type Registry } from 'prom-client';
import type { OutboxMetrics } from '../../application/ports/outbox-store.js';

/** The relay's counters on /metrics; alert on `outbox_events_alerted_total` going up. */
export function prometheusOutboxMetrics(registry: Registry): OutboxMetrics {
  const delivered = new Counter({
    name: 'outbox_events_delivered_total',
    help: 'Outbox events delivered to the data platform',
    registers: [registry],
  });
  const failed = new Counter({
    name: 'outbox_delivery_failures_total',
    help: 'Failed deliveries of outbox events (each try that failed), by event type',
    labelNames: ['type'],
    registers: [registry],
  });
  const alerted = new Counter({
    name: 'outbox_events_alerted_total',
    help: 'Outbox events given up after OUTBOX_MAX_ATTEMPTS tries (ALERTED: an operator must retry them), by event type',
    labelNames: ['type'],
    registers: [registry],
  });
  return {
    delivered: (count) => delivered.inc(count),
    failed: (type) => failed.inc({ type }),
    alerted: (type) => alerted.inc({ type }),
  };
}
