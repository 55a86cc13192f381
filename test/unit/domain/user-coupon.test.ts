import { expect } from 'chai';
import { CouponNotApplicable } from '../../../src/domain/coupon/errors.js';
import { UserCoupon, USER_COUPON_STATUSES, type UserCouponSnapshot } from '../../../src/domain/coupon/user-coupon.js';
import { InvalidState } from '../../../src/domain/shared/errors.js';
import { expectThrowsCode } from '../expect-error.js';

const ISSUED_AT = new Date('2026-01-15T09:00:00.000Z');
const EXPIRES_AT = new Date('2026-02-10T00:00:00.000Z');
/** Well inside the validity. */
const NOW = new Date('2026-01-20T12:00:00.000Z');
const USED_AT = new Date('2026-01-18T10:00:00.000Z');
const ms = (date: Date, delta: number) => new Date(date.getTime() + delta);

const OWNER = 7;
const SOMEONE_ELSE = 8;
/** The order the copy is bound to / was used by. */
const ORDER = 42;
const OTHER_ORDER = 43;
/** A new order it might be bound to. */
const NEW_ORDER = 50;

function snapshot(overrides: Partial<UserCouponSnapshot> = {}): UserCouponSnapshot {
  return {
    id: 9,
    couponId: 5,
    userId: OWNER,
    n: 1,
    status: 'ISSUED',
    orderId: null,
    issuedAt: ISSUED_AT,
    usedAt: null,
    expiresAt: EXPIRES_AT,
    ...overrides,
  };
}

const copy = (overrides: Partial<UserCouponSnapshot> = {}) => UserCoupon.fromSnapshot(snapshot(overrides));

/** Every state a copy can be in. */
const STATES = {
  'ISSUED, free': {},
  'ISSUED, bound to an unpaid order': { orderId: ORDER },
  'REFUNDED, free': { status: 'REFUNDED' },
  'REFUNDED, bound to an unpaid order': { status: 'REFUNDED', orderId: ORDER },
  USED: { status: 'USED', orderId: ORDER, usedAt: USED_AT },
  EXPIRED: { status: 'EXPIRED' },
} as const satisfies Record<string, Partial<UserCouponSnapshot>>;
type StateName = keyof typeof STATES;

/** Every move, called as the use cases call it. */
const MOVES = {
  'bindTo(new order)': (c: UserCoupon) => c.bindTo(NEW_ORDER, OWNER, NOW),
  'bindTo(new order) by someone else': (c: UserCoupon) => c.bindTo(NEW_ORDER, SOMEONE_ELSE, NOW),
  'bindTo(new order) at expiresAt': (c: UserCoupon) => c.bindTo(NEW_ORDER, OWNER, EXPIRES_AT),
  'use(its order)': (c: UserCoupon) => c.use(ORDER, NOW),
  'use(another order)': (c: UserCoupon) => c.use(OTHER_ORDER, NOW),
  'release(its order)': (c: UserCoupon) => c.release(ORDER, new Date()),
  'release(another order)': (c: UserCoupon) => c.release(OTHER_ORDER, new Date()),
  'refund(its order)': (c: UserCoupon) => c.refund(ORDER, new Date()),
  'refund(another order)': (c: UserCoupon) => c.refund(OTHER_ORDER, new Date()),
  'expire at expiresAt': (c: UserCoupon) => c.expire(EXPIRES_AT),
  'expire after expiresAt': (c: UserCoupon) => c.expire(ms(EXPIRES_AT, 86_400_000)),
  'expire before expiresAt': (c: UserCoupon) => c.expire(ms(EXPIRES_AT, -1)),
} as const;
type MoveName = keyof typeof MOVES;

/**
 * The moves that succeed, and what they change; every other pair throws INVALID_STATE, except
 * that bindTo refuses with COUPON_NOT_APPLICABLE.
 */
