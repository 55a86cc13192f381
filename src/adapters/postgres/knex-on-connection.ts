import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type { Knex } from 'knex';

/** The parts of knex's Client (lib/client.js) a knex bound to one connection replaces. */
interface PooledClient extends EventEmitter {
  transacting?: boolean;
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
}

const require = createRequire(import.meta.url);
// knex's own factory of knex instances (what `knex(config)` and knex's transactions call).
const makeKnex = require('knex/lib/knex-builder/make-knex.js') as (client: PooledClient) => Knex;

/** What a statement made after its transaction ended gets (knex's own message for the same mistake). */
export class TransactionAlreadyOver extends Error {
  constructor() {
    super('Transaction query already complete: the transaction this work ran in has ended');
    this.name = 'TransactionAlreadyOver';
  }
}

/**
 * A knex whose every query runs on `connection`, a connection of `db`'s pool held by a
 * transaction KnexTransactionManager opened itself: knex's query builder inside that transaction,
 * for the statements that are not written out. It is what knex's own transaction client is
 * (lib/execution/transaction.js, makeTxClient) without BEGIN, COMMIT and the bookkeeping the
 * manager does itself. Made only when a repository asks for knex inside a transaction, which
 * the hot paths (ordering, paying) never do: there the transaction costs no knex at all.
 *
 * Once `isOver()`, every query is refused, so work left running past the end cannot send on a
 * connection the pool has handed on.
 */
export function knexOnConnection(db: Knex, connection: unknown, isOver: () => boolean): Knex {
  const pooled = db.client as PooledClient;
  const client = Object.create(pooled) as PooledClient;
  // Listeners of its own: without this, the pass-through listeners makeKnex adds would land on the
  // pool's client (inherited listener table) and stay there, four per transaction, forever.
  Reflect.apply(EventEmitter, client, []);
  // What it runs is still announced where knex's own transactions announce it: on the pool's client.
  for (const event of ['start', 'query', 'query-error', 'query-response']) {
    client.on(event, (...args: unknown[]) => pooled.emit(event, ...args));
  }
  // A nested knex transaction on it is a savepoint, as on knex's own transactions.
  client.transacting = true;
  client.acquireConnection = async () => {
    if (isOver()) throw new TransactionAlreadyOver();
    return connection;
  };
  client.releaseConnection = async () => undefined;
  return makeKnex(client);
}
