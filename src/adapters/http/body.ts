import express, { type NextFunction, type Request, type Response } from 'express';
import { HttpProblem } from './problem.js';

export const BODY_LIMIT = '1mb';

const JSON_TYPES = ['application/json', 'application/*+json'];
const parseJson = express.json({ limit: BODY_LIMIT, type: JSON_TYPES, strict: true });

function hasBody(req: Request): boolean {
  return req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
}

/** JSON by its Content-Type: what nearly every client sends is compared as is, anything else is parsed (type-is). */
function isJson(req: Request): boolean {
  return req.headers['content-type'] === 'application/json' || Boolean(req.is(JSON_TYPES));
}

interface BodyParserError {
  type?: string;
}

/**
 * Parses a JSON body, after authentication (the order of checks puts 401 before 400/413/415).
 * Anything but JSON is refused rather than silently ignored.
 */
export function jsonBody(req: Request, res: Response, next: NextFunction): void {
  if (hasBody(req) && !isJson(req)) {
    next(new HttpProblem('UNSUPPORTED_MEDIA_TYPE', 'The body must be application/json'));
    return;
  }
  parseJson(req, res, (error?: unknown) => {
    if (!error) return next();
    const type = (error as BodyParserError).type;
    if (type === 'entity.too.large') return next(new HttpProblem('PAYLOAD_TOO_LARGE', `The body is over ${BODY_LIMIT}`));
    if (type === 'encoding.unsupported' || type === 'charset.unsupported')
      return next(new HttpProblem('UNSUPPORTED_MEDIA_TYPE', 'The body must be UTF-8 JSON'));
    return next(new HttpProblem('VALIDATION_FAILED', 'The body is not valid JSON', [{ field: 'body', message: 'is not valid JSON' }]));
  });
}
