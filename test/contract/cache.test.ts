import { expect } from 'chai';
import { Redis } from 'ioredis';
import { setTimeout as sleep } from 'node:timers/promises';
import sinon from 'sinon';
import { InProcessCache } from '../../src/adapters/memory/in-process-cache.js';
import { RedisBroadcastCache } from '../../src/adapters/redis/redis-broadcast-cache.js';
import { RedisCache } from '../../src/adapters/redis/redis-cache.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { requireRedis, type TestRedis, unreachableRedis } from '../support/redis.js';
import { cacheContract } from './cache.contract.js';
import { uniqueToken } from './contract-support.js';

describe('Cache contract', function () {
  describe('in-process adapter', function () {
    cacheContract(async () => {
      const clock = new ManualClock();
      return { cache: new InProcessCache(clock), passTime: async (ms) => clock.advance(ms) };
    });
  });

  describe('Redis adapter', function () {
    let redis: TestRedis;
    let client: Redis;
    const logger = createLogger('error', true);

    before(async function () {
      redis = await requireRedis(this);
      client = redis.connect();
    });

    // Redis keeps its own time: the TTL really has to be waited for.
    cacheContract(async () => ({
      cache: new RedisCache(client, logger),
      passTime: async (ms) => {
        await sleep(ms);
      },
    }));

    it('instances sharing one Redis share entries: what one loaded, the other reads without loading', async function () {
      const first = new RedisCache(redis.connect(), logger);
      const second = new RedisCache(redis.connect(), logger);
      const ns = uniqueToken('shared');

      await first.getOrLoad(ns, 'k', 30, async () => ({ price: 59_000 }));
      const load = sinon.spy(async () => ({ price: 0 }));
      expect(await second.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ price: 59_000 });
      expect(load.callCount).to.equal(0);
    });

    it('an invalidate on one instance is seen at once by another instance', async function () {
      const first = new RedisCache(redis.connect(), logger);
      const second = new RedisCache(redis.connect(), logger);
      const ns = uniqueToken('shared');

      await first.getOrLoad(ns, 'k', 30, async () => ({ price: 59_000 }));
      await second.getOrLoad(ns, 'k', 30, async () => ({ price: 59_000 }));

      await second.invalidate(ns); // the change was made on the second instance

      expect(await first.getOrLoad(ns, 'k', 30, async () => ({ price: 45_000 }))).to.deep.equal({ price: 45_000 });
      expect(await second.getOrLoad(ns, 'k', 30, async () => ({ price: 1 }))).to.deep.equal({ price: 45_000 });
    });

    it('a reader on one instance racing an invalidate on another cannot put the old value back', async function () {
      const reader = new RedisCache(redis.connect(), logger);
      const writer = new RedisCache(redis.connect(), logger);
      const ns = uniqueToken('shared');
      let release!: () => void;
      const loading = new Promise<void>((r) => (release = r));
      let started!: () => void;
      const loaderStarted = new Promise<void>((r) => (started = r));

      const racing = reader.getOrLoad(ns, 'k', 30, async () => {
        started();
        await loading;
        return 'old row';
      });
      await loaderStarted; // the reader has missed and is loading the old row
      await writer.invalidate(ns);
      release();
      expect(await racing).to.equal('old row');

      expect(await writer.getOrLoad(ns, 'k', 30, async () => 'new row')).to.equal('new row');
      expect(await reader.getOrLoad(ns, 'k', 30, async () => 'newer row')).to.equal('new row');
    });
  });

  describe('in-process adapter with invalidations broadcast through Redis', function () {
    let redis: TestRedis;
    const logger = createLogger('error', true);
    const opened: RedisBroadcastCache[] = [];
    /** An instance of its own: its own clock, cache and Redis connections, on one shared channel. */
    const instance = async (channel: string, clock = new ManualClock()) => {
      const cache = new RedisBroadcastCache(new InProcessCache(clock), redis.connect(), channel, logger);
      opened.push(cache);
      await cache.subscribed;
      return cache;
    };
    /** Until `read` says the change arrived (pub/sub is asynchronous), or two seconds. */
    const eventually = async (read: () => Promise<boolean>) => {
      for (let i = 0; i < 200; i += 1) {
        if (await read()) return;
        await sleep(10);
      }
      throw new Error('did not happen within 2 s');
    };

    before(async function () {
      redis = await requireRedis(this);
    });

    after(function () {
      for (const cache of opened) cache.close();
    });

    cacheContract(async () => {
      const clock = new ManualClock();
      return { cache: await instance(uniqueToken('channel'), clock), passTime: async (ms) => clock.advance(ms) };
    });

    it('an invalidate on one instance reaches the other: its next read loads', async function () {
      const channel = uniqueToken('channel');
      const [first, second] = [await instance(channel), await instance(channel)];
      const ns = uniqueToken('user');
      await first.getOrLoad(ns, 'k', 30, async () => 'ADMIN');
      await second.getOrLoad(ns, 'k', 30, async () => 'ADMIN');

      await second.invalidate(ns);

      let seen = '';
      await eventually(async () => (seen = await first.getOrLoad(ns, 'k', 30, async () => 'BUYER')) === 'BUYER');
      expect(seen).to.equal('BUYER');
      expect(await second.getOrLoad(ns, 'k', 30, async () => 'BUYER')).to.equal('BUYER');
    });

    it('while it is not subscribed (Redis away), it reads through and keeps nothing', async function () {
      const unreachable = unreachableRedis();
      const deaf = new RedisBroadcastCache(new InProcessCache(new ManualClock()), unreachable, uniqueToken('channel'), logger);
      opened.push(deaf);
      const ns = uniqueToken('user');
      const load = sinon.spy(async () => 'from the database');
      await deaf.getOrLoad(ns, 'k', 30, load);
      await deaf.getOrLoad(ns, 'k', 30, load);
      await deaf.invalidate(ns);
      expect(load.callCount).to.equal(2);
      unreachable.disconnect();
    });

    it('instances on another channel are not touched', async function () {
      const ns = uniqueToken('user');
      const [mine, theirs] = [await instance(uniqueToken('channel')), await instance(uniqueToken('channel'))];
      await theirs.getOrLoad(ns, 'k', 30, async () => 'kept');
      await mine.invalidate(ns);
      await sleep(100);
      expect(await theirs.getOrLoad(ns, 'k', 30, async () => 'reloaded')).to.equal('kept');
    });

    it('when its subscriber reconnects (messages may have been missed meanwhile), everything cached is dropped', async function () {
      const cache = await instance(uniqueToken('channel'));
      const ns = uniqueToken('user');
      await cache.getOrLoad(ns, 'k', 30, async () => 'before');
      expect(await cache.getOrLoad(ns, 'k', 30, async () => 'not loaded')).to.equal('before');
      const state = cache as unknown as { subscriber: Redis; listening: boolean };
      state.subscriber.disconnect(true);
      await eventually(async () => !state.listening);
      await eventually(async () => state.listening);

      expect(await cache.getOrLoad(ns, 'k', 30, async () => 'after')).to.equal('after');
      expect(await cache.getOrLoad(ns, 'k', 30, async () => 'not loaded')).to.equal('after');
    });
  });

  describe('Redis adapter, Redis unreachable', function () {
    let unreachable: Redis;
    let logger: ReturnType<typeof createLogger>;
    let warn: sinon.SinonSpy;
    let cache: RedisCache;

    beforeEach(function () {
      unreachable = unreachableRedis();
      logger = createLogger('error', true);
      warn = sinon.spy(logger, 'warn');
      cache = new RedisCache(unreachable, logger);
    });

    afterEach(function () {
      unreachable.disconnect();
    });

    it('getOrLoad still returns the loaded value, every time (nothing is cached), and a null too', async function () {
      const ns = uniqueToken('offline');
      const load = sinon.spy(async () => ({ id: 7, name: 'from the database' }));

      expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 7, name: 'from the database' });
      expect(await cache.getOrLoad(ns, 'k', 30, load)).to.deep.equal({ id: 7, name: 'from the database' });
      expect(await cache.getOrLoad(ns, 'missing', 30, async () => null)).to.equal(null);

      expect(load.callCount).to.equal(2);
      expect(warn.getCalls().map((call) => call.args[1]?.['operation'])).to.deep.equal(['read', 'read', 'read']);
    });

    it('invalidate resolves', async function () {
      await cache.invalidate(uniqueToken('offline'), 'product-lists');
    });

    it('a failed invalidation is logged (Cache port: "invalidations are logged"), like a failed read', async function () {
      await cache.invalidate(uniqueToken('offline'), 'product-lists');

      expect(
        warn.getCalls().map((call) => call.args[1]?.['operation']),
        'an invalidation that did not reach Redis leaves other instances serving the old value until the TTL; it must show in the log',
      ).to.deep.equal(['invalidate']);
    });
  });
});
