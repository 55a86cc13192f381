import { ValidationFailed } from '../shared/errors.js';
import { assertValidPrice } from './price.js';
import { type StockLevels, type StockStatus, stockStatusOf, sumLevels } from './stock.js';

export const PRODUCT_STATUSES = ['ACTIVE', 'DISCONTINUED'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];

export interface ProductOptionSnapshot extends StockLevels {
  id: number;
  name: string;
}

export interface ProductSnapshot {
  id: number;
  sellerId: number;
  name: string;
  description: string;
  category: string;
  price: number;
  status: ProductStatus;
  /** Delivered without shipping (a download, a voucher): an order of digital products only needs no address. */
  digital: boolean;
  createdAt: Date;
  updatedAt: Date;
  options: ProductOptionSnapshot[];
}

export interface NewOption {
  name: string;
  /** Units on hand at creation; 0 is allowed. */
  stock: number;
}

/** What listing a product stores; ids and stock levels come from the repository. */
export type NewProduct = Omit<ProductSnapshot, 'id' | 'updatedAt' | 'options'> & { options: NewOption[] };

export interface ProductDetails {
  name: string;
  description?: string | null;
  category: string;
  price: number;
  /** Left out: a physical product. */
  digital?: boolean;
  options: NewOption[];
}

export type ProductChanges = Partial<Pick<ProductSnapshot, 'name' | 'description' | 'category' | 'price' | 'status' | 'digital'>>;

export const MAX_NAME_LENGTH = 100;

function assertName(name: string): void {
  const length = name.trim().length;
  if (length < 1 || length > MAX_NAME_LENGTH) {
    throw new ValidationFailed([{ field: 'name', message: `must be 1 to ${MAX_NAME_LENGTH} characters` }]);
  }
}

/** A product a seller lists, with its options (sizes, colours); stock lives on the options. */
export class Product {
  private constructor(private state: ProductSnapshot) {}

  static fromSnapshot(snapshot: ProductSnapshot): Product {
    return new Product({ ...snapshot, options: snapshot.options.map((o) => ({ ...o })) });
  }

  static list(sellerId: number, details: ProductDetails, at: Date): NewProduct {
    assertName(details.name);
    if (details.options.length === 0) {
      throw new ValidationFailed([{ field: 'options', message: 'a product needs at least one option' }]);
    }
    const names = details.options.map((o) => o.name.trim().toLowerCase());
    if (new Set(names).size !== names.length) {
      throw new ValidationFailed([{ field: 'options', message: 'option names must differ' }]);
    }
    for (const option of details.options) {
      if (!Number.isSafeInteger(option.stock) || option.stock < 0) {
        throw new ValidationFailed([{ field: 'options.stock', message: 'must be a whole number, 0 or more' }]);
      }
    }
    // Shape problems (above) come before the price rule (422), as everywhere in the API.
    assertValidPrice(details.price);
    return {
      sellerId,
      name: details.name.trim(),
      description: details.description ?? '',
      category: details.category.trim(),
      price: details.price,
      status: 'ACTIVE',
      digital: details.digital ?? false,
      createdAt: at,
      options: details.options.map((o) => ({ name: o.name.trim(), stock: o.stock })),
    };
  }

  get id(): number {
    return this.state.id;
  }
  get sellerId(): number {
    return this.state.sellerId;
  }
  get status(): ProductStatus {
    return this.state.status;
  }
  get price(): number {
    return this.state.price;
  }
  get options(): readonly ProductOptionSnapshot[] {
    return this.state.options;
  }

  get digital(): boolean {
    return this.state.digital;
  }

  isDiscontinued(): boolean {
    return this.state.status === 'DISCONTINUED';
  }

  option(optionId: number): ProductOptionSnapshot | undefined {
    return this.state.options.find((o) => o.id === optionId);
  }

  /** Name, description, category, price, status and whether it is digital are the seller's to change. */
  change(changes: ProductChanges, at: Date): void {
    if (changes.name !== undefined) assertName(changes.name);
    if (changes.price !== undefined) assertValidPrice(changes.price);
    this.state = {
      ...this.state,
      ...(changes.name !== undefined ? { name: changes.name.trim() } : {}),
      ...(changes.description !== undefined ? { description: changes.description ?? '' } : {}),
      ...(changes.category !== undefined ? { category: changes.category.trim() } : {}),
      ...(changes.price !== undefined ? { price: changes.price } : {}),
      ...(changes.status !== undefined ? { status: changes.status } : {}),
      ...(changes.digital !== undefined ? { digital: changes.digital } : {}),
      updatedAt: at,
    };
  }

  stockStatus(lowStockThreshold?: number): StockStatus {
    return stockStatusOf(sumLevels(this.state.options), this.isDiscontinued(), lowStockThreshold);
  }

  optionStockStatus(option: ProductOptionSnapshot, lowStockThreshold?: number): StockStatus {
    return stockStatusOf(option, this.isDiscontinued(), lowStockThreshold);
  }

  toSnapshot(): ProductSnapshot {
    return { ...this.state, options: this.state.options.map((o) => ({ ...o })) };
  }
}
