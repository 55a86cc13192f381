import { expect } from 'chai';
import type { ErrorCode } from '../../src/domain/shared/errors.js';

/** The error a function throws; fails the test when it returns normally. */
export function thrownBy(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return expect.fail('expected an error to be thrown, but the call returned');
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(work: Promise<unknown>): Promise<unknown> {
  let settled: { ok: true } | { ok: false; error: unknown };
  try {
    await work;
    settled = { ok: true };
  } catch (error) {
    settled = { ok: false, error };
  }
  if (settled.ok) return expect.fail('expected the promise to reject, but it resolved');
  return settled.error;
}

/** Asserts the call throws a domain error with this code, and returns the error. */
export function expectThrowsCode(work: () => unknown, code: ErrorCode): unknown {
  const error = thrownBy(work);
  expect(error).to.be.instanceOf(Error);
  expect(error).to.have.property('code', code);
  return error;
}

/** Asserts the promise rejects with a domain error with this code, and returns the error. */
export async function expectRejectsCode(work: Promise<unknown>, code: ErrorCode): Promise<unknown> {
  const error = await rejectionOf(work);
  expect(error).to.be.instanceOf(Error);
  expect(error).to.have.property('code', code);
  return error;
}
