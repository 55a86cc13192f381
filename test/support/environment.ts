/** CI must test against the real services it provides: nothing may be skipped for lack of one. */
export const inCi = (): boolean => Boolean(process.env['CI']) && process.env['CI'] !== 'false';

/** A short id for this test run, so databases, keys and e-mails never meet an earlier run's. */
export const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;

let counter = 0;
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${runId}-${counter}@test.shop`;
}
