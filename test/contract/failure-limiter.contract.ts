import { expect } from 'chai';
import type { FailureBlockPolicy, FailureLimiter } from '../../src/application/ports/failure-limiter.js';
import { uniqueToken } from './contract-support.js';

export interface FailureLimiterSubject {
  limiter: FailureLimiter;
  /** Lets this much time pass for the limiter: a manual clock moves, or the test really waits. */
  passTime(ms: number): Promise<void>;
}

/** Blocks long enough that no test sees a block end by itself. */
export const CONTRACT_POLICY: FailureBlockPolicy = { threshold: 5, blockSeconds: 600 };

const LOGIN = 'login';
const PAYMENT = 'payment';

/** What every FailureLimiter must do, whatever it counts in. */
export function failureLimiterContract(makeSubject: (policy: FailureBlockPolicy) => Promise<FailureLimiterSubject>): void {
  /** A subject no other test counts failures for (a limiter's store may be shared by the run). */
  const freshSubject = () => uniqueToken('subject');

  async function fail(limiter: FailureLimiter, times: number, action: string, subject: string): Promise<void> {
    for (let i = 0; i < times; i += 1) await limiter.recordFailure(action, subject);
  }

  /** Blocked for about the policy's whole block: more than 0, at most blockSeconds, at most a second less. */
  function expectFullBlock(seconds: number, policy: FailureBlockPolicy): void {
    expect(seconds).to.be.greaterThan(0);
    expect(seconds).to.be.at.most(policy.blockSeconds);
    expect(seconds).to.be.at.least(policy.blockSeconds - 1);
  }

  it('does not block an action that never failed', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);

    expect(await limiter.blockedFor(LOGIN, freshSubject())).to.equal(0);
  });

  it('does not block after one failure fewer than the threshold', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const subject = freshSubject();

    await fail(limiter, CONTRACT_POLICY.threshold - 1, LOGIN, subject);

    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
  });

  it('blocks for the block time at the threshold-th failure', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const subject = freshSubject();

    await fail(limiter, CONTRACT_POLICY.threshold, LOGIN, subject);

    expectFullBlock(await limiter.blockedFor(LOGIN, subject), CONTRACT_POLICY);
  });

  it('blocks at the first failure when the threshold is 1', async function () {
    const policy = { threshold: 1, blockSeconds: 30 };
    const { limiter } = await makeSubject(policy);
    const subject = freshSubject();

    await limiter.recordFailure(PAYMENT, subject);

    expectFullBlock(await limiter.blockedFor(PAYMENT, subject), policy);
  });

  it('reset clears the count: threshold-1 failures, reset, threshold-1 failures do not block', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const subject = freshSubject();

    await fail(limiter, CONTRACT_POLICY.threshold - 1, LOGIN, subject);
    await limiter.reset(LOGIN, subject);
    await fail(limiter, CONTRACT_POLICY.threshold - 1, LOGIN, subject);

    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
    // Counting goes on from there: one more failure reaches the threshold.
    await limiter.recordFailure(LOGIN, subject);
    expectFullBlock(await limiter.blockedFor(LOGIN, subject), CONTRACT_POLICY);
  });

  it('reset of a subject that never failed does nothing', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const subject = freshSubject();

    await limiter.reset(LOGIN, subject);

    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
  });

  it('reset does not lift a block already in force', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const subject = freshSubject();
    await fail(limiter, CONTRACT_POLICY.threshold, LOGIN, subject);

    await limiter.reset(LOGIN, subject);

    expectFullBlock(await limiter.blockedFor(LOGIN, subject), CONTRACT_POLICY);
  });

  it('counts each subject on its own', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const [alice, bob] = [freshSubject(), freshSubject()];

    await fail(limiter, CONTRACT_POLICY.threshold - 1, LOGIN, alice);
    await limiter.recordFailure(LOGIN, bob);
    expect(await limiter.blockedFor(LOGIN, alice)).to.equal(0);
    expect(await limiter.blockedFor(LOGIN, bob)).to.equal(0);

    await limiter.recordFailure(LOGIN, alice);
    expectFullBlock(await limiter.blockedFor(LOGIN, alice), CONTRACT_POLICY);
    expect(await limiter.blockedFor(LOGIN, bob)).to.equal(0);

    await limiter.reset(LOGIN, bob);
    expectFullBlock(await limiter.blockedFor(LOGIN, alice), CONTRACT_POLICY);
  });

  it('counts each action on its own', async function () {
    const { limiter } = await makeSubject(CONTRACT_POLICY);
    const subject = freshSubject();

    await fail(limiter, CONTRACT_POLICY.threshold - 1, LOGIN, subject);
    await limiter.recordFailure(PAYMENT, subject);
    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
    expect(await limiter.blockedFor(PAYMENT, subject)).to.equal(0);

    await limiter.recordFailure(LOGIN, subject);
    expectFullBlock(await limiter.blockedFor(LOGIN, subject), CONTRACT_POLICY);
    expect(await limiter.blockedFor(PAYMENT, subject)).to.equal(0);
  });

  it('never blocks when the threshold is 0', async function () {
    const policy = { threshold: 0, blockSeconds: 600 };
    const { limiter } = await makeSubject(policy);
    const subject = freshSubject();

    await fail(limiter, 20, LOGIN, subject);

    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
  });

  it('a count is forgotten blockSeconds after its last failure (no success needed)', async function () {
    const policy = { threshold: 3, blockSeconds: 1 };
    const { limiter, passTime } = await makeSubject(policy);
    const subject = freshSubject();
    await fail(limiter, policy.threshold - 1, LOGIN, subject);

    await passTime(1_100);
    await limiter.recordFailure(LOGIN, subject);

    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
    await fail(limiter, policy.threshold - 1, LOGIN, subject);
    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(1);
  });

  it('each failure keeps the count for another blockSeconds: failures closer together than that add up', async function () {
    const policy = { threshold: 3, blockSeconds: 2 };
    const { limiter, passTime } = await makeSubject(policy);
    const subject = freshSubject();

    await limiter.recordFailure(LOGIN, subject);
    await passTime(1_100);
    await limiter.recordFailure(LOGIN, subject);
    // Past blockSeconds after the first failure, within it after the second.
    await passTime(1_100);
    await limiter.recordFailure(LOGIN, subject);

    expect(await limiter.blockedFor(LOGIN, subject)).to.be.within(1, 2);
  });

  it('the block ends after blockSeconds, and counting starts again from zero', async function () {
    const policy = { threshold: 3, blockSeconds: 1 };
    const { limiter, passTime } = await makeSubject(policy);
    const subject = freshSubject();
    await fail(limiter, policy.threshold, LOGIN, subject);
    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(1);

    await passTime(1_100);

    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
    await fail(limiter, policy.threshold - 1, LOGIN, subject);
    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(0);
    await limiter.recordFailure(LOGIN, subject);
    expect(await limiter.blockedFor(LOGIN, subject)).to.equal(1);
  });
}
