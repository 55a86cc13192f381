import { Router } from 'express';
import Joi from 'joi';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { GetPayment } from '../../../application/ordering/get-payment.js';
import type {
  AdvanceFulfilment,
  CancelOrder,
  CompleteOrder,
  GetOrder,
  ListOrders,
  RefundOrder,
} from '../../../application/ordering/manage-orders.js';
import type { PayForOrder } from '../../../application/ordering/pay-for-order.js';
import type { GetPaymentRecovery } from '../../../application/ordering/payment-recovery.js';
import type { PlaceOrder, PlaceOrderInput } from '../../../application/ordering/place-order.js';
import type { SettlePendingPayment } from '../../../application/ordering/settle-pending-payments.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { FULFILMENT_STEPS, type FulfilmentStep, ORDER_STATUSES, type OrderStatus } from '../../../domain/ordering/order.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentVia } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { routeDefiner } from '../route.js';
import { paging, positiveId, requestIdField, text } from '../validation.js';

export interface OrderUseCases {
  placeOrder: PlaceOrder;
  getOrder: GetOrder;
  listOrders: ListOrders;
  cancelOrder: CancelOrder;
  advanceFulfilment: AdvanceFulfilment;
  completeOrder: CompleteOrder;
  payForOrder: PayForOrder;
  settlePendingPayment: SettlePendingPayment;
  getPayment: GetPayment;
  getPaymentRecovery: GetPaymentRecovery;
  refundOrder: RefundOrder;
  runIdempotently: RunIdempotently;
}

const reason = text(500);
const orderParams = Joi.object<{ orderId: number }>({ orderId: positiveId.required() });
const placeBody = Joi.object<PlaceOrderInput & { requestId?: string }>({
  items: Joi.array()
    .items(
      Joi.object({
        productId: positiveId.required(),
        optionId: positiveId,
        // Only the type is a shape rule: more than 10 of an option is the order limit's 422.
        quantity: Joi.number().integer().min(1).max(1_000_000).required(),
      }),
    )
    .min(1)
    .max(100)
    .required(),
  userCouponId: positiveId,
  requestId: requestIdField,
});
const listQuery = Joi.object<PageRequest & { status?: OrderStatus }>({ ...paging, status: Joi.string().valid(...ORDER_STATUSES) });
const cancelBody = Joi.object<{ reason?: string; requestId?: string }>({ reason, requestId: requestIdField });
const fulfilmentBody = Joi.object<{ status: FulfilmentStep; requestId?: string }>({
  status: Joi.string()
    .valid(...FULFILMENT_STEPS)
    .required(),
  requestId: requestIdField,
});
const emptyBody = Joi.object<{ requestId?: string }>({ requestId: requestIdField });
const payBody = Joi.object<{ orderId: number; requestId?: string }>({ orderId: positiveId.required(), requestId: requestIdField });
const confirmBody = Joi.object<{ paymentId: number; requestId?: string }>({ paymentId: positiveId.required(), requestId: requestIdField });
const paymentParams = Joi.object<{ paymentId: number }>({ paymentId: positiveId.required() });
const refundBody = Joi.object<{ orderId: number; reason?: string; requestId?: string }>({
  orderId: positiveId.required(),
  reason,
  requestId: requestIdField,
});

type OrderParams = { orderId: number };

export function orderRoutes(useCases: OrderUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);
  const idempotent = idempotentVia(useCases.runIdempotently);

  route(
    'post',
    '/orders',
    { body: placeBody },
    idempotent(async (_req, res) => {
      const { requestId: _key, ...input } = checked<PlaceOrderInput & { requestId?: string }>(res).body;
      return { status: 201, body: await useCases.placeOrder.execute(actorOf(res), input) };
    }, { admit: (res) => useCases.placeOrder.admit(actorOf(res)) }),
  );

  route('get', '/orders', { query: listQuery }, async (_req, res) => {
    res.json(await useCases.listOrders.execute(actorOf(res), checked<unknown, PageRequest & { status?: OrderStatus }>(res).query));
  });

  route('get', '/orders/:orderId', { params: orderParams }, async (_req, res) => {
    res.json(await useCases.getOrder.execute(actorOf(res), checked<unknown, unknown, OrderParams>(res).params.orderId));
  });

  route(
    'put',
    '/orders/:orderId/cancel',
    { params: orderParams, body: cancelBody },
    idempotent(async (_req, res) => {
      const { params, body } = checked<{ reason?: string }, unknown, OrderParams>(res);
      return { status: 200, body: await useCases.cancelOrder.execute(actorOf(res), params.orderId, body.reason ?? null) };
    }),
  );

  route(
    'post',
    '/orders/:orderId/fulfillment',
    { params: orderParams, body: fulfilmentBody },
    idempotent(async (_req, res) => {
      const { params, body } = checked<{ status: FulfilmentStep }, unknown, OrderParams>(res);
      return { status: 200, body: await useCases.advanceFulfilment.execute(actorOf(res), params.orderId, body.status) };
    }),
  );

  route(
    'post',
    '/orders/:orderId/complete',
    { params: orderParams, body: emptyBody },
    idempotent(async (_req, res) => {
      const { params } = checked<unknown, unknown, OrderParams>(res);
      return { status: 200, body: await useCases.completeOrder.execute(actorOf(res), params.orderId) };
    }),
  );

  route(
    'post',
    '/payments/process',
    { body: payBody },
    idempotent(
      async (_req, res) => {
        const outcome = await useCases.payForOrder.execute(actorOf(res), checked<{ orderId: number }>(res).body.orderId);
        // 202: the gateway's answer is unknown; the order is PENDING until it is settled.
        return { status: outcome.settled ? 200 : 202, body: outcome.payment };
      },
      { atomic: () => useCases.payForOrder.settlesInOneTransaction, admit: (res) => useCases.payForOrder.admit(actorOf(res)) },
    ),
  );

  route(
    'post',
    '/payments/confirm',
    { body: confirmBody },
    idempotent(
      async (_req, res) => ({
        status: 200,
        body: await useCases.settlePendingPayment.confirm(actorOf(res), checked<{ paymentId: number }>(res).body.paymentId),
      }),
      // Asks the gateway: never inside a transaction.
      { atomic: () => false },
    ),
  );

  route('get', '/payments/:paymentId', { params: paymentParams }, async (_req, res) => {
    res.json(await useCases.getPayment.execute(actorOf(res), checked<unknown, unknown, { paymentId: number }>(res).params.paymentId));
  });

  route('get', '/payments/:paymentId/recovery', { params: paymentParams }, async (_req, res) => {
    res.json(await useCases.getPaymentRecovery.execute(actorOf(res), checked<unknown, unknown, { paymentId: number }>(res).params.paymentId));
  });

  route(
    'post',
    '/refunds',
    { body: refundBody },
    idempotent(async (_req, res) => {
      const { body } = checked<{ orderId: number; reason?: string }>(res);
      return { status: 201, body: await useCases.refundOrder.execute(actorOf(res), body.orderId, body.reason ?? null) };
    }),
  );

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const ORDER_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
