import { type TestDatabase, testDatabase } from '../support/database.js';
import { memoryCatalogSubject, postgresCatalogSubject } from './catalog-contract-support.js';
import { stockRepositoryContract } from './stock-repository.contract.js';

describe('StockRepository contract', function () {
  describe('memory adapter', function () {
    stockRepositoryContract(async () => memoryCatalogSubject());
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
    });

    stockRepositoryContract(async () => postgresCatalogSubject(database.db));
  });
});
