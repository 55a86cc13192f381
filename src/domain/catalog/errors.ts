import { DomainError } from '../shared/errors.js';

export class InvalidPrice extends DomainError {
  readonly code = 'INVALID_PRICE' as const;
}

export class InsufficientStock extends DomainError {
  readonly code = 'INSUFFICIENT_STOCK' as const;
  constructor(
    message: string,
    /** The option that ran short, when known, so the caller can name the line. */
    readonly optionId: number | null = null,
    readonly available: number | null = null,
  ) {
    super(message);
  }
}

export class ProductUnavailable extends DomainError {
  readonly code = 'PRODUCT_UNAVAILABLE' as const;
}
