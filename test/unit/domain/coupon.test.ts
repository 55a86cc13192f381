import { expect } from 'chai';
import {
  Coupon,
  COUPON_STATUSES,
  type CouponSnapshot,
  type CouponStatus,
  type CouponType,
  type CreateCouponInput,
  couponDiscountOn,
  type DiscountableLine,
  type DiscountTerms,
  discountFor,
  SETTABLE_COUPON_STATUSES,
  type SettableCouponStatus,
} from '../../../src/domain/coupon/coupon.js';
import { CouponExhausted, CouponNotIssuable } from '../../../src/domain/coupon/errors.js';
import { InvalidState, ValidationFailed } from '../../../src/domain/shared/errors.js';
import type { Actor } from '../../../src/domain/user/actor.js';
import { expectThrowsCode, thrownBy } from '../expect-error.js';

const VALID_FROM = new Date('2026-01-10T00:00:00.000Z');
const VALID_UNTIL = new Date('2026-02-10T00:00:00.000Z');
/** Inside the window. */
const NOW = new Date('2026-01-15T09:00:00.000Z');
const BEFORE_WINDOW = new Date(VALID_FROM.getTime() - 1);
const CREATED_AT = new Date('2026-01-01T00:00:00.000Z');
const SELLER = 11;
const OTHER_SELLER = 12;
const SELLER_ACTOR: Actor = { userId: SELLER, role: 'SELLER' };
const ADMIN_ACTOR: Actor = { userId: 1, role: 'ADMIN' };

const ms = (date: Date, delta: number) => new Date(date.getTime() + delta);

function snapshot(overrides: Partial<CouponSnapshot> = {}): CouponSnapshot {
  return {
    id: 5,
    code: 'WELCOME10',
    name: 'Welcome',
    type: 'PERCENTAGE',
    discountValue: 10,
    maxDiscountAmount: null,
    minOrderAmount: 0,
    totalQuantity: 100,
    issuedQuantity: 0,
    perUserLimit: 1,
    validFrom: VALID_FROM,
    validUntil: VALID_UNTIL,
    status: 'ACTIVE',
    sellerId: SELLER,
    createdBy: SELLER,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    ...overrides,
  };
}

const coupon = (overrides: Partial<CouponSnapshot> = {}) => Coupon.fromSnapshot(snapshot(overrides));

const terms = (overrides: Partial<DiscountTerms> = {}): DiscountTerms => ({
  type: 'PERCENTAGE',
  discountValue: 10,
  maxDiscountAmount: null,
  minOrderAmount: 0,
  ...overrides,
});

