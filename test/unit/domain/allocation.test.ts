import { expect } from 'chai';
import { allocateProportionally } from '../../../src/domain/shared/allocation.js';
import { thrownBy } from '../expect-error.js';

describe('allocateProportionally (a discount split over line amounts)', () => {
  const sum = (parts: number[]) => parts.reduce((a, b) => a + b, 0);

  it('exact shares need no rounding: 3,000 over 10,000 / 20,000 is 1,000 / 2,000', () => {
    expect(allocateProportionally(3_000, [10_000, 20_000])).to.deep.equal([1_000, 2_000]);
  });

  it('shares round down and the won left over go to the largest remainders: 100 over 3 equal lines is 34 / 33 / 33', () => {
    expect(allocateProportionally(100, [500, 500, 500])).to.deep.equal([34, 33, 33]);
  });

  it('the largest remainder wins over the earlier line: 10 over 1,000 / 2,000 / 4,000 is 1 / 3 / 6 (1.43, 2.86, 5.71)', () => {
    expect(allocateProportionally(10, [1_000, 2_000, 4_000])).to.deep.equal([1, 3, 6]);
  });

  it('ties go to the earlier line, so the same inputs always split the same way', () => {
    expect(allocateProportionally(1, [5, 5])).to.deep.equal([1, 0]);
    expect(allocateProportionally(2, [5, 5, 5])).to.deep.equal([1, 1, 0]);
    expect(allocateProportionally(2, [5, 5, 5])).to.deep.equal(allocateProportionally(2, [5, 5, 5]));
  });

  it('a weight of 0 (a line the coupon does not cover) gets nothing, however the rest round', () => {
    expect(allocateProportionally(7, [0, 300, 0, 300, 0])).to.deep.equal([0, 4, 0, 3, 0]);
  });

  it('nothing to split: all zeros; all of it: each part is its weight', () => {
    expect(allocateProportionally(0, [4, 5])).to.deep.equal([0, 0]);
    expect(allocateProportionally(9, [4, 5])).to.deep.equal([4, 5]);
    expect(allocateProportionally(0, [0, 0])).to.deep.equal([0, 0]);
  });

  it('always sums exactly and never gives a part more than its weight, over many splits', () => {
    const weights = [1_300, 700, 0, 59_000, 1, 12_345];
    for (let total = 0; total <= sum(weights); total += 997) {
      const parts = allocateProportionally(total, weights);
      expect(sum(parts), `total ${total}`).to.equal(total);
      parts.forEach((part, i) => expect(part, `total ${total}, part ${i}`).to.be.within(0, weights[i] as number));
    }
  });

  it('stays exact where total × weight passes 2^53', () => {
    const big = 3_000_000_000_000;
    const parts = allocateProportionally(big - 1, [big, big]);
    expect(parts).to.deep.equal([big / 2, big / 2 - 1]);
  });

  it('refuses more than the weights hold, negatives and fractions', () => {
    for (const [total, weights] of [
      [11, [5, 5]],
      [-1, [5]],
      [1, [-5, 10]],
      [1.5, [5]],
      [1, [2.5]],
    ] as [number, number[]][]) {
      expect(thrownBy(() => allocateProportionally(total, weights)), `${total} over ${JSON.stringify(weights)}`).to.be.instanceOf(RangeError);
    }
  });
});
