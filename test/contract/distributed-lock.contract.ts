import { expect } from 'chai';
import type { DistributedLock } from '../../src/application/ports/distributed-lock.js';
import { rejectionOf, uniqueToken } from './contract-support.js';

export interface DistributedLockSubject {
  lock: DistributedLock;
  /**
   * Another instance on the same store (its own connection), as a second process would have.
   * The in-process lock's store is the process itself: there it is the same lock.
   */
  other: DistributedLock;
  /** Lets this much time pass for the lock: a manual clock moves, or the test really waits. */
  passTime(ms: number): Promise<void>;
}

/** Long enough that no lease runs out by itself during a test. */
const LONG_TTL = 30_000;
/** Short enough to wait for where the store keeps its own time. */
const SHORT_TTL = 300;
/** Comfortably past SHORT_TTL, so a lease has run out on any store's clock. */
const PAST_SHORT_TTL = 450;

/** What every DistributedLock must do, whatever it keeps leases in. */
export function distributedLockContract(makeSubject: () => Promise<DistributedLockSubject>): void {
  let lock: DistributedLock;
  let other: DistributedLock;
  let passTime: (ms: number) => Promise<void>;

  beforeEach(async function () {
    ({ lock, other, passTime } = await makeSubject());
  });

  /** A key no other test (nor an earlier run sharing the store) uses. */
  const freshKey = () => uniqueToken('lock');

  it('grants a free key', async function () {
    const lease = await lock.tryAcquire(freshKey(), LONG_TTL);

    expect(lease).to.not.equal(null);
    expect(lease?.release).to.be.a('function');
  });

  it('refuses a held key, to the same instance and to another one', async function () {
    const key = freshKey();
    const lease = await lock.tryAcquire(key, LONG_TTL);
    expect(lease).to.not.equal(null);

    expect(await lock.tryAcquire(key, LONG_TTL)).to.equal(null);
    expect(await other.tryAcquire(key, LONG_TTL)).to.equal(null);
  });

  it('keeps keys apart: holding one does not hold another', async function () {
    const [first, second] = [freshKey(), freshKey()];
    expect(await lock.tryAcquire(first, LONG_TTL)).to.not.equal(null);

    expect(await other.tryAcquire(second, LONG_TTL)).to.not.equal(null);
  });

  it('release lets the key be taken again, by another instance too', async function () {
    const key = freshKey();
    const lease = await lock.tryAcquire(key, LONG_TTL);

    await lease!.release();

    const next = await other.tryAcquire(key, LONG_TTL);
    expect(next).to.not.equal(null);
    expect(await lock.tryAcquire(key, LONG_TTL)).to.equal(null);
    await next!.release();
    expect(await lock.tryAcquire(key, LONG_TTL)).to.not.equal(null);
  });

  it('releasing twice is harmless', async function () {
    const key = freshKey();
    const lease = await lock.tryAcquire(key, LONG_TTL);

    await lease!.release();
    await lease!.release();

    expect(await lock.tryAcquire(key, LONG_TTL)).to.not.equal(null);
  });

  it('a lease runs out after its ttl: the key is free again without a release', async function () {
    const key = freshKey();
    expect(await lock.tryAcquire(key, SHORT_TTL)).to.not.equal(null);
    expect(await other.tryAcquire(key, LONG_TTL)).to.equal(null);

    await passTime(PAST_SHORT_TTL);

    expect(await other.tryAcquire(key, LONG_TTL)).to.not.equal(null);
  });

  it('a lease holds until its ttl is over', async function () {
    const key = freshKey();
    expect(await lock.tryAcquire(key, 5_000)).to.not.equal(null);

    await passTime(SHORT_TTL);

    expect(await other.tryAcquire(key, LONG_TTL)).to.equal(null);
  });

  it("a stale holder's release does not free the new holder's lease", async function () {
    const key = freshKey();
    const stale = await lock.tryAcquire(key, SHORT_TTL);
    await passTime(PAST_SHORT_TTL);
    const current = await other.tryAcquire(key, LONG_TTL);
    expect(current).to.not.equal(null);

    await stale!.release();

    expect(await lock.tryAcquire(key, LONG_TTL)).to.equal(null);
    expect(await other.tryAcquire(key, LONG_TTL)).to.equal(null);
    await current!.release();
    expect(await lock.tryAcquire(key, LONG_TTL)).to.not.equal(null);
  });

  it('releasing a lease that ran out, with nobody holding the key since, leaves the key free', async function () {
    const key = freshKey();
    const lease = await lock.tryAcquire(key, SHORT_TTL);
    await passTime(PAST_SHORT_TTL);

    await lease!.release();

    expect(await other.tryAcquire(key, LONG_TTL)).to.not.equal(null);
  });

  it('of many simultaneous attempts on one key, from two instances, exactly one wins', async function () {
    const key = freshKey();

    const leases = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? lock : other).tryAcquire(key, LONG_TTL)));

    expect(leases.filter((l) => l !== null)).to.have.length(1);
  });

  it('refuses a ttl that is not a positive number', async function () {
    for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      const error = await rejectionOf(lock.tryAcquire(freshKey(), ttl));
      expect(error).to.be.instanceOf(RangeError);
    }
  });
}
