import type { Actor } from '../../domain/user/actor.js';
import type { Wallet } from '../../domain/wallet/wallet.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
import { walletSeenBy } from './wallet-access.js';

export class GetBalance {
  constructor(private readonly wallets: WalletRepository) {}

  async execute(actor: Actor, userId: number): Promise<Wallet> {
    return walletSeenBy(this.wallets, actor, userId);
  }
}
