import type { RequestHandler, Router } from 'express';
import type { Authenticate } from '../../application/auth/authenticate.js';
import { authenticated } from './auth.js';
import { jsonBody } from './body.js';
import type { Operation } from './operation.js';
import { validate } from './validation.js';

/**
 * Registers operations on a router with the checks in the contract's order: the route itself
 * matched, then authentication, then the body and the shape; permission, existence and business
 * rules are the use case's. The same declarations build the OpenAPI document (openapi/document.ts).
 */
export function routeDefiner(router: Router, authenticate?: Authenticate) {
  const checkToken = authenticate && authenticated(authenticate);
  return (operation: Operation, handler: RequestHandler) => {
    const chain: RequestHandler[] = [];
    if ((operation.auth ?? 'bearer') === 'bearer') {
      if (!checkToken) throw new Error(`${operation.operationId} needs a Bearer token, and this router checks none`);
      chain.push(checkToken);
    }
    if (operation.method !== 'get' && operation.method !== 'delete') chain.push(jsonBody);
    chain.push(validate(operation));
    router[operation.method](operation.path, ...chain, handler);
  };
}

export type DefineRoute = ReturnType<typeof routeDefiner>;
