import type { ProblemCase } from './operation.js';

/** Failures many operations share, written once for the OpenAPI document. */

export const NOT_YOURS: ProblemCase = {
  code: 'FORBIDDEN',
  when: "authenticated but not allowed (wrong role, or someone else's resource, whether or not it exists).",
  detail: 'You may only act on your own resources',
};

export const notFound = (resource: string): ProblemCase => ({
  code: 'NOT_FOUND',
  when: `no such ${resource.toLowerCase()}.`,
  detail: `${resource} 999 does not exist`,
});

/**
 * The 503 answers of an operation that hashes or checks a password: the database's, and the
 * bounded hasher's refusal past its queue (with Retry-After). Listed whole, since an operation's
 * own UNAVAILABLE replaces the shared one.
 */
export const PASSWORD_HASHING_UNAVAILABLE: ProblemCase[] = [
  {
    code: 'UNAVAILABLE',
    when: 'the database is unreachable.',
    detail: 'The database is not reachable; try again shortly',
    example: 'UNAVAILABLE (database)',
  },
  {
    code: 'UNAVAILABLE',
    when: 'the service is busy checking passwords (more requests waiting for a password hash than `PASSWORD_HASH_QUEUE`, at most `PASSWORD_HASH_CONCURRENCY` hashing at once per instance), answered at once with `Retry-After`.',
    detail: 'The service is busy checking passwords; try again in a moment',
    example: 'UNAVAILABLE (busy checking passwords)',
    retryAfter: true,
  },
];
