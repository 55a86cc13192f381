import { DomainError } from '../shared/errors.js';

export class InvalidChargeAmount extends DomainError {
  readonly code = 'INVALID_CHARGE_AMOUNT' as const;
}

export class BalanceLimitExceeded extends DomainError {
  readonly code = 'BALANCE_LIMIT_EXCEEDED' as const;
}

export class InsufficientBalance extends DomainError {
  readonly code = 'INSUFFICIENT_BALANCE' as const;
}
