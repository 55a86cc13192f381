import type { RecordedLedgerEntry } from '../../domain/wallet/ledger-entry.js';
import type { User } from '../../domain/user/user.js';
import type { Wallet } from '../../domain/wallet/wallet.js';
import type { Page } from '../../domain/shared/page.js';

/** The user as API.md shows it: never the password hash. */
export function userView(user: User) {
  const u = user.toSnapshot();
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    ...(u.introduction !== null ? { introduction: u.introduction } : {}),
    ...(u.businessNumber !== null ? { businessNumber: u.businessNumber } : {}),
    ...(u.adminCode !== null ? { adminCode: u.adminCode } : {}),
    status: u.status,
    createdAt: u.createdAt.toISOString(),
  };
}

export function balanceView(wallet: Wallet) {
  return { userId: wallet.userId, balance: wallet.balance, updatedAt: wallet.updatedAt.toISOString() };
}

export function ledgerEntryView(e: RecordedLedgerEntry) {
  return {
    id: e.id,
    type: e.type,
    amount: e.amount,
    balanceAfter: e.balanceAfter,
    orderId: e.orderId,
    createdAt: e.createdAt.toISOString(),
  };
}

export function pageView<T, V>(page: Page<T>, view: (item: T) => V) {
  return { ...page, items: page.items.map(view) };
}
