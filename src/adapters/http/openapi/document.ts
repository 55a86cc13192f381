/**
 * The OpenAPI 3.0.3 document served at GET /openapi.json and rendered at GET /docs, built from
 * the operations the routes are registered from: paths, parameters and request bodies come from
 * the joi schemas that validate them, error answers from problem.ts's status table, and only
 * the response schemas and the prose are written by hand (components.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import { type Operation, openApiPath, type ProblemCase } from '../operation.js';
import { STATUS_OF } from '../problem.js';
import {
  apiDescription,
  components,
  headers,
  type Json,
  type JsonObject,
  jsonResponse,
  problemResponse,
  ref,
  schemaRef,
  securitySchemes,
  tags,
} from './components.js';
import { keysOf, openApiSchemaOf, type SchemaObject } from './joi-schema.js';

/** The operations of routers mounted under one prefix. */
export interface OperationGroup {
  prefix: string;
  operations: readonly Operation[];
}

/** A failure every operation of a kind may give, with the shared answer that documents it alone. */
interface SharedCase {
  problem: ProblemCase;
  component?: string;
}

const SHARED = {
  shape: {
    component: 'ValidationFailed',
    problem: { code: 'VALIDATION_FAILED', when: 'the request is not valid (see the schema and "Refused input").', detail: 'The request is not valid' },
  },
  token: {
    component: 'Unauthenticated',
    problem: { code: 'UNAUTHENTICATED', when: 'no valid Bearer token.', detail: 'A Bearer token is required' },
  },
  tooLarge: { component: 'PayloadTooLarge', problem: { code: 'PAYLOAD_TOO_LARGE', when: 'the body is over 1 MB.', detail: 'The body is over 1mb' } },
  notJson: {
    component: 'UnsupportedMediaType',
    problem: { code: 'UNSUPPORTED_MEDIA_TYPE', when: 'the body is not UTF-8 `application/json`.', detail: 'The body must be application/json' },
  },
  keyInProgress: {
    component: 'IdempotencyInProgress',
    problem: {
      code: 'IDEMPOTENCY_IN_PROGRESS',
      when: 'a request with the same Idempotency-Key is still running.',
      detail: 'A request with this Idempotency-Key is still being processed',
    },
  },
  keyReused: {
    component: 'IdempotencyKeyReused',
    problem: {
      code: 'IDEMPOTENCY_KEY_REUSED',
      when: 'the Idempotency-Key was already used with a different body.',
      detail: 'This Idempotency-Key was already used for a different request',
    },
  },
  newKeys: {
    problem: {
      code: 'RATE_LIMITED',
      when: 'over `RATE_LIMIT_IDEMPOTENCY_KEYS_PER_MINUTE` new Idempotency-Keys a minute for this user (anonymous callers: for this client address); a replay is never refused.',
      detail: 'Too many new Idempotency-Keys; wait a moment',
      example: 'RATE_LIMITED (new Idempotency-Keys)',
    },
  },
  internal: {
    component: 'Internal',
    problem: { code: 'INTERNAL', when: 'anything unexpected; logged with the request id.', detail: 'An unexpected error occurred; it has been logged with the request id' },
  },
  unavailable: {
    component: 'Unavailable',
    problem: { code: 'UNAVAILABLE', when: 'the database is unreachable.', detail: 'The database is not reachable; try again shortly' },
  },
} satisfies Record<string, SharedCase>;

/** Statuses whose answers carry Retry-After. */
const RETRY_AFTER_STATUSES = new Set([429]);

