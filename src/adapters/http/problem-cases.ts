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
