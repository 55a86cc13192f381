import { expect } from 'chai';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { User } from '../../src/domain/user/user.js';
import type { UserRepository } from '../../src/domain/user/user-repository.js';
import { ChargeAmount } from '../../src/domain/wallet/charge-amount.js';
import type { RecordedLedgerEntry } from '../../src/domain/wallet/ledger-entry.js';
import { type ChangeContext, Wallet } from '../../src/domain/wallet/wallet.js';
import { DEFAULT_WALLET_POLICY } from '../../src/domain/wallet/wallet-policy.js';
import type { WalletRepository } from '../../src/domain/wallet/wallet-repository.js';
import { uniqueEmail } from '../support/environment.js';
import { rejectionOf, UNKNOWN_ID } from './contract-support.js';

export interface WalletRepositorySubject {
  wallets: WalletRepository;
  /** Wallets belong to users (on PostgreSQL a wallet row needs its user row). */
  users: UserRepository;
  transactions: TransactionManager;
}

const POLICY = DEFAULT_WALLET_POLICY;
const OPENED_AT = new Date('2026-01-15T09:00:00.000Z');
/** The n-th moment after the wallet was opened, a second apart and with milliseconds that must survive. */
const at = (n: number) => new Date(OPENED_AT.getTime() + n * 1_000 + 7);
const won = (amount: number) => ChargeAmount.of(amount, POLICY);

type EntryWithoutId = Omit<RecordedLedgerEntry, 'id'>;

