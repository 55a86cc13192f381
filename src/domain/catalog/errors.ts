import { DomainError } from '../shared/errors.js';

export class InvalidPrice extends DomainError {
  readonly code = 'INVALID_PRICE' as const;
}

export class InsufficientStock extends DomainError {
  readonly code = 'INSUFFICIENT_STOCK' as const;
}

export class ProductUnavailable extends DomainError {
  readonly code = 'PRODUCT_UNAVAILABLE' as const;
}
