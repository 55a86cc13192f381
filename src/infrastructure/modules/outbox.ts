import { prometheusOutboxMetrics } from '../../adapters/metrics/outbox-metrics.js';
import { type AdminUseCases, ADMIN_OPERATIONS, adminRoutes } from '../../adapters/http/routes/admin.js';
import { ListOutboxEvents } from '../../application/outbox/list-outbox-events.js';
import { PruneSentEvents } from '../../application/outbox/prune-sent-events.js';
import { DEFAULT_RELAY_SETTINGS, RelayOutbox } from '../../application/outbox/relay-outbox.js';
import { RetryOutboxEvent } from '../../application/outbox/retry-outbox-event.js';
import { SHARED, token } from '../tokens.js';
import { bindings, contextModule, resolveAll } from './module.js';
import { ordering } from './ordering.js';

/**
 * The outbox: relaying the integration events to the data platform, and the operators' view of
 * them. Its router is the operators' one, which also serves ordering's payment recoveries (the
 * dependency runs outbox → ordering; ordering only writes the outbox, a shared port).
 */
const T = {
  relayOutbox: token<RelayOutbox>('RelayOutbox'),
  listOutboxEvents: token<ListOutboxEvents>('ListOutboxEvents'),
  retryOutboxEvent: token<RetryOutboxEvent>('RetryOutboxEvent'),
  pruneSentEvents: token<PruneSentEvents>('PruneSentEvents'),
} as const;

export const outbox = contextModule({
  name: 'outbox',
  tokens: T,
  container: bindings((bind) => {
    bind(T.relayOutbox, (get) => {
      const config = get(SHARED.config);
      return new RelayOutbox(
        get(SHARED.outboxStore),
        get(SHARED.eventPublisher),
        get(SHARED.clock),
        get(SHARED.logger),
        prometheusOutboxMetrics(get(SHARED.metrics)),
        { ...DEFAULT_RELAY_SETTINGS, maxAttempts: config.outboxMaxAttempts, retryBaseMs: config.outboxRetryBaseMs },
      );
    });
    bind(T.listOutboxEvents, (get) => new ListOutboxEvents(get(SHARED.outboxStore)));
    bind(T.retryOutboxEvent, (get) => new RetryOutboxEvent(get(SHARED.outboxStore), get(SHARED.transactions), get(SHARED.clock)));
    bind(T.pruneSentEvents, (get) => new PruneSentEvents(get(SHARED.outboxStore), get(SHARED.clock), get(SHARED.config).outboxRetentionDays));
  }),
  operations: Object.values(ADMIN_OPERATIONS),
  routes: (get) => [
    adminRoutes(
      resolveAll<AdminUseCases>(get, {
        listOutboxEvents: T.listOutboxEvents,
        retryOutboxEvent: T.retryOutboxEvent,
        listPaymentRecoveries: ordering.tokens.listPaymentRecoveries,
        retryPaymentRecovery: ordering.tokens.retryPaymentRecovery,
        runIdempotently: SHARED.runIdempotently,
      }),
      get(SHARED.authenticate),
    ),
  ],
  jobs: (get, config) => {
    const relay = get(T.relayOutbox);
    const prune = get(T.pruneSentEvents);
    return [
      { name: 'outbox-relay', intervalMs: config.jobIntervalMs, run: () => relay.execute() },
      { name: 'outbox-prune', intervalMs: config.jobIntervalMs * 60, run: () => prune.execute() },
    ];
  },
  rateLimits: () => ({}),
});
