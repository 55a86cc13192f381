import type { RequestHandler, Router } from 'express';
import type { Authenticate } from '../../application/auth/authenticate.js';
import { authenticated } from './auth.js';
import { jsonBody } from './body.js';
import { type RequestSchemas, validate } from './validation.js';

export interface RouteOptions extends RequestSchemas {
  /** Default true: the route needs a Bearer token. */
  auth?: boolean;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/**
 * Declares a route with the checks in the contract's order: the route itself matched, then
 * authentication, then the body and the shape; permission, existence and business rules are
 * the use case's.
 */
export function routeDefiner(router: Router, authenticate: Authenticate) {
  const checkToken = authenticated(authenticate);
  return (method: Method, path: string, options: RouteOptions, handler: RequestHandler) => {
    const chain: RequestHandler[] = [];
    if (options.auth !== false) chain.push(checkToken);
    if (method !== 'get' && method !== 'delete') chain.push(jsonBody);
    chain.push(validate(options));
    router[method](path, ...chain, handler);
  };
}

export type DefineRoute = ReturnType<typeof routeDefiner>;
