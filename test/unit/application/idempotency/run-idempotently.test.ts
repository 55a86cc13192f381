import { expect } from 'chai';
import sinon from 'sinon';
import { MemoryIdempotencyStore } from '../../../../src/adapters/memory/idempotency-store.js';
import { MemoryTransactionManager } from '../../../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryWalletRepository } from '../../../../src/adapters/memory/wallet-repository.js';
import { MemoryRateLimiter } from '../../../../src/adapters/memory/rate-limiter.js';
import {
  IdempotencyInProgress,
  IdempotencyKeyReused,
  NEW_IDEMPOTENCY_KEY_RATE_LIMIT,
  RunIdempotently,
} from '../../../../src/application/idempotency/run-idempotently.js';
import type { IdempotencyScope, StoredResponse } from '../../../../src/application/ports/idempotency-store.js';
import { ChargeAmount } from '../../../../src/domain/wallet/charge-amount.js';
import { DEFAULT_WALLET_POLICY } from '../../../../src/domain/wallet/wallet-policy.js';
import { Wallet } from '../../../../src/domain/wallet/wallet.js';
import { ManualClock } from '../../../support/clock.js';
import { inTransaction } from '../../../support/transactions.js';
import { expectRejectsCode, rejectionOf } from '../../expect-error.js';
import { deferred } from '../../../support/deferred.js';

const HOUR = 3_600_000;
const RETENTION = 24 * HOUR;
const LEASE = 60_000;

