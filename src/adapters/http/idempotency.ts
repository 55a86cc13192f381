import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { StoredResponse } from '../../application/ports/idempotency-store.js';
import { ONE_TRANSACTION, type RunIdempotently, type RunsAs } from '../../application/idempotency/run-idempotently.js';
import type { Actor } from '../../domain/user/actor.js';
import { sendJson } from './answer.js';
import { clientAddressOf } from './client-address.js';
import { actorOf } from './locals.js';
import { HttpProblem } from './problem.js';

/** JSON with keys in a fixed order, so the same body always has the same fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

function idempotencyKeyOf(req: Request): string | null {
  const header = req.get('idempotency-key');
  if (header !== undefined) {
    if (header.length < 1 || header.length > 255) {
      throw new HttpProblem('VALIDATION_FAILED', 'Idempotency-Key must be 1 to 255 characters', [
        { field: 'Idempotency-Key', message: 'must be 1 to 255 characters' },
      ]);
    }
    return header;
  }
  const fromBody = (req.body as { requestId?: unknown } | undefined)?.requestId;
  return typeof fromBody === 'string' ? fromBody : null;
}

/**
 * Keys are scoped to the user; anonymous requests (sign-up) share scope 0, where the fingerprint
 * of the whole body (password included) keeps one client's answer from another.
 */
const ANONYMOUS = 0;
function scopeOf(res: Response): number {
  return (res.locals['actor'] as { userId: number } | undefined)?.userId ?? ANONYMOUS;
}

/** Who a new key counts against: the user, or an anonymous caller's client address. */
function claimantOf(req: Request, res: Response): string {
  const userId = scopeOf(res);
  return userId === ANONYMOUS ? `address:${clientAddressOf(req)}` : `user:${userId}`;
}

/** The handler's own work; `prepared` is what `prepare` returned (undefined without one). */
export type IdempotentWork<P> = (req: Request, res: Response, prepared: P) => Promise<StoredResponse>;

export interface IdempotentOptions<P, Who> {
  /** Who the use case's admission counts; left out: the authenticated actor. */
  who?: (req: Request, res: Response) => Who;
  /** Slow work that needs no database (a password hash): run after admission, before the transaction opens. */
  prepare?: (req: Request, res: Response) => Promise<P>;
  /**
   * Body fields left out of the fingerprint: secrets (passwords) of which no fast hash may be
   * stored. The same key with other values of them replays the first answer.
   */
  fingerprintOmits?: readonly string[];
}

/**
 * Runs a state-changing handler under the request's Idempotency-Key (or body `requestId`),
 * and sends its answer, first or replayed.
 */
export function idempotentHandler<P = undefined, Who = Actor>(
  runIdempotently: RunIdempotently,
  work: IdempotentWork<P>,
  runsAs: RunsAs<Who> = ONE_TRANSACTION,
  options: IdempotentOptions<P, Who> = {},
) {
  return async (req: Request, res: Response) => {
    const key = idempotencyKeyOf(req);
    // Only a request with a key is ever compared with another: hash its content then, not always.
    let fingerprint = '';
    if (key !== null) {
      const { requestId: _ignored, ...body } = (req.body ?? {}) as Record<string, unknown>;
      for (const field of options.fingerprintOmits ?? []) delete body[field];
      fingerprint = createHash('sha256').update(`${req.method} ${req.baseUrl}${req.path}\n${canonicalJson(body)}`).digest('base64url');
    }
    const { prepare } = options;
    const who = (): Who => (options.who ? options.who(req, res) : (actorOf(res) as Who));
    const outcome = await runIdempotently.execute<P>(
      {
        scope: key === null ? null : { userId: scopeOf(res), key },
        claimant: claimantOf(req, res),
        fingerprint,
        atomic: runsAs.transactional ?? true,
        admit: runsAs.admit === undefined ? undefined : async () => runsAs.admit?.(who()),
        prepare: prepare && (() => prepare(req, res)),
      },
      (prepared) => work(req, res, prepared),
    );
    if (outcome.replayed) res.set('Idempotent-Replayed', 'true');
    const { status, body } = outcome.response;
    // A write's answer always has a JSON body; anything else is left to Express's own rules.
    if (body === undefined || status === 204 || status === 205 || status === 304) res.status(status).json(body);
    else sendJson(req, res, status, body);
  };
}

/** `idempotentHandler` bound to one RunIdempotently, as a route file uses it for every route. */
export function idempotentVia(runIdempotently: RunIdempotently) {
  return <P = undefined>(work: IdempotentWork<P>, runsAs?: RunsAs, options?: IdempotentOptions<P, Actor>) => idempotentHandler(runIdempotently, work, runsAs, options);
}
