import { expect } from 'chai';
import type { Knex } from 'knex';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';

/**
 * Migration 0017 keeps the outbox's status index for unsent rows only. These check that what asks
 * by status can still use it: the operators' list by status, its count and the backlog gauge's
 * query (each as knex sends it, with the values bound). Sequential scans are switched off for the
 * question, so the answer is whether the index serves, not what the planner prefers on a small
 * table.
 */
describe('outbox indexes (PostgreSQL)', function () {
  let database: TestDatabase;
  let db: Knex;

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
    db = database.db;
  });

  const indexesUsedBy = async (query: Knex.QueryBuilder): Promise<string[]> =>
    db.transaction(async (trx) => {
      await trx.raw('SET LOCAL enable_seqscan = off');
      const { sql, bindings } = query.toSQL();
      const result = (await trx.raw(`EXPLAIN (FORMAT JSON) ${sql}`, bindings as Knex.RawBinding[])) as { rows: { 'QUERY PLAN': unknown }[] };
      return [...JSON.stringify(result.rows[0]?.['QUERY PLAN']).matchAll(/"Index Name":"([^"]+)"/g)].map((m) => m[1] as string);
    });

  for (const status of ['PENDING', 'PROCESSING', 'FAILED', 'ALERTED']) {
    it(`the list of ${status} events and its count use the unsent rows' status index`, async function () {
      expect(await indexesUsedBy(db('outbox_events').where('status', status).orderBy('seq', 'desc').limit(20))).to.include('outbox_events_unsent_by_status');
      expect(await indexesUsedBy(db('outbox_events').where('status', status).count({ n: '*' }))).to.include('outbox_events_unsent_by_status');
    });
  }

  it("the backlog gauge's query uses it", async function () {
    const backlog = db('outbox_events')
      .select('status')
      .count({ n: '*' })
      .min({ oldest: 'occurred_at' })
      .whereIn('status', ['PENDING', 'PROCESSING', 'FAILED', 'ALERTED'])
      .groupBy('status');
    expect(await indexesUsedBy(backlog)).to.include('outbox_events_unsent_by_status');
  });

  it('the two full indexes nothing read are gone', async function () {
    const rows = (await db.raw("SELECT indexname FROM pg_indexes WHERE tablename = 'outbox_events'")) as { rows: { indexname: string }[] };
    const names = rows.rows.map((r) => r.indexname);
    expect(names).to.not.include('outbox_events_by_aggregate');
    expect(names).to.not.include('outbox_events_by_status');
    expect(names).to.include.members(['outbox_events_unsent_by_status', 'outbox_events_unsent_by_aggregate', 'outbox_events_claimable']);
  });
});
