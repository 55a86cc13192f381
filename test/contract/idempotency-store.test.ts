import { MemoryIdempotencyStore } from '../../src/adapters/memory/idempotency-store.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { PostgresIdempotencyStore } from '../../src/adapters/postgres/idempotency-store.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import { idempotencyStoreContract } from './idempotency-store.contract.js';

describe('IdempotencyStore contract', function () {
  describe('memory adapter', function () {
    idempotencyStoreContract(async (timings) => {
      const transactions = new MemoryTransactionManager();
      return { store: new MemoryIdempotencyStore(transactions, timings), transactions };
    });
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
    });

    idempotencyStoreContract(async (timings) => {
      const transactions = new KnexTransactionManager(database.db);
      return {
        store: new PostgresIdempotencyStore(transactions, timings),
        transactions,
        // The embedded database has one connection, held by the open transaction.
        beforeClaimInsideTransaction: (ctx) => requireRealPostgres(ctx, database),
      };
    });
  });
});
