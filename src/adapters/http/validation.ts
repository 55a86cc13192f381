import type { NextFunction, Request, Response } from 'express';
import Joi from 'joi';
import { isDay } from '../../domain/sales/sales.js';
import type { FieldProblem } from '../../domain/shared/errors.js';
import { malformedParameters } from './path-encoding.js';
import { HttpProblem } from './problem.js';

export interface RequestSchemas {
  body?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  params?: Joi.ObjectSchema;
}

const PART_OPTIONS: Record<keyof RequestSchemas, Joi.ValidationOptions> = {
  // A JSON body has real types: "1000" is not a number.
  body: { abortEarly: false, convert: false, allowUnknown: false },
  // Query and path values are always strings: let joi convert them.
  query: { abortEarly: false, convert: true, allowUnknown: false },
  params: { abortEarly: false, convert: true, allowUnknown: false },
};

function toFieldProblems(error: Joi.ValidationError, part: string): FieldProblem[] {
  return error.details.map((d) => ({
    // An empty key ({"": 1}) makes an empty path: name the part instead, never an empty field.
    field: d.path.join('.') || part,
    message: d.message.replaceAll('"', "'"),
  }));
}

/** Limits on the structure of any input, before anything recursive looks at it (0: no limit). */
export interface InputLimits {
  /** Levels of objects and arrays inside one another (`{}` is one). */
  maxDepth: number;
  /** Members of any one object or items of any one array. */
  maxEntries: number;
}

export const NO_INPUT_LIMITS: InputLimits = { maxDepth: 0, maxEntries: 0 };
const LIMITS = 'inputLimits';

/** Leaves the limits where `validate` finds them: the app's first middleware. */
export function inputLimits(limits: InputLimits) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.locals[LIMITS] = limits;
    next();
  };
}

/**
 * A refused request lists at most this many problems: enough to fix a form, while a body of a
 * thousand broken items is not answered with an error list many times its size.
 */
export const MAX_FIELD_PROBLEMS = 20;

/**
 * Checks the request's shape and keeps the validated values in res.locals (Express 5 makes
 * req.query read-only, and handlers should only ever see checked input).
 */
export function validate(schemas: RequestSchemas) {
  // Each part's schema with its options, prepared once for the route rather than on each request.
  const ready = {
    params: schemas.params && prepared(schemas.params, 'params'),
    query: schemas.query && prepared(schemas.query, 'query'),
    body: schemas.body && prepared(schemas.body, 'body'),
  };
  return (req: Request, res: Response, next: NextFunction) => {
    const limits = (res.locals[LIMITS] as InputLimits | undefined) ?? NO_INPUT_LIMITS;
    const problems: FieldProblem[] = [];
    for (const part of PARTS) {
      const schema = ready[part];
      // A copy for joi only (path and query values come in objects without a prototype); the
      // inspection only reads.
      const given: unknown = part === 'body' ? (req.body ?? {}) : req[part];
      const input = schema && part !== 'body' ? { ...(given as object) } : given;
      if (part === 'params') {
        const malformed = malformedParameters(req, res);
        if (malformed.length > 0) {
          problems.push(...malformed);
          continue;
        }
      }
      // Every part, even one the route takes nothing from: nothing unchecked gets further.
      const refused = inspectInput(input ?? {}, part, limits);
      if (refused !== null) {
        problems.push(refused);
        continue;
      }
      if (!schema) continue;
      const result = checkShape(schema, input, part);
      if ('problems' in result) problems.push(...result.problems);
      else res.locals[part] = result.value;
    }
    if (problems.length > 0) throw new HttpProblem('VALIDATION_FAILED', 'The request is not valid', problems.slice(0, MAX_FIELD_PROBLEMS));
    next();
  };
}

const PARTS = ['params', 'query', 'body'] as const;

/**
 * Each route's schema with its part's options set on it, once: joi merges options handed to
 * validate() into its defaults on every call, while a schema's own preferences are merged once
 * and kept (joi's validator was the largest share of the HTTP layer's CPU on the order path).
 */
const withOptions: Record<keyof RequestSchemas, WeakMap<Joi.ObjectSchema, Joi.ObjectSchema>> = { body: new WeakMap(), query: new WeakMap(), params: new WeakMap() };
function prepared(schema: Joi.ObjectSchema, part: keyof RequestSchemas): Joi.ObjectSchema {
  let ready = withOptions[part].get(schema);
  if (!ready) {
    ready = schema.prefs(PART_OPTIONS[part]);
    withOptions[part].set(schema, ready);
  }
  return ready;
}

