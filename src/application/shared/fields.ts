/**
 * A value as JSON carries it (an API answer, an integration event's payload): dates as ISO 8601
 * UTC strings, everything else as it is.
 */
export type Written<T> = T extends Date ? string : T extends object ? { [K in keyof T]: Written<T[K]> } : T;

/**
 * The named fields of `from`, in the order named (the order of the JSON's keys), as JSON carries
 * them (dates as ISO strings, objects copied): each context writes its integration events'
 * payloads from explicit per-version field lists with this.
 */
export function fieldsOf<T extends object, K extends keyof T>(from: T, fields: readonly K[]): { [P in K]: Written<T[P]> } {
  const written: Partial<Record<K, unknown>> = {};
  for (const field of fields) {
    const value: unknown = from[field];
    written[field] = value instanceof Date ? value.toISOString() : value !== null && typeof value === 'object' ? { ...value } : value;
  }
  return written as { [P in K]: Written<T[P]> };
}
