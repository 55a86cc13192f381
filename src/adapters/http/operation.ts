import type Joi from 'joi';
import type { FieldProblem } from '../../domain/shared/errors.js';
import type { ProblemCode } from './problem.js';
import type { SchemaObject } from './openapi/joi-schema.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

/** One way an operation can fail: the code (its status comes from problem.ts), when, and an example. */
export interface ProblemCase {
  code: ProblemCode;
  /** When this answer is given, for the response's description ("a line names a product that does not exist"). */
  when: string;
  /** The example's `detail`, as the service writes it. */
  detail: string;
  /** The example's name where one code has several examples (default: the code). */
  example?: string;
  errors?: FieldProblem[];
  /** The answer carries Retry-After (every 429 does anyway). */
  retryAfter?: boolean;
}

/** A success answer of an operation. */
export interface SuccessResponse {
  status: number;
  description: string;
  /** A component schema's name, or an inline schema; none for an empty answer. */
  schema?: string | SchemaObject;
  /** Default `application/json`. */
  contentType?: string;
  /** Response header components beyond `X-Request-Id` (and `Idempotent-Replayed` of idempotent operations). */
  headers?: string[];
}

/**
 * One HTTP operation, declared once: the route registers its handler from it and the OpenAPI
 * document is built from it, so what is validated is what is documented.
 */
export interface Operation {
  method: Method;
  /** Express path, relative to where the router is mounted: `/orders/:orderId`. */
  path: string;
  operationId: string;
  tag: string;
  summary: string;
  description?: string;
  /**
   * `bearer` (default): a Bearer token is checked before anything else. `public`: no token.
   * `metrics`: the metrics endpoint's own optional token.
   */
  auth?: 'bearer' | 'public' | 'metrics';
  params?: Joi.ObjectSchema;
  query?: Joi.ObjectSchema;
  body?: Joi.ObjectSchema;
  /** The request body's component name (default: the operationId in PascalCase + `Request`). */
  bodyName?: string;
  bodyDescription?: string;
  /** Takes an Idempotency-Key (or body `requestId`): replays, key reuse and the new-key limit. */
  idempotent?: boolean;
  responses: SuccessResponse[];
  /** The failures particular to this operation; the shared ones (shape, token, body, key, server) are added. */
  errors?: ProblemCase[];
}

/** Declares an operation (an identity, so that a route file's table is checked against the type). */
export function operation(declaration: Operation): Operation {
  return declaration;
}

/** Express `/orders/:orderId` → OpenAPI `/orders/{orderId}`. */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, '{$1}');
}
