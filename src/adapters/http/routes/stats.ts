import { Router } from 'express';
import Joi from 'joi';
import type { GetSalesStatistics, SalesStatisticsQuery } from '../../../application/sales/sales-statistics.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { daysSpanned, MAX_STATS_DAYS, SALES_GROUPINGS } from '../../../domain/sales/sales.js';
import { actorOf, checked } from '../locals.js';
import { routeDefiner } from '../route.js';
import { calendarDay, isDayWithinBounds } from '../validation.js';

export interface StatsUseCases {
  getSalesStatistics: GetSalesStatistics;
}

const salesQuery = Joi.object<SalesStatisticsQuery>({
  from: calendarDay.required(),
  to: calendarDay
    .required()
    .custom((to: string, helpers) => {
      const from = (helpers.state.ancestors as Array<{ from?: unknown }>)[0]?.from;
      if (typeof from !== 'string' || !isDayWithinBounds(from)) return to;
      const span = daysSpanned({ from, to });
      if (span < 1) return helpers.error('range.order');
      if (span > MAX_STATS_DAYS) return helpers.error('range.length');
      return to;
    })
    .messages({
      'range.order': '{{#label}} must not be before from',
      'range.length': `{{#label}} must be at most ${MAX_STATS_DAYS} days from from (both counted)`,
    }),
  groupBy: Joi.string()
    .valid(...SALES_GROUPINGS)
    .required(),
});

export function statsRoutes(useCases: StatsUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route('get', '/stats/sales', { query: salesQuery }, async (_req, res) => {
    res.json(await useCases.getSalesStatistics.execute(actorOf(res), checked<unknown, SalesStatisticsQuery>(res).query));
  });

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const STATS_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
