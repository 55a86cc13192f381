import { expect } from 'chai';
import type { Knex } from 'knex';
import { CLAIM_SQL } from '../../src/adapters/postgres/outbox-store.js';
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

  describe("the relay's claim", function () {
    interface PlanNode {
      'Node Type': string;
      'Actual Rows'?: number;
      'Actual Loops'?: number;
      'Rows Removed by Filter'?: number;
      'Rows Removed by Join Filter'?: number;
      Plans?: PlanNode[];
    }

    /** Every row each node of the plan produced or looked at and dropped, over all its loops. */
    const rowsHandled = (node: PlanNode): number =>
      ((node['Actual Rows'] ?? 0) + (node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Join Filter'] ?? 0)) * (node['Actual Loops'] ?? 1) +
      (node.Plans ?? []).reduce((sum, child) => sum + rowsHandled(child), 0);

    /**
     * The claim of 100 run (and rolled back) on a table of its own: `orders` orders with two unsent
     * events each, in a temporary outbox_events that hides the real one, analysed while empty (a
     * young table's statistics). `settings` take the planner's choices away.
     */
    const claimOnAFreshTable = async (sql: string, orders: number, settings: string[]): Promise<{ claimed: number; handled: number }> => {
      const trx = await db.transaction();
      try {
        await trx.raw('CREATE TEMPORARY TABLE outbox_events (LIKE public.outbox_events INCLUDING ALL) ON COMMIT DROP');
        await trx.raw('ANALYZE pg_temp.outbox_events');
        await trx.raw(
          `INSERT INTO pg_temp.outbox_events (type, aggregate_type, aggregate_id, payload, next_attempt_at, occurred_at)
           SELECT t, 'Order', o, '{}'::jsonb, now() - interval '1 second', now()
           FROM generate_series(1, ?::int) o, unnest(ARRAY['OrderCreated', 'PaymentCompleted']) t ORDER BY o, t`,
          [orders],
        );
        for (const setting of settings) await trx.raw(`SET LOCAL ${setting}`);
        const now = new Date();
        const result = (await trx.raw(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, [now, 100, new Date(now.getTime() + 60_000)])) as {
          rows: { 'QUERY PLAN': { Plan: PlanNode }[] }[];
        };
        const plan = result.rows[0]!['QUERY PLAN'][0]!.Plan;
        return { claimed: plan['Actual Rows'] ?? 0, handled: rowsHandled(plan) };
      } finally {
        await trx.rollback();
      }
    };

    // Nested loops over plain scans: the plan a planner that takes every table for one row may pick.
    const WORST_PLAN = ['enable_hashjoin = off', 'enable_mergejoin = off', 'enable_indexscan = off', 'enable_bitmapscan = off', 'enable_material = off'];

    it('handles rows in proportion to the backlog, not to the backlog times the candidates, whatever plan the planner picks', async function () {
      for (const settings of [[], WORST_PLAN]) {
        const small = await claimOnAFreshTable(CLAIM_SQL, 300, settings);
        const large = await claimOnAFreshTable(CLAIM_SQL, 1_200, settings);
        // Both claim 100: each order's two events are next to each other, so the claim holds both.
        expect([small.claimed, large.claimed]).to.deep.equal([100, 100]);
        // Four times the backlog: at most about four times the rows (a claim asking for each
        // candidate through the whole backlog handled some 100 rows per unsent event).
        expect(large.handled, `${settings.join(', ') || 'the planner\'s own choice'}: ${small.handled} rows for 600 events, ${large.handled} for 2,400`).to.be.below(10 * 2_400);
        expect(large.handled).to.be.below(small.handled * 5);
      }
    });
  });
});
