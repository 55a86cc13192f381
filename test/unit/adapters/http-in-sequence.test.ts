import { expect } from 'chai';
import express, { type ErrorRequestHandler, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { answerErrorsAtOnce, errorHandlerForRoutes, inSequence } from '../../../src/adapters/http/in-sequence.js';

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

  it('hands an error to onError, when given, instead of next, and runs nothing after it', async () => {
    const boom = new Error('boom');
    const seen: unknown[] = [];
    let nextCalled = false;
    const ran: string[] = [];
    inSequence(
      [passes, () => Promise.reject(boom), () => ran.push('after')],
      (error) => seen.push(error),
    )(req, res, () => (nextCalled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).to.deep.equal([boom]);
    expect(ran).to.deep.equal([]);
    expect(nextCalled).to.equal(false);
  });
});

/** POSTs to `path` on the app, listening for this request only. */
async function post(app: express.Express, path: string): Promise<{ status: number; body: unknown }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const answer = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`, { method: 'POST' });
    return { status: answer.status, body: await answer.json() };
  } finally {
    server.close();
  }
}

describe("answerErrorsAtOnce (a route answers its own error with the app's handler)", () => {
  const failing: RequestHandler = () => {
    throw new Error('refused');
  };
  const answersWith = (status: number, seen: string[]): ErrorRequestHandler => (error: Error, req, res, _next) => {
    seen.push(`${error.message} ${req.baseUrl}${req.route?.path as string}`);
    res.status(status).json({ error: error.message });
  };

  it("answers through the handler left by the app, not through the router's later layers", async () => {
    const seen: string[] = [];
    const router = express.Router();
    router.post('/first', inSequence([passes, failing], answerErrorsAtOnce));
    // Express's way would hand the error to the router's own error handler below.
    router.use(((_error: Error, _req, res, _next) => res.status(599).json({ via: 'router' })) as ErrorRequestHandler);
    const app = express();
    app.use(errorHandlerForRoutes(answersWith(409, seen)));
    app.use('/api', router);
    const answer = await post(app, '/api/first');
    expect(answer.status).to.equal(409);
    expect(answer.body).to.deep.equal({ error: 'refused' });
    // Answered inside the route: its mount and template are still on the request.
    expect(seen).to.deep.equal(['refused /api/first']);
  });

  it("without the app's handler, hands the error on as Express does", async () => {
    const router = express.Router();
    router.post('/first', inSequence([failing], answerErrorsAtOnce));
    const app = express();
    app.use(router);
    app.use(((error: Error, _req, res, _next) => res.status(418).json({ via: 'express', error: error.message })) as ErrorRequestHandler);
    const answer = await post(app, '/first');
    expect(answer.status).to.equal(418);
    expect(answer.body).to.deep.equal({ via: 'express', error: 'refused' });
  });

  it('hands an error thrown by the handler itself on to Express', async () => {
    const router = express.Router();
    router.post('/first', inSequence([failing], answerErrorsAtOnce));
    const app = express();
    app.use(
      errorHandlerForRoutes(() => {
        throw new Error('handler broke');
      }),
    );
    app.use(router);
    app.use(((error: Error, _req, res, _next) => res.status(500).json({ error: error.message })) as ErrorRequestHandler);
    const answer = await post(app, '/first');
    expect(answer.status).to.equal(500);
    expect(answer.body).to.deep.equal({ error: 'handler broke' });
  });
});
