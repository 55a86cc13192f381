import { expect } from 'chai';
import { DomainError } from '../../../src/domain/shared/errors.js';
import { ChargeAmount } from '../../../src/domain/wallet/charge-amount.js';
import { InvalidChargeAmount } from '../../../src/domain/wallet/errors.js';
import { DEFAULT_WALLET_POLICY, type WalletPolicy } from '../../../src/domain/wallet/wallet-policy.js';
import { expectThrowsCode } from '../expect-error.js';

describe('ChargeAmount (what a buyer may add to the wallet in one charge)', () => {
  const policy = DEFAULT_WALLET_POLICY;

  it('the default shop policy is 1,000..100,000 won in steps of 10, with a 10,000,000 won balance cap', () => {
    expect(DEFAULT_WALLET_POLICY).to.deep.equal({
      minCharge: 1_000,
      maxCharge: 100_000,
      chargeUnit: 10,
      maxBalance: 10_000_000,
    });
  });

  it('accepts the smallest charge, 1,000 won', () => {
    expect(ChargeAmount.of(1_000, policy).won).to.equal(1_000);
  });

  it('accepts the largest charge, 100,000 won', () => {
    expect(ChargeAmount.of(100_000, policy).won).to.equal(100_000);
  });

  it('accepts any multiple of 10 won in between (1,010 and 55,550 won)', () => {
    expect(ChargeAmount.of(1_010, policy).won).to.equal(1_010);
    expect(ChargeAmount.of(55_550, policy).won).to.equal(55_550);
  });

  it('refuses 999 won: below the minimum charge', () => {
    expectThrowsCode(() => ChargeAmount.of(999, policy), 'INVALID_CHARGE_AMOUNT');
  });

  it('refuses 100,001 won: above the maximum charge', () => {
    expectThrowsCode(() => ChargeAmount.of(100_001, policy), 'INVALID_CHARGE_AMOUNT');
  });

  it('refuses 100,010 won: above the maximum even though it is a multiple of 10', () => {
    expectThrowsCode(() => ChargeAmount.of(100_010, policy), 'INVALID_CHARGE_AMOUNT');
  });

  it('refuses 1,005 won: not a multiple of 10 won', () => {
    expectThrowsCode(() => ChargeAmount.of(1_005, policy), 'INVALID_CHARGE_AMOUNT');
  });

  it('refuses 1,000.5 won: money is whole won, never fractions', () => {
    expectThrowsCode(() => ChargeAmount.of(1_000.5, policy), 'INVALID_CHARGE_AMOUNT');
  });

  it('refuses NaN, infinities, zero and negative amounts', () => {
    for (const won of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -1_000]) {
      expectThrowsCode(() => ChargeAmount.of(won, policy), 'INVALID_CHARGE_AMOUNT');
    }
  });

  it('is refused with a domain error (InvalidChargeAmount), not a bare Error', () => {
    expect(() => ChargeAmount.of(999, policy))
      .to.throw(InvalidChargeAmount)
      .that.is.instanceOf(DomainError);
  });

  it('follows a shop policy that is not the default (5,000..50,000 won in steps of 1,000)', () => {
    const custom: WalletPolicy = { minCharge: 5_000, maxCharge: 50_000, chargeUnit: 1_000, maxBalance: 200_000 };
    expect(ChargeAmount.of(5_000, custom).won).to.equal(5_000);
    expect(ChargeAmount.of(50_000, custom).won).to.equal(50_000);
    expect(ChargeAmount.of(12_000, custom).won).to.equal(12_000);
    expectThrowsCode(() => ChargeAmount.of(4_000, custom), 'INVALID_CHARGE_AMOUNT');
    expectThrowsCode(() => ChargeAmount.of(51_000, custom), 'INVALID_CHARGE_AMOUNT');
    expectThrowsCode(() => ChargeAmount.of(5_500, custom), 'INVALID_CHARGE_AMOUNT');
    // 1,000 won is fine under the default policy but below this shop's minimum.
    expectThrowsCode(() => ChargeAmount.of(1_000, custom), 'INVALID_CHARGE_AMOUNT');
  });
});
