import { expect } from 'chai';
import { expectRejectsCode } from '../expect-error.js';
import { actor, type MemoryApp, memoryApp } from './app.js';

const NOBODY = 9_999;

describe('wallet use cases', () => {
  let app: MemoryApp;
  beforeEach(async () => {
    app = await memoryApp();
  });

  describe('ChargeWallet', () => {
    it('a BUYER charges their own wallet and gets the new balance back', async () => {
      const buyer = await app.newBuyer();
      const first = await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 10_000 });
      expect(first.toSnapshot()).to.deep.equal({ userId: buyer.userId, balance: 10_000, version: 1, updatedAt: app.clock.now() });
      const second = await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 2_550 });
      expect([second.balance, second.version]).to.deep.equal([12_550, 2]);
      expect((await app.getBalance.execute(buyer, buyer.userId)).balance).to.equal(12_550);
    });

    it('a BUYER charging another user’s wallet is FORBIDDEN, and that wallet is untouched', async () => {
      const buyer = await app.newBuyer();
      const other = await app.newBuyer();
      await expectRejectsCode(app.chargeWallet.execute(buyer, { userId: other.userId, amount: 10_000 }), 'FORBIDDEN');
      expect((await app.wallets.get(other.userId))?.balance).to.equal(0);
      expect((await app.wallets.history(other.userId, { page: 1, size: 10 })).totalItems).to.equal(0);
    });

    it('a BUYER charging a user who does not exist is FORBIDDEN, not NOT_FOUND (permission is checked before existence)', async () => {
      const buyer = await app.newBuyer();
      await expectRejectsCode(app.chargeWallet.execute(buyer, { userId: NOBODY, amount: 10_000 }), 'FORBIDDEN');
    });

    it('an ADMIN charging a user who does not exist gets NOT_FOUND', async () => {
      const admin = await app.admin();
      await expectRejectsCode(app.chargeWallet.execute(admin, { userId: NOBODY, amount: 10_000 }), 'NOT_FOUND');
    });

    it('an ADMIN may charge a buyer’s wallet, and the ledger records the admin as the one who did it', async () => {
      const admin = await app.admin();
      const buyer = await app.newBuyer();
      const wallet = await app.chargeWallet.execute(admin, { userId: buyer.userId, amount: 30_000 });
      expect(wallet.balance).to.equal(30_000);
      const history = await app.getBalanceHistory.execute(buyer, buyer.userId, { page: 1, size: 10 });
      expect(history.items[0]).to.include({ userId: buyer.userId, type: 'CHARGE', amount: 30_000, actorId: admin.userId });
    });

    it('an invalid amount (1,005 won) is INVALID_CHARGE_AMOUNT and changes nothing', async () => {
      const buyer = await app.newBuyer();
      await expectRejectsCode(app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 1_005 }), 'INVALID_CHARGE_AMOUNT');
      await expectRejectsCode(app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 999 }), 'INVALID_CHARGE_AMOUNT');
      const wallet = await app.wallets.get(buyer.userId);
      expect([wallet?.balance, wallet?.version]).to.deep.equal([0, 0]);
      expect((await app.wallets.history(buyer.userId, { page: 1, size: 10 })).totalItems).to.equal(0);
    });

    it('a charge over the configured balance cap is BALANCE_LIMIT_EXCEEDED, and a charge exactly up to it is accepted', async () => {
      app = await memoryApp({ WALLET_MAX_BALANCE: '25000' });
      const buyer = await app.newBuyer();
      await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 20_000 });
      await expectRejectsCode(app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 5_010 }), 'BALANCE_LIMIT_EXCEEDED');
      expect((await app.wallets.get(buyer.userId))?.balance).to.equal(20_000);
      const full = await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 5_000 });
      expect(full.balance).to.equal(25_000);
      expect((await app.wallets.history(buyer.userId, { page: 1, size: 10 })).totalItems).to.equal(2);
    });

    it('the charge limits come from configuration (WALLET_MIN_CHARGE)', async () => {
      app = await memoryApp({ WALLET_MIN_CHARGE: '5000' });
      const buyer = await app.newBuyer();
      await expectRejectsCode(app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 4_990 }), 'INVALID_CHARGE_AMOUNT');
      expect((await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 5_000 })).balance).to.equal(5_000);
    });
  });

  describe('history of a balance', () => {
    it('lists the changes newest first, in pages, each with amount, balance after, who and when', async () => {
      const buyer = await app.newBuyer();
      const times: Date[] = [];
      for (const amount of [1_000, 2_000, 3_000]) {
        app.clock.advance(60_000);
        times.push(app.clock.now());
        await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount });
      }

      const first = await app.getBalanceHistory.execute(buyer, buyer.userId, { page: 1, size: 2 });
      expect(first).to.include({ page: 1, size: 2, totalItems: 3, totalPages: 2 });
      expect(first.items.map((e) => [e.type, e.amount, e.balanceAfter])).to.deep.equal([
        ['CHARGE', 3_000, 6_000],
        ['CHARGE', 2_000, 3_000],
      ]);
      expect(first.items[0]).to.deep.include({
        userId: buyer.userId,
        orderId: null,
        actorId: buyer.userId,
        reason: 'charge',
        createdAt: times[2],
      });

      const second = await app.getBalanceHistory.execute(buyer, buyer.userId, { page: 2, size: 2 });
      expect(second.items.map((e) => [e.amount, e.balanceAfter, e.createdAt])).to.deep.equal([[1_000, 1_000, times[0]]]);

      const beyond = await app.getBalanceHistory.execute(buyer, buyer.userId, { page: 3, size: 2 });
      expect(beyond.items).to.deep.equal([]);
      expect(beyond.totalItems).to.equal(3);
    });

    it('shows only this user’s entries', async () => {
      const a = await app.newBuyer();
      const b = await app.newBuyer();
      await app.chargeWallet.execute(a, { userId: a.userId, amount: 1_000 });
      await app.chargeWallet.execute(b, { userId: b.userId, amount: 2_000 });
      const history = await app.getBalanceHistory.execute(a, a.userId, { page: 1, size: 10 });
      expect(history.items.map((e) => [e.userId, e.amount])).to.deep.equal([[a.userId, 1_000]]);
    });
  });

  describe('who may read a balance (GetBalance and GetBalanceHistory)', () => {
    it('a BUYER reads their own balance and history', async () => {
      const buyer = await app.newBuyer();
      await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 7_000 });
      expect((await app.getBalance.execute(buyer, buyer.userId)).balance).to.equal(7_000);
      expect((await app.getBalanceHistory.execute(buyer, buyer.userId, { page: 1, size: 5 })).totalItems).to.equal(1);
    });

    it('a BUYER reading another user’s balance or history is FORBIDDEN', async () => {
      const buyer = await app.newBuyer();
      const other = await app.newBuyer();
      await expectRejectsCode(app.getBalance.execute(buyer, other.userId), 'FORBIDDEN');
      await expectRejectsCode(app.getBalanceHistory.execute(buyer, other.userId, { page: 1, size: 5 }), 'FORBIDDEN');
    });

    it('a BUYER asking about a user who does not exist is FORBIDDEN, not NOT_FOUND', async () => {
      const buyer = await app.newBuyer();
      await expectRejectsCode(app.getBalance.execute(buyer, NOBODY), 'FORBIDDEN');
      await expectRejectsCode(app.getBalanceHistory.execute(buyer, NOBODY, { page: 1, size: 5 }), 'FORBIDDEN');
    });

    it('a SELLER may not read a buyer’s balance (FORBIDDEN)', async () => {
      const buyer = await app.newBuyer();
      await expectRejectsCode(app.getBalance.execute(actor(NOBODY, 'SELLER'), buyer.userId), 'FORBIDDEN');
    });

    it('an ADMIN reads any user’s balance and history', async () => {
      const admin = await app.admin();
      const buyer = await app.newBuyer();
      await app.chargeWallet.execute(buyer, { userId: buyer.userId, amount: 4_000 });
      expect((await app.getBalance.execute(admin, buyer.userId)).balance).to.equal(4_000);
      const history = await app.getBalanceHistory.execute(admin, buyer.userId, { page: 1, size: 5 });
      expect(history.items.map((e) => e.amount)).to.deep.equal([4_000]);
    });

    it('an ADMIN asking about a user who does not exist gets NOT_FOUND', async () => {
      const admin = await app.admin();
      await expectRejectsCode(app.getBalance.execute(admin, NOBODY), 'NOT_FOUND');
      await expectRejectsCode(app.getBalanceHistory.execute(admin, NOBODY, { page: 1, size: 5 }), 'NOT_FOUND');
    });
  });
});
