/**
 * OpenAPI 3.0 schemas from the joi schemas that really validate requests, so the document cannot
 * say one thing while the validation does another.
 *
 * Our own walker over joi's `describe()` rather than `joi-to-json`: that converter turns a
 * `when(..., { then: Joi.required() })` into an `anyOf` of every JSON type and applies a `then`
 * branch's bounds unconditionally (a PERCENTAGE coupon's "at most 100" became every coupon's),
 * both wrong for this contract. OpenAPI 3.0 has no `if`/`then`, so a condition is written here
 * as prose in the field's description, with the widest schema that any branch accepts.
 * It covers the joi this project uses; anything else fails loudly at start-up (see `unsupported`).
 */
import type Joi from 'joi';

export type SchemaObject = { [key: string]: unknown };

/** What `describe()` gives for one schema: the parts this walker reads. */
interface Described {
  type: string;
  flags?: {
    presence?: 'required' | 'optional' | 'forbidden';
    description?: string;
    default?: unknown;
    only?: boolean;
    unknown?: boolean;
    match?: 'one' | 'all' | 'any';
    label?: string;
  };
  rules?: { name: string; args?: Record<string, unknown> }[];
  allow?: unknown[];
  invalid?: unknown[];
  keys?: Record<string, Described>;
  /** Relations between an object's keys (`xor`, `with`, ...). */
  dependencies?: { rel: string; peers: string[] }[];
  items?: Described[];
  matches?: { schema?: Described; ref?: Reference; is?: Described; then?: Described; otherwise?: Described }[];
  whens?: When[];
  metas?: unknown[];
  notes?: string[];
  examples?: unknown[];
}

interface Reference {
  path: string[];
}

interface When {
  ref?: Reference;
  is?: Described;
  then?: Described;
  otherwise?: Described;
}

/** A joi feature met that the walker does not know: it would document the field wrongly. */
function unsupported(what: string): never {
  throw new Error(`joi-schema: ${what} is not supported; teach src/adapters/http/openapi/joi-schema.ts`);
}

export function openApiSchemaOf(schema: Joi.Schema): SchemaObject {
  return convert(schema.describe() as Described);
}

/** Whether a key must be present (joi's `required()`), before any condition. */
export function isRequired(schema: Joi.Schema): boolean {
  return (schema.describe() as Described).flags?.presence === 'required';
}

/** The keys of an object schema, each with its own joi schema. */
export function keysOf(schema: Joi.ObjectSchema): { name: string; schema: Joi.Schema }[] {
  const described = schema.describe() as Described;
  return Object.keys(described.keys ?? {}).map((name) => ({ name, schema: schema.extract(name) as Joi.Schema }));
}

function convert(d: Described): SchemaObject {
  const out = byType(d);
  const allowed = (d.allow ?? []).filter((v) => !isOverride(v));
  if (d.flags?.only) {
    out['enum'] = allowed;
    if (out['type'] === undefined) {
      const types = new Set(allowed.map((v) => typeof v));
      if (types.size === 1) out['type'] = [...types][0] === 'number' ? 'number' : [...types][0];
    }
  } else {
    if (allowed.includes(null)) out['nullable'] = true;
    if (allowed.includes('') && typeof out['minLength'] === 'number') {
      // joi's allow('') lets the empty string past min(1): say so, since the schema cannot.
      out['minLength'] = 0;
    }
  }
  const notes: string[] = [];
  for (const value of d.invalid ?? []) {
    if (isReference(value)) notes.push(`Must differ from \`${value.ref.path.join('.')}\`.`);
    else unsupported(`invalid(${JSON.stringify(value)})`);
  }
  for (const when of d.whens ?? []) notes.push(...describeWhen(when, out));
  if (d.flags?.default !== undefined && typeof d.flags.default !== 'function') out['default'] = d.flags.default;
  if (d.examples?.length) out['example'] = d.examples[0];
  for (const meta of d.metas ?? []) {
    const openapi = (meta as { openapi?: SchemaObject }).openapi;
    if (openapi) Object.assign(out, openapi);
  }
  const description = [d.flags?.description, ...(d.notes ?? []), ...notes, out['description'] as string | undefined].filter(Boolean);
  if (description.length > 0) out['description'] = description.join(' ');
  return out;
}

