// Loaded into the bench's service process with `node --import` (bench/statements.ts,
// `countStatementsArgs`): counts the SQL statements and round trips to PostgreSQL of every HTTP
// request, grouped by route, from outside the service's code. While counting, it wraps pg's
// Client#query (which knex calls for every statement, BEGIN and COMMIT included) and runs each
// request in an AsyncLocalStorage scope; a statement sent outside any request (the jobs: outbox
// relay, expiry, recovery) counts as "background".
//
// It loads idle and counts only when the bench asks, in a window of its own: the timed run whose
// CPU, rates and latencies the bench reports runs with the hook idle, so the hook's cost is not
// charged to the service (see `startCounting`). The bench talks to it at GET /__bench/statements,
// answered here before the service sees the request:
//   ?count=1  switch counting on (counts start again from zero); answers the counts so far
//   ?count=0  switch counting off (query wrapper removed, AsyncLocalStorage disabled)
//   ?reset=1  start the counts again from zero
// Every answer is the counts as they were when the request came (since the last reset), taken
// before any switch it asks for: `?reset=1&count=0` reads a window and ends it.
//
// A round trip is one exchange with PostgreSQL: one query() on a client, except that on a client
// in pipeline mode a query sent while others are still unanswered rides on their round trip.
// Statements: the SQL statements in the query's text (a simple query may hold several, `;`-separated).
import { AsyncLocalStorage } from 'node:async_hooks';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.cwd(), 'package.json'));
const pg = require('pg');

/**
 * The requests' scope, created on the first switch to counting and disabled when counting stops.
 * Never while idle: Node 20 runs every enabled AsyncLocalStorage on every promise and async
 * resource the process creates (the service has two of its own already), so an enabled one here
 * would add its propagation to every await of every request, which bench/cpu.ts charges to the
 * service (with the query wrapper, about 3.7% of the service's busy samples in a profile). An
 * AsyncLocalStorage is enabled by its first `run` and stays so until `disable()`.
 */
let scope = null;
let counting = false;

/** route -> { requests, statements, roundTrips, min, max, byStatus, sample } */
let routes = new Map();
let background = { statements: 0, roundTrips: 0, sample: [] };
let since = Date.now();

/** `POST /api/v1/orders/123/cancel?x=1` -> `POST /api/v1/orders/:id/cancel` */
const routeOf = (method, url) => `${method} ${(url ?? '').split('?')[0].replace(/\/\d+(?=\/|$)/g, '/:id')}`;

/** Statements in a query's text: `;`-separated parts outside quotes, comments and dollar quotes. */
function statementsIn(text) {
  const bare = text
    .replace(/\$([A-Za-z_]*)\$[\s\S]*?\$\1\$/g, "''")
    .replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"/g, "''")
    .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, ' ');
  return Math.max(1, bare.split(';').filter((part) => part.trim() !== '').length);
}

const originalQuery = pg.Client.prototype.query;
function countedQuery(config, ...rest) {
  const text = typeof config === 'string' ? config : typeof config?.text === 'string' ? config.text : '';
  const statements = text.includes(';') ? statementsIn(text) : 1;
  // In pipeline mode the oldest unanswered query is the client's _activeQuery, the rest wait in
  // _sentQueryQueue (sent) and _queryQueue (not yet sent).
  const unanswered = Boolean(this._activeQuery) || (this._sentQueryQueue?.length ?? 0) > 0 || (this._queryQueue?.length ?? 0) > 0;
  const joinsPipeline = Boolean(this.pipeline) && unanswered;
  const roundTrips = joinsPipeline ? 0 : 1;
  const request = scope?.getStore();
  if (request?.done) {
    // Sent after the answer (work the request left running): counted with its route, apart.
    const route = routes.get(request.route);
    if (route) {
      route.late.statements += statements;
      route.late.roundTrips += roundTrips;
    }
  } else {
    const into = request ?? background;
    into.statements += statements;
    into.roundTrips += roundTrips;
    if (into.sample.length < 100) into.sample.push(text);
  }
  return originalQuery.call(this, config, ...rest);
}

/**
 * Installed only now, not at load: while idle pg's own query runs, with no frame of ours. A request
 * already running when counting starts is not in a scope: its statements count as background, so
 * the bench switches counting on with no load in flight.
 */
function startCounting() {
  scope ??= new AsyncLocalStorage();
  pg.Client.prototype.query = countedQuery;
  counting = true;
}

/** Back to idle: pg's own query, and the scope disabled (no longer propagated on every promise). */
function stopCounting() {
  counting = false;
  pg.Client.prototype.query = originalQuery;
  scope?.disable();
}

function resetCounts() {
  routes = new Map();
  background = { statements: 0, roundTrips: 0, sample: [] };
  since = Date.now();
}

function finish(request, status) {
  request.done = true;
  let route = routes.get(request.route);
  if (!route) {
    route = { requests: 0, statements: 0, roundTrips: 0, min: Infinity, max: 0, byStatus: {}, late: { statements: 0, roundTrips: 0 }, sample: null, sampleStatus: 0 };
    routes.set(request.route, route);
  }
  route.requests++;
  route.statements += request.statements;
  route.roundTrips += request.roundTrips;
  route.min = Math.min(route.min, request.statements);
  route.max = Math.max(route.max, request.statements);
  const counts = (route.byStatus[status] ??= { requests: 0, statements: 0, roundTrips: 0 });
  counts.requests++;
  counts.statements += request.statements;
  counts.roundTrips += request.roundTrips;
  // The statements of one successful request (the latest), so one can read what a request sends.
  if (status < 300 || route.sample === null) {
    route.sample = request.sample;
    route.sampleStatus = status;
  }
  request.sample = null;
}

const oneLine = (sample) => sample?.map((text) => text.replace(/\s+/g, ' ').trim()) ?? null;

/** Samples in full, on one line each (the bench prints the first 60 characters). */
function report() {
  return {
    counting,
    since,
    until: Date.now(),
    routes: Object.fromEntries([...routes].map(([name, r]) => [name, { ...r, min: r.requests > 0 ? r.min : 0, sample: oneLine(r.sample) }])),
    background: { ...background, sample: oneLine(background.sample) },
  };
}

const originalEmit = http.Server.prototype.emit;
http.Server.prototype.emit = function emitInScope(event, req, res) {
  if (event !== 'request') return originalEmit.apply(this, arguments);
  if (req.url?.startsWith('/__bench/statements')) {
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    const body = JSON.stringify(report());
    if (query.get('reset') === '1') resetCounts();
    if (query.get('count') === '1') {
      resetCounts();
      startCounting();
    } else if (query.get('count') === '0') stopCounting();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return true;
  }
  // Idle: the request goes straight to the service, in no scope of ours.
  if (!counting) return originalEmit.apply(this, arguments);
  const request = { route: routeOf(req.method, req.url), statements: 0, roundTrips: 0, sample: [] };
  res.once('finish', () => finish(request, res.statusCode));
  return scope.run(request, () => originalEmit.apply(this, arguments));
};
