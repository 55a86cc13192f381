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

export interface ChangeContext {
  actorId: number | null;
  at: Date;
  reason?: string | null;
}

/**
 * A buyer's pre-charged balance. Every change appends a ledger entry, so the balance always
 * equals the sum of its ledger.
 */
export class Wallet {
  private readonly newEntries: LedgerEntry[] = [];

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
    this.newEntries.push({
      userId: this.userId_,
      type,
      amount: signedAmount,
      balanceAfter: this.balance_,
      orderId,
      actorId: ctx.actorId,
      reason: ctx.reason ?? null,
      createdAt: ctx.at,
    });
  }
}

function assertPositiveWon(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new RangeError(`An amount must be a positive whole number of won, got ${amount}`);
  }
}
