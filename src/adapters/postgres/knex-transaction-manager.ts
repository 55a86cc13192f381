import type { Knex } from 'knex';
import type { TransactionManager } from '../../application/ports/transaction-manager.js';
import { TransactionScope } from '../transaction-scope.js';
import { holdSendsForThisTurn } from './held-sends.js';
import { isAbortedTransaction } from './pg-errors.js';
import { forgetConnection, numberedPlaceholders, prepared, registerConnection, runPrepared } from './prepared.js';

/** The part of node-postgres's Client a pipelined write uses. */
interface PipeliningClient {
  pipeline: true;
  connection: { stream: { cork(): void; uncork(): void } };
  query(config: { name: string; text: string; values: unknown[] }, callback: (error: Error | null) => void): void;
}

/** Pipelined writes not yet answered, and the first of them that failed (as its statement's owner mapped it). */
interface PipelinedWrites {
  unanswered: Promise<void>[];
  failure: { error: unknown } | null;
}

interface OpenTransaction {
  trx: Knex.Transaction;
  /** The transaction's connection when the pool pipelines (DATABASE_PIPELINING), else null. */
  pipeline: PipeliningClient | null;
  writes: PipelinedWrites;
  afterCommit: (() => Promise<void>)[];
  afterRollback: (() => Promise<void>)[];
}

const isPipelining = (connection: unknown): connection is PipeliningClient =>
  typeof connection === 'object' && connection !== null && (connection as { pipeline?: unknown }).pipeline === true;

/**
 * Keeps the open knex transaction in AsyncLocalStorage, so repositories find it without the use
 * cases ever handling a connection.
 */
export class KnexTransactionManager implements TransactionManager {
  private readonly current = new TransactionScope<OpenTransaction>(this);

  constructor(readonly db: Knex) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.get()) return work();
    const writes: PipelinedWrites = { unanswered: [], failure: null };
    const afterCommit: (() => Promise<void>)[] = [];
    const afterRollback: (() => Promise<void>)[] = [];
    let result: T;
    try {
      result = await this.db.transaction(async (trx) => {
        const connection: unknown = await trx.client.acquireConnection();
        registerConnection(trx, connection);
        const open: OpenTransaction = { trx, pipeline: isPipelining(connection) ? connection : null, writes, afterCommit, afterRollback };
        try {
          return await this.current.run(open, work);
        } finally {
          // Work left running past the end must not send on a connection the pool may have
          // handed to another transaction: it goes through knex, which refuses it.
          open.pipeline = null;
          forgetConnection(trx);
        }
      });
      await Promise.all(writes.unanswered);
      // A pipelined write that failed aborted the transaction, so the COMMIT sent behind it
      // rolled everything back (PostgreSQL answers it with ROLLBACK, not with an error).
      if (writes.failure) throw writes.failure.error;
    } catch (error) {
      await Promise.all(writes.unanswered);
      for (const effect of afterRollback) await effect();
      // Statements after a failed pipelined write fail only because it did: report the cause.
      const cause = writes.failure;
      throw cause && (error === cause.error || isAbortedTransaction(error)) ? cause.error : error;
    }
    for (const effect of afterCommit) await effect();
    return result;
  }

  /**
   * A write nothing in the transaction reads the answer of (an outbox row, a guarded save whose
   * guard raises when it matches nothing): inside a transaction on a pipelining connection it is
   * sent at once and not waited for, so it shares its round trip with the statements sent after
   * it, COMMIT included. Its failure (mapped by `failureOf`) fails the transaction: the next
   * statement finds it aborted, and run() reports this failure. Anywhere else it runs and is
   * waited for like any statement.
   */
  async write(name: string, sql: string, bindings: readonly Knex.RawBinding[], failureOf: (error: unknown) => unknown = (e) => e): Promise<void> {
    const open = this.current.get();
    if (!open?.pipeline) {
      try {
        await runPrepared(this.connection(), name, sql, bindings);
      } catch (error) {
        throw failureOf(error);
      }
      return;
    }
    const { pipeline: client, writes } = open;
    holdSendsForThisTurn(client);
    // Sent now, before this returns: statements the caller sends next queue behind it, in order.
    const answered = new Promise<void>((resolve) => {
      client.query({ ...prepared(name), text: numberedPlaceholders(this.db, sql), values: [...bindings] }, (error) => {
        if (error && !writes.failure) writes.failure = { error: failureOf(error) };
        resolve();
      });
    });
    writes.unanswered.push(answered);
  }

  async afterCommit(effect: () => Promise<void>): Promise<void> {
    const open = this.current.get();
    if (open) open.afterCommit.push(effect);
    else await effect();
  }

  async afterRollback(effect: () => Promise<void>): Promise<void> {
    const open = this.current.get();
    if (open) open.afterRollback.push(effect);
    else await effect();
  }

  /** The open transaction, or the pool when there is none. */
  connection(): Knex {
    return this.current.get()?.trx ?? this.db;
  }
}
