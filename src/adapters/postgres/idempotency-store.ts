import type {
  IdempotencyClaim,
  IdempotencyScope,
  IdempotencyStore,
  IdempotencyTimings,
  StoredResponse,
} from '../../application/ports/idempotency-store.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';

interface KeyRow {
  user_id: number;
  key: string;
  fingerprint: string;
  state: 'IN_PROGRESS' | 'COMPLETED';
  response_status: number | null;
  response_body: unknown;
}

export class PostgresIdempotencyStore implements IdempotencyStore {
  constructor(
    private readonly tx: KnexTransactionManager,
    private readonly timings: IdempotencyTimings,
  ) {}

  async claim(scope: IdempotencyScope, fingerprint: string, now: Date): Promise<IdempotencyClaim> {
    // Committed on its own (on the pool, never in the caller's transaction) so duplicates see the
    // claim. A key already there is taken over only when it has expired, or when its request's
    // lease ran out while IN_PROGRESS (a crash): the conflict's WHERE, so two takers never both win.
    const claimed = await this.tx.queryOnPool(
      'idempotency_claim',
      `INSERT INTO idempotency_keys (user_id, key, fingerprint, state, response_status, response_body, locked_until, expires_at, created_at)
       VALUES (?, ?, ?, 'IN_PROGRESS', NULL, NULL, ?, ?, ?)
       ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, state = EXCLUDED.state, response_status = NULL,
         response_body = NULL, locked_until = EXCLUDED.locked_until, expires_at = EXCLUDED.expires_at, created_at = EXCLUDED.created_at
       WHERE idempotency_keys.expires_at < ? OR (idempotency_keys.state = 'IN_PROGRESS' AND idempotency_keys.locked_until < ?)
       RETURNING user_id`,
      [scope.userId, scope.key, fingerprint, new Date(now.getTime() + this.timings.leaseMs), new Date(now.getTime() + this.timings.retentionMs), now, now, now],
    );
    if (claimed.length > 0) return { kind: 'claimed' };

    const [row] = await this.tx.queryOnPool<KeyRow>(
      'idempotency_read',
      'SELECT fingerprint, state, response_status, response_body FROM idempotency_keys WHERE user_id = ? AND key = ?',
      [scope.userId, scope.key],
    );
    // Gone between the two statements (purged): the caller may simply try again.
    if (!row) return { kind: 'in-progress' };
    if (row.fingerprint !== fingerprint) return { kind: 'mismatch' };
    if (row.state === 'IN_PROGRESS') return { kind: 'in-progress' };
    return {
      kind: 'replay',
      response: { status: row.response_status ?? 200, body: row.response_body },
    };
  }

  async complete(scope: IdempotencyScope, response: StoredResponse): Promise<void> {
    // Pipelined (KnexTransactionManager.write): written with the work's change, it rides on
    // COMMIT's round trip instead of one of its own; should it fail, the transaction does.
    await this.tx.write(
      'idempotency_complete',
      "UPDATE idempotency_keys SET state = 'COMPLETED', response_status = ?, response_body = ? WHERE user_id = ? AND key = ?",
      [response.status, JSON.stringify(response.body ?? null), scope.userId, scope.key],
    );
  }

  async release(scope: IdempotencyScope): Promise<void> {
    await this.tx.db('idempotency_keys').where({ user_id: scope.userId, key: scope.key, state: 'IN_PROGRESS' }).delete();
  }

  async purgeExpired(now: Date): Promise<number> {
    // The count from RETURNING: the embedded driver does not report a DELETE's row count.
    const purged = await this.tx.db('idempotency_keys').where('expires_at', '<', now).delete().returning('user_id');
    return purged.length;
  }
}
