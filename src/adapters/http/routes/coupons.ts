import { Router } from 'express';
import Joi from 'joi';
import type { IssueCouponFirstComeFirstServed, IssueRequest } from '../../../application/coupons/issue-coupon.js';
import type { CouponListRequest, ListCoupons } from '../../../application/coupons/list-coupons.js';
import type { ChangeCouponStatus } from '../../../application/coupons/change-coupon-status.js';
import type { CreateCoupon } from '../../../application/coupons/create-coupon.js';
import type { GetCoupon } from '../../../application/coupons/get-coupon.js';
import type { ListUserCoupons } from '../../../application/coupons/list-user-coupons.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import {
  COUPON_LIMITS,
  COUPON_STATUSES,
  COUPON_TYPES,
  type CouponType,
  SETTABLE_COUPON_STATUSES,
  type SettableCouponStatus,
} from '../../../domain/coupon/coupon.js';
import { USER_COUPON_STATUSES, type UserCouponStatus } from '../../../domain/coupon/user-coupon.js';
import { idempotentVia } from '../idempotency.js';
import { actorOf, checked, resolveUserId } from '../locals.js';
import { operation, type ProblemCase } from '../operation.js';
import { NOT_YOURS, notFound } from '../problem-cases.js';
import { routeDefiner } from '../route.js';
import { dateTime, paging, positiveId, requestIdField, text, userIdOrMe } from '../validation.js';

