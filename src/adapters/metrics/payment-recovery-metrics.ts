import { Counter, Gauge, type Registry } from 'prom-client';
import type { PaymentRecoveryMetrics } from '../../application/ports/payment-recovery-metrics.js';

/**
 * Pending-payment recovery on /metrics. Alert on `payments_handed_to_operator_total` going up,
 * or on `payments_awaiting_operator` above 0: each such payment has the buyer's money debited and
 * the order PENDING until an operator settles it or puts it back into recovery.
 */
export function prometheusPaymentRecoveryMetrics(registry: Registry): PaymentRecoveryMetrics {
  const handedOver = new Counter({
    name: 'payments_handed_to_operator_total',
    help: 'Pending payments this instance handed to an operator after PENDING_RECOVERY_MAX_ATTEMPTS inconclusive recovery attempts',
    registers: [registry],
  });
  const awaiting = new Gauge({
    name: 'payments_awaiting_operator',
    help: 'Payments waiting for an operator (recovery state OPERATOR_REQUIRED) in the whole database, as the recovery job last counted them',
    registers: [registry],
  });
  return {
    handedOver: () => handedOver.inc(),
    awaitingOperator: (count) => awaiting.set(count),
  };
}