/** `schema` with its part's options already set (prepared). */
function checkShape(schema: Joi.ObjectSchema, input: unknown, part: keyof RequestSchemas): { value: unknown } | { problems: FieldProblem[] } {
  try {
    const { value, error } = schema.validate(input);
    return error ? { problems: toFieldProblems(error, part) } : { value };
  } catch (error) {
    // joi gathers every problem with push(...problems): with JSON_MAX_ENTRIES off, a body of
    // 150,000 broken items overflows the call stack there. Still the request's fault, not a 500.
    if (error instanceof RangeError) return { problems: [{ field: part, message: 'has too many problems to list' }] };
    throw error;
  }
}

// An unpaired UTF-16 surrogate: JSON can carry one ("\ud800"), UTF-8 cannot, so the database
// driver would store U+FFFD instead, and two different names would collide as the same one.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): string | null {
  // PostgreSQL cannot store U+0000 in text.
  if (text.includes('\u0000')) return 'must not contain the NUL character';
  if (UNPAIRED_SURROGATE.test(text)) return 'must not contain an unpaired UTF-16 surrogate (not Unicode text)';
  return null;
}

interface Visit {
  value: unknown;
  key: string;
  parent: Visit | null;
  depth: number;
}

function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let at: Visit | null = visit; at?.parent; at = at.parent) keys.push(at.key);
  return keys.reverse().join('.');
}

/**
 * One walk over a part of the request (`body`, `query`, `params`), keys and values: refuses text
 * the service cannot store faithfully, and structures too deep or too wide. Iterative, with
 * parents linked rather than paths built, so a body nested 100,000 deep costs a loop, not the
 * stack: it runs before joi and the idempotency fingerprint, which recurse.
 */
export function inspectInput(input: unknown, part: string, limits: InputLimits = NO_INPUT_LIMITS): FieldProblem | null {
  const refuse = (visit: Visit, message: string): FieldProblem => ({ field: pathOf(visit) || part, message });
  const pending: Visit[] = [{ value: input, key: '', parent: null, depth: 0 }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      const problem = textProblem(value);
      if (problem !== null) return refuse(visit, problem);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const depth = visit.depth + 1;
    if (limits.maxDepth > 0 && depth > limits.maxDepth) {
      return { field: part, message: `is nested too deeply: at most ${limits.maxDepth} levels of objects and arrays` };
    }
    const isArray = Array.isArray(value);
    const keys = isArray ? null : Object.keys(value);
    const count = keys ? keys.length : (value as unknown[]).length;
    if (limits.maxEntries > 0 && count > limits.maxEntries) {
      return refuse(visit, `has too many entries: at most ${limits.maxEntries} in one object or array`);
    }
    for (const key of keys ?? []) {
      const problem = textProblem(key);
      if (problem !== null) return refuse({ value: null, key, parent: visit, depth }, `is a key that ${problem}`);
    }
    // Pushed last to first, so the first member is looked at first.
    for (let i = count - 1; i >= 0; i--) {
      const key = keys ? keys[i]! : String(i);
      pending.push({ value: (value as Record<string, unknown>)[key], key, parent: visit, depth });
    }
  }
  return null;
}

// Shared pieces of the contract.

/**
 * Text in a body: 1..max characters, not all blank. Bodies are checked without conversion (so
 * "1000" is no number), which would make joi's trim() refuse " Bob" instead of trimming it: the
 * domain trims instead.
 */
export const text = (max: number) =>
  Joi.string()
    .min(1)
    .max(max)
    .pattern(/\S/)
    .message('{{#label}} must not be blank');
/**
 * A string whose surrounding white space is trimmed before the rules chained after it apply, and
 * which the handler receives trimmed: a custom rule, since bodies are checked without conversion
 * and joi's trim() would refuse " a@b.com" rather than trim it.
 */
export const trimmedString = () =>
  Joi.string()
    .custom((value: string) => value.trim(), 'trim')
    .meta({ openapi: { description: 'Surrounding white space is trimmed.' } });
