import { expect } from 'chai';
import { ChargeAmount } from '../../../src/domain/wallet/charge-amount.js';
import { DEFAULT_WALLET_POLICY } from '../../../src/domain/wallet/wallet-policy.js';
import { Wallet, type WalletSnapshot } from '../../../src/domain/wallet/wallet.js';
import { expectThrowsCode } from '../expect-error.js';

const policy = DEFAULT_WALLET_POLICY;
const CAP = 10_000_000;
const won = (amount: number) => ChargeAmount.of(amount, policy);
const T0 = new Date('2026-01-15T09:00:00.000Z');
const T1 = new Date('2026-01-15T09:05:00.000Z');

function walletWith(balance: number, version = 3): Wallet {
  return Wallet.fromSnapshot({ userId: 7, balance, version, updatedAt: T0 });
}

describe('Wallet (a buyer’s pre-charged balance)', () => {
  describe('opening', () => {
    it('a new wallet holds 0 won, version 0, and has no ledger entries', () => {
      const wallet = Wallet.open(7, T0);
      expect(wallet.toSnapshot()).to.deep.equal({ userId: 7, balance: 0, version: 0, updatedAt: T0 });
      expect(wallet.pendingEntries()).to.deep.equal([]);
    });
  });

  describe('charging', () => {
    it('adds the amount and appends one CHARGE entry with the balance after and who charged', () => {
      const wallet = walletWith(2_000);
      wallet.charge(won(5_000), policy, { actorId: 99, at: T1, reason: 'charge' });

      expect(wallet.balance).to.equal(7_000);
      expect(wallet.updatedAt).to.equal(T1);
      expect(wallet.pendingEntries()).to.deep.equal([
        {
          userId: 7,
          type: 'CHARGE',
          amount: 5_000,
          balanceAfter: 7_000,
          orderId: null,
          actorId: 99,
          reason: 'charge',
          createdAt: T1,
        },
      ]);
    });

    it('records a missing reason as null', () => {
      const wallet = walletWith(0);
      wallet.charge(won(1_000), policy, { actorId: 7, at: T1 });
      expect(wallet.pendingEntries()[0]?.reason).to.equal(null);
    });

    it('may take the balance exactly up to the 10,000,000 won cap', () => {
      const wallet = walletWith(CAP - 100_000);
      wallet.charge(won(100_000), policy, { actorId: 7, at: T1 });
      expect(wallet.balance).to.equal(CAP);
      expect(wallet.pendingEntries()).to.have.length(1);
      expect(wallet.pendingEntries()[0]).to.include({ type: 'CHARGE', amount: 100_000, balanceAfter: CAP });
    });

    it('refuses a charge that would take the balance over the cap (BALANCE_LIMIT_EXCEEDED) and changes nothing', () => {
      const wallet = walletWith(CAP - 1_000);
      expectThrowsCode(
        () => wallet.charge(won(1_010), policy, { actorId: 7, at: T1 }),
        'BALANCE_LIMIT_EXCEEDED',
      );
      expect(wallet.toSnapshot()).to.deep.equal({ userId: 7, balance: CAP - 1_000, version: 3, updatedAt: T0 });
      expect(wallet.pendingEntries()).to.deep.equal([]);
    });

    it('refuses any charge on a wallet already at the cap', () => {
      const wallet = walletWith(CAP);
      expectThrowsCode(() => wallet.charge(won(1_000), policy, { actorId: 7, at: T1 }), 'BALANCE_LIMIT_EXCEEDED');
      expect(wallet.balance).to.equal(CAP);
    });

    it('uses the cap of the policy it is given', () => {
      const small = { ...policy, maxBalance: 50_000 };
      const wallet = walletWith(45_000);
      wallet.charge(won(5_000), small, { actorId: 7, at: T1 });
      expect(wallet.balance).to.equal(50_000);
      expectThrowsCode(() => wallet.charge(won(1_000), small, { actorId: 7, at: T1 }), 'BALANCE_LIMIT_EXCEEDED');
      expect(wallet.balance).to.equal(50_000);
    });
  });

  describe('paying', () => {
    it('takes the amount and appends a negative PAYMENT entry for the order', () => {
      const wallet = walletWith(30_000);
      wallet.pay(12_500, 501, { actorId: 7, at: T1, reason: 'order 501' });

      expect(wallet.balance).to.equal(17_500);
      expect(wallet.pendingEntries()).to.deep.equal([
        {
          userId: 7,
          type: 'PAYMENT',
          amount: -12_500,
          balanceAfter: 17_500,
          orderId: 501,
          actorId: 7,
          reason: 'order 501',
          createdAt: T1,
        },
      ]);
    });

    it('may spend the balance down to exactly 0 won', () => {
      const wallet = walletWith(12_500);
      wallet.pay(12_500, 501, { actorId: 7, at: T1 });
      expect(wallet.balance).to.equal(0);
      expect(wallet.pendingEntries()[0]).to.include({ amount: -12_500, balanceAfter: 0 });
    });

    it('refuses a payment the balance does not cover (INSUFFICIENT_BALANCE) and changes nothing', () => {
      const wallet = walletWith(12_499);
      expectThrowsCode(() => wallet.pay(12_500, 501, { actorId: 7, at: T1 }), 'INSUFFICIENT_BALANCE');
      expect(wallet.toSnapshot()).to.deep.equal({ userId: 7, balance: 12_499, version: 3, updatedAt: T0 });
      expect(wallet.pendingEntries()).to.deep.equal([]);
    });

    it('refuses an amount that is not a positive whole number of won, changing nothing', () => {
      const wallet = walletWith(10_000);
      for (const amount of [0, -100, 10.5, Number.NaN]) {
        expect(() => wallet.pay(amount, 501, { actorId: 7, at: T1 })).to.throw(RangeError);
      }
      expect(wallet.balance).to.equal(10_000);
      expect(wallet.pendingEntries()).to.deep.equal([]);
    });
  });

  describe('refunding', () => {
    it('gives the money back with a positive REFUND entry for the order', () => {
      const wallet = walletWith(1_000);
      wallet.refund(12_500, 501, { actorId: null, at: T1, reason: 'refund' });
      expect(wallet.balance).to.equal(13_500);
      expect(wallet.pendingEntries()).to.deep.equal([
        {
          userId: 7,
          type: 'REFUND',
          amount: 12_500,
          balanceAfter: 13_500,
          orderId: 501,
          actorId: null,
          reason: 'refund',
          createdAt: T1,
        },
      ]);
    });

    it('may take the balance over the 10,000,000 won cap: that money is the buyer’s already', () => {
      const wallet = walletWith(CAP);
      wallet.refund(250_000, 501, { actorId: null, at: T1 });
      expect(wallet.balance).to.equal(CAP + 250_000);
      expect(wallet.pendingEntries()[0]).to.include({ type: 'REFUND', amount: 250_000, balanceAfter: CAP + 250_000 });
    });

    it('refuses an amount that is not a positive whole number of won', () => {
      const wallet = walletWith(10_000);
      expect(() => wallet.refund(0, 501, { actorId: null, at: T1 })).to.throw(RangeError);
      expect(() => wallet.refund(-1, 501, { actorId: null, at: T1 })).to.throw(RangeError);
      expect(wallet.balance).to.equal(10_000);
      expect(wallet.pendingEntries()).to.deep.equal([]);
    });
  });

  describe('the ledger', () => {
    it('a wallet opened at 0 always holds exactly the sum of its ledger entries, each entry carrying the running balance', () => {
      const wallet = Wallet.open(7, T0);
      const ctx = { actorId: 7, at: T1 };
      wallet.charge(won(100_000), policy, ctx);
      wallet.charge(won(50_000), policy, ctx);
      wallet.pay(30_000, 1, ctx);
      wallet.refund(10_000, 1, ctx);
      expectThrowsCode(() => wallet.pay(500_000, 2, ctx), 'INSUFFICIENT_BALANCE');
      wallet.pay(129_990, 3, ctx);
      wallet.charge(won(1_000), policy, ctx);

      const entries = wallet.pendingEntries();
      expect(entries.map((e) => e.type)).to.deep.equal(['CHARGE', 'CHARGE', 'PAYMENT', 'REFUND', 'PAYMENT', 'CHARGE']);
      expect(entries.map((e) => e.amount)).to.deep.equal([100_000, 50_000, -30_000, 10_000, -129_990, 1_000]);
      let running = 0;
      for (const entry of entries) {
        running += entry.amount;
        expect(entry.balanceAfter).to.equal(running);
      }
      expect(wallet.balance).to.equal(running);
      expect(wallet.balance).to.equal(1_010);
    });
  });

  describe('persistence', () => {
    it('toSnapshot and fromSnapshot round-trip the balance, version and update time', () => {
      const snapshot: WalletSnapshot = { userId: 7, balance: 123_450, version: 12, updatedAt: T0 };
      const wallet = Wallet.fromSnapshot(snapshot);
      expect(wallet.toSnapshot()).to.deep.equal(snapshot);
      expect(Wallet.fromSnapshot(wallet.toSnapshot()).toSnapshot()).to.deep.equal(snapshot);
      expect([wallet.userId, wallet.balance, wallet.version]).to.deep.equal([7, 123_450, 12]);
    });

    it('a change shows in the snapshot with the same version (the repository bumps it on save)', () => {
      const wallet = walletWith(1_000, 4);
      wallet.charge(won(2_000), policy, { actorId: 7, at: T1 });
      expect(wallet.toSnapshot()).to.deep.equal({ userId: 7, balance: 3_000, version: 4, updatedAt: T1 });
    });

    it('a wallet loaded from a snapshot has no pending entries: they are appended once, not again on the next load', () => {
      const wallet = walletWith(1_000);
      wallet.charge(won(2_000), policy, { actorId: 7, at: T1 });
      expect(Wallet.fromSnapshot(wallet.toSnapshot()).pendingEntries()).to.deep.equal([]);
    });

    it('a snapshot is a copy: changing it does not change the wallet', () => {
      const wallet = walletWith(1_000);
      const snapshot = wallet.toSnapshot();
      snapshot.balance = 9_999_999;
      expect(wallet.balance).to.equal(1_000);
    });
  });
});
