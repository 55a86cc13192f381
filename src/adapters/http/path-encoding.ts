import type { NextFunction, Request, Response } from 'express';
import type { FieldProblem } from '../../domain/shared/errors.js';

const MALFORMED = 'malformedPathSegments';

function decodes(segment: string): boolean {
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}

/**
 * Express's router decodes path parameters while it matches routes, and a malformed escape
 * (`%FF`, a cut-off `%E2%82`, a lone `%`) makes the matching itself throw: before the route,
 * authentication or shape are looked at, whatever the method. This escapes the `%` of such a
 * segment, so the router matches its text literally and the request takes the contract's order
 * of checks (unknown route 404, then 401); `validate` then refuses the parameter by name (400).
 */
export function keepMalformedEscapesLiteral(req: Request, res: Response, next: NextFunction): void {
  const queryAt = req.url.indexOf('?');
  const path = queryAt === -1 ? req.url : req.url.slice(0, queryAt);
  if (path.includes('%')) {
    const malformed: string[] = [];
    const segments = path.split('/').map((segment) => {
      if (!segment.includes('%') || decodes(segment)) return segment;
      malformed.push(segment);
      return segment.replaceAll('%', '%25');
    });
    if (malformed.length > 0) {
      req.url = segments.join('/') + (queryAt === -1 ? '' : req.url.slice(queryAt));
      // What the router will decode those segments to: the text as sent.
      res.locals[MALFORMED] = malformed;
    }
  }
  next();
}

/** The path parameters that arrived malformed, as shape problems naming them. */
export function malformedParameters(req: Request, res: Response): FieldProblem[] {
  const malformed = res.locals[MALFORMED] as string[] | undefined;
  if (!malformed) return [];
  return Object.entries(req.params ?? {})
    .filter(([, value]) => typeof value === 'string' && malformed.includes(value))
    .map(([name]) => ({ field: name, message: 'is not valid percent-encoded UTF-8' }));
}
