import { Router } from 'express';
import Joi from 'joi';
import type { IssueCouponFirstComeFirstServed } from '../../../application/coupons/issue-coupon.js';
import type { ChangeCouponStatus, CreateCoupon, GetCoupon, ListUserCoupons } from '../../../application/coupons/manage-coupons.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { COUPON_LIMITS, COUPON_TYPES, type CouponType, SETTABLE_COUPON_STATUSES, type SettableCouponStatus } from '../../../domain/coupon/coupon.js';
import { USER_COUPON_STATUSES, type UserCouponStatus } from '../../../domain/coupon/user-coupon.js';
import { idempotentVia } from '../idempotency.js';
import { actorOf, checked, resolveUserId } from '../locals.js';
import { routeDefiner } from '../route.js';
import { dateTime, positiveId, requestIdField, text, userIdOrMe } from '../validation.js';

export interface CouponUseCases {
  createCoupon: CreateCoupon;
  getCoupon: GetCoupon;
  changeCouponStatus: ChangeCouponStatus;
  issueCoupon: IssueCouponFirstComeFirstServed;
  listUserCoupons: ListUserCoupons;
  runIdempotently: RunIdempotently;
}

interface CreateBody {
  code: string;
  name: string;
  type: CouponType;
  discountValue: number;
  maxDiscountAmount?: number | null;
  minOrderAmount?: number;
  totalQuantity?: number | null;
  perUserLimit?: number;
  validFrom: Date;
  validUntil: Date;
  requestId?: string;
}

const money = Joi.number().integer().max(Number.MAX_SAFE_INTEGER);
const createBody = Joi.object<CreateBody>({
  code: Joi.string().pattern(COUPON_LIMITS.codePattern).message('{{#label}} must be 1 to 40 letters, digits, "_" or "-"').required(),
  name: text(COUPON_LIMITS.maxNameLength).required(),
  type: Joi.string()
    .valid(...COUPON_TYPES)
    .required(),
  discountValue: Joi.when('type', {
    is: 'PERCENTAGE',
    then: Joi.number().integer().min(1).max(100),
    otherwise: Joi.number().integer().min(1).max(COUPON_LIMITS.maxFixedDiscount),
  }).required(),
  maxDiscountAmount: money.min(1).allow(null),
  minOrderAmount: money.min(0),
  totalQuantity: Joi.number().integer().min(1).max(COUPON_LIMITS.maxQuantity).allow(null),
  perUserLimit: Joi.number().integer().min(1).max(COUPON_LIMITS.maxPerUserLimit),
  validFrom: dateTime.required(),
  validUntil: dateTime.required(),
  requestId: requestIdField,
});
const couponParams = Joi.object<{ couponId: number }>({ couponId: positiveId.required() });
const statusBody = Joi.object<{ status: SettableCouponStatus; requestId?: string }>({
  status: Joi.string()
    .valid(...SETTABLE_COUPON_STATUSES)
    .required(),
  requestId: requestIdField,
});
const issueBody = Joi.object<{ couponId: number; requestId?: string }>({ couponId: positiveId.required(), requestId: requestIdField });
const userParams = Joi.object<{ userId: number | 'me' }>({ userId: userIdOrMe.required() });
const userCouponQuery = Joi.object<{ status?: UserCouponStatus }>({ status: Joi.string().valid(...USER_COUPON_STATUSES) });

export function couponRoutes(useCases: CouponUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);
  const idempotent = idempotentVia(useCases.runIdempotently);

  route(
    'post',
    '/coupons',
    { body: createBody },
    idempotent(async (_req, res) => {
      const { requestId: _key, ...input } = checked<CreateBody>(res).body;
      const coupon = await useCases.createCoupon.execute(actorOf(res), input);
      return { status: 201, body: coupon };
    }),
  );

  // Before /coupons/:couponId would see "issue" as an id.
  for (const [path, limitedOnly] of [
    ['/coupons/issue', false],
    ['/coupons/issue/limited', true],
  ] as const) {
    route(
      'post',
      path,
      { body: issueBody },
      idempotent(
        async (_req, res) => {
          const { couponId } = checked<{ couponId: number }>(res).body;
          return { status: 201, body: await useCases.issueCoupon.execute(actorOf(res), { couponId, limitedOnly }) };
        },
        // Not wrapped in a transaction: the gate (Redis) is asked before the issue's own one opens.
        { atomic: () => false, admit: (res) => useCases.issueCoupon.admit(actorOf(res)) },
      ),
    );
  }

  route('get', '/coupons/user/:userId', { params: userParams, query: userCouponQuery }, async (_req, res) => {
    const { params, query } = checked<unknown, { status?: UserCouponStatus }, { userId: number | 'me' }>(res);
    res.json(await useCases.listUserCoupons.execute(actorOf(res), resolveUserId(res, params.userId), query.status));
  });

  route('get', '/coupons/:couponId', { params: couponParams }, async (_req, res) => {
    res.json(await useCases.getCoupon.execute(checked<unknown, unknown, { couponId: number }>(res).params.couponId));
  });

  route(
    'patch',
    '/coupons/:couponId',
    { params: couponParams, body: statusBody },
    idempotent(async (_req, res) => {
      const { params, body } = checked<{ status: SettableCouponStatus }, unknown, { couponId: number }>(res);
      return { status: 200, body: await useCases.changeCouponStatus.execute(actorOf(res), params.couponId, body.status) };
    }),
  );

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const COUPON_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
