import type { Page, PageRequest } from '../../domain/shared/page.js';
import type { Actor } from '../../domain/user/actor.js';
import type { RecordedLedgerEntry } from '../../domain/wallet/ledger-entry.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
import { walletSeenBy } from './wallet-access.js';

export class GetBalanceHistory {
  constructor(private readonly wallets: WalletRepository) {}

  async execute(actor: Actor, userId: number, page: PageRequest): Promise<Page<RecordedLedgerEntry>> {
    await walletSeenBy(this.wallets, actor, userId);
    return this.wallets.history(userId, page);
  }
}