/** What every WalletRepository must do, whatever it stores wallets in. */
export function walletRepositoryContract(makeSubject: () => Promise<WalletRepositorySubject>): void {
  let wallets: WalletRepository;
  let users: UserRepository;
  let transactions: TransactionManager;

  beforeEach(async function () {
    ({ wallets, users, transactions } = await makeSubject());
  });

  /** A fresh user with an empty wallet; returns the user's id. */
  async function openWallet(): Promise<number> {
    const user = await users.add(
      User.register({ email: uniqueEmail('wallet'), name: 'Wallet Owner', role: 'BUYER' }, 'hash', OPENED_AT),
    );
    await transactions.run(() => wallets.add(Wallet.open(user.id, OPENED_AT)));
    return user.id;
  }

  const ctx = (userId: number, n: number): ChangeContext => ({ actorId: userId, at: at(n), reason: `contract step ${n}` });

  /** Loads the wallet locked, changes it through the aggregate and saves it, in one transaction. */
  function change(userId: number, act: (wallet: Wallet) => void): Promise<Wallet> {
    return transactions.run(async () => {
      const wallet = await wallets.getForUpdate(userId);
      if (!wallet) throw new Error(`no wallet for user ${userId}`);
      act(wallet);
      return wallets.save(wallet);
    });
  }

  const withoutId = (entries: RecordedLedgerEntry[]): EntryWithoutId[] => entries.map(({ id: _id, ...rest }) => rest);

  const charge = (userId: number, n: number, amount: number): EntryWithoutId => ({
    userId,
    type: 'CHARGE',
    amount,
    balanceAfter: 0,
    orderId: null,
    actorId: userId,
    reason: `contract step ${n}`,
    createdAt: at(n),
  });

  it('add stores an empty wallet that get returns', async function () {
    const userId = await openWallet();

    const wallet = await wallets.get(userId);

    expect(wallet).to.be.instanceOf(Wallet);
    expect(wallet?.toSnapshot()).to.deep.equal({ userId, balance: 0, version: 0, updatedAt: OPENED_AT });
    expect(wallet?.pendingEntries()).to.deep.equal([]);
  });

  it('get and getForUpdate of an unknown user are null', async function () {
    expect(await wallets.get(UNKNOWN_ID)).to.equal(null);
    expect(await transactions.run(() => wallets.getForUpdate(UNKNOWN_ID))).to.equal(null);
  });

  it('getForUpdate returns the same state as get', async function () {
    const userId = await openWallet();
    await change(userId, (w) => w.charge(won(12_340), POLICY, ctx(userId, 1)));

    const plain = await wallets.get(userId);
    const locked = await transactions.run(() => wallets.getForUpdate(userId));

    expect(locked?.toSnapshot()).to.deep.equal(plain?.toSnapshot());
    expect(locked?.toSnapshot()).to.deep.equal({ userId, balance: 12_340, version: 1, updatedAt: at(1) });
  });

  it('save bumps the version by one, persists the balance and appends the ledger entry', async function () {
    const userId = await openWallet();

    const saved = await change(userId, (w) => w.charge(won(5_000), POLICY, ctx(userId, 1)));

    const expected = { userId, balance: 5_000, version: 1, updatedAt: at(1) };
    expect(saved.toSnapshot()).to.deep.equal(expected);
    expect(saved.pendingEntries(), 'the saved wallet starts with nothing pending').to.deep.equal([]);
    expect((await wallets.get(userId))?.toSnapshot()).to.deep.equal(expected);
    const history = await wallets.history(userId, { page: 1, size: 10 });
    expect(history.items).to.have.length(1);
    expect(Number.isSafeInteger(history.items[0]?.id) && (history.items[0]?.id ?? 0) > 0).to.equal(true);
    expect(withoutId(history.items)).to.deep.equal([{ ...charge(userId, 1, 5_000), balanceAfter: 5_000 }]);
    expect(history).to.include({ page: 1, size: 10, totalItems: 1, totalPages: 1 });
  });

  it('the wallet save returns can be changed and saved again', async function () {
    const userId = await openWallet();
    const first = await change(userId, (w) => w.charge(won(5_000), POLICY, ctx(userId, 1)));

    const second = await transactions.run(async () => {
      first.charge(won(2_500), POLICY, ctx(userId, 2));
      return wallets.save(first);
    });

    expect(second.toSnapshot()).to.deep.equal({ userId, balance: 7_500, version: 2, updatedAt: at(2) });
    expect((await wallets.get(userId))?.toSnapshot()).to.deep.equal(second.toSnapshot());
    const history = await wallets.history(userId, { page: 1, size: 10 });
    expect(history.items.map((e) => [e.amount, e.balanceAfter])).to.deep.equal([
      [2_500, 7_500],
      [5_000, 5_000],
    ]);
  });

  it('one save appends every pending entry, in order, and bumps the version once', async function () {
    const userId = await openWallet();

    const saved = await change(userId, (w) => {
      w.charge(won(10_000), POLICY, ctx(userId, 1));
      w.pay(2_500, 77, ctx(userId, 2));
    });

    expect(saved.toSnapshot()).to.deep.equal({ userId, balance: 7_500, version: 1, updatedAt: at(2) });
    const history = await wallets.history(userId, { page: 1, size: 10 });
    expect(withoutId(history.items)).to.deep.equal([
      { userId, type: 'PAYMENT', amount: -2_500, balanceAfter: 7_500, orderId: 77, actorId: userId, reason: 'contract step 2', createdAt: at(2) },
      { ...charge(userId, 1, 10_000), balanceAfter: 10_000 },
    ]);
    expect(history.items[0]!.id).to.be.greaterThan(history.items[1]!.id);
  });

  it('refuses to save a stale copy with CONCURRENT_MODIFICATION and keeps the first save', async function () {
    const userId = await openWallet();
    const copyA = await wallets.get(userId);
    const copyB = await wallets.get(userId);
    copyA!.charge(won(1_000), POLICY, ctx(userId, 1));
    copyB!.charge(won(2_000), POLICY, ctx(userId, 2));

    await transactions.run(() => wallets.save(copyA!));
    const error = await rejectionOf(transactions.run(() => wallets.save(copyB!)));

    expect(error.code).to.equal('CONCURRENT_MODIFICATION');
    expect((await wallets.get(userId))?.toSnapshot()).to.deep.equal({ userId, balance: 1_000, version: 1, updatedAt: at(1) });
    const history = await wallets.history(userId, { page: 1, size: 10 });
    expect(withoutId(history.items)).to.deep.equal([{ ...charge(userId, 1, 1_000), balanceAfter: 1_000 }]);
    expect(history.totalItems).to.equal(1);
  });

  it('history is newest first, paged, with exact amounts, balances and totals', async function () {
    const userId = await openWallet();
    for (let n = 1; n <= 5; n += 1) {
      await change(userId, (w) => w.charge(won(n * 1_000), POLICY, ctx(userId, n)));
    }

    const page1 = await wallets.history(userId, { page: 1, size: 2 });
    const page2 = await wallets.history(userId, { page: 2, size: 2 });
    const page3 = await wallets.history(userId, { page: 3, size: 2 });
    const page4 = await wallets.history(userId, { page: 4, size: 2 });

    const totals = { size: 2, totalItems: 5, totalPages: 3 };
    expect(page1).to.include({ page: 1, ...totals });
    expect(page2).to.include({ page: 2, ...totals });
    expect(page3).to.include({ page: 3, ...totals });
    expect(page4).to.include({ page: 4, ...totals });
    expect(withoutId(page1.items)).to.deep.equal([
      { ...charge(userId, 5, 5_000), balanceAfter: 15_000 },
      { ...charge(userId, 4, 4_000), balanceAfter: 10_000 },
    ]);
    expect(withoutId(page2.items)).to.deep.equal([
      { ...charge(userId, 3, 3_000), balanceAfter: 6_000 },
      { ...charge(userId, 2, 2_000), balanceAfter: 3_000 },
    ]);
    expect(withoutId(page3.items)).to.deep.equal([{ ...charge(userId, 1, 1_000), balanceAfter: 1_000 }]);
    expect(page4.items).to.deep.equal([]);
    const ids = [...page1.items, ...page2.items, ...page3.items].map((e) => e.id);
    expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).to.equal(5);
    expect((await wallets.get(userId))?.toSnapshot()).to.include({ balance: 15_000, version: 5 });
  });

  it('history shows a payment and a refund with their order id and signed amounts', async function () {
    const userId = await openWallet();
    await change(userId, (w) => w.charge(won(10_000), POLICY, ctx(userId, 1)));
    await change(userId, (w) => w.pay(3_000, 4242, ctx(userId, 2)));
    await change(userId, (w) => w.refund(1_000, 4242, { actorId: null, at: at(3) }));

    const history = await wallets.history(userId, { page: 1, size: 10 });

    expect(withoutId(history.items)).to.deep.equal([
      { userId, type: 'REFUND', amount: 1_000, balanceAfter: 8_000, orderId: 4242, actorId: null, reason: null, createdAt: at(3) },
      { userId, type: 'PAYMENT', amount: -3_000, balanceAfter: 7_000, orderId: 4242, actorId: userId, reason: 'contract step 2', createdAt: at(2) },
      { ...charge(userId, 1, 10_000), balanceAfter: 10_000 },
    ]);
    expect(history).to.include({ totalItems: 3, totalPages: 1 });
    expect((await wallets.get(userId))?.toSnapshot()).to.deep.equal({ userId, balance: 8_000, version: 3, updatedAt: at(3) });
  });

  it('history of a wallet without entries is an empty first page', async function () {
    const userId = await openWallet();

    expect(await wallets.history(userId, { page: 1, size: 20 })).to.deep.equal({
      items: [],
      page: 1,
      size: 20,
      totalItems: 0,
      totalPages: 0,
    });
  });

  it("history holds only the wallet's own entries", async function () {
    const alice = await openWallet();
    const bob = await openWallet();
    await change(alice, (w) => w.charge(won(1_000), POLICY, ctx(alice, 1)));
    await change(bob, (w) => w.charge(won(2_000), POLICY, ctx(bob, 2)));
    await change(alice, (w) => w.charge(won(3_000), POLICY, ctx(alice, 3)));

    const ofAlice = await wallets.history(alice, { page: 1, size: 10 });
    const ofBob = await wallets.history(bob, { page: 1, size: 10 });

    expect(ofAlice.items.map((e) => [e.userId, e.amount])).to.deep.equal([
      [alice, 3_000],
      [alice, 1_000],
    ]);
    expect(ofAlice.totalItems).to.equal(2);
    expect(ofBob.items.map((e) => [e.userId, e.amount])).to.deep.equal([[bob, 2_000]]);
    expect(ofBob.totalItems).to.equal(1);
  });

  it('a save inside a transaction that then throws leaves balance, version and ledger unchanged', async function () {
    const userId = await openWallet();
    await change(userId, (w) => w.charge(won(5_000), POLICY, ctx(userId, 1)));
    const boom = new Error('boom after the save');

    const error = await rejectionOf(
      transactions.run(async () => {
        const wallet = await wallets.getForUpdate(userId);
        wallet!.charge(won(2_000), POLICY, ctx(userId, 2));
        const saved = await wallets.save(wallet!);
        expect(saved.balance).to.equal(7_000);
        throw boom;
      }),
    );

    expect(error).to.equal(boom);
    expect((await wallets.get(userId))?.toSnapshot()).to.deep.equal({ userId, balance: 5_000, version: 1, updatedAt: at(1) });
    const history = await wallets.history(userId, { page: 1, size: 10 });
    expect(withoutId(history.items)).to.deep.equal([{ ...charge(userId, 1, 5_000), balanceAfter: 5_000 }]);
    expect(history.totalItems).to.equal(1);
    // The rolled-back change left nothing behind that would stop the next one.
    const next = await change(userId, (w) => w.charge(won(1_000), POLICY, ctx(userId, 3)));
    expect(next.toSnapshot()).to.include({ balance: 6_000, version: 2 });
  });
}
