import { ConcurrentModification } from '../../domain/shared/errors.js';

/** PostgreSQL error fields, as both node-postgres and PGlite report them. */
interface PgError {
  code?: string;
  constraint?: string;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as PgError | null;
  return e?.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

const UNREACHABLE_NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH']);

/** True when the error says the database cannot be reached, rather than that a query was wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as (PgError & { name?: string; message?: string }) | null;
  if (!e || typeof e !== 'object') return false;
  if (e.name === 'KnexTimeoutError') return true;
  if (e.code && UNREACHABLE_NETWORK_CODES.has(e.code)) return true;
  // 08xxx: connection exceptions; 57P01-57P03: the server is shutting down or starting.
  if (e.code && (e.code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(e.code))) return true;
  return /Connection terminated|connect ECONNREFUSED/i.test(e.message ?? '');
}

/** 25P02: a statement sent into a transaction an earlier statement already failed. */
export function isAbortedTransaction(error: unknown): boolean {
  return (error as PgError | null)?.code === '25P02';
}

/** P0002, raised by guard_matched() (migration 0016): a guarded write matched no row. */
export function isUnmatchedGuard(error: unknown): error is Error {
  return (error as PgError | null)?.code === 'P0002';
}

/**
 * What a guard_matched() refusal says. knex puts the statement in front of the database's message
 * (`<sql> - <message>`) when it ran the statement; node-postgres called directly does not.
 */
export function guardRefusal(error: Error): string {
  const at = error.message.lastIndexOf(' - ');
  return at >= 0 ? error.message.slice(at + 3) : error.message;
}

/** For a versioned save: its guard matching nothing means another transaction saved the row first. */
export const concurrentModificationWhenUnmatched = (error: unknown): unknown =>
  isUnmatchedGuard(error) ? new ConcurrentModification(guardRefusal(error)) : error;