const ALLOWED: Record<StateName, Partial<Record<MoveName, Partial<UserCouponSnapshot>>>> = {
  'ISSUED, free': {
    'bindTo(new order)': { orderId: NEW_ORDER },
    'expire at expiresAt': { status: 'EXPIRED' },
    'expire after expiresAt': { status: 'EXPIRED' },
  },
  'ISSUED, bound to an unpaid order': {
    'use(its order)': { status: 'USED', usedAt: NOW },
    'release(its order)': { orderId: null },
  },
  'REFUNDED, free': {
    'bindTo(new order)': { orderId: NEW_ORDER },
    'expire at expiresAt': { status: 'EXPIRED' },
    'expire after expiresAt': { status: 'EXPIRED' },
  },
  'REFUNDED, bound to an unpaid order': {
    'use(its order)': { status: 'USED', usedAt: NOW },
    // Released, it is REFUNDED again (never ISSUED): it was never used on this order.
    'release(its order)': { orderId: null },
  },
  USED: {
    'refund(its order)': { status: 'REFUNDED', orderId: null, usedAt: null },
  },
  EXPIRED: {},
};

describe('UserCoupon (a user’s copy of a coupon)', () => {
  describe('whyNotApplicable', () => {
    it('null for the owner’s ISSUED, free copy inside its validity', () => {
      expect(copy().whyNotApplicable(OWNER, NOW)).to.equal(null);
    });

    it('null for a REFUNDED, free copy: usable again', () => {
      expect(copy({ status: 'REFUNDED' }).whyNotApplicable(OWNER, NOW)).to.equal(null);
    });

    it('null a millisecond before expiresAt', () => {
      expect(copy().whyNotApplicable(OWNER, ms(EXPIRES_AT, -1))).to.equal(null);
    });

    it('someone else’s copy: "not yours"', () => {
      expect(copy().whyNotApplicable(SOMEONE_ELSE, NOW)).to.equal('User coupon 9 is not yours');
    });

    it('someone else’s copy says only "not yours", whatever its state', () => {
      for (const overrides of Object.values(STATES)) {
        expect(copy(overrides).whyNotApplicable(SOMEONE_ELSE, NOW)).to.equal('User coupon 9 is not yours');
      }
    });

    it('USED: "has been used"', () => {
      expect(copy(STATES.USED).whyNotApplicable(OWNER, NOW)).to.equal('User coupon 9 has been used');
    });

    it('EXPIRED: "has expired"', () => {
      expect(copy({ status: 'EXPIRED' }).whyNotApplicable(OWNER, NOW)).to.equal('User coupon 9 has expired');
    });

    it('ISSUED but past expiresAt (the job has not run yet): "has expired", from exactly expiresAt', () => {
      expect(copy().whyNotApplicable(OWNER, EXPIRES_AT)).to.equal('User coupon 9 has expired');
      expect(copy({ status: 'REFUNDED' }).whyNotApplicable(OWNER, ms(EXPIRES_AT, 1))).to.equal('User coupon 9 has expired');
    });

    it('bound to an unpaid order: names that order', () => {
      expect(copy({ orderId: ORDER }).whyNotApplicable(OWNER, NOW)).to.equal('User coupon 9 is held by order 42, which is not paid yet');
      expect(copy({ status: 'REFUNDED', orderId: ORDER }).whyNotApplicable(OWNER, NOW)).to.equal(
        'User coupon 9 is held by order 42, which is not paid yet',
      );
    });
  });

  describe('every state × every move', () => {
    for (const [stateName, overrides] of Object.entries(STATES) as [StateName, Partial<UserCouponSnapshot>][]) {
      for (const [moveName, move] of Object.entries(MOVES) as [MoveName, (c: UserCoupon) => void][]) {
        const expected = ALLOWED[stateName][moveName];
        if (expected) {
          it(`${stateName} --${moveName}--> ${JSON.stringify(expected)}`, () => {
            const c = copy(overrides);
            const before = c.toSnapshot();
            move(c);
            expect(c.toSnapshot()).to.deep.equal({ ...before, ...expected });
          });
        } else {
          const code = moveName.startsWith('bindTo') ? 'COUPON_NOT_APPLICABLE' : 'INVALID_STATE';
          it(`${stateName} refuses ${moveName}: ${code}, and the copy is unchanged`, () => {
            const c = copy(overrides);
            const before = c.toSnapshot();
            const error = expectThrowsCode(() => move(c), code);
            expect(error).to.be.instanceOf(code === 'COUPON_NOT_APPLICABLE' ? CouponNotApplicable : InvalidState);
            expect(c.toSnapshot()).to.deep.equal(before);
          });
        }
      }
    }

    it('the table covers every status', () => {
      const statuses = new Set(Object.values(STATES).map((s: Partial<UserCouponSnapshot>) => s.status ?? 'ISSUED'));
      expect([...statuses].sort()).to.deep.equal([...USER_COUPON_STATUSES].sort());
    });
  });

  describe('bindTo', () => {
    it('the refusal says why (the same reason whyNotApplicable gives)', () => {
      const error = expectThrowsCode(() => copy({ orderId: ORDER }).bindTo(NEW_ORDER, OWNER, NOW), 'COUPON_NOT_APPLICABLE');
      expect((error as Error).message).to.equal('User coupon 9 is held by order 42, which is not paid yet');
    });

    it('a bound copy keeps its status and names the order; its accessors say so', () => {
      const c = copy();
      c.bindTo(NEW_ORDER, OWNER, NOW);
      expect(c.status).to.equal('ISSUED');
      expect(c.orderId).to.equal(NEW_ORDER);
      expect(c.whyNotApplicable(OWNER, NOW)).to.equal(`User coupon 9 is held by order ${NEW_ORDER}, which is not paid yet`);
    });
  });

  describe('lifecycles', () => {
    it('ISSUED → bound → USED → REFUNDED → bound again → USED again', () => {
      const c = copy();
      c.bindTo(ORDER, OWNER, NOW);
      c.use(ORDER, USED_AT);
      expect(c.toSnapshot()).to.deep.include({ status: 'USED', orderId: ORDER, usedAt: USED_AT });
      expect(c.whyNotApplicable(OWNER, NOW)).to.equal('User coupon 9 has been used');
      c.refund(ORDER, new Date());
      expect(c.toSnapshot()).to.deep.include({ status: 'REFUNDED', orderId: null, usedAt: null });
      expect(c.whyNotApplicable(OWNER, NOW)).to.equal(null);
      c.bindTo(NEW_ORDER, OWNER, NOW);
      expect(c.toSnapshot()).to.deep.include({ status: 'REFUNDED', orderId: NEW_ORDER });
      c.use(NEW_ORDER, NOW);
      expect(c.toSnapshot()).to.deep.include({ status: 'USED', orderId: NEW_ORDER, usedAt: NOW });
    });

    it('REFUNDED → bound → released: REFUNDED again, free, usable', () => {
      const c = copy({ status: 'REFUNDED' });
      c.bindTo(NEW_ORDER, OWNER, NOW);
      c.release(NEW_ORDER, new Date());
      expect(c.toSnapshot()).to.deep.equal(snapshot({ status: 'REFUNDED' }));
      expect(c.whyNotApplicable(OWNER, NOW)).to.equal(null);
    });

    it('ISSUED → bound → released: ISSUED again, free, as if never bound', () => {
      const c = copy();
      c.bindTo(NEW_ORDER, OWNER, NOW);
      c.release(NEW_ORDER, new Date());
      expect(c.toSnapshot()).to.deep.equal(snapshot());
    });

    it('a refunded copy can be refunded only once', () => {
      const c = copy(STATES.USED);
      c.refund(ORDER, new Date());
      expectThrowsCode(() => c.refund(ORDER, new Date()), 'INVALID_STATE');
    });
  });
});