function sharedCasesOf(op: Operation): SharedCase[] {
  const cases: SharedCase[] = [];
  // Every request's parts are inspected (NUL, unpaired surrogates, depth), even one the operation takes nothing from.
  cases.push(SHARED.shape);
  if ((op.auth ?? 'bearer') === 'bearer') cases.push(SHARED.token);
  if (op.body) cases.push(SHARED.tooLarge, SHARED.notJson);
  if (op.idempotent) cases.push(SHARED.keyInProgress, SHARED.keyReused, SHARED.newKeys);
  cases.push(SHARED.internal, SHARED.unavailable);
  // An operation that documents a code itself says best when it is given; one whose success
  // answer has the status (readiness's 503) keeps it.
  const own = new Set((op.errors ?? []).map((c) => c.code));
  const succeeding = new Set(op.responses.map((r) => r.status));
  return cases.filter((c) => (!own.has(c.problem.code) || c === SHARED.newKeys) && !succeeding.has(STATUS_OF[c.problem.code]));
}

function errorResponses(op: Operation, instance: string): JsonObject {
  const byStatus = new Map<number, { own: ProblemCase[]; shared: SharedCase[] }>();
  const entry = (status: number) => {
    let found = byStatus.get(status);
    if (!found) byStatus.set(status, (found = { own: [], shared: [] }));
    return found;
  };
  for (const c of op.errors ?? []) entry(STATUS_OF[c.code]).own.push(c);
  for (const c of sharedCasesOf(op)) entry(STATUS_OF[c.problem.code]).shared.push(c);
  const out: JsonObject = {};
  for (const [status, { own, shared }] of [...byStatus].sort(([a], [b]) => a - b)) {
    const alone = own.length === 0 && shared.length === 1 ? shared[0]! : null;
    if (alone?.component) {
      out[String(status)] = ref('responses', alone.component);
      continue;
    }
    const cases = [...own, ...shared.map((c) => c.problem)];
    const description = cases.map((c) => `${c.code}: ${c.when}`).join(' Or ');
    const retryAfter = RETRY_AFTER_STATUSES.has(status) || own.some((c) => c.retryAfter);
    out[String(status)] = problemResponse(description, cases, retryAfter ? ['RetryAfter'] : [], instance);
  }
  return out;
}

function successResponses(op: Operation): JsonObject {
  const out: JsonObject = {};
  for (const response of op.responses) {
    const extra = [...(response.headers ?? []), ...(op.idempotent ? ['IdempotentReplayed'] : [])];
    if (response.schema === undefined) {
      out[String(response.status)] = { description: response.description, headers: headers(...extra) };
      continue;
    }
    const schema = (typeof response.schema === 'string' ? schemaRef(response.schema) : response.schema) as JsonObject;
    const contentType = response.contentType ?? 'application/json';
    out[String(response.status)] =
      contentType === 'application/json'
        ? jsonResponse(response.description, schema, extra)
        : { description: response.description, headers: headers(...extra), content: { [contentType]: { schema } } };
  }
  return out;
}

