import { Router } from 'express';
import Joi from 'joi';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { ListPaymentRecoveries, RetryPaymentRecovery } from '../../../application/ordering/payment-recovery.js';
import type { ListOutboxEvents, RetryOutboxEvent } from '../../../application/outbox/manage-events.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../../application/ports/outbox-store.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { RECOVERY_STATES, type RecoveryState } from '../../../domain/ordering/payment.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
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
const listQuery = Joi.object<EventQuery>({ ...paging, status: Joi.string().valid(...OUTBOX_STATUSES) });
const eventParams = Joi.object<{ eventId: string }>({ eventId: Joi.string().guid().required() });
const emptyBody = Joi.object<{ requestId?: string }>({ requestId: requestIdField });
type RecoveryQuery = PageRequest & { state?: RecoveryState };
const recoveryQuery = Joi.object<RecoveryQuery>({ ...paging, state: Joi.string().valid(...RECOVERY_STATES) });
const paymentParams = Joi.object<{ paymentId: number }>({ paymentId: positiveId.required() });

/**
 * Operators' views: the outbox (what was delivered, what failed, and replaying it) and pending
 * payments in recovery (those handed to an operator, and putting them back).
 */
export function adminRoutes(useCases: AdminUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route('get', '/admin/events', { query: listQuery }, async (_req, res) => {
    res.json(await useCases.listOutboxEvents.execute(actorOf(res), checked<unknown, EventQuery>(res).query));
  });

  route(
    'post',
    '/admin/events/:eventId/retry',
    { params: eventParams, body: emptyBody },
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { eventId } = checked<unknown, unknown, { eventId: string }>(res).params;
      return { status: 200, body: await useCases.retryOutboxEvent.execute(actorOf(res), eventId.toLowerCase()) };
    }),
  );

  route('get', '/admin/payments', { query: recoveryQuery }, async (_req, res) => {
    res.json(await useCases.listPaymentRecoveries.execute(actorOf(res), checked<unknown, RecoveryQuery>(res).query));
  });

  route(
    'post',
    '/admin/payments/:paymentId/retry',
    { params: paymentParams, body: emptyBody },
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { paymentId } = checked<unknown, unknown, { paymentId: number }>(res).params;
      return { status: 200, body: await useCases.retryPaymentRecovery.execute(actorOf(res), paymentId) };
    }),
  );

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const ADMIN_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
