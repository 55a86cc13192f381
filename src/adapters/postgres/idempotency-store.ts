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
    // Committed on its own (the pool, never the caller's transaction) so duplicates see the claim.
    const db = this.tx.db;
    const fresh = {
      user_id: scope.userId,
      key: scope.key,
      fingerprint,
      state: 'IN_PROGRESS',
      response_status: null,
      response_body: null,
      locked_until: new Date(now.getTime() + this.timings.leaseMs),
      expires_at: new Date(now.getTime() + this.timings.retentionMs),
      created_at: now,
    };
    const claimed = await db('idempotency_keys')
      .insert(fresh)
      .onConflict(['user_id', 'key'])
      .merge()
      .whereRaw(
        'idempotency_keys.expires_at < ? OR (idempotency_keys.state = ? AND idempotency_keys.locked_until < ?)',
        [now, 'IN_PROGRESS', now],
      )
      .returning('user_id');
    if (claimed.length > 0) return { kind: 'claimed' };

    const row = await db<KeyRow>('idempotency_keys').where({ user_id: scope.userId, key: scope.key }).first();
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
    await this.tx
      .connection()('idempotency_keys')
      .where({ user_id: scope.userId, key: scope.key })
      .update({
        state: 'COMPLETED',
        response_status: response.status,
        response_body: JSON.stringify(response.body ?? null),
      });
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
