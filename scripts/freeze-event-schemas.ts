// Freezes the event payloads (as the OpenAPI components describe them now) as versioned JSON
// Schema files in docs/events/, so a later API change cannot silently change what the data
// platform receives (test/e2e/admin-events.test.ts holds every event to its file).
// An existing version is never rewritten: to change a payload, give its event a new version.
//   npx tsx scripts/freeze-event-schemas.ts
import { existsSync, writeFileSync } from 'node:fs';
import { openApiDocument } from '../src/infrastructure/modules/index.js';
import { EVENT_TYPES } from '../src/application/ports/outbox.js';
import { versionedTypeOf } from '../src/application/ports/outbox.js';

type S = Record<string, unknown>;
const schemas = (openApiDocument.components as { schemas: Record<string, S> }).schemas;
const PAYLOAD_OF: Record<string, string> = {
  OrderCreated: 'Order', PaymentCompleted: 'Order', OrderCancelled: 'Order', OrderFailed: 'Order',
  OrderPreparing: 'Order', OrderShipped: 'Order', OrderDelivered: 'Order', OrderCompleted: 'Order',
  RefundCompleted: 'Refund', FulfilmentAdvanced: 'SellerOrder', CouponCreated: 'Coupon', CouponIssued: 'UserCoupon',
};
const DROP = new Set(['example', 'examples', 'discriminator', 'xml', 'externalDocs', 'deprecated', 'readOnly', 'writeOnly']);

/** OpenAPI 3.0 → JSON Schema 2020-12, $refs inlined, every object closed. */
function convert(schema: S, seen: string[] = []): S {
  const ref = schema['$ref'];
  if (typeof ref === 'string') {
    const name = ref.split('/').pop()!;
    if (seen.includes(name)) throw new Error(`recursive ${name}`);
    return convert(schemas[name]!, [...seen, name]);
  }
  const out: S = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROP.has(key) || key === 'nullable') continue;
    if (key === 'properties') out[key] = Object.fromEntries(Object.entries(value as Record<string, S>).map(([k, v]) => [k, convert(v, seen)]));
    else if (key === 'items') out[key] = convert(value as S, seen);
    else if (key === 'allOf' || key === 'anyOf' || key === 'oneOf') out[key] = (value as S[]).map((v) => convert(v, seen));
    else out[key] = value;
  }
  if (schema['nullable'] === true) {
    if (Array.isArray(schema['enum']) && (schema['enum'] as unknown[]).every((v) => v === null)) return { type: 'null' };
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
  }
  // A single allOf with a description: the referenced schema itself.
  if (Array.isArray(out['allOf']) && (out['allOf'] as S[]).length === 1 && !out['type']) {
    const [only] = out['allOf'] as S[];
    delete out['allOf'];
    Object.assign(out, only, out['description'] ? { description: out['description'] } : {});
  }
  if (out['type'] === 'object' || out['properties']) {
    if (out['additionalProperties'] === undefined) out['additionalProperties'] = false;
  }
  return out;
}

for (const type of EVENT_TYPES) {
  const name = versionedTypeOf(type);
  const payload = convert({ $ref: `#/components/schemas/${PAYLOAD_OF[type]}` });
  const file = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://order-service.example/events/${name}.schema.json`,
    title: `${name}: the payload of ${type}`,
    ...payload,
    description: `What the data platform receives as \`payload\` (platform format) or \`data\` (CloudEvents, type \`${name}\`): ${String(payload['description'] ?? '')} Version 1, frozen: a change is a new version beside it, never an edit (test/e2e/admin-events.test.ts holds every event to it).`,
  };
  const path = `docs/events/${name}.schema.json`;
  if (existsSync(path)) {
    console.log(`${path}: frozen already, left as it is`);
    continue;
  }
  writeFileSync(path, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`${path}: written`);
}
