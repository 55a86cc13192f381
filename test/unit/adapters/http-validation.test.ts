import { expect } from 'chai';
import type { Request, Response } from 'express';
import Joi from 'joi';
import { HttpProblem } from '../../../src/adapters/http/problem.js';
import { calendarDay, dateTime, inspectInput, parseDateTime, validate } from '../../../src/adapters/http/validation.js';
import { thrownBy } from '../expect-error.js';

const LIMITS = { maxDepth: 32, maxEntries: 1000 };

function nested(depth: number, leaf: unknown = 1): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { a: value };
  return value;
}

describe('HTTP input checks (validation.ts)', () => {
  describe('inspectInput: one iterative walk for NUL, unpaired surrogates, depth and width', () => {
    it('passes ordinary input, surrogate pairs (emoji) included', () => {
      expect(inspectInput({ name: 'Kim 😀', options: [{ name: '270 mm', stock: 3 }], n: null, ok: true }, 'body', LIMITS)).to.equal(null);
    });

    it('names the field holding a NUL character, in a value or in a key', () => {
      expect(inspectInput({ options: [{ name: 'a' }, { name: 'b\u0000' }] }, 'body', LIMITS)).to.deep.include({ field: 'options.1.name' });
      expect(inspectInput({ ['ke\u0000y']: 1 }, 'body', LIMITS)?.message).to.match(/key.*NUL/);
    });

    for (const [label, text] of [
      ['a lone high surrogate', 'S\uD800'],
      ['a lone low surrogate', '\uDC00S'],
      ['two high surrogates', '\uD800\uD800\uDC00'],
      ['a low surrogate before a high one', '\uDC00\uD800'],
    ] as const) {
      it(`refuses ${label}, in a value and in a key`, () => {
        expect(inspectInput({ email: text }, 'body', LIMITS)).to.deep.equal({
          field: 'email',
          message: 'must not contain an unpaired UTF-16 surrogate (not Unicode text)',
        });
        expect(inspectInput({ [text]: 'x' }, 'query', LIMITS)?.message).to.match(/key.*surrogate/);
      });
    }

    it('accepts 32 levels of objects and arrays and refuses 33, naming the part', () => {
      expect(inspectInput(nested(32), 'body', LIMITS)).to.equal(null);
      expect(inspectInput(nested(33), 'body', LIMITS)).to.deep.equal({
        field: 'body',
        message: 'is nested too deeply: at most 32 levels of objects and arrays',
      });
    });

    it('walks a body nested 200,000 deep without overflowing the stack, with or without a depth limit', () => {
      const deep = JSON.parse(`${'['.repeat(200_000)}"\\u0000"${']'.repeat(200_000)}`) as unknown;
      expect(inspectInput(deep, 'body', LIMITS)?.message).to.match(/nested too deeply/);
      expect(inspectInput(deep, 'body', { maxDepth: 0, maxEntries: 0 })?.message).to.match(/NUL/);
    });

    it('refuses an object or array with more entries than allowed, naming it', () => {
      expect(inspectInput({ items: new Array(1000).fill({}) }, 'body', LIMITS)).to.equal(null);
      expect(inspectInput({ items: new Array(1001).fill({}) }, 'body', LIMITS)).to.deep.equal({
        field: 'items',
        message: 'has too many entries: at most 1000 in one object or array',
      });
      const wide = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i]));
      expect(inspectInput(wide, 'body', LIMITS)?.field).to.equal('body');
    });

    it('0 switches a limit off', () => {
      expect(inspectInput(nested(100), 'body', { maxDepth: 0, maxEntries: 1000 })).to.equal(null);
      expect(inspectInput(new Array(5000).fill(1), 'body', { maxDepth: 32, maxEntries: 0 })).to.equal(null);
    });
  });

  describe('parseDateTime and dateTime: RFC 3339 date-times with a zone, 1970..9999', () => {
    for (const [text, iso] of [
      ['2026-01-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
      ['2026-01-01T09:00:00+09:00', '2026-01-01T00:00:00.000Z'],
      ['2025-12-31T19:30:00-04:30', '2026-01-01T00:00:00.000Z'],
      ['2026-01-01t00:00:00.123456789z', '2026-01-01T00:00:00.123Z'],
      ['2024-02-29T12:00:00.5Z', '2024-02-29T12:00:00.500Z'],
      ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
      ['9999-12-31T23:59:59.999Z', '9999-12-31T23:59:59.999Z'],
    ] as const) {
      it(`${text} is ${iso}`, () => {
        expect(parseDateTime(text)?.toISOString()).to.equal(iso);
        expect(dateTime.validate(text, { convert: false }).value).to.deep.equal(new Date(iso));
      });
    }

    for (const text of [
      '2026-01-01',
      '2026-01-01T00:00:00',
      '2026-01-01T00:00Z',
      '2026-02-30T00:00:00Z',
      '2025-02-29T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T23:60:00Z',
      '2026-12-31T23:59:60Z',
      '2026-01-01T00:00:00+24:00',
      '2026-01-01 00:00:00Z',
      '+275760-09-13T00:00:00Z',
      'Thu, 01 Jan 2026 00:00:00 GMT',
      '1767225600000',
    ]) {
      it(`${text} is refused as not a real RFC 3339 date-time with a zone`, () => {
        expect(parseDateTime(text)).to.equal(null);
        expect(dateTime.validate(text, { convert: false }).error?.details[0]?.type).to.equal('dateTime.format');
      });
    }

    for (const text of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59.999Z', '1970-01-01T00:30:00+01:00', '9999-12-31T23:00:00-01:00']) {
      it(`${text} is refused as outside 1970-01-01T00:00:00Z..9999-12-31T23:59:59.999Z`, () => {
        expect(dateTime.validate(text, { convert: false }).error?.details[0]?.type).to.equal('dateTime.range');
      });
    }
  });

  describe('calendarDay: a real YYYY-MM-DD from 1970-01-01 to 9999-12-31', () => {
    it('accepts the bounds and a leap day', () => {
      for (const day of ['1970-01-01', '2024-02-29', '9999-12-31']) expect(calendarDay.validate(day).error).to.equal(undefined);
    });

    it('refuses days outside the bounds, and days the calendar does not have', () => {
      for (const day of ['0000-01-01', '1969-12-31']) expect(calendarDay.validate(day).error?.details[0]?.type).to.equal('day.range');
      for (const day of ['2026-02-30', '2026-1-01', '10000-01-01', '2026-01-01T00:00:00Z']) {
        expect(calendarDay.validate(day).error?.details[0]?.type).to.equal('day.format');
      }
    });
  });
});

describe('validate() with the structure limits off (JSON_MAX_ENTRIES=0)', () => {
  it('a body of 150,000 broken items is VALIDATION_FAILED naming the body, not the RangeError joi throws collecting them', () => {
    const middleware = validate({ body: Joi.object({ items: Joi.array().items(Joi.object({ quantity: Joi.number().required() })).max(100) }) });
    const req = { params: {}, query: {}, body: { items: Array.from({ length: 150_000 }, () => ({})) } } as unknown as Request;
    const res = { locals: {} } as unknown as Response;
    const error = thrownBy(() => middleware(req, res, () => undefined));
    expect(error).to.be.instanceOf(HttpProblem);
    expect(error).to.deep.include({ code: 'VALIDATION_FAILED', errors: [{ field: 'body', message: 'has too many problems to list' }] });
  });
});
