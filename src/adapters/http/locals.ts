import type { Response } from 'express';
import type { Actor } from '../../domain/user/actor.js';

/** What the middleware chain leaves for a handler: the checked input and who is asking. */
export interface Checked<B = unknown, Q = unknown, P = unknown> {
  body: B;
  query: Q;
  params: P;
}

export function checked<B = unknown, Q = unknown, P = unknown>(res: Response): Checked<B, Q, P> {
  return { body: res.locals['body'] as B, query: res.locals['query'] as Q, params: res.locals['params'] as P };
}

export function actorOf(res: Response): Actor {
  const actor = res.locals['actor'] as Actor | undefined;
  if (!actor) throw new Error('route needs authentication but none ran');
  return actor;
}

/** `me` in a path or body means the caller. */
export function resolveUserId(res: Response, value: number | 'me' | undefined): number {
  return value === undefined || value === 'me' ? actorOf(res).userId : value;
}
