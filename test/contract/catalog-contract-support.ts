import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import type { NewOption, NewProduct } from '../../src/domain/catalog/product.js';
import type { ProductRepository } from '../../src/domain/catalog/product-repository.js';
import type { StockRepository } from '../../src/domain/catalog/stock-repository.js';
import { User } from '../../src/domain/user/user.js';
import type { UserRepository } from '../../src/domain/user/user-repository.js';
import { MemoryCatalog, MemoryProductRepository, MemoryStockRepository } from '../../src/adapters/memory/catalog.js';
import { MemoryTransactionManager } from '../../src/adapters/memory/memory-transaction-manager.js';
import { MemoryUserRepository } from '../../src/adapters/memory/user-repository.js';
import { KnexTransactionManager } from '../../src/adapters/postgres/knex-transaction-manager.js';
import { PostgresProductRepository } from '../../src/adapters/postgres/product-repository.js';
import { PostgresStockRepository } from '../../src/adapters/postgres/stock-repository.js';
import { PostgresUserRepository } from '../../src/adapters/postgres/user-repository.js';
import type { Knex } from 'knex';
import { uniqueEmail } from '../support/environment.js';

/** The catalog's two repositories over one store, and what it takes to give a product a seller. */
export interface CatalogSubject {
  products: ProductRepository;
  stock: StockRepository;
  /** Products belong to users (on PostgreSQL a product row needs its seller's row). */
  users: UserRepository;
  transactions: TransactionManager;
}

export function memoryCatalogSubject(): CatalogSubject {
  const transactions = new MemoryTransactionManager();
  const catalog = new MemoryCatalog(transactions);
  return {
    products: new MemoryProductRepository(catalog),
    stock: new MemoryStockRepository(catalog),
    users: new MemoryUserRepository(transactions),
    transactions,
  };
}

export function postgresCatalogSubject(db: Knex): CatalogSubject {
  const transactions = new KnexTransactionManager(db);
  return {
    products: new PostgresProductRepository(transactions),
    stock: new PostgresStockRepository(transactions),
    users: new PostgresUserRepository(transactions),
    transactions,
  };
}

export const LISTED_AT = new Date('2026-01-15T09:00:00.123Z');

/** A new SELLER; returns its id. */
export async function newSeller(users: UserRepository): Promise<number> {
  const seller = await users.add(
    User.register({ email: uniqueEmail('seller'), name: 'Contract Seller', role: 'SELLER', businessNumber: '123-45-67890' }, 'hash', LISTED_AT),
  );
  return seller.id;
}

export function newProduct(sellerId: number, overrides: Partial<NewProduct> = {}, options: NewOption[] = [{ name: 'one size', stock: 10 }]): NewProduct {
  return {
    sellerId,
    name: 'Contract product',
    description: 'Made for the contract suite',
    category: 'contract',
    price: 10_000,
    status: 'ACTIVE',
    digital: false,
    createdAt: LISTED_AT,
    options,
    ...overrides,
  };
}
