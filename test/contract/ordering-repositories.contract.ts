import { expect } from 'chai';
import { aPaymentOf } from '../support/mothers.js';
import type { OutboxEvent } from '../../src/application/ports/outbox.js';
import type { TransactionManager } from '../../src/application/ports/transaction-manager.js';
import { DEFAULT_ORDER_POLICY, type LinesMoved, type NewOrder, Order, type OrderStatus, type PricedLine } from '../../src/domain/ordering/order.js';
import { type NewPayment, Payment, type PaymentRecoveryPolicy } from '../../src/domain/ordering/payment.js';
import { type NewRefund, planRefund, refundTotal } from '../../src/domain/ordering/refund.js';
import type { ShippingAddress } from '../../src/domain/ordering/shipping-address.js';
import type { OrderRepository, PaymentRepository, RefundRepository } from '../../src/domain/ordering/repositories.js';
import type { Outbox } from '../../src/application/ports/outbox.js';
import { rejectionOf, UNKNOWN_ID } from './contract-support.js';

/** Rows that orders refer to; on PostgreSQL they must exist (foreign keys). */
export interface OrderingFixtures {
  /** Two different buyers, nobody else's: their orders are only this test's. */
  buyers: [number, number];
  sellerId: number;
  /** A second seller, for orders with lines of two sellers. */
  otherSellerId: number;
  /** The seller's product, with three options to put on order lines. */
  productId: number;
  optionIds: [number, number, number];
  /** A user coupon of the first buyer's, free to put on an order. */
  userCouponId: number;
}

export interface OrderingRepositoriesSubject {
  orders: OrderRepository;
  payments: PaymentRepository;
  refunds: RefundRepository;
  outbox: Outbox;
  /** The events the outbox holds for one aggregate, in the order they were written. */
  outboxEvents(aggregateType: OutboxEvent['aggregateType'], aggregateId: number): Promise<OutboxEvent[]>;
  transactions: TransactionManager;
  /** Fresh users and a product with options (a new set on every call). */
  fixtures(): Promise<OrderingFixtures>;
}

const T0 = new Date('2026-01-15T09:00:00.000Z');
export const CONTRACT_ADDRESS: ShippingAddress = { recipient: 'Contract Buyer', phone: '+82 10-1234-5678', postalCode: '06236', line1: '1 Contract-ro', line2: '2F' };
/** The n-th second after T0, with milliseconds that must survive the store. */
const at = (n: number, from = T0) => new Date(from.getTime() + n * 1_000 + 7);

/*
 * Queries over every user's orders (the sweeper's, the recovery job's, the admin's list) see the
 * whole store, which on PostgreSQL the whole run shares. Each test that asserts on one gets an
 * era of its own: the sweeper and recovery tests go back a year each time (so orders of a test
 * that ran before are never due in a later one), the admin-list tests forward (so a later test's
 * orders are the newest).
 */
let pastEras = 0;
let futureEras = 0;
const pastEra = () => new Date(Date.UTC(1990 - ++pastEras, 0, 1));
const futureEra = () => new Date(Date.UTC(2990 + ++futureEras, 0, 1));

