import { expect } from 'chai';
import { MemoryCatalog, MemoryProductRepository } from '../../src/adapters/memory/catalog.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryProductSalesRepository } from '../../src/adapters/memory/product-sales.js';
import { MemoryUserRepository } from '../../src/adapters/memory/user-repository.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresProductRepository } from '../../src/adapters/postgres/product-repository.js';
import { PostgresProductSalesRepository } from '../../src/adapters/postgres/product-sales.js';
import { PostgresUserRepository } from '../../src/adapters/postgres/user-repository.js';
import { type TestDatabase, testDatabase } from '../support/database.js';
import { newProduct, newSeller } from './catalog-contract-support.js';
import { rejectionOf } from './contract-support.js';
import { ownDays, productSalesContract } from './product-sales.contract.js';

describe('ProductSalesRepository contract', function () {
  describe('memory adapter', function () {
    productSalesContract(async () => {
      const transactions = new MemoryTransactionManager();
      const catalog = new MemoryCatalog(transactions);
      const sales = new MemoryProductSalesRepository(transactions, (id) => {
        const row = catalog.products.get(id);
        return row ? { sellerId: row.sellerId, category: row.category } : null;
      });
      return { sales, products: new MemoryProductRepository(catalog), users: new MemoryUserRepository(transactions), transactions };
    });
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
    });

    productSalesContract(async () => {
      const transactions = new KnexTransactionManager(database.db);
      return {
        sales: new PostgresProductSalesRepository(transactions),
        products: new PostgresProductRepository(transactions),
        users: new PostgresUserRepository(transactions),
        transactions,
      };
    });

    it('the database itself refuses negative units or revenue, revenue without units, and a discount outside 0..revenue, even from SQL written by hand', async function () {
      const transactions = new KnexTransactionManager(database.db);
      const product = await new PostgresProductRepository(transactions).add(newProduct(await newSeller(new PostgresUserRepository(transactions))));
      const day = ownDays()(0);
      await new PostgresProductSalesRepository(transactions).record(day, [{ productId: product.id, units: 1, revenue: 1_000, discount: 100 }]);
      const row = () => database.db('product_sales_daily').where({ product_id: product.id });
      for (const change of [{ units: -1 }, { revenue: -1 }, { units: 0 }, { discount: -1 }, { discount: 1_001 }, { revenue: 99 }]) {
        const error = await rejectionOf(row().update(change));
        expect(error.code, JSON.stringify(change)).to.equal('23514');
      }
      const rows = (await row().select('units', 'revenue', 'discount')) as { units: string | number; revenue: string | number; discount: string | number }[];
      expect(rows.map((r) => [Number(r.units), Number(r.revenue), Number(r.discount)])).to.deep.equal([[1, 1_000, 100]]);
    });
  });
});
