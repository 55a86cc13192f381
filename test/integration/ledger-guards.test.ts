import { expect } from 'chai';
import type { Knex } from 'knex';
import { testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';

/**
 * The database is the last line of defence for money: these statements bypass the application
 * entirely and must still be refused.
 */
describe('ledger and wallet guards in the database', function () {
  let db: Knex;
  let userId: number;

  before(async function () {
    db = (await testDatabase()).db;
  });

  beforeEach(async function () {
    const [user] = await db('users')
      .insert({ email: uniqueEmail(), name: 'Guarded', role: 'BUYER', password_hash: 'x', created_at: new Date() })
      .returning('id');
    userId = Number(user.id);
    await db.transaction(async (trx) => {
      await trx('wallets').insert({ user_id: userId, balance: 5_000, version: 1, updated_at: new Date() });
      await trx('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: 5_000, balance_after: 5_000, created_at: new Date() });
    });
  });

  const refused = async (work: Promise<unknown>, pattern: RegExp) => {
    let error: unknown = null;
    try {
      await work;
    } catch (e) {
      error = e;
    }
    expect(error, 'the database accepted it').to.be.instanceOf(Error);
    expect((error as Error).message).to.match(pattern);
  };

  it('refuses to update a ledger row', async function () {
    await refused(db('wallet_ledger').where({ user_id: userId }).update({ amount: 9_000 }), /insert-only/);
  });

  it('refuses to delete a ledger row', async function () {
    await refused(db('wallet_ledger').where({ user_id: userId }).delete(), /insert-only/);
  });

  it('refuses to truncate the ledger', async function () {
    await refused(db.raw('TRUNCATE wallet_ledger CASCADE'), /insert-only/);
  });

  it('refuses a balance change without its ledger entry', async function () {
    await refused(db('wallets').where({ user_id: userId }).update({ balance: 1_000_000 }), /does not match its ledger/);
    const [wallet] = await db('wallets').where({ user_id: userId });
    expect(Number(wallet.balance)).to.equal(5_000);
  });

  it('refuses a ledger entry without its balance change', async function () {
    await refused(
      db('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: 1_000, balance_after: 6_000, created_at: new Date() }),
      /does not match its ledger/,
    );
    expect(await db('wallet_ledger').where({ user_id: userId }).count('* as n').first()).to.deep.include({ n: '1' });
  });

  it("refuses a ledger entry whose wallet the same transaction wrote, but not to the entry's balance", async function () {
    // The entry's own check stands down for a wallet written here: the wallet's check must catch this.
    await refused(
      db.transaction(async (trx) => {
        await trx('wallets').where({ user_id: userId }).increment('version', 1);
        await trx('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: 1_000, balance_after: 6_000, created_at: new Date() });
      }),
      /does not match its ledger/,
    );
  });

  it('refuses a ledger entry whose balance change was rolled back to a savepoint', async function () {
    await refused(
      db.transaction(async (trx) => {
        await trx
          .transaction(async (savepoint) => {
            await savepoint('wallets').where({ user_id: userId }).update({ balance: 6_000 });
            throw new Error('back to the savepoint');
          })
          .catch(() => undefined);
        await trx('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: 1_000, balance_after: 6_000, created_at: new Date() });
      }),
      /does not match its ledger/,
    );
    const [wallet] = await db('wallets').where({ user_id: userId });
    expect(Number(wallet.balance)).to.equal(5_000);
  });

  it('accepts a balance change made in a savepoint with its ledger entry', async function () {
    await db.transaction(async (trx) => {
      await trx.transaction(async (savepoint) => {
        await savepoint('wallets').where({ user_id: userId }).update({ balance: 6_000 });
      });
      await trx('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: 1_000, balance_after: 6_000, created_at: new Date() });
    });
    const [wallet] = await db('wallets').where({ user_id: userId });
    expect(Number(wallet.balance)).to.equal(6_000);
  });

  it('refuses a ledger entry that breaks the running balance', async function () {
    await refused(
      db.transaction(async (trx) => {
        await trx('wallets').where({ user_id: userId }).update({ balance: 6_000 });
        await trx('wallet_ledger').insert({ user_id: userId, type: 'CHARGE', amount: 1_000, balance_after: 7_000, created_at: new Date() });
      }),
      /breaks the chain/,
    );
  });

  it('refuses a negative balance', async function () {
    await refused(
      db.transaction(async (trx) => {
        await trx('wallets').where({ user_id: userId }).update({ balance: -1_000 });
        await trx('wallet_ledger').insert({ user_id: userId, type: 'PAYMENT', amount: -6_000, balance_after: -1_000, created_at: new Date() });
      }),
      /check constraint|violates/,
    );
  });

  it('refuses a payment recorded as money in', async function () {
    await refused(
      db.transaction(async (trx) => {
        await trx('wallets').where({ user_id: userId }).update({ balance: 6_000 });
        await trx('wallet_ledger').insert({ user_id: userId, type: 'PAYMENT', amount: 1_000, balance_after: 6_000, created_at: new Date() });
      }),
      /wallet_ledger_sign_matches_type/,
    );
  });

  it('accepts a consistent change of balance and ledger', async function () {
    await db.transaction(async (trx) => {
      await trx('wallets').where({ user_id: userId }).update({ balance: 3_000 });
      await trx('wallet_ledger').insert({ user_id: userId, type: 'PAYMENT', amount: -2_000, balance_after: 3_000, order_id: 1, created_at: new Date() });
    });
    const [wallet] = await db('wallets').where({ user_id: userId });
    expect(Number(wallet.balance)).to.equal(3_000);
  });

  it('keeps e-mail unique whatever its case', async function () {
    const email = uniqueEmail('Case');
    await db('users').insert({ email, name: 'A', role: 'BUYER', password_hash: 'x' });
    await refused(db('users').insert({ email: email.toUpperCase(), name: 'B', role: 'BUYER', password_hash: 'x' }), /users_email_lower_key/);
  });

  it('refuses a SELLER without a business number and an ADMIN without an admin code', async function () {
    await refused(db('users').insert({ email: uniqueEmail(), name: 'S', role: 'SELLER', password_hash: 'x' }), /users_seller_needs_business_number/);
    await refused(db('users').insert({ email: uniqueEmail(), name: 'A', role: 'ADMIN', password_hash: 'x' }), /users_admin_needs_admin_code/);
  });
});