describe('RunIdempotently (the same Idempotency-Key never does the work twice)', () => {
  let clock: ManualClock;
  let transactions: MemoryTransactionManager;
  let store: MemoryIdempotencyStore;
  let run: RunIdempotently;

  const scope = (key = 'key-1', userId = 1): IdempotencyScope => ({ userId, key });
  const created: StoredResponse = { status: 201, body: { id: 77, balance: 10_000 } };
  const request = (fingerprint = 'POST /wallet {"amount":10000}', key = 'key-1', userId = 1) => ({
    scope: scope(key, userId),
    fingerprint,
  });

  beforeEach(() => {
    clock = new ManualClock();
    transactions = new MemoryTransactionManager();
    store = new MemoryIdempotencyStore(transactions, { retentionMs: RETENTION, leaseMs: LEASE });
    run = new RunIdempotently(store, transactions, clock);
  });

  it('the first request does the work and answers with its result', async () => {
    const work = sinon.spy(async () => created);
    const outcome = await run.execute(request(), work);
    expect(outcome).to.deep.equal({ response: created, replayed: false });
    expect(work.callCount).to.equal(1);
  });

  it('the same key with the same request replays the first answer without doing the work again', async () => {
    const work = sinon.spy(async () => created);
    await run.execute(request(), work);
    const again = sinon.spy(async (): Promise<StoredResponse> => ({ status: 201, body: { id: 78 } }));

    const outcome = await run.execute(request(), again);

    expect(outcome).to.deep.equal({ response: created, replayed: true });
    expect(work.callCount).to.equal(1);
    expect(again.callCount).to.equal(0);
  });

  it('the same key with a different request is refused (IDEMPOTENCY_KEY_REUSED) without doing the work', async () => {
    await run.execute(request('POST /wallet {"amount":10000}'), async () => created);
    const work = sinon.spy(async () => created);
    const error = await expectRejectsCode(run.execute(request('POST /wallet {"amount":20000}'), work), 'IDEMPOTENCY_KEY_REUSED');
    expect(error).to.be.instanceOf(IdempotencyKeyReused);
    expect(work.callCount).to.equal(0);
  });

  it('a duplicate arriving while the first is still running is refused as in progress (IDEMPOTENCY_IN_PROGRESS)', async () => {
    const started = deferred();
    const finish = deferred();
    const first = run.execute(request(), async () => {
      started.resolve();
      await finish.promise;
      return created;
    });
    await started.promise;

    const duplicate = sinon.spy(async () => created);
    const error = await expectRejectsCode(run.execute(request(), duplicate), 'IDEMPOTENCY_IN_PROGRESS');
    expect(error).to.be.instanceOf(IdempotencyInProgress);
    expect(duplicate.callCount).to.equal(0);

    finish.resolve();
    expect(await first).to.deep.equal({ response: created, replayed: false });
    expect(await run.execute(request(), duplicate)).to.deep.equal({ response: created, replayed: true });
    expect(duplicate.callCount).to.equal(0);
  });

  it('a duplicate with a different request while the first is running is refused as a reused key', async () => {
    const started = deferred();
    const finish = deferred();
    const first = run.execute(request('A'), async () => {
      started.resolve();
      await finish.promise;
      return created;
    });
    await started.promise;
    await expectRejectsCode(run.execute(request('B'), async () => created), 'IDEMPOTENCY_KEY_REUSED');
    finish.resolve();
    await first;
  });

  it('a request whose work fails gives the key back, so a retry with the same key runs again', async () => {
    const failure = new Error('gateway down');
    const failing = sinon.spy(async (): Promise<StoredResponse> => {
      throw failure;
    });
    expect(await rejectionOf(run.execute(request(), failing))).to.equal(failure);

    const retry = sinon.spy(async () => created);
    expect(await run.execute(request(), retry)).to.deep.equal({ response: created, replayed: false });
    expect(retry.callCount).to.equal(1);
    expect(failing.callCount).to.equal(1);
  });

  describe('prepare: slow work kept out of the transaction (a password hash)', () => {
    it('runs after the claim and the admission checks, with no transaction open, and hands its result to the work', async () => {
      const steps: string[] = [];
      const outcome = await run.execute(
        {
          ...request(),
          admit: async () => {
            steps.push('admit');
          },
          prepare: async () => {
            const duplicate = await store.claim(scope(), request().fingerprint, clock.now());
            steps.push(`prepare (a duplicate: ${duplicate.kind}, in a transaction: ${await inTransaction(transactions)})`);
            return 'hashed';
          },
        },
        async (prepared) => {
          steps.push(`work with ${prepared} (in a transaction: ${await inTransaction(transactions)})`);
          return created;
        },
      );
      expect(outcome).to.deep.equal({ response: created, replayed: false });
      // The key is already claimed when prepare runs: a duplicate meanwhile is told it is in progress.
      expect(steps).to.deep.equal(['admit', 'prepare (a duplicate: in-progress, in a transaction: false)', 'work with hashed (in a transaction: true)']);
    });

    it('runs with no transaction open without a key too', async () => {
      const seen: boolean[] = [];
      await run.execute(
        { scope: null, fingerprint: 'x', prepare: async () => seen.push(await inTransaction(transactions)) },
        async () => {
          seen.push(await inTransaction(transactions));
          return created;
        },
      );
      expect(seen).to.deep.equal([false, true]);
    });

    it('is not run for a replay', async () => {
      await run.execute(request(), async () => created);
      const prepare = sinon.spy(async () => 'hashed');
      expect(await run.execute({ ...request(), prepare }, async () => created)).to.deep.equal({ response: created, replayed: true });
      expect(prepare.callCount).to.equal(0);
    });

    it('is not run when the admission checks refuse the request', async () => {
      const prepare = sinon.spy(async () => 'hashed');
      const refused = new Error('rate limited');
      const admit = async () => {
        throw refused;
      };
      expect(await rejectionOf(run.execute({ ...request(), admit, prepare }, async () => created))).to.equal(refused);
      expect(prepare.callCount).to.equal(0);
    });

    it('a failing prepare gives the key back: a retry with the same key runs', async () => {
      const busy = new Error('busy');
      const failing = async (): Promise<string> => {
        throw busy;
      };
      const work = sinon.spy(async () => created);
      expect(await rejectionOf(run.execute({ ...request(), prepare: failing }, work))).to.equal(busy);
      expect(work.callCount).to.equal(0);
      expect(await run.execute({ ...request(), prepare: async () => 'hashed' }, work)).to.deep.equal({ response: created, replayed: false });
    });
  });

  describe('the change and the key’s record commit together', () => {
    const policy = DEFAULT_WALLET_POLICY;
    let wallets: MemoryWalletRepository;

    beforeEach(async () => {
      wallets = new MemoryWalletRepository(transactions);
      await wallets.add(Wallet.open(1, clock.now()));
    });

    const charge = async (amount: number) => {
      const wallet = await wallets.getForUpdate(1);
      if (!wallet) return expect.fail('no wallet');
      wallet.charge(ChargeAmount.of(amount, policy), policy, { actorId: 1, at: clock.now() });
      return wallets.save(wallet);
    };

    it('work that charged a wallet and then failed leaves no charge behind: balance unchanged, no ledger entry', async () => {
      const error = await rejectionOf(
        run.execute(request(), async () => {
          await charge(10_000);
          throw new Error('failed after charging');
        }),
      );
      expect(error).to.have.property('message', 'failed after charging');

      const wallet = await wallets.get(1);
      expect([wallet?.balance, wallet?.version]).to.deep.equal([0, 0]);
      expect((await wallets.history(1, { page: 1, size: 10 })).totalItems).to.equal(0);
    });

    it('a retry after such a failure charges exactly once, and a replay after that charges nothing more', async () => {
      await rejectionOf(
        run.execute(request(), async () => {
          await charge(10_000);
          throw new Error('failed after charging');
        }),
      );
      const work = async (): Promise<StoredResponse> => {
        const saved = await charge(10_000);
        return { status: 201, body: { balance: saved.balance } };
      };
      expect(await run.execute(request(), work)).to.deep.equal({ response: { status: 201, body: { balance: 10_000 } }, replayed: false });
      expect(await run.execute(request(), work)).to.deep.equal({ response: { status: 201, body: { balance: 10_000 } }, replayed: true });

      expect((await wallets.get(1))?.balance).to.equal(10_000);
      expect((await wallets.history(1, { page: 1, size: 10 })).items.map((e) => e.amount)).to.deep.equal([10_000]);
    });
  });

  it('keys are scoped per user: the same key sent by two users runs for each', async () => {
    const work = sinon.spy(async () => created);
    const a = await run.execute(request('same', 'shared-key', 1), work);
    const b = await run.execute(request('same', 'shared-key', 2), work);
    expect([a.replayed, b.replayed]).to.deep.equal([false, false]);
    expect(work.callCount).to.equal(2);
  });

  it('a key is remembered for 24 hours: just before, it replays', async () => {
    const work = sinon.spy(async () => created);
    await run.execute(request(), work);
    clock.advance(RETENTION - 1_000);
    expect((await run.execute(request(), work)).replayed).to.equal(true);
    expect(work.callCount).to.equal(1);
  });

  it('a key past its 24 hour retention is forgotten: the request runs again', async () => {
    const work = sinon.spy(async () => created);
    await run.execute(request(), work);
    clock.advance(RETENTION + 1_000);
    expect(await run.execute(request(), work)).to.deep.equal({ response: created, replayed: false });
    expect(work.callCount).to.equal(2);
  });

  it('a key whose first request died without finishing may be taken over once its lease is over', async () => {
    expect(await store.claim(scope(), 'same', clock.now())).to.deep.equal({ kind: 'claimed' });
    const work = sinon.spy(async () => created);
    await expectRejectsCode(run.execute(request('same'), work), 'IDEMPOTENCY_IN_PROGRESS');
    clock.advance(LEASE + 1_000);
    expect(await run.execute(request('same'), work)).to.deep.equal({ response: created, replayed: false });
    expect(work.callCount).to.equal(1);
  });

  it('without a key (null scope) the work simply runs, every time, and nothing is remembered', async () => {
    const work = sinon.spy(async () => created);
    expect(await run.execute({ scope: null, fingerprint: 'x' }, work)).to.deep.equal({ response: created, replayed: false });
    expect(await run.execute({ scope: null, fingerprint: 'x' }, work)).to.deep.equal({ response: created, replayed: false });
    expect(work.callCount).to.equal(2);
    expect(await store.purgeExpired(new Date(clock.now().getTime() + 10 * RETENTION))).to.equal(0);
  });

  it('without a key the work still runs in one transaction: a failure rolls its writes back', async () => {
    const wallets = new MemoryWalletRepository(transactions);
    await wallets.add(Wallet.open(1, clock.now()));
    const policy = DEFAULT_WALLET_POLICY;
    await rejectionOf(
      run.execute({ scope: null, fingerprint: 'x' }, async () => {
        const wallet = await wallets.getForUpdate(1);
        wallet?.charge(ChargeAmount.of(5_000, policy), policy, { actorId: 1, at: clock.now() });
        if (wallet) await wallets.save(wallet);
        throw new Error('boom');
      }),
    );
    expect((await wallets.get(1))?.balance).to.equal(0);
  });

  describe('new keys are rate-limited per claimant (RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE)', () => {
    let limited: RunIdempotently;

    beforeEach(() => {
      const limiter = new MemoryRateLimiter({ [NEW_IDEMPOTENCY_KEY_RATE_LIMIT]: { limit: 2, windowMs: 60_000 } }, clock);
      limited = new RunIdempotently(store, transactions, clock, limiter);
    });

    const keyed = (key: string, claimant = 'user:1') => ({ ...request('POST /wallet', key), claimant });

    it('past the limit a new key is refused with RATE_LIMITED and the seconds to wait, its work not done, and the key given back', async () => {
      const work = sinon.spy(async () => created);
      await limited.execute(keyed('k1'), work);
      await limited.execute(keyed('k2'), work);

      const refused = await expectRejectsCode(limited.execute(keyed('k3'), work), 'RATE_LIMITED');

      expect(refused).to.have.property('retryAfterSeconds', 60);
      expect(work.callCount).to.equal(2);
      // Not kept: once the window turns, the same key runs.
      clock.advance(60_000);
      expect(await limited.execute(keyed('k3'), work)).to.deep.equal({ response: created, replayed: false });
      expect(work.callCount).to.equal(3);
    });

    it('a replay is never refused nor counted, however far past the limit', async () => {
      const work = sinon.spy(async () => created);
      await limited.execute(keyed('k1'), work);
      await limited.execute(keyed('k2'), work);
      await expectRejectsCode(limited.execute(keyed('k3'), work), 'RATE_LIMITED');

      for (let i = 0; i < 10; i += 1) expect(await limited.execute(keyed('k1'), work)).to.deep.equal({ response: created, replayed: true });
      expect(work.callCount).to.equal(2);
    });

    it('requests without a key are not counted: they keep nothing', async () => {
      const work = sinon.spy(async () => created);
      for (let i = 0; i < 5; i += 1) await limited.execute({ scope: null, fingerprint: 'x', claimant: 'user:1' }, work);
      await limited.execute(keyed('k1'), work);
      await limited.execute(keyed('k2'), work);
      expect(work.callCount).to.equal(7);
    });

    it('each claimant counts apart (a user, an anonymous address)', async () => {
      const work = sinon.spy(async () => created);
      await limited.execute(keyed('k1', 'user:1'), work);
      await limited.execute(keyed('k2', 'user:1'), work);
      await limited.execute({ ...request('POST /signup', 'a1', 0), claimant: 'address:203.0.113.7' }, work);
      await limited.execute({ ...request('POST /signup', 'a2', 0), claimant: 'address:203.0.113.7' }, work);
      await expectRejectsCode(limited.execute({ ...request('POST /signup', 'a3', 0), claimant: 'address:203.0.113.7' }, work), 'RATE_LIMITED');
      expect(await limited.execute({ ...request('POST /signup', 'a3', 0), claimant: 'address:198.51.100.9' }, work)).to.have.property('replayed', false);
    });
  });
});
