import { NotFound } from '../../domain/shared/errors.js';
import type { Page, PageRequest } from '../../domain/shared/page.js';
import { type Actor, assertActsFor } from '../../domain/user/actor.js';
import type { RecordedLedgerEntry } from '../../domain/wallet/ledger-entry.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';

export class GetBalanceHistory {
  constructor(private readonly wallets: WalletRepository) {}

  async execute(actor: Actor, userId: number, page: PageRequest): Promise<Page<RecordedLedgerEntry>> {
    assertActsFor(actor, userId);
    if (!(await this.wallets.get(userId))) throw new NotFound('Wallet of user', userId);
    return this.wallets.history(userId, page);
  }
}
