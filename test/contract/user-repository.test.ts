import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryUserRepository } from '../../src/adapters/memory/user-repository.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresUserRepository } from '../../src/adapters/postgres/user-repository.js';
import { type TestDatabase, testDatabase } from '../support/database.js';
import { userRepositoryContract } from './user-repository.contract.js';

describe('UserRepository contract', function () {
  describe('memory adapter', function () {
    userRepositoryContract(async () => {
      const transactions = new MemoryTransactionManager();
      return { repo: new MemoryUserRepository(transactions), transactions };
    });
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
    });

    userRepositoryContract(async () => {
      const transactions = new KnexTransactionManager(database.db);
      return { repo: new PostgresUserRepository(transactions), transactions };
    });
  });
});
