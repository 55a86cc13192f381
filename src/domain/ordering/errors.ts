import { DomainError } from '../shared/errors.js';

export class OrderLimitExceeded extends DomainError {
  readonly code = 'ORDER_LIMIT_EXCEEDED' as const;
}

export class PaymentDeclined extends DomainError {
  readonly code = 'PAYMENT_DECLINED' as const;
}
