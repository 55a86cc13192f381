import { expect } from 'chai';
import type { Knex } from 'knex';
import { Redis } from 'ioredis';
import sinon from 'sinon';
import { MemoryCouponRepository, MemoryIssueGate, MemoryUserCouponRepository } from '../../src/adapters/memory/coupons.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { PostgresCouponRepository, PostgresIssueGate, PostgresUserCouponRepository } from '../../src/adapters/postgres/coupons.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { RedisCouponIssueGate } from '../../src/adapters/redis/redis-coupon-issue-gate.js';
import { RedisRateLimiter } from '../../src/adapters/redis/redis-rate-limiter.js';
import type { GateAnswer } from '../../src/application/ports/coupon-issue-gate.js';
import { RateLimited } from '../../src/domain/shared/errors.js';
import { createLogger } from '../../src/infrastructure/logger.js';
import { ManualClock } from '../support/clock.js';
import { testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';
import { requireRedis, type TestRedis, unreachableRedis } from '../support/redis.js';
import { uniqueNumber } from './contract-support.js';
import { type Attempt, couponIssueGateContract, type IssueGateSubject, issueThrough, limitedCoupon, termsOf } from './coupon-issue-gate.contract.js';

/** `count` new users of this role, in one insert. */
async function insertUsers(db: Knex, count: number, role: 'BUYER' | 'SELLER' = 'BUYER'): Promise<number[]> {
  const rows = Array.from({ length: count }, () => ({
    email: uniqueEmail(role.toLowerCase()),
    name: role,
    role,
    password_hash: 'x',
    ...(role === 'SELLER' ? { business_number: '123-45-67890' } : {}),
  }));
  return (await db('users').insert(rows).returning('id')).map((r: { id: string | number }) => Number(r.id));
}

/** The PostgreSQL records every database-backed gate is paired with. */
async function postgresRecords() {
  const { db } = await testDatabase();
  const transactions = new KnexTransactionManager(db);
  return {
    db,
    transactions,
    coupons: new PostgresCouponRepository(transactions),
    userCoupons: new PostgresUserCouponRepository(transactions),
    users: (count: number) => insertUsers(db, count),
    seller: async () => (await insertUsers(db, 1, 'SELLER'))[0] as number,
  };
}

const count = (answers: GateAnswer[], answer: GateAnswer) => answers.filter((a) => a === answer).length;
const summary = (attempts: Attempt[]) => attempts.map((a) => `${a.answer}/${a.outcome}`);

describe('CouponIssueGate contract', function () {
  describe('memory gate, with the memory records', function () {
    couponIssueGateContract(async (): Promise<IssueGateSubject> => {
      const transactions = new MemoryTransactionManager();
      const userCoupons = new MemoryUserCouponRepository(transactions);
      return {
        gate: new MemoryIssueGate(userCoupons),
        coupons: new MemoryCouponRepository(transactions),
        userCoupons,
        transactions,
        users: async (n) => Array.from({ length: n }, () => uniqueNumber()),
        seller: async () => uniqueNumber(),
        // A restarted process: a new gate over the same records.
        lostState: async () => new MemoryIssueGate(userCoupons),
      };
    });
  });

  describe('PostgreSQL-only gate, with the PostgreSQL records (TEST_DATABASE_URL, else the embedded database)', function () {
    couponIssueGateContract(async (): Promise<IssueGateSubject> => {
      const records = await postgresRecords();
      return {
        ...records,
        gate: new PostgresIssueGate(records.transactions),
        // It keeps nothing to lose: another instance reads the same rows.
        lostState: async () => new PostgresIssueGate(records.transactions),
      };
    });
  });

  describe('Redis gate, with the PostgreSQL records', function () {
    let redis: TestRedis;
    let client: Redis;
    /** Without the run's prefix: to find and delete this run's keys by their full names. */
    let admin: Redis;
    const logger = createLogger('error', true);

    before(async function () {
      redis = await requireRedis(this);
      client = redis.connect();
      admin = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    });

    after(function () {
      admin?.disconnect();
    });

    /** This run's keys (full names) that belong to the coupon: the gate's state of it. */
    async function gateKeysOf(couponId: number): Promise<string[]> {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${redis.prefix}*`, 'COUNT', 1_000);
        found.push(...keys.filter((k) => k.includes(`{${couponId}}`)));
        cursor = next;
      } while (cursor !== '0');
      return found.sort();
    }

    /** Redis lost the coupon (flushed, evicted, restarted): its keys under this run's prefix are deleted, nothing else. */
    async function flushCoupon(couponId: number): Promise<void> {
      const keys = await gateKeysOf(couponId);
      expect(keys, `the gate's keys of coupon ${couponId} under ${redis.prefix}`).to.have.length.greaterThan(0);
      await admin.del(...keys);
    }

    couponIssueGateContract(async (): Promise<IssueGateSubject> => {
      const records = await postgresRecords();
      const gate = new RedisCouponIssueGate(client, records.userCoupons, logger);
      return {
        ...records,
        gate,
        lostState: async (couponId) => {
          await flushCoupon(couponId);
          return gate;
        },
      };
    });

    describe('Redis only', function () {
      let records: Awaited<ReturnType<typeof postgresRecords>>;

      beforeEach(async function () {
        records = await postgresRecords();
      });

      const newCoupon = async (total: number, perUserLimit = 1) => records.coupons.add(limitedCoupon(await records.seller(), total, perUserLimit));
      const newGate = (on: Redis = redis.connect(), log = logger) => new RedisCouponIssueGate(on, records.userCoupons, log);

      it('claims lost between Redis and the database (an instance died): a dispute that outlasts the grace reloads the counts from the database', async function () {
        const coupon = await newCoupon(3);
        const gate = new RedisCouponIssueGate(redis.connect(), records.userCoupons, logger, 300);
        const [a, b, c, d] = (await records.users(4)) as [number, number, number, number];
        // Three claims that never reach the database.
        for (const user of [a, b, c]) expect(await gate.take(termsOf(coupon), user)).to.equal('TAKEN');
        expect(await gate.take(termsOf(coupon), d)).to.equal('EXHAUSTED');

        // Within the grace the claims may still be on their way: nothing changes.
        await gate.disputed(coupon.id);
        await gate.disputed(coupon.id);
        expect(await gate.take(termsOf(coupon), d)).to.equal('EXHAUSTED');
        expect(await gate.take(termsOf(coupon), a)).to.equal('ALREADY_ISSUED');

        await new Promise((resolve) => setTimeout(resolve, 350));
        await gate.disputed(coupon.id);

        // Reloaded: nobody holds a copy in the database, so the three copies are there again.
        const attempts = [];
        for (const user of [d, a, b, c]) attempts.push((await issueThrough(records, gate, coupon, user)).outcome);
        expect(attempts).to.deep.equal(['ISSUED', 'ISSUED', 'ISSUED', 'EXHAUSTED']);
      });

      describe('one script for the whole question: the rate limit, the take, the dispute', function () {
        const ACTION = 'coupon-issues';
        const admissionOf = (userId: number) => ({ action: ACTION, subject: `gate-${userId}-${uniqueNumber()}`, refusal: 'Too many coupon requests' });
        const limiterOf = (on: Redis, limit: number) => new RedisRateLimiter(on, { [ACTION]: { limit, windowMs: 60_000 } }, new ManualClock(), logger);

        it("an admission is counted on the rate limiter's own counters: past the limit RateLimited with the wait, and nothing taken", async function () {
          const on = redis.connect();
          const limiter = limiterOf(on, 2);
          const gate = new RedisCouponIssueGate(on, records.userCoupons, logger, undefined, limiter);
          const coupon = await newCoupon(4, 3);
          const [a, b] = (await records.users(2)) as [number, number];
          const admission = admissionOf(a);

          expect(await limiter.take(ACTION, admission.subject)).to.equal(0);
          expect(await gate.take(termsOf(coupon), a, { admission })).to.equal('TAKEN');
          const refused = await gate.take(termsOf(coupon), a, { admission }).then(
            () => null,
            (error: unknown) => error,
          );
          expect(refused).to.be.instanceOf(RateLimited);
          expect(refused).to.include({ retryAfterSeconds: 60, message: 'Too many coupon requests' });
          // The limiter sees the gate's counts (4 now), and the refused attempt took nothing.
          expect(await limiter.take(ACTION, admission.subject)).to.equal(60);
          for (const user of [b, b, b]) expect(await gate.take(termsOf(coupon), user)).to.equal('TAKEN');
          expect(await gate.take(termsOf(coupon), b)).to.equal('ALREADY_ISSUED');
          expect(await gate.take(termsOf(coupon), a)).to.equal('EXHAUSTED');
        });

        it('a coupon Redis does not know yet is loaded and taken, with the attempt counted once', async function () {
          const on = redis.connect();
          const limiter = limiterOf(on, 1);
          const gate = new RedisCouponIssueGate(on, records.userCoupons, logger, undefined, limiter);
          const coupon = await newCoupon(2);
          const [a] = (await records.users(1)) as [number];
          const admission = admissionOf(a);
          expect(await gate.take(termsOf(coupon), a, { admission })).to.equal('TAKEN');
          expect(await limiter.take(ACTION, admission.subject)).to.equal(60);
        });

        it('copies left in the database while the gate says EXHAUSTED: disputed in the same script, reloaded once the dispute outlasts the grace', async function () {
          const gate = new RedisCouponIssueGate(redis.connect(), records.userCoupons, logger, 300);
          const coupon = await newCoupon(2);
          const [a, b, c] = (await records.users(3)) as [number, number, number];
          // Two claims that never reach the database.
          for (const user of [a, b]) expect(await gate.take(termsOf(coupon), user)).to.equal('TAKEN');
          expect(await gate.take(termsOf(coupon), c, { copiesLeftInDatabase: true })).to.equal('EXHAUSTED');
          expect(await gate.take(termsOf(coupon), c, { copiesLeftInDatabase: true })).to.equal('EXHAUSTED');
          // Without the database's word nothing is disputed, however long it lasts.
          await new Promise((resolve) => setTimeout(resolve, 350));
          expect(await gate.take(termsOf(coupon), c)).to.equal('EXHAUSTED');
          expect(await gate.take(termsOf(coupon), c, { copiesLeftInDatabase: true })).to.equal('EXHAUSTED');
          // Reloaded from the database, where nobody holds a copy.
          expect((await issueThrough(records, gate, coupon, c)).outcome).to.equal('ISSUED');
          expect((await issueThrough(records, gate, coupon, a)).outcome).to.equal('ISSUED');
          expect((await issueThrough(records, gate, coupon, b)).outcome).to.equal('EXHAUSTED');
        });
      });

      it('a dispute that stops (the claims were written) does not count against a later one', async function () {
        const coupon = await newCoupon(2);
        const gate = new RedisCouponIssueGate(redis.connect(), records.userCoupons, logger, 300);
        const [a, b] = (await records.users(2)) as [number, number];
        await gate.disputed(coupon.id);
        // Long after the first sighting (which expires after twice the grace), a fresh one starts the clock again.
        await new Promise((resolve) => setTimeout(resolve, 650));
        expect((await issueThrough(records, gate, coupon, a)).outcome).to.equal('ISSUED');
        await gate.disputed(coupon.id);
        expect((await issueThrough(records, gate, coupon, b)).outcome).to.equal('ISSUED');
        expect(await records.userCoupons.issuedCopies(coupon.id)).to.deep.include({ issued: 2 });
        expect(await gate.take(termsOf(coupon), a)).to.equal('ALREADY_ISSUED');
      });

      it('two instances share the counts: copies taken through one are gone for the other', async function () {
        const coupon = await newCoupon(3);
        const [first, second] = [newGate(), newGate()];
        const [a, b, c, d] = (await records.users(4)) as [number, number, number, number];

        const attempts = [
          await issueThrough(records, first, coupon, a),
          await issueThrough(records, second, coupon, b),
          await issueThrough(records, second, coupon, a),
          await issueThrough(records, first, coupon, c),
          await issueThrough(records, second, coupon, d),
          await issueThrough(records, first, coupon, d),
        ];

        expect(summary(attempts)).to.deep.equal([
          'TAKEN/ISSUED',
          'TAKEN/ISSUED',
          'ALREADY_ISSUED/ALREADY_ISSUED',
          'TAKEN/ISSUED',
          'EXHAUSTED/EXHAUSTED',
          'EXHAUSTED/EXHAUSTED',
        ]);
        expect((await records.coupons.get(coupon.id))?.toSnapshot().issuedQuantity).to.equal(3);
      });

      it('a copy given back through one instance can be taken through the other', async function () {
        const coupon = await newCoupon(1);
        const [first, second] = [newGate(), newGate()];
        const [a, b] = (await records.users(2)) as [number, number];

        const attempts = [
          await issueThrough(records, first, coupon, a, { failWrite: true }),
          await issueThrough(records, second, coupon, b),
          await issueThrough(records, first, coupon, a),
        ];

        expect(summary(attempts)).to.deep.equal(['TAKEN/WRITE_FAILED', 'TAKEN/ISSUED', 'EXHAUSTED/EXHAUSTED']);
      });

      it('200 simultaneous takes for 20 copies: exactly 20 TAKEN, 180 EXHAUSTED', async function () {
        const coupon = await newCoupon(20);
        const gate = newGate();

        const answers = await Promise.all(Array.from({ length: 200 }, () => gate.take(termsOf(coupon), uniqueNumber())));

        expect(count(answers, 'TAKEN')).to.equal(20);
        expect(count(answers, 'EXHAUSTED')).to.equal(180);
      });

      it('200 simultaneous takes through two instances, each loading the coupon itself: exactly 20 TAKEN', async function () {
        const coupon = await newCoupon(20);
        const gates = [newGate(), newGate()];

        const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => gates[i % 2]!.take(termsOf(coupon), uniqueNumber())));

        expect(count(answers, 'TAKEN')).to.equal(20);
        expect(count(answers, 'EXHAUSTED')).to.equal(180);
      });

      it('200 simultaneous takes by 10 users of a one-per-user coupon: exactly one TAKEN each', async function () {
        const coupon = await newCoupon(20);
        const gate = newGate();
        const users = Array.from({ length: 10 }, () => uniqueNumber());

        const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => gate.take(termsOf(coupon), users[i % 10] as number)));

        expect(count(answers, 'TAKEN')).to.equal(10);
        expect(count(answers, 'ALREADY_ISSUED')).to.equal(190);
        for (const user of users) expect(answers.filter((a, i) => a === 'TAKEN' && users[i % 10] === user)).to.have.length(1);
      });

      it('200 simultaneous takes while the claims were given back: never more TAKEN than copies free at any time', async function () {
        const coupon = await newCoupon(5);
        const gate = newGate();
        const first = await Promise.all(Array.from({ length: 5 }, () => uniqueNumber()).map(async (u) => [u, await gate.take(termsOf(coupon), u)] as const));
        expect(first.map(([, a]) => a)).to.deep.equal(Array(5).fill('TAKEN'));
        await Promise.all(first.slice(0, 2).map(([u]) => gate.giveBack(coupon.id, u)));

        const answers = await Promise.all(Array.from({ length: 200 }, () => gate.take(termsOf(coupon), uniqueNumber())));

        expect(count(answers, 'TAKEN')).to.equal(2);
        expect(count(answers, 'EXHAUSTED')).to.equal(198);
      });

      it('keeps its counts under the key prefix, and lets them go a day after the coupon stops being valid', async function () {
        const coupon = await newCoupon(3);
        const gate = newGate();
        const [user] = (await records.users(1)) as [number];

        expect((await issueThrough(records, gate, coupon, user)).outcome).to.equal('ISSUED');

        const keys = await gateKeysOf(coupon.id);
        expect(keys).to.have.length(2);
        for (const key of keys) {
          expect(key.startsWith(redis.prefix)).to.equal(true);
          const ttl = await admin.ttl(key);
          const expected = Math.ceil(coupon.validUntil.getTime() / 1000) + 86_400 - Math.floor(Date.now() / 1000);
          expect(ttl, key).to.be.within(expected - 5, expected + 1);
        }
      });

      it('fails open when Redis cannot be reached: take answers TAKEN, and the records still cap the total', async function () {
        const coupon = await newCoupon(3);
        const unreachable = unreachableRedis();
        const quiet = createLogger('error', true);
        const warn = sinon.spy(quiet, 'warn');
        const gate = newGate(unreachable, quiet);
        const [a, b, c, d, e] = (await records.users(5)) as [number, number, number, number, number];

        const attempts: Attempt[] = [];
        try {
          for (const user of [a, b, a, c, d, e]) attempts.push(await issueThrough(records, gate, coupon, user));
        } finally {
          unreachable.disconnect();
        }

        expect(summary(attempts)).to.deep.equal([
          'TAKEN/ISSUED',
          'TAKEN/ISSUED',
          'TAKEN/ALREADY_ISSUED',
          'TAKEN/ISSUED',
          'TAKEN/EXHAUSTED',
          'TAKEN/EXHAUSTED',
        ]);
        expect((await records.coupons.get(coupon.id))?.toSnapshot().issuedQuantity).to.equal(3);
        expect(await records.userCoupons.issuedCopies(coupon.id)).to.deep.equal({ issued: 3, perUser: new Map([[a, 1], [b, 1], [c, 1]]) });
        expect(warn.callCount).to.equal(6);
        expect(warn.firstCall.args[1]).to.include({ couponId: coupon.id });
      });

      it('once Redis is back, a gate that could not keep count starts from the records', async function () {
        const coupon = await newCoupon(3);
        const unreachable = unreachableRedis();
        const offline = newGate(unreachable, createLogger('error', true));
        const [a, b, c, d] = (await records.users(4)) as [number, number, number, number];
        try {
          await issueThrough(records, offline, coupon, a);
          await issueThrough(records, offline, coupon, b);
        } finally {
          unreachable.disconnect();
        }

        const online = newGate();
        const attempts = [
          await issueThrough(records, online, coupon, a),
          await issueThrough(records, online, coupon, c),
          await issueThrough(records, online, coupon, d),
        ];

        expect(summary(attempts)).to.deep.equal(['ALREADY_ISSUED/ALREADY_ISSUED', 'TAKEN/ISSUED', 'EXHAUSTED/EXHAUSTED']);
        expect((await records.coupons.get(coupon.id))?.toSnapshot().issuedQuantity).to.equal(3);
      });
    });
  });
});
