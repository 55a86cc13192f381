import { expect } from 'chai';
import {
  availableOf,
  DEFAULT_LOW_STOCK_THRESHOLD,
  Stock,
  type StockLevels,
  stockStatusOf,
  sumLevels,
} from '../../../src/domain/catalog/stock.js';
import { InsufficientStock } from '../../../src/domain/catalog/errors.js';
import { InvalidState } from '../../../src/domain/shared/errors.js';
import { expectThrowsCode, thrownBy } from '../expect-error.js';

const levels = (total: number, reserved: number, sold: number): StockLevels => ({ total, reserved, sold });

/** A small deterministic PRNG (mulberry32), so the randomized sequence is the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe('stock status (DOMAIN.md "Catalog and stock")', () => {
  it('the default low-stock threshold is 5', () => {
    expect(DEFAULT_LOW_STOCK_THRESHOLD).to.equal(5);
  });

  describe('DISCONTINUED beats everything', () => {
    for (const [label, l] of [
      ['plenty available', levels(100, 0, 0)],
      ['a few left', levels(3, 0, 0)],
      ['all reserved', levels(4, 4, 0)],
      ['all sold', levels(0, 0, 9)],
      ['never had any', levels(0, 0, 0)],
    ] as const) {
      it(`a discontinued option with ${label} is DISCONTINUED`, () => {
        expect(stockStatusOf(l, true)).to.equal('DISCONTINUED');
        expect(stockStatusOf(l, true, 0)).to.equal('DISCONTINUED');
      });
    }
  });

  it('available 0 with units reserved is RESERVED (they may come back), whether or not any were sold', () => {
    expect(stockStatusOf(levels(2, 2, 0), false)).to.equal('RESERVED');
    expect(stockStatusOf(levels(2, 2, 7), false)).to.equal('RESERVED');
    expect(stockStatusOf(levels(1, 1, 0), false, 0)).to.equal('RESERVED');
  });

  it('available 0, nothing reserved, some sold is SOLD', () => {
    expect(stockStatusOf(levels(0, 0, 1), false)).to.equal('SOLD');
    expect(stockStatusOf(levels(0, 0, 50), false)).to.equal('SOLD');
  });

  it('all zero (never had stock, none sold) is OUT_OF_STOCK', () => {
    expect(stockStatusOf(levels(0, 0, 0), false)).to.equal('OUT_OF_STOCK');
  });

  it('1 up to and including the threshold available is LOW_STOCK', () => {
    for (let available = 1; available <= DEFAULT_LOW_STOCK_THRESHOLD; available += 1) {
      expect(stockStatusOf(levels(available, 0, 0), false), `available ${available}`).to.equal('LOW_STOCK');
    }
    expect(stockStatusOf(levels(5, 0, 0), false)).to.equal('LOW_STOCK');
    // reserved and sold units do not count as available
    expect(stockStatusOf(levels(9, 4, 20), false)).to.equal('LOW_STOCK');
  });

  it('threshold + 1 available is AVAILABLE', () => {
    expect(stockStatusOf(levels(6, 0, 0), false)).to.equal('AVAILABLE');
    expect(stockStatusOf(levels(10, 4, 3), false)).to.equal('AVAILABLE');
  });

  it('a custom threshold moves the LOW_STOCK boundary', () => {
    expect(stockStatusOf(levels(10, 0, 0), false, 10)).to.equal('LOW_STOCK');
    expect(stockStatusOf(levels(11, 0, 0), false, 10)).to.equal('AVAILABLE');
    expect(stockStatusOf(levels(2, 0, 0), false, 1)).to.equal('AVAILABLE');
    expect(stockStatusOf(levels(1, 0, 0), false, 1)).to.equal('LOW_STOCK');
  });

  it('threshold 0 never gives LOW_STOCK', () => {
    for (let available = 1; available <= 7; available += 1) {
      expect(stockStatusOf(levels(available, 0, 0), false, 0), `available ${available}`).to.equal('AVAILABLE');
    }
    expect(stockStatusOf(levels(0, 0, 0), false, 0)).to.equal('OUT_OF_STOCK');
    expect(stockStatusOf(levels(0, 0, 3), false, 0)).to.equal('SOLD');
  });

  it('availableOf is total minus reserved', () => {
    expect(availableOf(levels(10, 3, 99))).to.equal(7);
  });

  describe('sumLevels', () => {
    it('adds total, reserved and sold over every option', () => {
      expect(sumLevels([levels(3, 1, 0), levels(0, 0, 4), levels(10, 10, 2)])).to.deep.equal(levels(13, 11, 6));
    });

    it('of no options is all zero', () => {
      expect(sumLevels([])).to.deep.equal(levels(0, 0, 0));
    });

    it('a product with one option sold out and one with 2 left is LOW_STOCK', () => {
      const soldOut = levels(0, 0, 8);
      const twoLeft = levels(2, 0, 0);
      expect(stockStatusOf(soldOut, false)).to.equal('SOLD');
      expect(stockStatusOf(sumLevels([soldOut, twoLeft]), false)).to.equal('LOW_STOCK');
    });

    it('a product whose options are sold out and reserved is RESERVED; sold out and never stocked is SOLD', () => {
      expect(stockStatusOf(sumLevels([levels(0, 0, 8), levels(3, 3, 0)]), false)).to.equal('RESERVED');
      expect(stockStatusOf(sumLevels([levels(0, 0, 8), levels(0, 0, 0)]), false)).to.equal('SOLD');
    });
  });
});

describe('Stock (one option’s guarded moves)', () => {
  const at = (l: StockLevels) => Stock.of(42, l);

  it('of copies the levels it is given', () => {
    const input = levels(10, 2, 1);
    const stock = at(input);
    stock.reserve(1);
    expect(input).to.deep.equal(levels(10, 2, 1));
    expect(stock.optionId).to.equal(42);
  });

  it('toLevels returns a copy', () => {
    const stock = at(levels(10, 2, 1));
    const copy = stock.toLevels();
    copy.total = 0;
    expect(stock.toLevels()).to.deep.equal(levels(10, 2, 1));
  });

  describe('reserve', () => {
    it('holds units within what is available', () => {
      const stock = at(levels(10, 2, 1));
      stock.reserve(3);
      expect(stock.toLevels()).to.deep.equal(levels(10, 5, 1));
      expect(stock.available).to.equal(5);
    });

    it('may take exactly everything available', () => {
      const stock = at(levels(10, 2, 0));
      stock.reserve(8);
      expect(stock.toLevels()).to.deep.equal(levels(10, 10, 0));
      expect(stock.available).to.equal(0);
    });

    it('more than available is INSUFFICIENT_STOCK and changes nothing', () => {
      const stock = at(levels(10, 2, 1));
      const error = expectThrowsCode(() => stock.reserve(9), 'INSUFFICIENT_STOCK');
      expect(error).to.be.instanceOf(InsufficientStock);
      expect(stock.toLevels()).to.deep.equal(levels(10, 2, 1));
    });
  });

  describe('confirm', () => {
    it('moves reserved units out of the total and counts them sold', () => {
      const stock = at(levels(10, 4, 1));
      stock.confirm(3);
      expect(stock.toLevels()).to.deep.equal(levels(7, 1, 4));
      expect(stock.available).to.equal(6);
    });

    it('more than reserved is INVALID_STATE and changes nothing', () => {
      const stock = at(levels(10, 2, 1));
      const error = expectThrowsCode(() => stock.confirm(3), 'INVALID_STATE');
      expect(error).to.be.instanceOf(InvalidState);
      expect(stock.toLevels()).to.deep.equal(levels(10, 2, 1));
    });
  });

  describe('release', () => {
    it('gives reserved units back to available', () => {
      const stock = at(levels(10, 4, 1));
      stock.release(4);
      expect(stock.toLevels()).to.deep.equal(levels(10, 0, 1));
      expect(stock.available).to.equal(10);
    });

    it('more than reserved is INVALID_STATE and changes nothing', () => {
      const stock = at(levels(10, 2, 1));
      expectThrowsCode(() => stock.release(3), 'INVALID_STATE');
      expect(stock.toLevels()).to.deep.equal(levels(10, 2, 1));
    });
  });

  describe('restock', () => {
    it('adds to the total only', () => {
      const stock = at(levels(0, 0, 5));
      stock.restock(12);
      expect(stock.toLevels()).to.deep.equal(levels(12, 0, 5));
    });
  });

  describe('returnSold', () => {
    it('puts sold units back on the shelf', () => {
      const stock = at(levels(3, 1, 5));
      stock.returnSold(2);
      expect(stock.toLevels()).to.deep.equal(levels(5, 1, 3));
    });

    it('more than sold is INVALID_STATE and changes nothing', () => {
      const stock = at(levels(3, 1, 5));
      expectThrowsCode(() => stock.returnSold(6), 'INVALID_STATE');
      expect(stock.toLevels()).to.deep.equal(levels(3, 1, 5));
    });
  });

  describe('quantities', () => {
    const moves: [string, (s: Stock, q: number) => void][] = [
      ['reserve', (s, q) => s.reserve(q)],
      ['confirm', (s, q) => s.confirm(q)],
      ['release', (s, q) => s.release(q)],
      ['restock', (s, q) => s.restock(q)],
      ['returnSold', (s, q) => s.returnSold(q)],
    ];
    for (const [name, move] of moves) {
      it(`${name} refuses 0, negative, fractional and non-finite quantities with a RangeError, changing nothing`, () => {
        for (const q of [0, -1, -10, 1.5, 0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
          const stock = at(levels(10, 5, 5));
          const error = thrownBy(() => move(stock, q));
          expect(error, `quantity ${q}`).to.be.instanceOf(RangeError);
          expect(stock.toLevels(), `quantity ${q}`).to.deep.equal(levels(10, 5, 5));
        }
      });
    }
  });

  it('keeps total >= reserved >= 0 and sold >= 0 through a long random sequence of moves (fixed seed), matching a model', () => {
    const random = seeded(20_260_115);
    const stock = at(levels(5, 0, 0));
    const model = { total: 5, reserved: 0, sold: 0 };
    const counts = { ok: 0, refused: 0 };
    for (let step = 0; step < 2_000; step += 1) {
      const q = 1 + Math.floor(random() * 6);
      const kind = Math.floor(random() * 5);
      const before = stock.toLevels();
      let expected: StockLevels | null;
      switch (kind) {
        case 0:
          expected = model.total - model.reserved >= q ? { ...model, reserved: model.reserved + q } : null;
          break;
        case 1:
          expected = model.reserved >= q ? { total: model.total - q, reserved: model.reserved - q, sold: model.sold + q } : null;
          break;
        case 2:
          expected = model.reserved >= q ? { ...model, reserved: model.reserved - q } : null;
          break;
        case 3:
          expected = { ...model, total: model.total + q };
          break;
        default:
          expected = model.sold >= q ? { ...model, total: model.total + q, sold: model.sold - q } : null;
      }
      const apply = () =>
        [
          () => stock.reserve(q),
          () => stock.confirm(q),
          () => stock.release(q),
          () => stock.restock(q),
          () => stock.returnSold(q),
        ][kind]!();
      if (expected) {
        apply();
        Object.assign(model, expected);
        counts.ok += 1;
      } else {
        const error = thrownBy(apply);
        expect(error).to.have.property('code').that.is.oneOf(['INSUFFICIENT_STOCK', 'INVALID_STATE']);
        expect(stock.toLevels(), `step ${step}: a refused move changed nothing`).to.deep.equal(before);
        counts.refused += 1;
      }
      const now = stock.toLevels();
      expect(now, `step ${step}`).to.deep.equal(model);
      expect(now.total, `step ${step}: total >= reserved`).to.be.at.least(now.reserved);
      expect(now.reserved, `step ${step}: reserved >= 0`).to.be.at.least(0);
      expect(now.sold, `step ${step}: sold >= 0`).to.be.at.least(0);
      expect(stock.available, `step ${step}`).to.equal(now.total - now.reserved);
    }
    // the sequence really exercised both paths
    expect(counts.ok).to.be.greaterThan(500);
    expect(counts.refused).to.be.greaterThan(100);
  });
});
