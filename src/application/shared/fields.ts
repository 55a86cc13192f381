/**
 * A value as JSON carries it (an API answer, an integration event's payload): dates as ISO 8601
 * UTC strings, everything else as it is.
 */
export type Written<T> = T extends Date ? string : T extends object ? { [K in keyof T]: Written<T[K]> } : T;

/**
 * The named fields of `from`, in the order named (the order of the JSON's keys), as JSON carries
 * them (dates as ISO strings, objects and arrays copied). The API views and the integration
 * events' payloads say with explicit field lists what they show of a domain snapshot, and write
 * it with this; a field worked out for a view is set on the object handed in, so that the list
 * alone says where it goes.
 */
export function fieldsOf<T extends object, K extends keyof T>(from: T, fields: readonly K[]): { [P in K]: Written<T[P]> } {
  const written: Partial<Record<K, unknown>> = {};
  for (const field of fields) {
    const value: unknown = from[field];
    if (value instanceof Date) written[field] = value.toISOString();
    else if (Array.isArray(value)) written[field] = [...value];
    else written[field] = value !== null && typeof value === 'object' ? { ...value } : value;
  }
  return written as { [P in K]: Written<T[P]> };
}