export interface CouponUseCases {
  createCoupon: CreateCoupon;
  getCoupon: GetCoupon;
  changeCouponStatus: ChangeCouponStatus;
  issueCoupon: IssueCouponFirstComeFirstServed;
  listUserCoupons: ListUserCoupons;
  listCoupons: ListCoupons;
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

/** A coupon code as codes are made (anything else can name no coupon: 400). */
const couponCode = () =>
  Joi.string()
    .pattern(COUPON_LIMITS.codePattern)
    .message('{{#label}} must be 1 to 40 letters, digits, "_" or "-"');
const money = Joi.number().integer().max(Number.MAX_SAFE_INTEGER);
const createBody = Joi.object<CreateBody>({
  code: couponCode()
    .required()
    .description(
      '1..40 letters, digits, `_` and `-`. Kept as sent; unique among all coupons compared case-insensitively (`welcome-10` is taken once `WELCOME-10` exists): 409 COUPON_CODE_TAKEN.',
    )
    .example('WELCOME-10'),
  name: text(COUPON_LIMITS.maxNameLength)
    .required()
    .description('Surrounding white space is trimmed before it is kept; must not be blank.')
    .example('Welcome 10% off'),
  type: Joi.string()
    .valid(...COUPON_TYPES)
    .required()
    .description(
      '`PERCENTAGE`: `discountValue` percent of what the coupon covers (see `minOrderAmount`), rounded down, capped at `maxDiscountAmount` when set. `FIXED`: `discountValue` won off, also capped at `maxDiscountAmount` when set. Either way never more than what the coupon covers.',
    )
    .example('PERCENTAGE'),
  discountValue: Joi.when('type', {
    is: 'PERCENTAGE',
    then: Joi.number().integer().min(1).max(100),
    otherwise: Joi.number().integer().min(1).max(COUPON_LIMITS.maxFixedDiscount),
  })
    .required()
    .description("A whole percent for PERCENTAGE, integer KRW (won) for FIXED; outside its type's range, 400 naming `discountValue`.")
    .example(10),
  maxDiscountAmount: money
    .min(1)
    .allow(null)
    .default(null)
    .description('The most the discount may be (KRW), for either type. Null or left out: no cap.')
    .example(5000),
  minOrderAmount: money
    .min(0)
    .default(0)
    .description(
      "The least amount, before the discount (KRW), of what the coupon covers (the whole order for an ADMIN's coupon, the seller's lines for a SELLER's) for it to apply. Left out: 0 (no minimum). Not nullable.",
    )
    .example(10000),
  totalQuantity: Joi.number()
    .integer()
    .min(1)
    .max(COUPON_LIMITS.maxQuantity)
    .allow(null)
    .default(null)
    .description('How many copies may be issued in all. Null or left out: unlimited (such a coupon cannot be issued through `/coupons/issue/limited`).')
    .example(100),
  perUserLimit: Joi.number().integer().min(1).max(COUPON_LIMITS.maxPerUserLimit).default(1).description('How many copies one user may hold').example(1),
  validFrom: dateTime.required().description('Issuing starts; may be in the past.').example('2026-01-01T00:00:00.000Z'),
  validUntil: dateTime
    .required()
    .description('Issuing ends and issued copies expire. Must be after `validFrom` and in the future (else 400 naming `validUntil`).')
    .example('2027-12-31T23:59:59.000Z'),
  requestId: requestIdField,
}).description(
  'Every rule here is a shape rule: breaking one is 400 VALIDATION_FAILED naming the field (all broken ones together; `validUntil` is compared with `validFrom` and the present once the rest is well formed), except a code already taken, which is 409 COUPON_CODE_TAKEN.',
);
const couponParams = Joi.object<{ couponId: number }>({
  couponId: positiveId.required().description('A coupon id (a positive integer; anything else is 400).'),
});
const statusBody = Joi.object<{ status: SettableCouponStatus; requestId?: string }>({
  status: Joi.string()
    .valid(...SETTABLE_COUPON_STATUSES)
    .required()
    .description(
      '`SUSPENDED`: stop issuing (and applying) it for now. `ACTIVE`: resume a SUSPENDED coupon; on one that is not suspended it changes nothing (200 with the coupon, its status worked out as usual). `CANCELLED`: stop it for good. ' +
        'A CANCELLED or EXPIRED coupon can no longer change: 409 INVALID_STATE, whatever is asked. Setting the status it already has changes nothing.',
    )
    .example('SUSPENDED'),
  requestId: requestIdField,
});
type IssueBody = { couponId: number; requestId?: string } | { couponCode: string; requestId?: string };
const ONE_COUPON = 'must name the coupon with exactly one of couponId and couponCode';
const issueBody = Joi.object<IssueBody>({
  couponId: positiveId.description('The coupon to be issued a copy of, by its id (unknown: 404).'),
  couponCode: couponCode().description(
    'The coupon by its code instead, in any case (`welcome10` names `WELCOME10`), e.g. `WELCOME10`: resolved to the coupon\'s id, then issued exactly as by `couponId` (unknown: 404). 1..40 letters, digits, `_` and `-` (else 400).',
  ),
  requestId: requestIdField,
})
  .xor('couponId', 'couponCode')
  .messages({ 'object.missing': ONE_COUPON, 'object.xor': ONE_COUPON });
const userParams = Joi.object<{ userId: number | 'me' }>({ userId: userIdOrMe.required() });
const userCouponQuery = Joi.object<{ status?: UserCouponStatus }>({
  status: Joi.string()
    .valid(...USER_COUPON_STATUSES)
    .description('Only user coupons of this status (see UserCouponStatus; anything else is 400).'),
});

type ListQuery = CouponListRequest;
const couponListQuery = Joi.object<ListQuery>({
  ...paging,
  code: couponCode().description(
    'Exactly this code, compared case-insensitively (`welcome10` finds `WELCOME10`): a page of that one coupon, or an empty page. Any role finds any coupon by its code, whatever its status. 1..40 letters, digits, `_` and `-` (else 400).',
  ).example('WELCOME10'),
  status: Joi.string()
    .valid(...COUPON_STATUSES)
    .description('Only coupons showing this status now (see CouponStatus: worked out from the set status, the window and the counters; anything else is 400). A BUYER without `code`: ACTIVE only (another is 403).'),
  sellerId: positiveId.description("Only the coupons scoped to this seller (their `sellerId`; shop-wide coupons never match). A SELLER without `code`: their own id only (another's is 403)."),
});

const COUPON_NOT_FOUND = notFound('Coupon');

/** POST /coupons/issue and /coupons/issue/limited: one operation, but for the limited-only rule. */
function issueCouponOperation(limitedOnly: boolean) {
  const notIssuable = limitedOnly
    ? 'COUPON_NOT_ISSUABLE when it has no `totalQuantity` (this endpoint is for limited coupons only; checked first), or is CREATED (before `validFrom`), SUSPENDED, CANCELLED or EXPIRED'
    : 'COUPON_NOT_ISSUABLE when it is CREATED (before `validFrom`), SUSPENDED, CANCELLED or EXPIRED';
  const notBeingIssued: ProblemCase = {
    code: 'COUPON_NOT_ISSUABLE',
    when: 'the coupon is CREATED (before `validFrom`), SUSPENDED, CANCELLED or EXPIRED.',
    detail: 'Coupon 7 is SUSPENDED, not being issued',
  };
  return operation({
    method: 'post',
    path: limitedOnly ? '/coupons/issue/limited' : '/coupons/issue',
    operationId: limitedOnly ? 'issueLimitedCoupon' : 'issueCoupon',
    tag: 'Coupons',
    summary: limitedOnly ? 'Be issued a copy of a limited coupon, first come, first served' : 'Be issued a copy of a coupon, first come, first served',
    description:
      'The coupon is named by `couponId` or by `couponCode` (any case), exactly one of them (neither or both: 400 naming `body`). A code is first resolved to its coupon id (cached in the instance; a code never changes), and from there the issue is the same as by id, with the same guarantees: the gate and the guarded counter work on the id. ' +
      (limitedOnly
        ? 'The same as `POST /api/v1/coupons/issue`, for coupons with a `totalQuantity` only: a coupon without one (unlimited) is 409 COUPON_NOT_ISSUABLE. '
        : 'For coupons with or without a `totalQuantity` (`POST /api/v1/coupons/issue/limited` takes limited ones only). ') +
      "Any authenticated user, whatever the role, is issued one copy of an ACTIVE coupon: a user coupon, ISSUED, with `expiresAt` = the coupon's `validUntil`; the coupon's `issuedQuantity` counts one more. " +
      `Checked in this order after the shape: the rate limit (429); the coupon (404; 409 ${notIssuable}); the copies the user holds (409 COUPON_ALREADY_ISSUED when they hold \`perUserLimit\` of it; asked before whether any are left, so the holder of the last copy is told this, not COUPON_EXHAUSTED); the copies left (409 COUPON_EXHAUSTED). ` +
      "For a limited coupon a gate answers the crowd first: Redis when `REDIS_URL` is set (one atomic step per claim, shared by every instance), else a lock-free read of the database's counters. Only those it lets through reach the database, where a guarded counter (one more issued only while some are left and the coupon is being issued) and the unique numbering of each user's copies decide for good: " +
      'never more than `totalQuantity` copies in all nor `perUserLimit` for one user, even when Redis is down (the gate then lets everyone through to the database) or has lost its counts (reloaded from the database). ' +
      'At most `RATE_LIMIT_COUPON_ISSUES_PER_MINUTE` (default 3; 0 switches it off) issue requests a minute per user, both issue endpoints together and across all instances, counting every attempt that gets past the shape check, refused ones (404, 409) included: more is 429 RATE_LIMITED with `Retry-After`. ' +
      'A `CouponIssued` event goes out with the copy (outbox). A replay of an `Idempotency-Key` (or `requestId`) answers the same user coupon (201, `Idempotent-Replayed: true`), not COUPON_ALREADY_ISSUED, and is neither limited nor counted.',
    body: issueBody,
    bodyName: 'IssueCouponRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The new user coupon, ISSUED', schema: 'UserCoupon' }],
    errors: [
      COUPON_NOT_FOUND,
      { code: 'NOT_FOUND', example: 'NOT_FOUND_code', when: 'no coupon has the `couponCode` given (in any case).', detail: 'Coupon WELCOME10 does not exist' },
      {
        code: 'VALIDATION_FAILED',
        when: 'the body names the coupon by neither `couponId` nor `couponCode`, or by both.',
        detail: 'The request is not valid',
        errors: [{ field: 'body', message: ONE_COUPON }],
      },
      { code: 'COUPON_EXHAUSTED', when: 'no copies left (first come, first served lost).', detail: 'Coupon 7 has no copies left' },
      { code: 'COUPON_ALREADY_ISSUED', when: 'the user already holds `perUserLimit` of it.', detail: 'You already hold this coupon' },
      ...(limitedOnly
        ? [
            {
              code: 'COUPON_NOT_ISSUABLE',
              when: 'the coupon has no `totalQuantity` (checked first).',
              detail: 'Coupon 7 has no limited quantity',
            } satisfies ProblemCase,
            { ...notBeingIssued, example: 'COUPON_NOT_ISSUABLE_not_active' },
          ]
        : [notBeingIssued]),
      {
        code: 'RATE_LIMITED',
        when: 'over `RATE_LIMIT_COUPON_ISSUES_PER_MINUTE` issue requests a minute for this user.',
        detail: 'Too many coupon requests; wait a moment',
      },
    ],
  });
}

