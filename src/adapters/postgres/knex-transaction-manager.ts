import pg from 'pg';
import type { Knex } from 'knex';
import type { TransactionManager } from '../../application/ports/transaction-manager.js';
import { TransactionScope } from '../transaction-scope.js';
import { holdSendsForThisTurn } from './held-sends.js';
import { knexOnConnection, TransactionAlreadyOver } from './knex-on-connection.js';
import { isAbortedTransaction } from './pg-errors.js';
import { numberedPlaceholders, prepared, runPrepared } from './prepared.js';

/** The part of knex's Client that hands out and takes back its pool's connections. */
interface Pool {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

/** Pipelined writes not yet answered, and the first of them that failed (as its statement's owner mapped it). */
interface PipelinedWrites {
  unanswered: Promise<void>[];
  failure: { error: unknown } | null;
}

interface OpenTransaction {
  /**
   * The transaction's node-postgres connection when this manager runs the transaction on it
   * itself (a PostgreSQL server); null when knex runs it (the embedded database).
   */
  client: pg.Client | null;
  /** The connection is in node-postgres's pipeline mode (DATABASE_PIPELINING). */
  pipelining: boolean;
  /** knex inside the transaction: knex's own transaction, or on a server one made on first use. */
  knex: Knex | null;
  /** The transaction's work is over: statements still made on it are refused. */
  over: boolean;
  writes: PipelinedWrites;
  afterCommit: (() => Promise<void>)[];
  afterRollback: (() => Promise<void>)[];
}

/** How long a ROLLBACK may take before the connection is given up on (knex's own figure). */
const ROLLBACK_TIMEOUT_MS = 5_000;

/**
 * Runs transactions and keeps the open one in AsyncLocalStorage, so repositories find it without
 * the use cases ever handling a connection.
 *
 * On a PostgreSQL server the transaction runs straight on a connection of knex's pool: BEGIN,
 * COMMIT and ROLLBACK are sent by this class and the written-out statements (`query`, `write`)
 * go to the connection directly. knex's transaction machinery (its transaction object, a knex
 * instance per transaction, a promise chain per statement) was about a tenth of the service's CPU
 * on the order path. knex inside the transaction (`connection()`) is made only when a repository
 * asks for its query builder. On the embedded database (PGlite, not node-postgres) knex runs the
 * transaction as before.
 */
export class KnexTransactionManager implements TransactionManager {
  private readonly current = new TransactionScope<OpenTransaction>(this);
  /** Whether the pool's connections are node-postgres clients; known after the first transaction. */
  private direct: boolean | null = null;
  /** Each fixed SQL text's name as the code gives it, and its statement name and numbered text (see `statement`). */
  private readonly fixedParts = new Map<string, { given: string; parts: { name: string; text: string } }>();

