import type { Clock } from '../../domain/shared/clock.js';
import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertActsFor } from '../../domain/user/actor.js';
import { ChargeAmount } from '../../domain/wallet/charge-amount.js';
import type { Wallet } from '../../domain/wallet/wallet.js';
import type { WalletPolicy } from '../../domain/wallet/wallet-policy.js';
import type { WalletRepository } from '../../domain/wallet/wallet-repository.js';
import type { DomainEventOutbox } from '../outbox/domain-event-outbox.js';
import type { TransactionManager } from '../ports/transaction-manager.js';

export interface ChargeWalletInput {
  userId: number;
  amount: number;
}

export class ChargeWallet {
  constructor(
    private readonly wallets: WalletRepository,
    private readonly transactions: TransactionManager,
    private readonly policy: WalletPolicy,
    private readonly clock: Clock,
    private readonly events: DomainEventOutbox,
  ) {}

  async execute(actor: Actor, input: ChargeWalletInput): Promise<Wallet> {
    assertActsFor(actor, input.userId);
    return this.transactions.run(async () => {
      const wallet = await this.wallets.getForUpdate(input.userId);
      if (!wallet) throw new NotFound('Wallet of user', input.userId);
      // Existence before business rules (API.md's order of checks).
      const amount = ChargeAmount.of(input.amount, this.policy);
      wallet.charge(amount, this.policy, { actorId: actor.userId, at: this.clock.now(), reason: 'charge' });
      const saved = await this.wallets.save(wallet);
      await this.events.writeEventsOf(wallet);
      return saved;
    });
  }
}
