import { expect } from 'chai';
import { Redis } from 'ioredis';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';
import { uniqueName } from '../support/environment.js';
import { requireRedis, unreachableRedis } from '../support/redis.js';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { expectProblem, expectValidation } from './problem.js';
import {
  type Coupon,
  CouponClient,
  couponBody,
  couponPath,
  COUPONS,
  DAY,
  expectCouponAnswer,
  expectUserCouponAnswer,
  freshCode,
  fromNow,
  HOUR,
  ISSUE,
  ISSUE_LIMITED,
  issuedFrom,
  SECOND,
  type UserCoupon,
  userCouponsPath,
} from './coupons-support.js';
import {
  eventually,
  expectOrderAnswer,
  expectPaymentAnswer,
  expectRefundAnswer,
  freshIdempotencyKey,
  type Listing,
  OrderingClient,
  ORDERS,
  PAY,
  retryAfterOf,
  sleep,
  UNKNOWN_ID,
} from './orders-support.js';

/** The answer's time lies between two clock readings taken around the request (1 s of slack). */
function expectTimeWithin(value: unknown, before: number, after: number): void {
  expect(value).to.be.a('string');
  expect(Date.parse(value as string)).to.be.within(before - SECOND, after + SECOND);
}

// The same contract over both persistence adapters: PostgreSQL (this run's database, shared by the
// whole run, so every test makes its own users, products and coupons, with codes of its own) and
// the in-memory adapters.
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: coupons (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence });
      c = new CouponClient(t);
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    /** Orders `quantity` of the listing's option with the given user coupon. */
    const placeWith = (buyer: Account, listing: Listing, quantity: number, userCouponId: unknown) =>
      o.place(buyer, { items: [{ productId: listing.product.id, optionId: listing.option.id, quantity }], userCouponId });

    /** Nothing reserved on the listing's option: all its stock still available. */
    const expectUntouched = async (listing: Listing, totalStock: number) => {
      expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock, reservedStock: 0, availableStock: totalStock });
    };

    describe('POST /api/v1/coupons', function () {
      let seller: Account;

      before(async function () {
        seller = await t.newAccount('SELLER');
      });

      it('201: exactly the coupon shape, every field as sent, issuedQuantity 0, remainingQuantity = totalQuantity, ACTIVE (validFrom past), createdBy the seller', async function () {
        const body = couponBody({
          name: 'Fifteen off everything',
          type: 'PERCENTAGE',
          discountValue: 15,
          maxDiscountAmount: 5_000,
          minOrderAmount: 20_000,
          totalQuantity: 100,
          perUserLimit: 2,
        });

        const coupon = expectCouponAnswer(await c.create(seller, body), 201);

        expect(coupon).to.deep.equal({
          id: coupon.id,
          code: body.code,
          name: 'Fifteen off everything',
          type: 'PERCENTAGE',
          discountValue: 15,
          maxDiscountAmount: 5_000,
          minOrderAmount: 20_000,
          totalQuantity: 100,
          issuedQuantity: 0,
          remainingQuantity: 100,
          perUserLimit: 2,
          validFrom: body.validFrom,
          validUntil: body.validUntil,
          status: 'ACTIVE',
          sellerId: seller.id,
          createdBy: seller.id,
        });
        // Anyone with a token reads it back the same.
        expect(await c.getOk(await t.newBuyer(), coupon.id)).to.deep.equal(coupon);
      });

      it('201 with only the required fields: maxDiscountAmount null (no cap), minOrderAmount 0, totalQuantity and remainingQuantity null (unlimited), perUserLimit 1; an ADMIN may create', async function () {
        const body = couponBody({ type: 'FIXED', discountValue: 2_500 });

        const coupon = expectCouponAnswer(await c.create(t.admin, body), 201);

        expect(coupon).to.deep.equal({
          id: coupon.id,
          code: body.code,
          name: body.name,
          type: 'FIXED',
          discountValue: 2_500,
          maxDiscountAmount: null,
          minOrderAmount: 0,
          totalQuantity: null,
          issuedQuantity: 0,
          remainingQuantity: null,
          perUserLimit: 1,
          validFrom: body.validFrom,
          validUntil: body.validUntil,
          status: 'ACTIVE',
          sellerId: null,
          createdBy: t.admin.id,
        });
      });

      it('201 with maxDiscountAmount and totalQuantity given as null: the same as leaving them out', async function () {
        const coupon = await c.createOk(seller, { type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: null, totalQuantity: null });
        expect(coupon).to.include({ maxDiscountAmount: null, totalQuantity: null, remainingQuantity: null, issuedQuantity: 0, status: 'ACTIVE' });
      });

      it('status CREATED when validFrom is in the future, ACTIVE when it is now or past', async function () {
        const later = await c.createOk(seller, { validFrom: fromNow(DAY), validUntil: fromNow(10 * DAY) });
        const now = await c.createOk(seller, { validFrom: fromNow(0) });
        const longAgo = await c.createOk(seller, { validFrom: fromNow(-365 * DAY) });

        expect(later.status).to.equal('CREATED');
        expect(now.status).to.equal('ACTIVE');
        expect(longAgo.status).to.equal('ACTIVE');
        expect((await c.getOk(seller, later.id)).status).to.equal('CREATED');
      });

      const edges: Array<[string, Parameters<typeof couponBody>[0]]> = [
        ['PERCENTAGE 1', { type: 'PERCENTAGE', discountValue: 1 }],
        ['PERCENTAGE 100', { type: 'PERCENTAGE', discountValue: 100 }],
        ['FIXED 1', { type: 'FIXED', discountValue: 1 }],
        ['FIXED 101 (a percentage range does not apply to FIXED)', { type: 'FIXED', discountValue: 101 }],
        ['FIXED 1,000,000,000', { type: 'FIXED', discountValue: 1_000_000_000 }],
        ['maxDiscountAmount 1', { type: 'PERCENTAGE', discountValue: 50, maxDiscountAmount: 1 }],
        ['minOrderAmount 0', { minOrderAmount: 0 }],
        ['totalQuantity 1', { totalQuantity: 1 }],
        ['totalQuantity 1,000,000,000', { totalQuantity: 1_000_000_000 }],
        ['perUserLimit 1', { perUserLimit: 1 }],
        ['perUserLimit 100', { perUserLimit: 100 }],
        ['a name of 100 characters', { name: 'n'.repeat(100) }],
      ];
      for (const [label, overrides] of edges) {
        it(`accepts ${label}`, async function () {
          const body = couponBody(overrides);
          const coupon = expectCouponAnswer(await c.create(seller, body), 201);
          const { code: _code, validFrom: _from, validUntil: _until, ...rest } = body as unknown as Record<string, unknown>;
          expect(coupon).to.deep.include(rest);
        });
      }

      it('accepts a code of 40 characters of letters, digits, "_" and "-", kept as sent', async function () {
        const base = freshCode('Ab_9').replace(/-/g, '_');
        const code = `${base}-`.padEnd(40, 'z');
        expect(code).to.have.length(40);
        const coupon = expectCouponAnswer(await c.create(seller, couponBody({ code })), 201);
        expect(coupon.code).to.equal(code);
      });

      const invalid: Array<[string, Record<string, unknown>, string]> = [
        ['code missing', { code: undefined }, 'code'],
        ['code ""', { code: '' }, 'code'],
        ['code of 41 characters', { code: 'A'.repeat(41) }, 'code'],
        ['code with a space', { code: 'HAS SPACE' }, 'code'],
        ['code with "!"', { code: 'BAD!' }, 'code'],
        ['code a number', { code: 12345 }, 'code'],
        ['code null', { code: null }, 'code'],
        ['name missing', { name: undefined }, 'name'],
        ['name ""', { name: '' }, 'name'],
        ['name blank', { name: '   ' }, 'name'],
        ['name of 101 characters', { name: 'n'.repeat(101) }, 'name'],
        ['name a number', { name: 42 }, 'name'],
        ['type missing', { type: undefined }, 'type'],
        ['type "percentage"', { type: 'percentage' }, 'type'],
        ['type "BOGO"', { type: 'BOGO' }, 'type'],
        ['type null', { type: null }, 'type'],
        ['discountValue missing', { discountValue: undefined }, 'discountValue'],
        ['PERCENTAGE discountValue 0', { type: 'PERCENTAGE', discountValue: 0 }, 'discountValue'],
        ['PERCENTAGE discountValue 101', { type: 'PERCENTAGE', discountValue: 101 }, 'discountValue'],
        ['PERCENTAGE discountValue -5', { type: 'PERCENTAGE', discountValue: -5 }, 'discountValue'],
        ['PERCENTAGE discountValue 12.5', { type: 'PERCENTAGE', discountValue: 12.5 }, 'discountValue'],
        ['FIXED discountValue 0', { type: 'FIXED', discountValue: 0 }, 'discountValue'],
        ['FIXED discountValue 1,000,000,001', { type: 'FIXED', discountValue: 1_000_000_001 }, 'discountValue'],
        ['FIXED discountValue 1.5', { type: 'FIXED', discountValue: 1.5 }, 'discountValue'],
        ['discountValue "10"', { discountValue: '10' }, 'discountValue'],
        ['discountValue null', { discountValue: null }, 'discountValue'],
        ['maxDiscountAmount 0', { type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 0 }, 'maxDiscountAmount'],
        ['maxDiscountAmount -1', { type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: -1 }, 'maxDiscountAmount'],
        ['maxDiscountAmount 1.5', { type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 1.5 }, 'maxDiscountAmount'],
        ['maxDiscountAmount "100"', { type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: '100' }, 'maxDiscountAmount'],
        ['minOrderAmount -1', { minOrderAmount: -1 }, 'minOrderAmount'],
        ['minOrderAmount 1.5', { minOrderAmount: 1.5 }, 'minOrderAmount'],
        ['minOrderAmount "0"', { minOrderAmount: '0' }, 'minOrderAmount'],
        ['totalQuantity 0', { totalQuantity: 0 }, 'totalQuantity'],
        ['totalQuantity -1', { totalQuantity: -1 }, 'totalQuantity'],
        ['totalQuantity 1,000,000,001', { totalQuantity: 1_000_000_001 }, 'totalQuantity'],
        ['totalQuantity 2.5', { totalQuantity: 2.5 }, 'totalQuantity'],
        ['totalQuantity "10"', { totalQuantity: '10' }, 'totalQuantity'],
        ['perUserLimit 0', { perUserLimit: 0 }, 'perUserLimit'],
        ['perUserLimit 101', { perUserLimit: 101 }, 'perUserLimit'],
        ['perUserLimit 1.5', { perUserLimit: 1.5 }, 'perUserLimit'],
        ['perUserLimit "2"', { perUserLimit: '2' }, 'perUserLimit'],
        ['validFrom missing', { validFrom: undefined }, 'validFrom'],
        ['validFrom "not-a-date"', { validFrom: 'not-a-date' }, 'validFrom'],
        ['validFrom a number', { validFrom: Date.now() - HOUR }, 'validFrom'],
        ['validFrom null', { validFrom: null }, 'validFrom'],
        ['validFrom a date alone, "2026-01-01" (issue 11)', { validFrom: '2026-01-01' }, 'validFrom'],
        ['validFrom a day the calendar does not have, "2026-02-30T00:00:00Z" (issue 11)', { validFrom: '2026-02-30T00:00:00Z' }, 'validFrom'],
        ['validUntil missing', { validUntil: undefined }, 'validUntil'],
        ['validUntil "not-a-date"', { validUntil: 'not-a-date' }, 'validUntil'],
        ['validUntil a number', { validUntil: Date.now() + DAY }, 'validUntil'],
        ['validUntil null', { validUntil: null }, 'validUntil'],
        ['an unknown field', { colour: 'red' }, 'colour'],
        ['a misspelt optional field', { perUserLimt: 2 }, 'perUserLimt'],
      ];
      for (const [label, overrides, field] of invalid) {
        it(`answers 400 VALIDATION_FAILED naming ${field} for ${label}`, async function () {
          expectValidation(await c.create(seller, couponBody(overrides)), COUPONS, field);
        });
      }

      it('answers 400 naming validUntil when it equals validFrom, is before it, or is in the past', async function () {
        const at = fromNow(DAY);
        expectValidation(await c.create(seller, couponBody({ validFrom: at, validUntil: at })), COUPONS, 'validUntil');
        expectValidation(await c.create(seller, couponBody({ validFrom: fromNow(2 * DAY), validUntil: fromNow(DAY) })), COUPONS, 'validUntil');
        expectValidation(await c.create(seller, couponBody({ validFrom: fromNow(-2 * DAY), validUntil: fromNow(-DAY) })), COUPONS, 'validUntil');
      });

      it('creates nothing for a refused body: the code is still free afterwards', async function () {
        const code = freshCode();
        expectValidation(await c.create(seller, couponBody({ code, discountValue: 0 })), COUPONS, 'discountValue');
        expect((await c.create(seller, couponBody({ code }))).status).to.equal(201);
      });

      it('answers 400 VALIDATION_FAILED for malformed JSON and for a body that is not an object', async function () {
        const res = await t.api.request('POST', COUPONS, { token: seller.token, rawBody: '{"code": "X', headers: { 'content-type': 'application/json' } });
        expectProblem(res, 400, 'VALIDATION_FAILED', COUPONS);
        expectProblem(await c.create(seller, [couponBody()]), 400, 'VALIDATION_FAILED', COUPONS);
      });

      it('answers 403 FORBIDDEN to a BUYER, and creates nothing (a SELLER can take the code afterwards)', async function () {
        const buyer = await t.newBuyer();
        const body = couponBody();

        expectProblem(await c.create(buyer, body), 403, 'FORBIDDEN', COUPONS);

        expect(expectCouponAnswer(await c.create(seller, body), 201).code).to.equal(body.code);
      });

      it('checks the shape (400) before the role (403): a BUYER with a bad body gets 400', async function () {
        const buyer = await t.newBuyer();
        expectValidation(await c.create(buyer, couponBody({ type: 'BOGO' })), COUPONS, 'type');
      });

      it('answers 401 UNAUTHENTICATED without a token or with a bad one, before looking at the body', async function () {
        expectProblem(await c.create(null, couponBody()), 401, 'UNAUTHENTICATED', COUPONS);
        expectProblem(await c.create(null, { code: '' }), 401, 'UNAUTHENTICATED', COUPONS);
        expectProblem(await c.create({ id: 0, email: '', password: '', token: 'not-a-jwt' }, couponBody()), 401, 'UNAUTHENTICATED', COUPONS);
      });

      it('answers 409 COUPON_CODE_TAKEN for a code already used, also differing only in case, by anyone; the first coupon unchanged', async function () {
        const code = freshCode('Dup');
        const first = expectCouponAnswer(await c.create(seller, couponBody({ code })), 201);

        expectProblem(await c.create(seller, couponBody({ code })), 409, 'COUPON_CODE_TAKEN', COUPONS);
        expectProblem(await c.create(await t.newAccount('SELLER'), couponBody({ code })), 409, 'COUPON_CODE_TAKEN', COUPONS);
        expectProblem(await c.create(t.admin, couponBody({ code: code.toLowerCase() })), 409, 'COUPON_CODE_TAKEN', COUPONS);
        const mixed = code.split('').map((ch, i) => (i % 2 ? ch.toLowerCase() : ch.toUpperCase())).join('');
        expectProblem(await c.create(seller, couponBody({ code: mixed })), 409, 'COUPON_CODE_TAKEN', COUPONS);

        expect(await c.getOk(seller, first.id)).to.deep.equal(first);
      });

      it('takes validFrom and validUntil with an offset and answers them in UTC', async function () {
        const coupon = expectCouponAnswer(
          await c.create(seller, couponBody({ validFrom: '2020-01-01T09:00:00+09:00', validUntil: '2099-06-30T23:30:00-02:00' })),
          201,
        );
        expect(coupon).to.include({ validFrom: '2020-01-01T00:00:00.000Z', validUntil: '2099-07-01T01:30:00.000Z', status: 'ACTIVE' });
      });

      it('takes money beyond 32 bits: minOrderAmount and maxDiscountAmount 3,000,000,000 come back exact', async function () {
        const coupon = await c.createOk(seller, { type: 'PERCENTAGE', discountValue: 5, minOrderAmount: 3_000_000_000, maxDiscountAmount: 3_000_000_000 });
        expect(coupon).to.include({ minOrderAmount: 3_000_000_000, maxDiscountAmount: 3_000_000_000 });
        expect(await c.getOk(seller, coupon.id)).to.deep.equal(coupon);
      });

      it('4 creates of one code at once: one 201, three 409 COUPON_CODE_TAKEN', async function () {
        const code = freshCode('Race');
        const answers = await Promise.all([0, 1, 2, 3].map((i) => c.create(seller, couponBody({ code: i % 2 ? code.toLowerCase() : code }))));
        expect(answers.filter((r) => r.status === 201), 'created').to.have.length(1);
        for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'COUPON_CODE_TAKEN', COUPONS);
      });

      it('replays the same Idempotency-Key: the same coupon with Idempotent-Replayed: true, not 409', async function () {
        const body = couponBody();
        const headers = { 'Idempotency-Key': freshIdempotencyKey('coupon') };

        const first = await c.create(seller, body, headers);
        const second = await c.create(seller, body, headers);

        const coupon = expectCouponAnswer(first, 201);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status, JSON.stringify(second.body)).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(coupon);
      });
    });

    describe('GET /api/v1/coupons/{couponId}', function () {
      let seller: Account;
      let coupon: Coupon;

      before(async function () {
        seller = await t.newAccount('SELLER');
        coupon = await c.createOk(seller, { type: 'PERCENTAGE', discountValue: 20, maxDiscountAmount: 4_000, totalQuantity: 3 });
      });

      it('200 to anyone with a token: its creator, a BUYER, another SELLER, an ADMIN', async function () {
        for (const who of [seller, await t.newBuyer(), await t.newAccount('SELLER'), t.admin]) {
          expect(await c.getOk(who, coupon.id)).to.deep.equal(coupon);
        }
      });

      it('answers 404 NOT_FOUND for an unknown coupon', async function () {
        expectProblem(await c.get(seller, UNKNOWN_ID), 404, 'NOT_FOUND', couponPath(UNKNOWN_ID));
        expectProblem(await c.get(t.admin, UNKNOWN_ID), 404, 'NOT_FOUND', couponPath(UNKNOWN_ID));
      });

      it('answers 400 VALIDATION_FAILED naming couponId for a non-numeric id', async function () {
        expectValidation(await c.get(seller, 'abc'), couponPath('abc'), 'couponId');
        expectValidation(await c.get(seller, '1.5'), couponPath('1.5'), 'couponId');
      });

      it('answers 400 VALIDATION_FAILED naming couponId for id 0 (ids are positive integers)', async function () {
        expectValidation(await c.get(seller, 0), couponPath(0), 'couponId');
      });

      it('answers 404 for an id past 32 bits (2,147,483,648), not an error', async function () {
        expectProblem(await c.get(seller, 2_147_483_648), 404, 'NOT_FOUND', couponPath(2_147_483_648));
      });

      it('answers 404 NOT_FOUND for routes that do not exist: POST /coupons/issue/unlimited, DELETE /coupons/{id}, GET /coupons/code/{code}', async function () {
        expectProblem(await t.api.get(`${COUPONS}/code/${coupon.code}`, { token: seller.token }), 404, 'NOT_FOUND', `${COUPONS}/code/${coupon.code}`);
        expectProblem(await t.api.post(`${ISSUE}/unlimited`, { couponId: coupon.id }, { token: seller.token }), 404, 'NOT_FOUND', `${ISSUE}/unlimited`);
        expectProblem(await t.api.request('DELETE', couponPath(coupon.id), { token: seller.token }), 404, 'NOT_FOUND', couponPath(coupon.id));
      });

      it('answers 401 UNAUTHENTICATED without a token', async function () {
        expectProblem(await c.get(null, coupon.id), 401, 'UNAUTHENTICATED', couponPath(coupon.id));
      });
    });

    describe('PATCH /api/v1/coupons/{couponId}', function () {
      let seller: Account;

      before(async function () {
        seller = await t.newAccount('SELLER');
      });

      it('its creator suspends it (200 SUSPENDED): issuing is 409 COUPON_NOT_ISSUABLE on both endpoints; back to ACTIVE, issuing works', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 10 });
        const buyer = await t.newBuyer();

        const suspended = await c.patchOk(seller, coupon.id, 'SUSPENDED');
        expect(suspended).to.deep.equal({ ...coupon, status: 'SUSPENDED' });
        expect(await c.getOk(buyer, coupon.id)).to.deep.equal(suspended);

        expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_NOT_ISSUABLE', ISSUE);
        expectProblem(await c.issue(buyer, { couponId: coupon.id }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
        expect((await c.getOk(buyer, coupon.id)).issuedQuantity).to.equal(0);
        expect(await c.listOk(buyer)).to.deep.equal([]);

        const active = await c.patchOk(seller, coupon.id, 'ACTIVE');
        expect(active).to.deep.equal({ ...coupon, status: 'ACTIVE' });

        const issued = await c.issueOk(buyer, coupon.id);
        expect(issued).to.deep.include(issuedFrom(coupon));
        expect(await c.getOk(buyer, coupon.id)).to.include({ status: 'ACTIVE', issuedQuantity: 1, remainingQuantity: 9 });
      });

      it('an ADMIN may suspend, reactivate and cancel a seller\'s coupon (another ADMIN too)', async function () {
        const coupon = await c.createOk(seller);
        const otherAdmin = await t.newAccount('ADMIN');

        expect((await c.patchOk(t.admin, coupon.id, 'SUSPENDED')).status).to.equal('SUSPENDED');
        expect((await c.patchOk(otherAdmin, coupon.id, 'ACTIVE')).status).to.equal('ACTIVE');
        const cancelled = await c.patchOk(t.admin, coupon.id, 'CANCELLED');
        expect(cancelled).to.deep.equal({ ...coupon, status: 'CANCELLED' });
        expect((await c.getOk(seller, coupon.id)).status).to.equal('CANCELLED');
      });

      it('answers 403 FORBIDDEN to another SELLER and to a BUYER, and leaves the coupon alone', async function () {
        const coupon = await c.createOk(seller);
        const path = couponPath(coupon.id);

        for (const status of ['SUSPENDED', 'CANCELLED', 'ACTIVE']) {
          expectProblem(await c.patch(await t.newAccount('SELLER'), coupon.id, { status }), 403, 'FORBIDDEN', path);
          expectProblem(await c.patch(await t.newBuyer(), coupon.id, { status }), 403, 'FORBIDDEN', path);
        }
        expect(await c.getOk(seller, coupon.id)).to.deep.equal(coupon);
      });

      it('a BUYER may change no coupon: 403 even for an unknown one (the role decides before the lookup)', async function () {
        expectProblem(await c.patch(await t.newBuyer(), UNKNOWN_ID, { status: 'SUSPENDED' }), 403, 'FORBIDDEN', couponPath(UNKNOWN_ID));
      });

      it('CANCELLED is final: SUSPENDED, ACTIVE and CANCELLED again are 409 INVALID_STATE (creator and ADMIN), issuing is 409 COUPON_NOT_ISSUABLE', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 5 });
        const path = couponPath(coupon.id);
        await c.patchOk(seller, coupon.id, 'CANCELLED');

        for (const status of ['SUSPENDED', 'ACTIVE', 'CANCELLED']) {
          expectProblem(await c.patch(seller, coupon.id, { status }), 409, 'INVALID_STATE', path);
          expectProblem(await c.patch(t.admin, coupon.id, { status }), 409, 'INVALID_STATE', path);
        }
        const buyer = await t.newBuyer();
        expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_NOT_ISSUABLE', ISSUE);
        expectProblem(await c.issue(buyer, { couponId: coupon.id }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
        expect(await c.getOk(seller, coupon.id)).to.deep.equal({ ...coupon, status: 'CANCELLED' });
      });

      it('a SUSPENDED coupon can be CANCELLED', async function () {
        const coupon = await c.createOk(seller);
        await c.patchOk(seller, coupon.id, 'SUSPENDED');
        expect((await c.patchOk(seller, coupon.id, 'CANCELLED')).status).to.equal('CANCELLED');
      });

      it('ACTIVE on a coupon that is not suspended is a no-op answering 200 with the coupon (ACTIVE, and CREATED)', async function () {
        const active = await c.createOk(seller);
        const later = await c.createOk(seller, { validFrom: fromNow(DAY), validUntil: fromNow(2 * DAY) });

        expect(await c.patchOk(seller, active.id, 'ACTIVE')).to.deep.equal(active);
        expect(await c.patchOk(seller, later.id, 'ACTIVE')).to.deep.equal(later);
        expect(later.status).to.equal('CREATED');
      });

      it('un-suspending shows the status worked out again: CREATED before validFrom, EXHAUSTED when all are issued', async function () {
        const later = await c.createOk(seller, { validFrom: fromNow(DAY), validUntil: fromNow(2 * DAY) });
        expect((await c.patchOk(seller, later.id, 'SUSPENDED')).status).to.equal('SUSPENDED');
        expect((await c.patchOk(seller, later.id, 'ACTIVE')).status).to.equal('CREATED');

        const one = await c.createOk(seller, { totalQuantity: 1 });
        await c.issueOk(await t.newBuyer(), one.id);
        expect((await c.getOk(seller, one.id)).status).to.equal('EXHAUSTED');
        expect((await c.patchOk(seller, one.id, 'SUSPENDED')).status).to.equal('SUSPENDED');
        expect(await c.patchOk(seller, one.id, 'ACTIVE')).to.include({ status: 'EXHAUSTED', issuedQuantity: 1, remainingQuantity: 0 });
      });

      const bodies: Array<[unknown, string]> = [
        [{ status: 'EXPIRED' }, 'status'],
        [{ status: 'EXHAUSTED' }, 'status'],
        [{ status: 'CREATED' }, 'status'],
        [{ status: 'suspended' }, 'status'],
        [{ status: null }, 'status'],
        [{ status: 1 }, 'status'],
        [{}, 'status'],
        [{ status: 'SUSPENDED', name: 'renamed' }, 'name'],
      ];
      for (const [body, field] of bodies) {
        it(`answers 400 VALIDATION_FAILED naming ${field} for the body ${JSON.stringify(body)}, and leaves the coupon alone`, async function () {
          const coupon = await c.createOk(seller);
          expectValidation(await c.patch(seller, coupon.id, body), couponPath(coupon.id), field);
          expect(await c.getOk(seller, coupon.id)).to.deep.equal(coupon);
        });
      }

      it('answers 404 for an unknown coupon (SELLER, ADMIN), 400 for a non-numeric id, 401 without a token', async function () {
        expectProblem(await c.patch(seller, UNKNOWN_ID, { status: 'SUSPENDED' }), 404, 'NOT_FOUND', couponPath(UNKNOWN_ID));
        expectProblem(await c.patch(t.admin, UNKNOWN_ID, { status: 'SUSPENDED' }), 404, 'NOT_FOUND', couponPath(UNKNOWN_ID));
        expectValidation(await c.patch(seller, 'abc', { status: 'SUSPENDED' }), couponPath('abc'), 'couponId');
        const coupon = await c.createOk(seller);
        expectProblem(await c.patch(null, coupon.id, { status: 'SUSPENDED' }), 401, 'UNAUTHENTICATED', couponPath(coupon.id));
        expect(await c.getOk(seller, coupon.id)).to.deep.equal(coupon);
      });
    });

    describe('POST /api/v1/coupons/issue and /issue/limited', function () {
      let seller: Account;

      before(async function () {
        seller = await t.newAccount('SELLER');
      });

      for (const limited of [false, true]) {
        const path = limited ? ISSUE_LIMITED : ISSUE;

        it(`${path}: 201, exactly the user coupon shape, ISSUED, expiresAt = validUntil; the coupon counts one more issued`, async function () {
          const coupon = await c.createOk(seller, { type: 'PERCENTAGE', discountValue: 30, totalQuantity: 5, name: 'Thirty off' });
          const buyer = await t.newBuyer();
          const before = Date.now();

          const issued = expectUserCouponAnswer(await c.issue(buyer, { couponId: coupon.id }, { limited }), 201);
          const after = Date.now();

          expect(issued).to.deep.equal({ id: issued.id, issuedAt: issued.issuedAt, ...issuedFrom(coupon) });
          expect(issued).to.include({ couponId: coupon.id, code: coupon.code, name: 'Thirty off', type: 'PERCENTAGE', discountValue: 30 });
          expectTimeWithin(issued.issuedAt, before, after);
          expect(await c.getOk(buyer, coupon.id)).to.deep.equal({ ...coupon, issuedQuantity: 1, remainingQuantity: 4 });
          expect(await c.listOk(buyer)).to.deep.equal([issued]);
        });

        it(`${path}: 409 COUPON_EXHAUSTED after totalQuantity; the coupon EXHAUSTED with remainingQuantity 0`, async function () {
          const coupon = await c.createOk(seller, { totalQuantity: 2 });
          const [a, b, late] = [await t.newBuyer(), await t.newBuyer(), await t.newBuyer()];

          await c.issueOk(a, coupon.id, limited);
          await c.issueOk(b, coupon.id, limited);
          expectProblem(await c.issue(late, { couponId: coupon.id }, { limited }), 409, 'COUPON_EXHAUSTED', path);

          expect(await c.getOk(late, coupon.id)).to.deep.equal({ ...coupon, issuedQuantity: 2, remainingQuantity: 0, status: 'EXHAUSTED' });
          expect(await c.listOk(late)).to.deep.equal([]);
          // The other endpoint agrees.
          expectProblem(await c.issue(late, { couponId: coupon.id }, { limited: !limited }), 409, 'COUPON_EXHAUSTED', limited ? ISSUE : ISSUE_LIMITED);
        });

        it(`${path}: perUserLimit 2 lets a user have two, the third is 409 COUPON_ALREADY_ISSUED; another user still gets one`, async function () {
          const coupon = await c.createOk(seller, { totalQuantity: 10, perUserLimit: 2 });
          const buyer = await t.newBuyer();

          const first = await c.issueOk(buyer, coupon.id, limited);
          const second = await c.issueOk(buyer, coupon.id, limited);
          expect(second.id).to.not.equal(first.id);
          expectProblem(await c.issue(buyer, { couponId: coupon.id }, { limited }), 409, 'COUPON_ALREADY_ISSUED', path);

          expect((await c.listOk(buyer)).map((u) => u.id)).to.have.members([first.id, second.id]);
          expect(await c.getOk(buyer, coupon.id)).to.include({ issuedQuantity: 2, remainingQuantity: 8, status: 'ACTIVE' });
          await c.issueOk(await t.newBuyer(), coupon.id, limited);
        });

        it(`${path}: COUPON_NOT_ISSUABLE for a coupon whose validFrom is in the future (status CREATED)`, async function () {
          const coupon = await c.createOk(seller, { totalQuantity: 10, validFrom: fromNow(HOUR), validUntil: fromNow(DAY) });
          const buyer = await t.newBuyer();

          expectProblem(await c.issue(buyer, { couponId: coupon.id }, { limited }), 409, 'COUPON_NOT_ISSUABLE', path);

          expect(await c.getOk(buyer, coupon.id)).to.deep.equal(coupon);
          expect(await c.listOk(buyer)).to.deep.equal([]);
        });

        it(`${path}: 404 NOT_FOUND for an unknown coupon, 401 without a token`, async function () {
          expectProblem(await c.issue(await t.newBuyer(), { couponId: UNKNOWN_ID }, { limited }), 404, 'NOT_FOUND', path);
          const coupon = await c.createOk(seller, { totalQuantity: 10 });
          expectProblem(await c.issue(null, { couponId: coupon.id }, { limited }), 401, 'UNAUTHENTICATED', path);
          expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(0);
        });

        const bad: Array<[string, (couponId: number) => unknown, string]> = [
          // Neither couponId nor couponCode (which would do as well): the body is at fault.
          ['no couponId', () => ({}), 'body'],
          ['couponId "abc"', () => ({ couponId: 'abc' }), 'couponId'],
          ['couponId 0', () => ({ couponId: 0 }), 'couponId'],
          ['couponId -1', () => ({ couponId: -1 }), 'couponId'],
          ['couponId 1.5', () => ({ couponId: 1.5 }), 'couponId'],
          ['couponId null', () => ({ couponId: null }), 'couponId'],
          ['an unknown field', (couponId) => ({ couponId, userId: 1 }), 'userId'],
        ];
        for (const [label, body, field] of bad) {
          it(`${path}: 400 VALIDATION_FAILED naming ${field} for ${label}, issuing nothing`, async function () {
            const coupon = await c.createOk(seller, { totalQuantity: 10 });
            const buyer = await t.newBuyer();
            expectValidation(await c.issue(buyer, body(coupon.id), { limited }), path, field);
            expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(0);
            expect(await c.listOk(buyer)).to.deep.equal([]);
          });
        }
      }

      it('/issue/limited answers 409 COUPON_NOT_ISSUABLE for a coupon without totalQuantity; /issue gives it', async function () {
        const coupon = await c.createOk(seller);
        const buyer = await t.newBuyer();

        expectProblem(await c.issue(buyer, { couponId: coupon.id }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
        expect(await c.listOk(buyer)).to.deep.equal([]);
        expect((await c.getOk(buyer, coupon.id)).issuedQuantity).to.equal(0);

        const issued = await c.issueOk(buyer, coupon.id);
        expect(issued).to.deep.include(issuedFrom(coupon));
        expect(await c.getOk(buyer, coupon.id)).to.include({ issuedQuantity: 1, totalQuantity: null, remainingQuantity: null, status: 'ACTIVE' });
      });

      it('perUserLimit defaults to 1: a second issue to the same user is 409 COUPON_ALREADY_ISSUED', async function () {
        const coupon = await c.createOk(seller);
        const buyer = await t.newBuyer();
        await c.issueOk(buyer, coupon.id);
        expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
        expect((await c.getOk(buyer, coupon.id)).issuedQuantity).to.equal(1);
      });

      it('already-issued is checked before exhausted: the holder of the last one gets COUPON_ALREADY_ISSUED, anyone else COUPON_EXHAUSTED', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 1 });
        const holder = await t.newBuyer();
        await c.issueOk(holder, coupon.id, true);

        expectProblem(await c.issue(holder, { couponId: coupon.id }, { limited: true }), 409, 'COUPON_ALREADY_ISSUED', ISSUE_LIMITED);
        expectProblem(await c.issue(holder, { couponId: coupon.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
        expectProblem(await c.issue(await t.newBuyer(), { couponId: coupon.id }, { limited: true }), 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
      });

      it('a user below perUserLimit asking for an exhausted coupon gets COUPON_EXHAUSTED', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 1, perUserLimit: 2 });
        const holder = await t.newBuyer();
        await c.issueOk(holder, coupon.id);
        expectProblem(await c.issue(holder, { couponId: coupon.id }), 409, 'COUPON_EXHAUSTED', ISSUE);
        expect(await c.listOk(holder)).to.have.length(1);
      });

      it('any role may be issued one: a SELLER and an ADMIN get 201', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 10 });
        const other = await t.newAccount('SELLER');
        expect((await c.issueOk(other, coupon.id)).couponId).to.equal(coupon.id);
        expect((await c.issueOk(t.admin, coupon.id, true)).couponId).to.equal(coupon.id);
        expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(2);
      });

      it('first come, first served: 12 users at once for 5 coupons get exactly five 201s and seven 409 COUPON_EXHAUSTED', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 5 });
        const buyers = await Promise.all(Array.from({ length: 12 }, () => t.newBuyer()));

        const answers = await Promise.all(buyers.map((b) => c.issue(b, { couponId: coupon.id }, { limited: true })));

        const issued = answers.filter((r) => r.status === 201);
        expect(issued, 'coupons issued').to.have.length(5);
        for (const r of issued) expectUserCouponAnswer(r, 201);
        for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
        expect(new Set(issued.map((r) => r.body.id)).size, 'distinct user coupons').to.equal(5);
        expect(await c.getOk(seller, coupon.id)).to.include({ issuedQuantity: 5, remainingQuantity: 0, status: 'EXHAUSTED' });
      });

      it('one user asking 6 times at once with perUserLimit 2 gets exactly two', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 100, perUserLimit: 2 });
        const buyer = await t.newBuyer();

        const answers = await Promise.all(Array.from({ length: 6 }, () => c.issue(buyer, { couponId: coupon.id })));

        expect(answers.filter((r) => r.status === 201), 'issued').to.have.length(2);
        for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'COUPON_ALREADY_ISSUED', ISSUE);
        expect(await c.listOk(buyer)).to.have.length(2);
        expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(2);
      });

      it('answers 404 for a couponId past 32 bits (2,147,483,648), issuing nothing', async function () {
        const buyer = await t.newBuyer();
        expectProblem(await c.issue(buyer, { couponId: 2_147_483_648 }), 404, 'NOT_FOUND', ISSUE);
        expectProblem(await c.issue(buyer, { couponId: 2_147_483_648 }, { limited: true }), 404, 'NOT_FOUND', ISSUE_LIMITED);
        expect(await c.listOk(buyer)).to.deep.equal([]);
      });

      it('the same Idempotency-Key with another body is 422 IDEMPOTENCY_KEY_REUSED and issues nothing', async function () {
        const a = await c.createOk(seller, { totalQuantity: 10 });
        const b = await c.createOk(seller, { totalQuantity: 10 });
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshIdempotencyKey('issue') };

        expectUserCouponAnswer(await c.issue(buyer, { couponId: a.id }, { headers }), 201);
        expectProblem(await c.issue(buyer, { couponId: b.id }, { headers }), 422, 'IDEMPOTENCY_KEY_REUSED', ISSUE);

        expect((await c.getOk(buyer, b.id)).issuedQuantity).to.equal(0);
        expect((await c.listOk(buyer)).map((u) => u.couponId)).to.deep.equal([a.id]);
      });

      it('replays the same Idempotency-Key: the same user coupon with Idempotent-Replayed: true, not COUPON_ALREADY_ISSUED', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 10 });
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshIdempotencyKey('issue') };

        const first = await c.issue(buyer, { couponId: coupon.id }, { headers });
        const second = await c.issue(buyer, { couponId: coupon.id }, { headers });

        const issued = expectUserCouponAnswer(first, 201);
        expect(second.status, JSON.stringify(second.body)).to.equal(201);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(issued);
        expect((await c.getOk(buyer, coupon.id)).issuedQuantity).to.equal(1);
      });
    });

    describe('GET /api/v1/coupons/user/{userId}', function () {
      let seller: Account;
      let buyer: Account;
      let issued: UserCoupon[];

      before(async function () {
        seller = await t.newAccount('SELLER');
        buyer = await t.newBuyer();
        issued = [];
        for (const name of ['first', 'second', 'third']) {
          const coupon = await c.createOk(seller, { name, totalQuantity: 10 });
          issued.push(await c.issueOk(buyer, coupon.id));
          await sleep(20);
        }
      });

      it('answers {items: []} to a user who has none', async function () {
        const res = await c.list((await t.newBuyer()), 'me');
        expect(res.status).to.equal(200);
        expect(res.body).to.deep.equal({ items: [] });
      });

      it('answers the caller\'s own user coupons, newest first, for `me` and for their own id alike', async function () {
        const mine = await c.listOk(buyer, 'me');
        expect(mine).to.deep.equal([...issued].reverse());
        expect(mine.map((u) => u.name)).to.deep.equal(['third', 'second', 'first']);
        expect(await c.listOk(buyer, buyer.id)).to.deep.equal(mine);
        // Someone else's issue does not show in it.
        const other = await t.newBuyer();
        await c.issueOk(other, issued[0]!.couponId);
        expect(await c.listOk(buyer)).to.deep.equal(mine);
      });

      it('filters by status', async function () {
        expect(await c.listOk(buyer, 'me', '?status=ISSUED')).to.deep.equal([...issued].reverse());
        for (const status of ['USED', 'EXPIRED', 'REFUNDED']) expect(await c.listOk(buyer, 'me', `?status=${status}`), status).to.deep.equal([]);
      });

      for (const query of ['?status=LOST', '?status=issued']) {
        it(`answers 400 VALIDATION_FAILED naming status for ${query}`, async function () {
          expectValidation(await c.list(buyer, 'me', query), userCouponsPath('me'), 'status');
        });
      }

      it('answers 400 VALIDATION_FAILED naming userId for a userId that is neither an id nor `me`', async function () {
        expectValidation(await c.list(buyer, 'abc'), userCouponsPath('abc'), 'userId');
      });

      it('answers 403 FORBIDDEN to a BUYER or SELLER naming another user, whether or not that user exists', async function () {
        const other = await t.newBuyer();
        expectProblem(await c.list(other, buyer.id), 403, 'FORBIDDEN', userCouponsPath(buyer.id));
        expectProblem(await c.list(other, UNKNOWN_ID), 403, 'FORBIDDEN', userCouponsPath(UNKNOWN_ID));
        expectProblem(await c.list(seller, buyer.id), 403, 'FORBIDDEN', userCouponsPath(buyer.id));
        expectProblem(await c.list(seller, UNKNOWN_ID), 403, 'FORBIDDEN', userCouponsPath(UNKNOWN_ID));
      });

      it('an ADMIN reads a buyer\'s list (with the filter too); an ADMIN naming an unknown user gets 404', async function () {
        expect(await c.listOk(t.admin, buyer.id)).to.deep.equal([...issued].reverse());
        expect(await c.listOk(t.admin, buyer.id, '?status=ISSUED')).to.deep.equal([...issued].reverse());
        expect(await c.listOk(t.admin, buyer.id, '?status=USED')).to.deep.equal([]);
        expectProblem(await c.list(t.admin, UNKNOWN_ID), 404, 'NOT_FOUND', userCouponsPath(UNKNOWN_ID));
        // The admin's own list is theirs, not the buyer's.
        for (const u of await c.listOk(t.admin, 'me')) expect(issued.map((i) => i.id)).to.not.include(u.id);
      });

      it('a SELLER reads their own list; an ADMIN reads a SELLER\'s', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 10 });
        const shopper = await t.newAccount('SELLER');
        const held = await c.issueOk(shopper, coupon.id);
        expect(await c.listOk(shopper, 'me')).to.deep.equal([held]);
        expect(await c.listOk(shopper, shopper.id)).to.deep.equal([held]);
        expect(await c.listOk(t.admin, shopper.id)).to.deep.equal([held]);
      });

      it('answers 401 UNAUTHENTICATED without a token', async function () {
        expectProblem(await c.list(null, 'me'), 401, 'UNAUTHENTICATED', userCouponsPath('me'));
        expectProblem(await c.list(null, buyer.id), 401, 'UNAUTHENTICATED', userCouponsPath(buyer.id));
      });
    });

    describe('coupons in orders', function () {
      let seller: Account;

      before(async function () {
        seller = await t.newAccount('SELLER');
      });

      /** A buyer with `balance` won and one user coupon of a new coupon made with `overrides`. */
      const buyerWithCoupon = async (balance: number, overrides: Parameters<typeof couponBody>[0]) => {
        const coupon = await c.createOk(seller, overrides);
        const buyer = await o.buyerWith(balance);
        const userCoupon = await c.issueOk(buyer, coupon.id);
        return { coupon, buyer, userCoupon };
      };

      // Prices are multiples of 100, so an integer percentage of any order total is a whole number of
      // won: the round-down of DOMAIN.md (1,235 × 10% = 123) cannot show through the API. The unit
      // tests own it; here the exact amounts are checked.
      it('PERCENTAGE: 15% of 12,300 is 1,845 (finalAmount 10,455); the order carries userCouponId; paying debits 10,455', async function () {
        const listing = await o.listing({ seller, price: 4_100 });
        const { buyer, userCoupon } = await buyerWithCoupon(20_000, { type: 'PERCENTAGE', discountValue: 15 });

        const order = expectOrderAnswer(await placeWith(buyer, listing, 3, userCoupon.id), 201);

        expect(order).to.include({ status: 'CREATED', totalAmount: 12_300, discountAmount: 1_845, finalAmount: 10_455, userCouponId: userCoupon.id });
        expect(await o.getOk(buyer, order.id)).to.deep.equal(order);
        expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 3, availableStock: 7 });

        const payment = await o.payOk(buyer, order.id);
        expect(payment).to.include({ orderId: order.id, amount: 10_455, status: 'COMPLETED' });
        expect(await o.balanceOf(buyer)).to.equal(20_000 - 10_455);
        const [latest] = await o.historyOf(buyer);
        expect(latest).to.include({ type: 'PAYMENT', amount: -10_455, balanceAfter: 9_545, orderId: order.id });
      });

      it('PERCENTAGE is capped at maxDiscountAmount: 50% of 10,000 with cap 3,000 is 3,000; 10% of 10,000 with cap 3,000 stays 1,000', async function () {
        const listing = await o.listing({ seller, price: 5_000 });
        const capped = await buyerWithCoupon(0, { type: 'PERCENTAGE', discountValue: 50, maxDiscountAmount: 3_000 });
        const under = await buyerWithCoupon(0, { type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 3_000 });

        const a = expectOrderAnswer(await placeWith(capped.buyer, listing, 2, capped.userCoupon.id), 201);
        const b = expectOrderAnswer(await placeWith(under.buyer, listing, 2, under.userCoupon.id), 201);

        expect(a).to.include({ totalAmount: 10_000, discountAmount: 3_000, finalAmount: 7_000, userCouponId: capped.userCoupon.id });
        expect(b).to.include({ totalAmount: 10_000, discountAmount: 1_000, finalAmount: 9_000, userCouponId: under.userCoupon.id });
      });

      it('PERCENTAGE 100 without a cap makes the order free', async function () {
        const listing = await o.listing({ seller, price: 3_300 });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'PERCENTAGE', discountValue: 100 });
        const order = expectOrderAnswer(await placeWith(buyer, listing, 3, userCoupon.id), 201);
        expect(order).to.include({ totalAmount: 9_900, discountAmount: 9_900, finalAmount: 0 });
      });

      it('FIXED below the total: 2,500 off 10,000 is 7,500 to pay', async function () {
        const listing = await o.listing({ seller, price: 10_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(10_000, { type: 'FIXED', discountValue: 2_500 });

        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        expect(order).to.include({ totalAmount: 10_000, discountAmount: 2_500, finalAmount: 7_500 });

        expect((await o.payOk(buyer, order.id)).amount).to.equal(7_500);
        expect(await o.balanceOf(buyer)).to.equal(2_500);
      });

      it('a cap binds FIXED too (an operator who sets a maximum discount means it): 5,000 off 10,000 with maxDiscountAmount 2,000 is 2,000', async function () {
        const listing = await o.listing({ seller, price: 10_000 });
        const { coupon, buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 5_000, maxDiscountAmount: 2_000 });
        expect(coupon).to.include({ type: 'FIXED', discountValue: 5_000, maxDiscountAmount: 2_000 });

        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);

        expect(order).to.include({ totalAmount: 10_000, discountAmount: 2_000, finalAmount: 8_000 });
      });

      it('FIXED above the total: the discount is the total, finalAmount 0; paying it debits nothing and uses the coupon', async function () {
        const listing = await o.listing({ seller, price: 10_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(1_000, { type: 'FIXED', discountValue: 50_000 });

        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        expect(order).to.include({ totalAmount: 10_000, discountAmount: 10_000, finalAmount: 0, userCouponId: userCoupon.id });

        const payment = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 200);
        expect(payment).to.include({ orderId: order.id, amount: 0, status: 'COMPLETED' });
        expect(await o.balanceOf(buyer)).to.equal(1_000);
        expect((await o.getOk(buyer, order.id)).status).to.equal('CONFIRMED');
        expect(await c.mine(buyer, userCoupon.id)).to.include({ status: 'USED', orderId: order.id });
        expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 9, reservedStock: 0, availableStock: 9 });
      });

      it('minOrderAmount not met: 422 COUPON_NOT_APPLICABLE, nothing reserved, the coupon untouched; exactly met: 201', async function () {
        const listing = await o.listing({ seller, price: 5_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000, minOrderAmount: 10_000 });

        expectProblem(await placeWith(buyer, listing, 1, userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);

        await expectUntouched(listing, 10);
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
        expect((await o.listOk(buyer)).totalItems).to.equal(0);

        const order = expectOrderAnswer(await placeWith(buyer, listing, 2, userCoupon.id), 201);
        expect(order).to.include({ totalAmount: 10_000, discountAmount: 1_000, finalAmount: 9_000 });
      });

      it('someone else\'s user coupon: 422 COUPON_NOT_APPLICABLE, nothing reserved, the owner\'s coupon untouched', async function () {
        const listing = await o.listing({ seller });
        const { buyer: owner, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });
        const thief = await t.newBuyer();

        expectProblem(await placeWith(thief, listing, 1, userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);

        await expectUntouched(listing, 10);
        expect(await c.mine(owner, userCoupon.id)).to.deep.equal(userCoupon);
        // The owner can still use it.
        expect(expectOrderAnswer(await placeWith(owner, listing, 1, userCoupon.id), 201).discountAmount).to.equal(1_000);
      });

      it('an unknown userCouponId: 422 COUPON_NOT_APPLICABLE, nothing reserved', async function () {
        const listing = await o.listing({ seller });
        const buyer = await t.newBuyer();
        expectProblem(await placeWith(buyer, listing, 1, UNKNOWN_ID), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        expectProblem(await placeWith(buyer, listing, 1, 2_147_483_648), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        await expectUntouched(listing, 10);
      });

      it('bound to a live unpaid order: shows orderId, still ISSUED; a second order with it is 422 and reserves nothing; after a cancel it applies again', async function () {
        const first = await o.listing({ seller });
        const second = await o.listing({ seller });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });

        const order = expectOrderAnswer(await placeWith(buyer, first, 1, userCoupon.id), 201);
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...userCoupon, status: 'ISSUED', orderId: order.id, usedAt: null });

        expectProblem(await placeWith(buyer, second, 1, userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        await expectUntouched(second, 10);
        expect((await o.stockOf(first.product.id, first.option.id)).reservedStock).to.equal(1);

        expect((await o.cancel(buyer, order.id)).status).to.equal(200);
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
        const again = expectOrderAnswer(await placeWith(buyer, second, 1, userCoupon.id), 201);
        expect(again).to.include({ discountAmount: 1_000, userCouponId: userCoupon.id });
      });

      it('the full flow: bound (orderId, ISSUED) → paid (USED, usedAt) → refunded (REFUNDED, orderId null, wallet credited finalAmount) → applies to a new order (REFUNDED while bound) → paid again (USED)', async function () {
        const listing = await o.listing({ seller, price: 10_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(30_000, { type: 'FIXED', discountValue: 3_000 });

        // Bound to the unpaid order.
        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        expect(order).to.include({ totalAmount: 10_000, discountAmount: 3_000, finalAmount: 7_000, userCouponId: userCoupon.id });
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...userCoupon, status: 'ISSUED', orderId: order.id, usedAt: null });

        // Paid: USED.
        const before = Date.now();
        const payment = await o.payOk(buyer, order.id);
        const after = Date.now();
        expect(payment).to.include({ amount: 7_000, status: 'COMPLETED' });
        expect(await o.balanceOf(buyer)).to.equal(23_000);
        const used = await c.mine(buyer, userCoupon.id);
        expect(used).to.deep.include({ id: userCoupon.id, status: 'USED', orderId: order.id, issuedAt: userCoupon.issuedAt, expiresAt: userCoupon.expiresAt });
        expectTimeWithin(used.usedAt, before, after);
        expect((await c.listOk(buyer, 'me', '?status=USED')).map((u) => u.id)).to.deep.equal([userCoupon.id]);
        expect(await c.listOk(buyer, 'me', '?status=ISSUED')).to.deep.equal([]);

        // Refunded: REFUNDED, free again, the wallet credited what was paid.
        const refund = expectRefundAnswer(await o.refund(buyer, { orderId: order.id }), 201);
        expect(refund).to.include({ orderId: order.id, amount: 7_000, status: 'REFUNDED' });
        expect(await o.balanceOf(buyer)).to.equal(30_000);
        const [latest] = await o.historyOf(buyer);
        expect(latest).to.include({ type: 'REFUND', amount: 7_000, balanceAfter: 30_000, orderId: order.id });
        const refunded = await c.mine(buyer, userCoupon.id);
        expect(refunded).to.deep.equal({ ...userCoupon, status: 'REFUNDED', usedAt: null, orderId: null });
        expect((await c.listOk(buyer, 'me', '?status=REFUNDED')).map((u) => u.id)).to.deep.equal([userCoupon.id]);
        expect(await c.listOk(buyer, 'me', '?status=USED')).to.deep.equal([]);

        // Applies to a new order; bound, it stays REFUNDED.
        const next = expectOrderAnswer(await placeWith(buyer, listing, 2, userCoupon.id), 201);
        expect(next).to.include({ totalAmount: 20_000, discountAmount: 3_000, finalAmount: 17_000, userCouponId: userCoupon.id });
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...refunded, orderId: next.id });

        // Paid again: USED by the new order.
        expect((await o.payOk(buyer, next.id)).amount).to.equal(17_000);
        expect(await o.balanceOf(buyer)).to.equal(13_000);
        expect(await c.mine(buyer, userCoupon.id)).to.include({ status: 'USED', orderId: next.id });
      });

      it('a REFUNDED coupon bound to an unpaid order that is cancelled goes back to REFUNDED with orderId null', async function () {
        const listing = await o.listing({ seller, price: 10_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(10_000, { type: 'FIXED', discountValue: 1_000 });
        const { id: paidId } = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        await o.payOk(buyer, paidId);
        expect((await o.refund(buyer, { orderId: paidId })).status).to.equal(201);

        const unpaid = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        expect(await c.mine(buyer, userCoupon.id)).to.include({ status: 'REFUNDED', orderId: unpaid.id });
        expect((await o.cancel(buyer, unpaid.id)).status).to.equal(200);

        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...userCoupon, status: 'REFUNDED', usedAt: null, orderId: null });
      });

      it('cancelling an unpaid order gives the coupon back: ISSUED, orderId null; it applies to a new order', async function () {
        const listing = await o.listing({ seller, price: 8_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'PERCENTAGE', discountValue: 25 });
        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);

        const cancelled = expectOrderAnswer(await o.cancel(buyer, order.id, { reason: 'changed my mind' }), 200);

        expect(cancelled).to.include({ status: 'CANCELLED', userCouponId: userCoupon.id });
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
        await expectUntouched(listing, 10);
        const again = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        expect(again).to.include({ totalAmount: 8_000, discountAmount: 2_000, finalAmount: 6_000 });
      });

      it('cancelling a paid (CONFIRMED) order refunds it and turns the coupon REFUNDED, orderId null', async function () {
        const listing = await o.listing({ seller, price: 10_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(10_000, { type: 'FIXED', discountValue: 4_000 });
        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        await o.payOk(buyer, order.id);
        expect(await o.balanceOf(buyer)).to.equal(4_000);

        expect(expectOrderAnswer(await o.cancel(buyer, order.id), 200).status).to.equal('CANCELLED');

        expect(await o.balanceOf(buyer)).to.equal(10_000);
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...userCoupon, status: 'REFUNDED', usedAt: null, orderId: null });
      });

      it('a USED coupon on a new order: 422 COUPON_NOT_APPLICABLE, nothing reserved, the coupon still USED by the first order', async function () {
        const paidListing = await o.listing({ seller, price: 5_000 });
        const listing = await o.listing({ seller, price: 5_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(10_000, { type: 'FIXED', discountValue: 1_000 });
        const order = expectOrderAnswer(await placeWith(buyer, paidListing, 1, userCoupon.id), 201);
        await o.payOk(buyer, order.id);
        const used = await c.mine(buyer, userCoupon.id);
        expect(used).to.include({ status: 'USED', orderId: order.id });

        expectProblem(await placeWith(buyer, listing, 1, userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);

        await expectUntouched(listing, 10);
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(used);
        expect(await o.balanceOf(buyer)).to.equal(6_000);
      });

      it('a coupon SUSPENDED or CANCELLED by its creator: 422 COUPON_NOT_APPLICABLE, nothing reserved; re-activated, it applies', async function () {
        const listing = await o.listing({ seller });
        const suspended = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });
        const cancelled = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });
        await c.patchOk(seller, suspended.coupon.id, 'SUSPENDED');
        await c.patchOk(seller, cancelled.coupon.id, 'CANCELLED');

        expectProblem(await placeWith(suspended.buyer, listing, 1, suspended.userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        expectProblem(await placeWith(cancelled.buyer, listing, 1, cancelled.userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        await expectUntouched(listing, 10);

        await c.patchOk(seller, suspended.coupon.id, 'ACTIVE');
        expect(expectOrderAnswer(await placeWith(suspended.buyer, listing, 1, suspended.userCoupon.id), 201).discountAmount).to.equal(1_000);
      });

      it('PERCENTAGE covers the whole order total over several lines: 10% of 23,400 is 2,340', async function () {
        const a = await o.listing({ seller, price: 4_500 });
        const b = await o.listing({ seller, price: 7_200 });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'PERCENTAGE', discountValue: 10 });

        const order = expectOrderAnswer(
          await o.place(buyer, {
            items: [
              { productId: a.product.id, quantity: 2 },
              { productId: b.product.id, quantity: 2 },
            ],
            userCouponId: userCoupon.id,
          }),
          201,
        );

        expect(order).to.include({ totalAmount: 23_400, discountAmount: 2_340, finalAmount: 21_060, userCouponId: userCoupon.id });
      });

      it('an order refused for its lines (409 INSUFFICIENT_STOCK, 404 unknown product) leaves the coupon unbound and usable', async function () {
        const listing = await o.listing({ seller, options: [{ name: 'ONE', stock: 2 }] });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });

        expectProblem(await placeWith(buyer, listing, 3, userCoupon.id), 409, 'INSUFFICIENT_STOCK', ORDERS);
        expectProblem(await o.place(buyer, { items: [{ productId: UNKNOWN_ID, quantity: 1 }], userCouponId: userCoupon.id }), 404, 'NOT_FOUND', ORDERS);

        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
        await expectUntouched(listing, 2);
        expect(expectOrderAnswer(await placeWith(buyer, listing, 2, userCoupon.id), 201).discountAmount).to.equal(1_000);
      });

      it('replaying an order with a coupon (same Idempotency-Key) answers the same order, not 422; the coupon bound once', async function () {
        const listing = await o.listing({ seller });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });
        const headers = { 'Idempotency-Key': freshIdempotencyKey('coupon-order') };
        const body = { items: [{ productId: listing.product.id, quantity: 1 }], userCouponId: userCoupon.id };

        const first = await o.place(buyer, body, headers);
        const replay = await o.place(buyer, body, headers);

        const order = expectOrderAnswer(first, 201);
        expect(replay.status, JSON.stringify(replay.body)).to.equal(201);
        expect(replay.headers.get('idempotent-replayed')).to.equal('true');
        expect(replay.body).to.deep.equal(order);
        expect((await o.listOk(buyer)).totalItems).to.equal(1);
        expect(await c.mine(buyer, userCoupon.id)).to.include({ status: 'ISSUED', orderId: order.id });
      });

      it('using a user coupon does not change the coupon\'s counts: still ACTIVE, issuedQuantity as before', async function () {
        const listing = await o.listing({ seller, price: 5_000 });
        const { coupon, buyer, userCoupon } = await buyerWithCoupon(10_000, { type: 'FIXED', discountValue: 1_000, totalQuantity: 5 });
        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        await o.payOk(buyer, order.id);

        expect(await c.getOk(buyer, coupon.id)).to.deep.equal({ ...coupon, issuedQuantity: 1, remainingQuantity: 4 });
      });

      it('a held coupon counts toward perUserLimit whatever its state: after using it, issuing again is 409 COUPON_ALREADY_ISSUED', async function () {
        const listing = await o.listing({ seller, price: 5_000 });
        const { coupon, buyer, userCoupon } = await buyerWithCoupon(5_000, { type: 'FIXED', discountValue: 1_000, totalQuantity: 10 });
        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);
        await o.payOk(buyer, order.id);

        expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
        expect((await c.getOk(buyer, coupon.id)).issuedQuantity).to.equal(1);
      });

      it('one user coupon on 4 orders at once: exactly one 201, three 422 COUPON_NOT_APPLICABLE; only that order\'s stock reserved', async function () {
        const listing = await o.listing({ seller, price: 5_000 });
        const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });

        const answers = await Promise.all([0, 1, 2, 3].map(() => placeWith(buyer, listing, 1, userCoupon.id)));

        const placed = answers.filter((r) => r.status === 201);
        expect(placed, 'orders placed').to.have.length(1);
        for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        const order = expectOrderAnswer(placed[0]!, 201);
        expect(await o.stockOf(listing.product.id, listing.option.id)).to.deep.equal({ totalStock: 10, reservedStock: 1, availableStock: 9 });
        expect(await c.mine(buyer, userCoupon.id)).to.include({ status: 'ISSUED', orderId: order.id });
      });

      it('an order without a coupon has discountAmount 0 and userCouponId null', async function () {
        const listing = await o.listing({ seller, price: 7_000 });
        const order = await o.order(await t.newBuyer(), listing, 1);
        expect(order).to.include({ totalAmount: 7_000, discountAmount: 0, finalAmount: 7_000, userCouponId: null });
        expect(order.items.map((i) => i.discountAmount)).to.deep.equal([0]);
      });

      describe('a coupon\'s scope: a SELLER\'s covers their products only, an ADMIN\'s the whole order', function () {
        let mine: Listing;
        let theirs: Listing;

        beforeEach(async function () {
          mine = await o.listing({ seller, price: 12_000 });
          theirs = await o.listing({ price: 50_000 });
        });

        const mixedOrder = (buyer: Account, userCouponId: number, quantities: [number, number] = [1, 1]) =>
          o.place(buyer, {
            items: [
              { productId: theirs.product.id, quantity: quantities[1] },
              { productId: mine.product.id, quantity: quantities[0] },
            ],
            userCouponId,
          });

        it('a SELLER\'s 100% coupon on an order with another seller\'s line takes off only the seller\'s line; paying debits the rest', async function () {
          const { buyer, userCoupon } = await buyerWithCoupon(60_000, { type: 'PERCENTAGE', discountValue: 100 });

          const order = expectOrderAnswer(await mixedOrder(buyer, userCoupon.id), 201);

          expect(order).to.include({ totalAmount: 62_000, discountAmount: 12_000, finalAmount: 50_000, userCouponId: userCoupon.id });
          expect(order.items.map((i) => [i.productId, i.amount, i.discountAmount])).to.deep.equal([
            [theirs.product.id, 50_000, 0],
            [mine.product.id, 12_000, 12_000],
          ]);
          expect(await o.getOk(buyer, order.id)).to.deep.equal(order);
          expect(await o.payOk(buyer, order.id)).to.include({ amount: 50_000, status: 'COMPLETED' });
          expect(await o.balanceOf(buyer)).to.equal(10_000);
        });

        it('a SELLER\'s FIXED coupon larger than their lines stops at their lines, not at the order total', async function () {
          const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 40_000 });
          const order = expectOrderAnswer(await mixedOrder(buyer, userCoupon.id), 201);
          expect(order).to.include({ totalAmount: 62_000, discountAmount: 12_000, finalAmount: 50_000 });
        });

        it('its minimum counts the seller\'s lines only: 422 COUPON_NOT_APPLICABLE saying so, however much else the order holds; met by their lines, 201', async function () {
          const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'PERCENTAGE', discountValue: 10, minOrderAmount: 20_000 });

          const refused = await mixedOrder(buyer, userCoupon.id, [1, 5]);
          expectProblem(refused, 422, 'COUPON_NOT_APPLICABLE', ORDERS);
          expect(refused.body.detail).to.equal(`Seller ${seller.id}'s products in the order come to 12000, below the coupon's minimum of 20000`);
          await expectUntouched(theirs, 10);
          expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);

          const order = expectOrderAnswer(await mixedOrder(buyer, userCoupon.id, [2, 1]), 201);
          expect(order).to.include({ totalAmount: 74_000, discountAmount: 2_400, finalAmount: 71_600 });
          expect(order.items.map((i) => i.discountAmount)).to.deep.equal([0, 2_400]);
        });

        it('an order with no line of the coupon\'s seller: 422 COUPON_NOT_APPLICABLE saying so, nothing reserved', async function () {
          const { buyer, userCoupon } = await buyerWithCoupon(0, { type: 'FIXED', discountValue: 1_000 });

          const refused = await placeWith(buyer, theirs, 1, userCoupon.id);

          expectProblem(refused, 422, 'COUPON_NOT_APPLICABLE', ORDERS);
          expect(refused.body.detail).to.equal(`This coupon is for seller ${seller.id}'s products only, and the order has none of them`);
          await expectUntouched(theirs, 10);
        });

        it('an ADMIN\'s coupon is shop-wide: its percentage, cap and minimum on the whole order, split over every line in proportion', async function () {
          const coupon = await c.createOk(t.admin, { type: 'PERCENTAGE', discountValue: 10, minOrderAmount: 60_000 });
          expect(coupon.sellerId).to.equal(null);
          const buyer = await t.newBuyer();
          const userCoupon = await c.issueOk(buyer, coupon.id);

          const order = expectOrderAnswer(await mixedOrder(buyer, userCoupon.id), 201);

          expect(order).to.include({ totalAmount: 62_000, discountAmount: 6_200, finalAmount: 55_800 });
          expect(order.items.map((i) => i.discountAmount)).to.deep.equal([5_000, 1_200]);
        });
      });
    });

    describe('expiry', function () {
      it('past validUntil: the coupon answers EXPIRED, issuing is COUPON_NOT_ISSUABLE, PATCH is INVALID_STATE, an unbound user coupon turns EXPIRED and no longer applies', async function () {
        this.timeout(30_000);
        const seller = await t.newAccount('SELLER');
        const listing = await o.listing({ seller });
        const buyer = await t.newBuyer();
        const validUntil = fromNow(4 * SECOND);
        const coupon = await c.createOk(seller, { totalQuantity: 10, perUserLimit: 2, validUntil });
        expect(coupon.status).to.equal('ACTIVE');
        const userCoupon = await c.issueOk(buyer, coupon.id);
        expect(userCoupon.expiresAt).to.equal(validUntil);

        await sleep(Math.max(0, Date.parse(validUntil) - Date.now()) + 200);

        expect((await c.getOk(buyer, coupon.id)).status).to.equal('EXPIRED');
        expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_NOT_ISSUABLE', ISSUE);
        expectProblem(await c.issue(await t.newBuyer(), { couponId: coupon.id }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
        for (const status of ['SUSPENDED', 'ACTIVE', 'CANCELLED']) {
          expectProblem(await c.patch(seller, coupon.id, { status }), 409, 'INVALID_STATE', couponPath(coupon.id));
          expectProblem(await c.patch(t.admin, coupon.id, { status }), 409, 'INVALID_STATE', couponPath(coupon.id));
        }
        expectProblem(await placeWith(buyer, listing, 1, userCoupon.id), 422, 'COUPON_NOT_APPLICABLE', ORDERS);
        await expectUntouched(listing, 10);

        // The expiry job marks the user coupon within a few job intervals (JOB_INTERVAL_MS, 1 s).
        const expired = await eventually(
          () => c.mine(buyer, userCoupon.id),
          (u) => u.status === 'EXPIRED',
          10_000,
          200,
        );
        expect(expired).to.deep.equal({ ...userCoupon, status: 'EXPIRED' });
        expect((await c.listOk(buyer, 'me', '?status=EXPIRED')).map((u) => u.id)).to.deep.equal([userCoupon.id]);
        expect((await c.getOk(seller, coupon.id)).status).to.equal('EXPIRED');
      });

      it('a user coupon bound to an unpaid order is not expired while bound; once the order is cancelled the job expires it', async function () {
        this.timeout(30_000);
        const seller = await t.newAccount('SELLER');
        const listing = await o.listing({ seller });
        const buyer = await t.newBuyer();
        const validUntil = fromNow(3 * SECOND);
        const coupon = await c.createOk(seller, { validUntil });
        const userCoupon = await c.issueOk(buyer, coupon.id);
        const order = expectOrderAnswer(await placeWith(buyer, listing, 1, userCoupon.id), 201);

        // Past validUntil by a few job intervals (1 s): still bound, still ISSUED.
        await sleep(Math.max(0, Date.parse(validUntil) - Date.now()) + 3_000);
        expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...userCoupon, orderId: order.id });

        expect((await o.cancel(buyer, order.id)).status).to.equal(200);
        const expired = await eventually(
          () => c.mine(buyer, userCoupon.id),
          (u) => u.status === 'EXPIRED',
          10_000,
          200,
        );
        expect(expired).to.deep.equal({ ...userCoupon, status: 'EXPIRED', orderId: null });
      });
    });
  });

  describe(`e2e: coupons on orders the jobs end: ORDER_RESERVATION_TTL_SECONDS=1, JOB_INTERVAL_MS=100 (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence, env: { ORDER_RESERVATION_TTL_SECONDS: '1', JOB_INTERVAL_MS: '100' } });
      c = new CouponClient(t);
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('an unpaid order the sweeper cancels (EXPIRED) gives the coupon back: ISSUED, orderId null, applicable again', async function () {
      const seller = await t.newAccount('SELLER');
      const listing = await o.listing({ seller, price: 6_000 });
      const coupon = await c.createOk(seller, { type: 'FIXED', discountValue: 1_000 });
      const buyer = await t.newBuyer();
      const userCoupon = await c.issueOk(buyer, coupon.id);
      const order = expectOrderAnswer(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }], userCouponId: userCoupon.id }), 201);
      expect(await c.mine(buyer, userCoupon.id)).to.include({ status: 'ISSUED', orderId: order.id });

      const swept = await eventually(
        () => o.getOk(buyer, order.id),
        (current) => current.status !== 'CREATED',
        5_000,
      );

      expect(swept).to.include({ status: 'CANCELLED', cancelReason: 'EXPIRED' });
      expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
      expect(expectOrderAnswer(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }], userCouponId: userCoupon.id }), 201).finalAmount).to.equal(5_000);
    });
  });

  describe(`e2e: coupons on a PENDING payment that recovery fails: sandbox timeout, PENDING_RECOVERY_AFTER_SECONDS=1, JOB_INTERVAL_MS=100 (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({
        persistence,
        env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'timeout', PENDING_RECOVERY_AFTER_SECONDS: '1', JOB_INTERVAL_MS: '100' },
      });
      c = new CouponClient(t);
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('while PENDING the coupon stays bound (ISSUED, orderId) and applies to no other order; when recovery fails the order, it is given back (ISSUED, orderId null) with the balance', async function () {
      const seller = await t.newAccount('SELLER');
      const listing = await o.listing({ seller, price: 7_000 });
      const coupon = await c.createOk(seller, { type: 'FIXED', discountValue: 2_000 });
      const buyer = await o.buyerWith(30_000);
      const userCoupon = await c.issueOk(buyer, coupon.id);
      const body = { items: [{ productId: listing.product.id, quantity: 2 }], userCouponId: userCoupon.id };
      const order = expectOrderAnswer(await o.place(buyer, body), 201);
      expect(order).to.include({ totalAmount: 14_000, discountAmount: 2_000, finalAmount: 12_000 });

      const pending = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 202);
      expect(pending.amount).to.equal(12_000);
      expect((await o.getOk(buyer, order.id)).status).to.equal('PENDING');
      expect(await o.balanceOf(buyer)).to.equal(18_000);
      expect(await c.mine(buyer, userCoupon.id)).to.deep.equal({ ...userCoupon, orderId: order.id });
      expectProblem(await o.place(buyer, body), 422, 'COUPON_NOT_APPLICABLE', ORDERS);

      const recovered = await eventually(
        () => o.getOk(buyer, order.id),
        (current) => current.status !== 'PENDING',
        5_000,
      );

      expect(recovered.status).to.equal('FAILED');
      expect(await o.balanceOf(buyer)).to.equal(30_000);
      expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
    });
  });

  describe(`e2e: coupons with a declining gateway (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;
    let o: OrderingClient;

    before(async function () {
      t = await startTestService({ persistence, env: { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'decline' } });
      c = new CouponClient(t);
      o = new OrderingClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    it('a declined payment fails the order and gives the coupon back: ISSUED, orderId null, applicable again', async function () {
      const seller = await t.newAccount('SELLER');
      const listing = await o.listing({ seller, price: 10_000 });
      const coupon = await c.createOk(seller, { type: 'FIXED', discountValue: 2_000 });
      const buyer = await o.buyerWith(10_000);
      const userCoupon = await c.issueOk(buyer, coupon.id);
      const order = expectOrderAnswer(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }], userCouponId: userCoupon.id }), 201);

      expectProblem(await o.pay(buyer, { orderId: order.id }), 402, 'PAYMENT_DECLINED', PAY);

      expect((await o.getOk(buyer, order.id)).status).to.equal('FAILED');
      expect(await o.balanceOf(buyer)).to.equal(10_000);
      expect(await c.mine(buyer, userCoupon.id)).to.deep.equal(userCoupon);
      const again = expectOrderAnswer(await o.place(buyer, { items: [{ productId: listing.product.id, quantity: 1 }], userCouponId: userCoupon.id }), 201);
      expect(again).to.include({ discountAmount: 2_000, finalAmount: 8_000 });
    });
  });

  describe(`e2e: coupon issue rate limit (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;

    before(async function () {
      t = await startTestService({ persistence, env: { RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '3' } });
      c = new CouponClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    /** Keeps a test's requests clear of a wall-clock minute's end, whatever window the limiter keeps. */
    const clearOfAMinuteBoundary = async () => {
      const ms = Date.now() % 60_000;
      if (ms > 50_000) await sleep(60_000 - ms + 100);
    };

    /** A 429 as API.md asks: RATE_LIMITED, with Retry-After in whole seconds, at most a minute. */
    const expectRateLimited = (res: ApiResponse, path: string) => {
      expectProblem(res, 429, 'RATE_LIMITED', path);
      expect(retryAfterOf(res)).to.be.at.most(60);
    };

    it('RATE_LIMIT_COUPON_ISSUES_PER_MINUTE=3: a user\'s 4th issue request in a minute is 429 RATE_LIMITED with Retry-After and issues nothing; another user is unaffected', async function () {
      this.timeout(60_000);
      const seller = await t.newAccount('SELLER');
      const coupon = await c.createOk(seller, { totalQuantity: 100, perUserLimit: 10 });
      const buyer = await t.newBuyer();
      const other = await t.newBuyer();

      await clearOfAMinuteBoundary();
      await c.issueOk(buyer, coupon.id);
      await c.issueOk(buyer, coupon.id, true);
      await c.issueOk(buyer, coupon.id);
      const fourth = await c.issue(buyer, { couponId: coupon.id });
      const fifth = await c.issue(buyer, { couponId: coupon.id }, { limited: true });
      const others = await c.issue(other, { couponId: coupon.id });

      expectRateLimited(fourth, ISSUE);
      expectRateLimited(fifth, ISSUE_LIMITED);
      expectUserCouponAnswer(others, 201);
      expect(await c.listOk(buyer)).to.have.length(3);
      expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(4);
    });

    it('every attempt counts, failed ones too: three 404s, then a good request is 429', async function () {
      this.timeout(60_000);
      const seller = await t.newAccount('SELLER');
      const coupon = await c.createOk(seller, { totalQuantity: 100 });
      const buyer = await t.newBuyer();

      await clearOfAMinuteBoundary();
      for (let i = 0; i < 3; i++) expectProblem(await c.issue(buyer, { couponId: UNKNOWN_ID }), 404, 'NOT_FOUND', ISSUE);
      expectRateLimited(await c.issue(buyer, { couponId: coupon.id }), ISSUE);

      expect(await c.listOk(buyer)).to.deep.equal([]);
      expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(0);
    });
  });
}

/**
 * A Redis client of its own for one describe: this run's Redis under a key prefix of its own (inside
 * the run's prefix, so the run's clean-up removes it), so that services with different databases
 * never read each other's coupon keys, and `forget()` can make Redis lose exactly that data.
 */
async function ownRedis(ctx: Mocha.Context, label: string) {
  const redis = await requireRedis(ctx);
  const prefix = `${redis.prefix}${uniqueName(label)}:`;
  const clients: Redis[] = [];
  return {
    connect(): Redis {
      const client = new Redis(redis.url, { keyPrefix: prefix, maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
    /** Deletes every key under this prefix: Redis has lost its data. */
    async forget(): Promise<number> {
      const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
      let deleted = 0;
      try {
        let cursor = '0';
        do {
          const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
          if (keys.length > 0) deleted += await admin.del(...keys);
          cursor = next;
        } while (cursor !== '0');
      } finally {
        admin.disconnect();
      }
      return deleted;
    },
    disconnect(): void {
      for (const client of clients) client.disconnect();
    },
  };
}

// Issuing with Redis in front of the database (DOMAIN.md "Coupons": a Lua script on Redis, then the
// write to the database; the database's guard holds even if Redis loses its data), and with Redis
// down (DOMAIN.md "When Redis is down": the guarded database counter alone, limits fail open).
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: coupon issue on Redis (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;
    let redis: Awaited<ReturnType<typeof ownRedis>>;
    let seller: Account;

    before(async function () {
      redis = await ownRedis(this, `coupons-${persistence}`);
      t = await startTestService({ persistence, redis: redis.connect() });
      c = new CouponClient(t);
      seller = await t.newAccount('SELLER');
    });
    after(async function () {
      await t?.stop();
      redis?.disconnect();
    });

    it('201 on both endpoints, the coupon counting each; EXHAUSTED after totalQuantity (409 COUPON_EXHAUSTED), remainingQuantity 0', async function () {
      const coupon = await c.createOk(seller, { totalQuantity: 2 });
      const [a, b, late] = [await t.newBuyer(), await t.newBuyer(), await t.newBuyer()];

      expect(await c.issueOk(a, coupon.id)).to.deep.include(issuedFrom(coupon));
      expect(await c.getOk(a, coupon.id)).to.include({ issuedQuantity: 1, remainingQuantity: 1, status: 'ACTIVE' });
      await c.issueOk(b, coupon.id, true);
      expectProblem(await c.issue(late, { couponId: coupon.id }), 409, 'COUPON_EXHAUSTED', ISSUE);
      expectProblem(await c.issue(late, { couponId: coupon.id }, { limited: true }), 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);

      expect(await c.getOk(late, coupon.id)).to.deep.equal({ ...coupon, issuedQuantity: 2, remainingQuantity: 0, status: 'EXHAUSTED' });
      expect(await c.listOk(late)).to.deep.equal([]);
    });

    it('perUserLimit 2: two, then 409 COUPON_ALREADY_ISSUED; an unlimited coupon likewise', async function () {
      for (const totalQuantity of [10, null]) {
        const coupon = await c.createOk(seller, { totalQuantity, perUserLimit: 2 });
        const buyer = await t.newBuyer();
        await c.issueOk(buyer, coupon.id);
        await c.issueOk(buyer, coupon.id);
        expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
        expect((await c.getOk(buyer, coupon.id)).issuedQuantity, `totalQuantity ${totalQuantity}`).to.equal(2);
      }
    });

    it('already-issued is checked before exhausted: the holder of the last one gets COUPON_ALREADY_ISSUED, anyone else COUPON_EXHAUSTED', async function () {
      const coupon = await c.createOk(seller, { totalQuantity: 1 });
      const holder = await t.newBuyer();
      await c.issueOk(holder, coupon.id, true);

      expectProblem(await c.issue(holder, { couponId: coupon.id }, { limited: true }), 409, 'COUPON_ALREADY_ISSUED', ISSUE_LIMITED);
      expectProblem(await c.issue(await t.newBuyer(), { couponId: coupon.id }, { limited: true }), 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
    });

    it('first come, first served: 8 users asking 3 times each at once (perUserLimit 2) for 5 get exactly 5, nobody more than 2; every other answer EXHAUSTED or ALREADY_ISSUED', async function () {
      const coupon = await c.createOk(seller, { totalQuantity: 5, perUserLimit: 2 });
      const buyers = await Promise.all(Array.from({ length: 8 }, () => t.newBuyer()));

      const answers = await Promise.all(buyers.flatMap((b) => [0, 1, 2].map(() => c.issue(b, { couponId: coupon.id }, { limited: true }))));

      const issued = answers.filter((r) => r.status === 201);
      expect(issued, 'coupons issued').to.have.length(5);
      for (const r of issued) expectUserCouponAnswer(r, 201);
      for (const r of answers.filter((a) => a.status !== 201)) {
        expect(r.status, JSON.stringify(r.body)).to.equal(409);
        expect(r.body.code).to.be.oneOf(['COUPON_EXHAUSTED', 'COUPON_ALREADY_ISSUED']);
      }
      const held = await Promise.all(buyers.map((b) => c.listOk(b)));
      for (const list of held) expect(list.length, 'per user').to.be.at.most(2);
      expect(held.reduce((n, list) => n + list.length, 0), 'held in all').to.equal(5);
      expect(await c.getOk(seller, coupon.id)).to.include({ issuedQuantity: 5, remainingQuantity: 0, status: 'EXHAUSTED' });
    });

    it('refused requests take nothing: SUSPENDED, CREATED (future) and unknown coupons are refused, and the full quantity is still there afterwards', async function () {
      const coupon = await c.createOk(seller, { totalQuantity: 2 });
      const later = await c.createOk(seller, { totalQuantity: 2, validFrom: fromNow(HOUR), validUntil: fromNow(DAY) });
      const buyer = await t.newBuyer();
      await c.patchOk(seller, coupon.id, 'SUSPENDED');

      expectProblem(await c.issue(buyer, { couponId: coupon.id }), 409, 'COUPON_NOT_ISSUABLE', ISSUE);
      expectProblem(await c.issue(buyer, { couponId: later.id }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
      expectProblem(await c.issue(buyer, { couponId: UNKNOWN_ID }), 404, 'NOT_FOUND', ISSUE);
      await c.patchOk(seller, coupon.id, 'ACTIVE');

      await c.issueOk(buyer, coupon.id);
      await c.issueOk(await t.newBuyer(), coupon.id);
      expectProblem(await c.issue(await t.newBuyer(), { couponId: coupon.id }), 409, 'COUPON_EXHAUSTED', ISSUE);
      expect(await c.getOk(seller, later.id)).to.deep.equal(later);
    });

    it('/issue/limited refuses a coupon without totalQuantity: 409 COUPON_NOT_ISSUABLE', async function () {
      const coupon = await c.createOk(seller);
      expectProblem(await c.issue(await t.newBuyer(), { couponId: coupon.id }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
      expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(0);
    });

    it('when Redis loses its data, nothing is over-issued: the holders are still refused (ALREADY_ISSUED), the quantity still ends at totalQuantity (EXHAUSTED)', async function () {
      const gone = await c.createOk(seller, { totalQuantity: 2 });
      const open = await c.createOk(seller, { totalQuantity: 3 });
      const [a, b] = [await t.newBuyer(), await t.newBuyer()];
      await c.issueOk(a, gone.id);
      await c.issueOk(b, gone.id);
      await c.issueOk(a, open.id);

      await redis.forget();

      expectProblem(await c.issue(a, { couponId: gone.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
      expectProblem(await c.issue(await t.newBuyer(), { couponId: gone.id }), 409, 'COUPON_EXHAUSTED', ISSUE);
      expect(await c.getOk(seller, gone.id)).to.include({ issuedQuantity: 2, remainingQuantity: 0, status: 'EXHAUSTED' });

      expectProblem(await c.issue(a, { couponId: open.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
      const late = await Promise.all(Array.from({ length: 5 }, () => t.newBuyer()));
      const answers = await Promise.all(late.map((u) => c.issue(u, { couponId: open.id }, { limited: true })));
      expect(answers.filter((r) => r.status === 201), 'issued after the loss').to.have.length(2);
      for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
      expect(await c.getOk(seller, open.id)).to.include({ issuedQuantity: 3, remainingQuantity: 0, status: 'EXHAUSTED' });
    });
  });

  describe(`e2e: coupon issue with Redis down (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;
    let deadRedis: Redis;
    let seller: Account;

    before(async function () {
      // Nothing listens on port 1: every command fails at once, as with Redis gone.
      deadRedis = unreachableRedis();
      t = await startTestService({ persistence, redis: deadRedis, env: { RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '3' } });
      c = new CouponClient(t);
      seller = await t.newAccount('SELLER');
    });
    after(async function () {
      await t?.stop();
      deadRedis?.disconnect();
    });

    it('issuing still works on the database alone: counts, EXHAUSTED, ALREADY_ISSUED', async function () {
      const coupon = await c.createOk(seller, { totalQuantity: 2 });
      const [a, b] = [await t.newBuyer(), await t.newBuyer()];

      expect(await c.issueOk(a, coupon.id)).to.deep.include(issuedFrom(coupon));
      expectProblem(await c.issue(a, { couponId: coupon.id }), 409, 'COUPON_ALREADY_ISSUED', ISSUE);
      await c.issueOk(b, coupon.id, true);
      expectProblem(await c.issue(await t.newBuyer(), { couponId: coupon.id }), 409, 'COUPON_EXHAUSTED', ISSUE);
      expect(await c.getOk(seller, coupon.id)).to.include({ issuedQuantity: 2, remainingQuantity: 0, status: 'EXHAUSTED' });
    });

    it('never over-issues: 10 users at once for 3 get exactly 3', async function () {
      const coupon = await c.createOk(seller, { totalQuantity: 3 });
      const buyers = await Promise.all(Array.from({ length: 10 }, () => t.newBuyer()));

      const answers = await Promise.all(buyers.map((b) => c.issue(b, { couponId: coupon.id }, { limited: true })));

      expect(answers.filter((r) => r.status === 201), 'issued').to.have.length(3);
      for (const r of answers.filter((a) => a.status !== 201)) expectProblem(r, 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
      expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(3);
    });

    it('the issue rate limit fails open: a 4th and 5th request in a minute (limit 3) still get 201', async function () {
      const coupon = await c.createOk(seller, { perUserLimit: 10 });
      const buyer = await t.newBuyer();
      for (let i = 1; i <= 5; i++) await c.issueOk(buyer, coupon.id);
      expect(await c.listOk(buyer)).to.have.length(5);
    });
  });
}

// Two instances share one database and one Redis; only PostgreSQL can be shared (each in-memory
// instance has a store of its own), so this one runs on PostgreSQL only.
describe('e2e: coupon issue on two instances sharing PostgreSQL and Redis', function () {
  let a: TestService;
  let b: TestService;
  let ca: CouponClient;
  let cb: CouponClient;
  let redis: Awaited<ReturnType<typeof ownRedis>>;

  before(async function () {
    redis = await ownRedis(this, 'coupons-shared');
    const env = { RATE_LIMIT_COUPON_ISSUES_PER_MINUTE: '3' };
    a = await startTestService({ persistence: 'postgres', redis: redis.connect(), env });
    b = await startTestService({ persistence: 'postgres', redis: redis.connect(), env });
    ca = new CouponClient(a);
    cb = new CouponClient(b);
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
    redis?.disconnect();
  });

  it('12 users at once, half on each instance, for 4: exactly 4 issued, the rest 409 COUPON_EXHAUSTED', async function () {
    const seller = await a.newAccount('SELLER');
    const coupon = await ca.createOk(seller, { totalQuantity: 4 });
    const buyers = await Promise.all(Array.from({ length: 12 }, () => a.newBuyer()));

    const answers = await Promise.all(buyers.map((u, i) => (i % 2 ? cb : ca).issue(u, { couponId: coupon.id }, { limited: true })));

    expect(answers.filter((r) => r.status === 201), 'issued').to.have.length(4);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
    expect(await cb.getOk(seller, coupon.id)).to.include({ issuedQuantity: 4, remainingQuantity: 0, status: 'EXHAUSTED' });
  });

  it('one user on both instances at once with perUserLimit 1 gets exactly one', async function () {
    const seller = await a.newAccount('SELLER');
    const coupon = await ca.createOk(seller, { totalQuantity: 10 });
    const buyer = await a.newBuyer();

    const answers = await Promise.all([ca, cb].map((client) => client.issue(buyer, { couponId: coupon.id })));

    expect(answers.map((r) => r.status).sort()).to.deep.equal([201, 409]);
    expect(answers.find((r) => r.status === 409)!.body.code).to.equal('COUPON_ALREADY_ISSUED');
    expect(await cb.listOk(buyer)).to.have.length(1);
  });

  it('the issue rate limit holds across instances: 2 on one and 1 on the other, then the 4th is 429 on either', async function () {
    this.timeout(60_000);
    const seller = await a.newAccount('SELLER');
    const coupon = await ca.createOk(seller, { perUserLimit: 10 });
    const buyer = await a.newBuyer();
    const ms = Date.now() % 60_000;
    if (ms > 50_000) await sleep(60_000 - ms + 100);

    await ca.issueOk(buyer, coupon.id);
    await cb.issueOk(buyer, coupon.id);
    await ca.issueOk(buyer, coupon.id);
    const fourth = await cb.issue(buyer, { couponId: coupon.id });

    expectProblem(fourth, 429, 'RATE_LIMITED', ISSUE);
    retryAfterOf(fourth);
    expect(await ca.listOk(buyer)).to.have.length(3);
  });
});

type Schema = Record<string, any>;
const documented = openApiDocument as unknown as { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };

describe('e2e: coupons in the OpenAPI document (issue 11: declared with their routes)', function () {
  const createCoupon = () => documented.components.schemas['CreateCouponRequest']!;

  it('lists every coupon operation under its old operationId, the two issues sharing IssueCouponRequest', function () {
    const expected: Array<[string, string, string]> = [
      ['post', '/api/v1/coupons', 'createCoupon'],
      ['get', '/api/v1/coupons/{couponId}', 'getCoupon'],
      ['patch', '/api/v1/coupons/{couponId}', 'changeCouponStatus'],
      ['post', '/api/v1/coupons/issue', 'issueCoupon'],
      ['post', '/api/v1/coupons/issue/limited', 'issueLimitedCoupon'],
      ['get', '/api/v1/coupons/user/{userId}', 'listUserCoupons'],
      ['get', '/api/v1/coupons', 'listCoupons'],
    ];
    for (const [method, path, operationId] of expected) {
      const operation = documented.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path}`).to.include({ operationId });
      expect(operation!['tags']).to.deep.equal(['Coupons']);
    }
    for (const path of ['/api/v1/coupons/issue', '/api/v1/coupons/issue/limited']) {
      expect(documented.paths[path]!['post']!['requestBody']['content']['application/json']['schema']).to.deep.equal({ $ref: '#/components/schemas/IssueCouponRequest' });
    }
  });

  it('says discountValue is 1..100 for PERCENTAGE and 1..1,000,000,000 otherwise (the old document allowed a PERCENTAGE of 101)', function () {
    const discountValue = createCoupon()['properties']['discountValue'];
    expect(discountValue['anyOf']).to.deep.include.members([
      { type: 'integer', minimum: 1, maximum: 100, format: 'int32' },
      { type: 'integer', minimum: 1, maximum: 1_000_000_000, format: 'int32' },
    ]);
    expect(discountValue['description']).to.include('When `type` is `PERCENTAGE`: a whole number from 1 to 100. Otherwise: a whole number from 1 to 1000000000.');
  });

  it('says validFrom and validUntil are RFC 3339 date-times with a zone, on a real calendar day', function () {
    for (const field of ['validFrom', 'validUntil']) {
      const schema = createCoupon()['properties'][field];
      expect(schema, field).to.include({ type: 'string', format: 'date-time' });
      expect(schema['description'], field).to.match(/RFC 3339 date-time with a time zone/).and.to.match(/A date alone/).and.to.include('2026-02-30');
    }
  });

  it('says a name must not be blank (pattern \\S) and is trimmed', function () {
    const name = createCoupon()['properties']['name'];
    expect(name).to.include({ type: 'string', minLength: 1, maxLength: 100, pattern: '\\S' });
    expect(name['description']).to.match(/trimmed/).and.to.match(/must not be blank/);
  });
});
