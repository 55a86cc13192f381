import { expect } from 'chai';
import { offsetOf, pageOf } from '../../../src/domain/shared/page.js';

describe('pages of a list', () => {
  it('57 items in pages of 20 make 3 pages', () => {
    expect(pageOf(['a'], { page: 3, size: 20 }, 57)).to.deep.equal({
      items: ['a'],
      page: 3,
      size: 20,
      totalItems: 57,
      totalPages: 3,
    });
  });

  it('no items make 0 pages', () => {
    expect(pageOf([], { page: 1, size: 20 }, 0)).to.deep.equal({ items: [], page: 1, size: 20, totalItems: 0, totalPages: 0 });
  });

  it('a full last page adds no extra page (60 items / 20 = 3), one more item does (61 → 4)', () => {
    expect(pageOf([], { page: 1, size: 20 }, 60).totalPages).to.equal(3);
    expect(pageOf([], { page: 1, size: 20 }, 61).totalPages).to.equal(4);
    expect(pageOf([], { page: 1, size: 20 }, 1).totalPages).to.equal(1);
  });

  it('page n (1-based) starts after the first (n - 1) × size items', () => {
    expect(offsetOf({ page: 1, size: 20 })).to.equal(0);
    expect(offsetOf({ page: 3, size: 20 })).to.equal(40);
    expect(offsetOf({ page: 2, size: 7 })).to.equal(7);
  });
});
