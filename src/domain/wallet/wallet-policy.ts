/** The shop's tunable wallet limits (DOMAIN.md "Wallet"), in won. */
export interface WalletPolicy {
  minCharge: number;
  maxCharge: number;
  /** Charges must be a multiple of this many won. */
  chargeUnit: number;
  /** A charge never takes the balance above this; a refund may. */
  maxBalance: number;
}

export const DEFAULT_WALLET_POLICY: WalletPolicy = {
  minCharge: 1_000,
  maxCharge: 100_000,
  chargeUnit: 10,
  maxBalance: 10_000_000,
};
