import { InsufficientStock } from '../../domain/catalog/errors.js';
import { type NewProduct, Product, type ProductSnapshot } from '../../domain/catalog/product.js';
import type { ProductQuery, ProductRepository } from '../../domain/catalog/product-repository.js';
import { Stock, type StockLevels } from '../../domain/catalog/stock.js';
import type { StockLine, StockRepository } from '../../domain/catalog/stock-repository.js';
import { NotFound } from '../../domain/shared/errors.js';
import { offsetOf, type Page, pageOf } from '../../domain/shared/page.js';
import { MemorySequence, MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

type ProductRow = Omit<ProductSnapshot, 'options'>;
interface OptionRow extends StockLevels {
  id: number;
  productId: number;
  name: string;
}

/** The catalog's tables, shared by the product and the stock repositories. */
export class MemoryCatalog {
  readonly products: MemoryTable<number, ProductRow>;
  readonly options: MemoryTable<number, OptionRow>;
  readonly productIds = new MemorySequence();
  readonly optionIds = new MemorySequence();

  constructor(readonly transactions: MemoryTransactionManager) {
    this.products = new MemoryTable(transactions);
    this.options = new MemoryTable(transactions);
  }

  product(id: number): Product | null {
    const row = this.products.get(id);
    if (!row) return null;
    const options = this.options
      .values()
      .filter((o) => o.productId === id)
      .sort((a, b) => a.id - b.id)
      .map(({ id: optionId, name, total, reserved, sold }) => ({ id: optionId, name, total, reserved, sold }));
    return Product.fromSnapshot({ ...row, options });
  }
}

const COMPARE: Record<ProductQuery['sort'], (a: ProductRow, b: ProductRow) => number> = {
  newest: (a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id,
  price_asc: (a, b) => a.price - b.price || a.id - b.id,
  price_desc: (a, b) => b.price - a.price || b.id - a.id,
};

export class MemoryProductRepository implements ProductRepository {
  constructor(private readonly catalog: MemoryCatalog) {}

  async add(product: NewProduct): Promise<Product> {
    const id = this.catalog.productIds.next();
    const { options, ...row } = product;
    this.catalog.products.set(id, { ...row, id, updatedAt: product.createdAt });
    for (const option of options) {
      const optionId = this.catalog.optionIds.next();
      this.catalog.options.set(optionId, { id: optionId, productId: id, name: option.name, total: option.stock, reserved: 0, sold: 0 });
    }
    return this.catalog.product(id) as Product;
  }

  async get(id: number): Promise<Product | null> {
    return this.catalog.product(id);
  }

  /** Transactions here run one at a time, so loading is locking. */
  getForUpdate(id: number): Promise<Product | null> {
    return this.get(id);
  }

  async save(product: Product): Promise<void> {
    const { options: _options, ...row } = product.toSnapshot();
    if (!this.catalog.products.has(row.id)) throw new NotFound('Product', row.id);
    this.catalog.products.set(row.id, row);
  }

  async list(query: ProductQuery): Promise<Page<Product>> {
    const needle = query.q?.toLowerCase();
    const matching = this.catalog.products
      .values()
      .filter((p) => query.category === undefined || p.category === query.category)
      .filter((p) => query.status === undefined || p.status === query.status)
      .filter((p) => needle === undefined || p.name.toLowerCase().includes(needle))
      .sort(COMPARE[query.sort]);
    const start = offsetOf(query);
    const items = matching.slice(start, start + query.size).map((p) => this.catalog.product(p.id) as Product);
    return pageOf(items, query, matching.length);
  }
}

/** The same guarded moves as PostgreSQL's, through the Stock aggregate's rules. */
export class MemoryStockRepository implements StockRepository {
  constructor(private readonly catalog: MemoryCatalog) {}

  async reserve(lines: StockLine[], refused: (shortage: InsufficientStock) => Error = (shortage) => shortage): Promise<void> {
    try {
      await this.moveEach(lines, (stock, q) => stock.reserve(q));
    } catch (error) {
      throw error instanceof InsufficientStock ? refused(error) : error;
    }
  }

  confirm(lines: StockLine[]): Promise<void> {
    return this.moveEach(lines, (stock, q) => stock.confirm(q));
  }

  release(lines: StockLine[]): Promise<void> {
    return this.moveEach(lines, (stock, q) => stock.release(q));
  }

  returnSold(lines: StockLine[]): Promise<void> {
    return this.moveEach(lines, (stock, q) => stock.returnSold(q));
  }

  async restock(line: StockLine): Promise<StockLevels> {
    await this.moveEach([line], (stock, q) => stock.restock(q));
    return (await this.levels(line.optionId)) as StockLevels;
  }

  async levels(optionId: number): Promise<StockLevels | null> {
    const row = this.catalog.options.get(optionId);
    return row ? { total: row.total, reserved: row.reserved, sold: row.sold } : null;
  }

  /** All lines or none: inside one (memory) transaction, rolled back on the first refusal. */
  private moveEach(lines: StockLine[], move: (stock: Stock, quantity: number) => void): Promise<void> {
    return this.catalog.transactions.run(async () => {
      for (const { optionId, quantity } of [...lines].sort((a, b) => a.optionId - b.optionId)) {
        const row = this.catalog.options.get(optionId);
        if (!row) throw new NotFound('Option', optionId);
        const stock = Stock.of(optionId, row);
        move(stock, quantity);
        this.catalog.options.set(optionId, { ...row, ...stock.toLevels() });
      }
    });
  }
}
