import type { Page, PageRequest } from '../shared/page.js';
import type { RecordedLedgerEntry } from './ledger-entry.js';
import type { Wallet } from './wallet.js';

export interface WalletRepository {
  /** Creates the (empty) wallet of a new user. */
  add(wallet: Wallet): Promise<void>;
  get(userId: number): Promise<Wallet | null>;
  /** Loads the wallet and locks it until the surrounding transaction ends. */
  getForUpdate(userId: number): Promise<Wallet | null>;
  /**
   * Writes the new balance and appends the wallet's pending ledger entries. Refuses
   * (ConcurrentModification) when the stored version is no longer the one loaded.
   */
  save(wallet: Wallet): Promise<Wallet>;
  /** Newest first. */
  history(userId: number, page: PageRequest): Promise<Page<RecordedLedgerEntry>>;
}
