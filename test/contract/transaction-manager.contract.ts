import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';

/** A key-value store whose writes join the open transaction of the manager under test. */
export interface Counters {
  set(key: string, value: number): Promise<void>;
  get(key: string): Promise<number | undefined>;
}

export interface TransactionManagerSubject {
  transactions: TransactionManager;
  counters: Counters;
}

const failureOf = async (work: Promise<unknown>): Promise<unknown> => work.then(() => null, (error: unknown) => error);

/**
 * What every TransactionManager promises the use cases (application/ports/transaction-manager.ts),
 * checked alike on the memory adapter and on PostgreSQL.
 */
export function transactionManagerContract(subject: () => Promise<TransactionManagerSubject>): void {
  let transactions: TransactionManager;
  let counters: Counters;
  let key: string;
  let n = 0;

  beforeEach(async () => {
    ({ transactions, counters } = await subject());
    key = `k${process.pid}-${Date.now()}-${n++}`;
  });

  it("commits the work's writes and returns its result", async () => {
    const result = await transactions.run(async () => {
      await counters.set(key, 1);
      await counters.set(`${key}b`, 2);
      return 'done';
    });
    expect(result).to.equal('done');
    expect([await counters.get(key), await counters.get(`${key}b`)]).to.deep.equal([1, 2]);
  });

  it('rolls back every write of work that throws, and the caller gets the very error thrown', async () => {
    await counters.set(key, 1);
    const thrown = new Error('changed my mind');
    const error = await failureOf(
      transactions.run(async () => {
        await counters.set(key, 2);
        await counters.set(`${key}b`, 3);
        throw thrown;
      }),
    );
    expect(error).to.equal(thrown);
    expect([await counters.get(key), await counters.get(`${key}b`)]).to.deep.equal([1, undefined]);
  });

  it('a nested run joins the outer transaction: its writes go when the outer one fails after it returned', async () => {
    await failureOf(
      transactions.run(async () => {
        const inner = await transactions.run(async () => {
          await counters.set(key, 7);
          return 'inner';
        });
        expect(inner).to.equal('inner');
        expect(await counters.get(key)).to.equal(7);
        throw new Error('outer fails');
      }),
    );
    expect(await counters.get(key)).to.equal(undefined);
  });

  it('afterCommit effects run in order once the outermost transaction committed, before run() returns, and see what it wrote', async () => {
    const seen: (number | undefined | string)[] = [];
    await transactions.run(async () => {
      await counters.set(key, 5);
      await transactions.run(async () => {
        await transactions.afterCommit(async () => void seen.push('inner', await counters.get(key)));
      });
      await transactions.afterCommit(async () => void seen.push('outer'));
      expect(seen).to.deep.equal([]);
    });
    expect(seen).to.deep.equal(['inner', 5, 'outer']);
  });

  it('afterRollback effects run only when the transaction rolls back, afterCommit effects only when it commits', async () => {
    const seen: string[] = [];
    await failureOf(
      transactions.run(async () => {
        await transactions.afterCommit(async () => void seen.push('committed 1'));
        await transactions.afterRollback(async () => void seen.push('rolled back 1'));
        throw new Error('no');
      }),
    );
    await transactions.run(async () => {
      await transactions.afterCommit(async () => void seen.push('committed 2'));
      await transactions.afterRollback(async () => void seen.push('rolled back 2'));
    });
    expect(seen).to.deep.equal(['rolled back 1', 'committed 2']);
  });

  it('outside any transaction, afterCommit and afterRollback effects run at once', async () => {
    const seen: string[] = [];
    await transactions.afterCommit(async () => void seen.push('commit effect'));
    await transactions.afterRollback(async () => void seen.push('rollback effect'));
    expect(seen).to.deep.equal(['commit effect', 'rollback effect']);
  });

  it('a failed transaction leaves the next one free to run and commit', async () => {
    await failureOf(
      transactions.run(async () => {
        await counters.set(key, 1);
        throw new Error('boom');
      }),
    );
    await transactions.run(() => counters.set(key, 2));
    expect(await counters.get(key)).to.equal(2);
  });

  it('concurrent transactions each commit their own writes', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => transactions.run(() => counters.set(`${key}-${i}`, i))));
    const values = await Promise.all(Array.from({ length: 12 }, (_, i) => counters.get(`${key}-${i}`)));
    expect(values).to.deep.equal(Array.from({ length: 12 }, (_, i) => i));
  });
}
