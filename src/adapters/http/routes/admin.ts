import { Router } from 'express';
import Joi from 'joi';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { ListOutboxEvents, RetryOutboxEvent } from '../../../application/outbox/manage-events.js';
import { OUTBOX_STATUSES, type OutboxStatus } from '../../../application/ports/outbox-store.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { routeDefiner } from '../route.js';
import { paging, requestIdField } from '../validation.js';

export interface AdminUseCases {
  listOutboxEvents: ListOutboxEvents;
  retryOutboxEvent: RetryOutboxEvent;
  runIdempotently: RunIdempotently;
}

type EventQuery = PageRequest & { status?: OutboxStatus };
const listQuery = Joi.object<EventQuery>({ ...paging, status: Joi.string().valid(...OUTBOX_STATUSES) });
const eventParams = Joi.object<{ eventId: string }>({ eventId: Joi.string().guid().required() });
const emptyBody = Joi.object<{ requestId?: string }>({ requestId: requestIdField });

/** Operators' view of the outbox: what was delivered, what failed, and replaying it. */
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

  return router;
}
