import { expect } from 'chai';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import {
  MemoryOrderRepository,
  MemoryOutbox,
  MemoryPaymentRepository,
  MemoryRefundRepository,
} from '../../src/adapters/memory/ordering.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import {
  PostgresOrderRepository,
  PostgresOutbox,
  PostgresPaymentRepository,
  PostgresRefundRepository,
} from '../../src/adapters/postgres/ordering.js';
import type { OutboxEvent } from '../../src/application/ports/outbox.js';
import { testDatabase } from '../support/database.js';
import { uniqueEmail, uniqueName } from '../support/environment.js';
import { uniqueNumber } from './contract-support.js';
import { orderingRepositoriesContract, type OrderingRepositoriesSubject } from './ordering-repositories.contract.js';

describe('Ordering repositories contract', function () {
  describe('PostgreSQL adapters (TEST_DATABASE_URL, else the embedded database)', function () {
    orderingRepositoriesContract(async (): Promise<OrderingRepositoriesSubject> => {
      const { db } = await testDatabase();
      const transactions = new KnexTransactionManager(db);
      const user = async (role: 'BUYER' | 'SELLER') =>
        Number(
          (
            await db('users')
              .insert({ email: uniqueEmail(role.toLowerCase()), name: role, role, password_hash: 'x', ...(role === 'SELLER' ? { business_number: '123-45-67890' } : {}) })
              .returning('id')
          )[0].id,
        );
      return {
        orders: new PostgresOrderRepository(transactions),
        payments: new PostgresPaymentRepository(transactions),
        refunds: new PostgresRefundRepository(transactions),
        outbox: new PostgresOutbox(transactions),
        outboxEvents: async (aggregateType, aggregateId) =>
          (
            await db('outbox_events').where({ aggregate_type: aggregateType, aggregate_id: aggregateId }).orderBy('seq')
          ).map(
            (row): OutboxEvent => ({
              type: row.type,
              aggregateType: row.aggregate_type,
              aggregateId: Number(row.aggregate_id),
              occurredAt: new Date(row.occurred_at),
              payload: row.payload,
            }),
          ),
        transactions,
        // Orders refer to real users, products and options.
        fixtures: async () => {
          const sellerId = await user('SELLER');
          const [product] = await db('products')
            .insert({ seller_id: sellerId, name: 'Fixture', category: 'fixtures', price: 1_000, created_at: new Date(), updated_at: new Date() })
            .returning('id');
          const productId = Number(product.id);
          const options = await db('product_options')
            .insert(['a', 'b', 'c'].map((name) => ({ product_id: productId, name, total_stock: 100 })))
            .returning('id');
          const [a, b, c] = options.map((o: { id: string }) => Number(o.id)) as [number, number, number];
          const buyers: [number, number] = [await user('BUYER'), await user('BUYER')];
          const now = new Date();
          const [coupon] = await db('coupons')
            .insert({
              code: uniqueName('FIX').replace(/[^A-Za-z0-9_-]/g, '').slice(-40),
              name: 'Fixture',
              type: 'FIXED',
              discount_value: 1_000,
              valid_from: now,
              valid_until: new Date(now.getTime() + 86_400_000),
              created_by: sellerId,
              created_at: now,
              updated_at: now,
            })
            .returning('id');
          const [copy] = await db('user_coupons')
            .insert({ coupon_id: coupon.id, user_id: buyers[0], n: 1, issued_at: now, expires_at: new Date(now.getTime() + 86_400_000) })
            .returning('id');
          return { buyers, sellerId, otherSellerId: await user('SELLER'), productId, optionIds: [a, b, c], userCouponId: Number(copy.id) };
        },
      };
    });
  });

  describe('memory adapters', function () {
    orderingRepositoriesContract(async () => {
      const transactions = new MemoryTransactionManager();
      const outbox = new MemoryOutbox(transactions);
      const refunds = new MemoryRefundRepository(transactions);
      return {
        orders: new MemoryOrderRepository(transactions, refunds),
        payments: new MemoryPaymentRepository(transactions),
        refunds,
        outbox,
        outboxEvents: async (aggregateType, aggregateId) =>
          outbox.events().filter((e) => e.aggregateType === aggregateType && e.aggregateId === aggregateId),
        transactions,
        // No foreign keys in memory: any ids will do.
        fixtures: async () => ({
          buyers: [uniqueNumber(), uniqueNumber()],
          sellerId: uniqueNumber(),
          otherSellerId: uniqueNumber(),
          productId: uniqueNumber(),
          optionIds: [uniqueNumber(), uniqueNumber(), uniqueNumber()],
          userCouponId: uniqueNumber(),
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