function byType(d: Described): SchemaObject {
  switch (d.type) {
    case 'object':
      return objectSchema(d);
    case 'array':
      return arraySchema(d);
    case 'string':
      return stringSchema(d);
    case 'number':
      return numberSchema(d);
    case 'boolean':
      return { type: 'boolean' };
    case 'alternatives':
      return alternativesSchema(d);
    case 'any':
      return {};
    default:
      return unsupported(`type ${d.type}`);
  }
}

function objectSchema(d: Described): SchemaObject {
  const properties: SchemaObject = {};
  const required: string[] = [];
  for (const [name, key] of Object.entries(d.keys ?? {})) {
    if (key.flags?.presence === 'forbidden' && !key.whens) continue;
    properties[name] = convert(key);
    if (key.flags?.presence === 'required') required.push(name);
  }
  const counts: SchemaObject = {};
  for (const rule of d.rules ?? []) {
    const limit = rule.args?.['limit'];
    if (rule.name === 'min') counts['minProperties'] = limit;
    else if (rule.name === 'max') counts['maxProperties'] = limit;
    else if (rule.name === 'length') Object.assign(counts, { minProperties: limit, maxProperties: limit });
    else unsupported(`object rule ${rule.name}`);
  }
  const relations: SchemaObject = {};
  for (const dependency of d.dependencies ?? []) {
    // xor(a, b): exactly one of them; or(a, b): at least one. A second relation would need an
    // allOf of them: not yet met.
    const combinator = { xor: 'oneOf', or: 'anyOf' }[dependency.rel];
    if (!combinator || Object.keys(relations).length > 0) unsupported(`object relation ${dependency.rel}`);
    const peers = dependency.peers.map((peer) => `\`${peer}\``).join(', ');
    relations[combinator] = dependency.peers.map((peer) => ({ required: [peer] }));
    relations['description'] = `${dependency.rel === 'xor' ? 'Exactly one' : 'At least one'} of ${peers}.`;
  }
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...counts,
    ...relations,
    additionalProperties: d.flags?.unknown === true,
  };
}

function arraySchema(d: Described): SchemaObject {
  const items = d.items ?? [];
  const out: SchemaObject = {
    type: 'array',
    items: items.length === 0 ? {} : items.length === 1 ? convert(items[0]!) : { anyOf: items.map(convert) },
  };
  for (const rule of d.rules ?? []) {
    const limit = rule.args?.['limit'];
    if (rule.name === 'min') out['minItems'] = limit;
    else if (rule.name === 'max') out['maxItems'] = limit;
    else if (rule.name === 'length') Object.assign(out, { minItems: limit, maxItems: limit });
    else if (rule.name === 'unique') out['uniqueItems'] = true;
    else unsupported(`array rule ${rule.name}`);
  }
  return out;
}

/** `/\S/u` as joi describes a regex → the pattern text; flags other than `u` have no OpenAPI form. */
function patternOf(regex: string): string {
  const match = /^\/(.*)\/([a-z]*)$/s.exec(regex);
  if (!match) return unsupported(`pattern ${regex}`);
  const [, source, flags] = match;
  if (flags && flags.replace('u', '') !== '') unsupported(`pattern flags ${flags}`);
  return source!;
}

function stringSchema(d: Described): SchemaObject {
  const out: SchemaObject = { type: 'string' };
  const patterns: string[] = [];
  const notes: string[] = [];
  for (const rule of d.rules ?? []) {
    const limit = rule.args?.['limit'];
    switch (rule.name) {
      case 'min':
        out['minLength'] = limit;
        break;
      case 'max':
        out['maxLength'] = limit;
        break;
      case 'length':
        Object.assign(out, { minLength: limit, maxLength: limit });
        break;
      case 'pattern':
        if ((rule.args?.['options'] as { invert?: boolean } | undefined)?.invert) unsupported('an inverted pattern');
        patterns.push(patternOf(String(rule.args?.['regex'])));
        break;
      case 'email':
        // joi takes internationalised addresses (ü@example.com): `idn-email`, not `email`.
        out['format'] = 'idn-email';
        break;
      case 'guid':
        out['format'] = 'uuid';
        break;
      case 'trim':
        notes.push('Surrounding white space is trimmed before the other rules apply.');
        break;
      case 'custom':
        // A custom rule says what it checks through .meta({ openapi: ... }) and .description().
        break;
      default:
        unsupported(`string rule ${rule.name}`);
    }
  }
  // A trimmed string that must not be empty cannot be blank: the schema can say that.
  if (notes.length > 0 && typeof out['minLength'] === 'number' && out['minLength'] > 0) patterns.push('\\S');
  if (patterns.length > 0) out['pattern'] = patterns[0];
  if (patterns.length > 1) out['allOf'] = patterns.slice(1).map((pattern) => ({ pattern }));
  if (notes.length > 0) out['description'] = notes.join(' ');
  return out;
}

