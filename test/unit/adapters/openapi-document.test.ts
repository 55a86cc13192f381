import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Document, Spectral } from '@stoplight/spectral-core';
import * as Parsers from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { expect } from 'chai';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import { createHttpApp } from '../../../src/adapters/http/app.js';
import { openApiPath } from '../../../src/adapters/http/operation.js';
import { keysOf } from '../../../src/adapters/http/openapi/joi-schema.js';
import { MODULES, OPERATION_GROUPS, openApiDocument } from '../../../src/infrastructure/modules/index.js';

type JsonObject = Record<string, unknown>;
interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  $ref?: string;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

/** Anything asked of it is another of it: enough to build the app's routers without a service. */
function anything(): never {
  const target = function () {};
  const proxy: unknown = new Proxy(target, { get: (_t, key) => (key === 'then' ? undefined : proxy), apply: () => proxy });
  return proxy as never;
}

function appWithEveryRoute(): Express {
  return createHttpApp({
    routers: MODULES.flatMap((module) => module.routes(anything())),
    openApi: openApiDocument,
    health: anything(),
    logger: anything(),
    metrics: new Registry(),
    // Every optional route on: /metrics is on the main port unless METRICS_PORT moves it.
    metricsExposure: { onMainPort: true, token: null },
    inputLimits: { maxDepth: 0, maxEntries: 0 },
    isDatabaseUnavailable: () => false,
    trustProxy: 0,
  });
}

interface Layer {
  name: string;
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  /** A router's own layers, or (the API's mount, app.ts) the routers it enters. */
  handle: { stack?: Layer[]; routers?: { stack: Layer[] }[] };
}

/** `GET /api/v1/orders/{orderId}` for every route Express would answer, however it was registered. */
function registeredRoutes(app: Express): Set<string> {
  const found = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          if (method !== '_all') found.add(`${method.toUpperCase()} ${prefix}${openApiPath(layer.route.path)}`);
        }
      } else if ((layer.name === 'router' && layer.handle.stack) || layer.handle.routers) {
        const mountedAt = prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '');
        for (const stack of layer.handle.routers?.map((router) => router.stack) ?? [layer.handle.stack!]) walk(stack, mountedAt);
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '');
  return found;
}

const paths = openApiDocument.paths as Record<string, Record<string, JsonObject>>;
const components = openApiDocument.components as Record<string, Record<string, JsonObject>>;

function documentedOperations(): Map<string, JsonObject> {
  const operations = new Map<string, JsonObject>();
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) if (item[method]) operations.set(`${method.toUpperCase()} ${path}`, item[method]!);
  }
  return operations;
}

function parametersOf(operation: JsonObject): Parameter[] {
  return ((operation['parameters'] ?? []) as Parameter[]).map((p) =>
    p.$ref ? (components['parameters']![p.$ref.split('/').pop()!] as unknown as Parameter) : p,
  );
}

describe('the OpenAPI document (built from the routes\' declarations)', function () {
  this.timeout(60_000);

  it('documents exactly the routes the app registers, however they were registered', function () {
    const registered = registeredRoutes(appWithEveryRoute());
    const documented = new Set(documentedOperations().keys());
    expect([...registered].filter((r) => !documented.has(r)), 'registered, not documented').to.deep.equal([]);
    expect([...documented].filter((r) => !registered.has(r)), 'documented, not registered').to.deep.equal([]);
  });

  it('gives each operation the path and query parameters its validation takes, and a body exactly when it validates one', function () {
    const documented = documentedOperations();
    for (const { prefix, operations } of OPERATION_GROUPS) {
      for (const op of operations) {
        const key = `${op.method.toUpperCase()} ${prefix}${openApiPath(op.path)}`;
        const operation = documented.get(key);
        expect(operation, key).to.not.equal(undefined);
        const parameters = parametersOf(operation!);
        const named = (location: string) =>
          parameters
            .filter((p) => p.in === location)
            .map((p) => p.name)
            .sort();
        expect(named('path'), `${key} path`).to.deep.equal(op.params ? keysOf(op.params).map((k) => k.name).sort() : []);
        expect(named('query'), `${key} query`).to.deep.equal(op.query ? keysOf(op.query).map((k) => k.name).sort() : []);
        expect(named('header').includes('Idempotency-Key'), `${key} Idempotency-Key`).to.equal(op.idempotent === true);
        expect(operation!['requestBody'] !== undefined, `${key} body`).to.equal(op.body !== undefined);
      }
    }
  });

  it('answers every operation with 400 (any request may carry refused input), every Bearer one with 401 and every bodied one with 413 and 415', function () {
    for (const { prefix, operations } of OPERATION_GROUPS) {
      for (const op of operations) {
        const responses = paths[prefix + openApiPath(op.path)]![op.method]!['responses'] as JsonObject;
        const key = `${op.method} ${op.path}`;
        expect(responses, key).to.have.property('400');
        if ((op.auth ?? 'bearer') === 'bearer') expect(responses, key).to.have.property('401');
        if (op.body) expect(responses, key).to.include.keys('413', '415');
      }
    }
  });

  it('lints with no errors in Redocly (recommended rules)', async function () {
    const config = await createConfig({ extends: ['recommended'] });
    const problems = await lintFromString({ source: JSON.stringify(openApiDocument), absoluteRef: '/openapi.json', config });
    const errors = problems.filter((p) => p.severity === 'error').map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer}`);
    expect(errors).to.deep.equal([]);
  });

  it('lints with no errors in Spectral (spectral:oas)', async function () {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
    const results = await spectral.run(new Document(JSON.stringify(openApiDocument), Parsers.Json, '/openapi.json'));
    // Severity 0 is an error.
    const errors = results.filter((r) => r.severity === 0).map((r) => `${r.code}: ${r.message} at ${r.path.join('.')}`);
    expect(errors).to.deep.equal([]);
  });

  describe('Swagger UI\'s "Try it out" does not replay one request into the next', function () {
    it('has no example Idempotency-Key to send twice', function () {
      const key = components['parameters']!['IdempotencyKey']!;
      expect(key).to.not.have.property('example');
      expect(key).to.not.have.property('examples');
    });

    it('pre-fills no request body with a requestId', function () {
      for (const [key, operation] of documentedOperations()) {
        const content = (operation['requestBody'] as { content?: Record<string, JsonObject> } | undefined)?.content;
        for (const media of Object.values(content ?? {})) {
          expect(media, key).to.have.property('example');
          expect(media['example'], key).to.not.have.property('requestId');
        }
      }
    });
  });
});
