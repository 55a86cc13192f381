import type { NextFunction, Request, Response } from 'express';
import Joi from 'joi';
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
    field: d.path.length > 0 ? d.path.join('.') : part,
    message: d.message.replaceAll('"', "'"),
  }));
}

/**
 * Checks the request's shape and keeps the validated values in res.locals (Express 5 makes
 * req.query read-only, and handlers should only ever see checked input).
 */
export function validate(schemas: RequestSchemas) {
  return (req: Request, res: Response, next: NextFunction) => {
    // Checked whatever the route's schemas: a parameter that arrived malformed is named as such.
    const problems: FieldProblem[] = malformedParameters(req, res);
    for (const part of ['params', 'query', 'body'] as const) {
      const schema = schemas[part];
      if (!schema || (part === 'params' && problems.length > 0)) continue;
      const input = part === 'body' ? (req.body ?? {}) : { ...req[part] };
      const nul = findNulCharacter(input, part === 'body' ? '' : part);
      if (nul !== null) {
        problems.push({ field: nul || part, message: 'must not contain the NUL character' });
        continue;
      }
      const { value, error } = schema.validate(input, PART_OPTIONS[part]);
      if (error) problems.push(...toFieldProblems(error, part));
      else res.locals[part] = value;
    }
    if (problems.length > 0) throw new HttpProblem('VALIDATION_FAILED', 'The request is not valid', problems);
    next();
  };
}

/** PostgreSQL cannot store U+0000 in text: refuse it as a shape problem, never a 500. */
function findNulCharacter(value: unknown, path: string): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      const found = findNulCharacter(item, path ? `${path}.${i}` : String(i));
      if (found !== null) return found;
    }
  } else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const here = path ? `${path}.${key}` : key;
      if (key.includes('\u0000')) return here;
      const found = findNulCharacter(item, here);
      if (found !== null) return found;
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
export const positiveId = Joi.number().integer().min(1).max(Number.MAX_SAFE_INTEGER);
export const userIdOrMe = Joi.alternatives(Joi.string().valid('me'), positiveId);
export const paging = {
  page: Joi.number().integer().min(1).max(1_000_000).default(1),
  size: Joi.number().integer().min(1).max(100).default(20),
};
export const requestIdField = Joi.string().min(1).max(255);