export const COUPON_OPERATIONS = {
  createCoupon: operation({
    method: 'post',
    path: '/coupons',
    operationId: 'createCoupon',
    tag: 'Coupons',
    summary: 'Create a coupon (SELLER or ADMIN)',
    description:
      "SELLER or ADMIN (a BUYER is 403, after the shape check); the caller becomes its `createdBy`. A SELLER's coupon covers their own products only (`sellerId` = the seller); an ADMIN's is shop-wide (`sellerId` null). Left out: `maxDiscountAmount` null (no cap), `minOrderAmount` 0, `totalQuantity` null (unlimited), `perUserLimit` 1. " +
      'It starts with `issuedQuantity` 0 and its status worked out from its window: CREATED while `validFrom` is in the future, else ACTIVE. Every broken rule of the body is 400 VALIDATION_FAILED naming the field (see CreateCouponRequest); a code already taken, compared case-insensitively, is 409 COUPON_CODE_TAKEN. ' +
      'A `CouponCreated` event goes out with it (outbox). A replay of an `Idempotency-Key` (or `requestId`) answers the same coupon (201, `Idempotent-Replayed: true`), not COUPON_CODE_TAKEN.',
    body: createBody,
    bodyName: 'CreateCouponRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The new coupon', schema: 'Coupon' }],
    errors: [
      {
        code: 'VALIDATION_FAILED',
        when: 'the request is not valid (see the schema and "Refused input"): `errors` names each field.',
        detail: 'The request is not valid',
        errors: [
          { field: 'code', message: "'code' must be 1 to 40 letters, digits, '_' or '-'" },
          { field: 'discountValue', message: "'discountValue' must be less than or equal to 100" },
        ],
      },
      {
        code: 'VALIDATION_FAILED',
        example: 'VALIDATION_FAILED_validUntil',
        when: '`validUntil` is not after `validFrom`, or not in the future.',
        detail: 'validUntil: must be in the future',
        errors: [{ field: 'validUntil', message: 'must be in the future' }],
      },
      { code: 'FORBIDDEN', when: 'the caller is a BUYER.', detail: 'Only a SELLER or an ADMIN creates coupons' },
      {
        code: 'COUPON_CODE_TAKEN',
        when: 'a coupon with this code exists (compared case-insensitively; nothing is created).',
        detail: 'The coupon code WELCOME-10 is already taken',
      },
    ],
  }),
  issueCoupon: issueCouponOperation(false),
  issueLimitedCoupon: issueCouponOperation(true),
  listUserCoupons: operation({
    method: 'get',
    path: '/coupons/user/:userId',
    operationId: 'listUserCoupons',
    tag: 'Coupons',
    summary: "A user's coupons, newest first",
    description:
      'The owner (`me`, or their own id) or an ADMIN. A BUYER or SELLER naming another user is 403 whether or not that user exists; an ADMIN naming an unknown user is 404. ' +
      "All of the user's coupons (not paged), newest first, or only those of one `status`.",
    params: userParams,
    query: userCouponQuery,
    responses: [{ status: 200, description: "The user's coupons", schema: 'UserCouponList' }],
    errors: [NOT_YOURS, notFound('User')],
  }),
  listCoupons: operation({
    method: 'get',
    path: '/coupons',
    operationId: 'listCoupons',
    tag: 'Coupons',
    summary: 'Coupons: find one by its code, or list those you manage (SELLER, ADMIN) or may be issued (BUYER)',
    description:
      'Newest first (the latest created first), paged, filtered by every parameter given. One endpoint for both uses: with `code` it finds that one coupon, for anyone; without, it lists what the caller\'s role sees:\n' +
      '- **`code`** given: the coupon with that code (compared case-insensitively, as codes are unique), whatever its status and whoever created it, as `GET /api/v1/coupons/{couponId}` shows any coupon to any user: a buyer handed a code sees its terms, and whether it is still being issued, before `POST /api/v1/coupons/issue` with `{"couponCode": ...}`. A page of that one coupon (`status` and `sellerId` still filter it), or an empty page (200) when no coupon has the code: a search that finds nothing, not a 404.\n' +
      '- **ADMIN**: every coupon; `sellerId` and `status` filter.\n' +
      "- **SELLER**: the coupons they created (the ones they may suspend, resume or cancel); `status` filters; `sellerId` may only be their own id (only their scoped coupons; another seller's id is 403).\n" +
      "- **BUYER**: the coupons being issued now (ACTIVE) of every seller and the shop, what a shop's coupon page offers; `sellerId` narrows it to one seller's; `status` may only be ACTIVE (another is 403: a coupon of any status is found by its code).\n" +
      'Checked in the usual order: the shape (400: a `code` that is no code, an unknown `status`, a `sellerId` that is no id), then the role (403).',
    query: couponListQuery,
    responses: [{ status: 200, description: 'A page of coupons, newest first', schema: 'CouponPage' }],
    errors: [
      { code: 'FORBIDDEN', when: 'without `code`: a BUYER asking for a `status` other than ACTIVE.', detail: 'A BUYER lists the coupons being issued (ACTIVE) only, not EXPIRED ones; a coupon of any status is found by its code' },
      {
        code: 'FORBIDDEN',
        example: 'FORBIDDEN_other_seller',
        when: "without `code`: a SELLER naming another seller's `sellerId`.",
        detail: "A SELLER lists their own coupons only; another seller's are found by code or id",
      },
    ],
  }),
  getCoupon: operation({
    method: 'get',
    path: '/coupons/:couponId',
    operationId: 'getCoupon',
    tag: 'Coupons',
    summary: 'One coupon',
    description: 'Anyone with a token, whatever the role. `status` is worked out at the time of the request (see CouponStatus).',
    params: couponParams,
    responses: [{ status: 200, description: 'The coupon', schema: 'Coupon' }],
    errors: [COUPON_NOT_FOUND],
  }),
  changeCouponStatus: operation({
    method: 'patch',
    path: '/coupons/:couponId',
    operationId: 'changeCouponStatus',
    tag: 'Coupons',
    summary: 'Suspend, resume or cancel a coupon (its creator or an ADMIN)',
    description:
      "Its creator or an ADMIN. A BUYER is 403 before the coupon is looked up (so even for an unknown id); a SELLER is 404 for an unknown coupon and 403 for another seller's. " +
      '`SUSPENDED` stops it for now and `CANCELLED` for good: while it is either, issuing is 409 COUPON_NOT_ISSUABLE and its copies apply to no new order (422 COUPON_NOT_APPLICABLE); orders already placed with it are not touched. ' +
      '`ACTIVE` resumes a SUSPENDED coupon, whose status is then worked out again (CREATED, ACTIVE, EXHAUSTED or EXPIRED); on a coupon that is not suspended it changes nothing and answers 200 with the coupon. Setting the status it already has changes nothing. ' +
      'A CANCELLED or EXPIRED coupon can no longer change: 409 INVALID_STATE whatever is asked. SUSPENDED and CANCELLED may be set from any other status.',
    params: couponParams,
    body: statusBody,
    bodyName: 'ChangeCouponStatusRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'The coupon after the change', schema: 'Coupon' }],
    errors: [
      { code: 'FORBIDDEN', when: 'the caller is a BUYER.', detail: 'This requires the role SELLER or ADMIN' },
      {
        code: 'FORBIDDEN',
        example: 'FORBIDDEN_not_creator',
        when: "a SELLER and the coupon is another seller's.",
        detail: 'Only the coupon’s creator or an ADMIN may change it',
      },
      COUPON_NOT_FOUND,
      { code: 'INVALID_STATE', when: 'the coupon is CANCELLED or EXPIRED.', detail: 'Coupon 7 is CANCELLED: it can no longer change' },
    ],
  }),
};

