import { RecordedEvents, type DomainEvent, type RecordsEvents } from '../shared/domain-event.js';
import { ChargeAmount } from './charge-amount.js';
import { BalanceLimitExceeded, InsufficientBalance } from './errors.js';
import type { LedgerEntry, LedgerType } from './ledger-entry.js';
import type { WalletPolicy } from './wallet-policy.js';

export interface WalletSnapshot {
  userId: number;
  balance: number;
  /** Bumped on every save; a save against a stale version is refused. */
  version: number;
  updatedAt: Date;
}

/** Money went into or out of a wallet; the ledger entry says how much and what was left. */
export interface WalletEvent extends DomainEvent {
  readonly type: 'WalletCharged' | 'WalletPaid' | 'WalletRefunded' | 'WalletAdjusted';
  readonly entry: LedgerEntry;
}

const EVENT_OF: Record<LedgerType, WalletEvent['type']> = { CHARGE: 'WalletCharged', PAYMENT: 'WalletPaid', REFUND: 'WalletRefunded', ADJUSTMENT: 'WalletAdjusted' };

export interface ChangeContext {
  actorId: number | null;
  at: Date;
  reason?: string | null;
}

/**
 * A buyer's pre-charged balance. Every change appends a ledger entry, so the balance always
 * equals the sum of its ledger.
 */
export class Wallet implements RecordsEvents<WalletEvent> {
  private readonly newEntries: LedgerEntry[] = [];
  private readonly events = new RecordedEvents<WalletEvent>();

  private constructor(
    private readonly userId_: number,
    private balance_: number,
    private readonly version_: number,
    private updatedAt_: Date,
  ) {}

  static open(userId: number, at: Date): Wallet {
    return new Wallet(userId, 0, 0, at);
  }

  static fromSnapshot(s: WalletSnapshot): Wallet {
    return new Wallet(s.userId, s.balance, s.version, s.updatedAt);
  }

  get userId(): number {
    return this.userId_;
  }
  get balance(): number {
    return this.balance_;
  }
  get version(): number {
    return this.version_;
  }
  get updatedAt(): Date {
    return this.updatedAt_;
  }

  charge(amount: ChargeAmount, policy: WalletPolicy, ctx: ChangeContext): void {
    if (this.balance_ + amount.won > policy.maxBalance) {
      throw new BalanceLimitExceeded(
        `This charge would take the balance to ${this.balance_ + amount.won} won, over the limit of ${policy.maxBalance}`,
      );
    }
    this.apply('CHARGE', amount.won, null, ctx);
  }

  pay(amount: number, orderId: number, ctx: ChangeContext): void {
    assertPositiveWon(amount);
    if (this.balance_ < amount) {
      throw new InsufficientBalance(
        `The balance of ${this.balance_} won does not cover ${amount} won`,
      );
    }
    this.apply('PAYMENT', -amount, orderId, ctx);
  }

  /** Money given back is the buyer's already, so the balance cap does not apply. */
  refund(amount: number, orderId: number, ctx: ChangeContext): void {
    assertPositiveWon(amount);
    this.apply('REFUND', amount, orderId, ctx);
  }

  /** Ledger entries made since this wallet was loaded, for the repository to append. */
  pendingEntries(): readonly LedgerEntry[] {
    return this.newEntries;
  }

  /** The events recorded since it was loaded (or since the last call), oldest first: one per ledger entry. */
  pullEvents(): WalletEvent[] {
    return this.events.pull();
  }

  toSnapshot(): WalletSnapshot {
    return {
      userId: this.userId_,
      balance: this.balance_,
      version: this.version_,
      updatedAt: this.updatedAt_,
    };
  }

  private apply(type: LedgerType, signedAmount: number, orderId: number | null, ctx: ChangeContext): void {
    this.balance_ += signedAmount;
    this.updatedAt_ = ctx.at;
    const entry: LedgerEntry = {
      userId: this.userId_,
      type,
      amount: signedAmount,
      balanceAfter: this.balance_,
      orderId,
      actorId: ctx.actorId,
      reason: ctx.reason ?? null,
      createdAt: ctx.at,
    };
    this.newEntries.push(entry);
    this.events.record({ type: EVENT_OF[type], occurredAt: ctx.at, entry: { ...entry } });
  }
}

function assertPositiveWon(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(`An amount must be a positive whole number of won, got ${amount}`);
  }
}
