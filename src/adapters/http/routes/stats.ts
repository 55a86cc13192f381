import { Router } from 'express';
import Joi from 'joi';
import type { GetSalesStatistics, SalesStatisticsQuery } from '../../../application/sales/sales-statistics.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { daysSpanned, isDay, MAX_STATS_DAYS, SALES_GROUPINGS } from '../../../domain/sales/sales.js';
import { actorOf, checked } from '../locals.js';
import { routeDefiner } from '../route.js';

export interface StatsUseCases {
  getSalesStatistics: GetSalesStatistics;
}

const day = Joi.string()
  .custom((value: string, helpers) => (isDay(value) ? value : helpers.error('date.day')))
  .messages({ 'date.day': '{{#label}} must be a date written YYYY-MM-DD' });

const salesQuery = Joi.object<SalesStatisticsQuery>({
  from: day.required(),
  to: day
    .required()
    .custom((to: string, helpers) => {
      const from = (helpers.state.ancestors as Array<{ from?: unknown }>)[0]?.from;
      if (typeof from !== 'string' || !isDay(from)) return to;
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
