import { Router } from 'express';
import Joi from 'joi';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { ListPaymentRecoveries } from '../../../application/ordering/list-payment-recoveries.js';
import type { RetryPaymentRecovery } from '../../../application/ordering/retry-payment-recovery.js';
import type { ListOutboxEvents } from '../../../application/outbox/list-outbox-events.js';
import type { RetryOutboxEvent } from '../../../application/outbox/retry-outbox-event.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../../application/ports/outbox-store.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { RECOVERY_STATES, type RecoveryState } from '../../../domain/ordering/payment.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { operation, type ProblemCase } from '../operation.js';
import { notFound } from '../problem-cases.js';
import { routeDefiner } from '../route.js';
import { paging, positiveId, requestIdField } from '../validation.js';

export interface AdminUseCases {
  listOutboxEvents: ListOutboxEvents;
  retryOutboxEvent: RetryOutboxEvent;
  listPaymentRecoveries: ListPaymentRecoveries;
  retryPaymentRecovery: RetryPaymentRecovery;
  runIdempotently: RunIdempotently;
}

type EventQuery = PageRequest & { status?: OutboxStatus };
const listQuery = Joi.object<EventQuery>({
  ...paging,
  status: Joi.string()
    .valid(...OUTBOX_STATUSES)
    .description('Only events of this status (see `OutboxEventStatus`; anything else is 400).'),
});
const eventParams = Joi.object<{ eventId: string }>({
  eventId: Joi.string().guid().required().description('The event id (a UUID; anything else is 400).').example('3f2c9a4e-5d7b-4a0e-9a51-7b2f0e6d8c11'),
});
const emptyBody = Joi.object<{ requestId?: string }>({ requestId: requestIdField });
type RecoveryQuery = PageRequest & { state?: RecoveryState };
const recoveryQuery = Joi.object<RecoveryQuery>({
  ...paging,
  state: Joi.string()
    .valid(...RECOVERY_STATES)
    .description('Only payments in this recovery state (see `RecoveryState`; anything else is 400).'),
});
const paymentParams = Joi.object<{ paymentId: number }>({
  paymentId: positiveId.required().description('A payment id (a positive integer; anything else is 400).'),
});

/** Every operation here is for ADMINs: anyone else is 403, whatever they name. */
const ADMIN_ONLY: ProblemCase = { code: 'FORBIDDEN', when: 'the caller is not an ADMIN.', detail: 'This requires the role ADMIN' };