/** What every set of ordering repositories must do, whatever it stores orders in. */
export function orderingRepositoriesContract(makeSubject: () => Promise<OrderingRepositoriesSubject>): void {
  let subject: OrderingRepositoriesSubject;
  let orders: OrderRepository;
  let payments: PaymentRepository;
  let refunds: RefundRepository;
  let transactions: TransactionManager;
  let fx: OrderingFixtures;
  let buyer: number;
  let otherBuyer: number;

  beforeEach(async function () {
    subject = await makeSubject();
    ({ orders, payments, refunds, transactions } = subject);
    fx = await subject.fixtures();
    [buyer, otherBuyer] = fx.buyers;
  });

  /** An order of `lines` lines (1 to 3): 2 × 1,500 won, then 1 × 12,000, then 3 × 700. */
  function newOrder(
    userId: number,
    placedAt: Date,
    options: { ttlSeconds?: number; discount?: number; lines?: number; userCouponId?: number; sellers?: number[] } = {},
  ): NewOrder {
    const priced: Omit<PricedLine, 'productId' | 'optionId' | 'sellerId'>[] = [
      { productName: 'Contract Sneaker', optionName: 'size 250', unitPrice: 1_500, quantity: 2 },
      { productName: 'Contract Sneaker', optionName: 'size 255', unitPrice: 12_000, quantity: 1 },
      { productName: 'Contract Sneaker', optionName: 'size 260', unitPrice: 700, quantity: 3 },
    ];
    const lines = priced
      .slice(0, options.lines ?? 2)
      .map((line, i) => ({ ...line, productId: fx.productId, optionId: fx.optionIds[i] as number, sellerId: options.sellers?.[i] ?? fx.sellerId }));
    return Order.place(
      { userId, lines, discountAmount: options.discount ?? 0, userCouponId: options.userCouponId ?? null, shippingAddress: CONTRACT_ADDRESS, at: placedAt },
      { ...DEFAULT_ORDER_POLICY, reservationTtlSeconds: options.ttlSeconds ?? DEFAULT_ORDER_POLICY.reservationTtlSeconds },
    );
  }

  const add = (order: NewOrder) => transactions.run(() => orders.add(order));

  /*
   * These orders hold no stock (they are written straight through the repository), and on
   * PostgreSQL they stay in the database the whole run shares: left CREATED or PENDING they would
   * look due to every sweeper and recovery job of later tests. Each test's orders end settled.
   */
  afterEach(async function () {
    const mine = await orders.list({ page: 1, size: 100, userId: buyer });
    const theirs = await orders.list({ page: 1, size: 100, userId: otherBuyer });
    for (const order of [...mine.items, ...theirs.items]) {
      if (order.status !== 'CREATED' && order.status !== 'PENDING') continue;
      await transactions.run(async () => {
        const locked = (await orders.getForUpdate(order.id)) as Order;
        if (locked.status === 'CREATED') locked.cancel('contract test over', new Date(), null);
        else locked.fail('contract test over', new Date(), aPaymentOf(locked));
        await orders.save(locked);
      });
    }
  });

  /** Loads the order locked, moves it and saves it, in one transaction. */
  function move(id: number, act: (order: Order) => void): Promise<Order> {
    return transactions.run(async () => {
      const order = await orders.getForUpdate(id);
      if (!order) throw new Error(`no order ${id}`);
      act(order);
      return orders.save(order);
    });
  }

  /** An order moved to `status` through the state machine, every move at `when`. */
  async function orderIn(status: OrderStatus, userId: number, placedAt: Date, when = placedAt): Promise<Order> {
    const order = await add(newOrder(userId, placedAt));
    switch (status) {
      case 'CREATED':
        return order;
      case 'PENDING':
        return move(order.id, (o) => o.awaitGateway(when));
      case 'CONFIRMED':
        return move(order.id, (o) => o.confirmPayment(when, aPaymentOf(o)));
      case 'CANCELLED':
        return move(order.id, (o) => o.cancel(null, when, null));
      case 'FAILED':
        return move(order.id, (o) => o.fail('DECLINED', when, aPaymentOf(o)));
      default:
        throw new Error(`orderIn does not make ${status} orders`);
    }
  }

  const idsOf = (list: Order[]) => list.map((o) => o.id);

  describe('orders', function () {
    it('add stores the order with its lines, amounts and times; get returns it as stored', async function () {
      const placed = newOrder(buyer, at(1), { lines: 3, discount: 1_234, userCouponId: fx.userCouponId });

      const added = await add(placed);

      expect(Number.isSafeInteger(added.id) && added.id > 0).to.equal(true);
      const itemIds = added.items.map((i) => i.id);
      expect(itemIds.every((id) => Number.isSafeInteger(id) && id > 0) && new Set(itemIds).size === 3, 'each line has an id of its own').to.equal(true);
      const expected = { ...placed, id: added.id, items: placed.items.map((i, n) => ({ ...i, id: itemIds[n] as number, refundedQuantity: 0 })), refunds: [] };
      expect(added).to.be.instanceOf(Order);
      expect(added.toSnapshot()).to.deep.equal(expected);
      expect(expected).to.include({ status: 'CREATED', version: 0, totalAmount: 17_100, discountAmount: 1_234, finalAmount: 15_866 });
      expect((await orders.get(added.id))?.toSnapshot()).to.deep.equal(expected);
      expect(added.items.map((i) => i.optionId)).to.deep.equal(fx.optionIds);
    });

    it('keeps each line\'s part of the discount as placed (only covered lines get any)', async function () {
      const lines = newOrder(buyer, at(1), { lines: 3 }).items.map(({ amount: _a, discountAmount: _d, ...priced }) => priced);
      const placed = Order.place(
        { userId: buyer, lines, discountAmount: 12_100, lineDiscounts: [0, 12_000, 100], userCouponId: null, shippingAddress: CONTRACT_ADDRESS, at: at(1) },
        DEFAULT_ORDER_POLICY,
      );

      const added = await add(placed);

      expect(added.items.map((i) => i.discountAmount)).to.deep.equal([0, 12_000, 100]);
      expect((await orders.get(added.id))?.items.map((i) => i.discountAmount)).to.deep.equal([0, 12_000, 100]);
      expect((await orders.get(added.id))?.toSnapshot()).to.deep.include({ discountAmount: 12_100, finalAmount: 17_100 - 12_100 });
    });

    it('refuses lines whose discounts do not add up to the order\'s, or a line discounted beyond its amount; nothing is stored', async function () {
      const good = newOrder(buyer, at(1), { lines: 2, discount: 1_000 });
      const before = (await orders.list({ page: 1, size: 100, userId: buyer })).totalItems;
      const [first, second] = good.items as [NewOrder['items'][number], NewOrder['items'][number]];
      const shortOf = { ...good, items: [{ ...first, discountAmount: 0 }, { ...second, discountAmount: 999 }] };
      const beyond = { ...good, discountAmount: 3_001, finalAmount: good.totalAmount - 3_001, items: [{ ...first, discountAmount: 3_001 }, { ...second, discountAmount: 0 }] };
      const unsplit = { ...good, items: good.items.map((i) => ({ ...i, discountAmount: 0 })) };

      for (const bad of [shortOf, beyond, unsplit]) await rejectionOf(add(bad));

      expect((await orders.list({ page: 1, size: 100, userId: buyer })).totalItems).to.equal(before);
    });

    it('get and getForUpdate of an unknown order are null', async function () {
      expect(await orders.get(UNKNOWN_ID)).to.equal(null);
      expect(await transactions.run(() => orders.getForUpdate(UNKNOWN_ID))).to.equal(null);
    });

    it('getForUpdate returns the same state as get', async function () {
      const order = await orderIn('CONFIRMED', buyer, at(1), at(2));

      const plain = await orders.get(order.id);
      const locked = await transactions.run(() => orders.getForUpdate(order.id));

      expect(locked?.toSnapshot()).to.deep.equal(plain?.toSnapshot());
      expect(locked?.toSnapshot()).to.include({ status: 'CONFIRMED', version: 1 });
    });

    it('every add gets a new, larger id', async function () {
      const ids: number[] = [];
      for (let n = 0; n < 3; n += 1) ids.push((await add(newOrder(buyer, at(n)))).id);

      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
      expect(new Set(ids).size).to.equal(3);
    });

    it('save writes the move, bumps the version by one, and returns an order that can move again', async function () {
      const order = await add(newOrder(buyer, at(1)));

      const confirmed = await move(order.id, (o) => o.confirmPayment(at(2), aPaymentOf(o)));
      expect(confirmed).to.be.instanceOf(Order);
      expect(confirmed.toSnapshot()).to.deep.equal({ ...order.toSnapshot(), status: 'CONFIRMED', updatedAt: at(2), version: 1 });

      const preparing = await transactions.run(async () => {
        const moved = confirmed.advanceFulfilment('PREPARING', at(3), 'ALL', null);
        return orders.saveFulfilment(confirmed, moved);
      });

      const items = order.toSnapshot().items.map((i) => ({ ...i, status: 'PREPARING' }));
      const expected = { ...order.toSnapshot(), items, status: 'PREPARING', updatedAt: at(3), version: 2 };
      expect(preparing.toSnapshot()).to.deep.equal(expected);
      expect((await orders.get(order.id))?.toSnapshot()).to.deep.equal(expected);
    });

    describe('fulfilment per seller', function () {
      /** Paid, with the first line the seller's and the second the other seller's. */
      const mixedPaid = (placedAt = at(1)) =>
        add(newOrder(buyer, placedAt, { sellers: [fx.sellerId, fx.otherSellerId] })).then((o) => move(o.id, (x) => x.confirmPayment(at(2), aPaymentOf(x))));
      const step = (id: number, to: 'PREPARING' | 'SHIPPED' | 'DELIVERED', scope: { sellerId: number } | 'ALL', when: Date) =>
        transactions.run(async () => {
          const locked = (await orders.getForUpdate(id)) as Order;
          return orders.saveFulfilment(locked, locked.advanceFulfilment(to, when, scope, null));
        });
      const lineStatuses = async (id: number) => (await orders.get(id))!.items.map((i) => [i.sellerId, i.status]);

      it('new lines are ORDERED; saveFulfilment writes only the moved lines and the order\'s status that follows, bumping the version', async function () {
        const order = await mixedPaid();
        expect(await lineStatuses(order.id)).to.deep.equal([
          [fx.sellerId, 'ORDERED'],
          [fx.otherSellerId, 'ORDERED'],
        ]);

        const preparing = await step(order.id, 'PREPARING', { sellerId: fx.sellerId }, at(3));
        expect(preparing.toSnapshot()).to.include({ status: 'PREPARING', version: 2 });
        expect(await lineStatuses(order.id)).to.deep.equal([
          [fx.sellerId, 'PREPARING'],
          [fx.otherSellerId, 'ORDERED'],
        ]);
        await step(order.id, 'SHIPPED', { sellerId: fx.sellerId }, at(4));
        await step(order.id, 'PREPARING', { sellerId: fx.otherSellerId }, at(5));
        const shipped = await step(order.id, 'SHIPPED', { sellerId: fx.otherSellerId }, at(6));
        expect(shipped.toSnapshot()).to.include({ status: 'SHIPPED', version: 5 });
        expect((await orders.get(order.id))!.toSnapshot()).to.deep.equal(shipped.toSnapshot());
        const delivered = await step(order.id, 'DELIVERED', 'ALL', at(7));
        expect(delivered.status).to.equal('DELIVERED');
        const completed = await move(order.id, (o) => o.complete(at(8), null));
        expect(completed.toSnapshot()).to.include({ status: 'COMPLETED', version: 7 });
        expect(await lineStatuses(order.id)).to.deep.equal([
          [fx.sellerId, 'DELIVERED'],
          [fx.otherSellerId, 'DELIVERED'],
        ]);
      });

      it('refuses (CONCURRENT_MODIFICATION) lines that are no longer where the step found them; nothing of that transaction stays', async function () {
        const order = await mixedPaid();
        const stale = (await orders.get(order.id)) as Order;
        const moved = stale.advanceFulfilment('PREPARING', at(3), { sellerId: fx.sellerId }, null);
        await step(order.id, 'PREPARING', { sellerId: fx.sellerId }, at(3));

        // The same lines again, from where they no longer are (the order's version is current).
        const fresh = (await orders.get(order.id)) as Order;
        const error = await rejectionOf(transactions.run(() => orders.saveFulfilment(fresh, moved)));
        expect(error.code).to.equal('CONCURRENT_MODIFICATION');
        // A stale copy of the whole order is refused too.
        expect((await rejectionOf(transactions.run(() => orders.saveFulfilment(stale, moved)))).code).to.equal('CONCURRENT_MODIFICATION');
        expect((await orders.get(order.id))!.toSnapshot()).to.include({ status: 'PREPARING', version: 2 });
        expect(await lineStatuses(order.id)).to.deep.equal([
          [fx.sellerId, 'PREPARING'],
          [fx.otherSellerId, 'ORDERED'],
        ]);
      });

      it('refuses a line move that skips a step or goes back, whatever the order says', async function () {
        const order = await mixedPaid();
        for (const [from, to] of [
          ['ORDERED', 'SHIPPED'],
          ['ORDERED', 'DELIVERED'],
        ] as const) {
          const fresh = (await orders.get(order.id)) as Order;
          const bogus: LinesMoved = { optionIds: [fx.optionIds[0]], sellerIds: [fx.sellerId], from, to, orderStatusBefore: 'CONFIRMED', orderStatusAfter: 'PREPARING' };
          await rejectionOf(transactions.run(() => orders.saveFulfilment(fresh, bogus)));
        }
        expect(await lineStatuses(order.id)).to.deep.equal([
          [fx.sellerId, 'ORDERED'],
          [fx.otherSellerId, 'ORDERED'],
        ]);
        expect((await orders.get(order.id))!.toSnapshot()).to.include({ status: 'CONFIRMED', version: 1 });
      });

      it('refuses an order status its lines do not give it (a fulfilment status saved without moving lines)', async function () {
        const order = await mixedPaid();
        await rejectionOf(
          transactions.run(async () => {
            const locked = (await orders.getForUpdate(order.id)) as Order;
            locked.advanceFulfilment('PREPARING', at(3), { sellerId: fx.sellerId }, null);
            return orders.save(locked);
          }),
        );
        expect((await orders.get(order.id))!.toSnapshot()).to.include({ status: 'CONFIRMED', version: 1 });
        expect(await lineStatuses(order.id)).to.deep.equal([
          [fx.sellerId, 'ORDERED'],
          [fx.otherSellerId, 'ORDERED'],
        ]);
      });

      it('getForUpdate of a paid order gives its lines as they are', async function () {
        const order = await mixedPaid();
        await step(order.id, 'PREPARING', { sellerId: fx.otherSellerId }, at(3));
        const locked = await transactions.run(() => orders.getForUpdate(order.id));
        expect(locked!.toSnapshot()).to.deep.equal((await orders.get(order.id))!.toSnapshot());
        expect(locked!.items.map((i) => i.status)).to.deep.equal(['ORDERED', 'PREPARING']);
      });
    });

    it('save keeps the cancel or failure reason', async function () {
      const cancelled = await orderIn('CREATED', buyer, at(1)).then((o) => move(o.id, (x) => x.cancel('changed my mind', at(2), null)));
      const failed = await orderIn('PENDING', buyer, at(1), at(2)).then((o) => move(o.id, (x) => x.fail('NOT_APPROVED_BY_GATEWAY', at(3), aPaymentOf(x))));

      expect((await orders.get(cancelled.id))?.toSnapshot()).to.include({ status: 'CANCELLED', cancelReason: 'changed my mind', version: 1 });
      expect((await orders.get(failed.id))?.toSnapshot()).to.include({ status: 'FAILED', cancelReason: 'NOT_APPROVED_BY_GATEWAY', version: 2 });
    });

    it('refuses to save a stale copy with CONCURRENT_MODIFICATION and keeps the first save', async function () {
      const order = await add(newOrder(buyer, at(1)));
      const copyA = await orders.get(order.id);
      const copyB = await orders.get(order.id);
      copyA!.confirmPayment(at(2), aPaymentOf(copyA!));
      copyB!.cancel(null, at(3), null);

      await transactions.run(() => orders.save(copyA!));
      const error = await rejectionOf(transactions.run(() => orders.save(copyB!)));

      expect(error.code).to.equal('CONCURRENT_MODIFICATION');
      expect((await orders.get(order.id))?.toSnapshot()).to.include({ status: 'CONFIRMED', version: 1, cancelReason: null });
    });

    it('a save inside a transaction that then throws is undone', async function () {
      const order = await add(newOrder(buyer, at(1)));
      const boom = new Error('boom after the save');

      const error = await rejectionOf(
        transactions.run(async () => {
          const locked = await orders.getForUpdate(order.id);
          locked!.confirmPayment(at(2), aPaymentOf(locked!));
          await orders.save(locked!);
          throw boom;
        }),
      );

      expect(error).to.equal(boom);
      expect((await orders.get(order.id))?.toSnapshot()).to.deep.equal(order.toSnapshot());
      // Nothing left behind that would stop the next move.
      expect((await move(order.id, (o) => o.cancel(null, at(3), null))).toSnapshot()).to.include({ status: 'CANCELLED', version: 1 });
    });

    it('an add inside a transaction that then throws leaves no order', async function () {
      let id = 0;

      await rejectionOf(
        transactions.run(async () => {
          id = (await orders.add(newOrder(buyer, at(1)))).id;
          throw new Error('boom after the add');
        }),
      );

      expect(id).to.be.greaterThan(0);
      expect(await orders.get(id)).to.equal(null);
      expect((await orders.list({ userId: buyer, page: 1, size: 10 })).totalItems).to.equal(0);
    });

    it('refuses an order whose amounts do not add up', async function () {
      const placed = newOrder(buyer, at(1));

      await rejectionOf(add({ ...placed, finalAmount: placed.finalAmount - 1 }));

      expect((await orders.list({ userId: buyer, page: 1, size: 10 })).totalItems).to.equal(0);
    });

    describe('list', function () {
      it("a user's orders, newest first (equal times: the larger id first), paged with totals", async function () {
        const first = await add(newOrder(buyer, at(1)));
        const tiedA = await add(newOrder(buyer, at(5)));
        const tiedB = await add(newOrder(buyer, at(5)));
        const latest = await add(newOrder(buyer, at(9)));
        const middle = await add(newOrder(buyer, at(3)));
        await add(newOrder(otherBuyer, at(4)));

        const page1 = await orders.list({ userId: buyer, page: 1, size: 2 });
        const page2 = await orders.list({ userId: buyer, page: 2, size: 2 });
        const page3 = await orders.list({ userId: buyer, page: 3, size: 2 });
        const page4 = await orders.list({ userId: buyer, page: 4, size: 2 });

        const totals = { size: 2, totalItems: 5, totalPages: 3 };
        expect(page1).to.include({ page: 1, ...totals });
        expect(page4).to.include({ page: 4, ...totals });
        expect([...idsOf(page1.items), ...idsOf(page2.items), ...idsOf(page3.items)]).to.deep.equal([
          latest.id,
          Math.max(tiedA.id, tiedB.id),
          Math.min(tiedA.id, tiedB.id),
          middle.id,
          first.id,
        ]);
        expect(page4.items).to.deep.equal([]);
        expect(page1.items[0]).to.be.instanceOf(Order);
        expect(page1.items[0]?.toSnapshot()).to.deep.equal(latest.toSnapshot());
      });

      it("filters a user's orders by status", async function () {
        const paidEarly = await orderIn('CONFIRMED', buyer, at(1));
        await orderIn('CREATED', buyer, at(2));
        await orderIn('CANCELLED', buyer, at(3));
        const paidLate = await orderIn('CONFIRMED', buyer, at(4));
        await orderIn('CONFIRMED', otherBuyer, at(5));

        const paid = await orders.list({ userId: buyer, status: 'CONFIRMED', page: 1, size: 10 });

        expect(idsOf(paid.items)).to.deep.equal([paidLate.id, paidEarly.id]);
        expect(paid).to.include({ totalItems: 2, totalPages: 1 });
        expect((await orders.list({ userId: buyer, status: 'SHIPPED', page: 1, size: 10 })).totalItems).to.equal(0);
      });

      it('a user without orders has an empty first page', async function () {
        expect(await orders.list({ userId: buyer, page: 1, size: 20 })).to.deep.equal({
          items: [],
          page: 1,
          size: 20,
          totalItems: 0,
          totalPages: 0,
        });
      });

      it("without a user: every user's orders, newest first, and the status filter alone", async function () {
        const era = futureEra();
        const a1 = await orderIn('CREATED', buyer, at(1, era));
        const b1 = await orderIn('PENDING', otherBuyer, at(2, era));
        const a2 = await orderIn('PENDING', buyer, at(3, era));
        const b2 = await orderIn('CREATED', otherBuyer, at(4, era));

        const all = await orders.list({ page: 1, size: 4 });
        const pending = await orders.list({ status: 'PENDING', page: 1, size: 2 });

        expect(idsOf(all.items)).to.deep.equal([b2.id, a2.id, b1.id, a1.id]);
        expect(all.totalItems).to.be.at.least(4);
        expect(idsOf(pending.items)).to.deep.equal([a2.id, b1.id]);
        expect(pending.items.every((o) => o.status === 'PENDING')).to.equal(true);
      });
    });

    describe('list by seller', function () {
      it("a seller's orders: those with at least one of their lines, newest first (equal times: the larger id first), paged with totals, with the status filter", async function () {
        const mine = { sellers: [fx.sellerId, fx.sellerId] };
        const both = { sellers: [fx.otherSellerId, fx.sellerId] };
        const theirs = { sellers: [fx.otherSellerId, fx.otherSellerId] };
        const first = await add(newOrder(buyer, at(1), mine));
        const mixed = await add(newOrder(otherBuyer, at(3), both));
        const tiedA = await add(newOrder(buyer, at(5), mine));
        const tiedB = await add(newOrder(otherBuyer, at(5), both));
        const onlyTheirs = await add(newOrder(buyer, at(4), theirs));
        const paid = await move(first.id, (o) => o.confirmPayment(at(6), aPaymentOf(o)));

        const page1 = await orders.list({ sellerId: fx.sellerId, page: 1, size: 3 });
        const page2 = await orders.list({ sellerId: fx.sellerId, page: 2, size: 3 });
        expect(page1).to.include({ page: 1, size: 3, totalItems: 4, totalPages: 2 });
        expect([...idsOf(page1.items), ...idsOf(page2.items)]).to.deep.equal([Math.max(tiedA.id, tiedB.id), Math.min(tiedA.id, tiedB.id), mixed.id, first.id]);
        // Whole orders: the repository does not cut lines (the view does).
        expect(page2.items[0]!.toSnapshot()).to.deep.equal(paid.toSnapshot());
        expect(idsOf((await orders.list({ sellerId: fx.otherSellerId, page: 1, size: 10 })).items)).to.deep.equal([tiedB.id, onlyTheirs.id, mixed.id]);
        const confirmed = await orders.list({ sellerId: fx.sellerId, status: 'CONFIRMED', page: 1, size: 10 });
        expect(idsOf(confirmed.items)).to.deep.equal([first.id]);
        expect(confirmed).to.include({ totalItems: 1, totalPages: 1 });
        expect((await orders.list({ sellerId: fx.sellerId, status: 'SHIPPED', page: 1, size: 10 })).totalItems).to.equal(0);
      });

      it('a seller with no lines anywhere has an empty first page', async function () {
        await add(newOrder(buyer, at(1)));
        expect(await orders.list({ sellerId: fx.otherSellerId, page: 1, size: 20 })).to.deep.equal({ items: [], page: 1, size: 20, totalItems: 0, totalPages: 0 });
      });
    });

    describe('lockExpired', function () {
      it('returns the CREATED orders whose reservation ran out by now (inclusive), the longest expired first', async function () {
        const era = pastEra();
        const now = at(100, era);
        const expiresAtNow = await add(newOrder(buyer, at(70, era), { ttlSeconds: 30 }));
        const expiredFirst = await add(newOrder(otherBuyer, at(10, era), { ttlSeconds: 30 }));
        const expiredSecond = await add(newOrder(buyer, at(20, era), { ttlSeconds: 60 }));
        await add(newOrder(buyer, at(71, era), { ttlSeconds: 30 })); // expires a second after now
        await orderIn('CONFIRMED', buyer, at(5, era)); // expired since, but paid
        await orderIn('CANCELLED', buyer, at(6, era));
        await orderIn('PENDING', buyer, at(7, era));

        const due = await transactions.run(() => orders.lockExpired(now, 10));

        expect(idsOf(due)).to.deep.equal([expiredFirst.id, expiredSecond.id, expiresAtNow.id]);
        expect(due[0]).to.be.instanceOf(Order);
        expect(due[0]?.toSnapshot()).to.deep.equal(expiredFirst.toSnapshot());
      });

      it('returns at most `limit` orders, and what it returns can be expired and saved', async function () {
        const era = pastEra();
        const now = at(500, era);
        const placed: Order[] = [];
        for (let n = 0; n < 3; n += 1) placed.push(await add(newOrder(buyer, at(n, era))));

        const firstBatch = await transactions.run(async () => {
          const due = await orders.lockExpired(now, 2);
          for (const order of due) {
            order.expire(now, null);
            await orders.save(order);
          }
          return due;
        });

        expect(idsOf(firstBatch)).to.deep.equal(idsOf(placed.slice(0, 2)));
        expect((await orders.get(placed[0]!.id))?.toSnapshot()).to.include({ status: 'CANCELLED', cancelReason: 'EXPIRED', version: 1 });
        expect(idsOf(await transactions.run(() => orders.lockExpired(now, 2)))).to.deep.equal([placed[2]!.id]);
      });

      it('returns nothing when no reservation has run out', async function () {
        const era = pastEra();
        await add(newOrder(buyer, at(0, era), { ttlSeconds: 30 }));

        expect(await transactions.run(() => orders.lockExpired(at(29, era), 10))).to.deep.equal([]);
      });
    });

    describe('lockUnpaidOf', function () {
      it('counts the user\'s CREATED and PENDING orders, with the earliest reservation expiry among them; nobody else\'s, nothing settled', async function () {
        expect(await transactions.run(() => orders.lockUnpaidOf(buyer))).to.deep.equal({ count: 0, earliestExpiry: null });

        const late = await add(newOrder(buyer, at(20), { ttlSeconds: 30 }));
        const earliest = await orderIn('PENDING', buyer, at(10), at(11));
        await orderIn('CONFIRMED', buyer, at(1), at(2));
        await orderIn('CANCELLED', buyer, at(3));
        await orderIn('FAILED', buyer, at(4));
        await add(newOrder(otherBuyer, at(0)));

        expect(await transactions.run(() => orders.lockUnpaidOf(buyer))).to.deep.equal({
          count: 2,
          earliestExpiry: earliest.toSnapshot().reservationExpiresAt,
        });
        expect(late.toSnapshot().reservationExpiresAt.getTime()).to.be.greaterThan(earliest.toSnapshot().reservationExpiresAt.getTime());
        expect(await transactions.run(() => orders.lockUnpaidOf(otherBuyer))).to.deep.include({ count: 1 });
      });

      it('serialises one user\'s placements: a second transaction\'s lockUnpaidOf waits for the first to commit, and counts the order it placed', async function () {
        let release!: () => void;
        const gate = new Promise<void>((resolve) => (release = resolve));
        let signalLocked!: () => void;
        const locked = new Promise<void>((resolve) => (signalLocked = resolve));

        const first = transactions.run(async () => {
          const seen = await orders.lockUnpaidOf(buyer);
          signalLocked();
          await gate;
          await orders.add(newOrder(buyer, at(1)));
          return seen;
        });
        await locked;
        const second = transactions.run(() => orders.lockUnpaidOf(buyer));
        // Time enough for a second count that did not wait to have answered 0.
        await new Promise((resolve) => setTimeout(resolve, 200));
        release();

        expect((await first).count).to.equal(0);
        expect((await second).count).to.equal(1);
      });
    });
  });

  describe('payments', function () {
    const start = (order: Order, n: number): NewPayment => Payment.start(order.id, order.userId, order.finalAmount, at(n));

    it('add stores the payment; get returns it as stored', async function () {
      const order = await add(newOrder(buyer, at(1)));

      const payment = await transactions.run(() => payments.add(start(order, 2)));

      expect(payment).to.be.instanceOf(Payment);
      expect(Number.isSafeInteger(payment.id) && payment.id > 0).to.equal(true);
      const expected = { ...start(order, 2), id: payment.id };
      expect(payment.toSnapshot()).to.deep.equal(expected);
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.equal(expected);
      expect(await payments.get(UNKNOWN_ID)).to.equal(null);
    });

    it('save writes how far it got, and why it failed', async function () {
      const order = await add(newOrder(buyer, at(1)));
      const payment = await transactions.run(() => payments.add(start(order, 2)));

      await transactions.run(async () => {
        payment.reach('DEBITED', at(3));
        await payments.save(payment);
      });
      expect((await payments.get(payment.id))?.toSnapshot()).to.include({ status: 'DEBITED', failureReason: null });
      expect((await payments.get(payment.id))?.toSnapshot().updatedAt).to.deep.equal(at(3));

      await transactions.run(async () => {
        payment.fail('DECLINED', at(4));
        await payments.save(payment);
      });
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.equal({
        ...start(order, 2),
        id: payment.id,
        status: 'FAILED',
        failureReason: 'DECLINED (at DEBITED)',
        updatedAt: at(4),
      });
    });

    it('refuses a second live payment of one order (INVALID_STATE); once it failed, another may start', async function () {
      const order = await add(newOrder(buyer, at(1)));
      const first = await transactions.run(() => payments.add(start(order, 2)));

      const error = await rejectionOf(transactions.run(() => payments.add(start(order, 3))));
      expect(error.code).to.equal('INVALID_STATE');
      // A failed attempt may be recorded beside the live one.
      const refused = await transactions.run(() => payments.add({ ...start(order, 3), status: 'FAILED', failureReason: 'INSUFFICIENT_BALANCE' }));
      expect(refused.status).to.equal('FAILED');

      await transactions.run(async () => {
        first.fail('DECLINED', at(4));
        await payments.save(first);
      });
      const retry = await transactions.run(() => payments.add(start(order, 5)));

      expect(retry.id).to.be.greaterThan(refused.id);
      expect((await payments.latestFor(order.id))?.id).to.equal(retry.id);
    });

    it('a payment of another order does not count as live for this one', async function () {
      const [one, two] = [await add(newOrder(buyer, at(1))), await add(newOrder(buyer, at(1)))];

      await transactions.run(() => payments.add(start(one, 2)));
      const other = await transactions.run(() => payments.add(start(two, 2)));

      expect(other.orderId).to.equal(two.id);
    });

    it("latestFor is the order's most recent attempt when none is live; latestForEach gives it for several orders", async function () {
      const [one, two, none] = [await add(newOrder(buyer, at(1))), await add(newOrder(buyer, at(1))), await add(newOrder(buyer, at(1)))];
      const failed = await transactions.run(() => payments.add({ ...start(one, 2), status: 'FAILED', failureReason: 'x' }));
      const oneLatest = await transactions.run(() => payments.add(start(one, 3)));
      const twoLatest = await transactions.run(() => payments.add(start(two, 4)));

      expect(oneLatest.id).to.be.greaterThan(failed.id);
      expect((await payments.latestFor(one.id))?.toSnapshot()).to.deep.equal(oneLatest.toSnapshot());
      expect(await payments.latestFor(none.id)).to.equal(null);
      const each = await payments.latestForEach([one.id, two.id, none.id]);
      expect([...each.keys()].sort((a, b) => a - b)).to.deep.equal([one.id, two.id]);
      expect(each.get(one.id)).to.be.instanceOf(Payment);
      expect(each.get(one.id)?.toSnapshot()).to.deep.equal(oneLatest.toSnapshot());
      expect(each.get(two.id)?.toSnapshot()).to.deep.equal(twoLatest.toSnapshot());
      expect((await payments.latestForEach([])).size).to.equal(0);
    });

    it('the most recent attempt is the newest by time, whatever the ids (instances number payments from blocks of their own)', async function () {
      const order = await add(newOrder(buyer, at(1)));
      // Written first, numbered first, yet the later attempt: as when another instance's block was lower.
      const later = await transactions.run(() => payments.add({ ...start(order, 5), status: 'FAILED', failureReason: 'later' }));
      const earlier = await transactions.run(() => payments.add({ ...start(order, 4), status: 'FAILED', failureReason: 'earlier' }));

      expect(earlier.id).to.be.greaterThan(later.id);
      expect((await payments.latestFor(order.id))?.id).to.equal(later.id);
      expect((await payments.latestForEach([order.id])).get(order.id)?.id).to.equal(later.id);
    });

    it("the order's live payment wins over a newer failed attempt (a refusal recorded after the order was paid)", async function () {
      const [order, onlyFailed] = [await add(newOrder(buyer, at(1))), await add(newOrder(buyer, at(1)))];
      const live = await transactions.run(() => payments.add(start(order, 2)));
      const laterRefusal = await transactions.run(() => payments.add({ ...start(order, 3), status: 'FAILED', failureReason: 'late' }));
      const first = await transactions.run(() => payments.add({ ...start(onlyFailed, 4), status: 'FAILED', failureReason: 'a' }));
      const second = await transactions.run(() => payments.add({ ...start(onlyFailed, 5), status: 'FAILED', failureReason: 'b' }));

      expect(laterRefusal.id).to.be.greaterThan(live.id);
      expect((await payments.latestFor(order.id))?.id).to.equal(live.id);
      expect(second.id).to.be.greaterThan(first.id);
      expect((await payments.latestFor(onlyFailed.id))?.id).to.equal(second.id);
      const each = await payments.latestForEach([order.id, onlyFailed.id]);
      expect(each.get(order.id)?.id).to.equal(live.id);
      expect(each.get(onlyFailed.id)?.id).to.equal(second.id);
    });

    it('a payment added in a transaction that then throws is gone', async function () {
      const order = await add(newOrder(buyer, at(1)));

      await rejectionOf(
        transactions.run(async () => {
          await payments.add(start(order, 2));
          throw new Error('boom after the payment');
        }),
      );

      expect(await payments.latestFor(order.id)).to.equal(null);
      // And it does not block the next attempt.
      expect((await transactions.run(() => payments.add(start(order, 3)))).status).to.equal('INITIATED');
    });
  });

  describe('payments in recovery (waiting for the gateway)', function () {
    const policy: PaymentRecoveryPolicy = { backoffSeconds: 30, maxAttempts: 3 };
    /** Payments these tests leave waiting: settled afterwards, so no recovery job of a later suite sees them. */
    let waitingIds: number[] = [];

    afterEach(async function () {
      for (const id of waitingIds) {
        await transactions.run(async () => {
          const payment = (await payments.get(id)) as Payment;
          if (payment.isSettled()) return;
          payment.fail('contract test over', new Date());
          await payments.save(payment);
        });
      }
      waitingIds = [];
    });

    /** A payment of a new order that reached GATEWAY_REQUESTED at `since` (as PayForOrder saves it). */
    async function waitingPayment(since: Date): Promise<Payment> {
      const order = await add(newOrder(buyer, since));
      const payment = await transactions.run(async () => {
        const added = await payments.add(Payment.start(order.id, order.userId, order.finalAmount, since));
        added.reach('DEBITED', since);
        added.reach('GATEWAY_REQUESTED', since);
        await payments.save(added);
        return added;
      });
      waitingIds.push(payment.id);
      return payment;
    }

    /** Counts one inconclusive attempt at `when` through the guarded write, as the recovery job does. */
    async function inconclusive(id: number, when: Date): Promise<Payment> {
      const payment = (await payments.get(id)) as Payment;
      const seen = { state: 'AUTOMATIC' as const, attempts: payment.recovery.attempts };
      payment.recordInconclusiveRecovery(when, policy);
      expect(await payments.saveRecovery(payment, seen)).to.equal(true);
      return payment;
    }

    const idsOf = (list: Payment[]) => list.map((p) => p.id);

    it('save of the GATEWAY_REQUESTED step stores the payment in AUTOMATIC recovery, due then; settling takes it out and keeps the attempts', async function () {
      const era = pastEra();
      const payment = await waitingPayment(at(1, era));

      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.include({
        status: 'GATEWAY_REQUESTED',
        updatedAt: at(1, era),
        recovery: { state: 'AUTOMATIC', attempts: 0, nextAttemptAt: at(1, era), lastAttemptAt: null },
      });
      const counted = await inconclusive(payment.id, at(2, era));
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.equal(counted.toSnapshot());
      expect(counted.recovery).to.deep.equal({ state: 'AUTOMATIC', attempts: 1, nextAttemptAt: at(32, era), lastAttemptAt: at(2, era) });

      await transactions.run(async () => {
        counted.reach('COMPLETED', at(40, era));
        await payments.save(counted);
      });

      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.include({
        status: 'COMPLETED',
        updatedAt: at(40, era),
        recovery: { state: null, attempts: 1, nextAttemptAt: null, lastAttemptAt: at(2, era) },
      });
    });

    it('the store refuses a payment waiting for the gateway out of recovery, or in recovery without waiting (check constraints)', async function () {
      const order = await add(newOrder(buyer, at(1)));
      const start = Payment.start(order.id, order.userId, order.finalAmount, at(1));

      await rejectionOf(transactions.run(() => payments.add({ ...start, status: 'GATEWAY_REQUESTED' })));
      await rejectionOf(
        transactions.run(() => payments.add({ ...start, recovery: { state: 'AUTOMATIC', attempts: 0, nextAttemptAt: at(1), lastAttemptAt: null } })),
      );
      await rejectionOf(
        transactions.run(() =>
          payments.add({ ...start, status: 'GATEWAY_REQUESTED', recovery: { state: 'OPERATOR_REQUIRED', attempts: 0, nextAttemptAt: at(1), lastAttemptAt: null } }),
        ),
      );
      expect(await payments.latestFor(order.id)).to.equal(null);
    });

    it('dueForRecovery: AUTOMATIC, due by now and waiting since the given time or before (both inclusive), earliest due first then by id, at most `limit`', async function () {
      const era = pastEra();
      const now = at(1_000, era);
      const dueLast = await waitingPayment(at(10, era));
      const dueFirst = await waitingPayment(at(20, era));
      const dueSecond = await waitingPayment(at(30, era));
      const sameDueAsSecond = await waitingPayment(at(30, era));
      const tooYoung = await waitingPayment(at(900, era)); // due, but waiting for less than `waitingSince` asks
      const notDueYet = await waitingPayment(at(40, era));
      const handedOver = await waitingPayment(at(5, era));
      const settled = await waitingPayment(at(6, era));
      // Asked twice already, it backed off past now (30 s, then 60 s): the earliest waiting is due last.
      await inconclusive(dueLast.id, at(940, era)); // next at 970
      await inconclusive(dueLast.id, at(970, era)); // next at 1,030
      await inconclusive(notDueYet.id, at(990, era)); // next at 1,020
      for (const n of [1, 2, 3]) await inconclusive(handedOver.id, at(n, era));
      expect((await payments.get(handedOver.id))?.recovery.state).to.equal('OPERATOR_REQUIRED');
      await transactions.run(async () => {
        const payment = (await payments.get(settled.id)) as Payment;
        payment.fail('NOT_APPROVED_BY_GATEWAY', at(7, era));
        await payments.save(payment);
      });
      const waitingSince = at(800, era);

      expect(idsOf(await payments.dueForRecovery(now, waitingSince, 10))).to.deep.equal([dueFirst.id, dueSecond.id, sameDueAsSecond.id]);
      expect(idsOf(await payments.dueForRecovery(at(1_030, era), waitingSince, 10))).to.deep.equal([
        dueFirst.id,
        dueSecond.id,
        sameDueAsSecond.id,
        notDueYet.id,
        dueLast.id,
      ]);
      expect(idsOf(await payments.dueForRecovery(at(1_030, era), at(900, era), 10))).to.include(tooYoung.id);
      expect(idsOf(await payments.dueForRecovery(now, waitingSince, 2))).to.deep.equal([dueFirst.id, dueSecond.id]);
      expect(await payments.dueForRecovery(at(19, era), at(19, era), 10)).to.deep.equal([]);
      const [first] = await payments.dueForRecovery(now, waitingSince, 1);
      expect(first).to.be.instanceOf(Payment);
      expect(first?.toSnapshot()).to.deep.equal((await payments.get(dueFirst.id))?.toSnapshot());
    });

    it('saveRecovery writes only over the state and attempts it was read with: a second writer who read the same changes nothing', async function () {
      const era = pastEra();
      const payment = await waitingPayment(at(1, era));
      const readByOne = (await payments.get(payment.id)) as Payment;
      const readByTwo = (await payments.get(payment.id)) as Payment;
      const seen = { state: 'AUTOMATIC' as const, attempts: 0 };
      readByOne.recordInconclusiveRecovery(at(2, era), policy);
      readByTwo.recordInconclusiveRecovery(at(3, era), policy);

      expect(await payments.saveRecovery(readByOne, seen)).to.equal(true);
      expect(await payments.saveRecovery(readByTwo, seen)).to.equal(false);

      expect((await payments.get(payment.id))?.recovery).to.deep.equal({ state: 'AUTOMATIC', attempts: 1, nextAttemptAt: at(32, era), lastAttemptAt: at(2, era) });
    });

    it('saveRecovery writes nothing on a payment settled since it was read, nor on an unknown one', async function () {
      const era = pastEra();
      const payment = await waitingPayment(at(1, era));
      const stale = (await payments.get(payment.id)) as Payment;
      await transactions.run(async () => {
        const fresh = (await payments.get(payment.id)) as Payment;
        fresh.reach('COMPLETED', at(2, era));
        await payments.save(fresh);
      });
      stale.recordInconclusiveRecovery(at(3, era), policy);

      expect(await payments.saveRecovery(stale, { state: 'AUTOMATIC', attempts: 0 })).to.equal(false);
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.include({
        status: 'COMPLETED',
        recovery: { state: null, attempts: 0, nextAttemptAt: null, lastAttemptAt: null },
      });
      const unknown = Payment.fromSnapshot({ ...stale.toSnapshot(), id: UNKNOWN_ID });
      expect(await payments.saveRecovery(unknown, { state: 'AUTOMATIC', attempts: 0 })).to.equal(false);
    });

    it('saveRecovery puts a handed-over payment back (operator’s retry) when read as OPERATOR_REQUIRED', async function () {
      const era = pastEra();
      const payment = await waitingPayment(at(1, era));
      for (const n of [2, 3, 4]) await inconclusive(payment.id, at(n, era));
      const handedOver = (await payments.get(payment.id)) as Payment;
      expect(handedOver.recovery).to.deep.include({ state: 'OPERATOR_REQUIRED', attempts: 3 });

      handedOver.resumeRecovery(at(100, era));
      expect(await payments.saveRecovery(handedOver, { state: 'AUTOMATIC', attempts: 3 })).to.equal(false);
      expect(await payments.saveRecovery(handedOver, { state: 'OPERATOR_REQUIRED', attempts: 3 })).to.equal(true);

      expect((await payments.get(payment.id))?.recovery).to.deep.equal({ state: 'AUTOMATIC', attempts: 0, nextAttemptAt: at(100, era), lastAttemptAt: at(4, era) });
      expect(idsOf(await payments.dueForRecovery(at(100, era), at(100, era), 10))).to.deep.equal([payment.id]);
    });

    it('listInRecovery: the payments waiting for the gateway, newest first, optionally of one state, paged; settled ones are not listed', async function () {
      const era = pastEra();
      const automatic = await waitingPayment(at(1, era));
      const handedOver = await waitingPayment(at(2, era));
      const settled = await waitingPayment(at(3, era));
      const newest = await waitingPayment(at(4, era));
      for (const n of [5, 6, 7]) await inconclusive(handedOver.id, at(n, era));
      await transactions.run(async () => {
        const payment = (await payments.get(settled.id)) as Payment;
        payment.fail('NOT_APPROVED_BY_GATEWAY', at(8, era));
        await payments.save(payment);
      });

      // The store may hold other tests' payments: these are the newest ones.
      const all = await payments.listInRecovery({ page: 1, size: 3 });
      expect(idsOf(all.items)).to.deep.equal([newest.id, handedOver.id, automatic.id]);
      expect(all.totalItems).to.be.at.least(3);
      expect(all.items[1]).to.be.instanceOf(Payment);
      expect(all.items[1]?.toSnapshot()).to.deep.equal((await payments.get(handedOver.id))?.toSnapshot());
      const byState = await payments.listInRecovery({ page: 1, size: 2, state: 'AUTOMATIC' });
      expect(idsOf(byState.items)).to.deep.equal([newest.id, automatic.id]);
      expect(byState.items.every((p) => p.recovery.state === 'AUTOMATIC')).to.equal(true);
      const awaiting = await payments.listInRecovery({ page: 1, size: 100, state: 'OPERATOR_REQUIRED' });
      expect(idsOf(awaiting.items)[0]).to.equal(handedOver.id);
      expect(awaiting.items.every((p) => p.recovery.state === 'OPERATOR_REQUIRED' && p.status === 'GATEWAY_REQUESTED')).to.equal(true);
      expect(awaiting.totalItems).to.equal(awaiting.items.length);
      const second = await payments.listInRecovery({ page: 2, size: 1 });
      expect(idsOf(second.items)).to.deep.equal([handedOver.id]);
      expect(second).to.deep.include({ page: 2, size: 1, totalItems: all.totalItems, totalPages: all.totalItems });
    });
  });

  describe('refunds (whole and partial, issue 12)', function () {
    /** A CONFIRMED order of two lines (2 × 1,500 and 1 × 12,000, 1,234 off) and its COMPLETED payment. */
    async function paidOrder(): Promise<{ order: Order; payment: Payment }> {
      const placed = await add(newOrder(buyer, at(1), { discount: 1_234 }));
      return transactions.run(async () => {
        const order = (await orders.getForUpdate(placed.id)) as Order;
        const payment = Payment.fromSnapshot({ ...(await payments.add(Payment.start(order.id, buyer, order.finalAmount, at(1)))).toSnapshot() });
        payment.reach('COMPLETED', at(2));
        await payments.save(payment);
        order.confirmPayment(at(2), aPaymentOf(order));
        return { order: await orders.save(order), payment };
      });
    }

    /** A refund as the settlement makes one: the lines' units, the payment's books, the refund, the order. */
    function refund(id: number, requested: { orderItemId: number; quantity: number }[] | null, n: number) {
      return transactions.run(async () => {
        const order = (await orders.getForRefund(id)) as Order;
        const payment = (await payments.latestFor(id)) as Payment;
        const plan = planRefund(id, order.items, requested);
        const whole = order.isWhollyRefundedBy(plan);
        await orders.refundUnits(id, plan);
        payment.recordRefund(refundTotal(plan), whole, at(n));
        await payments.saveRefund(payment, refundTotal(plan));
        const made = await refunds.add({ orderId: id, paymentId: payment.id, amount: refundTotal(plan), status: 'REFUNDED', reason: `contract refund ${n}`, createdAt: at(n), items: plan });
        order.recordRefund(made, at(n), aPaymentOf(order));
        await orders.save(order);
        return made;
      });
    }

    it('add stores a refund with its lines; get and forOrder return it; the order lists it and counts its units', async function () {
      const { order, payment } = await paidOrder();
      const [first, second] = order.items.map((i) => i.id) as [number, number];

      const made = await refund(order.id, [{ orderItemId: first, quantity: 1 }], 3);

      expect(Number.isSafeInteger(made.id) && made.id > 0).to.equal(true);
      // 1,234 off 15,000: line 1 (3,000) carries 247; one of its two units carries floor(247 × 1 / 2) = 123.
      const expected: NewRefund = {
        orderId: order.id,
        paymentId: payment.id,
        amount: 1_377,
        status: 'REFUNDED',
        reason: 'contract refund 3',
        createdAt: at(3),
        items: [{ orderItemId: first, quantity: 1, amount: 1_377, discountAmount: 123 }],
      };
      expect(order.items.map((i) => i.discountAmount)).to.deep.equal([247, 987]);
      expect(made).to.deep.equal({ ...expected, id: made.id });
      expect(await refunds.get(made.id)).to.deep.equal(made);
      expect(await refunds.forOrder(order.id)).to.deep.equal([made]);
      const stored = (await orders.get(order.id)) as Order;
      expect(stored.refunds).to.deep.equal([made]);
      expect(stored.items.map((i) => [i.id, i.refundedQuantity])).to.deep.equal([
        [first, 1],
        [second, 0],
      ]);
      expect(stored.status).to.equal('CONFIRMED');
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.include({ status: 'PARTIALLY_REFUNDED', refundedAmount: 1_377, completedAt: at(2), updatedAt: at(3) });
      expect((await orders.list({ page: 1, size: 100, userId: buyer })).items.find((o) => o.id === order.id)?.refunds).to.deep.equal([made]);
    });

    it('the rest of the order, refunded later, closes every line exactly: the whole payment back in all, REFUNDED, oldest refund first', async function () {
      const { order, payment } = await paidOrder();
      const first = await refund(order.id, [{ orderItemId: order.items[0]!.id, quantity: 1 }], 3);

      const rest = await refund(order.id, null, 4);

      expect(rest.items.map((l) => [l.orderItemId, l.quantity, l.amount, l.discountAmount])).to.deep.equal([
        [order.items[0]!.id, 1, 1_376, 124],
        [order.items[1]!.id, 1, 11_013, 987],
      ]);
      expect(first.amount + rest.amount).to.equal(payment.amount);
      expect((await refunds.forOrder(order.id)).map((r) => r.id)).to.deep.equal([first.id, rest.id]);
      const stored = (await orders.get(order.id)) as Order;
      expect(stored.toSnapshot()).to.deep.include({ status: 'CANCELLED', cancelReason: 'contract refund 4' });
      expect(stored.items.map((i) => i.refundedQuantity)).to.deep.equal([2, 1]);
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.include({ status: 'REFUNDED', refundedAmount: payment.amount });
    });

    it('forOrder of an order never refunded is empty; get of an unknown refund is null; getForRefund of an unknown order is null', async function () {
      const { order } = await paidOrder();

      expect(await refunds.forOrder(order.id)).to.deep.equal([]);
      expect(await refunds.forOrder(UNKNOWN_ID)).to.deep.equal([]);
      expect(await refunds.get(UNKNOWN_ID)).to.equal(null);
      expect(await transactions.run(() => orders.getForRefund(UNKNOWN_ID))).to.equal(null);
      expect((await orders.get(order.id))?.refunds).to.deep.equal([]);
    });

    it('refundUnits refuses more units than are left of a line, or of another order\'s line (INVALID_STATE), changing no line', async function () {
      const { order } = await paidOrder();
      const other = await paidOrder();
      const [first, second] = order.items as [Order['items'][number], Order['items'][number]];
      const units = (orderItemId: number, quantity: number) => ({ orderItemId, quantity, amount: 0, discountAmount: 0 });

      for (const lines of [[units(first.id, 3)], [units(second.id, 1), units(first.id, 3)], [units(other.order.items[0]!.id, 1)]]) {
        expect((await rejectionOf(transactions.run(() => orders.refundUnits(order.id, lines)))).code).to.equal('INVALID_STATE');
      }
      expect((await orders.get(order.id))?.items.map((i) => i.refundedQuantity)).to.deep.equal([0, 0]);
    });

    it('saveRefund refuses more than is left of the payment, and a payment not paid (INVALID_STATE), changing nothing', async function () {
      const { payment } = await paidOrder();
      const over = Payment.fromSnapshot(payment.toSnapshot());
      over.recordRefund(payment.amount, true, at(3));

      expect((await rejectionOf(transactions.run(() => payments.saveRefund(over, payment.amount + 1)))).code).to.equal('INVALID_STATE');
      const unpaidOrder = await add(newOrder(buyer, at(1)));
      const unpaid = await transactions.run(() => payments.add(Payment.start(unpaidOrder.id, buyer, unpaidOrder.finalAmount, at(1))));
      expect((await rejectionOf(transactions.run(() => payments.saveRefund(unpaid, 0)))).code).to.equal('INVALID_STATE');
      expect((await payments.get(payment.id))?.toSnapshot()).to.deep.include({ status: 'COMPLETED', refundedAmount: 0 });
    });

    it('a refund made in a transaction that then throws is gone, with its units and the payment\'s books', async function () {
      const { order, payment } = await paidOrder();

      await rejectionOf(
        transactions.run(async () => {
          await orders.refundUnits(order.id, [{ orderItemId: order.items[1]!.id, quantity: 1, amount: 11_013, discountAmount: 987 }]);
          await refunds.add({ orderId: order.id, paymentId: payment.id, amount: 0, status: 'REFUNDED', reason: null, createdAt: at(3), items: [] });
          throw new Error('boom after the refund');
        }),
      );

      expect(await refunds.forOrder(order.id)).to.deep.equal([]);
      expect((await orders.get(order.id))?.items.map((i) => i.refundedQuantity)).to.deep.equal([0, 0]);
      expect((await refund(order.id, null, 4)).amount).to.equal(payment.amount);
    });
  });

  describe('shipping address and digital lines (issue 12)', function () {
    it('keeps the address as given, line2 null when left out, and whether each line was digital', async function () {
      const placed = newOrder(buyer, at(1));
      const bare = { ...placed, shippingAddress: { ...CONTRACT_ADDRESS, line2: null }, items: placed.items.map((i, n) => ({ ...i, digital: n === 1 })) };

      const added = await add(bare);

      expect((await orders.get(added.id))?.toSnapshot()).to.deep.include({ shippingAddress: { ...CONTRACT_ADDRESS, line2: null } });
      expect((await orders.get(added.id))?.items.map((i) => i.digital)).to.deep.equal([false, true]);
    });

    it('an order of digital lines only may have no address; one with a physical line is refused without one', async function () {
      const placed = newOrder(buyer, at(1));
      const digitalOnly = { ...placed, shippingAddress: null, items: placed.items.map((i) => ({ ...i, digital: true })) };
      expect((await orders.get((await add(digitalOnly)).id))?.toSnapshot().shippingAddress).to.equal(null);

      await rejectionOf(add({ ...placed, shippingAddress: null }));
      await rejectionOf(add({ ...placed, shippingAddress: { ...CONTRACT_ADDRESS, postalCode: '1234' } }));
      await rejectionOf(add({ ...placed, shippingAddress: { ...CONTRACT_ADDRESS, phone: '010-12' } }));
      await rejectionOf(add({ ...placed, shippingAddress: { ...CONTRACT_ADDRESS, recipient: ' padded ' } }));
    });
  });

  describe('outbox', function () {
    const event = (orderId: number, type: OutboxEvent['type'], n: number, payload: unknown): OutboxEvent => ({
      type,
      aggregateType: 'Order',
      aggregateId: orderId,
      occurredAt: at(n),
      payload,
    });

    it('keeps the events of an aggregate in the order written, payloads as JSON', async function () {
      const order = await add(newOrder(buyer, at(1)));

      await transactions.run(() => subject.outbox.add(event(order.id, 'OrderCreated', 1, { id: order.id, placedAt: at(1), items: [{ quantity: 2 }] })));
      await transactions.run(() =>
        subject.outbox.add(event(order.id, 'PaymentCompleted', 2, { amount: 15_000 }), event(order.id, 'OrderCancelled', 3, { reason: null })),
      );

      expect(await subject.outboxEvents('Order', order.id)).to.deep.equal([
        event(order.id, 'OrderCreated', 1, { id: order.id, placedAt: at(1).toISOString(), items: [{ quantity: 2 }] }),
        event(order.id, 'PaymentCompleted', 2, { amount: 15_000 }),
        event(order.id, 'OrderCancelled', 3, { reason: null }),
      ]);
    });

    it('events written in a transaction that then throws are gone with it', async function () {
      const order = await add(newOrder(buyer, at(1)));
      await transactions.run(() => subject.outbox.add(event(order.id, 'OrderCreated', 1, {})));

      await rejectionOf(
        transactions.run(async () => {
          await subject.outbox.add(event(order.id, 'OrderCancelled', 2, {}));
          throw new Error('boom after the event');
        }),
      );

      expect((await subject.outboxEvents('Order', order.id)).map((e) => e.type)).to.deep.equal(['OrderCreated']);
    });
  });
}
