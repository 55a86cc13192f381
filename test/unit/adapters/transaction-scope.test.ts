import { expect } from 'chai';
import { TransactionScope } from '../../../src/adapters/transaction-scope.js';
import { requestContext } from '../../../src/adapters/http/request-context.js';

describe('TransactionScope (each manager\'s open transaction, in one shared AsyncLocalStorage)', () => {
  it('keeps each manager\'s transaction apart, through awaits and nesting', async () => {
    const a = new TransactionScope<string>({});
    const b = new TransactionScope<string>({});
    await a.run('a1', async () => {
      await Promise.resolve();
      expect([a.get(), b.get()]).to.deep.equal(['a1', undefined]);
      await b.run('b1', async () => {
        await Promise.resolve();
        expect([a.get(), b.get()]).to.deep.equal(['a1', 'b1']);
      });
      expect([a.get(), b.get()]).to.deep.equal(['a1', undefined]);
    });
    expect([a.get(), b.get()]).to.deep.equal([undefined, undefined]);
  });

  it('exit leaves only its own manager\'s transaction', async () => {
    const a = new TransactionScope<string>({});
    const b = new TransactionScope<string>({});
    await a.run('a1', () =>
      b.run('b1', async () => {
        await a.exit(async () => {
          await Promise.resolve();
          expect([a.get(), b.get()]).to.deep.equal([undefined, 'b1']);
        });
        expect(a.get()).to.equal('a1');
      }),
    );
  });

  it('concurrent runs of one manager see only their own transaction', async () => {
    const a = new TransactionScope<number>({});
    const seen = await Promise.all(
      [1, 2, 3].map((n) =>
        a.run(n, async () => {
          await new Promise((r) => setTimeout(r, 4 - n));
          return a.get();
        }),
      ),
    );
    expect(seen).to.deep.equal([1, 2, 3]);
  });

  it('the request id (another slot of the same async context) is seen inside a transaction and after it, and a transaction run inside a request keeps it', async () => {
    const a = new TransactionScope<string>({});
    await requestContext.run({ requestId: 'r-1' }, async () => {
      await a.run('a1', async () => {
        await Promise.resolve();
        expect([requestContext.get()?.requestId, a.get()]).to.deep.equal(['r-1', 'a1']);
        await a.exit(async () => expect(requestContext.get()?.requestId).to.equal('r-1'));
      });
      expect([requestContext.get()?.requestId, a.get()]).to.deep.equal(['r-1', undefined]);
    });
    expect(requestContext.get()).to.equal(undefined);
  });
});
