import { expect } from 'chai';
import type { CouponIssueGate, GateAnswer, IssueTerms } from '../../src/application/ports/coupon-issue-gate.js';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import type { Coupon, NewCoupon } from '../../src/domain/coupon/coupon.js';
import { CouponAlreadyIssued, CouponExhausted } from '../../src/domain/coupon/errors.js';
import type { CouponRepository, UserCouponRepository } from '../../src/domain/coupon/repositories.js';
import type { UserCoupon } from '../../src/domain/coupon/user-coupon.js';
import { uniqueToken } from './contract-support.js';

/** A gate and the records it guards: the database's guarded counter and numbering still decide. */
export interface IssueGateSubject {
  gate: CouponIssueGate;
  coupons: CouponRepository;
  userCoupons: UserCouponRepository;
  transactions: TransactionManager;
  /** `count` fresh users (real rows on PostgreSQL). */
  users(count: number): Promise<number[]>;
  /** A fresh SELLER to create coupons. */
  seller(): Promise<number>;
  /**
   * The gate after it lost what it knew of the coupon (a restart, an eviction, a flush): the gate
   * to go on with, which must start again from the records.
   */
  lostState(couponId: number): Promise<CouponIssueGate>;
}

/** What one issue request came to: what the gate answered, and what the records then made of it. */
export interface Attempt {
  answer: GateAnswer;
  outcome: 'ISSUED' | 'EXHAUSTED' | 'ALREADY_ISSUED' | 'WRITE_FAILED';
  copy: UserCoupon | null;
}

export const termsOf = (coupon: Coupon): IssueTerms => ({
  couponId: coupon.id,
  totalQuantity: coupon.totalQuantity as number,
  perUserLimit: coupon.perUserLimit,
  validUntil: coupon.validUntil,
});

/**
 * One issue request as src/application/coupons/issue-coupon.ts makes it: the gate first; when it
 * says TAKEN, the guarded counter and the numbered copy in one transaction. The database refusing
 * (exhausted, already issued) makes the gate forget the coupon; any other failure of the write
 * gives the claim back. A gate that cannot be told (its store is down) is not an error here.
 */
export async function issueThrough(
  subject: Pick<IssueGateSubject, 'coupons' | 'userCoupons' | 'transactions'>,
  gate: CouponIssueGate,
  coupon: Coupon,
  userId: number,
  options: { failWrite?: boolean } = {},
): Promise<Attempt> {
  const { coupons, userCoupons, transactions } = subject;
  const answer = await gate.take(termsOf(coupon), userId);
  if (answer !== 'TAKEN') return { answer, outcome: answer, copy: null };
  const now = new Date();
  try {
    const copy = await transactions.run(async () => {
      if ((await userCoupons.heldBy(coupon.id, userId)) >= coupon.perUserLimit) throw new CouponAlreadyIssued('already holds');
      if (!(await coupons.countOneIssued(coupon.id, now))) throw new CouponExhausted('none left');
      const issued = await userCoupons.issue({ couponId: coupon.id, userId, issuedAt: now, expiresAt: coupon.validUntil }, coupon.perUserLimit);
      if (!issued) throw new CouponAlreadyIssued('already holds');
      if (options.failWrite) throw new Error('the write failed (e.g. the outbox insert)');
      return issued;
    });
    return { answer, outcome: 'ISSUED', copy };
  } catch (error) {
    const refused = error instanceof CouponExhausted || error instanceof CouponAlreadyIssued;
    try {
      if (refused) await gate.forget(coupon.id);
      else await gate.giveBack(coupon.id, userId);
    } catch {
      // Like the use case: a gate that cannot be told is logged there, not fatal.
    }
    if (error instanceof CouponExhausted) return { answer, outcome: 'EXHAUSTED', copy: null };
    if (error instanceof CouponAlreadyIssued) return { answer, outcome: 'ALREADY_ISSUED', copy: null };
    return { answer, outcome: 'WRITE_FAILED', copy: null };
  }
}

