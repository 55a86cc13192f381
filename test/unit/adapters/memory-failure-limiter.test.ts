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
