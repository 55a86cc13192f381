import { expect } from 'chai';
import sinon from 'sinon';
import { compactKey, InProcessCache } from '../../../src/adapters/memory/in-process-cache.js';
import { ManualClock } from '../../support/clock.js';
import { deferred } from '../../support/deferred.js';

interface View {
  id: number;
  name: string;
  tags: string[];
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

  describe('bounded by bytes (CACHE_MAX_BYTES)', () => {
    /** A list page as a client can make the service cache it: a search text of its choice, a heavy page. */
    const listKey = (q: string) => JSON.stringify([1, 100, 'newest', null, q, null]);
    const page = (i: number) => ({ items: Array.from({ length: 20 }, (_, n) => ({ id: i * 100 + n, name: 'x'.repeat(40) })) });

    it('never weighs more than its byte bound under a flood of distinct long keys, and counts its bytes exactly', async () => {
      const maxBytes = 256 * 1024;
      const small = new InProcessCache(clock, 1_000_000, maxBytes);
      for (let i = 0; i < 2_000; i += 1) {
        await small.getOrLoad('products', listKey(`${'q'.repeat(90)}${i}`), 60, async () => page(i));
        expect(small.size.bytes, `after ${i + 1} keys`).to.be.at.most(maxBytes);
      }
      expect(small.size.entries, 'entries were evicted').to.be.below(2_000);
      // The running count is the sum of what the entries left weigh (no drift from evictions).
      const entries = (small as unknown as { entries: Map<string, { bytes: number }> }).entries;
      expect([...entries.values()].reduce((sum, e) => sum + e.bytes, 0)).to.equal(small.size.bytes);
    });

    it('evicts the least recently used first: an entry read again survives, one not read goes', async () => {
      const value = page(0);
      const probe = new InProcessCache(clock, 1_000_000, 0);
      await probe.getOrLoad('ns', 'k0', 60, async () => value);
      const oneEntry = probe.size.bytes;
      // Room for 10 entries of this weight.
      const small = new InProcessCache(clock, 1_000_000, oneEntry * 10);
      for (let i = 0; i < 10; i += 1) await small.getOrLoad('ns', `k${i}`, 60, async () => value);
      const hit = sinon.spy(async () => value);
      await small.getOrLoad('ns', 'k0', 60, hit); // k0 is now the most recently used
      expect(hit.callCount).to.equal(0);

      await small.getOrLoad('ns', 'k10', 60, async () => value);

      const again = sinon.spy(async () => value);
      await small.getOrLoad('ns', 'k0', 60, again);
      expect(again.callCount, 'k0 was read lately: kept').to.equal(0);
      await small.getOrLoad('ns', 'k1', 60, again);
      expect(again.callCount, 'k1 was the least recently used: evicted').to.equal(1);
    });

    it('an answer heavier than the whole cache is served but not kept, and evicts nothing', async () => {
      const small = new InProcessCache(clock, 1_000_000, 4_096);
      await small.getOrLoad('ns', 'light', 60, async () => 'x');
      const before = small.size;
      const load = sinon.spy(async () => 'y'.repeat(10_000));

      expect(await small.getOrLoad('ns', 'heavy', 60, load)).to.have.length(10_000);
      await small.getOrLoad('ns', 'heavy', 60, load);

      expect(load.callCount).to.equal(2);
      expect(small.size).to.deep.equal(before);
    });

    it('within the bound nothing changes: every key stays a hit', async () => {
      const roomy = new InProcessCache(clock, 1_000_000, 64 * 1024 * 1024);
      for (let i = 0; i < 100; i += 1) await roomy.getOrLoad('products', listKey(`q${i}`), 60, async () => page(i));
      const load = sinon.spy(async () => page(-1));
      for (let i = 0; i < 100; i += 1) expect(await roomy.getOrLoad('products', listKey(`q${i}`), 60, load)).to.deep.equal(page(i));
      expect(load.callCount).to.equal(0);
    });

    it('0 bounds it by entries only', async () => {
      const unbounded = new InProcessCache(clock, 5, 0);
      for (let i = 0; i < 50; i += 1) await unbounded.getOrLoad('ns', `k${i}`, 60, async () => 'z'.repeat(10_000));
      expect(unbounded.size.entries).to.be.at.most(5);
    });
  });

  describe('long keys are kept as their digest', () => {
    it('a key of 10,000 characters weighs what a 44-character one does', async () => {
      const long = new InProcessCache(clock);
      const short = new InProcessCache(clock);
      await long.getOrLoad('products', 'q'.repeat(10_000), 60, async () => 1);
      await short.getOrLoad('products', 'q'.repeat(44), 60, async () => 1);
      expect(long.size.bytes).to.equal(short.size.bytes);
    });

    it('two long keys that differ in their last character are two entries; the same long key is a hit', async () => {
      const a = `${'q'.repeat(200)}a`;
      const b = `${'q'.repeat(200)}b`;
      const load = sinon.spy(async () => 1);
      await cache.getOrLoad('products', a, 60, load);
      await cache.getOrLoad('products', b, 60, load);
      await cache.getOrLoad('products', a, 60, load);
      expect(load.callCount).to.equal(2);
    });

    it('a short key is kept as it is; a short key that looks like a digest is hashed, so it cannot pass for one', () => {
      expect(compactKey('detail')).to.equal('detail');
      const digest = compactKey('q'.repeat(100));
      expect(digest).to.match(/^#[\w-]{43}$/);
      expect(compactKey(digest)).not.to.equal(digest);
    });
  });
});
