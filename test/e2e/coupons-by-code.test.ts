import { expect } from 'chai';
import { Redis } from 'ioredis';
import { uniqueName } from '../support/environment.js';
import { requireRedis } from '../support/redis.js';
import { type Account, startTestService, type TestService } from '../support/service.js';
import {
  type Coupon,
  CouponClient,
  COUPONS,
  DAY,
  expectCouponPage,
  expectUserCouponAnswer,
  fromNow,
  HOUR,
  ISSUE,
  ISSUE_LIMITED,
  issuedFrom,
} from './coupons-support.js';
import { freshIdempotencyKey } from './orders-support.js';
import { expectProblem, expectValidation } from './problem.js';

/**
 * Issue 12: coupons found by code (`GET /api/v1/coupons?code=`), the coupon lists of each role
 * (`GET /api/v1/coupons`), and issue by code (`{couponCode}` on both issue endpoints), on
 * PostgreSQL (the run's shared database: every test makes its own sellers and codes) and memory.
 */
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: coupons by code and coupon lists (${persistence})`, function () {
    let t: TestService;
    let c: CouponClient;

    before(async function () {
      t = await startTestService({ persistence });
      c = new CouponClient(t);
    });
    after(async function () {
      await t?.stop();
    });

    const ids = (page: { items: Coupon[] }) => page.items.map((coupon) => coupon.id);
    /** A code in mixed case, as a seller might type it. */
    const mixedCode = (label: string) => `${uniqueName(label)}-Ab_c`;

    describe('GET /api/v1/coupons?code=', function () {
      let seller: Account;

      before(async function () {
        seller = await t.newAccount('SELLER');
      });

      it('any role finds another seller\'s coupon by its code, in any case: a page of exactly that coupon, as GET by id shows it', async function () {
        const code = mixedCode('find');
        const coupon = await c.createOk(seller, { code, type: 'PERCENTAGE', discountValue: 10, maxDiscountAmount: 20_000, totalQuantity: 100 });

        for (const who of [await t.newBuyer(), await t.newAccount('SELLER'), t.admin, seller]) {
          for (const spelling of [code, code.toUpperCase(), code.toLowerCase()]) {
            const page = await c.findOk(who, { code: spelling });
            expect(page, spelling).to.deep.equal({ items: [coupon], page: 1, size: 20, totalItems: 1, totalPages: 1 });
          }
        }
        expect(await c.getOk(await t.newBuyer(), coupon.id)).to.deep.equal(coupon);
      });

      it('a BUYER sees a coupon of any status by its code: CREATED (not yet open), SUSPENDED, CANCELLED, EXHAUSTED', async function () {
        const buyer = await t.newBuyer();
        const later = await c.createOk(seller, { validFrom: fromNow(HOUR), validUntil: fromNow(DAY) });
        const suspended = await c.createOk(seller);
        await c.patchOk(seller, suspended.id, 'SUSPENDED');
        const cancelled = await c.createOk(seller);
        await c.patchOk(seller, cancelled.id, 'CANCELLED');
        const exhausted = await c.createOk(seller, { totalQuantity: 1 });
        await c.issueOk(await t.newBuyer(), exhausted.id);

        for (const [coupon, status] of [
          [later, 'CREATED'],
          [suspended, 'SUSPENDED'],
          [cancelled, 'CANCELLED'],
          [exhausted, 'EXHAUSTED'],
        ] as const) {
          const page = await c.findOk(buyer, { code: coupon.code.toLowerCase() });
          expect(ids(page), status).to.deep.equal([coupon.id]);
          expect(page.items[0]!.status).to.equal(status);
        }
      });

      it('an unknown code is an empty page (200), not 404; a longer or shorter code finds nothing', async function () {
        const coupon = await c.createOk(seller);
        const buyer = await t.newBuyer();
        for (const code of [`${coupon.code}X`, coupon.code.slice(0, -1), 'NO-SUCH-CODE-AT-ALL']) {
          expect(await c.findOk(buyer, { code }), code).to.deep.equal({ items: [], page: 1, size: 20, totalItems: 0, totalPages: 0 });
        }
      });

      it('the other filters still apply with a code: status and sellerId narrow it', async function () {
        const coupon = await c.createOk(seller);
        const buyer = await t.newBuyer();
        expect(ids(await c.findOk(buyer, { code: coupon.code, status: 'ACTIVE' }))).to.deep.equal([coupon.id]);
        expect(ids(await c.findOk(buyer, { code: coupon.code, status: 'SUSPENDED' }))).to.deep.equal([]);
        expect(ids(await c.findOk(buyer, { code: coupon.code, sellerId: seller.id }))).to.deep.equal([coupon.id]);
        expect(ids(await c.findOk(t.admin, { code: coupon.code, sellerId: t.admin.id }))).to.deep.equal([]);
      });

      const badQueries: Array<[string, Record<string, string | number>, string]> = [
        ['a code with a space', { code: 'A B' }, 'code'],
        ['a code with a %', { code: 'A%' }, 'code'],
        ['an empty code', { code: '' }, 'code'],
        ['a code of 41 characters', { code: 'A'.repeat(41) }, 'code'],
        ['an unknown status', { status: 'RUNNING' }, 'status'],
        ['a user coupon status', { status: 'ISSUED' }, 'status'],
        ['sellerId 0', { sellerId: 0 }, 'sellerId'],
        ['sellerId "me"', { sellerId: 'me' }, 'sellerId'],
        ['size 101', { size: 101 }, 'size'],
        ['page 0', { page: 0 }, 'page'],
        ['an unknown parameter', { q: 'x' }, 'q'],
      ];
      for (const [label, query, field] of badQueries) {
        it(`400 VALIDATION_FAILED naming ${field} for ${label}, whatever the role`, async function () {
          for (const who of [await t.newBuyer(), seller, t.admin]) expectValidation(await c.find(who, query), COUPONS, field);
        });
      }

      it('401 UNAUTHENTICATED without a token, with or without a code', async function () {
        expectProblem(await c.find(null, { code: 'WELCOME10' }), 401, 'UNAUTHENTICATED', COUPONS);
        expectProblem(await c.find(null), 401, 'UNAUTHENTICATED', COUPONS);
      });
    });

    describe('GET /api/v1/coupons (lists)', function () {
      it('a SELLER lists the coupons they created, newest first, paged, of every status; status filters; none of another seller\'s', async function () {
        const seller = await t.newAccount('SELLER');
        const other = await t.newAccount('SELLER');
        const made: Coupon[] = [];
        for (let n = 0; n < 5; n += 1) made.push(await c.createOk(seller));
        await c.patchOk(seller, made[1]!.id, 'SUSPENDED');
        const later = await c.createOk(seller, { validFrom: fromNow(HOUR), validUntil: fromNow(DAY) });
        await c.createOk(other);
        const newestFirst = [later.id, ...made.map((m) => m.id).reverse()];

        const all = await c.findOk(seller);
        expect(ids(all)).to.deep.equal(newestFirst);
        expect(all).to.include({ page: 1, size: 20, totalItems: 6, totalPages: 1 });
        const second = await c.findOk(seller, { page: 2, size: 4 });
        expect(second).to.deep.include({ page: 2, size: 4, totalItems: 6, totalPages: 2 });
        expect(ids(second)).to.deep.equal(newestFirst.slice(4));
        expect(ids(await c.findOk(seller, { page: 3, size: 4 }))).to.deep.equal([]);

        expect(ids(await c.findOk(seller, { status: 'SUSPENDED' }))).to.deep.equal([made[1]!.id]);
        expect(ids(await c.findOk(seller, { status: 'CREATED' }))).to.deep.equal([later.id]);
        expect(ids(await c.findOk(seller, { status: 'ACTIVE' }))).to.deep.equal(made.filter((_, i) => i !== 1).map((m) => m.id).reverse());
        expect(ids(await c.findOk(seller, { sellerId: seller.id }))).to.deep.equal(newestFirst);
        // The list shows each coupon as GET by id does.
        expect(all.items[1]).to.deep.equal(await c.getOk(seller, made[4]!.id));
      });

      it('a SELLER naming another seller\'s sellerId is 403; the shape is checked first (400)', async function () {
        const seller = await t.newAccount('SELLER');
        const other = await t.newAccount('SELLER');
        expectProblem(await c.find(seller, { sellerId: other.id }), 403, 'FORBIDDEN', COUPONS);
        expectValidation(await c.find(seller, { sellerId: other.id, status: 'NOPE' }), COUPONS, 'status');
      });

      it('an ADMIN lists every coupon newest first (theirs and the sellers\'); sellerId lists one seller\'s scoped coupons; status filters', async function () {
        const seller = await t.newAccount('SELLER');
        const sellers = await c.createOk(seller, { totalQuantity: 1 });
        const shopWide = await c.createOk(t.admin);

        const first = await c.findOk(t.admin, { size: 2 });
        expect(ids(first)).to.deep.equal([shopWide.id, sellers.id]);
        expect(first.totalItems).to.be.at.least(2);

        await c.issueOk(await t.newBuyer(), sellers.id);
        expect(await c.findOk(t.admin, { sellerId: seller.id })).to.deep.equal({
          items: [{ ...sellers, issuedQuantity: 1, remainingQuantity: 0, status: 'EXHAUSTED' }],
          page: 1,
          size: 20,
          totalItems: 1,
          totalPages: 1,
        });
        expect(ids(await c.findOk(t.admin, { sellerId: seller.id, status: 'EXHAUSTED' }))).to.deep.equal([sellers.id]);
        expect(ids(await c.findOk(t.admin, { sellerId: seller.id, status: 'ACTIVE' }))).to.deep.equal([]);
        expect(ids(await c.findOk(t.admin, { status: 'ACTIVE', size: 1 }))).to.deep.equal([shopWide.id]);
        expect(await c.findOk(t.admin, { sellerId: (await t.newAccount('SELLER')).id })).to.deep.include({ items: [], totalItems: 0, totalPages: 0 });
      });

      it('a BUYER lists the coupons being issued now (ACTIVE) of every seller; sellerId narrows to one; nothing CREATED, SUSPENDED, EXHAUSTED or CANCELLED', async function () {
        const seller = await t.newAccount('SELLER');
        const buyer = await t.newBuyer();
        const running = await c.createOk(seller, { totalQuantity: 10 });
        const unlimited = await c.createOk(seller);
        await c.createOk(seller, { validFrom: fromNow(HOUR), validUntil: fromNow(DAY) });
        const suspended = await c.createOk(seller);
        await c.patchOk(seller, suspended.id, 'SUSPENDED');
        const cancelled = await c.createOk(seller);
        await c.patchOk(seller, cancelled.id, 'CANCELLED');
        const exhausted = await c.createOk(seller, { totalQuantity: 1 });
        await c.issueOk(await t.newBuyer(), exhausted.id);

        expect(ids(await c.findOk(buyer, { sellerId: seller.id }))).to.deep.equal([unlimited.id, running.id]);
        expect(ids(await c.findOk(buyer, { sellerId: seller.id, status: 'ACTIVE' }))).to.deep.equal([unlimited.id, running.id]);
        // Without sellerId: everyone's running coupons, these two the newest of them.
        const everyone = await c.findOk(buyer, { size: 100 });
        expect(everyone.items.every((coupon) => coupon.status === 'ACTIVE')).to.equal(true);
        expect(ids(everyone)).to.include.members([unlimited.id, running.id]);
        expect(ids(everyone)).to.not.include.members([suspended.id]);
      });

      it('a BUYER asking for a status other than ACTIVE is 403 (found by code instead)', async function () {
        const buyer = await t.newBuyer();
        for (const status of ['CREATED', 'EXHAUSTED', 'EXPIRED', 'SUSPENDED', 'CANCELLED']) {
          expectProblem(await c.find(buyer, { status }), 403, 'FORBIDDEN', COUPONS);
        }
      });
    });

    describe('POST /api/v1/coupons/issue and /issue/limited with couponCode', function () {
      let seller: Account;

      before(async function () {
        seller = await t.newAccount('SELLER');
      });

      for (const limited of [false, true]) {
        const path = limited ? ISSUE_LIMITED : ISSUE;

        it(`${path}: {couponCode} in any case issues that coupon, exactly as {couponId} would; the coupon counts one more`, async function () {
          const code = mixedCode('issue');
          const coupon = await c.createOk(seller, { code, totalQuantity: 5, perUserLimit: 1 });
          const buyer = await t.newBuyer();

          const issued = expectUserCouponAnswer(await c.issue(buyer, { couponCode: code.toLowerCase() }, { limited }), 201);

          expect(issued).to.deep.equal({ id: issued.id, issuedAt: issued.issuedAt, ...issuedFrom(coupon) });
          expect(await c.getOk(buyer, coupon.id)).to.include({ issuedQuantity: 1, remainingQuantity: 4 });
          expect(await c.listOk(buyer)).to.deep.equal([issued]);
          // By id or by code, it is the same coupon: the user holds their one copy.
          expectProblem(await c.issue(buyer, { couponId: coupon.id }, { limited }), 409, 'COUPON_ALREADY_ISSUED', path);
          expectProblem(await c.issue(buyer, { couponCode: code.toUpperCase() }, { limited }), 409, 'COUPON_ALREADY_ISSUED', path);
        });

        it(`${path}: an unknown couponCode is 404 naming the code, and issues nothing`, async function () {
          const res = await c.issue(await t.newBuyer(), { couponCode: 'NO-SUCH-COUPON-CODE' }, { limited });
          expectProblem(res, 404, 'NOT_FOUND', path);
          expect((res.body as { detail: string }).detail).to.equal('Coupon NO-SUCH-COUPON-CODE does not exist');
        });

        it(`${path}: by code the coupon's state answers as by id: EXHAUSTED, NOT_ISSUABLE (SUSPENDED)`, async function () {
          const coupon = await c.createOk(seller, { totalQuantity: 1 });
          await c.issue(await t.newBuyer(), { couponCode: coupon.code }, { limited });
          expectProblem(await c.issue(await t.newBuyer(), { couponCode: coupon.code }, { limited }), 409, 'COUPON_EXHAUSTED', path);
          const suspended = await c.createOk(seller, { totalQuantity: 3 });
          await c.patchOk(seller, suspended.id, 'SUSPENDED');
          expectProblem(await c.issue(await t.newBuyer(), { couponCode: suspended.code }, { limited }), 409, 'COUPON_NOT_ISSUABLE', path);
        });

        const bad: Array<[string, (coupon: Coupon) => unknown, string]> = [
          ['neither couponId nor couponCode', () => ({}), 'body'],
          ['both couponId and couponCode', (coupon) => ({ couponId: coupon.id, couponCode: coupon.code }), 'body'],
          ['both, the code someone else\'s', (coupon) => ({ couponId: coupon.id, couponCode: 'OTHER' }), 'body'],
          ['couponCode with a space', () => ({ couponCode: 'WELCOME 10' }), 'couponCode'],
          ['couponCode ""', () => ({ couponCode: '' }), 'couponCode'],
          ['couponCode of 41 characters', () => ({ couponCode: 'A'.repeat(41) }), 'couponCode'],
          ['couponCode 10 (a number)', () => ({ couponCode: 10 }), 'couponCode'],
          ['couponCode null', () => ({ couponCode: null }), 'couponCode'],
        ];
        for (const [label, body, field] of bad) {
          it(`${path}: 400 VALIDATION_FAILED naming ${field} for ${label}, issuing nothing`, async function () {
            const coupon = await c.createOk(seller, { totalQuantity: 10 });
            const buyer = await t.newBuyer();
            expectValidation(await c.issue(buyer, body(coupon), { limited }), path, field);
            expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(0);
            expect(await c.listOk(buyer)).to.deep.equal([]);
          });
        }
      }

      it('/issue/limited by code refuses an unlimited coupon (409 COUPON_NOT_ISSUABLE); /issue by code gives it', async function () {
        const coupon = await c.createOk(seller);
        const buyer = await t.newBuyer();
        expectProblem(await c.issue(buyer, { couponCode: coupon.code }, { limited: true }), 409, 'COUPON_NOT_ISSUABLE', ISSUE_LIMITED);
        expectUserCouponAnswer(await c.issue(buyer, { couponCode: coupon.code }), 201);
      });

      it('a code unknown at first issues its coupon once it is created (an unknown code is not remembered)', async function () {
        const code = mixedCode('late');
        const buyer = await t.newBuyer();
        expectProblem(await c.issue(buyer, { couponCode: code }), 404, 'NOT_FOUND', ISSUE);
        const coupon = await c.createOk(seller, { code });
        expect(expectUserCouponAnswer(await c.issue(buyer, { couponCode: code }), 201).couponId).to.equal(coupon.id);
      });

      it('first come, first served by code: 12 users at once, half by code and half by id, for 5: exactly five 201s, seven 409 COUPON_EXHAUSTED', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 5 });
        const buyers = await Promise.all(Array.from({ length: 12 }, () => t.newBuyer()));

        const answers = await Promise.all(
          buyers.map((buyer, i) => c.issue(buyer, i % 2 ? { couponCode: coupon.code.toLowerCase() } : { couponId: coupon.id }, { limited: true })),
        );

        expect(answers.filter((r) => r.status === 201), 'issued').to.have.length(5);
        for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
        expect(await c.getOk(seller, coupon.id)).to.include({ issuedQuantity: 5, remainingQuantity: 0, status: 'EXHAUSTED' });
      });

      it('one user asking 6 times at once by code (perUserLimit 2) gets exactly two', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 10, perUserLimit: 2 });
        const buyer = await t.newBuyer();

        const answers = await Promise.all(Array.from({ length: 6 }, () => c.issue(buyer, { couponCode: coupon.code })));

        expect(answers.filter((r) => r.status === 201)).to.have.length(2);
        for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'COUPON_ALREADY_ISSUED', ISSUE);
        expect(await c.listOk(buyer)).to.have.length(2);
      });

      it('replays the same Idempotency-Key by code: the same user coupon with Idempotent-Replayed: true; the key with {couponId} instead is 422 IDEMPOTENCY_KEY_REUSED', async function () {
        const coupon = await c.createOk(seller, { totalQuantity: 10 });
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshIdempotencyKey() };

        const first = expectUserCouponAnswer(await c.issue(buyer, { couponCode: coupon.code }, { headers }), 201);
        const again = await c.issue(buyer, { couponCode: coupon.code }, { headers });
        expect(expectUserCouponAnswer(again, 201)).to.deep.equal(first);
        expect(again.headers.get('idempotent-replayed')).to.equal('true');
        expectProblem(await c.issue(buyer, { couponId: coupon.id }, { headers }), 422, 'IDEMPOTENCY_KEY_REUSED', ISSUE);
        expect((await c.getOk(seller, coupon.id)).issuedQuantity).to.equal(1);
      });
    });
  });
}

