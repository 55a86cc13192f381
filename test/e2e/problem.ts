import { expect } from 'chai';
import jwt from 'jsonwebtoken';
import { TEST_JWT_SECRET } from '../support/config.js';
import type { ApiResponse } from '../support/service.js';

/** What no answer may ever show: stack frames, source paths, SQL, driver messages. */
const LEAKS = /\bat [^\s]+ \(|\bat (file|node):|\.ts:\d+|\.js:\d+|node_modules|\bselect\b.*\bfrom\b|\binsert into\b|\bupdate\b.*\bset\b|syntax error|violates|relation "|pg_|knex/i;

/**
 * Checks an RFC 9457 problem answer exactly as API.md writes it: status, application/problem+json,
 * type/title/status/detail/code/instance, and nothing that leaks the implementation.
 */
export function expectProblem(res: ApiResponse, status: number, code: string, instance?: string): void {
  expect(res.status, `status of ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers.get('content-type') ?? '').to.match(/^application\/problem\+json\b/);
  const body = res.body as Record<string, unknown>;
  expect(body).to.be.an('object');
  expect(body['code']).to.equal(code);
  expect(body['status']).to.equal(status);
  expect(body['type']).to.be.a('string').that.is.not.empty;
  expect(body['title']).to.be.a('string').that.is.not.empty;
  expect(body['detail']).to.be.a('string');
  expect(body['instance']).to.be.a('string');
  if (instance !== undefined) expect(body['instance']).to.equal(instance);
  const allowed = ['type', 'title', 'status', 'detail', 'code', 'instance', 'errors'];
  expect(Object.keys(body).filter((k) => !allowed.includes(k)), 'unexpected problem fields').to.deep.equal([]);
  if (code !== 'VALIDATION_FAILED') expect(body).not.to.have.property('errors');
  expect(JSON.stringify(body)).not.to.match(LEAKS);
}

/** 400 VALIDATION_FAILED whose `errors` name every one of `fields`. */
export function expectValidation(res: ApiResponse, instance: string, ...fields: string[]): void {
  expectProblem(res, 400, 'VALIDATION_FAILED', instance);
  const errors = (res.body as { errors?: unknown }).errors;
  expect(errors).to.be.an('array').that.is.not.empty;
  for (const e of errors as Array<Record<string, unknown>>) {
    expect(Object.keys(e)).to.have.members(['field', 'message']);
    expect(e['field']).to.be.a('string').that.is.not.empty;
    expect(e['message']).to.be.a('string').that.is.not.empty;
  }
  const named = (errors as Array<{ field: string }>).map((e) => e.field);
  for (const field of fields) expect(named, `errors naming ${field}`).to.include(field);
}

/** A time as API.md writes times: ISO 8601 UTC. */
export function expectIsoTime(value: unknown): void {
  expect(value).to.be.a('string');
  expect(new Date(value as string).toISOString()).to.equal(value);
}

/** A token the service would accept (or not), signed with the test secret unless told otherwise. */
export function forgeToken(claims: { sub: number | string; role: string; exp?: number }, secret = TEST_JWT_SECRET): string {
  const { sub, ...rest } = claims;
  const exp = claims.exp ?? Math.floor(Date.now() / 1000) + 3600;
  return jwt.sign({ ...rest, exp }, secret, { algorithm: 'HS256', subject: String(sub) });
}
