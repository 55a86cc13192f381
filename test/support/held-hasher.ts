import { ScryptPasswordHasher } from '../../src/adapters/security/scrypt-password-hasher.js';
import type { PasswordHasher } from '../../src/application/ports/password-hasher.js';

/**
 * Scrypt at its cheapest, whose hashes and checks the test can hold at a gate: a deliberately
 * slow hash that lasts exactly as long as the test wants, so nothing depends on timing.
 */
export class HeldHasher implements PasswordHasher {
  private readonly scrypt = new ScryptPasswordHasher({ N: 2 ** 10, r: 8, p: 1 });
  private gate: Promise<void> | null = null;
  private open: () => void = () => undefined;
  private readonly watchers: { count: number; reached(): void }[] = [];
  /** Calls waiting at the gate right now. */
  held = 0;

  /** From now on every hash and check waits at the gate until release(). */
  hold(): void {
    this.gate ??= new Promise<void>((resolve) => (this.open = resolve));
  }

  /** Lets every held call go on, and stops holding. */
  release(): void {
    this.open();
    this.gate = null;
  }

  /** Resolves once `count` calls wait at the gate. */
  untilHeld(count: number): Promise<void> {
    if (this.held >= count) return Promise.resolve();
    return new Promise<void>((reached) => this.watchers.push({ count, reached }));
  }

  hash(password: string): Promise<string> {
    return this.atGate(() => this.scrypt.hash(password));
  }

  verify(password: string, hash: string): Promise<boolean> {
    return this.atGate(() => this.scrypt.verify(password, hash));
  }

  private async atGate<T>(work: () => Promise<T>): Promise<T> {
    const gate = this.gate;
    if (gate) {
      this.held += 1;
      for (const watcher of this.watchers.filter((w) => this.held >= w.count)) {
        this.watchers.splice(this.watchers.indexOf(watcher), 1);
        watcher.reached();
      }
      await gate;
      this.held -= 1;
    }
    return work();
  }
}
