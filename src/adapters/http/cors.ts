import type { NextFunction, Request, RequestHandler, Response } from 'express';

/** What a browser storefront may send: every method the API has, and the headers it reads. */
export const CORS_ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const CORS_ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'] as const;
/** Answer headers a storefront's script may read besides the CORS-safelisted ones. */
export const CORS_EXPOSED_HEADERS = ['X-Request-Id', 'Idempotent-Replayed', 'Retry-After'] as const;
/** How long a browser may reuse a preflight's answer. */
export const CORS_PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * CORS for the origins listed (CORS_ORIGINS), nothing for any other: the allowed origin is named
 * back exactly as listed, never `*` and never an echo of whatever came. Every answer varies on
 * `Origin` (a shared cache must not hand one origin's answer to another). A preflight (OPTIONS
 * with `Origin` and `Access-Control-Request-Method`) from a listed origin is answered here, 204,
 * before any route; from another origin it goes on as if CORS were off, so the browser refuses.
 * Real answers, errors included, carry the headers: the storefront can read a 401 or a 404.
 * No credentials mode: the API authenticates with a Bearer token, never a cookie.
 */
export function cors(allowedOrigins: readonly string[]): RequestHandler {
  const allowed = new Set(allowedOrigins);
  return (req: Request, res: Response, next: NextFunction) => {
    res.vary('Origin');
    const origin = req.get('origin');
    if (origin === undefined || !allowed.has(origin)) {
      next();
      return;
    }
    res.set('Access-Control-Allow-Origin', origin);
    if (req.method === 'OPTIONS' && req.get('access-control-request-method') !== undefined) {
      res.set('Access-Control-Allow-Methods', CORS_ALLOWED_METHODS.join(', '));
      res.set('Access-Control-Allow-Headers', CORS_ALLOWED_HEADERS.join(', '));
      res.set('Access-Control-Max-Age', String(CORS_PREFLIGHT_MAX_AGE_SECONDS));
      res.status(204).end();
      return;
    }
    res.set('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS.join(', '));
    next();
  };
}
