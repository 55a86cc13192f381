import { expect } from 'chai';
import sinon from 'sinon';
import { InProcessCache } from '../../../src/adapters/memory/in-process-cache.js';
import { ManualClock } from '../../support/clock.js';

interface View {
  id: number;
  name: string;
  tags: string[];
}

function deferred<T>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** How many entries the cache holds right now (private state, read for the bound only). */
const sizeOf = (cache: InProcessCache): number => (cache as unknown as { entries: Map<string, unknown> }).entries.size;

describe('InProcessCache (cache-aside in one process)', () => {
  let clock: ManualClock;
  let cache: InProcessCache;

  beforeEach(() => {
    clock = new ManualClock();
    cache = new InProcessCache(clock);
  });

  const view = (id: number, name = `product ${id}`): View => ({ id, name, tags: ['a', 'b'] });

  it('a second read within the TTL is a hit: the loader runs once and both reads see the value', async () => {
    const load = sinon.spy(async () => view(1));

    const first = await cache.getOrLoad('product:1', 'detail', 30, load);
    clock.advance(29_999);
    const second = await cache.getOrLoad('product:1', 'detail', 30, load);

    expect(load.callCount).to.equal(1);
    expect(first).to.deep.equal(view(1));
    expect(second).to.deep.equal(view(1));
  });

  it('a read once the TTL has passed loads again (the entry lives exactly ttlSeconds)', async () => {
    let version = 0;
    const load = sinon.spy(async () => view(1, `v${++version}`));

    await cache.getOrLoad('product:1', 'detail', 30, load);
    clock.advance(30_000);
    const after = await cache.getOrLoad('product:1', 'detail', 30, load);

    expect(load.callCount).to.equal(2);
    expect(after.name).to.equal('v2');
    // and the fresh value is cached again
    expect((await cache.getOrLoad('product:1', 'detail', 30, load)).name).to.equal('v2');
    expect(load.callCount).to.equal(2);
  });

  it('a crowd missing the same entry at once waits for one load; each gets its own copy', async () => {
    const gate = deferred<View>();
    const load = sinon.stub<[], Promise<View>>().returns(gate.promise);

    const reads = Array.from({ length: 50 }, () => cache.getOrLoad('product:1', 'detail', 30, load));
    gate.resolve(view(1));
    const values = await Promise.all(reads);

    expect(load.callCount).to.equal(1);
    for (const value of values) expect(value).to.deep.equal(view(1));
    values[1]!.tags.push('changed');
    expect(values[2]!.tags).to.deep.equal(['a', 'b']);
    expect(await cache.getOrLoad('product:1', 'detail', 30, load)).to.deep.equal(view(1));
  });

  it('a shared load that fails fails every waiter, is not cached, and the next read loads again', async () => {
    const load = sinon.stub<[], Promise<View>>();
    load.onFirstCall().rejects(new Error('database down'));
    load.onSecondCall().resolves(view(2));

    const results = await Promise.allSettled([1, 2, 3].map(() => cache.getOrLoad('product:2', 'detail', 30, load)));

    expect(results.map((r) => r.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
    expect(load.callCount).to.equal(1);
    expect(await cache.getOrLoad('product:2', 'detail', 30, load)).to.deep.equal(view(2));
    expect(load.callCount).to.equal(2);
  });

  it('keys and namespaces are separate entries', async () => {
    const load = sinon.spy(async () => view(1));
    await cache.getOrLoad('product:1', 'detail', 30, load);
    await cache.getOrLoad('product:1', 'other', 30, load);
    await cache.getOrLoad('product:2', 'detail', 30, load);
    expect(load.callCount).to.equal(3);
  });

  it('invalidate makes the next read of that namespace load, and leaves other namespaces cached', async () => {
    const load1 = sinon.spy(async () => view(1));
    const load2 = sinon.spy(async () => view(2));
    await cache.getOrLoad('product:1', 'detail', 30, load1);
    await cache.getOrLoad('product:2', 'detail', 30, load2);

    await cache.invalidate('product:1');
    await cache.getOrLoad('product:1', 'detail', 30, load1);
    await cache.getOrLoad('product:2', 'detail', 30, load2);

    expect(load1.callCount).to.equal(2);
    expect(load2.callCount).to.equal(1);
  });

  it('invalidate takes several namespaces at once; with none it does nothing', async () => {
    const load = sinon.spy(async () => view(1));
    await cache.getOrLoad('a', 'k', 30, load);
    await cache.getOrLoad('b', 'k', 30, load);
    await cache.invalidate();
    await cache.getOrLoad('a', 'k', 30, load);
    expect(load.callCount).to.equal(2);

    await cache.invalidate('a', 'b');
    await cache.getOrLoad('a', 'k', 30, load);
    await cache.getOrLoad('b', 'k', 30, load);
    expect(load.callCount).to.equal(4);
  });

  it('a load racing an invalidate is stored under the old generation: the next read loads again and sees the new value', async () => {
    const slow = deferred<View>();
    const loadOld = sinon.spy(() => slow.promise);
    const loadNew = sinon.spy(async () => view(1, 'new'));

    const racing = cache.getOrLoad('product:1', 'detail', 30, loadOld);
    await Promise.resolve();
    expect(loadOld.callCount).to.equal(1);
    await cache.invalidate('product:1'); // the writer commits while the reader is still loading the old row
    slow.resolve(view(1, 'old'));
    expect((await racing).name, 'the racing reader itself gets what it loaded').to.equal('old');

    const next = await cache.getOrLoad('product:1', 'detail', 30, loadNew);
    expect(loadNew.callCount, 'the old value must not be served after the invalidation').to.equal(1);
    expect(next.name).to.equal('new');
  });

  it('null is not cached: the thing may exist the next moment', async () => {
    const load = sinon.stub<[], Promise<View | null>>();
    load.onFirstCall().resolves(null);
    load.onSecondCall().resolves(view(9));

    expect(await cache.getOrLoad('product:9', 'detail', 30, load)).to.equal(null);
    expect(await cache.getOrLoad('product:9', 'detail', 30, load)).to.deep.equal(view(9));
    expect(await cache.getOrLoad('product:9', 'detail', 30, load)).to.deep.equal(view(9));
    expect(load.callCount).to.equal(2);
  });

  it('undefined is not cached either', async () => {
    const load = sinon.spy(async () => undefined);
    await cache.getOrLoad('ns', 'k', 30, load);
    await cache.getOrLoad('ns', 'k', 30, load);
    expect(load.callCount).to.equal(2);
  });

  it('falsy values that are not null (0, "", false) are cached', async () => {
    for (const [key, value] of [
      ['zero', 0],
      ['empty', ''],
      ['no', false],
    ] as const) {
      const load = sinon.spy(async () => value);
      expect(await cache.getOrLoad('ns', key, 30, load)).to.equal(value);
      expect(await cache.getOrLoad('ns', key, 30, load)).to.equal(value);
      expect(load.callCount, key).to.equal(1);
    }
  });

  it('returns copies: mutating what a read returned (on the miss or on a hit) does not change the cache', async () => {
    const load = sinon.spy(async () => view(1));

    const loaded = await cache.getOrLoad('product:1', 'detail', 30, load);
    loaded.name = 'mutated on miss';
    loaded.tags.push('x');
    const hit = await cache.getOrLoad('product:1', 'detail', 30, load);
    expect(hit).to.deep.equal(view(1));
    hit.name = 'mutated on hit';
    hit.tags.length = 0;
    expect(await cache.getOrLoad('product:1', 'detail', 30, load)).to.deep.equal(view(1));
    expect(load.callCount).to.equal(1);
  });

  it('values are stored as JSON: a Date comes back from a hit as its ISO string', async () => {
    const at = new Date('2026-01-15T09:00:00.123Z');
    const load = async () => ({ at });
    expect((await cache.getOrLoad('ns', 'date', 30, load)).at).to.equal(at);
    expect((await cache.getOrLoad('ns', 'date', 30, load)).at).to.equal('2026-01-15T09:00:00.123Z');
  });

  it('a loader that throws caches nothing and the error reaches the caller', async () => {
    const load = sinon.stub<[], Promise<View>>();
    load.onFirstCall().rejects(new Error('database down'));
    load.onSecondCall().resolves(view(1));
    let error: unknown = null;
    try {
      await cache.getOrLoad('product:1', 'detail', 30, load);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).to.equal('database down');
    expect(await cache.getOrLoad('product:1', 'detail', 30, load)).to.deep.equal(view(1));
    expect(load.callCount).to.equal(2);
  });

  describe('bounds', () => {
    it('never holds more than maxEntries, however many keys are read', async () => {
      const small = new InProcessCache(clock, 10);
      for (let i = 0; i < 250; i += 1) {
        await small.getOrLoad('ns', `k${i}`, 60, async () => i);
        expect(sizeOf(small), `after ${i + 1} keys`).to.be.at.most(10);
      }
    });

    it('evicts the oldest entries first: the latest keys are still hits, the first ones load again', async () => {
      const small = new InProcessCache(clock, 10);
      for (let i = 0; i < 30; i += 1) await small.getOrLoad('ns', `k${i}`, 60, async () => i);

      const latest = sinon.spy(async () => -1);
      expect(await small.getOrLoad('ns', 'k29', 60, latest)).to.equal(29);
      expect(latest.callCount).to.equal(0);

      const first = sinon.spy(async () => -1);
      expect(await small.getOrLoad('ns', 'k0', 60, first)).to.equal(-1);
      expect(first.callCount).to.equal(1);
    });

    it('drops expired entries before live ones when it is full', async () => {
      const small = new InProcessCache(clock, 10);
      for (let i = 0; i < 5; i += 1) await small.getOrLoad('ns', `short${i}`, 1, async () => i);
      clock.advance(2_000);
      for (let i = 0; i < 5; i += 1) await small.getOrLoad('ns', `long${i}`, 600, async () => i);
      expect(sizeOf(small)).to.equal(10);

      await small.getOrLoad('ns', 'one-more', 600, async () => 99);

      expect(sizeOf(small)).to.equal(6);
      const load = sinon.spy(async () => -1);
      for (let i = 0; i < 5; i += 1) expect(await small.getOrLoad('ns', `long${i}`, 600, load)).to.equal(i);
      expect(load.callCount, 'no live entry was evicted').to.equal(0);
    });
  });
});
