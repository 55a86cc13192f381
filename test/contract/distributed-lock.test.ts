import { expect } from 'chai';
import { Redis } from 'ioredis';
import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import sinon from 'sinon';
import { MemoryLock } from '../../src/adapters/memory/memory-lock.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresLeaseLock } from '../../src/adapters/postgres/lease-lock.js';
import { RedlockLock } from '../../src/adapters/redis/redlock-lock.js';
import type { DistributedLock } from '../../src/application/ports/distributed-lock.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { requireRedis, type TestRedis, unreachableRedis } from '../support/redis.js';
import { uniqueToken } from './contract-support.js';
import { distributedLockContract } from './distributed-lock.contract.js';

/** A fallback that must not be asked while Redis answers. */
const NO_FALLBACK: DistributedLock = {
  tryAcquire: async () => expect.fail('the fallback lock was used although Redis answered'),
};

describe('DistributedLock contract', function () {
  describe('memory adapter', function () {
    distributedLockContract(async () => {
      const clock = new ManualClock();
      const lock = new MemoryLock(clock);
      return { lock, other: lock, passTime: async (ms) => clock.advance(ms) };
    });
  });

  describe('PostgreSQL lease lock (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;
    let secondPool: Knex;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
      secondPool = database.connect(5);
    });

    // Leases expire on the service's clock (not the database's), so a manual clock drives them.
    distributedLockContract(async () => {
      const clock = new ManualClock();
      return {
        lock: new PostgresLeaseLock(new KnexTransactionManager(database.db), clock),
        other: new PostgresLeaseLock(new KnexTransactionManager(secondPool), clock),
        passTime: async (ms) => clock.advance(ms),
      };
    });

    it('takes its lease on the pool, committed at once, even when the caller has a transaction open', async function () {
      // The embedded database has one connection, which the open transaction holds.
      requireRealPostgres(this, database);
      const clock = new ManualClock();
      const tx = new KnexTransactionManager(database.db);
      const lock = new PostgresLeaseLock(tx, clock);
      const other = new PostgresLeaseLock(new KnexTransactionManager(secondPool), clock);
      const key = uniqueToken('lock-in-tx');

      await tx
        .run(async () => {
          expect(await lock.tryAcquire(key, 30_000)).to.not.equal(null);
          // Seen by another connection while the caller's transaction is still open...
          expect(await other.tryAcquire(key, 30_000)).to.equal(null);
          throw new Error('roll back the caller');
        })
        .catch(() => null);

      // ...and not taken back with the caller's rollback.
      expect(await other.tryAcquire(key, 30_000)).to.equal(null);
    });
  });

  describe('Redlock (Redis)', function () {
    let redis: TestRedis;
    const logger = createLogger('error', true);

    before(async function () {
      redis = await requireRedis(this);
    });

    // Redis keeps its own time: a lease's expiry really has to be waited for.
    distributedLockContract(async () => ({
      lock: new RedlockLock([redis.connect()], logger, NO_FALLBACK),
      other: new RedlockLock([redis.connect()], logger, NO_FALLBACK),
      passTime: async (ms) => {
        await sleep(ms);
      },
    }));

    describe('when Redis cannot answer', function () {
      it('falls back to its fallback lock, and says so in the log', async function () {
        const quiet = createLogger('error', true);
        const warn = sinon.spy(quiet, 'warn');
        const fallback = new MemoryLock(new ManualClock());
        const acquire = sinon.spy(fallback, 'tryAcquire');
        const lock = new RedlockLock([unreachableRedis()], quiet, fallback);
        const key = uniqueToken('lock-offline');

        const lease = await lock.tryAcquire(key, 30_000);

        expect(lease).to.not.equal(null);
        expect(acquire.calledOnceWithExactly(key, 30_000)).to.equal(true);
        expect(warn.callCount).to.equal(1);
        expect(warn.firstCall.args[1]).to.include({ key });
        // The fallback holds the lease now: refused through either door.
        expect(await lock.tryAcquire(key, 30_000)).to.equal(null);
        expect(await fallback.tryAcquire(key, 30_000)).to.equal(null);

        await lease!.release();

        expect(await fallback.tryAcquire(key, 30_000)).to.not.equal(null);
      });

      it('a lease taken in Redis that Redis cannot release any more: release resolves, logs, and the lease expires on its own', async function () {
        const quiet = createLogger('error', true);
        const warn = sinon.spy(quiet, 'warn');
        const client = redis.connect();
        const lock = new RedlockLock([client], quiet, NO_FALLBACK);
        const other = new RedlockLock([redis.connect()], logger, NO_FALLBACK);
        const key = uniqueToken('lock-lost');
        const lease = await lock.tryAcquire(key, 400);
        expect(lease).to.not.equal(null);

        client.disconnect();
        await lease!.release();

        expect(warn.callCount).to.equal(1);
        expect(warn.firstCall.args[1]).to.include({ key });
        expect(await other.tryAcquire(key, 30_000)).to.equal(null);
        await sleep(550);
        expect(await other.tryAcquire(key, 30_000)).to.not.equal(null);
      });
    });

    describe('over several nodes (REDIS_URL lists more than one)', function () {
      const nodes: Redis[] = [];

      /** A separate "node": the same server under its own key prefix (this run's, so it is cleaned up). */
      function node(name: string): Redis {
        const client = new Redis(redis.url, { keyPrefix: `${redis.prefix}${name}:`, maxRetriesPerRequest: 1 });
        nodes.push(client);
        return client;
      }

      after(function () {
        for (const client of nodes) client.disconnect();
      });

      it('a majority of nodes is enough: with one of three down the lock works in Redis alone', async function () {
        const [a, b] = [node('a'), node('b')];
        const quiet = createLogger('error', true);
        const warn = sinon.spy(quiet, 'warn');
        const lock = new RedlockLock([a, b, unreachableRedis()], quiet, NO_FALLBACK);
        const other = new RedlockLock([node('a'), node('b'), unreachableRedis()], quiet, NO_FALLBACK);
        const key = uniqueToken('lock-quorum');

        const lease = await lock.tryAcquire(key, 30_000);
        expect(lease).to.not.equal(null);
        expect(await other.tryAcquire(key, 30_000)).to.equal(null);
        await lease!.release();
        expect(await other.tryAcquire(key, 30_000)).to.not.equal(null);

        expect(warn.callCount).to.equal(0);
      });

      it('without a majority it falls back', async function () {
        const quiet = createLogger('error', true);
        const warn = sinon.spy(quiet, 'warn');
        const fallback = new MemoryLock(new ManualClock());
        const lock = new RedlockLock([node('c'), unreachableRedis(), unreachableRedis()], quiet, fallback);
        const key = uniqueToken('lock-minority');

        expect(await lock.tryAcquire(key, 30_000)).to.not.equal(null);

        expect(warn.callCount).to.equal(1);
        expect(await fallback.tryAcquire(key, 30_000)).to.equal(null);
      });
    });
  });
});
