import type { WalletEvent } from '../../domain/wallet/wallet.js';
import type { OutboxEvent } from '../ports/outbox.js';

export type { WalletEvent };

/**
 * The balance's moves are not sent to the data platform in v1: the ledger (GET /balances/ledger)
 * is their record, and payments and refunds reach the platform through the order events that
 * cause them. A `wallet.charged.v1` would be written here.
 */
export function walletIntegrationEvents(event: WalletEvent): OutboxEvent[] {
  switch (event.type) {
    case 'WalletCharged':
    case 'WalletPaid':
    case 'WalletRefunded':
    case 'WalletAdjusted':
      return [];
  }
}
