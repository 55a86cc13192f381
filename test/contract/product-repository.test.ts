import { type TestDatabase, testDatabase } from '../support/database.js';
import { memoryCatalogSubject, postgresCatalogSubject } from './catalog-contract-support.js';
import { productRepositoryContract } from './product-repository.contract.js';

describe('ProductRepository contract', function () {
  describe('memory adapter', function () {
    productRepositoryContract(async () => memoryCatalogSubject());
  });

  describe('PostgreSQL adapter (TEST_DATABASE_URL, else the embedded database)', function () {
    let database: TestDatabase;

    before(async function () {
      this.timeout(120_000);
      database = await testDatabase();
    });

    productRepositoryContract(async () => postgresCatalogSubject(database.db));
  });
});