describe('Coupon', () => {
  describe('discountFor', () => {
    const cases: [string, DiscountTerms, number, number][] = [
      ['PERCENTAGE rounds down: 1,235 at 10% is 123', terms({ discountValue: 10 }), 1_235, 123],
      ['PERCENTAGE rounds down: 999 at 33% is 329 (329.67)', terms({ discountValue: 33 }), 999, 329],
      ['PERCENTAGE 1% of 99 is 0 (0.99 rounds down)', terms({ discountValue: 1 }), 99, 0],
      ['PERCENTAGE 10% of 59,000 is 5,900', terms({ discountValue: 10 }), 59_000, 5_900],
      ['PERCENTAGE 100% is the whole total', terms({ discountValue: 100 }), 59_000, 59_000],
      ['PERCENTAGE 100% of 1,235 is 1,235', terms({ discountValue: 100 }), 1_235, 1_235],
      ['PERCENTAGE stops at maxDiscountAmount: 20% of 59,000 capped at 5,000', terms({ discountValue: 20, maxDiscountAmount: 5_000 }), 59_000, 5_000],
      ['PERCENTAGE under the cap is not raised to it: 10% of 10,000 with cap 5,000', terms({ discountValue: 10, maxDiscountAmount: 5_000 }), 10_000, 1_000],
      ['PERCENTAGE exactly at the cap', terms({ discountValue: 10, maxDiscountAmount: 5_900 }), 59_000, 5_900],
      ['PERCENTAGE 100% with a cap gives the cap', terms({ discountValue: 100, maxDiscountAmount: 7_000 }), 59_000, 7_000],
      ['FIXED below the total gives its value', terms({ type: 'FIXED', discountValue: 3_000 }), 59_000, 3_000],
      ['FIXED equal to the total gives the total', terms({ type: 'FIXED', discountValue: 59_000 }), 59_000, 59_000],
      ['FIXED above the total gives the total', terms({ type: 'FIXED', discountValue: 100_000 }), 59_000, 59_000],
      ['PERCENTAGE of a 0 total is 0', terms({ discountValue: 50 }), 0, 0],
      ['FIXED on a 0 total is 0 (never above the total)', terms({ type: 'FIXED', discountValue: 5_000 }), 0, 0],
      ['never negative: FIXED on a negative total is 0', terms({ type: 'FIXED', discountValue: 5_000 }), -100, 0],
      ['never negative: PERCENTAGE on a negative total is 0', terms({ discountValue: 10 }), -1_000, 0],
    ];
    for (const [title, t, total, expected] of cases) {
      it(title, () => {
        expect(discountFor(t, total)).to.equal(expected);
      });
    }

    it('the minimum order amount does not change the discount (PlaceOrder checks it)', () => {
      expect(discountFor(terms({ discountValue: 10, minOrderAmount: 100_000 }), 59_000)).to.equal(5_900);
    });

    it('Coupon#discountFor applies the coupon’s own terms', () => {
      expect(coupon({ type: 'PERCENTAGE', discountValue: 15, maxDiscountAmount: 8_000 }).discountFor(59_000)).to.equal(8_000);
      expect(coupon({ type: 'PERCENTAGE', discountValue: 15, maxDiscountAmount: null }).discountFor(59_000)).to.equal(8_850);
      expect(coupon({ type: 'FIXED', discountValue: 70_000 }).discountFor(59_000)).to.equal(59_000);
    });
  });

  describe('couponDiscountOn: a coupon on an order’s lines', () => {
    const sellers = (sellerId: number | null, overrides: Partial<DiscountTerms> = {}) => ({ ...terms(overrides), sellerId });
    const lineOf = (sellerId: number, amount: number): DiscountableLine => ({ sellerId, amount });
    const messageOf = (work: () => unknown) => (expectThrowsCode(work, 'COUPON_NOT_APPLICABLE') as Error).message;

    it('a SELLER’s 100% coupon on a mixed order takes off only that seller’s lines, whatever the others come to', () => {
      const lines = [lineOf(OTHER_SELLER, 50_000), lineOf(SELLER, 12_000), lineOf(OTHER_SELLER, 8_000)];
      expect(couponDiscountOn(sellers(SELLER, { discountValue: 100 }), lines)).to.deep.equal({
        eligibleAmount: 12_000,
        amount: 12_000,
        lineDiscounts: [0, 12_000, 0],
      });
    });

    it('a SELLER’s FIXED coupon larger than their lines stops at their lines (the "never above" limit), not at the order total', () => {
      const lines = [lineOf(SELLER, 3_000), lineOf(OTHER_SELLER, 90_000)];
      expect(couponDiscountOn(sellers(SELLER, { type: 'FIXED', discountValue: 10_000 }), lines)).to.deep.equal({
        eligibleAmount: 3_000,
        amount: 3_000,
        lineDiscounts: [3_000, 0],
      });
    });

    it('percentages round down on the seller’s lines, and the cap binds there: 10% of 1,235 is 123; 50% of 20,000 capped at 4,000', () => {
      expect(couponDiscountOn(sellers(SELLER), [lineOf(SELLER, 1_235), lineOf(OTHER_SELLER, 10_000)]).amount).to.equal(123);
      const capped = couponDiscountOn(sellers(SELLER, { discountValue: 50, maxDiscountAmount: 4_000 }), [lineOf(SELLER, 20_000), lineOf(OTHER_SELLER, 80_000)]);
      expect(capped).to.deep.equal({ eligibleAmount: 20_000, amount: 4_000, lineDiscounts: [4_000, 0] });
    });

    it('the minimum counts the seller’s lines only: other sellers’ goods do not lift an order over it', () => {
      const terms10k = sellers(SELLER, { minOrderAmount: 10_000 });
      expect(messageOf(() => couponDiscountOn(terms10k, [lineOf(SELLER, 9_900), lineOf(OTHER_SELLER, 500_000)]))).to.equal(
        `Seller ${SELLER}'s products in the order come to 9900, below the coupon's minimum of 10000`,
      );
      expect(couponDiscountOn(terms10k, [lineOf(SELLER, 4_000), lineOf(SELLER, 6_000), lineOf(OTHER_SELLER, 1)]).eligibleAmount).to.equal(10_000);
    });

    it('an order with no line of the coupon’s seller: COUPON_NOT_APPLICABLE saying so (even with no minimum)', () => {
      expect(messageOf(() => couponDiscountOn(sellers(SELLER), [lineOf(OTHER_SELLER, 50_000)]))).to.equal(
        `This coupon is for seller ${SELLER}'s products only, and the order has none of them`,
      );
    });

    it('an ADMIN’s coupon (no seller) is shop-wide: every line, the whole total, its minimum on the whole order', () => {
      const lines = [lineOf(SELLER, 30_000), lineOf(OTHER_SELLER, 10_000)];
      expect(couponDiscountOn(sellers(null, { discountValue: 10 }), lines)).to.deep.equal({
        eligibleAmount: 40_000,
        amount: 4_000,
        lineDiscounts: [3_000, 1_000],
      });
      expect(messageOf(() => couponDiscountOn(sellers(null, { minOrderAmount: 40_001 }), lines))).to.equal("The order total 40000 is below the coupon's minimum of 40001");
    });

    it('splits the discount over the covered lines in proportion to their amounts, the parts summing exactly', () => {
      // 1,000 over 3 × 3,000 of the seller's: 333.33 each, the won left over to the first.
      const lines = [lineOf(SELLER, 3_000), lineOf(OTHER_SELLER, 7_000), lineOf(SELLER, 3_000), lineOf(SELLER, 3_000)];
      const applied = couponDiscountOn(sellers(SELLER, { type: 'FIXED', discountValue: 1_000 }), lines);
      expect(applied.lineDiscounts).to.deep.equal([334, 0, 333, 333]);
      expect(applied.lineDiscounts.reduce((a, b) => a + b, 0)).to.equal(applied.amount);
    });

    it('Coupon#discountOn applies the coupon’s own terms and scope', () => {
      const lines = [lineOf(SELLER, 10_000), lineOf(OTHER_SELLER, 10_000)];
      expect(coupon({ type: 'PERCENTAGE', discountValue: 100 }).discountOn(lines).amount).to.equal(10_000);
      expect(coupon({ type: 'PERCENTAGE', discountValue: 100, sellerId: null }).discountOn(lines).amount).to.equal(20_000);
    });
  });

  describe('Coupon.create', () => {
    const valid = (overrides: Partial<CreateCouponInput> = {}): CreateCouponInput => ({
      code: 'WELCOME-10_a',
      name: 'Welcome',
      type: 'PERCENTAGE',
      discountValue: 10,
      validFrom: VALID_FROM,
      validUntil: VALID_UNTIL,
      ...overrides,
    });

    it('fills the defaults: no cap, minOrderAmount 0, unlimited, perUserLimit 1; the name trimmed; ACTIVE, nothing issued', () => {
      expect(Coupon.create(valid({ name: '  Welcome  ' }), SELLER_ACTOR, NOW)).to.deep.equal({
        code: 'WELCOME-10_a',
        name: 'Welcome',
        type: 'PERCENTAGE',
        discountValue: 10,
        maxDiscountAmount: null,
        minOrderAmount: 0,
        totalQuantity: null,
        issuedQuantity: 0,
        perUserLimit: 1,
        validFrom: VALID_FROM,
        validUntil: VALID_UNTIL,
        status: 'ACTIVE',
        sellerId: SELLER,
        createdBy: SELLER,
        createdAt: NOW,
        updatedAt: NOW,
      });
    });

    it('a SELLER’s coupon covers their products (sellerId); an ADMIN’s is shop-wide (null); a BUYER may create none', () => {
      expect(Coupon.create(valid(), SELLER_ACTOR, NOW)).to.include({ sellerId: SELLER, createdBy: SELLER });
      expect(Coupon.create(valid(), ADMIN_ACTOR, NOW)).to.include({ sellerId: null, createdBy: ADMIN_ACTOR.userId });
      expectThrowsCode(() => Coupon.create(valid(), { userId: 99, role: 'BUYER' }, NOW), 'FORBIDDEN');
    });

    it('null for the optional fields means the same as leaving them out', () => {
      const created = Coupon.create(valid({ maxDiscountAmount: null, totalQuantity: null }), SELLER_ACTOR, NOW);
      expect(created).to.include({ maxDiscountAmount: null, totalQuantity: null, minOrderAmount: 0, perUserLimit: 1 });
    });

    it('keeps every value given', () => {
      const created = Coupon.create(
        valid({ type: 'FIXED', discountValue: 5_000, maxDiscountAmount: 4_000, minOrderAmount: 30_000, totalQuantity: 500, perUserLimit: 3 }),
        SELLER_ACTOR,
        NOW,
      );
      expect(created).to.include({
        type: 'FIXED',
        discountValue: 5_000,
        maxDiscountAmount: 4_000,
        minOrderAmount: 30_000,
        totalQuantity: 500,
        perUserLimit: 3,
        issuedQuantity: 0,
        status: 'ACTIVE',
      });
    });

    it('validFrom may be in the past; a validFrom in the future is accepted too', () => {
      expect(() => Coupon.create(valid({ validFrom: new Date('2020-01-01T00:00:00.000Z') }), SELLER_ACTOR, NOW)).not.to.throw();
      expect(() => Coupon.create(valid({ validFrom: ms(NOW, 86_400_000) }), SELLER_ACTOR, NOW)).not.to.throw();
    });

    const accepted: [string, Partial<CreateCouponInput>][] = [
      ['a 40-character code', { code: 'a'.repeat(40) }],
      ['a 1-character code', { code: 'Z' }],
      ['a code of only "_" and "-"', { code: '_-' }],
      ['a 100-character name', { name: 'n'.repeat(100) }],
      ['a 100-character name with blanks around it (trimmed first)', { name: `  ${'n'.repeat(100)}  ` }],
      ['PERCENTAGE 1', { type: 'PERCENTAGE', discountValue: 1 }],
      ['PERCENTAGE 100', { type: 'PERCENTAGE', discountValue: 100 }],
      ['FIXED 1', { type: 'FIXED', discountValue: 1 }],
      ['FIXED 1,000,000,000', { type: 'FIXED', discountValue: 1_000_000_000 }],
      ['FIXED above 100', { type: 'FIXED', discountValue: 150 }],
      ['maxDiscountAmount 1', { maxDiscountAmount: 1 }],
      ['minOrderAmount 0', { minOrderAmount: 0 }],
      ['totalQuantity 1', { totalQuantity: 1 }],
      ['totalQuantity 1,000,000,000', { totalQuantity: 1_000_000_000 }],
      ['perUserLimit 1', { perUserLimit: 1 }],
      ['perUserLimit 100', { perUserLimit: 100 }],
      ['validUntil 1 ms after now', { validUntil: ms(NOW, 1) }],
    ];
    for (const [title, overrides] of accepted) {
      it(`accepts ${title}`, () => {
        expect(() => Coupon.create(valid(overrides), SELLER_ACTOR, NOW)).not.to.throw();
      });
    }

    const refused: [string, Partial<CreateCouponInput>, string][] = [
      ['an empty code', { code: '' }, 'code'],
      ['a 41-character code', { code: 'a'.repeat(41) }, 'code'],
      ['a code with a space', { code: 'WELCOME 10' }, 'code'],
      ['a code with a non-ASCII letter', { code: 'CAFÉ' }, 'code'],
      ['a code with punctuation', { code: 'SALE!' }, 'code'],
      ['an empty name', { name: '' }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
      ['an unknown type', { type: 'BOGO' as CouponType }, 'type'],
      ['PERCENTAGE 0', { type: 'PERCENTAGE', discountValue: 0 }, 'discountValue'],
      ['PERCENTAGE 101', { type: 'PERCENTAGE', discountValue: 101 }, 'discountValue'],
      ['PERCENTAGE -10', { type: 'PERCENTAGE', discountValue: -10 }, 'discountValue'],
      ['PERCENTAGE 12.5', { type: 'PERCENTAGE', discountValue: 12.5 }, 'discountValue'],
      ['PERCENTAGE NaN', { type: 'PERCENTAGE', discountValue: Number.NaN }, 'discountValue'],
      ['FIXED 0', { type: 'FIXED', discountValue: 0 }, 'discountValue'],
      ['FIXED -500', { type: 'FIXED', discountValue: -500 }, 'discountValue'],
      ['FIXED 1,000,000,001', { type: 'FIXED', discountValue: 1_000_000_001 }, 'discountValue'],
      ['FIXED 99.5', { type: 'FIXED', discountValue: 99.5 }, 'discountValue'],
      ['FIXED Infinity', { type: 'FIXED', discountValue: Number.POSITIVE_INFINITY }, 'discountValue'],
      ['maxDiscountAmount 0', { maxDiscountAmount: 0 }, 'maxDiscountAmount'],
      ['maxDiscountAmount -1', { maxDiscountAmount: -1 }, 'maxDiscountAmount'],
      ['maxDiscountAmount 1.5', { maxDiscountAmount: 1.5 }, 'maxDiscountAmount'],
      ['minOrderAmount -1', { minOrderAmount: -1 }, 'minOrderAmount'],
      ['minOrderAmount 0.5', { minOrderAmount: 0.5 }, 'minOrderAmount'],
      ['totalQuantity 0', { totalQuantity: 0 }, 'totalQuantity'],
      ['totalQuantity -1', { totalQuantity: -1 }, 'totalQuantity'],
      ['totalQuantity 1,000,000,001', { totalQuantity: 1_000_000_001 }, 'totalQuantity'],
      ['totalQuantity 2.5', { totalQuantity: 2.5 }, 'totalQuantity'],
      ['perUserLimit 0', { perUserLimit: 0 }, 'perUserLimit'],
      ['perUserLimit 101', { perUserLimit: 101 }, 'perUserLimit'],
      ['perUserLimit 1.5', { perUserLimit: 1.5 }, 'perUserLimit'],
      ['an invalid validFrom', { validFrom: new Date('not a date') }, 'validFrom'],
      ['an invalid validUntil', { validUntil: new Date('not a date') }, 'validUntil'],
      ['validUntil equal to validFrom', { validUntil: VALID_FROM }, 'validUntil'],
      ['validUntil before validFrom', { validFrom: VALID_UNTIL, validUntil: VALID_FROM }, 'validUntil'],
      ['validUntil in the past', { validFrom: new Date('2025-01-01T00:00:00.000Z'), validUntil: ms(NOW, -1) }, 'validUntil'],
      ['validUntil exactly now', { validFrom: new Date('2025-01-01T00:00:00.000Z'), validUntil: NOW }, 'validUntil'],
    ];
    for (const [title, overrides, field] of refused) {
      it(`refuses ${title}: VALIDATION_FAILED naming ${field}`, () => {
        const error = expectThrowsCode(() => Coupon.create(valid(overrides), SELLER_ACTOR, NOW), 'VALIDATION_FAILED');
        expect(error).to.be.instanceOf(ValidationFailed);
        const problems = (error as ValidationFailed).errors;
        expect(problems.map((p) => p.field)).to.deep.equal([field]);
        expect(problems[0]!.message).to.be.a('string').and.not.equal('');
      });
    }

    it('reports several problems together, each naming its field', () => {
      const error = thrownBy(() =>
        Coupon.create(
          valid({
            code: 'bad code',
            name: ' ',
            discountValue: 0,
            maxDiscountAmount: 0,
            minOrderAmount: -1,
            totalQuantity: 0,
            perUserLimit: 0,
            validFrom: VALID_UNTIL,
            validUntil: VALID_FROM,
          }),
          SELLER_ACTOR,
          NOW,
        ),
      );
      expect(error).to.be.instanceOf(ValidationFailed);
      expect((error as ValidationFailed).errors.map((p) => p.field)).to.deep.equal([
        'code',
        'name',
        'discountValue',
        'maxDiscountAmount',
        'minOrderAmount',
        'totalQuantity',
        'perUserLimit',
        'validUntil',
      ]);
    });

    it('both dates invalid: both named', () => {
      const error = thrownBy(() => Coupon.create(valid({ validFrom: new Date(Number.NaN), validUntil: new Date(Number.NaN) }), SELLER_ACTOR, NOW));
      expect((error as ValidationFailed).errors.map((p) => p.field)).to.deep.equal(['validFrom', 'validUntil']);
    });
  });

  describe('remainingQuantity and isLimited', () => {
    it('total minus issued for a limited coupon; null for an unlimited one', () => {
      expect(coupon({ totalQuantity: 5, issuedQuantity: 2 }).remainingQuantity).to.equal(3);
      expect(coupon({ totalQuantity: 5, issuedQuantity: 5 }).remainingQuantity).to.equal(0);
      expect(coupon({ totalQuantity: 5, issuedQuantity: 2 }).isLimited).to.equal(true);
      expect(coupon({ totalQuantity: null, issuedQuantity: 7 }).remainingQuantity).to.equal(null);
      expect(coupon({ totalQuantity: null }).isLimited).to.equal(false);
    });
  });

  describe('statusAt', () => {
    const cases: [string, Partial<CouponSnapshot>, Date, CouponStatus][] = [
      ['CREATED a millisecond before validFrom', {}, BEFORE_WINDOW, 'CREATED'],
      ['ACTIVE exactly at validFrom', {}, VALID_FROM, 'ACTIVE'],
      ['ACTIVE inside the window', {}, NOW, 'ACTIVE'],
      ['ACTIVE a millisecond before validUntil', {}, ms(VALID_UNTIL, -1), 'ACTIVE'],
      ['EXPIRED exactly at validUntil', {}, VALID_UNTIL, 'EXPIRED'],
      ['EXPIRED after validUntil', {}, ms(VALID_UNTIL, 86_400_000), 'EXPIRED'],
      ['EXHAUSTED when every copy is issued', { totalQuantity: 3, issuedQuantity: 3 }, NOW, 'EXHAUSTED'],
      ['ACTIVE with one copy left', { totalQuantity: 3, issuedQuantity: 2 }, NOW, 'ACTIVE'],
      ['ACTIVE when unlimited, however many are issued', { totalQuantity: null, issuedQuantity: 1_000 }, NOW, 'ACTIVE'],
      ['EXPIRED beats EXHAUSTED at validUntil', { totalQuantity: 3, issuedQuantity: 3 }, VALID_UNTIL, 'EXPIRED'],
      ['EXPIRED when the expiry job stored it, even inside the window', { status: 'EXPIRED' }, NOW, 'EXPIRED'],
      ['SUSPENDED inside the window', { status: 'SUSPENDED' }, NOW, 'SUSPENDED'],
      ['SUSPENDED wins over CREATED', { status: 'SUSPENDED' }, BEFORE_WINDOW, 'SUSPENDED'],
      ['SUSPENDED wins over EXHAUSTED', { status: 'SUSPENDED', totalQuantity: 3, issuedQuantity: 3 }, NOW, 'SUSPENDED'],
      ['SUSPENDED wins over the window’s end', { status: 'SUSPENDED' }, VALID_UNTIL, 'SUSPENDED'],
      ['CANCELLED inside the window', { status: 'CANCELLED' }, NOW, 'CANCELLED'],
      ['CANCELLED wins over CREATED', { status: 'CANCELLED' }, BEFORE_WINDOW, 'CANCELLED'],
      ['CANCELLED wins over EXHAUSTED', { status: 'CANCELLED', totalQuantity: 3, issuedQuantity: 3 }, NOW, 'CANCELLED'],
      ['CANCELLED wins over the window’s end', { status: 'CANCELLED' }, VALID_UNTIL, 'CANCELLED'],
    ];
    for (const [title, overrides, at, expected] of cases) {
      it(title, () => {
        expect(coupon(overrides).statusAt(at)).to.equal(expected);
      });
    }
  });

  describe('assertIssuable', () => {
    const ok: [string, Partial<CouponSnapshot>, Date, boolean][] = [
      ['ACTIVE and limited, any endpoint', { totalQuantity: 3, issuedQuantity: 2 }, NOW, false],
      ['ACTIVE and limited, the limited endpoint', { totalQuantity: 3, issuedQuantity: 2 }, NOW, true],
      ['ACTIVE and unlimited, the plain endpoint', { totalQuantity: null }, NOW, false],
      ['ACTIVE at exactly validFrom', {}, VALID_FROM, true],
    ];
    for (const [title, overrides, at, limitedOnly] of ok) {
      it(`lets ${title} through`, () => {
        expect(() => coupon(overrides).assertIssuable(at, { limitedOnly })).not.to.throw();
      });
    }

    type Refusal = [string, Partial<CouponSnapshot>, Date, boolean, typeof CouponExhausted | typeof CouponNotIssuable, string];
    const refused: Refusal[] = [
      ['EXHAUSTED (plain endpoint): exhausted, not "not issuable"', { totalQuantity: 2, issuedQuantity: 2 }, NOW, false, CouponExhausted, 'COUPON_EXHAUSTED'],
      ['EXHAUSTED (limited endpoint): exhausted', { totalQuantity: 2, issuedQuantity: 2 }, NOW, true, CouponExhausted, 'COUPON_EXHAUSTED'],
      ['an unlimited coupon on the limited endpoint', { totalQuantity: null }, NOW, true, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['CREATED (before validFrom)', {}, BEFORE_WINDOW, false, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['EXPIRED at validUntil', {}, VALID_UNTIL, false, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['EXPIRED as stored by the job', { status: 'EXPIRED' }, NOW, true, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['SUSPENDED', { status: 'SUSPENDED' }, NOW, false, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['CANCELLED', { status: 'CANCELLED' }, NOW, true, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['SUSPENDED with none left: not issuable (suspended wins)', { status: 'SUSPENDED', totalQuantity: 2, issuedQuantity: 2 }, NOW, false, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['EXPIRED with none left: not issuable', { totalQuantity: 2, issuedQuantity: 2 }, VALID_UNTIL, false, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
      ['an unlimited CANCELLED coupon on the limited endpoint', { status: 'CANCELLED', totalQuantity: null }, NOW, true, CouponNotIssuable, 'COUPON_NOT_ISSUABLE'],
    ];
    for (const [title, overrides, at, limitedOnly, errorClass, code] of refused) {
      it(`refuses ${title}: ${code}`, () => {
        const error = expectThrowsCode(() => coupon(overrides).assertIssuable(at, { limitedOnly }), code as 'COUPON_EXHAUSTED');
        expect(error).to.be.instanceOf(errorClass);
      });
    }
  });

  describe('assertBeingIssued (assertIssuable but for the copies left)', () => {
    it('answers ACTIVE where assertIssuable lets the coupon through', () => {
      expect(coupon({ totalQuantity: 3, issuedQuantity: 2 }).assertBeingIssued(NOW, { limitedOnly: true })).to.equal('ACTIVE');
      expect(coupon({ totalQuantity: null }).assertBeingIssued(NOW, { limitedOnly: false })).to.equal('ACTIVE');
    });

    it('answers EXHAUSTED where assertIssuable refuses with COUPON_EXHAUSTED', () => {
      expect(coupon({ totalQuantity: 2, issuedQuantity: 2 }).assertBeingIssued(NOW, { limitedOnly: true })).to.equal('EXHAUSTED');
      expect(coupon({ totalQuantity: 2, issuedQuantity: 2 }).assertBeingIssued(NOW, { limitedOnly: false })).to.equal('EXHAUSTED');
    });

    const refused: [string, Partial<CouponSnapshot>, Date, boolean][] = [
      ['an unlimited coupon on the limited endpoint', { totalQuantity: null }, NOW, true],
      ['CREATED (before validFrom)', {}, BEFORE_WINDOW, false],
      ['EXPIRED with none left', { totalQuantity: 2, issuedQuantity: 2 }, VALID_UNTIL, false],
      ['SUSPENDED with none left', { status: 'SUSPENDED', totalQuantity: 2, issuedQuantity: 2 }, NOW, true],
      ['CANCELLED', { status: 'CANCELLED' }, NOW, false],
    ];
    for (const [title, overrides, at, limitedOnly] of refused) {
      it(`refuses ${title} as assertIssuable does: COUPON_NOT_ISSUABLE`, () => {
        const error = expectThrowsCode(() => coupon(overrides).assertBeingIssued(at, { limitedOnly }), 'COUPON_NOT_ISSUABLE');
        expect(error).to.be.instanceOf(CouponNotIssuable);
        const same = expectThrowsCode(() => coupon(overrides).assertIssuable(at, { limitedOnly }), 'COUPON_NOT_ISSUABLE');
        expect((error as Error).message).to.equal((same as Error).message);
      });
    }
  });

  describe('isRedeemableAt (a copy already issued may be used)', () => {
    const cases: [string, Partial<CouponSnapshot>, Date, boolean][] = [
      ['ACTIVE', {}, NOW, true],
      ['EXHAUSTED (copies already out are still good)', { totalQuantity: 2, issuedQuantity: 2 }, NOW, true],
      ['CREATED (before the window)', {}, BEFORE_WINDOW, false],
      ['a millisecond before validUntil', {}, ms(VALID_UNTIL, -1), true],
      ['EXPIRED at validUntil', {}, VALID_UNTIL, false],
      ['EXPIRED as stored', { status: 'EXPIRED' }, NOW, false],
      ['SUSPENDED', { status: 'SUSPENDED' }, NOW, false],
      ['CANCELLED', { status: 'CANCELLED' }, NOW, false],
    ];
    for (const [title, overrides, at, expected] of cases) {
      it(`${title}: ${expected}`, () => {
        expect(coupon(overrides).isRedeemableAt(at)).to.equal(expected);
      });
    }
  });

  describe('changeStatus (every shown status × every settable status)', () => {
    const CHANGED_AT = ms(NOW, 60_000);
    /** A coupon showing `status` at the time it is changed. */
    const FROM: Record<string, { make: () => Coupon; at: Date; shows: CouponStatus }> = {
      CREATED: { make: () => coupon(), at: BEFORE_WINDOW, shows: 'CREATED' },
      ACTIVE: { make: () => coupon(), at: CHANGED_AT, shows: 'ACTIVE' },
      EXHAUSTED: { make: () => coupon({ totalQuantity: 2, issuedQuantity: 2 }), at: CHANGED_AT, shows: 'EXHAUSTED' },
      'EXPIRED (window over)': { make: () => coupon(), at: VALID_UNTIL, shows: 'EXPIRED' },
      'EXPIRED (stored by the job)': { make: () => coupon({ status: 'EXPIRED' }), at: CHANGED_AT, shows: 'EXPIRED' },
      SUSPENDED: { make: () => coupon({ status: 'SUSPENDED' }), at: CHANGED_AT, shows: 'SUSPENDED' },
      'SUSPENDED (and exhausted)': { make: () => coupon({ status: 'SUSPENDED', totalQuantity: 2, issuedQuantity: 2 }), at: CHANGED_AT, shows: 'SUSPENDED' },
      'SUSPENDED (before validFrom)': { make: () => coupon({ status: 'SUSPENDED' }), at: BEFORE_WINDOW, shows: 'SUSPENDED' },
      CANCELLED: { make: () => coupon({ status: 'CANCELLED' }), at: CHANGED_AT, shows: 'CANCELLED' },
    };
    type Expected = { set: CouponStatus } | { noop: CouponStatus } | 'INVALID_STATE';
    /** What each change does: `set` stores `to` and shows the status given; `noop` changes nothing. */
    const TABLE: Record<keyof typeof FROM, Record<SettableCouponStatus, Expected>> = {
      CREATED: { SUSPENDED: { set: 'SUSPENDED' }, ACTIVE: { noop: 'CREATED' }, CANCELLED: { set: 'CANCELLED' } },
      ACTIVE: { SUSPENDED: { set: 'SUSPENDED' }, ACTIVE: { noop: 'ACTIVE' }, CANCELLED: { set: 'CANCELLED' } },
      EXHAUSTED: { SUSPENDED: { set: 'SUSPENDED' }, ACTIVE: { noop: 'EXHAUSTED' }, CANCELLED: { set: 'CANCELLED' } },
      'EXPIRED (window over)': { SUSPENDED: 'INVALID_STATE', ACTIVE: 'INVALID_STATE', CANCELLED: 'INVALID_STATE' },
      'EXPIRED (stored by the job)': { SUSPENDED: 'INVALID_STATE', ACTIVE: 'INVALID_STATE', CANCELLED: 'INVALID_STATE' },
      SUSPENDED: { SUSPENDED: { noop: 'SUSPENDED' }, ACTIVE: { set: 'ACTIVE' }, CANCELLED: { set: 'CANCELLED' } },
      'SUSPENDED (and exhausted)': { SUSPENDED: { noop: 'SUSPENDED' }, ACTIVE: { set: 'EXHAUSTED' }, CANCELLED: { set: 'CANCELLED' } },
      'SUSPENDED (before validFrom)': { SUSPENDED: { noop: 'SUSPENDED' }, ACTIVE: { set: 'CREATED' }, CANCELLED: { set: 'CANCELLED' } },
      CANCELLED: { SUSPENDED: 'INVALID_STATE', ACTIVE: 'INVALID_STATE', CANCELLED: 'INVALID_STATE' },
    };

    for (const [name, from] of Object.entries(FROM)) {
      it(`${name}: the coupon shows ${from.shows} before the change`, () => {
        expect(from.make().statusAt(from.at)).to.equal(from.shows);
      });
      for (const to of SETTABLE_COUPON_STATUSES) {
        const expected = TABLE[name]![to];
        if (expected === 'INVALID_STATE') {
          it(`${name} → ${to}: INVALID_STATE, and nothing changes`, () => {
            const c = from.make();
            const before = c.toSnapshot();
            const error = expectThrowsCode(() => c.changeStatus(to, from.at), 'INVALID_STATE');
            expect(error).to.be.instanceOf(InvalidState);
            expect(c.toSnapshot()).to.deep.equal(before);
          });
        } else if ('noop' in expected) {
          it(`${name} → ${to}: a no-op (still ${expected.noop}, updatedAt unchanged)`, () => {
            const c = from.make();
            const before = c.toSnapshot();
            c.changeStatus(to, from.at);
            expect(c.toSnapshot()).to.deep.equal(before);
            expect(c.statusAt(from.at)).to.equal(expected.noop);
          });
        } else {
          it(`${name} → ${to}: stored ${to}, shows ${expected.set}, updatedAt moves`, () => {
            const c = from.make();
            const before = c.toSnapshot();
            c.changeStatus(to, from.at);
            expect(c.toSnapshot()).to.deep.equal({ ...before, status: to, updatedAt: from.at });
            expect(c.statusAt(from.at)).to.equal(expected.set);
          });
        }
      }
    }

    it('the table covers every shown status and every settable status', () => {
      const shown = new Set(Object.values(FROM).map((f) => f.shows));
      expect([...shown].sort()).to.deep.equal([...COUPON_STATUSES].sort());
      expect([...SETTABLE_COUPON_STATUSES].sort()).to.deep.equal(['ACTIVE', 'CANCELLED', 'SUSPENDED']);
    });

    it('suspend, resume, suspend, cancel: then final', () => {
      const c = coupon();
      c.changeStatus('SUSPENDED', ms(NOW, 1));
      expect(c.statusAt(ms(NOW, 1))).to.equal('SUSPENDED');
      c.changeStatus('ACTIVE', ms(NOW, 2));
      expect(c.statusAt(ms(NOW, 2))).to.equal('ACTIVE');
      c.changeStatus('SUSPENDED', ms(NOW, 3));
      c.changeStatus('CANCELLED', ms(NOW, 4));
      expect(c.toSnapshot()).to.include({ status: 'CANCELLED' });
      expect(c.toSnapshot().updatedAt).to.deep.equal(ms(NOW, 4));
      for (const to of SETTABLE_COUPON_STATUSES) expectThrowsCode(() => c.changeStatus(to, ms(NOW, 5)), 'INVALID_STATE');
    });
  });

  describe('expire (the expiry job)', () => {
    it('ACTIVE at exactly validUntil → stored EXPIRED, updatedAt moves', () => {
      const c = coupon();
      const before = c.toSnapshot();
      c.expire(VALID_UNTIL);
      expect(c.toSnapshot()).to.deep.equal({ ...before, status: 'EXPIRED', updatedAt: VALID_UNTIL });
      expect(c.statusAt(NOW)).to.equal('EXPIRED');
    });

    it('SUSPENDED past its window → EXPIRED', () => {
      const c = coupon({ status: 'SUSPENDED' });
      c.expire(ms(VALID_UNTIL, 1_000));
      expect(c.toSnapshot().status).to.equal('EXPIRED');
    });

    it('EXHAUSTED past its window → EXPIRED', () => {
      const c = coupon({ totalQuantity: 1, issuedQuantity: 1 });
      c.expire(VALID_UNTIL);
      expect(c.toSnapshot().status).to.equal('EXPIRED');
    });

    it('before validUntil: INVALID_STATE, and nothing changes', () => {
      const c = coupon();
      const before = c.toSnapshot();
      const error = expectThrowsCode(() => c.expire(ms(VALID_UNTIL, -1)), 'INVALID_STATE');
      expect(error).to.be.instanceOf(InvalidState);
      expect(c.toSnapshot()).to.deep.equal(before);
    });

    it('CANCELLED stays CANCELLED; EXPIRED stays as it was (no-ops)', () => {
      const cancelled = coupon({ status: 'CANCELLED' });
      const before = cancelled.toSnapshot();
      cancelled.expire(VALID_UNTIL);
      expect(cancelled.toSnapshot()).to.deep.equal(before);
      const expired = coupon({ status: 'EXPIRED' });
      const was = expired.toSnapshot();
      expired.expire(ms(VALID_UNTIL, 5_000));
      expect(expired.toSnapshot()).to.deep.equal(was);
    });
  });

  describe('snapshots', () => {
    it('fromSnapshot and toSnapshot copy: changing one does not change the other', () => {
      const s = snapshot();
      const c = Coupon.fromSnapshot(s);
      c.changeStatus('SUSPENDED', NOW);
      expect(s.status).to.equal('ACTIVE');
      const out = c.toSnapshot();
      out.status = 'CANCELLED';
      expect(c.toSnapshot().status).to.equal('SUSPENDED');
    });
  });
});
