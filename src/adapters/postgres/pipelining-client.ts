import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import { holdSendsForThisTurn } from './held-sends.js';

/**
 * knex's PostgreSQL client, except that on a pipelining connection (node-postgres's pipeline
 * mode, DATABASE_PIPELINING) a transaction's BEGIN is sent without waiting for its answer: the
 * transaction's first statement rides on the same round trip. knex would otherwise wait for BEGIN
 * before running anything, one whole round trip per transaction for an answer that says nothing.
 *
 * knex has no option for this, so the client and its transaction are subclassed (knex supports a
 * client class as `client`). Only a plain BEGIN is sent this way; a savepoint (a nested knex
 * transaction) or an isolation level or READ ONLY goes through knex as before.
 *
 * Why not waiting is safe: PostgreSQL runs what one connection sends in order, so every statement
 * of the transaction runs after BEGIN. BEGIN itself fails only when the connection does (then
 * nothing behind it runs either); should it ever fail otherwise, the connection is closed so that
 * nothing else runs on it, and the statements already sent fail with it.
 */

interface PipelinedConnection {
  pipeline?: boolean;
  connection: { stream: { cork(): void; uncork(): void } };
  query(text: string): Promise<unknown>;
  end(): Promise<void>;
}

interface TransactionBase {
  isolationLevel?: string;
  readOnly?: boolean;
  begin(connection: PipelinedConnection): Promise<unknown>;
}

type TransactionClass = new (...args: unknown[]) => TransactionBase;
type ClientClass = new (config: Knex.Config) => { transaction(...args: unknown[]): unknown };

const require = createRequire(import.meta.url);
const PostgresClient = require('knex/lib/dialects/postgres/index.js') as ClientClass;
const PostgresTransaction = require('knex/lib/dialects/postgres/execution/pg-transaction.js') as TransactionClass;

class TransactionBegunWithoutWaiting extends PostgresTransaction {
  override begin(connection: PipelinedConnection): Promise<unknown> {
    if (connection.pipeline !== true || this.isolationLevel || this.readOnly) return super.begin(connection);
    // Held with the transaction's first statement: one socket write for both.
    holdSendsForThisTurn(connection);
    connection.query('BEGIN').catch(() => connection.end().catch(() => undefined));
    return Promise.resolve();
  }
}

export class PipeliningPostgresClient extends PostgresClient {
  override transaction(...args: unknown[]): unknown {
    return new TransactionBegunWithoutWaiting(this, ...args);
  }
}

/** For `knexFactory({ client: ... })`, whose types know only client names and knex's Client. */
export const pipeliningPostgresClient = PipeliningPostgresClient as unknown as typeof Knex.Client;
