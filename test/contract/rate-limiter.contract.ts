import { expect } from 'chai';
import type { RateLimiter } from '../../src/application/ports/rate-limiter.js';
import type { RateLimits } from '../../src/adapters/memory/rate-limiter.js';
import { ManualClock } from '../support/clock.js';
import { uniqueToken } from './contract-support.js';

export interface RateLimiterSubject {
  limiter: RateLimiter;
}

/**
 * Makes a limiter with these limits on this clock. Windows are wall-clock windows, so every
 * adapter is driven by a manual clock the test moves.
 */
export type MakeRateLimiter = (limits: RateLimits, clock: ManualClock) => Promise<RateLimiterSubject>;

const ORDERS = 'orders';
const COUPONS = 'coupon-issue';

/** 3 orders per 10 s, 2 coupon issues per minute: small numbers that show the edges. */
export const CONTRACT_LIMITS: RateLimits = {
  [ORDERS]: { limit: 3, windowMs: 10_000 },
  [COUPONS]: { limit: 2, windowMs: 60_000 },
};

/** The start of a 10-second and of a 1-minute window (whole minutes are whole 10 s windows). */
const WINDOW_START = new Date('2026-01-15T09:00:00.000Z');

/** What every RateLimiter must do, whatever it counts in. */
export function rateLimiterContract(makeSubject: MakeRateLimiter): void {
  let clock: ManualClock;
  let limiter: RateLimiter;

  beforeEach(async function () {
    clock = new ManualClock(WINDOW_START);
    ({ limiter } = await makeSubject(CONTRACT_LIMITS, clock));
  });

  /** A subject nobody else counts for (the store may be shared by the whole run). */
  const freshSubject = () => uniqueToken('rate-subject');

  async function takes(action: string, subject: string, times: number, on: RateLimiter = limiter): Promise<number[]> {
    const answers: number[] = [];
    for (let i = 0; i < times; i += 1) answers.push(await on.take(action, subject));
    return answers;
  }

  it('allows up to the limit in a window, then refuses with the seconds left in the window', async function () {
    const subject = freshSubject();

    expect(await takes(ORDERS, subject, 3)).to.deep.equal([0, 0, 0]);
    expect(await limiter.take(ORDERS, subject)).to.equal(10);
    // Refused takes do not open anything up: still refused.
    expect(await limiter.take(ORDERS, subject)).to.equal(10);
  });

  it('the retry-after counts down with the window, rounded up, never below 1', async function () {
    const subject = freshSubject();
    await takes(ORDERS, subject, 3);

    clock.advance(2_500);
    expect(await limiter.take(ORDERS, subject)).to.equal(8);
    clock.advance(7_400);
    expect(await limiter.take(ORDERS, subject)).to.equal(1);
    clock.advance(99);
    expect(await limiter.take(ORDERS, subject)).to.equal(1);
  });

  it('every refusal is more than 0 and at most the window in seconds', async function () {
    const subject = freshSubject();
    clock.advance(4_321);
    await takes(COUPONS, subject, 2);

    for (let step = 0; step < 6; step += 1) {
      const seconds = await limiter.take(COUPONS, subject);
      expect(seconds).to.be.greaterThan(0);
      expect(seconds).to.be.at.most(60);
      expect(seconds).to.equal(Math.ceil((60_000 - 4_321 - step * 9_000) / 1000));
      clock.advance(9_000);
    }
  });

  it('the next window allows the limit again', async function () {
    const subject = freshSubject();
    await takes(ORDERS, subject, 4);

    clock.advance(10_000);

    expect(await takes(ORDERS, subject, 3)).to.deep.equal([0, 0, 0]);
    expect(await limiter.take(ORDERS, subject)).to.equal(10);
  });

  it('windows are fixed on the clock: takes late in one window do not count in the next', async function () {
    const subject = freshSubject();
    clock.advance(9_900);
    expect(await takes(ORDERS, subject, 3)).to.deep.equal([0, 0, 0]);
    expect(await limiter.take(ORDERS, subject)).to.equal(1);

    clock.advance(100);

    expect(await takes(ORDERS, subject, 3)).to.deep.equal([0, 0, 0]);
  });

  it('a limit of 0 is off: always allowed', async function () {
    const { limiter: unlimited } = await makeSubject({ [ORDERS]: { limit: 0, windowMs: 1_000 } }, clock);

    expect(await takes(ORDERS, freshSubject(), 50, unlimited)).to.deep.equal(Array(50).fill(0));
  });

  it('an action without a limit is always allowed', async function () {
    expect(await takes('not-configured', freshSubject(), 20)).to.deep.equal(Array(20).fill(0));
    expect(await takes('toString', freshSubject(), 5)).to.deep.equal(Array(5).fill(0));
  });

  it('counts each subject on its own', async function () {
    const [alice, bob] = [freshSubject(), freshSubject()];

    await takes(ORDERS, alice, 3);
    expect(await limiter.take(ORDERS, alice)).to.be.greaterThan(0);

    expect(await takes(ORDERS, bob, 3)).to.deep.equal([0, 0, 0]);
    expect(await limiter.take(ORDERS, bob)).to.be.greaterThan(0);
  });

  it('counts each action on its own', async function () {
    const subject = freshSubject();

    await takes(ORDERS, subject, 3);
    expect(await limiter.take(ORDERS, subject)).to.be.greaterThan(0);

    expect(await takes(COUPONS, subject, 2)).to.deep.equal([0, 0]);
    expect(await limiter.take(COUPONS, subject)).to.equal(60);
  });

  it('many simultaneous takes admit exactly the limit', async function () {
    const subject = freshSubject();

    const answers = await Promise.all(Array.from({ length: 12 }, () => limiter.take(ORDERS, subject)));

    expect(answers.filter((a) => a === 0)).to.have.length(3);
    expect(answers.filter((a) => a === 10)).to.have.length(9);
  });

  it('refuses limits that mean nothing', async function () {
    for (const bad of [{ limit: -1, windowMs: 1_000 }, { limit: 1.5, windowMs: 1_000 }, { limit: 1, windowMs: 0 }]) {
      let refused: unknown = null;
      try {
        await makeSubject({ [ORDERS]: bad }, clock);
      } catch (error) {
        refused = error;
      }
      expect(refused, JSON.stringify(bad)).to.be.instanceOf(RangeError);
    }
  });
}
