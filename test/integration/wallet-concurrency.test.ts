import { expect } from 'chai';
import type { Knex } from 'knex';
import { RegisterAccount } from '../../src/application/auth/register-account.js';
import { RunIdempotently } from '../../src/application/idempotency/run-idempotently.js';
import { DomainEventOutbox } from '../../src/application/outbox/domain-event-outbox.js';
import { ChargeWallet } from '../../src/application/wallet/charge-wallet.js';
import { PostgresOutbox } from '../../src/adapters/postgres/ordering.js';
import { PostgresIdempotencyStore } from '../../src/adapters/postgres/idempotency-store.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresUserRepository } from '../../src/adapters/postgres/user-repository.js';
import { PostgresWalletRepository } from '../../src/adapters/postgres/wallet-repository.js';
import { ScryptPasswordHasher } from '../../src/adapters/security/scrypt-password-hasher.js';
import { SystemClock } from '../../src/adapters/system/system-clock.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { DEFAULT_WALLET_POLICY } from '../../src/domain/wallet/wallet-policy.js';
import { requireRealPostgres, testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';

/** Real parallel connections on real PostgreSQL: the wallet row lock must make charges exactly serial. */
describe('wallet under concurrency (PostgreSQL)', function () {
  let db: Knex;
  let tx: KnexTransactionManager;
  let wallets: PostgresWalletRepository;
  let register: RegisterAccount;
  const clock = new SystemClock();

  before(async function () {
    const database = await testDatabase();
    requireRealPostgres(this, database);
    // A pool of its own, wide enough that the charges really run at once.
    db = database.connect(25);
    tx = new KnexTransactionManager(db);
    wallets = new PostgresWalletRepository(tx);
    register = new RegisterAccount(new PostgresUserRepository(tx), wallets, new ScryptPasswordHasher({ N: 1024, r: 8, p: 1 }), tx, clock);
  });

  async function newBuyer(): Promise<Actor> {
    const user = await register.execute({ email: uniqueEmail(), name: 'Racer', role: 'BUYER' }, 'password-123');
    return { userId: user.id, role: 'BUYER' };
  }

  async function ledgerOf(userId: number) {
    const rows = await db('wallet_ledger').where({ user_id: userId }).select('amount');
    return { count: rows.length, sum: rows.reduce((s, r) => s + Number(r.amount), 0) };
  }

  it('50 parallel charges on one wallet end at exactly the serial balance with 50 ledger rows', async function () {
    const buyer = await newBuyer();
    const charge = new ChargeWallet(wallets, tx, DEFAULT_WALLET_POLICY, clock, new DomainEventOutbox(new PostgresOutbox(tx)));
    const amounts = Array.from({ length: 50 }, (_, i) => 1_000 + i * 10);

    const results = await Promise.allSettled(amounts.map((amount) => charge.execute(buyer, { userId: buyer.userId, amount })));

    expect(results.filter((r) => r.status === 'rejected')).to.deep.equal([]);
    const expected = amounts.reduce((a, b) => a + b, 0);
    const wallet = await wallets.get(buyer.userId);
    expect(wallet?.balance).to.equal(expected);
    expect(wallet?.version).to.equal(50);
    expect(await ledgerOf(buyer.userId)).to.deep.equal({ count: 50, sum: expected });
    // Every intermediate balance appears exactly once: no two charges saw the same starting point.
    const afters = (await db('wallet_ledger').where({ user_id: buyer.userId }).orderBy('id').pluck('balance_after')).map(Number);
    expect(new Set(afters).size).to.equal(50);
    expect(afters[afters.length - 1]).to.equal(expected);
  });

  it('parallel charges that would cross the balance cap stop exactly at the cap', async function () {
    const buyer = await newBuyer();
    const policy = { ...DEFAULT_WALLET_POLICY, maxBalance: 250_000 };
    const charge = new ChargeWallet(wallets, tx, policy, clock, new DomainEventOutbox(new PostgresOutbox(tx)));

    const results = await Promise.allSettled(Array.from({ length: 10 }, () => charge.execute(buyer, { userId: buyer.userId, amount: 100_000 })));

    expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(2);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => (r.reason as { code?: string }).code)).to.deep.equal(Array(8).fill('BALANCE_LIMIT_EXCEEDED'));
    expect((await wallets.get(buyer.userId))?.balance).to.equal(200_000);
    expect(await ledgerOf(buyer.userId)).to.deep.equal({ count: 2, sum: 200_000 });
  });

  it('10 parallel requests with one idempotency key charge once; the rest replay or are told it is in progress', async function () {
    const buyer = await newBuyer();
    const charge = new ChargeWallet(wallets, tx, DEFAULT_WALLET_POLICY, clock, new DomainEventOutbox(new PostgresOutbox(tx)));
    const idempotency = new RunIdempotently(new PostgresIdempotencyStore(tx, { retentionMs: 86_400_000, leaseMs: 60_000 }), tx, clock);
    const scope = { userId: buyer.userId, key: 'charge-once' };

    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        idempotency.execute({ scope, fingerprint: 'same-body' }, async () => {
          const wallet = await charge.execute(buyer, { userId: buyer.userId, amount: 7_000 });
          return { status: 200, body: { balance: wallet.balance } };
        }),
      ),
    );

    const answered = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<RunIdempotently['execute']>>> => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(answered.filter((r) => !r.value.replayed)).to.have.length(1);
    for (const r of answered) expect(r.value.response.body).to.deep.equal({ balance: 7_000 });
    for (const r of refused) expect((r.reason as { code?: string }).code).to.equal('IDEMPOTENCY_IN_PROGRESS');
    expect(await ledgerOf(buyer.userId)).to.deep.equal({ count: 1, sum: 7_000 });

    // Once the first has finished, every retry replays its answer.
    const again = await idempotency.execute({ scope, fingerprint: 'same-body' }, () => Promise.reject(new Error('must not run')));
    expect(again).to.deep.equal({ replayed: true, response: { status: 200, body: { balance: 7_000 } } });
  });
});