function numberSchema(d: Described): SchemaObject {
  const out: SchemaObject = { type: 'number' };
  for (const rule of d.rules ?? []) {
    const limit = rule.args?.['limit'];
    switch (rule.name) {
      case 'integer':
        out['type'] = 'integer';
        break;
      case 'min':
        out['minimum'] = limit;
        break;
      case 'max':
        out['maximum'] = limit;
        break;
      case 'greater':
        Object.assign(out, { minimum: limit, exclusiveMinimum: true });
        break;
      case 'less':
        Object.assign(out, { maximum: limit, exclusiveMaximum: true });
        break;
      case 'multiple':
        out['multipleOf'] = rule.args?.['base'];
        break;
      default:
        unsupported(`number rule ${rule.name}`);
    }
  }
  if (out['type'] === 'integer') {
    const max = out['maximum'];
    const min = out['minimum'];
    const fits32 = typeof max === 'number' && typeof min === 'number' && max <= 2 ** 31 - 1 && min >= -(2 ** 31);
    out['format'] = fits32 ? 'int32' : 'int64';
  }
  return out;
}

function alternativesSchema(d: Described): SchemaObject {
  const matches = d.matches ?? [];
  if (matches.some((m) => !m.schema)) {
    // Joi.when(...) on its own is an alternatives of conditions.
    const out: SchemaObject = {};
    const notes = matches.flatMap((m) => describeWhen(m, out));
    return { ...out, description: notes.join(' ') };
  }
  const branches = matches.map((m) => convert(m.schema!));
  return d.flags?.match === 'one' ? { oneOf: branches } : { anyOf: branches };
}

function isOverride(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'override' in value;
}

function isReference(value: unknown): value is { ref: Reference } {
  return typeof value === 'object' && value !== null && 'ref' in value;
}

/**
 * A condition as prose ("When `role` is SELLER: required. Otherwise: not allowed."), and the
 * widest schema any branch accepts merged into `out` (both branches full schemas: `anyOf` them).
 */
function describeWhen(when: When, out: SchemaObject): string[] {
  if (!when.ref || !when.is) return unsupported('a when() without a reference and an `is`');
  const values = (when.is.allow ?? []).filter((v) => !isOverride(v));
  if (!when.is.flags?.only || values.length === 0) unsupported('a when() whose `is` is not a list of values');
  const field = `\`${when.ref.path.join('.')}\``;
  const condition = `When ${field} is ${values.map((v) => `\`${String(v)}\``).join(' or ')}`;
  const branches = [when.then, when.otherwise].filter((b): b is Described => b !== undefined);
  const concrete = branches.filter((b) => b.type !== 'any');
  if (concrete.length > 0) {
    const schemas = concrete.map(convert);
    if (schemas.length === 1) Object.assign(out, schemas[0]);
    else out['anyOf'] = schemas;
  }
  const sentences: string[] = [];
  if (when.then) sentences.push(`${condition}: ${summarise(when.then)}.`);
  if (when.otherwise) sentences.push(`Otherwise: ${summarise(when.otherwise)}.`);
  return sentences;
}

/** A branch of a condition in a few words. */
function summarise(d: Described): string {
  const parts: string[] = [];
  if (d.flags?.presence === 'required') parts.push('required');
  if (d.flags?.presence === 'forbidden') parts.push('not allowed');
  const rules = new Map((d.rules ?? []).map((r) => [r.name, r.args?.['limit']]));
  const min = rules.get('min');
  const max = rules.get('max');
  const noun = d.type === 'number' ? (rules.has('integer') ? 'a whole number' : 'a number') : d.type === 'string' ? 'text' : d.type;
  if (d.type !== 'any') {
    if (min !== undefined && max !== undefined) parts.push(`${noun} from ${String(min)} to ${String(max)}`);
    else if (min !== undefined) parts.push(`${noun} of at least ${String(min)}`);
    else if (max !== undefined) parts.push(`${noun} of at most ${String(max)}`);
    else parts.push(noun);
  }
  return parts.join(', ') || 'optional';
}
