import type { RequestHandler, Router } from 'express';
import type { Authenticate } from '../../application/auth/authenticate.js';
import { authenticated } from './auth.js';
import { jsonBody } from './body.js';
import { answerErrorsAtOnce, inSequence } from './in-sequence.js';
import type { Operation } from './operation.js';
import { validate } from './validation.js';

/** What routeDefiner put on a router: how many routes, and the first segments of their paths. */
interface Registered {
  routes: number;
  /** Lower case, as the router compares paths (case-insensitively, by default). */
  firstSegments: Set<string>;
  /** A path whose first segment is a parameter or a pattern: it may match any first segment. */
  anySegment: boolean;
}

const registered = new WeakMap<Router, Registered>();

/** A first segment written as plain text: path-to-regexp matches it literally (its syntax uses none of these). */
const LITERAL_SEGMENT = /^[A-Za-z0-9_.-]+$/;

function remember(router: Router, path: string): void {
  const entry = registered.get(router) ?? { routes: 0, firstSegments: new Set<string>(), anySegment: false };
  entry.routes++;
  const first = path.startsWith('/') ? path.slice(1).split('/')[0]! : null;
  if (first !== null && LITERAL_SEGMENT.test(first)) entry.firstSegments.add(first.toLowerCase());
  else entry.anySegment = true;
  registered.set(router, entry);
}

/**
 * The first path segments (lower case) of every route on `router`, when they are all known: each
 * route was registered by routeDefiner with a path that starts with plain text. Such a router can
 * only answer a path whose first segment is one of them (compared case-insensitively, as Express
 * does), so a request for another need not enter it (app.ts). Null when anything on the router
 * may match any path: a path starting with a parameter or a pattern, or a layer (middleware, a
 * route) that routeDefiner did not put there.
 */
export function firstSegmentsOf(router: Router): ReadonlySet<string> | null {
  const entry = registered.get(router);
  if (!entry || entry.anySegment || entry.routes !== router.stack.length) return null;
  return entry.firstSegments;
}

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
    chain.push(handler);
    // One layer on the route for the whole chain: Express would step through a layer per handler.
    router[operation.method](operation.path, inSequence(chain, answerErrorsAtOnce));
    remember(router, operation.path);
  };
}

export type DefineRoute = ReturnType<typeof routeDefiner>;
