/**
 * The dependency rule of docs/ARCHITECTURE.md, checked by dependency-cruiser: per layer and per
 * bounded context. test/unit/architecture.test.ts runs it on src/ (so CI fails on a violation);
 * by hand: `npx depcruise src` (add `--output-type text` to list every import it sees).
 *
 * Paths are relative to the repository root. Rule names are what a failure prints, with the
 * importing file and the imported one.
 */

/** The bounded contexts: a context's domain folder and the application folders that serve it. */
const CONTEXTS = {
  catalog: ['src/domain/catalog', 'src/application/catalog'],
  coupon: ['src/domain/coupon', 'src/application/coupons'],
  ordering: ['src/domain/ordering', 'src/application/ordering'],
  sales: ['src/domain/sales', 'src/application/sales'],
  // Accounts and signing in are one context: both are about the User aggregate.
  user: ['src/domain/user', 'src/application/users', 'src/application/auth'],
  wallet: ['src/domain/wallet', 'src/application/wallet'],
  // Application services with no domain of their own.
  outbox: ['src/application/outbox'],
  idempotency: ['src/application/idempotency'],
  metrics: ['src/application/metrics'],
};

/**
 * Belong to no context; every context may import them:
 * - src/domain/shared is the shared kernel (domain errors, Clock, Page, allocation), small and
 *   changed with every context in mind;
 * - src/application/ports holds the ports the use cases need besides repositories (transactions,
 *   locks, cache, gateway, tokens...): technical capabilities several contexts share;
 * - src/application/shared holds the helpers several contexts' use cases share (writing a
 *   snapshot's named fields as JSON, for the API views and the integration events).
 */
const SHARED = ['src/domain/shared', 'src/application/ports', 'src/application/shared'];

/**
 * Published domain types: the only files of a context's domain that another context (or the
 * shared code) may import. Everything else of a context is reached through its application API.
 * - src/domain/user/actor.ts: who makes a request and the role checks on it (assertActsFor,
 *   assertRole). Every use case of every context authorizes against an Actor, and a coupon is
 *   claimed by one, so it is the user context's published language; going through the user
 *   context's use cases for it would only add a copy of the same two fields.
 * Domain code of one context importing another context's domain otherwise is NOT allowed: an
 * aggregate that needs another context's value takes a published type or a shared-kernel one,
 * never another context's repository port or aggregate. (domain/ordering/order.ts takes
 * StockLine from catalog's stock-repository.ts today: exempted below, to be removed.)
 */
const PUBLISHED = ['src/domain/user/actor.ts'];

/**
 * A context's application API is its application folder (src/application/<context>/): the use
 * cases and the views they return (e.g. catalog's product-view.ts, get-product.ts), and
 * published.ts, where the context re-exports what others may use of its domain (ports, types,
 * errors). Another context imports those, never the context's domain beyond PUBLISHED.
 */

/** Libraries that do I/O or belong to an adapter: the inner layers never import them (nor their @types). */
const IO_LIBRARIES = [
  'knex',
  'pg',
  'express',
  'ioredis',
  'redlock',
  '@sesamecare-oss/redlock',
  'winston',
  'inversify',
  'joi',
  'jsonwebtoken',
  'prom-client',
  'swagger-ui-express',
  '@electric-sql/pglite',
  'knex-pglite',
  'amqplib',
];

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const under = (folders) => `^(${folders.map(escape).join('|')})/`;
const exactly = (files) => `^(${files.map(escape).join('|')})$`;

/** One rule per context: from its folders into another context's domain (published types and the shared kernel excepted). */
const contextRules = Object.entries(CONTEXTS).map(([context, folders]) => ({
  name: `context-boundary-${context}`,
  comment:
    `The ${context} context uses another context only through that context's application API ` +
    `(src/application/<context>/), never its domain (only the published types and src/domain/shared).`,
  severity: 'error',
  from: { path: under(folders) },
  to: {
    path: '^src/domain/',
    pathNot: [under(folders.filter((f) => f.startsWith('src/domain/')).concat('src/domain/shared')), exactly(PUBLISHED)],
  },
}));

const allFolders = [...Object.values(CONTEXTS).flat(), ...SHARED];

/**
 * Imports that break a rule above today and are exempted one by one (rule, importing file,
 * imported file). Each is to be removed by changing src/, not by widening a rule; the test fails
 * when an exemption no longer matches an import, so a fixed one is taken out here too.
 */
const exempt = (rule, from, to) => ({ type: 'dependency', rule: { name: rule, severity: 'error' }, from, to });
// None today: each context publishes what others may use of its domain in
// src/application/<context>/published.ts, and the others import that file.
const EXEMPTIONS = [];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // The layers (ARCHITECTURE.md, "The dependency rule"): arrows point inwards only.
    {
      name: 'domain-imports-only-domain',
      comment: 'src/domain imports nothing of the outer layers (application, adapters, infrastructure) nor anything outside src/domain.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['local', 'aliased'], pathNot: '^src/domain/' },
    },
    {
      name: 'application-imports-only-domain-and-application',
      comment: 'src/application imports the domain and itself only: no adapters, no infrastructure, nothing outside src.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { dependencyTypes: ['local', 'aliased'], pathNot: '^src/(domain|application)/' },
    },
    {
      name: 'adapters-not-to-infrastructure',
      comment: 'Adapters implement ports; only the composition root (src/infrastructure) knows the configuration, clients and container.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/infrastructure/' },
    },
    {
      name: 'inner-layers-no-node-builtins',
      comment: 'Domain and application import no Node built-in module (fs, crypto, ...): I/O, time and ids come from ports.',
      severity: 'error',
      from: { path: '^src/(domain|application)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'inner-layers-no-io-libraries',
      comment: `Domain and application import no library with I/O or of an adapter: ${IO_LIBRARIES.join(', ')}.`,
      severity: 'error',
      from: { path: '^src/(domain|application)/' },
      to: { path: `(^|node_modules/)(@types/)?(${IO_LIBRARIES.map(escape).join('|')})(/|$)` },
    },

    // The bounded contexts.
    ...contextRules,
    {
      name: 'shared-code-depends-on-no-context',
      comment: 'The shared kernel and the shared ports import no context (only each other and the published types).',
      severity: 'error',
      from: { path: under(SHARED) },
      to: { path: '^src/(domain|application)/', pathNot: [under(SHARED), exactly(PUBLISHED)] },
    },
    {
      name: 'folder-in-no-context',
      comment: 'Every folder of src/domain and src/application is a context or shared (.dependency-cruiser.cjs CONTEXTS, SHARED), so the context rules see it.',
      severity: 'error',
      from: { path: '^src/(domain|application)/', pathNot: under(allFolders) },
      to: {},
    },

    // Hygiene.
    {
      name: 'no-circular',
      comment:
        'No import cycle in src that runs code. Cycles of type-only imports are allowed: they vanish when compiled, and an aggregate and its events describe each other (order.ts records OrderEvents, whose payload is an OrderSnapshot).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (a rule cannot judge an import it cannot resolve).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too (`import type { Knex } from 'knex'` in the domain breaks the rule).
    tsPreCompilationDeps: true,
    // The project's `.js`-suffixed NodeNext imports resolve to the `.ts` files.
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      // ESM-only packages (inversify, @electric-sql/pglite/contrib/*) resolve only through "exports".
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
    knownViolations: EXEMPTIONS,
  },
};
