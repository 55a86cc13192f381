import type { Knex } from 'knex';
import { MemoryCouponRepository, MemoryUserCouponRepository } from '../../src/adapters/memory/coupons.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryOrderRepository } from '../../src/adapters/memory/ordering.js';
import { PostgresCouponRepository, PostgresUserCouponRepository } from '../../src/adapters/postgres/coupons.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresOrderRepository } from '../../src/adapters/postgres/ordering.js';
import { testDatabase } from '../support/database.js';
import { uniqueEmail } from '../support/environment.js';
import { uniqueNumber } from './contract-support.js';
import { type CouponFixtures, couponRepositoriesContract } from './coupon-repositories.contract.js';

/** A new user of this role; a SELLER needs a business number. */
async function insertUser(db: Knex, role: 'BUYER' | 'SELLER'): Promise<number> {
  const [row] = await db('users')
    .insert({ email: uniqueEmail(role.toLowerCase()), name: role, role, password_hash: 'x', ...(role === 'SELLER' ? { business_number: '123-45-67890' } : {}) })
    .returning('id');
  return Number(row.id);
}

describe('Coupon repositories contract', function () {
  describe('PostgreSQL adapters (TEST_DATABASE_URL, else the embedded database)', function () {
    couponRepositoriesContract(async () => {
      const { db } = await testDatabase();
      const transactions = new KnexTransactionManager(db);
      return {
        coupons: new PostgresCouponRepository(transactions),
        userCoupons: new PostgresUserCouponRepository(transactions),
        orders: new PostgresOrderRepository(transactions),
        transactions,
        // Coupons name a real creator, copies real users, orders real products and options.
        fixtures: async (): Promise<CouponFixtures> => {
          const sellerId = await insertUser(db, 'SELLER');
          const [product] = await db('products')
            .insert({ seller_id: sellerId, name: 'Coupon fixture', category: 'fixtures', price: 20_000, created_at: new Date(), updated_at: new Date() })
            .returning('id');
          const productId = Number(product.id);
          const [option] = await db('product_options').insert({ product_id: productId, name: 'only', total_stock: 100 }).returning('id');
          return {
            sellerId,
            buyers: [await insertUser(db, 'BUYER'), await insertUser(db, 'BUYER'), await insertUser(db, 'BUYER')],
            orderLine: {
              productId,
              optionId: Number(option.id),
              sellerId,
              productName: 'Coupon fixture',
              optionName: 'only',
              unitPrice: 20_000,
              quantity: 1,
            },
          };
        },
      };
    });
  });

  describe('memory adapters', function () {
    couponRepositoriesContract(async () => {
      const transactions = new MemoryTransactionManager();
      return {
        coupons: new MemoryCouponRepository(transactions),
        userCoupons: new MemoryUserCouponRepository(transactions),
        orders: new MemoryOrderRepository(transactions),
        transactions,
        // No foreign keys in memory: any ids will do.
        fixtures: async (): Promise<CouponFixtures> => {
          const sellerId = uniqueNumber();
          return {
            sellerId,
            buyers: [uniqueNumber(), uniqueNumber(), uniqueNumber()],
            orderLine: {
              productId: uniqueNumber(),
              optionId: uniqueNumber(),
              sellerId,
              productName: 'Coupon fixture',
              optionName: 'only',
              unitPrice: 20_000,
              quantity: 1,
            },
          };
        },
      };
    });
  });
});
