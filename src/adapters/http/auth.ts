import type { NextFunction, Request, Response } from 'express';
import type { Authenticate } from '../../application/auth/authenticate.js';
import { AuthenticationFailed } from '../../domain/shared/errors.js';

export function authenticated(authenticate: Authenticate) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization;
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw new AuthenticationFailed('A Bearer token is required');
    res.locals['actor'] = await authenticate.execute(match[1]);
    next();
  };
}
