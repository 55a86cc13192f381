import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertActsFor } from '../../domain/user/actor.js';
import type { Wallet } from '../../domain/wallet/wallet.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';

export class GetBalance {
  constructor(private readonly wallets: WalletRepository) {}

  async execute(actor: Actor, userId: number): Promise<Wallet> {
    assertActsFor(actor, userId);
    const wallet = await this.wallets.get(userId);
    if (!wallet) throw new NotFound('Wallet of user', userId);
    return wallet;
  }
}
