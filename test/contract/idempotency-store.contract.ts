import { expect } from 'chai';
import type {
  IdempotencyScope,
  IdempotencyStore,
  IdempotencyTimings,
  StoredResponse,
} from '../../src/application/ports/idempotency-store.js';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { rejectionOf, uniqueNumber, uniqueToken } from './contract-support.js';

export interface IdempotencyStoreSubject {
  store: IdempotencyStore;
  /** complete() runs inside the caller's transaction: the contract calls it inside `run`. */
  transactions: TransactionManager;
  /**
   * Called first by the test that claims while a transaction is open. A backend that has only
   * one session (the embedded database) cannot run a second statement then, and skips it here
   * (through requireRealPostgres).
   */
  beforeClaimInsideTransaction?(ctx: Mocha.Context): void;
}

export const CONTRACT_TIMINGS: IdempotencyTimings = { retentionMs: 24 * 60 * 60 * 1_000, leaseMs: 60_000 };
const { retentionMs, leaseMs } = CONTRACT_TIMINGS;

const T0 = new Date('2026-01-15T09:00:00.000Z');
const later = (ms: number, from: Date = T0) => new Date(from.getTime() + ms);

const CREATED: StoredResponse = {
  status: 201,
  body: {
    id: 9001,
    status: 'CONFIRMED',
    total: 12_345,
    discount: 0,
    paid: true,
    note: null,
    lines: [
      { optionId: 3, quantity: 2, tags: ['red', 'xl'] },
      { optionId: 5, quantity: 1, tags: [] },
    ],
    wallet: { balance: 87_655, history: [{ amount: -12_345, orderId: 9001 }] },
    matrix: [[1, 2], [3, [4, { deep: 'yes' }]]],
  },
};

