/** CI must test against the real services it provides: nothing may be skipped for lack of one. */
export const inCi = (): boolean => Boolean(process.env['CI']) && process.env['CI'] !== 'false';

/** A short id for this test run, so databases, keys and e-mails never meet an earlier run's. */
export const runId = `${process.pid.toString(36)}${Date.now().toString(36)}`;

let counter = 0;

/** A name no other test of this run (nor of an earlier run) uses; one counter for every helper. */
export function uniqueName(label: string): string {
  counter += 1;
  return `${label}-${runId}-${counter}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${uniqueName(label)}@test.shop`;
}