  constructor(readonly db: Knex) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.current.get()) return work();
    const open: OpenTransaction = {
      client: null,
      pipelining: false,
      knex: null,
      over: false,
      writes: { unanswered: [], failure: null },
      afterCommit: [],
      afterRollback: [],
    };
    const { writes } = open;
    let result: T;
    try {
      result = await (this.direct === false ? this.runWithKnex(open, work) : this.runDirectly(open, work));
      await Promise.all(writes.unanswered);
      // A pipelined write that failed aborted the transaction, so the COMMIT sent behind it
      // rolled everything back (PostgreSQL answers it with ROLLBACK, not with an error).
      if (writes.failure) throw writes.failure.error;
    } catch (error) {
      await Promise.all(writes.unanswered);
      for (const effect of open.afterRollback) await effect();
      // Statements after a failed pipelined write fail only because it did: report the cause.
      const cause = writes.failure;
      throw cause && (error === cause.error || isAbortedTransaction(error)) ? cause.error : error;
    }
    for (const effect of open.afterCommit) await effect();
    return result;
  }

  private async runDirectly<T>(open: OpenTransaction, work: () => Promise<T>): Promise<T> {
    const pool = this.db.client as Pool;
    const connection = await pool.acquireConnection();
    if (!(connection instanceof pg.Client)) {
      await pool.releaseConnection(connection);
      this.direct = false;
      return this.runWithKnex(open, work);
    }
    this.direct = true;
    open.client = connection;
    open.pipelining = (connection as { pipeline?: unknown }).pipeline === true;
    try {
      if (open.pipelining) {
        // Not waited for: the transaction's first statement rides on BEGIN's round trip, in the
        // same socket write. PostgreSQL runs what one connection sends in order, so everything
        // runs after BEGIN; BEGIN fails only when the connection does, and then so does all
        // that follows it. Should it ever fail otherwise, the connection is closed so nothing
        // runs outside the transaction.
        holdSendsForThisTurn(connection as unknown as Parameters<typeof holdSendsForThisTurn>[0]);
        connection.query('BEGIN').catch(() => connection.end().catch(() => undefined));
      } else {
        await connection.query('BEGIN');
      }
      let result: T;
      try {
        result = await this.current.run(open, work);
      } finally {
        // Work left running past the end must not send on a connection the pool may hand on.
        open.over = true;
      }
      await connection.query('COMMIT');
      return result;
    } catch (error) {
      open.over = true;
      await rollback(connection);
      throw error;
    } finally {
      await pool.releaseConnection(connection);
    }
  }

  private async runWithKnex<T>(open: OpenTransaction, work: () => Promise<T>): Promise<T> {
    return this.db.transaction(async (trx) => {
      open.knex = trx;
      try {
        return await this.current.run(open, work);
      } finally {
        open.over = true;
      }
    });
  }

  /**
   * Runs a fixed SQL text as a named prepared statement (`runPrepared`) and returns its rows: in
   * the open transaction straight on its connection, else on the pool.
   */
  async query<Row>(name: string, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]> {
    const open = this.current.get();
    if (open?.client) {
      if (open.over) throw new TransactionAlreadyOver();
      const result = await open.client.query<Row & pg.QueryResultRow>(this.statement(name, sql, bindings));
      return result.rows;
    }
    return open ? runPrepared<Row>(this.knexOf(open), name, sql, bindings) : this.queryOnPool<Row>(name, sql, bindings);
  }

  /**
   * The same statement on a connection of the pool, committed on its own, whatever transaction the
   * caller has open (an idempotency key's claim must be seen by its duplicates at once). On a
   * PostgreSQL server it goes straight to the connection, as a transaction's statements do; knex's
   * raw-query path around one statement cost about as much CPU as the statement's round trip.
   */
  async queryOnPool<Row>(name: string, sql: string, bindings: readonly Knex.RawBinding[]): Promise<Row[]> {
    if (this.direct !== true) return runPrepared<Row>(this.db, name, sql, bindings);
    const pool = this.db.client as Pool;
    const connection = (await pool.acquireConnection()) as pg.Client;
    try {
      const result = await connection.query<Row & pg.QueryResultRow>(this.statement(name, sql, bindings));
      return result.rows;
    } finally {
      await pool.releaseConnection(connection);
    }
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
    const client = open?.client;
    if (!open || !client || !open.pipelining) {
      try {
        await this.query(name, sql, bindings);
      } catch (error) {
        throw failureOf(error);
      }
      return;
    }
    if (open.over) throw new TransactionAlreadyOver();
    const { writes } = open;
    holdSendsForThisTurn(client as unknown as Parameters<typeof holdSendsForThisTurn>[0]);
    // Sent now, before this returns: statements the caller sends next queue behind it, in order.
    const answered = new Promise<void>((resolve) => {
      client.query(this.statement(name, sql, bindings), (error: Error | null) => {
        if (error && !writes.failure) writes.failure = { error: failureOf(error) };
        resolve();
      });
    });
    writes.unanswered.push(answered);
  }

  /**
   * A fixed SQL text as node-postgres's named prepared statement, its placeholders numbered.
   * node-postgres copies every query config it is given, property by property, through their
   * descriptors (utils.cloneQueryConfig, about 1.5% of the service's samples on the order path):
   * the name and text, the same on every call, are inherited from one object per statement, so
   * only `values` is the config's own and copied.
   */
  private statement(name: string, sql: string, bindings: readonly Knex.RawBinding[]): pg.QueryConfig {
    let fixed = this.fixedParts.get(sql);
    if (fixed === undefined || fixed.given !== name) {
      const made = { given: name, parts: { ...prepared(name), text: numberedPlaceholders(this.db, sql) } };
      // A second name for one text is not remembered: it must reach node-postgres as it is.
      if (fixed === undefined) this.fixedParts.set(sql, made);
      fixed = made;
    }
    const config = Object.create(fixed.parts) as pg.QueryConfig;
    // node-postgres only reads the values (to serialise them), so the caller's array is sent as it is.
    config.values = bindings as unknown[];
    return config;
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

  /** Whether a transaction is open here. */
  inTransaction(): boolean {
    return this.current.get() !== undefined;
  }

  /** knex in the open transaction, or the pool when there is none. */
  connection(): Knex {
    const open = this.current.get();
    return open ? this.knexOf(open) : this.db;
  }

  private knexOf(open: OpenTransaction): Knex {
    if (open.knex) return open.knex;
    const client = open.client;
    if (!client) throw new Error('a transaction run by knex has no knex transaction');
    open.knex = knexOnConnection(this.db, client, () => open.over);
    return open.knex;
  }
}

/**
 * Ends the transaction on `connection` after a failure. A connection that cannot (broken, or no
 * answer in time) is closed: knex marks it disposed and its pool drops it instead of handing it on
 * mid-transaction.
 */
async function rollback(connection: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      connection.query('ROLLBACK'),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer to ROLLBACK in ${ROLLBACK_TIMEOUT_MS} ms`)), ROLLBACK_TIMEOUT_MS);
      }),
    ]);
  } catch {
    await connection.end().catch(() => undefined);
  } finally {
    clearTimeout(timer);
  }
}
