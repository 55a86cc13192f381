import { DomainError } from '../shared/errors.js';

export class EmailTaken extends DomainError {
  readonly code = 'EMAIL_TAKEN' as const;
  constructor(email: string) {
    super(`The e-mail ${email} is already registered`);
  }
}
