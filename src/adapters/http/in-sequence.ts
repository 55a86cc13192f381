import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/** What is done with an error of the sequence: by default, Express's next(error). */
type OnError = (error: unknown, req: Request, res: Response, next: NextFunction) => void;

const passOn: OnError = (error, _req, _res, next) => next(error);

/**
 * Handlers run in turn as one handler, as Express runs the layers of the app's stack, without its
 * stepping from layer to layer (matching each layer's path, its parameters, the bookkeeping
 * allocated at each step), which every request paid once per middleware. Each handler runs when
 * the one before calls next(); an error, passed to next, thrown, or the rejection of a promise a
 * handler returns, goes past the rest to `next`, as Express hands it on (a promise rejected
 * without a reason as `Error('Rejected promise')`). For handlers that call next() or
 * next(error), never next('route') or next('router'). `onError` may take the error instead
 * (answerErrorsAtOnce).
 */
export function inSequence(handlers: readonly RequestHandler[], onError: OnError = passOn): RequestHandler {
  // Express would skip an error handler (four parameters) on the way; none belongs here.
  if (handlers.some((handler) => handler.length > 3)) throw new Error('inSequence takes request handlers, not error handlers');
  if (handlers.length === 1 && onError === passOn) return handlers[0]!;
  return (req: Request, res: Response, next: NextFunction) => {
    let at = 0;
    const step = (error?: unknown): void => {
      if (error) {
        onError(error, req, res, next);
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

const ERROR_HANDLER = 'errorHandler';

/** Leaves the app's error handler where answerErrorsAtOnce finds it: one of the app's first middleware. */
export function errorHandlerForRoutes(handler: ErrorRequestHandler): RequestHandler {
  return (_req, res, next) => {
    res.locals[ERROR_HANDLER] = handler;
    next();
  };
}

/**
 * For a route's sequence: its error is answered by the app's error handler right there. Passed to
 * next, Express would carry it through the rest of the route's router, matching every later
 * route's path, and out again (a turn of the event loop on the way) to that same handler, the only
 * one on the path: a coupon storm, nearly all refusals, spent a tenth of its CPU in the router.
 * Without the app's handler (a router mounted on its own), Express's way. An error the handler
 * itself throws goes on to Express.
 */
export const answerErrorsAtOnce: OnError = (error, req, res, next) => {
  const handler = res.locals[ERROR_HANDLER] as ErrorRequestHandler | undefined;
  if (!handler) {
    next(error);
    return;
  }
  try {
    handler(error, req, res, next);
  } catch (thrown) {
    next(thrown);
  }
};
