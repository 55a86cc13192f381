import { pathToFileURL } from 'node:url';
import path from 'node:path';
import { LoadClient } from './load.js';

/**
 * Statement and round-trip counts per HTTP request, taken in the service's process by
 * bench/statements-hook.mjs (loaded with `node --import`): the service's code is not touched.
 * The hook loads idle; it counts between `readStatements(url, { count: true })` and
 * `readStatements(url, { count: false })`, so that a timed run outside that window pays nothing for it.
 */
export const countStatementsArgs = (): string[] => ['--import', pathToFileURL(path.resolve('bench/statements-hook.mjs')).href];

interface Counts {
  requests: number;
  statements: number;
  roundTrips: number;
}

interface RouteCounts extends Counts {
  min: number;
  max: number;
  byStatus: Record<string, Counts>;
  late: { statements: number; roundTrips: number };
  sample: string[] | null;
  sampleStatus: number;
}

export interface StatementReport {
  /** Whether the hook was counting when asked (before any switch the request asked for). */
  counting?: boolean;
  since: number;
  until: number;
  routes: Record<string, RouteCounts>;
  background: { statements: number; roundTrips: number; sample: string[] };
}

/**
 * The counts since the last reset, as they were before what is asked: `reset` starts them again
 * from zero; `count` switches counting on (from zero) or off.
 */
export async function readStatements(url: string, { reset = false, count }: { reset?: boolean; count?: boolean } = {}): Promise<StatementReport> {
  const client = new LoadClient(url, 1);
  const asked = new URLSearchParams();
  if (reset) asked.set('reset', '1');
  if (count !== undefined) asked.set('count', count ? '1' : '0');
  const query = asked.toString();
  try {
    const answer = await client.send({ method: 'GET', path: `/__bench/statements${query ? `?${query}` : ''}` });
    if (answer.status !== 200) throw new Error(`GET /__bench/statements: ${answer.status} (is bench/statements-hook.mjs loaded?)`);
    return JSON.parse(answer.body) as StatementReport;
  } finally {
    client.close();
  }
}

/** The reports of several instances of the service, added up (samples: the first instance's that has one). */
export function mergeStatements(reports: StatementReport[]): StatementReport {
  const merged: StatementReport = { since: Infinity, until: 0, routes: {}, background: { statements: 0, roundTrips: 0, sample: [] } };
  const add = (into: Counts, from: Counts) => {
    into.requests += from.requests;
    into.statements += from.statements;
    into.roundTrips += from.roundTrips;
  };
  for (const report of reports) {
    merged.since = Math.min(merged.since, report.since);
    merged.until = Math.max(merged.until, report.until);
    merged.background.statements += report.background.statements;
    merged.background.roundTrips += report.background.roundTrips;
    if (merged.background.sample.length === 0) merged.background.sample = report.background.sample;
    for (const [name, route] of Object.entries(report.routes)) {
      const into = (merged.routes[name] ??= {
        requests: 0,
        statements: 0,
        roundTrips: 0,
        min: Infinity,
        max: 0,
        byStatus: {},
        late: { statements: 0, roundTrips: 0 },
        sample: null,
        sampleStatus: 0,
      });
      add(into, route);
      into.min = Math.min(into.min, route.min);
      into.max = Math.max(into.max, route.max);
      into.late.statements += route.late.statements;
      into.late.roundTrips += route.late.roundTrips;
      for (const [status, counts] of Object.entries(route.byStatus)) add((into.byStatus[status] ??= { requests: 0, statements: 0, roundTrips: 0 }), counts);
      if (!into.sample || (into.sampleStatus >= 300 && route.sampleStatus < 300)) {
        into.sample = route.sample;
        into.sampleStatus = route.sampleStatus;
      }
    }
  }
  return merged;
}

const per = (n: number, d: number) => (d > 0 ? n / d : 0);
const fixed = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(2));

/**
 * `create (POST /api/v1/orders): 9 statements in 9 round trips per 201 (1,234 requests; 8-9 per request)`,
 * one line per named route, then the background jobs' statements per `unitName`; with `explain`,
 * the first 60 characters of each statement of one successful request of each route.
 */
export function describeStatements(report: StatementReport, named: Record<string, string>, units: number, unitName: string, explain: boolean): string[] {
  const lines: string[] = [];
  for (const [label, routeName] of Object.entries(named)) {
    const route = report.routes[routeName];
    if (!route) {
      lines.push(`  ${label} (${routeName}): no requests counted`);
      continue;
    }
    const ok = Object.entries(route.byStatus).filter(([status]) => Number(status) < 300);
    const okCounts = ok.reduce((a, [, c]) => ({ requests: a.requests + c.requests, statements: a.statements + c.statements, roundTrips: a.roundTrips + c.roundTrips }), {
      requests: 0,
      statements: 0,
      roundTrips: 0,
    });
    const others = Object.entries(route.byStatus)
      .filter(([status]) => Number(status) >= 300)
      .map(([status, c]) => `${status}: ${fixed(per(c.statements, c.requests))} statements (${c.requests})`);
    lines.push(
      `  ${label} (${routeName}): ${fixed(per(okCounts.statements, okCounts.requests))} statements (${fixed(per(okCounts.roundTrips, okCounts.requests))} round trips) per ${ok.map(([s]) => s).join('/') || 'success'}` +
        ` over ${okCounts.requests} requests; ${route.min}-${route.max} per request` +
        (others.length > 0 ? `; ${others.join(', ')}` : '') +
        (route.late.statements > 0 ? `; ${route.late.statements} more sent after answering` : ''),
    );
  }
  const { background } = report;
  lines.push(
    `  background jobs (no request): ${background.statements} statements (${background.roundTrips} round trips) in ${((report.until - report.since) / 1000).toFixed(1)} s` +
      (units > 0 ? ` = ${fixed(per(background.statements, units))} per ${unitName}` : ''),
  );
  if (explain) {
    for (const [label, routeName] of Object.entries(named)) {
      const route = report.routes[routeName];
      if (!route?.sample) continue;
      lines.push(`  statements of one ${label} (${routeName}, answered ${route.sampleStatus}):`);
      route.sample.forEach((sql, i) => lines.push(`    ${String(i + 1).padStart(2)}. ${sql.slice(0, 60)}`));
    }
    if (background.sample.length > 0) {
      const kinds = new Map<string, number>();
      for (const sql of background.sample.map((text) => text.slice(0, 60))) kinds.set(sql, (kinds.get(sql) ?? 0) + 1);
      lines.push(`  background statements (the first ${background.sample.length}, by kind):`);
      for (const [sql, n] of [...kinds].sort((a, b) => b[1] - a[1])) lines.push(`    ${String(n).padStart(3)} x ${sql}`);
    }
  }
  return lines;
}