function parametersOf(op: Operation): Json[] {
  const parameters: Json[] = [];
  if (op.idempotent) parameters.push(ref('parameters', 'IdempotencyKey'));
  const declared = [...op.path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
  const validated = op.params ? keysOf(op.params).map((k) => k.name) : [];
  if (declared.join() !== validated.join()) {
    throw new Error(`${op.operationId}: path ${op.path} has parameters [${declared}] but validates [${validated}]`);
  }
  for (const [location, schema] of [
    ['path', op.params],
    ['query', op.query],
  ] as const) {
    if (!schema) continue;
    const required = new Set((openApiSchemaOf(schema)['required'] as string[] | undefined) ?? []);
    for (const key of keysOf(schema)) {
      const { description, example, ...keySchema } = openApiSchemaOf(key.schema);
      parameters.push({
        name: key.name,
        in: location,
        required: location === 'path' || required.has(key.name),
        ...(description ? { description: description as string } : {}),
        schema: keySchema as JsonObject,
        ...(example !== undefined ? { example: example as Json } : {}),
      });
    }
  }
  return parameters;
}

/**
 * A request example for Swagger UI's "Try it out": the fields' own examples, the required ones
 * at least, never `requestId` (an example key in every form made every second try a replay).
 */
export function exampleOf(schema: SchemaObject): unknown {
  if (schema['example'] !== undefined) return schema['example'];
  if (schema['default'] !== undefined) return schema['default'];
  if (Array.isArray(schema['enum'])) return schema['enum'][0];
  // An object's anyOf/oneOf only says which of its keys are required (joi's or, xor): its properties give the example.
  if (Array.isArray(schema['anyOf']) && schema['type'] === undefined) return exampleOf(schema['anyOf'][0] as SchemaObject);
  switch (schema['type']) {
    case 'object': {
      const properties = (schema['properties'] ?? {}) as Record<string, SchemaObject>;
      const required = new Set((schema['required'] as string[] | undefined) ?? []);
      const example: Record<string, unknown> = {};
      for (const [name, property] of Object.entries(properties)) {
        if (name === 'requestId') continue;
        if (required.has(name) || property['example'] !== undefined) example[name] = exampleOf(property);
      }
      return example;
    }
    case 'array':
      return [exampleOf((schema['items'] ?? {}) as SchemaObject)];
    case 'integer':
    case 'number':
      return schema['minimum'] ?? 1;
    case 'boolean':
      return true;
    default:
      return 'text';
  }
}

function pascalCase(id: string): string {
  return id.charAt(0).toUpperCase() + id.slice(1);
}

function security(op: Operation): Json | undefined {
  if (op.auth === 'public') return [];
  if (op.auth === 'metrics') return [{}, { metricsToken: [] }];
  return undefined;
}

export function buildOpenApiDocument(groups: readonly OperationGroup[]): JsonObject {
  const paths: Record<string, JsonObject> = {};
  const requestSchemas: JsonObject = {};
  for (const { prefix, operations } of groups) {
    for (const op of operations) {
      const path = prefix + openApiPath(op.path);
      const description = [op.description, op.query ? 'Unknown query parameters are 400.' : undefined].filter(Boolean).join(' ');
      const operation: JsonObject = {
        tags: [op.tag],
        operationId: op.operationId,
        summary: op.summary,
        ...(description ? { description } : {}),
      };
      const sec = security(op);
      if (sec !== undefined) operation['security'] = sec;
      const parameters = parametersOf(op);
      if (parameters.length > 0) operation['parameters'] = parameters;
      if (op.body) {
        const name = op.bodyName ?? `${pascalCase(op.operationId)}Request`;
        const schema = openApiSchemaOf(op.body);
        // Two operations may share a request schema (the two coupon issues), never differ under one name.
        if (requestSchemas[name] && !isDeepStrictEqual(requestSchemas[name], schema)) {
          throw new Error(`${op.operationId}: request schema ${name} is declared twice, differently`);
        }
        requestSchemas[name] = schema as JsonObject;
        operation['requestBody'] = {
          // A request without a body is validated as `{}`: the body may be left out when that passes.
          required: op.body.validate({}).error !== undefined,
          ...(op.bodyDescription ? { description: op.bodyDescription } : {}),
          content: { 'application/json': { schema: schemaRef(name), example: exampleOf(schema) as Json } },
        };
      }
      // A problem's `instance` is a real path (a URI reference), not a template with braces.
      const instance = path.replace(/\{\w+\}/g, '42');
      operation['responses'] = { ...successResponses(op), ...errorResponses(op, instance) };
      if (paths[path]?.[op.method]) throw new Error(`${op.method.toUpperCase()} ${path} is declared twice`);
      paths[path] = { ...paths[path], [op.method]: operation };
    }
  }
  return {
    openapi: '3.0.3',
    info: { title: 'Order service API', version: '0.1.0', description: apiDescription },
    servers: [{ url: '/', description: 'This service' }],
    tags,
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      securitySchemes,
      ...components,
      schemas: { ...components.schemas, ...requestSchemas },
    },
  };
}