export function couponRoutes(useCases: CouponUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);
  const idempotent = idempotentVia(useCases.runIdempotently);
  const ops = COUPON_OPERATIONS;

  route(
    ops.createCoupon,
    idempotent(async (_req, res) => {
      const { requestId: _key, ...input } = checked<CreateBody>(res).body;
      const coupon = await useCases.createCoupon.execute(actorOf(res), input);
      return { status: 201, body: coupon };
    }),
  );

  // Before /coupons/:couponId would see "issue" as an id.
  for (const [declared, limitedOnly] of [
    [ops.issueCoupon, false],
    [ops.issueLimitedCoupon, true],
  ] as const) {
    route(
      declared,
      idempotent(
        async (_req, res) => {
          // The coupon the body names (its requestId is the idempotency key), written out rather
          // than copied with rest and spread, which V8 does slowly, on every request of a storm.
          const body = checked<IssueBody>(res).body;
          const request: IssueRequest = 'couponId' in body ? { couponId: body.couponId, limitedOnly } : { couponCode: body.couponCode, limitedOnly };
          return { status: 201, body: await useCases.issueCoupon.execute(actorOf(res), request) };
        },
        useCases.issueCoupon,
      ),
    );
  }

  route(ops.listUserCoupons, async (_req, res) => {
    const { params, query } = checked<unknown, { status?: UserCouponStatus }, { userId: number | 'me' }>(res);
    res.json(await useCases.listUserCoupons.execute(actorOf(res), resolveUserId(res, params.userId), query.status));
  });

  route(ops.listCoupons, async (_req, res) => {
    res.json(await useCases.listCoupons.execute(actorOf(res), checked<unknown, ListQuery>(res).query));
  });

  route(ops.getCoupon, async (_req, res) => {
    res.json(await useCases.getCoupon.execute(checked<unknown, unknown, { couponId: number }>(res).params.couponId));
  });

  route(
    ops.changeCouponStatus,
    idempotent(async (_req, res) => {
      const { params, body } = checked<{ status: SettableCouponStatus }, unknown, { couponId: number }>(res);
      return { status: 200, body: await useCases.changeCouponStatus.execute(actorOf(res), params.couponId, body.status) };
    }),
  );

  return router;
}
