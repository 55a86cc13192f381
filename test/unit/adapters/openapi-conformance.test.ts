import { expect } from 'chai';
import { nonconformity } from '../../support/openapi-conformance.js';

/** The e2e suites' check of every answer against the document must itself catch a drift. */
describe('answers held to the OpenAPI document (test/support/openapi-conformance.ts)', () => {
  const balance = { userId: 7, balance: 5000, updatedAt: '2026-01-01T00:00:00.000Z' };

  it('passes an answer the document describes', () => {
    expect(nonconformity('GET', '/api/v1/balances/7', 200, 'application/json; charset=utf-8', balance)).to.equal(null);
  });

  it('names a body that does not match the documented schema', () => {
    expect(nonconformity('GET', '/api/v1/balances/me', 200, 'application/json', { ...balance, balance: '5000' })).to.match(/\/balance must be integer/);
    expect(nonconformity('GET', '/api/v1/balances/me', 200, 'application/json', { userId: 7 })).to.match(/must have required property 'balance'/);
  });

  it('names a status the operation does not document, and a content type it does not', () => {
    expect(nonconformity('GET', '/api/v1/balances/7', 418, 'application/json', {})).to.match(/status is not documented/);
    expect(nonconformity('GET', '/api/v1/balances/7', 200, 'text/html', '<html>')).to.match(/content type text\/html is not documented/);
  });

  it('holds problem answers to the Problem schema', () => {
    const problem = { type: 'urn:x', title: 'Not found', status: 404, detail: 'User 9 does not exist', code: 'NOT_FOUND', instance: '/api/v1/balances/9' };
    expect(nonconformity('GET', '/api/v1/balances/9', 404, 'application/problem+json', problem)).to.equal(null);
    expect(nonconformity('GET', '/api/v1/balances/9', 404, 'application/problem+json', { ...problem, code: 'NO_SUCH_CODE' })).to.match(/\/code must be equal to one of the allowed values/);
  });

  it('leaves unknown routes to the 404 tests', () => {
    expect(nonconformity('GET', '/api/v1/nothing-here', 404, 'application/problem+json', {})).to.equal(null);
  });
});
