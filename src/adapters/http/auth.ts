import type { NextFunction, Request, Response } from 'express';
import type { TokenService } from '../../application/ports/token-service.js';
import { AuthenticationFailed } from '../../domain/shared/errors.js';

export function authenticate(tokens: TokenService) {
  return (req: Request, res: Response, next: NextFunction) => {
    const header = req.get('authorization');
    const match = header?.match(/^Bearer\s+(\S+)$/i);
    if (!match?.[1]) throw new AuthenticationFailed('A Bearer token is required');
    res.locals['actor'] = tokens.verify(match[1]);
    next();
  };
}
