import { expect } from 'chai';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { inSequence } from '../../../src/adapters/http/in-sequence.js';

const req = {} as Request;
const res = {} as Response;

/** Runs the handlers in sequence; resolves with what reached the final next() (undefined: on to the next layer). */
function run(handlers: RequestHandler[]): Promise<{ error: unknown; ran: string[] }> {
  const ran: string[] = [];
  return new Promise((resolve) => {
    const named = handlers.map((handler, i) => {
      const wrapped = (q: Request, s: Response, next: NextFunction) => {
        ran.push(String(i));
        return handler(q, s, next);
      };
      return wrapped;
    });
    inSequence(named)(req, res, (error?: unknown) => resolve({ error, ran }));
  });
}

const passes: RequestHandler = (_req, _res, next) => next();

describe('inSequence (middleware run in turn as one layer)', () => {
  it('runs each handler when the one before calls next(), then the next layer', async () => {
    expect(await run([passes, passes, passes])).to.deep.equal({ error: undefined, ran: ['0', '1', '2'] });
  });

  it('runs the next handler only when next() is called: a handler may answer and stop there', async () => {
    let nextCalled = false;
    const answers: RequestHandler = () => undefined;
    inSequence([passes, answers, passes])(req, res, () => (nextCalled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(nextCalled).to.equal(false);
  });

  it('hands an error passed to next on past the rest', async () => {
    const boom = new Error('boom');
    expect(await run([passes, (_req, _res, next) => next(boom), passes])).to.deep.equal({ error: boom, ran: ['0', '1'] });
  });

  it('hands a thrown error on past the rest, as Express catches it', async () => {
    const boom = new Error('thrown');
    const throws: RequestHandler = () => {
      throw boom;
    };
    expect(await run([passes, throws, passes])).to.deep.equal({ error: boom, ran: ['0', '1'] });
  });

  it('hands the rejection of a returned promise on past the rest, one without a reason as Express words it', async () => {
    const boom = new Error('rejected');
    expect(await run([async () => Promise.reject(boom), passes])).to.deep.equal({ error: boom, ran: ['0'] });
    const { error, ran } = await run([async () => Promise.reject(undefined), passes]);
    expect(ran).to.deep.equal(['0']);
    expect((error as Error).message).to.equal('Rejected promise');
  });

  it('goes on after an async handler that calls next() and resolves', async () => {
    const later: RequestHandler = async (_req, _res, next) => {
      await null;
      next();
    };
    expect(await run([later, passes])).to.deep.equal({ error: undefined, ran: ['0', '1'] });
  });

  it('refuses error handlers, which Express would skip', () => {
    const errorHandler = (_error: unknown, _req: Request, _res: Response, next: NextFunction) => next();
    expect(() => inSequence([passes, errorHandler as unknown as RequestHandler])).to.throw(/not error handlers/);
  });
});
