import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Handlers run in turn as one handler, as Express runs the layers of the app's stack, without its
 * stepping from layer to layer (matching each layer's path, its parameters, the bookkeeping
 * allocated at each step), which every request paid once per middleware. Each handler runs when
 * the one before calls next(); an error, passed to next, thrown, or the rejection of a promise a
 * handler returns, goes past the rest to `next`, as Express hands it on (a promise rejected
 * without a reason as `Error('Rejected promise')`). For handlers that call next() or
 * next(error), never next('route') or next('router').
 */
export function inSequence(handlers: readonly RequestHandler[]): RequestHandler {
  // Express would skip an error handler (four parameters) on the way; none belongs here.
  if (handlers.some((handler) => handler.length > 3)) throw new Error('inSequence takes request handlers, not error handlers');
  if (handlers.length === 1) return handlers[0]!;
  return (req: Request, res: Response, next: NextFunction) => {
    let at = 0;
    const step = (error?: unknown): void => {
      if (error) {
        next(error);
        return;
      }
      const handler = handlers[at++];
      if (!handler) {
        next();
        return;
      }
      try {
        const returned: unknown = handler(req, res, step);
        if (isThenable(returned)) returned.then(undefined, (reason: unknown) => step(reason || new Error('Rejected promise')));
      } catch (thrown) {
        step(thrown);
      }
    };
    step();
  };
}

/** What Express takes for a promise a handler returned (is-promise). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
