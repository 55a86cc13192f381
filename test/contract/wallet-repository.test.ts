import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryUserRepository } from '../../src/adapters/memory/user-repository.js';
import { MemoryWalletRepository } from '../../src/adapters/memory/wallet-repository.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresUserRepository } from '../../src/adapters/postgres/user-repository.js';
import { PostgresWalletRepository } from '../../src/adapters/postgres/wallet-repository.js';
import { type TestDatabase, testDatabase } from '../support/database.js';
import { walletRepositoryContract } from './wallet-repository.contract.js';

describe('WalletRepository contract', function () {
  describe('memory adapter', function () {
    walletRepositoryContract(async () => {
      const transactions = new MemoryTransactionManager();
      return {
        wallets: new MemoryWalletRepository(transactions),
        users: new MemoryUserRepository(transactions),
        transactions,
      };
    });
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
    });

    walletRepositoryContract(async () => {
      const transactions = new KnexTransactionManager(database.db);
      return {
        wallets: new PostgresWalletRepository(transactions),
        users: new PostgresUserRepository(transactions),
        transactions,
      };
    });
  });
});
