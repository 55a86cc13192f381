// Loaded into the bench's service process with `node --import` (bench/server.ts, `countStatements`):
// counts the SQL statements and round trips to PostgreSQL of every HTTP request, grouped by route,
// from outside the service's code. It wraps pg's Client#query (which knex calls for every
// statement, BEGIN and COMMIT included) and runs each request in an AsyncLocalStorage scope; a
// statement sent outside any request (the jobs: outbox relay, expiry, recovery) counts as
// "background". The bench reads and resets the counts at GET /__bench/statements[?reset=1],
// answered here before the service sees the request.
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

const scope = new AsyncLocalStorage();

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
pg.Client.prototype.query = function countedQuery(config, ...rest) {
  const text = typeof config === 'string' ? config : typeof config?.text === 'string' ? config.text : '';
  const statements = text.includes(';') ? statementsIn(text) : 1;
  // In pipeline mode the oldest unanswered query is the client's _activeQuery, the rest wait in
  // _sentQueryQueue (sent) and _queryQueue (not yet sent).
  const unanswered = Boolean(this._activeQuery) || (this._sentQueryQueue?.length ?? 0) > 0 || (this._queryQueue?.length ?? 0) > 0;
  const joinsPipeline = Boolean(this.pipeline) && unanswered;
  const roundTrips = joinsPipeline ? 0 : 1;
  const request = scope.getStore();
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
};

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
    const body = JSON.stringify(report());
    if (req.url.includes('reset=1')) {
      routes = new Map();
      background = { statements: 0, roundTrips: 0, sample: [] };
      since = Date.now();
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    return true;
  }
  const request = { route: routeOf(req.method, req.url), statements: 0, roundTrips: 0, sample: [] };
  res.once('finish', () => finish(request, res.statusCode));
  return scope.run(request, () => originalEmit.apply(this, arguments));
};
