import { expect } from 'chai';
import Joi from 'joi';
import { openApiSchemaOf } from '../../../src/adapters/http/openapi/joi-schema.js';
import { exampleOf } from '../../../src/adapters/http/openapi/document.js';
import { calendarDay, dateTime, positiveId, requestIdField, text, userIdOrMe } from '../../../src/adapters/http/validation.js';
import { thrownBy } from '../expect-error.js';

describe('joi → OpenAPI schemas (openapi/joi-schema.ts)', () => {
  it('an object: its keys, the required ones, and no unknown keys (joi refuses them)', () => {
    const schema = openApiSchemaOf(Joi.object({ id: positiveId.required(), note: Joi.string().max(10) }));
    expect(schema).to.deep.equal({
      type: 'object',
      properties: {
        id: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 42 },
        note: { type: 'string', maxLength: 10 },
      },
      required: ['id'],
      additionalProperties: false,
    });
  });

  it('text: 1..max characters and a non-blank pattern, as the validation refuses blank', () => {
    expect(openApiSchemaOf(text(50))).to.include({ type: 'string', minLength: 1, maxLength: 50, pattern: '\\S' });
    const blank = text(50).validate('   ');
    expect(blank.error?.message).to.match(/must not be blank/);
  });

  it('a trimmed string that may not be empty: the pattern says it cannot be blank, the description that it is trimmed', () => {
    const schema = openApiSchemaOf(Joi.string().trim().min(1).max(50));
    expect(schema).to.include({ pattern: '\\S', minLength: 1 });
    expect(schema['description']).to.match(/trimmed/);
  });

  it('allow(null) is nullable and allow("") takes the minimum length to 0', () => {
    expect(openApiSchemaOf(Joi.number().integer().min(1).allow(null))).to.include({ nullable: true });
    expect(openApiSchemaOf(Joi.string().min(1).max(9).allow(''))).to.include({ minLength: 0 });
  });

  it('valid(...) is an enum of its type, with the default', () => {
    expect(openApiSchemaOf(Joi.string().valid('a', 'b').default('a'))).to.deep.equal({ type: 'string', enum: ['a', 'b'], default: 'a' });
  });

  it('alternatives are anyOf, and a description on the whole is kept', () => {
    const schema = openApiSchemaOf(userIdOrMe);
    expect(schema['anyOf']).to.have.length(2);
    expect(schema['description']).to.match(/me/);
  });

  it('an e-mail is idn-email: joi takes internationalised addresses, which format email would refuse', () => {
    expect(openApiSchemaOf(Joi.string().email({ tlds: false }))).to.include({ format: 'idn-email' });
    expect(Joi.string().email({ tlds: false }).validate('ü@example.com').error).to.equal(undefined);
  });

  it('a condition is written as prose, with the widest schema any branch takes', () => {
    const body = Joi.object({
      type: Joi.string().valid('PERCENTAGE', 'FIXED'),
      discountValue: Joi.when('type', { is: 'PERCENTAGE', then: Joi.number().integer().min(1).max(100), otherwise: Joi.number().integer().min(1).max(5000) }),
      businessNumber: Joi.string().when('type', { is: 'FIXED', then: Joi.required(), otherwise: Joi.forbidden() }),
    });
    const { properties } = openApiSchemaOf(body) as { properties: Record<string, Record<string, unknown>> };
    expect(properties['discountValue']!['anyOf']).to.deep.equal([
      { type: 'integer', format: 'int32', minimum: 1, maximum: 100 },
      { type: 'integer', format: 'int32', minimum: 1, maximum: 5000 },
    ]);
    expect(properties['discountValue']!['description']).to.equal(
      'When `type` is `PERCENTAGE`: a whole number from 1 to 100. Otherwise: a whole number from 1 to 5000.',
    );
    expect(properties['businessNumber']!['description']).to.equal('When `type` is `FIXED`: required. Otherwise: not allowed.');
  });

  it('a reference that must differ is said in prose', () => {
    const schema = openApiSchemaOf(Joi.object({ a: Joi.string(), b: Joi.string().invalid(Joi.ref('a')) })) as { properties: Record<string, Record<string, unknown>> };
    expect(schema.properties['b']!['description']).to.equal('Must differ from `a`.');
  });

  it('custom rules say their format through meta: date-times and days', () => {
    expect(openApiSchemaOf(dateTime)).to.include({ type: 'string', format: 'date-time' });
    expect(openApiSchemaOf(calendarDay)).to.include({ type: 'string', format: 'date' });
  });

  it('xor(a, b) is a oneOf of "a required" and "b required", and says so in prose', () => {
    const schema = openApiSchemaOf(Joi.object({ id: positiveId, code: Joi.string().max(40) }).xor('id', 'code'));
    expect(schema).to.deep.equal({
      type: 'object',
      properties: {
        id: { type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 42 },
        code: { type: 'string', maxLength: 40 },
      },
      oneOf: [{ required: ['id'] }, { required: ['code'] }],
      description: 'Exactly one of `id`, `code`.',
      additionalProperties: false,
    });
  });

  it('or(a, b) is an anyOf of "a required" and "b required", and says so in prose', () => {
    const schema = openApiSchemaOf(Joi.object({ role: Joi.string(), status: Joi.string() }).or('role', 'status'));
    expect(schema).to.deep.include({ anyOf: [{ required: ['role'] }, { required: ['status'] }], description: 'At least one of `role`, `status`.' });
    expect(exampleOf(openApiSchemaOf(Joi.object({ role: Joi.string().example('SELLER'), status: Joi.string() }).or('role', 'status')))).to.deep.equal({ role: 'SELLER' });
    expect(exampleOf(openApiSchemaOf(Joi.object({ id: positiveId, code: Joi.string() }).xor('id', 'code')))).to.deep.equal({ id: 42 });
  });

  it('fails loudly on joi it does not know, rather than document it wrongly', () => {
    expect((thrownBy(() => openApiSchemaOf(Joi.date())) as Error).message).to.match(/type date is not supported/);
    expect((thrownBy(() => openApiSchemaOf(Joi.string().pattern(/a/i))) as Error).message).to.match(/pattern flags i/);
    expect((thrownBy(() => openApiSchemaOf(Joi.object({ a: Joi.number(), b: Joi.number() }).with('a', 'b'))) as Error).message).to.match(/object relation with/);
    expect((thrownBy(() => openApiSchemaOf(Joi.object({ a: Joi.number(), b: Joi.number(), c: Joi.number() }).xor('a', 'b').xor('b', 'c'))) as Error).message).to.match(
      /object relation xor/,
    );
  });

  it('the example body holds the required fields and the fields with examples, never requestId', () => {
    const schema = openApiSchemaOf(
      Joi.object({ amount: Joi.number().integer().required().example(10000), note: Joi.string(), items: Joi.array().items(Joi.object({ id: positiveId.required() })).required(), requestId: requestIdField }),
    );
    expect(exampleOf(schema)).to.deep.equal({ amount: 10000, items: [{ id: 42 }] });
  });
});
