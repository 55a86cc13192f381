import { InvalidChargeAmount } from './errors.js';
import type { WalletPolicy } from './wallet-policy.js';

/** An amount a buyer may add to their wallet in one charge. */
export class ChargeAmount {
  private constructor(readonly won: number) {}

  static of(won: number, policy: WalletPolicy): ChargeAmount {
    if (!Number.isSafeInteger(won)) {
      throw new InvalidChargeAmount('A charge must be a whole number of won');
    }
    if (won < policy.minCharge || won > policy.maxCharge) {
      throw new InvalidChargeAmount(
        `A charge must be between ${policy.minCharge} and ${policy.maxCharge} won`,
      );
    }
    if (won % policy.chargeUnit !== 0) {
      throw new InvalidChargeAmount(`A charge must be a multiple of ${policy.chargeUnit} won`);
    }
    return new ChargeAmount(won);
  }
}
