import { expect } from 'chai';
import type { Knex } from 'knex';
import { ConcurrentModification } from '../../src/domain/shared/errors.js';
import { Wallet } from '../../src/domain/wallet/wallet.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresOutbox } from '../../src/adapters/postgres/ordering.js';
import { PostgresWalletRepository } from '../../src/adapters/postgres/wallet-repository.js';
import { openPostgresPool } from '../../src/infrastructure/database.js';
import { insertBuyerWithWallet, requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';

/**
 * KnexTransactionManager.write sends a write without waiting for its answer, so it shares a round
 * trip with what follows, COMMIT included. These check what that must never cost: a write that
 * fails (a stale version's guard included) fails the whole transaction, nothing of it stays, and
 * the caller learns the write's own failure.
 */
describe('pipelined writes (PostgreSQL)', function () {
  let database: TestDatabase;
  let db: Knex;
  let userId: number;
  /** A marker only this test's outbox rows carry. */
  let aggregateId: number;

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    db = database.db;
  });

  beforeEach(async function () {
    userId = await insertBuyerWithWallet(db, 'Piped', 5_000);
    aggregateId = 1_000_000_000 + userId;
  });

  const anEvent = () => ({ type: 'OrderCreated' as const, aggregateType: 'Order' as const, aggregateId, occurredAt: new Date(), payload: { test: true } });
  const staleWallet = () => Wallet.fromSnapshot({ userId, balance: 4_000, version: 99, updatedAt: new Date() });
  const outboxRows = async () => Number((await db('outbox_events').where({ aggregate_id: aggregateId }).count({ n: '*' }))[0]?.n);
  const failureOf = async (work: Promise<unknown>): Promise<unknown> => work.then(() => null, (error: unknown) => error);

  it('returns while the statement it sent still waits on a lock, and the transaction commits it', async function () {
    const tm = new KnexTransactionManager(db);
    const locker = await db.transaction();
    try {
      await locker.raw('SELECT 1 FROM wallets WHERE user_id = ? FOR UPDATE', [userId]);
      let sent = false;
      const done = tm.run(async () => {
        await tm.write('test_pipelined_blocked', 'UPDATE wallets SET updated_at = now() WHERE user_id = ?', [userId]);
        sent = true;
      });
      // Were write() waiting for the answer, it could not return before the lock is let go.
      for (let i = 0; i < 100 && !sent; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(sent, 'write() waited for its answer').to.equal(true);
      await locker.commit();
      await done;
    } finally {
      if (!locker.isCompleted()) await locker.rollback();
    }
  });

  it("a transaction's BEGIN is not waited for: its first statement is sent while BEGIN is still unanswered", async function () {
    const tm = new KnexTransactionManager(db);
    const beginOutstanding = await tm.run(async () => {
      // No I/O has been read since the transaction started (only promise jobs ran): with knex's
      // own client BEGIN's answer would be in already, here it cannot be.
      const client = (await (tm.connection() as Knex.Transaction).client.acquireConnection()) as { _activeQuery?: { text?: string } | null };
      return client._activeQuery?.text ?? null;
    });
    expect(beginOutstanding).to.equal('BEGIN');
  });

  it('a stale versioned save sent last, right before COMMIT: ConcurrentModification, and nothing of the transaction stays', async function () {
    const tm = new KnexTransactionManager(db);
    const outbox = new PostgresOutbox(tm);
    const wallets = new PostgresWalletRepository(tm);
    const error = await failureOf(
      tm.run(async () => {
        await outbox.add(anEvent());
        await wallets.save(staleWallet());
      }),
    );
    expect(error).to.be.instanceOf(ConcurrentModification);
    expect((error as Error).message).to.equal(`Wallet of user ${userId} changed since it was loaded`);
    expect(await outboxRows()).to.equal(0);
    expect(Number((await db('wallets').where({ user_id: userId }).first()).balance)).to.equal(5_000);
  });

  it('a failed write followed by a read: the caller gets the write failure, not "transaction aborted", and the rollback effects run', async function () {
    const tm = new KnexTransactionManager(db);
    const wallets = new PostgresWalletRepository(tm);
    let rolledBack = false;
    let committed = false;
    const error = await failureOf(
      tm.run(async () => {
        await tm.afterRollback(async () => void (rolledBack = true));
        await tm.afterCommit(async () => void (committed = true));
        await wallets.save(staleWallet());
        await wallets.get(userId);
      }),
    );
    expect(error).to.be.instanceOf(ConcurrentModification);
    expect([rolledBack, committed]).to.deep.equal([true, false]);
  });

  it('a write that breaks a CHECK fails the transaction with the database error', async function () {
    const tm = new KnexTransactionManager(db);
    const outbox = new PostgresOutbox(tm);
    const error = await failureOf(
      tm.run(async () => {
        await outbox.add(anEvent());
        await tm.write('test_pipelined_negative', 'UPDATE wallets SET balance = -1 WHERE user_id = ?', [userId]);
      }),
    );
    expect((error as { code?: string }).code).to.equal('23514');
    expect(await outboxRows()).to.equal(0);
  });

  it('without pipelining (DATABASE_PIPELINING=0) the same stale save fails at once, where it is made', async function () {
    const plain = openPostgresPool(database.url as string, { poolMax: 2, pipelining: false });
    try {
      const tm = new KnexTransactionManager(plain);
      const wallets = new PostgresWalletRepository(tm);
      let reachedAfterSave = false;
      const error = await failureOf(
        tm.run(async () => {
          await wallets.save(staleWallet());
          reachedAfterSave = true;
        }),
      );
      expect(error).to.be.instanceOf(ConcurrentModification);
      expect((error as Error).message).to.equal(`Wallet of user ${userId} changed since it was loaded`);
      expect(reachedAfterSave).to.equal(false);
    } finally {
      await plain.destroy();
    }
  });

  it('work left running past the end of its transaction cannot send on the connection the pool took back', async function () {
    const tm = new KnexTransactionManager(db);
    const outbox = new PostgresOutbox(tm);
    let leftover: Promise<unknown> = Promise.resolve();
    await tm.run(async () => {
      // Started inside the transaction, so it still sees it; runs once the transaction is over.
      leftover = new Promise((resolve) => setTimeout(resolve, 50)).then(() => outbox.add(anEvent()));
    });
    const error = await failureOf(leftover);
    expect((error as Error | null)?.message).to.match(/Transaction query already complete/);
    expect(await outboxRows()).to.equal(0);
  });

  it('outside a transaction a write runs and is waited for like any statement', async function () {
    const tm = new KnexTransactionManager(db);
    await new PostgresOutbox(tm).add(anEvent());
    expect(await outboxRows()).to.equal(1);
    await db('outbox_events').where({ aggregate_id: aggregateId }).delete();
  });
});
