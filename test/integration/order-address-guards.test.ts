import { expect } from 'chai';
import type { Knex } from 'knex';
import { insertBuyerWithWallet, testDatabase } from '../support/database.js';

/**
 * The shipping address's rules, as the database holds them for SQL that bypasses the service
 * (migration 0019: one CHECK calling orders_shipping_address_holds). A broken part is refused under
 * the name of its own rule, as the six CHECKs it replaced named it.
 */
describe('shipping address guards in the database', function () {
  let db: Knex;
  let userId: number;

  before(async function () {
    db = (await testDatabase()).db;
    userId = await insertBuyerWithWallet(db, 'Shipped', 1_000);
  });

  const valid = { ship_recipient: 'Kim Minsu', ship_phone: '+82 10-1234-5678', ship_postal_code: '06236', ship_line1: '152 Teheran-ro', ship_line2: 'Suite 4' };

  /**
   * Inserts an order with no lines (so no deferred line check fires) and `address` as its shipping
   * columns, in a transaction always rolled back: the run's database is shared with the e2e suites,
   * whose order lists must not meet an order without lines.
   */
  const NOT_KEPT = new Error('rolled back on purpose');
  const insertOrder = async (address: Partial<Record<keyof typeof valid, string | null>>, then?: (trx: Knex.Transaction, id: number) => Promise<unknown>) => {
    const at = new Date();
    const row = { user_id: userId, status: 'CREATED', total_amount: 1_000, discount_amount: 0, final_amount: 1_000, reservation_expires_at: at, created_at: at, updated_at: at };
    await db
      .transaction(async (trx) => {
        const [inserted] = (await trx('orders').insert({ ...row, ...address }).returning('id')) as { id: number }[];
        await then?.(trx, Number(inserted?.id));
        throw NOT_KEPT;
      })
      .catch((error: unknown) => {
        if (error !== NOT_KEPT) throw error;
      });
  };

  const refusedAs = async (work: Promise<unknown>): Promise<string | undefined> => {
    const error = await work.then(
      () => null,
      (e: unknown) => e as { code?: string; constraint?: string },
    );
    expect(error, 'the database accepted it').to.not.equal(null);
    expect(error?.code).to.equal('23514');
    return error?.constraint;
  };

  it('accepts a whole, well-formed address, one without line 2, and none at all', async function () {
    await insertOrder(valid);
    await insertOrder({ ...valid, ship_line2: null, ship_phone: '0212345678' });
    await insertOrder({});
  });

  it('refuses an address with a part missing, or line 2 alone', async function () {
    expect(await refusedAs(insertOrder({ ...valid, ship_phone: null }))).to.equal('orders_shipping_address_whole');
    expect(await refusedAs(insertOrder({ ship_line2: 'Suite 4' }))).to.equal('orders_shipping_address_whole');
  });

  const broken: [string, Partial<typeof valid>, string][] = [
    ['an empty recipient', { ship_recipient: '' }, 'orders_ship_recipient_valid'],
    ['an untrimmed recipient', { ship_recipient: ' Kim' }, 'orders_ship_recipient_valid'],
    ['a recipient of 51 characters', { ship_recipient: 'k'.repeat(51) }, 'orders_ship_recipient_valid'],
    ['a phone with letters', { ship_phone: '010-CALL-ME' }, 'orders_ship_phone_valid'],
    ['a phone of 7 digits', { ship_phone: '123-4567' }, 'orders_ship_phone_valid'],
    ['a phone of 16 digits', { ship_phone: '1234567890123456' }, 'orders_ship_phone_valid'],
    ['a phone with two separators in a row', { ship_phone: '010--1234-5678' }, 'orders_ship_phone_valid'],
    ['a postal code of 4 digits', { ship_postal_code: '0623' }, 'orders_ship_postal_code_valid'],
    ['a blank line 1', { ship_line1: '   ' }, 'orders_ship_line1_valid'],
    ['a line 1 of 201 characters', { ship_line1: 'x'.repeat(201) }, 'orders_ship_line1_valid'],
    ['an untrimmed line 2', { ship_line2: 'Suite 4 ' }, 'orders_ship_line2_valid'],
  ];
  for (const [what, part, constraint] of broken) {
    it(`refuses ${what}, naming ${constraint}`, async function () {
      expect(await refusedAs(insertOrder({ ...valid, ...part }))).to.equal(constraint);
    });
  }

  it('refuses an address broken by an UPDATE too', async function () {
    let constraint: string | undefined;
    await insertOrder(valid, async (trx, id) => {
      // In a savepoint, so the transaction goes on to its rollback.
      constraint = await refusedAs(trx.transaction((savepoint) => savepoint('orders').where({ id }).update({ ship_postal_code: 'ABCDE' })));
    });
    expect(constraint).to.equal('orders_ship_postal_code_valid');
  });
});
