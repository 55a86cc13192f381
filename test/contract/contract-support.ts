import { expect } from 'chai';
import { uniqueName } from '../support/environment.js';

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function rejectionOf(work: Promise<unknown>): Promise<Error & { code?: unknown }> {
  try {
    await work;
  } catch (error) {
    expect(error).to.be.instanceOf(Error);
    return error as Error & { code?: unknown };
  }
  return expect.fail('expected the call to be refused, but it succeeded');
}

let counter = 0;

/** A name no other test of this run (nor of an earlier run) uses: keys, subjects, scopes. */
export function uniqueToken(label: string): string {
  return uniqueName(label);
}

/** A number no other test of this run uses, e.g. a user id where no row is needed. */
export function uniqueNumber(): number {
  counter += 1;
  return 1_000_000 + counter;
}

/** An id no adapter will have handed out in a test run. */
export const UNKNOWN_ID = 9_000_000_000_000;
