/**
 * What other contexts may use of the wallet context's domain: the wallet a sign-up opens and a
 * payment debits, its port, and the refusal a payment passes on.
 */
export { InsufficientBalance } from '../../domain/wallet/errors.js';
export { Wallet } from '../../domain/wallet/wallet.js';
export type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
