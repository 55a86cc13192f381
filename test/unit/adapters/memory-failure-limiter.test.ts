import { expect } from 'chai';
import { MemoryFailureLimiter } from '../../../src/adapters/memory/failure-limiter.js';
import { ManualClock } from '../../support/clock.js';

describe('MemoryFailureLimiter (consecutive failures block an action for a while)', () => {
  let clock: ManualClock;
  let limiter: MemoryFailureLimiter;

  beforeEach(() => {
    clock = new ManualClock();
    limiter = new MemoryFailureLimiter({ threshold: 3, blockSeconds: 60 }, clock);
  });

  const failTimes = async (n: number, action = 'login', subject = 'kim@shop.test') => {
    for (let i = 0; i < n; i += 1) await limiter.recordFailure(action, subject);
  };

  it('an action with no failures is allowed (0 seconds blocked)', async () => {
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
  });

  it('failures below the threshold do not block', async () => {
    await failTimes(2);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
  });

  it('reaching the threshold blocks for the whole block time', async () => {
    await failTimes(3);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(60);
  });

  it('the time left is counted down and rounded up to whole seconds', async () => {
    await failTimes(3);
    clock.advance(30_500);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(30);
    clock.advance(29_000);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(1);
  });

  it('the block ends exactly when its time is up', async () => {
    await failTimes(3);
    clock.advance(59_999);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(1);
    clock.advance(1);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
  });

  it('after a block the count starts from zero again', async () => {
    await failTimes(3);
    clock.advance(60_000);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
    await failTimes(2);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
    await failTimes(1);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(60);
  });

  it('a reset (a success) clears the consecutive count', async () => {
    await failTimes(2);
    await limiter.reset('login', 'kim@shop.test');
    await failTimes(2);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
  });

  it('counts each action and subject apart', async () => {
    await failTimes(3, 'login', 'kim@shop.test');
    expect(await limiter.blockedFor('login', 'lee@shop.test')).to.equal(0);
    expect(await limiter.blockedFor('payment', 'kim@shop.test')).to.equal(0);
    await failTimes(2, 'payment', 'kim@shop.test');
    await failTimes(2, 'login', 'lee@shop.test');
    expect(await limiter.blockedFor('payment', 'kim@shop.test')).to.equal(0);
    expect(await limiter.blockedFor('login', 'lee@shop.test')).to.equal(0);
  });

  it('a threshold of 0 switches blocking off', async () => {
    limiter = new MemoryFailureLimiter({ threshold: 0, blockSeconds: 60 }, clock);
    await failTimes(50);
    expect(await limiter.blockedFor('login', 'kim@shop.test')).to.equal(0);
  });

  describe('bounded by subjects (LIMITER_MAX_SUBJECTS)', () => {
    /** How many counts and blocks it holds (private state, read for the bound only). */
    const sizesOf = (l: MemoryFailureLimiter) => {
      const state = l as unknown as { counts: Map<string, unknown>; blockedUntil: Map<string, number> };
      return { failures: state.counts.size, blocks: state.blockedUntil.size };
    };

    it('a flood of distinct subjects never holds more than the bound, counts nor blocks', async () => {
      const bounded = new MemoryFailureLimiter({ threshold: 3, blockSeconds: 60 }, clock, 100);
      for (let i = 0; i < 5_000; i += 1) {
        await bounded.recordFailure('login', `flood-${i}@shop.test`);
        if (i % 3 === 0) for (let k = 0; k < 3; k += 1) await bounded.recordFailure('login', `blocked-${i}@shop.test`);
      }
      expect(sizesOf(bounded).failures).to.be.at.most(100);
      expect(sizesOf(bounded).blocks).to.be.at.most(100);
    });

    it('forgets the oldest first: the latest block and the latest counts survive the flood', async () => {
      const bounded = new MemoryFailureLimiter({ threshold: 3, blockSeconds: 60 }, clock, 10);
      await failTimesOn(bounded, 3, 'first@shop.test');
      await failTimesOn(bounded, 2, 'counting@shop.test');
      for (let i = 0; i < 9; i += 1) await failTimesOn(bounded, 3, `other-${i}@shop.test`);
      await failTimesOn(bounded, 3, 'latest@shop.test');

      expect(await bounded.blockedFor('login', 'latest@shop.test')).to.equal(60);
      expect(await bounded.blockedFor('login', 'first@shop.test'), 'the oldest block was forgotten').to.equal(0);
    });

    it('a subject that keeps failing stays counted: each failure makes it the newest', async () => {
      const bounded = new MemoryFailureLimiter({ threshold: 3, blockSeconds: 60 }, clock, 10);
      await failTimesOn(bounded, 1, 'persistent@shop.test');
      for (let i = 0; i < 9; i += 1) await failTimesOn(bounded, 1, `noise-a-${i}@shop.test`);
      await failTimesOn(bounded, 1, 'persistent@shop.test');
      // Nine new subjects push out the nine that failed before persistent's second failure.
      for (let i = 0; i < 9; i += 1) await failTimesOn(bounded, 1, `noise-b-${i}@shop.test`);

      await failTimesOn(bounded, 1, 'persistent@shop.test');

      expect(await bounded.blockedFor('login', 'persistent@shop.test')).to.equal(60);
    });

    it('within the bound it behaves exactly as without one', async () => {
      const bounded = new MemoryFailureLimiter({ threshold: 3, blockSeconds: 60 }, clock, 1_000);
      for (let i = 0; i < 100; i += 1) await failTimesOn(bounded, 3, `user-${i}@shop.test`);
      for (let i = 0; i < 100; i += 1) expect(await bounded.blockedFor('login', `user-${i}@shop.test`)).to.equal(60);
    });

    it('0 means no bound', async () => {
      const unbounded = new MemoryFailureLimiter({ threshold: 3, blockSeconds: 60 }, clock, 0);
      for (let i = 0; i < 2_000; i += 1) await unbounded.recordFailure('login', `u${i}`);
      expect(sizesOf(unbounded).failures).to.equal(2_000);
    });
  });

  it('sweeping out what ran out, once it holds many subjects, keeps the counts and blocks still in force', async () => {
    await failTimes(3, 'login', 'blocked@shop.test');
    await failTimes(2, 'login', 'counting@shop.test');
    clock.advance(59_000);
    // Enough subjects to make it sweep, at a moment when the two above are about to run out.
    for (let i = 0; i < 12_000; i += 1) await limiter.recordFailure('login', `passer-by-${i}`);

    expect(await limiter.blockedFor('login', 'blocked@shop.test')).to.equal(1);
    await failTimes(1, 'login', 'counting@shop.test');
    expect(await limiter.blockedFor('login', 'counting@shop.test')).to.equal(60);
  });
});

async function failTimesOn(limiter: MemoryFailureLimiter, n: number, subject: string): Promise<void> {
  for (let i = 0; i < n; i += 1) await limiter.recordFailure('login', subject);
}
