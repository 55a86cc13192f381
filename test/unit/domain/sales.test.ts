import { expect } from 'chai';
import { Payment } from '../../../src/domain/ordering/payment.js';
import {
  assertSaleLine,
  daysSpanned,
  isDay,
  orderGroups,
  popularWindow,
  rankPopular,
  saleDay,
  saleLinesOf,
} from '../../../src/domain/sales/sales.js';
import { expectThrowsCode, thrownBy } from '../expect-error.js';

describe('Sales aggregate rules', () => {
  describe('saleDay: the UTC date a sale counts on', () => {
    it('is the UTC date, whatever the hour', () => {
      expect(saleDay(new Date('2026-03-01T00:00:00.000Z'))).to.equal('2026-03-01');
      expect(saleDay(new Date('2026-03-01T23:59:59.999Z'))).to.equal('2026-03-01');
      // 08:30 in Seoul on 2 March is still 1 March in UTC.
      expect(saleDay(new Date('2026-03-02T08:30:00.000+09:00'))).to.equal('2026-03-01');
    });

    it('a completed payment gives its completion time; any other payment none', () => {
      const at = new Date('2026-01-15T09:00:00.000Z');
      const done = new Date('2026-01-15T23:59:59.000Z');
      const payment = Payment.fromSnapshot({ ...Payment.start(1, 2, 1000, at), id: 3 });
      expect(payment.completedAt).to.equal(null);
      payment.reach('DEBITED', at);
      expect(payment.completedAt).to.equal(null);
      payment.reach('COMPLETED', done);
      expect(payment.completedAt?.toISOString()).to.equal(done.toISOString());
    });
  });

  describe('saleLinesOf: what an order adds', () => {
    it('one line per product, units, gross revenue and the lines’ discounts summed over its options, ascending product id', () => {
      const lines = saleLinesOf([
        { productId: 9, unitPrice: 1_000, quantity: 2, discountAmount: 300 },
        { productId: 4, unitPrice: 5_000, quantity: 1, discountAmount: 0 },
        { productId: 9, unitPrice: 1_000, quantity: 3, discountAmount: 450 },
      ]);
      expect(lines).to.deep.equal([
        { productId: 4, units: 1, revenue: 5_000, discount: 0 },
        { productId: 9, units: 5, revenue: 5_000, discount: 750 },
      ]);
    });

    it('refuses a line that would run a guarded move backwards, or a discount outside 0..revenue', () => {
      for (const bad of [
        { productId: 1, units: 0, revenue: 0, discount: 0 },
        { productId: 1, units: -1, revenue: 100, discount: 0 },
        { productId: 1, units: 1, revenue: -100, discount: 0 },
        { productId: 0, units: 1, revenue: 100, discount: 0 },
        { productId: 1, units: 1.5, revenue: 100, discount: 0 },
        { productId: 1, units: 1, revenue: 100, discount: -1 },
        { productId: 1, units: 1, revenue: 100, discount: 101 },
        { productId: 1, units: 1, revenue: 100, discount: 0.5 },
      ]) {
        expect(thrownBy(() => assertSaleLine(bad)), JSON.stringify(bad)).to.be.instanceOf(RangeError);
      }
      assertSaleLine({ productId: 1, units: 1, revenue: 0, discount: 0 });
      assertSaleLine({ productId: 1, units: 1, revenue: 100, discount: 100 });
    });
  });

  describe('popularWindow: the last `days` days, rolling by day', () => {
    const now = new Date('2026-01-15T09:00:00.000Z');

    it('days=1 is today only; days=3 is today and the two days before', () => {
      expect(popularWindow(now, 1)).to.deep.equal({ from: '2026-01-15', to: '2026-01-15' });
      expect(popularWindow(now, 3)).to.deep.equal({ from: '2026-01-13', to: '2026-01-15' });
    });

    it('crosses months and years; 30 days is the longest', () => {
      expect(popularWindow(new Date('2026-03-01T00:00:00.000Z'), 2)).to.deep.equal({ from: '2026-02-28', to: '2026-03-01' });
      expect(popularWindow(new Date('2026-01-02T12:00:00.000Z'), 30)).to.deep.equal({ from: '2025-12-04', to: '2026-01-02' });
    });

    it('refuses 0, 31 and fractions (VALIDATION_FAILED naming days)', () => {
      for (const days of [0, 31, 2.5]) {
        const error = expectThrowsCode(() => popularWindow(now, days), 'VALIDATION_FAILED') as { errors: { field: string }[] };
        expect(error.errors[0]?.field).to.equal('days');
      }
    });
  });

  describe('days', () => {
    it('isDay accepts real dates written YYYY-MM-DD only', () => {
      expect(isDay('2026-02-28')).to.equal(true);
      expect(isDay('2024-02-29')).to.equal(true);
      for (const bad of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-1-01', '20260101', '2026-01-01T00:00:00Z', '', 'yesterday']) {
        expect(isDay(bad), bad).to.equal(false);
      }
    });

    it('daysSpanned counts both ends', () => {
      expect(daysSpanned({ from: '2026-01-01', to: '2026-01-01' })).to.equal(1);
      expect(daysSpanned({ from: '2024-01-01', to: '2024-12-31' })).to.equal(366);
      expect(daysSpanned({ from: '2026-01-02', to: '2026-01-01' })).to.equal(0);
      expect(daysSpanned({ from: '2026-02-27', to: '2026-03-02' })).to.equal(4);
    });
  });

  describe('rankPopular', () => {
    it('most units first; ties by revenue (descending), then product id (ascending)', () => {
      const ranked = rankPopular(
        [
          { productId: 5, units: 3, revenue: 30_000 },
          { productId: 2, units: 3, revenue: 30_000 },
          { productId: 7, units: 3, revenue: 45_000 },
          { productId: 1, units: 9, revenue: 9_000 },
          { productId: 3, units: 1, revenue: 99_000 },
        ],
        10,
      );
      expect(ranked.map((r) => r.productId)).to.deep.equal([1, 7, 2, 5, 3]);
    });

    it('leaves out products with no net units and keeps only `limit`', () => {
      const sales = [
        { productId: 1, units: 0, revenue: 0 },
        { productId: 2, units: 2, revenue: 2_000 },
        { productId: 3, units: 1, revenue: 1_000 },
        { productId: 4, units: 4, revenue: 4_000 },
      ];
      expect(rankPopular(sales, 2).map((r) => r.productId)).to.deep.equal([4, 2]);
      expect(rankPopular(sales, 20).map((r) => r.productId)).to.deep.equal([4, 2, 3]);
    });
  });

  describe('orderGroups', () => {
    it('orders by key (numbers numerically, strings by code point) and drops empty groups', () => {
      expect(
        orderGroups([
          { key: 10, units: 1, revenue: 1, discount: 0 },
          { key: 9, units: 1, revenue: 1, discount: 0 },
          { key: 2, units: 0, revenue: 0, discount: 0 },
        ]).map((g) => g.key),
      ).to.deep.equal([9, 10]);
      expect(
        orderGroups([
          { key: 'b', units: 1, revenue: 1, discount: 0 },
          { key: 'B', units: 1, revenue: 1, discount: 0 },
          { key: 'a', units: 1, revenue: 1, discount: 0 },
        ]).map((g) => g.key),
      ).to.deep.equal(['B', 'a', 'b']);
    });
  });
});
