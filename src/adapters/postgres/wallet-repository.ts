import { offsetOf, type Page, type PageRequest, pageOf } from '../../domain/shared/page.js';
import type { LedgerType, RecordedLedgerEntry } from '../../domain/wallet/ledger-entry.js';
import { Wallet } from '../../domain/wallet/wallet.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';
import { concurrentModificationWhenUnmatched } from './pg-errors.js';

interface WalletRow {
  user_id: string | number;
  balance: string | number;
  version: number;
  updated_at: Date;
}

interface LedgerRow {
  id: string | number;
  user_id: string | number;
  type: LedgerType;
  amount: string | number;
  balance_after: string | number;
  order_id: string | number | null;
  actor_id: string | number | null;
  reason: string | null;
  created_at: Date;
}

function toWallet(row: WalletRow): Wallet {
  return Wallet.fromSnapshot({
    userId: Number(row.user_id),
    balance: Number(row.balance),
    version: row.version,
    updatedAt: new Date(row.updated_at),
  });
}

function toEntry(row: LedgerRow): RecordedLedgerEntry {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    type: row.type,
    amount: Number(row.amount),
    balanceAfter: Number(row.balance_after),
    orderId: row.order_id === null ? null : Number(row.order_id),
    actorId: row.actor_id === null ? null : Number(row.actor_id),
    reason: row.reason,
    createdAt: new Date(row.created_at),
  };
}

export class PostgresWalletRepository implements WalletRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  async add(wallet: Wallet): Promise<void> {
    const s = wallet.toSnapshot();
    await this.tx.connection()('wallets').insert({
      user_id: s.userId,
      balance: s.balance,
      version: s.version,
      updated_at: s.updatedAt,
    });
  }

  async get(userId: number): Promise<Wallet | null> {
    const [row] = await this.tx.query<WalletRow>('wallet_get', 'SELECT * FROM wallets WHERE user_id = ?', [userId]);
    return row ? toWallet(row) : null;
  }

  async getForUpdate(userId: number): Promise<Wallet | null> {
    const [row] = await this.tx.query<WalletRow>('wallet_lock', 'SELECT * FROM wallets WHERE user_id = ? FOR UPDATE', [userId]);
    return row ? toWallet(row) : null;
  }

  /**
   * One statement: the guarded balance update and its ledger rows together (the rows are written
   * only if the update matched). Each round trip costs about as much as the work itself here, so
   * it is pipelined (KnexTransactionManager.write): the version guard raises when it matches
   * nothing, and the transaction fails with ConcurrentModification.
   */
  async save(wallet: Wallet): Promise<Wallet> {
    const s = wallet.toSnapshot();
    const entries = wallet.pendingEntries().map((e) => ({
      user_id: e.userId,
      type: e.type,
      amount: e.amount,
      balance_after: e.balanceAfter,
      order_id: e.orderId,
      actor_id: e.actorId,
      reason: e.reason,
      created_at: e.createdAt.toISOString(),
    }));
    await this.tx.write(
      'wallet_save',
      `WITH updated AS (
         UPDATE wallets SET balance = ?, version = version + 1, updated_at = ?
         WHERE user_id = ? AND version = ? RETURNING *
       ), ledger AS (
         INSERT INTO wallet_ledger (user_id, type, amount, balance_after, order_id, actor_id, reason, created_at)
         SELECT e.user_id, e.type, e.amount, e.balance_after, e.order_id, e.actor_id, e.reason, e.created_at
         FROM ROWS FROM (jsonb_to_recordset(?::jsonb) AS (user_id bigint, type text, amount bigint, balance_after bigint,
              order_id bigint, actor_id bigint, reason text, created_at timestamptz))
              WITH ORDINALITY AS e(user_id, type, amount, balance_after, order_id, actor_id, reason, created_at, n)
         WHERE EXISTS (SELECT 1 FROM updated)
         ORDER BY e.n
         RETURNING id
       )
       SELECT guard_matched((SELECT count(*) FROM updated), ?)`,
      [s.balance, s.updatedAt, s.userId, s.version, JSON.stringify(entries), `Wallet of user ${s.userId} changed since it was loaded`],
      concurrentModificationWhenUnmatched,
    );
    return Wallet.fromSnapshot({ ...s, version: s.version + 1 });
  }

  async history(userId: number, page: PageRequest): Promise<Page<RecordedLedgerEntry>> {
    const db = this.tx.connection();
    const [countRow] = await db('wallet_ledger').where({ user_id: userId }).count<{ count: string | number }[]>({ count: '*' });
    const rows = await db<LedgerRow>('wallet_ledger')
      .where({ user_id: userId })
      .orderBy('id', 'desc')
      .limit(page.size)
      .offset(offsetOf(page));
    return pageOf(rows.map(toEntry), page, Number(countRow?.count ?? 0));
  }
}
