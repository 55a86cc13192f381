import { expect } from 'chai';
import { MemoryRateLimiter } from '../../../src/adapters/memory/rate-limiter.js';
import { ManualClock } from '../../support/clock.js';

/** How many (action, subject) windows it holds (private state, read for the bound only). */
const windowsOf = (limiter: MemoryRateLimiter): number => (limiter as unknown as { windows: Map<string, unknown> }).windows.size;

describe('MemoryRateLimiter bounded by subjects (LIMITER_MAX_SUBJECTS)', () => {
  const LIMITS = { signups: { limit: 1, windowMs: 60_000 } };
  let clock: ManualClock;

  beforeEach(() => {
    clock = new ManualClock(new Date('2026-01-15T09:00:00.000Z'));
  });

  it('a flood of distinct subjects in one window never holds more windows than the bound', async () => {
    const limiter = new MemoryRateLimiter(LIMITS, clock, 100);
    for (let i = 0; i < 20_000; i += 1) {
      await limiter.take('signups', `203.0.113.${i}`);
      if (i % 1_000 === 0) expect(windowsOf(limiter)).to.be.at.most(100);
    }
    expect(windowsOf(limiter)).to.be.at.most(100);
  });

  it('forgets the oldest started window first: the latest subjects are still limited, the first may take again', async () => {
    const limiter = new MemoryRateLimiter(LIMITS, clock, 10);
    for (let i = 0; i < 15; i += 1) expect(await limiter.take('signups', `s${i}`)).to.equal(0);

    expect(await limiter.take('signups', 's14'), 'the latest is still counted').to.be.above(0);
    expect(await limiter.take('signups', 's0'), 'the oldest was forgotten (fails open)').to.equal(0);
  });

  it('windows that ended are swept before live ones are forgotten', async () => {
    const limiter = new MemoryRateLimiter(LIMITS, clock, 10);
    for (let i = 0; i < 5; i += 1) await limiter.take('signups', `old${i}`);
    clock.advance(60_000);
    for (let i = 0; i < 5; i += 1) await limiter.take('signups', `live${i}`);

    for (let i = 0; i < 5; i += 1) await limiter.take('signups', `new${i}`);

    expect(windowsOf(limiter)).to.equal(10);
    for (let i = 0; i < 5; i += 1) expect(await limiter.take('signups', `live${i}`), `live${i}`).to.be.above(0);
  });

  it('within the bound it limits exactly as without one', async () => {
    const limiter = new MemoryRateLimiter(LIMITS, clock, 1_000);
    for (let i = 0; i < 500; i += 1) expect(await limiter.take('signups', `s${i}`)).to.equal(0);
    for (let i = 0; i < 500; i += 1) expect(await limiter.take('signups', `s${i}`)).to.equal(60);
  });

  it('0 means no bound', async () => {
    const limiter = new MemoryRateLimiter(LIMITS, clock, 0);
    for (let i = 0; i < 2_000; i += 1) await limiter.take('signups', `s${i}`);
    expect(windowsOf(limiter)).to.equal(2_000);
  });
});
