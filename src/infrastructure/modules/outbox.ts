import { prometheusOutboxMetrics } from '../../adapters/metrics/outbox-metrics.js';
import { ADMIN_OPERATIONS, adminRoutes } from '../../adapters/http/routes/admin.js';
import { ListOutboxEvents } from '../../application/outbox/list-outbox-events.js';
import { PruneSentEvents } from '../../application/outbox/prune-sent-events.js';
import { DEFAULT_RELAY_SETTINGS, RelayOutbox } from '../../application/outbox/relay-outbox.js';
import { RetryOutboxEvent } from '../../application/outbox/retry-outbox-event.js';
import { SHARED } from '../tokens.js';
import { bindings, classTokens, contextModule, useCasesOf } from './module.js';
import { ordering } from './ordering.js';

/**
 * The outbox: relaying the integration events to the data platform, and the operators' view of
 * them. Its router is the operators' one, which also serves ordering's payment recoveries (the
 * dependency runs outbox → ordering; ordering only writes the outbox, a shared port).
 */
const T = classTokens({ RelayOutbox, ListOutboxEvents, RetryOutboxEvent, PruneSentEvents });

export const outbox = contextModule('outbox', T, {
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
  routes: (get) => {
    const recoveries = { listPaymentRecoveries: ordering.tokens.listPaymentRecoveries, retryPaymentRecovery: ordering.tokens.retryPaymentRecovery };
    return [adminRoutes(useCasesOf(get, { ...T, ...recoveries }), get(SHARED.authenticate))];
  },
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