/** A limited coupon being issued now: from an hour ago until tomorrow. */
export function limitedCoupon(createdBy: number, totalQuantity: number, perUserLimit = 1): NewCoupon {
  const now = Date.now();
  return {
    code: `Gate_${uniqueToken('g').slice(2)}`,
    name: 'Gate contract coupon',
    type: 'FIXED',
    discountValue: 1_000,
    maxDiscountAmount: null,
    minOrderAmount: 0,
    totalQuantity,
    issuedQuantity: 0,
    perUserLimit,
    validFrom: new Date(now - 3_600_000),
    validUntil: new Date(now + 86_400_000),
    status: 'ACTIVE',
    sellerId: null,
    createdBy,
    createdAt: new Date(now - 3_600_000),
    updatedAt: new Date(now - 3_600_000),
  };
}

const summary = (attempts: Attempt[]) => attempts.map((a) => `${a.answer}/${a.outcome}`);

/** What every CouponIssueGate must do with its records, whatever it keeps its counts in. */
export function couponIssueGateContract(makeSubject: () => Promise<IssueGateSubject>): void {
  let subject: IssueGateSubject;
  let sellerId: number;

  beforeEach(async function () {
    subject = await makeSubject();
    sellerId = await subject.seller();
  });

  const newCoupon = (total: number, perUserLimit = 1) => subject.coupons.add(limitedCoupon(sellerId, total, perUserLimit));
  const issue = (coupon: Coupon, userId: number, options: { failWrite?: boolean; gate?: CouponIssueGate } = {}) =>
    issueThrough(subject, options.gate ?? subject.gate, coupon, userId, options);

  /** What the records say was issued: the guarded counter, and the copies each user holds. */
  async function recorded(coupon: Coupon): Promise<{ counter: number; copies: number; perUser: Map<number, number> }> {
    const stored = await subject.coupons.get(coupon.id);
    const copies = await subject.userCoupons.issuedCopies(coupon.id);
    return { counter: stored?.toSnapshot().issuedQuantity ?? -1, copies: copies.issued, perUser: copies.perUser };
  }

  it('prepare() on a new coupon, even twice, changes no count: N are issued, then EXHAUSTED', async function () {
    const coupon = await newCoupon(3);
    const users = await subject.users(5);

    await subject.gate.prepare(termsOf(coupon));
    await subject.gate.prepare(termsOf(coupon));
    const attempts: Attempt[] = [];
    for (const user of users) attempts.push(await issue(coupon, user));

    expect(summary(attempts)).to.deep.equal([...Array(3).fill('TAKEN/ISSUED'), ...Array(2).fill('EXHAUSTED/EXHAUSTED')]);
  });

  it('prepare() after copies were issued keeps what the gate already counts', async function () {
    const coupon = await newCoupon(3);
    const users = await subject.users(4);

    expect((await issue(coupon, users[0] as number)).outcome).to.equal('ISSUED');
    await subject.gate.prepare(termsOf(coupon));
    const rest: Attempt[] = [];
    for (const user of users.slice(1)) rest.push(await issue(coupon, user));

    expect(summary(rest)).to.deep.equal(['TAKEN/ISSUED', 'TAKEN/ISSUED', 'EXHAUSTED/EXHAUSTED']);
  });

  it('a total of N: exactly N are taken and issued, then the gate itself answers EXHAUSTED', async function () {
    const coupon = await newCoupon(5);
    const users = await subject.users(8);

    const attempts: Attempt[] = [];
    for (const user of users) attempts.push(await issue(coupon, user));

    expect(summary(attempts)).to.deep.equal([
      ...Array(5).fill('TAKEN/ISSUED'),
      ...Array(3).fill('EXHAUSTED/EXHAUSTED'),
    ]);
    expect(attempts.slice(0, 5).map((a) => a.copy?.toSnapshot().n)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(await recorded(coupon)).to.deep.equal({ counter: 5, copies: 5, perUser: new Map(users.slice(0, 5).map((u) => [u, 1])) });
    // Still exhausted on asking again.
    expect(await subject.gate.take(termsOf(coupon), users[7] as number)).to.equal('EXHAUSTED');
  });

  it('the per-user limit: a user gets perUserLimit copies, then ALREADY_ISSUED; others are not affected', async function () {
    const coupon = await newCoupon(10, 2);
    const [alice, bob] = (await subject.users(2)) as [number, number];

    const attempts = [await issue(coupon, alice), await issue(coupon, alice), await issue(coupon, alice), await issue(coupon, alice), await issue(coupon, bob)];

    expect(summary(attempts)).to.deep.equal(['TAKEN/ISSUED', 'TAKEN/ISSUED', 'ALREADY_ISSUED/ALREADY_ISSUED', 'ALREADY_ISSUED/ALREADY_ISSUED', 'TAKEN/ISSUED']);
    expect(attempts.map((a) => a.copy?.toSnapshot().n ?? null)).to.deep.equal([1, 2, null, null, 1]);
    expect(await recorded(coupon)).to.deep.equal({ counter: 3, copies: 3, perUser: new Map([[alice, 2], [bob, 1]]) });
  });

  it('ALREADY_ISSUED wins over EXHAUSTED', async function () {
    const coupon = await newCoupon(2);
    const [alice, bob, carol] = (await subject.users(3)) as [number, number, number];
    await issue(coupon, alice);
    await issue(coupon, bob);

    const attempts = [await issue(coupon, alice), await issue(coupon, carol), await issue(coupon, bob)];

    expect(summary(attempts)).to.deep.equal(['ALREADY_ISSUED/ALREADY_ISSUED', 'EXHAUSTED/EXHAUSTED', 'ALREADY_ISSUED/ALREADY_ISSUED']);
    expect(await recorded(coupon)).to.deep.equal({ counter: 2, copies: 2, perUser: new Map([[alice, 1], [bob, 1]]) });
  });

  it('a claim whose write failed is given back: another user takes that copy, and no more than N are issued', async function () {
    const coupon = await newCoupon(2);
    const [alice, bob, carol, dave] = (await subject.users(4)) as [number, number, number, number];

    const attempts = [
      await issue(coupon, alice),
      await issue(coupon, bob, { failWrite: true }),
      await issue(coupon, carol),
      await issue(coupon, dave),
      await issue(coupon, bob),
    ];

    expect(summary(attempts)).to.deep.equal(['TAKEN/ISSUED', 'TAKEN/WRITE_FAILED', 'TAKEN/ISSUED', 'EXHAUSTED/EXHAUSTED', 'EXHAUSTED/EXHAUSTED']);
    expect(await recorded(coupon)).to.deep.equal({ counter: 2, copies: 2, perUser: new Map([[alice, 1], [carol, 1]]) });
  });

  it("a claim given back is the user's again too: after a failed write they may try once more", async function () {
    const coupon = await newCoupon(1);
    const [alice, bob] = (await subject.users(2)) as [number, number];

    const attempts = [await issue(coupon, alice, { failWrite: true }), await issue(coupon, alice), await issue(coupon, bob)];

    expect(summary(attempts)).to.deep.equal(['TAKEN/WRITE_FAILED', 'TAKEN/ISSUED', 'EXHAUSTED/EXHAUSTED']);
    expect(attempts[1]?.copy?.toSnapshot().n).to.equal(1);
    expect(await recorded(coupon)).to.deep.equal({ counter: 1, copies: 1, perUser: new Map([[alice, 1]]) });
  });

  it('a gate that lost its state starts again from the records: holders stay ALREADY_ISSUED, and no more than N are issued', async function () {
    const coupon = await newCoupon(5);
    const users = await subject.users(8);
    const [a, b, c, d, e, f, g, h] = users as [number, number, number, number, number, number, number, number];
    for (const user of [a, b, c]) expect((await issue(coupon, user)).outcome).to.equal('ISSUED');

    const gate = await subject.lostState(coupon.id);
    const attempts = [
      await issue(coupon, a, { gate }),
      await issue(coupon, d, { gate }),
      await issue(coupon, e, { gate }),
      await issue(coupon, f, { gate }),
      await issue(coupon, g, { gate }),
      await issue(coupon, c, { gate }),
    ];

    expect(summary(attempts)).to.deep.equal([
      'ALREADY_ISSUED/ALREADY_ISSUED',
      'TAKEN/ISSUED',
      'TAKEN/ISSUED',
      'EXHAUSTED/EXHAUSTED',
      'EXHAUSTED/EXHAUSTED',
      'ALREADY_ISSUED/ALREADY_ISSUED',
    ]);
    expect(await recorded(coupon)).to.deep.equal({ counter: 5, copies: 5, perUser: new Map([a, b, c, d, e].map((u) => [u, 1])) });

    // Losing it again, with every copy out: still nothing more.
    const again = await subject.lostState(coupon.id);
    expect(summary([await issue(coupon, h, { gate: again }), await issue(coupon, b, { gate: again })])).to.deep.equal([
      'EXHAUSTED/EXHAUSTED',
      'ALREADY_ISSUED/ALREADY_ISSUED',
    ]);
    expect((await recorded(coupon)).counter).to.equal(5);
  });

  it('copies issued behind the gate: the records refuse what the gate still grants, and the gate then learns it', async function () {
    const coupon = await newCoupon(3);
    const [alice, bob, carol, dave, erin] = (await subject.users(5)) as [number, number, number, number, number];
    await issue(coupon, alice);
    await issue(coupon, bob);
    // Carol's copy is written without the gate (e.g. by an instance that does not share it).
    await subject.transactions.run(async () => {
      expect(await subject.coupons.countOneIssued(coupon.id, new Date())).to.equal(true);
      expect(await subject.userCoupons.issue({ couponId: coupon.id, userId: carol, issuedAt: new Date(), expiresAt: coupon.validUntil }, 1)).to.not.equal(null);
    });

    const daves = await issue(coupon, dave);
    const later = [await issue(coupon, erin), await issue(coupon, carol)];

    // However the gate answered Dave, the records have none left for him.
    expect(daves.outcome).to.equal('EXHAUSTED');
    expect(daves.copy).to.equal(null);
    // After that, the gate answers the crowd itself, from the records.
    expect(summary(later)).to.deep.equal(['EXHAUSTED/EXHAUSTED', 'ALREADY_ISSUED/ALREADY_ISSUED']);
    expect(await recorded(coupon)).to.deep.equal({ counter: 3, copies: 3, perUser: new Map([[alice, 1], [bob, 1], [carol, 1]]) });
  });

  it('simultaneous issues of 200 users for 20 copies: exactly 20 issued, every other one EXHAUSTED', async function () {
    this.timeout(60_000);
    const coupon = await newCoupon(20);
    const users = await subject.users(200);

    const attempts = await Promise.all(users.map((user) => issue(coupon, user)));

    expect(attempts.filter((a) => a.outcome === 'ISSUED')).to.have.length(20);
    expect(attempts.filter((a) => a.outcome === 'EXHAUSTED')).to.have.length(180);
    const recordedNow = await recorded(coupon);
    expect(recordedNow.counter).to.equal(20);
    expect(recordedNow.copies).to.equal(20);
    expect([...recordedNow.perUser.values()]).to.deep.equal(Array(20).fill(1));
    const winners = attempts.filter((a) => a.outcome === 'ISSUED').map((a) => a.copy?.userId);
    expect([...recordedNow.perUser.keys()].sort((x, y) => x - y)).to.deep.equal((winners as number[]).sort((x, y) => x - y));
    // Once the storm is over the gate knows: a winner is told ALREADY_ISSUED, anyone else EXHAUSTED.
    const winner = winners[0] as number;
    const loser = users.find((u) => !winners.includes(u)) as number;
    expect(await subject.gate.take(termsOf(coupon), winner)).to.equal('ALREADY_ISSUED');
    expect(await subject.gate.take(termsOf(coupon), loser)).to.equal('EXHAUSTED');
  });

  it('one user racing with 10 requests for a one-per-user coupon gets exactly one copy', async function () {
    const coupon = await newCoupon(20);
    const [alice] = (await subject.users(1)) as [number];

    const attempts = await Promise.all(Array.from({ length: 10 }, () => issue(coupon, alice)));

    expect(attempts.filter((a) => a.outcome === 'ISSUED')).to.have.length(1);
    expect(attempts.filter((a) => a.outcome === 'ALREADY_ISSUED')).to.have.length(9);
    expect(await recorded(coupon)).to.deep.equal({ counter: 1, copies: 1, perUser: new Map([[alice, 1]]) });
    expect(await subject.gate.take(termsOf(coupon), alice)).to.equal('ALREADY_ISSUED');
  });

  it('each coupon is counted on its own', async function () {
    const one = await newCoupon(1);
    const two = await newCoupon(1);
    const [alice, bob] = (await subject.users(2)) as [number, number];

    const attempts = [await issue(one, alice), await issue(two, alice), await issue(one, bob), await issue(two, bob)];

    expect(summary(attempts)).to.deep.equal(['TAKEN/ISSUED', 'TAKEN/ISSUED', 'EXHAUSTED/EXHAUSTED', 'EXHAUSTED/EXHAUSTED']);
  });
}