/** What every IdempotencyStore must do, whatever it keeps the keys in. */
export function idempotencyStoreContract(makeSubject: (timings: IdempotencyTimings) => Promise<IdempotencyStoreSubject>): void {
  let subject: IdempotencyStoreSubject;
  let store: IdempotencyStore;
  let transactions: TransactionManager;

  beforeEach(async function () {
    subject = await makeSubject(CONTRACT_TIMINGS);
    ({ store, transactions } = subject);
  });

  /** A scope no other test uses (stores may be shared by the whole run). */
  const freshScope = (): IdempotencyScope => ({ userId: uniqueNumber(), key: uniqueToken('idem') });

  /** Claims and completes a key, the way a request that succeeded leaves it. */
  async function completed(scope: IdempotencyScope, fingerprint: string, response: StoredResponse, now = T0): Promise<void> {
    expect(await store.claim(scope, fingerprint, now)).to.deep.equal({ kind: 'claimed' });
    await transactions.run(() => store.complete(scope, response, now));
  }

  it('the first claim of a key is claimed', async function () {
    expect(await store.claim(freshScope(), 'fp-a', T0)).to.deep.equal({ kind: 'claimed' });
  });

  it('a second claim with the same fingerprint while the first is in progress is in-progress', async function () {
    const scope = freshScope();
    await store.claim(scope, 'fp-a', T0);

    expect(await store.claim(scope, 'fp-a', later(1))).to.deep.equal({ kind: 'in-progress' });
    expect(await store.claim(scope, 'fp-a', later(leaseMs))).to.deep.equal({ kind: 'in-progress' });
  });

  it('a claim with a different fingerprint is a mismatch, in progress or completed', async function () {
    const scope = freshScope();
    await store.claim(scope, 'fp-a', T0);

    expect(await store.claim(scope, 'fp-b', later(1))).to.deep.equal({ kind: 'mismatch' });

    await transactions.run(() => store.complete(scope, CREATED, later(2)));
    expect(await store.claim(scope, 'fp-b', later(3))).to.deep.equal({ kind: 'mismatch' });
  });

  it('after complete, a claim with the same fingerprint replays exactly that status and body', async function () {
    const scope = freshScope();
    await completed(scope, 'fp-a', CREATED);

    const first = await store.claim(scope, 'fp-a', later(1));
    const second = await store.claim(scope, 'fp-a', later(2));

    expect(first).to.deep.equal({ kind: 'replay', response: CREATED });
    expect(second).to.deep.equal({ kind: 'replay', response: CREATED });
  });

  const otherBodies: [string, unknown][] = [
    ['a top-level array', [{ id: 1 }, { id: 2, tags: ['a'] }]],
    ['null', null],
    ['a number', 42],
    ['a string', 'done'],
    ['a string of digits, as a string', '123'],
  ];
  for (const [what, body] of otherBodies) {
    it(`replays a body that is ${what} exactly`, async function () {
      const scope = freshScope();
      const response: StoredResponse = { status: 200, body };
      await completed(scope, 'fp-a', response);

      const claim = await store.claim(scope, 'fp-a', later(1)).catch((error: Error) => error);

      expect(claim).to.deep.equal({ kind: 'replay', response });
    });
  }

  it('release after a claim lets the next claim succeed, whatever its fingerprint', async function () {
    const scope = freshScope();
    await store.claim(scope, 'fp-a', T0);

    await store.release(scope);

    expect(await store.claim(scope, 'fp-b', later(1))).to.deep.equal({ kind: 'claimed' });
    expect(await store.claim(scope, 'fp-b', later(2))).to.deep.equal({ kind: 'in-progress' });
  });

  it('release does not remove a completed record', async function () {
    const scope = freshScope();
    await completed(scope, 'fp-a', CREATED);

    await store.release(scope);

    expect(await store.claim(scope, 'fp-a', later(1))).to.deep.equal({ kind: 'replay', response: CREATED });
    expect(await store.claim(scope, 'fp-b', later(2))).to.deep.equal({ kind: 'mismatch' });
  });

  it('release of a key never claimed does nothing', async function () {
    const scope = freshScope();

    await store.release(scope);

    expect(await store.claim(scope, 'fp-a', T0)).to.deep.equal({ kind: 'claimed' });
  });

  it('a claim whose lease has passed can be claimed again, and the new claim holds a lease of its own', async function () {
    const scope = freshScope();
    await store.claim(scope, 'fp-a', T0);
    const leaseOver = later(leaseMs + 1);

    expect(await store.claim(scope, 'fp-a', leaseOver)).to.deep.equal({ kind: 'claimed' });
    expect(await store.claim(scope, 'fp-a', later(1, leaseOver))).to.deep.equal({ kind: 'in-progress' });
    expect(await store.claim(scope, 'fp-a', later(leaseMs, leaseOver))).to.deep.equal({ kind: 'in-progress' });
    expect(await store.claim(scope, 'fp-a', later(leaseMs + 1, leaseOver))).to.deep.equal({ kind: 'claimed' });
  });

  it('a completed record is not taken over when the lease passes', async function () {
    const scope = freshScope();
    await completed(scope, 'fp-a', CREATED);

    expect(await store.claim(scope, 'fp-a', later(leaseMs + 1))).to.deep.equal({ kind: 'replay', response: CREATED });
    expect(await store.claim(scope, 'fp-b', later(leaseMs + 1))).to.deep.equal({ kind: 'mismatch' });
  });

  it('a record is kept until its retention is over and can then be claimed again', async function () {
    const scope = freshScope();
    await completed(scope, 'fp-a', CREATED);

    expect(await store.claim(scope, 'fp-b', later(retentionMs - 1))).to.deep.equal({ kind: 'mismatch' });
    expect(await store.claim(scope, 'fp-a', later(retentionMs - 1))).to.deep.equal({ kind: 'replay', response: CREATED });

    expect(await store.claim(scope, 'fp-b', later(retentionMs + 1))).to.deep.equal({ kind: 'claimed' });
    expect(await store.claim(scope, 'fp-b', later(retentionMs + 2))).to.deep.equal({ kind: 'in-progress' });
  });

  it('purgeExpired removes the records past their retention and returns how many', async function () {
    // Far before any other test's time, so that only this test's records are expired when it purges.
    const epoch = new Date(`1971-01-01T00:00:00.000Z`);
    const [done, abandoned, young] = [freshScope(), freshScope(), freshScope()];
    await completed(done, 'fp-done', CREATED, epoch);
    expect(await store.claim(abandoned, 'fp-abandoned', epoch)).to.deep.equal({ kind: 'claimed' });
    expect(await store.claim(young, 'fp-young', later(retentionMs, epoch))).to.deep.equal({ kind: 'claimed' });

    expect(await store.purgeExpired(later(-1, epoch))).to.equal(0);
    expect(await store.purgeExpired(later(retentionMs + 1, epoch))).to.equal(2);
    expect(await store.purgeExpired(later(retentionMs + 1, epoch))).to.equal(0);

    // Purged: claimed afresh even at a time the old records would still have answered.
    expect(await store.claim(done, 'fp-other', later(1, epoch))).to.deep.equal({ kind: 'claimed' });
    expect(await store.claim(abandoned, 'fp-other', later(1, epoch))).to.deep.equal({ kind: 'claimed' });
    // Not yet expired: still there.
    expect(await store.claim(young, 'fp-other', later(retentionMs + 1, epoch))).to.deep.equal({ kind: 'mismatch' });
  });

  it('scopes are per user: the same key of another user is a key of its own', async function () {
    const key = uniqueToken('shared-key');
    const alice = { userId: uniqueNumber(), key };
    const bob = { userId: uniqueNumber(), key };

    expect(await store.claim(alice, 'fp-a', T0)).to.deep.equal({ kind: 'claimed' });
    expect(await store.claim(bob, 'fp-b', T0)).to.deep.equal({ kind: 'claimed' });

    await transactions.run(() => store.complete(alice, CREATED, later(1)));
    expect(await store.claim(alice, 'fp-a', later(2))).to.deep.equal({ kind: 'replay', response: CREATED });
    expect(await store.claim(bob, 'fp-b', later(2))).to.deep.equal({ kind: 'in-progress' });

    await store.release(bob);
    expect(await store.claim(alice, 'fp-a', later(3))).to.deep.equal({ kind: 'replay', response: CREATED });
    expect(await store.claim(bob, 'fp-a', later(3))).to.deep.equal({ kind: 'claimed' });
  });

  it('complete inside a transaction that throws does not record the answer', async function () {
    const scope = freshScope();
    await store.claim(scope, 'fp-a', T0);
    const boom = new Error('boom after complete');

    const error = await rejectionOf(
      transactions.run(async () => {
        await store.complete(scope, CREATED, later(1));
        throw boom;
      }),
    );

    expect(error).to.equal(boom);
    expect(await store.claim(scope, 'fp-a', later(2))).to.deep.equal({ kind: 'in-progress' });
    // The claim itself survived the rollback, and a later complete that commits is recorded.
    await transactions.run(() => store.complete(scope, { status: 200, body: { again: true } }, later(3)));
    expect(await store.claim(scope, 'fp-a', later(4))).to.deep.equal({
      kind: 'replay',
      response: { status: 200, body: { again: true } },
    });
  });

  it('a claim commits on its own, even when made while a transaction that then fails is open', async function () {
    subject.beforeClaimInsideTransaction?.(this);
    const scope = freshScope();
    const boom = new Error('boom after the claim');

    const error = await rejectionOf(
      transactions.run(async () => {
        expect(await store.claim(scope, 'fp-a', T0)).to.deep.equal({ kind: 'claimed' });
        throw boom;
      }),
    );

    expect(error).to.equal(boom);
    expect(await store.claim(scope, 'fp-a', later(1))).to.deep.equal({ kind: 'in-progress' });
  });
}
