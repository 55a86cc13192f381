import { DomainError, Forbidden } from '../shared/errors.js';

export class EmailTaken extends DomainError {
  readonly code = 'EMAIL_TAKEN' as const;
  constructor(email: string) {
    super(`The e-mail ${email} is already registered`);
  }
}

/** The current password given to change it is not the user's. */
export class WrongPassword extends DomainError {
  readonly code = 'WRONG_PASSWORD' as const;
  constructor() {
    super('The current password is not right');
  }
}

/** Right credentials, but an ADMIN suspended the account. */
export class AccountSuspended extends Forbidden {
  constructor() {
    super('This account is suspended');
  }
}