export const ADMIN_OPERATIONS = {
  listOutboxEvents: operation({
    method: 'get',
    path: '/admin/events',
    operationId: 'listOutboxEvents',
    tag: 'Operations',
    summary: 'The outbox: events for the data platform and how their delivery went (ADMIN)',
    description:
      'ADMIN only (BUYER and SELLER 403). Newest first, optionally of one `status`. Sent events are deleted after `OUTBOX_RETENTION_DAYS` (default 7); ALERTED ones stay until an operator retries them.',
    query: listQuery,
    responses: [{ status: 200, description: 'A page of outbox events, newest first', schema: 'OutboxEventPage' }],
    errors: [ADMIN_ONLY],
  }),
  retryOutboxEvent: operation({
    method: 'post',
    path: '/admin/events/:eventId/retry',
    operationId: 'retryOutboxEvent',
    tag: 'Operations',
    summary: 'Deliver an event again from scratch (ADMIN)',
    description:
      'ADMIN only. Puts the event back to PENDING with `attempts` 0 and no error; the relay delivers it within a job interval, and then the later events of its aggregate it held back. ' +
      'Meant for ALERTED events; allowed for any status but PROCESSING (a relay is delivering it right now: 409 INVALID_STATE). Retrying a SENT event sends it once more with the same id (the platform deduplicates on it).',
    params: eventParams,
    body: emptyBody,
    bodyDescription: 'May be left out: the only field is `requestId`.',
    idempotent: true,
    responses: [{ status: 200, description: 'The event, back to PENDING', schema: 'OutboxEvent' }],
    errors: [
      ADMIN_ONLY,
      { code: 'NOT_FOUND', when: 'no such event.', detail: 'Outbox event 00000000-0000-4000-8000-000000000000 does not exist' },
      {
        code: 'INVALID_STATE',
        when: 'a relay is delivering the event right now.',
        detail: 'Outbox event 3f2c9a4e-5d7b-4a0e-9a51-7b2f0e6d8c11 is being delivered right now (PROCESSING); retry it once that ends',
      },
    ],
  }),
  listPaymentRecoveries: operation({
    method: 'get',
    path: '/admin/payments',
    operationId: 'listPaymentRecoveries',
    tag: 'Operations',
    summary: 'Payments waiting for the gateway, and those handed to an operator (ADMIN)',
    description:
      "ADMIN only (BUYER and SELLER 403). Every payment waiting for the gateway (order PENDING), newest first, optionally of one recovery `state`: `?state=OPERATOR_REQUIRED` is the operators' work list. " +
      'A payment leaves the list once settled.',
    query: recoveryQuery,
    responses: [{ status: 200, description: 'A page of payment recoveries, newest first', schema: 'PaymentRecoveryPage' }],
    errors: [ADMIN_ONLY],
  }),
  retryPaymentRecovery: operation({
    method: 'post',
    path: '/admin/payments/:paymentId/retry',
    operationId: 'retryPaymentRecovery',
    tag: 'Operations',
    summary: 'Put a pending payment back into automatic recovery (ADMIN)',
    description:
      'ADMIN only. The payment goes back to `AUTOMATIC` with `attempts` 0 and is due at once: the recovery job asks the gateway within a job interval, then backs off again and hands it over again after `PENDING_RECOVERY_MAX_ATTEMPTS`. ' +
      'Meant for `OPERATOR_REQUIRED` payments (e.g. once the gateway is back); allowed for `AUTOMATIC` ones, to have them asked now. A settled payment, or one that never waited for the gateway, is 409 INVALID_STATE. ' +
      'To settle at once instead, `POST /api/v1/payments/confirm`.',
    params: paymentParams,
    body: emptyBody,
    bodyDescription: 'May be left out: the only field is `requestId`.',
    idempotent: true,
    responses: [{ status: 200, description: "The payment's recovery, back to AUTOMATIC", schema: 'PaymentRecovery' }],
    errors: [
      ADMIN_ONLY,
      notFound('Payment'),
      {
        code: 'INVALID_STATE',
        when: 'the payment does not wait for the gateway (settled, or it never did).',
        detail: 'Payment 17 is COMPLETED: it is not waiting for the gateway, so there is nothing to recover',
        example: 'INVALID_STATE (settled)',
      },
      {
        code: 'INVALID_STATE',
        when: 'the recovery job kept changing the payment while the retry read it (rare; try again).',
        detail: 'Payment 17 is being recovered right now; retry it once that ends',
        example: 'INVALID_STATE (being recovered)',
      },
    ],
  }),
};

/**
 * Operators' views: the outbox (what was delivered, what failed, and replaying it) and pending
 * payments in recovery (those handed to an operator, and putting them back).
 */
export function adminRoutes(useCases: AdminUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  const ops = ADMIN_OPERATIONS;

  route(ops.listOutboxEvents, async (_req, res) => {
    res.json(await useCases.listOutboxEvents.execute(actorOf(res), checked<unknown, EventQuery>(res).query));
  });

  route(
    ops.retryOutboxEvent,
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { eventId } = checked<unknown, unknown, { eventId: string }>(res).params;
      return { status: 200, body: await useCases.retryOutboxEvent.execute(actorOf(res), eventId.toLowerCase()) };
    }),
  );

  route(ops.listPaymentRecoveries, async (_req, res) => {
    res.json(await useCases.listPaymentRecoveries.execute(actorOf(res), checked<unknown, RecoveryQuery>(res).query));
  });

  route(
    ops.retryPaymentRecovery,
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { paymentId } = checked<unknown, unknown, { paymentId: number }>(res).params;
      return { status: 200, body: await useCases.retryPaymentRecovery.execute(actorOf(res), paymentId) };
    }),
  );

  return router;
}
