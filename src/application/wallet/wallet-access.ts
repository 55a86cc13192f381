import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertActsFor } from '../../domain/user/actor.js';
import type { Wallet } from '../../domain/wallet/wallet.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';

/** The wallet of `userId`, for that user or an ADMIN (404 when they have none): what reading a balance or its history checks first. */
export async function walletSeenBy(wallets: WalletRepository, actor: Actor, userId: number): Promise<Wallet> {
  assertActsFor(actor, userId);
  const wallet = await wallets.get(userId);
  if (!wallet) throw new NotFound('Wallet of user', userId);
  return wallet;
}
