import { expect } from 'chai';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import {
  MemoryOrderRepository,
  MemoryOutbox,
  MemoryPaymentRepository,
  MemoryRefundRepository,
} from '../../src/adapters/memory/ordering.js';
import { uniqueNumber } from './contract-support.js';
import { orderingRepositoriesContract } from './ordering-repositories.contract.js';

// The PostgreSQL repositories join this file with their own describe, giving the contract
// fixtures() that insert the users and the product the orders refer to.
describe('Ordering repositories contract', function () {
  describe('memory adapters', function () {
    orderingRepositoriesContract(async () => {
      const transactions = new MemoryTransactionManager();
      const outbox = new MemoryOutbox(transactions);
      return {
        orders: new MemoryOrderRepository(transactions),
        payments: new MemoryPaymentRepository(transactions),
        refunds: new MemoryRefundRepository(transactions),
        outbox,
        outboxEvents: async (aggregateType, aggregateId) =>
          outbox.events().filter((e) => e.aggregateType === aggregateType && e.aggregateId === aggregateId),
        transactions,
        // No foreign keys in memory: any ids will do.
        fixtures: async () => ({
          buyers: [uniqueNumber(), uniqueNumber()],
          sellerId: uniqueNumber(),
          productId: uniqueNumber(),
          optionIds: [uniqueNumber(), uniqueNumber(), uniqueNumber()],
        }),
      };
    });

    it('MemoryOutbox.events() hands out copies: changing them changes nothing stored', async function () {
      const transactions = new MemoryTransactionManager();
      const outbox = new MemoryOutbox(transactions);
      await outbox.add({ type: 'CouponCreated', aggregateType: 'Coupon', aggregateId: 1, occurredAt: new Date(0), payload: { code: 'A' } });

      const [copy] = outbox.events();
      (copy!.payload as { code: string }).code = 'changed';
      copy!.occurredAt.setTime(1_000);

      expect(outbox.events()).to.deep.equal([
        { type: 'CouponCreated', aggregateType: 'Coupon', aggregateId: 1, occurredAt: new Date(0), payload: { code: 'A' } },
      ]);
    });
  });
});