/** A Redis key space of this suite's own, deleted at the end. */
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
    disconnect(): void {
      for (const client of clients) client.disconnect();
    },
  };
}

describe('e2e: issue by code on two instances sharing PostgreSQL and Redis (the Redis gate)', function () {
  let a: TestService;
  let b: TestService;
  let ca: CouponClient;
  let cb: CouponClient;
  let redis: Awaited<ReturnType<typeof ownRedis>>;

  before(async function () {
    redis = await ownRedis(this, 'coupons-by-code');
    a = await startTestService({ persistence: 'postgres', redis: redis.connect() });
    b = await startTestService({ persistence: 'postgres', redis: redis.connect() });
    ca = new CouponClient(a);
    cb = new CouponClient(b);
  });
  after(async function () {
    await a?.stop();
    await b?.stop();
    redis?.disconnect();
  });

  it('16 users at once, by code and by id, half on each instance, for 6: exactly 6 issued, the rest 409 COUPON_EXHAUSTED', async function () {
    const seller = await a.newAccount('SELLER');
    const coupon = await ca.createOk(seller, { totalQuantity: 6 });
    const buyers = await Promise.all(Array.from({ length: 16 }, () => a.newBuyer()));

    const answers = await Promise.all(
      buyers.map((buyer, i) => (i % 2 ? cb : ca).issue(buyer, i % 4 < 2 ? { couponCode: coupon.code } : { couponId: coupon.id }, { limited: true })),
    );

    expect(answers.filter((r) => r.status === 201), 'issued').to.have.length(6);
    for (const r of answers.filter((x) => x.status !== 201)) expectProblem(r, 409, 'COUPON_EXHAUSTED', ISSUE_LIMITED);
    expect(await cb.getOk(seller, coupon.id)).to.include({ issuedQuantity: 6, remainingQuantity: 0, status: 'EXHAUSTED' });
  });

  it('a coupon created on one instance is found by code and issued by code on the other at once', async function () {
    const seller = await a.newAccount('SELLER');
    const coupon = await ca.createOk(seller, { totalQuantity: 3 });
    const buyer = await b.newBuyer();

    expect((await cb.findOk(buyer, { code: coupon.code.toLowerCase() })).items).to.deep.equal([coupon]);
    expect(expectUserCouponAnswer(await cb.issue(buyer, { couponCode: coupon.code }, { limited: true }), 201).couponId).to.equal(coupon.id);
    expect(expectCouponPage(await ca.find(seller, { code: coupon.code })).items[0]).to.include({ issuedQuantity: 1, remainingQuantity: 2 });
  });
});
