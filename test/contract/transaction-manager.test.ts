import { MemoryTable, MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { type TestDatabase, testDatabase } from '../support/database.js';
import { transactionManagerContract } from './transaction-manager.contract.js';

describe('TransactionManager contract', function () {
  describe('memory adapter', function () {
    transactionManagerContract(async () => {
      const transactions = new MemoryTransactionManager();
      const table = new MemoryTable<string, number>(transactions);
      return {
        transactions,
        counters: {
          set: async (key, value) => table.set(key, value),
          get: async (key) => table.get(key),
        },
      };
    });
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
      await database.db.raw('CREATE TABLE IF NOT EXISTS contract_counters (key text PRIMARY KEY, value integer NOT NULL)');
    });

    transactionManagerContract(async () => {
      const transactions = new KnexTransactionManager(database.db);
      return {
        transactions,
        counters: {
          set: async (key, value) => {
            await transactions.query(
              'contract_counter_set',
              'INSERT INTO contract_counters (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
              [key, value],
            );
          },
          get: async (key) => {
            const [row] = await transactions.query<{ value: number }>('contract_counter_get', 'SELECT value FROM contract_counters WHERE key = ?', [key]);
            return row?.value;
          },
        },
      };
    });
  });
});
