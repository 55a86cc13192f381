import { ConcurrentModification } from '../../domain/shared/errors.js';
import { offsetOf, type Page, type PageRequest, pageOf } from '../../domain/shared/page.js';
import type { RecordedLedgerEntry } from '../../domain/wallet/ledger-entry.js';
import { Wallet, type WalletSnapshot } from '../../domain/wallet/wallet.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
import { MemorySequence, MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

export class MemoryWalletRepository implements WalletRepository {
  private readonly wallets: MemoryTable<number, WalletSnapshot>;
  private readonly ledger: MemoryTable<number, RecordedLedgerEntry>;
  private readonly ledgerIds = new MemorySequence();

  constructor(transactions: MemoryTransactionManager) {
    this.wallets = new MemoryTable(transactions);
    this.ledger = new MemoryTable(transactions);
  }

  async add(wallet: Wallet): Promise<void> {
    const s = wallet.toSnapshot();
    if (this.wallets.has(s.userId)) throw new Error(`Wallet of user ${s.userId} already exists`);
    this.wallets.set(s.userId, s);
  }

  async get(userId: number): Promise<Wallet | null> {
    const row = this.wallets.get(userId);
    return row ? Wallet.fromSnapshot(row) : null;
  }

  /** Transactions here run one at a time, so loading is locking. */
  getForUpdate(userId: number): Promise<Wallet | null> {
    return this.get(userId);
  }

  async save(wallet: Wallet): Promise<Wallet> {
    const s = wallet.toSnapshot();
    const stored = this.wallets.get(s.userId);
    if (!stored || stored.version !== s.version) {
      throw new ConcurrentModification(`Wallet of user ${s.userId} changed since it was loaded`);
    }
    if (s.balance < 0) throw new Error('balance would go below zero');
    const saved: WalletSnapshot = { ...s, version: s.version + 1 };
    this.wallets.set(s.userId, saved);
    for (const entry of wallet.pendingEntries()) {
      const id = this.ledgerIds.next();
      this.ledger.set(id, { ...entry, id });
    }
    return Wallet.fromSnapshot(saved);
  }

  async history(userId: number, page: PageRequest): Promise<Page<RecordedLedgerEntry>> {
    const all = this.ledger
      .values()
      .filter((e) => e.userId === userId)
      .sort((a, b) => b.id - a.id);
    const start = offsetOf(page);
    return pageOf(all.slice(start, start + page.size), page, all.length);
  }
}
