import { expect } from 'chai';
import { setImmediate as settle } from 'node:timers/promises';
import { type PasswordHasher, PasswordHasherBusy } from '../../../src/application/ports/password-hasher.js';
import { BoundedPasswordHasher } from '../../../src/adapters/security/bounded-password-hasher.js';
import { rejectionOf } from '../expect-error.js';

interface Call {
  password: string;
  finish(): void;
  fail(error: Error): void;
}

/** A hasher whose every call waits until the test finishes or fails it. */
class ControlledHasher implements PasswordHasher {
  readonly calls: Call[] = [];
  running = 0;
  mostAtOnce = 0;

  hash(password: string): Promise<string> {
    return this.call(password).then(() => `hash-of-${password}`);
  }

  verify(password: string): Promise<boolean> {
    return this.call(password).then(() => true);
  }

  /** The call for this password, once it has started. */
  callFor(password: string): Call {
    const call = this.calls.find((c) => c.password === password);
    if (!call) return expect.fail(`${password} has not started`);
    return call;
  }

  get started(): string[] {
    return this.calls.map((c) => c.password);
  }

  private call(password: string): Promise<void> {
    this.running += 1;
    this.mostAtOnce = Math.max(this.mostAtOnce, this.running);
    return new Promise<void>((resolve, reject) => {
      const done = () => (this.running -= 1);
      this.calls.push({
        password,
        finish: () => {
          done();
          resolve();
        },
        fail: (error) => {
          done();
          reject(error);
        },
      });
    });
  }
}

describe('BoundedPasswordHasher (a semaphore around password hashing)', () => {
  let inner: ControlledHasher;
  beforeEach(() => {
    inner = new ControlledHasher();
  });

  it('never runs more hashes at once than its concurrency, and every one finishes', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 2, queue: 0 });
    const passwords = ['a', 'b', 'c', 'd', 'e', 'f'];
    const results = passwords.map((p, i) => (i % 2 === 0 ? hasher.hash(p) : hasher.verify(p, 'stored')));
    await settle();
    expect(inner.started).to.deep.equal(['a', 'b']);

    for (let i = 0; i < passwords.length; i += 1) {
      inner.calls[i]?.finish();
      await settle();
    }

    expect(await Promise.all(results)).to.deep.equal(['hash-of-a', true, 'hash-of-c', true, 'hash-of-e', true]);
    expect(inner.mostAtOnce).to.equal(2);
  });

  it('waiters take their turn in the order they came', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 1, queue: 0 });
    const results = ['first', 'second', 'third', 'fourth'].map((p) => hasher.hash(p));
    await settle();
    expect(inner.started).to.deep.equal(['first']);

    for (const expected of [['first', 'second'], ['first', 'second', 'third'], ['first', 'second', 'third', 'fourth']]) {
      inner.calls[inner.calls.length - 1]?.finish();
      await settle();
      expect(inner.started).to.deep.equal(expected);
    }
    inner.callFor('fourth').finish();
    await Promise.all(results);
  });

  it('past the queue a hash is refused at once (PasswordHasherBusy with a Retry-After), and the queued ones still run', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 1, queue: 2 });
    const admitted = ['running', 'queued-1', 'queued-2'].map((p) => hasher.verify(p, 'stored'));

    const refused = await rejectionOf(hasher.verify('one-too-many', 'stored'));

    expect(refused).to.be.instanceOf(PasswordHasherBusy);
    expect((refused as PasswordHasherBusy).retryAfterSeconds).to.be.at.least(1);
    expect(inner.started).to.deep.equal(['running']);
    for (const p of ['running', 'queued-1', 'queued-2']) {
      await settle();
      inner.callFor(p).finish();
    }
    expect(await Promise.all(admitted)).to.deep.equal([true, true, true]);
    expect(inner.started).not.to.include('one-too-many');
  });

  it('a refusal is only for a full queue: once a turn frees up, the queue takes a newcomer again', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 1, queue: 1 });
    const first = hasher.hash('first');
    const second = hasher.hash('second');
    expect(await rejectionOf(hasher.hash('third'))).to.be.instanceOf(PasswordHasherBusy);

    await settle();
    inner.callFor('first').finish();
    await settle();
    const fourth = hasher.hash('fourth');
    inner.callFor('second').finish();
    await settle();
    inner.callFor('fourth').finish();

    expect(await Promise.all([first, second, fourth])).to.deep.equal(['hash-of-first', 'hash-of-second', 'hash-of-fourth']);
  });

  it('a failing hash frees its slot: its error reaches its caller and the next waiter runs', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 1, queue: 1 });
    const failing = hasher.hash('fails');
    const next = hasher.hash('next');
    await settle();
    const error = new Error('scrypt: out of memory');
    inner.callFor('fails').fail(error);

    expect(await rejectionOf(failing)).to.equal(error);
    await settle();
    inner.callFor('next').finish();
    expect(await next).to.equal('hash-of-next');
    // The slot is free again: a new hash starts at once.
    const later = hasher.hash('later');
    await settle();
    expect(inner.started).to.deep.equal(['fails', 'next', 'later']);
    inner.callFor('later').finish();
    await later;
  });

  it('concurrency 0 switches the bound off: every hash starts at once', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 0, queue: 1 });
    const results = Array.from({ length: 20 }, (_, i) => hasher.hash(`p${i}`));
    await settle();
    expect(inner.running).to.equal(20);
    for (const call of inner.calls) call.finish();
    await Promise.all(results);
  });

  it('queue 0 lets any number wait (none refused)', async () => {
    const hasher = new BoundedPasswordHasher(inner, { concurrency: 1, queue: 0 });
    const results = Array.from({ length: 200 }, (_, i) => hasher.hash(`p${i}`));
    for (let i = 0; i < 200; i += 1) {
      await settle();
      inner.calls[i]?.finish();
    }
    expect(await Promise.all(results)).to.have.length(200);
    expect(inner.mostAtOnce).to.equal(1);
  });
});
