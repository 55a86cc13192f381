import { expect } from 'chai';
import { MemoryTable, MemoryTransactionManager } from '../../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryUserRepository } from '../../../src/adapters/memory/user-repository.js';
import { User } from '../../../src/domain/user/user.js';
import { rejectionOf } from '../expect-error.js';
import { deferred } from '../../support/deferred.js';

interface Row {
  name: string;
  stock: number;
}

/** Lets every pending promise callback and timer of this turn run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('MemoryTransactionManager and MemoryTable', () => {
  let tx: MemoryTransactionManager;
  let table: MemoryTable<number, Row>;

  beforeEach(() => {
    tx = new MemoryTransactionManager();
    table = new MemoryTable<number, Row>(tx);
    table.set(1, { name: 'shoe', stock: 10 });
    table.set(2, { name: 'hat', stock: 5 });
  });

  const contents = () => table.entries().sort(([a], [b]) => a - b);

  it('a failed transaction rolls back every write it made (updates, inserts and deletes), and its error reaches the caller', async () => {
    const failure = new Error('boom');
    const error = await rejectionOf(
      tx.run(async () => {
        table.set(1, { name: 'shoe', stock: 9 });
        table.set(1, { name: 'shoe', stock: 8 });
        table.set(3, { name: 'sock', stock: 1 });
        table.delete(2);
        table.set(2, { name: 'hat again', stock: 1 });
        table.delete(3);
        throw failure;
      }),
    );
    expect(error).to.equal(failure);
    expect(contents()).to.deep.equal([
      [1, { name: 'shoe', stock: 10 }],
      [2, { name: 'hat', stock: 5 }],
    ]);
    expect(table.has(3)).to.equal(false);
  });

  it('a committed transaction keeps its writes and returns the work’s result', async () => {
    const result = await tx.run(async () => {
      table.set(1, { name: 'shoe', stock: 9 });
      table.set(3, { name: 'sock', stock: 1 });
      table.delete(2);
      return 'done';
    });
    expect(result).to.equal('done');
    expect(contents()).to.deep.equal([
      [1, { name: 'shoe', stock: 9 }],
      [3, { name: 'sock', stock: 1 }],
    ]);
  });

  it('a later failed transaction does not undo an earlier committed one', async () => {
    await tx.run(async () => table.set(1, { name: 'shoe', stock: 9 }));
    await rejectionOf(
      tx.run(async () => {
        table.set(1, { name: 'shoe', stock: 0 });
        throw new Error('boom');
      }),
    );
    expect(table.get(1)).to.deep.equal({ name: 'shoe', stock: 9 });
  });

  it('a nested run joins the outer transaction: when the outer one fails, the inner writes are rolled back too', async () => {
    await rejectionOf(
      tx.run(async () => {
        table.set(1, { name: 'shoe', stock: 9 });
        await tx.run(async () => {
          table.set(3, { name: 'sock', stock: 1 });
        });
        expect(table.get(3)).to.deep.equal({ name: 'sock', stock: 1 });
        throw new Error('outer fails after the inner one finished');
      }),
    );
    expect(contents()).to.deep.equal([
      [1, { name: 'shoe', stock: 10 }],
      [2, { name: 'hat', stock: 5 }],
    ]);
  });

  it('a nested run does not wait for the outer transaction to end (no self-deadlock) and commits with it', async () => {
    const result = await tx.run(async () => {
      const inner = await tx.run(async () => {
        table.set(3, { name: 'sock', stock: 1 });
        return 'inner';
      });
      return `${inner}+outer`;
    });
    expect(result).to.equal('inner+outer');
    expect(table.get(3)).to.deep.equal({ name: 'sock', stock: 1 });
  });

  it('transactions run one at a time: the second starts only after the first has ended', async () => {
    const events: string[] = [];
    const release = deferred();
    const first = tx.run(async () => {
      events.push('first starts');
      await release.promise;
      events.push('first ends');
    });
    const second = tx.run(async () => {
      events.push('second starts');
      events.push('second ends');
    });
    await settle();
    expect(events).to.deep.equal(['first starts']);

    release.resolve();
    await Promise.all([first, second]);
    expect(events).to.deep.equal(['first starts', 'first ends', 'second starts', 'second ends']);
  });

  it('a failed transaction still lets the next one run', async () => {
    const first = tx.run(async () => {
      throw new Error('boom');
    });
    const second = tx.run(async () => 'ran');
    await rejectionOf(first);
    expect(await second).to.equal('ran');
  });

  it('a read-modify-write in concurrent transactions gives the serial result', async () => {
    await Promise.all(
      Array.from({ length: 20 }, () =>
        tx.run(async () => {
          const row = table.get(1);
          if (!row) return;
          await settle();
          table.set(1, { ...row, stock: row.stock - 1 });
        }),
      ),
    );
    expect(table.get(1)).to.deep.equal({ name: 'shoe', stock: -10 });
  });

  it('writes made outside any transaction are kept even if a transaction later fails', async () => {
    table.set(4, { name: 'scarf', stock: 2 });
    await rejectionOf(
      tx.run(async () => {
        throw new Error('boom');
      }),
    );
    expect(table.get(4)).to.deep.equal({ name: 'scarf', stock: 2 });
  });

  it('writes made through outside() inside a transaction commit on their own and survive its rollback', async () => {
    await rejectionOf(
      tx.run(async () => {
        table.set(1, { name: 'shoe', stock: 0 });
        tx.outside(() => table.set(4, { name: 'claim', stock: 1 }));
        throw new Error('boom');
      }),
    );
    expect(table.get(4)).to.deep.equal({ name: 'claim', stock: 1 });
    expect(table.get(1)).to.deep.equal({ name: 'shoe', stock: 10 });
  });

  it('rows are copied in and out: changing an object after writing or reading it does not change the table', () => {
    const row = { name: 'belt', stock: 3 };
    table.set(5, row);
    row.stock = 99;
    const read = table.get(5);
    if (read) read.stock = 42;
    expect(table.get(5)).to.deep.equal({ name: 'belt', stock: 3 });
    for (const value of table.values()) value.stock = -1;
    expect(table.get(5)).to.deep.equal({ name: 'belt', stock: 3 });
  });

  it('delete reports whether there was a row to delete', () => {
    expect(table.delete(1)).to.equal(true);
    expect(table.delete(1)).to.equal(false);
    expect(table.get(1)).to.equal(undefined);
  });

  it('ids, like a database sequence, are not given back by a rollback: a failed insert’s id is never reused', async () => {
    const users = new MemoryUserRepository(tx);
    const draft = (email: string) =>
      User.register({ email, name: 'U', role: 'BUYER' }, 'hash', new Date('2026-01-15T09:00:00Z'));
    let failedId = 0;
    await rejectionOf(
      tx.run(async () => {
        failedId = (await users.add(draft('first@shop.test'))).id;
        throw new Error('boom');
      }),
    );
    expect(await users.get(failedId)).to.equal(null);
    expect(await users.findByEmail('first@shop.test')).to.equal(null);
    const next = await users.add(draft('first@shop.test'));
    expect(next.id).to.equal(failedId + 1);
  });
});
