import { prometheusPaymentRecoveryMetrics } from '../../adapters/metrics/payment-recovery-metrics.js';
import { ORDER_OPERATIONS, orderRoutes } from '../../adapters/http/routes/orders.js';
import { AdvanceFulfilment } from '../../application/ordering/advance-fulfilment.js';
import { CancelOrder } from '../../application/ordering/cancel-order.js';
import { CompleteOrder } from '../../application/ordering/complete-order.js';
import { ExpireReservations } from '../../application/ordering/expire-reservations.js';
import { GetOrder } from '../../application/ordering/get-order.js';
import { GetPayment } from '../../application/ordering/get-payment.js';
import { GetPaymentRecovery } from '../../application/ordering/get-payment-recovery.js';
import { ListOrders } from '../../application/ordering/list-orders.js';
import { ListPaymentRecoveries } from '../../application/ordering/list-payment-recoveries.js';
import { ORDER_RATE_LIMIT, type OrderingContext } from '../../application/ordering/ordering-context.js';
import { PayForOrder } from '../../application/ordering/pay-for-order.js';
import { PlaceOrder } from '../../application/ordering/place-order.js';
import { RefundOrder } from '../../application/ordering/refund-order.js';
import { GetRefund } from '../../application/ordering/refunds.js';
import { RetryPaymentRecovery } from '../../application/ordering/retry-payment-recovery.js';
import { SettleGatewayPayment } from '../../application/ordering/settle-gateway-payment.js';
import { SettlePendingPayment } from '../../application/ordering/settle-pending-payments.js';
import { DomainEventOutbox } from '../../application/outbox/domain-event-outbox.js';
import { DEFAULT_ORDER_POLICY } from '../../domain/ordering/order.js';
import { SHARED, token } from '../tokens.js';
import { bindings, bindOver, classTokens, contextModule, useCasesOf } from './module.js';

/**
 * The ordering context: orders, payments (with their recovery), refunds and fulfilment.
 * OVER_CONTEXT: its use cases made of the ordering context alone (bound by bindOver).
 */
const OVER_CONTEXT = { PlaceOrder, GetOrder, ListOrders, RefundOrder, GetRefund, AdvanceFulfilment, CompleteOrder, PayForOrder, GetPayment };
const OPERATORS_OVER_CONTEXT = { GetPaymentRecovery, ListPaymentRecoveries, RetryPaymentRecovery, ExpireReservations };
const T = {
  ordering: token<OrderingContext>('OrderingContext'),
  ...classTokens({ ...OVER_CONTEXT, ...OPERATORS_OVER_CONTEXT, CancelOrder, SettlePendingPayment }),
};

export const ordering = contextModule('ordering', T, {
  container: bindings((bind) => {
    bind(T.ordering, (get) => {
      const config = get(SHARED.config);
      return {
        orders: get(SHARED.orders),
        payments: get(SHARED.payments),
        refunds: get(SHARED.refunds),
        products: get(SHARED.products),
        stock: get(SHARED.stock),
        sales: get(SHARED.sales),
        wallets: get(SHARED.wallets),
        coupons: get(SHARED.coupons),
        userCoupons: get(SHARED.userCoupons),
        events: new DomainEventOutbox(get(SHARED.outbox)),
        gateway: get(SHARED.gateway),
        cache: get(SHARED.cache),
        locks: get(SHARED.locks),
        rateLimiter: get(SHARED.rateLimiter),
        failures: get(SHARED.failureLimiter),
        transactions: get(SHARED.transactions),
        clock: get(SHARED.clock),
        logger: get(SHARED.logger),
        metrics: get(SHARED.businessMetrics),
        // The domain's defaults, with what the configuration overrides.
        policy: {
          ...DEFAULT_ORDER_POLICY,
          reservationTtlSeconds: config.orderReservationTtlSeconds,
          maxUnpaidOrdersPerUser: config.maxUnpaidOrdersPerUser,
        },
      };
    });
    bindOver(bind, T, T.ordering, { ...OVER_CONTEXT, ...OPERATORS_OVER_CONTEXT });
    bind(T.cancelOrder, (get) => new CancelOrder(get(T.ordering), get(T.refundOrder)));
    bind(T.settlePendingPayment, (get) => {
      const config = get(SHARED.config);
      return new SettlePendingPayment(
        get(T.ordering),
        new SettleGatewayPayment(get(T.ordering)),
        { backoffSeconds: config.pendingRecoveryBackoffSeconds, maxAttempts: config.pendingRecoveryMaxAttempts },
        prometheusPaymentRecoveryMetrics(get(SHARED.metrics)),
      );
    });
  }),
  operations: Object.values(ORDER_OPERATIONS),
  routes: (get) => [orderRoutes(useCasesOf(get, T), get(SHARED.authenticate))],
  jobs: (get, config) => {
    const sweeper = get(T.expireReservations);
    const recovery = get(T.settlePendingPayment);
    return [
      { name: 'reservation-sweeper', intervalMs: config.jobIntervalMs, run: () => sweeper.execute() },
      { name: 'pending-payment-recovery', intervalMs: config.jobIntervalMs, run: () => recovery.recover(config.pendingRecoveryAfterSeconds) },
    ];
  },
  rateLimits: (config) => ({ [ORDER_RATE_LIMIT]: { limit: config.rateLimitOrdersPerSecond, windowMs: 1_000 } }),
});
