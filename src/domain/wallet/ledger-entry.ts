export const LEDGER_TYPES = ['CHARGE', 'PAYMENT', 'REFUND', 'ADJUSTMENT'] as const;
export type LedgerType = (typeof LEDGER_TYPES)[number];

/** One change of a balance. Written once, never updated or deleted. */
export interface LedgerEntry {
  userId: number;
  type: LedgerType;
  /** Signed: positive adds to the balance, negative takes from it. */
  amount: number;
  balanceAfter: number;
  orderId: number | null;
  /** Who made the change (the buyer, an admin, or null for the system). */
  actorId: number | null;
  reason: string | null;
  createdAt: Date;
}

export interface RecordedLedgerEntry extends LedgerEntry {
  id: number;
}