export const positiveId = Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER).example(42);
export const userIdOrMe = Joi.alternatives(Joi.string().valid('me'), positiveId).description('A user id, or `me` for the caller.').example('me');
export const paging = {
  page: Joi.number().integer().min(1).max(1_000_000).default(1).description('Page number, from 1.'),
  size: Joi.number().integer().min(1).max(100).default(20).description('Items per page.'),
};
export const requestIdField = Joi.string()
  .min(1)
  .max(255)
  .description('Same meaning as the `Idempotency-Key` header (the header wins when both are given). Not part of the body fingerprint.');

/**
 * The dates the API takes, both ends included. PostgreSQL's dates start at 4713 BC and
 * JavaScript's end in the year 275760; between them, a year 0 or 20000 got as far as the
 * database and failed there (500). These bounds hold every real use, and are the same for a day
 * and a date-time.
 */
export const EARLIEST_DAY = '1970-01-01';
export const LATEST_DAY = '9999-12-31';
const EARLIEST_INSTANT = Date.parse(`${EARLIEST_DAY}T00:00:00.000Z`);
const LATEST_INSTANT = Date.parse(`${LATEST_DAY}T23:59:59.999Z`);

/** Whether `value` is a day the API takes: a real `YYYY-MM-DD` date within the bounds above. */
export function isDayWithinBounds(value: string): boolean {
  return isDay(value) && value >= EARLIEST_DAY && value <= LATEST_DAY;
}

/** A real calendar day written `YYYY-MM-DD`, within the bounds above. */
export const calendarDay = Joi.string()
  .custom((value: string, helpers) => {
    if (!isDay(value)) return helpers.error('day.format');
    if (!isDayWithinBounds(value)) return helpers.error('day.range');
    return value;
  })
  .messages({
    'day.format': '{{#label}} must be a real calendar date written YYYY-MM-DD',
    'day.range': `{{#label}} must be from ${EARLIEST_DAY} to ${LATEST_DAY}`,
  })
  .meta({ openapi: { format: 'date' } })
  .note(`A real calendar day written \`YYYY-MM-DD\`, from ${EARLIEST_DAY} to ${LATEST_DAY} (UTC).`);

// RFC 3339 `date-time`: full date, `T`, time with seconds (and any fraction), and a zone.
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * The instant an RFC 3339 date-time names, or null when the text is not one: a date alone, no
 * zone, a day the calendar does not have (2026-02-30), or an hour past 23. Leap seconds (`:60`)
 * are refused: JavaScript's dates cannot hold them. Fractions beyond milliseconds are cut off.
 */
export function parseDateTime(text: string): Date | null {
  const match = DATE_TIME.exec(text);
  if (!match) return null;
  const [, day, hours, minutes, seconds, fraction = '', sign, zoneHours = '0', zoneMinutes = '0'] = match;
  if (!day || !isDay(day)) return null;
  if (Number(hours) > 23 || Number(minutes) > 59 || Number(seconds) > 59) return null;
  if (Number(zoneHours) > 23 || Number(zoneMinutes) > 59) return null;
  const wallClock = Date.parse(`${day}T${hours}:${minutes}:${seconds}.${fraction.slice(0, 3).padEnd(3, '0')}Z`);
  const offsetMs = (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes)) * 60_000;
  return new Date(wallClock - offsetMs);
}

/** An RFC 3339 date-time with a zone, within the bounds above; validated to a Date. */
export const dateTime = Joi.string()
  .custom((value: string, helpers) => {
    const at = parseDateTime(value);
    if (at === null) return helpers.error('dateTime.format');
    if (at.getTime() < EARLIEST_INSTANT || at.getTime() > LATEST_INSTANT) return helpers.error('dateTime.range');
    return at;
  })
  .messages({
    'dateTime.format': '{{#label}} must be an RFC 3339 date-time with a time zone, e.g. 2026-01-01T00:00:00Z, on a real calendar date',
    'dateTime.range': `{{#label}} must be from ${EARLIEST_DAY}T00:00:00Z to ${LATEST_DAY}T23:59:59.999Z`,
  })
  .meta({ openapi: { format: 'date-time' } })
  // A note, not a description: the document writes it after the field's own description.
  .note(
    'An RFC 3339 date-time with a time zone (`Z` or `±hh:mm`), e.g. `2026-01-01T09:00:00+09:00`; answered in UTC. ' +
      `A date alone, a time without a zone, a day the calendar does not have (\`2026-02-30\`), an hour past 23, seconds past 59, or an instant outside ${EARLIEST_DAY}T00:00:00Z..${LATEST_DAY}T23:59:59.999Z is 400 naming the field.`,
  );
