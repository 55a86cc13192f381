import { expect } from 'chai';
import sinon from 'sinon';
import type { Cache } from '../../src/application/ports/cache.js';
import { rejectionOf, uniqueToken } from './contract-support.js';
import { deferred } from '../support/deferred.js';

export interface CacheSubject {
  cache: Cache;
  /** Lets time pass for the cache (a manual clock moves, or the test really waits). */
  passTime(ms: number): Promise<void>;
}

/** A value with every kind of JSON there is. */
const RICH = {
  id: 42,
  name: 'Trail Runner “2” – 운동화 🏃',
  price: 59_000,
  ratio: 0.25,
  negative: -7,
  active: true,
  archived: false,
  nothing: null,
  tags: ['a', 'b', ''],
  options: [
    { id: 1, name: '260', stock: { total: 3, reserved: 0 } },
    { id: 2, name: '270', stock: { total: 0, reserved: 0 } },
  ],
  empty: {},
  emptyList: [],
};

/** What every Cache must do, whatever it keeps entries in. */
export function cacheContract(makeSubject: () => Promise<CacheSubject>): void {
  let cache: Cache;
  let passTime: (ms: number) => Promise<void>;
  let ns: string;

  beforeEach(async function () {
    ({ cache, passTime } = await makeSubject());
    // Redis is shared by the run (and by earlier runs' leftovers): each test has namespaces of its own.
    ns = uniqueToken('ns');
  });

  it('getOrLoad caches: the loader runs once, every read gets the value', async function () {
    const load = sinon.spy(async () => ({ id: 1, name: 'cached' }));
    expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 1, name: 'cached' });
    expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 1, name: 'cached' });
    expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 1, name: 'cached' });
    expect(load.callCount).to.equal(1);
  });

  it('keys of a namespace and namespaces are separate entries', async function () {
    const other = uniqueToken('ns');
    expect(await cache.getOrLoad(ns, 'a', 30, async () => 'ns/a')).to.equal('ns/a');
    expect(await cache.getOrLoad(ns, 'b', 30, async () => 'ns/b')).to.equal('ns/b');
    expect(await cache.getOrLoad(other, 'a', 30, async () => 'other/a')).to.equal('other/a');
    const never = sinon.spy(async () => 'loaded again');
    expect(await cache.getOrLoad(ns, 'a', 30, never)).to.equal('ns/a');
    expect(await cache.getOrLoad(ns, 'b', 30, never)).to.equal('ns/b');
    expect(await cache.getOrLoad(other, 'a', 30, never)).to.equal('other/a');
    expect(never.callCount).to.equal(0);
  });

  it('values round-trip as JSON: a hit gives back exactly what was loaded', async function () {
    const first = await cache.getOrLoad(ns, 'rich', 30, async () => structuredClone(RICH));
    const hit = await cache.getOrLoad(ns, 'rich', 30, async () => ({ ...RICH, id: 0 }));
    expect(first).to.deep.equal(RICH);
    expect(hit).to.deep.equal(RICH);
    for (const value of [0, 17, '', 'text', true, false, [1, [2, [3]]]]) {
      const key = `scalar-${JSON.stringify(value)}`;
      await cache.getOrLoad(ns, key, 30, async () => value);
      expect(await cache.getOrLoad(ns, key, 30, async () => 'not cached'), key).to.deep.equal(value);
    }
  });

  it('a hit is JSON, not the loaded object: a Date comes back as its ISO string', async function () {
    const at = new Date('2026-01-15T09:00:00.123Z');
    await cache.getOrLoad(ns, 'date', 30, async () => ({ at }));
    expect(await cache.getOrLoad(ns, 'date', 30, async () => ({ at }))).to.deep.equal({ at: '2026-01-15T09:00:00.123Z' });
  });

  it('what a reader does to the value it got does not change the cached one', async function () {
    const got = await cache.getOrLoad(ns, 'k', 30, async () => structuredClone(RICH));
    got.options.pop();
    const hit = await cache.getOrLoad(ns, 'k', 30, async () => structuredClone(RICH));
    hit.tags.length = 0;
    expect(await cache.getOrLoad(ns, 'k', 30, async () => structuredClone(RICH))).to.deep.equal(RICH);
  });

  it('null is not cached: the next read loads again', async function () {
    const load = sinon.stub<[], Promise<{ id: number } | null>>();
    load.onFirstCall().resolves(null);
    load.onSecondCall().resolves({ id: 9 });
    expect(await cache.getOrLoad(ns, 'k', 30, load)).to.equal(null);
    expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 9 });
    expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 9 });
    expect(load.callCount).to.equal(2);
  });

  it('a loader that fails caches nothing and its error reaches the caller', async function () {
    const boom = new Error('database down');
    expect(await rejectionOf(cache.getOrLoad(ns, 'k', 30, async () => Promise.reject(boom)))).to.equal(boom);
    expect(await cache.getOrLoad(ns, 'k', 30, async () => 'after')).to.equal('after');
  });

  it('invalidate makes the next read of the namespace load, every key of it, and leaves other namespaces cached', async function () {
    const other = uniqueToken('ns');
    await cache.getOrLoad(ns, 'a', 30, async () => 'old a');
    await cache.getOrLoad(ns, 'b', 30, async () => 'old b');
    await cache.getOrLoad(other, 'a', 30, async () => 'other a');

    await cache.invalidate(ns);

    expect(await cache.getOrLoad(ns, 'a', 30, async () => 'new a')).to.equal('new a');
    expect(await cache.getOrLoad(ns, 'b', 30, async () => 'new b')).to.equal('new b');
    expect(await cache.getOrLoad(other, 'a', 30, async () => 'reloaded')).to.equal('other a');
    // and the new values are cached in their turn
    expect(await cache.getOrLoad(ns, 'a', 30, async () => 'newer a')).to.equal('new a');
  });

  it('invalidate takes several namespaces at once, and none at all', async function () {
    const other = uniqueToken('ns');
    await cache.getOrLoad(ns, 'k', 30, async () => 1);
    await cache.getOrLoad(other, 'k', 30, async () => 1);
    await cache.invalidate();
    expect(await cache.getOrLoad(ns, 'k', 30, async () => 2)).to.equal(1);
    await cache.invalidate(ns, other);
    expect(await cache.getOrLoad(ns, 'k', 30, async () => 2)).to.equal(2);
    expect(await cache.getOrLoad(other, 'k', 30, async () => 2)).to.equal(2);
  });

  it('invalidating twice in a row still leaves one consistent generation', async function () {
    await cache.getOrLoad(ns, 'k', 30, async () => 1);
    await cache.invalidate(ns);
    await cache.invalidate(ns);
    expect(await cache.getOrLoad(ns, 'k', 30, async () => 2)).to.equal(2);
    expect(await cache.getOrLoad(ns, 'k', 30, async () => 3)).to.equal(2);
  });

  it('a load racing an invalidate cannot put the old value back: the next read loads again', async function () {
    const slow = deferred<string>();
    const started = deferred<void>();
    const racing = cache.getOrLoad(ns, 'k', 30, () => {
      started.resolve();
      return slow.promise;
    });
    await started.promise; // the reader has missed and is loading
    await cache.invalidate(ns); // the writer commits while the reader still holds the old row
    slow.resolve('old row');
    expect(await racing).to.equal('old row');

    const next = sinon.spy(async () => 'new row');
    expect(await cache.getOrLoad(ns, 'k', 30, next)).to.equal('new row');
    expect(next.callCount).to.equal(1);
  });

  it('an entry expires after its TTL', async function () {
    await cache.getOrLoad(ns, 'k', 1, async () => 'first');
    expect(await cache.getOrLoad(ns, 'k', 1, async () => 'second')).to.equal('first');
    await passTime(1_100);
    expect(await cache.getOrLoad(ns, 'k', 1, async () => 'second')).to.equal('second');
  });
}
