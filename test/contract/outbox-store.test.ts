import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryOutbox } from '../../src/adapters/memory/ordering.js';
import { MemoryOutboxStore } from '../../src/adapters/memory/outbox-store.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresOutbox } from '../../src/adapters/postgres/ordering.js';
import { PostgresOutboxStore } from '../../src/adapters/postgres/outbox-store.js';
import { testDatabase } from '../support/database.js';
import { outboxStoreContract } from './outbox-store.contract.js';

describe('Outbox store contract', function () {
  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    outboxStoreContract(async () => {
      const { db } = await testDatabase();
      const transactions = new KnexTransactionManager(db);
      return { outbox: new PostgresOutbox(transactions), store: new PostgresOutboxStore(transactions), transactions };
    });
  });

  describe('memory adapter', function () {
    outboxStoreContract(async () => {
      const transactions = new MemoryTransactionManager();
      const outbox = new MemoryOutbox(transactions);
      return { outbox, store: new MemoryOutboxStore(outbox), transactions };
    });
  });
});
