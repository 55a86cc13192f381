import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { EVENT_TYPES, type EventType, versionedTypeOf } from '../../src/application/ports/outbox.js';
import { openApiDocument } from '../../src/infrastructure/modules/index.js';

/**
 * Checks answers against the served OpenAPI document: every answer the e2e suites receive is
 * held to the documented status codes and, for JSON, the documented schema, so the hand-written
 * response schemas cannot drift from what the presenters write.
 */

type JsonObject = Record<string, unknown>;

const paths = openApiDocument.paths as Record<string, Record<string, JsonObject>>;
const components = openApiDocument.components as Record<string, Record<string, JsonObject>>;

const ajv = new Ajv({ strict: false, allErrors: true, formats: { int32: true, int64: true, 'idn-email': true } });
addFormats.default(ajv);
ajv.addSchema({ components }, 'openapi');

/** Templates as regular expressions, literal segments first so `/products/popular` beats `/products/{productId}`. */
const templates = Object.keys(paths)
  .map((template) => ({
    template,
    pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{\w+\}/g, '[^/]+')}$`),
    literalSegments: template.split('/').filter((s) => s && !s.startsWith('{')).length,
  }))
  .sort((a, b) => b.literalSegments - a.literalSegments);

const validators = new Map<string, ValidateFunction>();

function validatorFor(pointer: string): ValidateFunction {
  let validate = validators.get(pointer);
  if (!validate) {
    validate = ajv.compile({ $ref: `openapi${pointer}` });
    validators.set(pointer, validate);
  }
  return validate;
}

function resolved(response: JsonObject): JsonObject {
  const ref = response['$ref'];
  return typeof ref === 'string' ? components['responses']![ref.split('/').pop()!]! : response;
}

/**
 * Why an answer does not match the document, or null when it does (or when no documented
 * operation matches: unknown routes are the 404 tests' business).
 */
export function nonconformity(method: string, url: string, status: number, contentType: string, body: unknown): string | null {
  const path = new URL(url, 'http://x').pathname;
  const template = templates.find((t) => t.pattern.test(path))?.template;
  const operation = template ? paths[template]![method.toLowerCase()] : undefined;
  if (!template || !operation) return null;
  const where = `${method.toUpperCase()} ${template} → ${status}`;
  const responses = operation['responses'] as Record<string, JsonObject>;
  const documented = responses[String(status)];
  if (!documented) return `${where}: the status is not documented (documented: ${Object.keys(responses).join(', ')})`;
  const content = resolved(documented)['content'] as Record<string, JsonObject> | undefined;
  const mediaType = contentType.split(';')[0]!.trim();
  if (!content) return null;
  const media = content[mediaType];
  if (!media) return `${where}: content type ${mediaType} is not documented (documented: ${Object.keys(content).join(', ')})`;
  if (!mediaType.endsWith('json')) return null;
  const schema = media['schema'] as JsonObject;
  const ref = schema['$ref'];
  if (typeof ref !== 'string') return null;
  const validate = validatorFor(ref);
  if (validate(body)) return null;
  const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(body)'} ${e.message}`);
  return `${where}: the body does not match ${ref}: ${problems.join('; ')}`;
}

/** Why an event to the data platform does not match the documented PlatformEvent, or null. */
export function eventNonconformity(event: unknown): string | null {
  const validate = validatorFor('#/components/schemas/PlatformEvent');
  if (validate(event)) return null;
  const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(event)'} ${e.message}`);
  return `${(event as { type?: string }).type ?? 'an event'} does not match PlatformEvent: ${problems.join('; ')}`;
}

/**
 * Why an event's payload does not match its frozen versioned schema (`docs/events/<type>.v1
 * .schema.json`), or null. Unlike the OpenAPI schemas, which move with the API, these never
 * change: an API change that would change a payload fails here instead of reaching the platform.
 */
export function payloadDrift(event: { type: string; payload: unknown }): string | null {
  if (!(EVENT_TYPES as readonly string[]).includes(event.type)) return `${event.type} is no event type of the service`;
  const name = versionedTypeOf(event.type as EventType);
  let validate = frozen.get(name);
  if (!validate) {
    const schema = JSON.parse(readFileSync(new URL(`../../docs/events/${name}.schema.json`, import.meta.url), 'utf8')) as object;
    validate = frozenAjv.compile(schema);
    frozen.set(name, validate);
  }
  if (validate(event.payload)) return null;
  const problems = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '(payload)'} ${e.message}`);
  return `${event.type}'s payload does not match docs/events/${name}.schema.json: ${problems.join('; ')}`;
}

const frozenAjv = new Ajv2020({ strict: false, allErrors: true, formats: { int32: true, int64: true, 'idn-email': true } });
addFormats.default(frozenAjv);
const frozen = new Map<string, ValidateFunction>();
