import { Router } from 'express';
import Joi from 'joi';
import type { GetSalesStatistics, SalesStatisticsQuery } from '../../../application/sales/sales-statistics.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { daysSpanned, MAX_STATS_DAYS, SALES_GROUPINGS } from '../../../domain/sales/sales.js';
import { actorOf, checked } from '../locals.js';
import { operation } from '../operation.js';
import { routeDefiner } from '../route.js';
import { calendarDay, EARLIEST_DAY, isDayWithinBounds, LATEST_DAY } from '../validation.js';

export interface StatsUseCases {
  getSalesStatistics: GetSalesStatistics;
}

const salesQuery = Joi.object<SalesStatisticsQuery>({
  from: calendarDay
    .required()
    .description(`First day, \`YYYY-MM-DD\` (UTC), counted: a real calendar date from ${EARLIEST_DAY} to ${LATEST_DAY}, else 400 naming \`from\`.`)
    .example('2026-01-01'),
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
    })
    .description(
      `Last day, \`YYYY-MM-DD\` (UTC), counted: a real calendar date from ${EARLIEST_DAY} to ${LATEST_DAY}, not before \`from\`, and at most ${MAX_STATS_DAYS} days from it (both counted), else 400 naming \`to\`.`,
    )
    .example('2026-01-31'),
  groupBy: Joi.string()
    .valid(...SALES_GROUPINGS)
    .required()
    .description('How to group: `product`, `category` or `day`.'),
});

export const STATS_OPERATIONS = {
  salesStatistics: operation({
    method: 'get',
    path: '/stats/sales',
    operationId: 'salesStatistics',
    tag: 'Statistics',
    summary: 'Sales by product, category or day (SELLER: own products; ADMIN: all)',
    description:
      "A SELLER sees the sales of their own products only; an ADMIN sees everyone's; a BUYER is 403 (after the shape of the request is checked). " +
      'Net units, gross revenue (before coupon discounts) and the coupon discounts on them (`discountAmount`) of the payments completed in the period, by the UTC day they completed, minus refunds of those sales. ' +
      "A coupon discounts only the lines it covers (a SELLER's coupon, that seller's), so a seller's `discountAmount` is what their own coupons (and ADMIN shop-wide ones) took off their products, and another seller's coupon never touches their figures. " +
      "Read from the per-product, per-day sales aggregate. A category is the product's current one.",
    query: salesQuery,
    responses: [{ status: 200, description: 'Sales per group', schema: 'SalesStatistics' }],
    errors: [{ code: 'FORBIDDEN', when: 'the caller is a BUYER.', detail: 'Sales statistics are for SELLERs (their own products) and ADMINs' }],
  }),
};

export function statsRoutes(useCases: StatsUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route(STATS_OPERATIONS.salesStatistics, async (_req, res) => {
    res.json(await useCases.getSalesStatistics.execute(actorOf(res), checked<unknown, SalesStatisticsQuery>(res).query));
  });

  return router;
}
