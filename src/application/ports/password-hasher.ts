export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/**
 * A hasher that already has as much work waiting as it takes refuses more at once, rather than
 * let a flood of logins queue without end (each hash is ~100 ms of CPU and 32 MiB).
 */
export class PasswordHasherBusy extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super('The service is busy checking passwords; try again in a moment');
    this.name = 'PasswordHasherBusy';
  }
}
