import { expect } from 'chai';
import type { Knex } from 'knex';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { TransactionAlreadyOver } from '../../src/adapters/postgres/knex-on-connection.js';
import { insertBuyerWithWallet, requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';

/**
 * On a PostgreSQL server KnexTransactionManager runs each transaction straight on a connection of
 * knex's pool (its own BEGIN, COMMIT and ROLLBACK). These check what knex's transactions did for
 * it before: a COMMIT PostgreSQL refuses fails the transaction, a connection that dies is not
 * handed out again, every connection goes back to the pool whatever happens, and knex's query
 * builder inside the transaction runs in it.
 */
describe('transactions run on pool connections (PostgreSQL)', function () {
  let database: TestDatabase;
  let db: Knex;
  let userId: number;

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    db = database.db;
  });

  beforeEach(async function () {
    userId = await insertBuyerWithWallet(db, 'Direct', 5_000);
  });

  const balance = async () => Number((await db('wallets').where({ user_id: userId }).first('balance'))?.balance);
  const failureOf = async (work: Promise<unknown>): Promise<unknown> => work.then(() => null, (error: unknown) => error);

  it('a COMMIT refused by a deferred check fails the transaction: nothing stays, the rollback effects run, the connection serves again', async function () {
    const pool = database.connect(1);
    const tm = new KnexTransactionManager(pool);
    const effects: string[] = [];
    // A balance without its ledger entry: wallets_match_ledger refuses it at COMMIT, not before.
    const error = await failureOf(
      tm.run(async () => {
        await tm.query('test_wallet_unbalanced', 'UPDATE wallets SET balance = balance - 100 WHERE user_id = ?', [userId]);
        await tm.afterCommit(async () => void effects.push('committed'));
        await tm.afterRollback(async () => void effects.push('rolled back'));
      }),
    );
    expect((error as { code?: string } | null)?.code).to.equal('23514');
    expect(effects).to.deep.equal(['rolled back']);
    expect(await balance()).to.equal(5_000);
    // The pool's only connection is back and outside any transaction.
    const [row] = await tm.run(() => tm.query<{ n: number }>('test_one', 'SELECT 1 AS n', []));
    expect(row?.n).to.equal(1);
  });

  it('a connection that dies inside a transaction fails it and is not handed out again', async function () {
    const pool = database.connect(1);
    const tm = new KnexTransactionManager(pool);
    let firstPid = 0;
    const error = await failureOf(
      tm.run(async () => {
        const [me] = await tm.query<{ pid: number }>('test_pid', 'SELECT pg_backend_pid() AS pid', []);
        firstPid = Number(me?.pid);
        await db.raw('SELECT pg_terminate_backend(?)', [firstPid]);
        await tm.query('test_after_kill', 'UPDATE wallets SET updated_at = now() WHERE user_id = ?', [userId]);
      }),
    );
    expect(error).to.be.an('error');
    const [me] = await tm.run(() => tm.query<{ pid: number }>('test_pid', 'SELECT pg_backend_pid() AS pid', []));
    expect(Number(me?.pid)).to.be.greaterThan(0).and.not.equal(firstPid);
  });

  it('every connection goes back to the pool, whether the transaction commits, throws or has a statement refused', async function () {
    const pool = database.connect(2);
    const tm = new KnexTransactionManager(pool);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        failureOf(
          tm.run(async () => {
            if (i % 3 === 1) throw new Error(`work ${i} gives up`);
            if (i % 3 === 2) await tm.query('test_refused', 'SELECT 1 / 0', []);
            await tm.query('test_touch', 'UPDATE wallets SET updated_at = now() WHERE user_id = ?', [userId]);
          }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o === null)).to.have.length(10);
    expect(outcomes.filter((o) => (o as { code?: string } | null)?.code === '22012')).to.have.length(10);
    // Had one connection not gone back, this would wait out the pool's acquire timeout.
    const [row] = await Promise.all([tm.run(() => tm.query<{ n: number }>('test_one', 'SELECT 1 AS n', [])), tm.run(() => tm.query('test_one', 'SELECT 1 AS n', []))]);
    expect(row[0]?.n).to.equal(1);
  });

  it("knex's query builder inside the transaction runs in it: it sees the transaction's writes and is rolled back with it", async function () {
    const tm = new KnexTransactionManager(db);
    const seen = await failureOf(
      tm.run(async () => {
        await tm.query('test_wallet_touch_version', 'UPDATE wallets SET version = version + 1 WHERE user_id = ?', [userId]);
        const row = await tm.connection()('wallets').where({ user_id: userId }).first('version');
        await tm.connection()('wallets').where({ user_id: userId }).increment('version', 1);
        throw Object.assign(new Error('undo'), { version: Number(row?.version) });
      }),
    );
    expect((seen as { version?: number }).version).to.equal(2);
    expect(Number((await db('wallets').where({ user_id: userId }).first('version'))?.version)).to.equal(1);
  });

  it('work left running past the end of its transaction is refused on every path: query, knex, pipelined write', async function () {
    const tm = new KnexTransactionManager(db);
    let leftover: Promise<unknown[]> = Promise.resolve([]);
    await tm.run(async () => {
      leftover = new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() =>
        Promise.all([
          failureOf(tm.query('test_one', 'SELECT 1 AS n', [])),
          failureOf(tm.connection()('wallets').where({ user_id: userId }).update({ balance: 0 })),
          failureOf(tm.write('test_late_write', 'UPDATE wallets SET balance = 0 WHERE user_id = ?', [userId])),
        ]),
      );
    });
    const failures = await leftover;
    for (const failure of failures) expect(failure).to.be.instanceOf(TransactionAlreadyOver);
    expect(await balance()).to.equal(5_000);
  });

  it("knex's builder in many transactions leaves no listener behind on the pool's client, and what it runs is still announced there", async function () {
    const pool = database.connect(2);
    const tm = new KnexTransactionManager(pool);
    const events = ['start', 'query', 'query-error', 'query-response'];
    const listenersBefore = events.map((event) => pool.client.listenerCount(event));
    const announced: string[] = [];
    pool.on('query', (query: { sql: string }) => announced.push(query.sql));
    const listenersWithOurs = events.map((event) => pool.client.listenerCount(event));
    for (let i = 0; i < 25; i++) {
      await tm.run(async () => {
        await tm.connection()('wallets').where({ user_id: userId }).first('version');
      });
    }
    // Each transaction's knex used to add its four pass-through listeners to the pool's client for good.
    expect(events.map((event) => pool.client.listenerCount(event))).to.deep.equal(listenersWithOurs);
    expect(listenersWithOurs.reduce((a, b) => a + b)).to.be.at.most(listenersBefore.reduce((a, b) => a + b) + 1);
    expect(announced.filter((sql) => sql.includes('wallets'))).to.have.length(25);
  });

  it('queryOnPool commits on its own connection, even from inside a transaction that then rolls back', async function () {
    const pool = database.connect(2);
    const tm = new KnexTransactionManager(pool);
    const other = await insertBuyerWithWallet(db, 'Elsewhere', 1_000);
    await tm.run(() => tm.query('test_one', 'SELECT 1 AS n', [])); // the manager now knows its connections are pg's
    const error = await failureOf(
      tm.run(async () => {
        await tm.query('test_wallet_touch_version', 'UPDATE wallets SET version = version + 1 WHERE user_id = ?', [userId]);
        await tm.queryOnPool('test_wallet_touch_updated', 'UPDATE wallets SET updated_at = ? WHERE user_id = ?', [new Date(0), other]);
        throw new Error('undo');
      }),
    );
    expect((error as Error).message).to.equal('undo');
    // The transaction's write is gone; the pool's stayed, committed before the transaction ended.
    expect(Number((await db('wallets').where({ user_id: userId }).first('version'))?.version)).to.equal(1);
    expect(new Date((await db('wallets').where({ user_id: other }).first('updated_at'))?.updated_at as string).getTime()).to.equal(0);
  });
});
