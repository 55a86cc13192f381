import { expect } from 'chai';
import { fieldsOf } from '../../../../src/application/shared/fields.js';

describe('fieldsOf (how the API views and the integration events write a snapshot as JSON)', () => {
  const at = new Date('2026-01-15T09:00:00.000Z');
  const address = { line1: 'Teheran-ro', line2: null };
  const lines = [{ id: 1 }, { id: 2 }];
  const snapshot = { version: 3, lines, id: 7, createdAt: at, usedAt: null, address, name: 'Runner' };

  it('writes the named fields only, in the order named: the order of the JSON keys', () => {
    const written = fieldsOf(snapshot, ['id', 'name', 'createdAt']);
    expect(JSON.stringify(written)).to.equal('{"id":7,"name":"Runner","createdAt":"2026-01-15T09:00:00.000Z"}');
  });

  it('writes a date as its ISO string and keeps null as null', () => {
    expect(fieldsOf(snapshot, ['createdAt', 'usedAt'])).to.deep.equal({ createdAt: '2026-01-15T09:00:00.000Z', usedAt: null });
  });

  it('copies an object as an object and an array as an array (one level deep)', () => {
    const written = fieldsOf(snapshot, ['address', 'lines']);
    expect(written.address).to.deep.equal(address);
    expect(written.address).not.to.equal(address);
    expect(written.lines).to.be.an('array').that.deep.equals(lines);
    expect(written.lines).not.to.equal(lines);
  });
});
