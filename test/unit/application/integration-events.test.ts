import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { DomainEventOutbox } from '../../../src/application/outbox/domain-event-outbox.js';
import { integrationEventsOf, type ShopEvent } from '../../../src/application/outbox/integration-events.js';
import { EVENT_TYPES, type OutboxEvent, PAYLOAD_VERSION, versionedTypeOf } from '../../../src/application/ports/outbox.js';
import { ChargeAmount } from '../../../src/domain/wallet/charge-amount.js';
import { DEFAULT_WALLET_POLICY } from '../../../src/domain/wallet/wallet-policy.js';
import { payloadDrift } from '../../support/openapi-conformance.js';
import { aCoupon, anOrder, aPaymentOf, aUserCoupon, aWallet, PLACED_AT, SELLER_ID } from '../../support/mothers.js';

const AT = new Date(PLACED_AT.getTime() + 1_000);

/** One of every event the aggregates record, made through the aggregates. */
function everyDomainEvent(): ShopEvent[] {
  const events: ShopEvent[] = [];
  const placed = anOrder().withCoupon(9, 5_000).placed();
  events.push(...placed.pullEvents());

  const paid = anOrder().withLines({ sellerId: SELLER_ID, quantity: 2 }, { sellerId: 12 }).build();
  const payment = aPaymentOf(paid);
  payment.reach('COMPLETED', AT);
  paid.confirmPayment(AT, payment);
  paid.advanceFulfilment('PREPARING', AT, { sellerId: SELLER_ID }, payment);
  const line = paid.items[0];
  if (!line) throw new Error('no line');
  payment.recordRefund(line.unitPrice, false, AT);
  paid.recordRefund(
    { id: 3, orderId: paid.id, paymentId: payment.id, amount: line.unitPrice, status: 'REFUNDED', reason: 'too big', createdAt: AT, items: [{ orderItemId: line.id, quantity: 1, amount: line.unitPrice, discountAmount: 0 }] },
    AT,
    payment,
  );
  paid.advanceFulfilment('PREPARING', AT, { sellerId: 12 }, payment);
  paid.advanceFulfilment('SHIPPED', AT, 'ALL', payment);
  paid.advanceFulfilment('DELIVERED', AT, 'ALL', payment);
  paid.complete(AT, payment);
  events.push(...paid.pullEvents());

  const failed = anOrder().in('PENDING').build();
  const declined = aPaymentOf(failed);
  declined.fail('DECLINED', AT);
  failed.fail('DECLINED', AT, declined);
  const cancelled = anOrder().build();
  cancelled.cancel('changed my mind', AT, null);
  const refunded = anOrder().paid().build();
  const whole = aPaymentOf(refunded);
  whole.reach('COMPLETED', AT);
  whole.recordRefund(refunded.finalAmount, true, AT);
  const [only] = refunded.items;
  if (!only) throw new Error('no line');
  refunded.recordRefund(
    { id: 4, orderId: refunded.id, paymentId: whole.id, amount: only.amount, status: 'REFUNDED', reason: null, createdAt: AT, items: [{ orderItemId: only.id, quantity: only.quantity, amount: only.amount, discountAmount: 0 }] },
    AT,
    whole,
  );
  events.push(...failed.pullEvents(), ...cancelled.pullEvents(), ...refunded.pullEvents());

  const coupon = aCoupon().limited(100).created();
  const copy = aUserCoupon();
  coupon.issued(copy, AT);
  coupon.changeStatus('SUSPENDED', AT);
  copy.bindTo(42, copy.userId, AT);
  copy.use(42, AT);
  events.push(...coupon.pullEvents(), ...copy.pullEvents());

  const wallet = aWallet();
  wallet.charge(ChargeAmount.of(10_000, DEFAULT_WALLET_POLICY), DEFAULT_WALLET_POLICY, { actorId: 7, at: AT });
  wallet.pay(1_000, 42, { actorId: 7, at: AT });
  events.push(...wallet.pullEvents());
  return events;
}

describe('integration events: what the data platform is told, from domain events only', () => {
  it('every integration event type is written from some domain event, and every payload matches its frozen schema (docs/events)', () => {
    const written = everyDomainEvent().flatMap(integrationEventsOf);
    expect([...new Set(written.map((e) => e.type))].sort()).to.deep.equal([...EVENT_TYPES].sort());
    for (const event of written) expect(payloadDrift(event), `${event.type}`).to.equal(null);
  });

  it('order events are the Order aggregate’s, coupon events the Coupon’s, each at the moment it happened', () => {
    for (const event of everyDomainEvent().flatMap(integrationEventsOf)) {
      expect(event.aggregateType).to.equal(event.type.startsWith('Coupon') ? 'Coupon' : 'Order');
      expect(event.occurredAt.getTime()).to.be.oneOf([PLACED_AT.getTime(), AT.getTime(), new Date('2026-01-01T00:00:00.000Z').getTime()]);
    }
  });

  it('what the outside is not told of in v1 becomes nothing: a coupon’s status change, a copy’s moves, the wallet’s ledger', () => {
    const quiet = everyDomainEvent().filter((e) => integrationEventsOf(e).length === 0);
    expect([...new Set(quiet.map((e) => e.type))].sort()).to.deep.equal(['CouponStatusChanged', 'UserCouponBound', 'UserCouponUsed', 'WalletCharged', 'WalletPaid'].sort());
  });

  it('a refund’s payload is the refund; a seller’s step shows that seller’s lines only', () => {
    const written = everyDomainEvent().flatMap(integrationEventsOf);
    const refund = written.find((e) => e.type === 'RefundCompleted');
    expect(refund?.payload).to.deep.include({ id: 3, reason: 'too big', createdAt: AT.toISOString() });
    const step = written.find((e) => e.type === 'FulfilmentAdvanced');
    expect(step?.payload).to.have.nested.property('sellerView.sellerId', SELLER_ID);
    expect((step?.payload as { items: unknown[] }).items).to.have.length(1);
  });

  it('the versioned names: OrderCreated is order.created.v1, and every type has a version', () => {
    expect(versionedTypeOf('OrderCreated')).to.equal('order.created.v1');
    expect(versionedTypeOf('FulfilmentAdvanced')).to.equal('fulfilment.advanced.v1');
    expect(Object.keys(PAYLOAD_VERSION).sort()).to.deep.equal([...EVENT_TYPES].sort());
  });

  it('DomainEventOutbox takes each aggregate’s events once and writes what they become in one add', async () => {
    const adds: OutboxEvent[][] = [];
    const outbox = new DomainEventOutbox({ add: async (...events) => void adds.push(events) });
    const order = anOrder().placed();
    const wallet = aWallet(10_000);
    wallet.pay(1_000, order.id, { actorId: 7, at: AT });
    await outbox.writeEventsOf(wallet, order);
    await outbox.writeEventsOf(wallet, order);
    expect(adds.map((events) => events.map((e) => e.type))).to.deep.equal([['OrderCreated']]);
  });
});

describe('no use case builds an event payload', () => {
  const applicationRoot = path.resolve('src/application');
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? files(path.join(dir, entry.name)) : [path.join(dir, entry.name)]));

  it('only the outbox writer adds to the outbox; the payload mappers read no API view', () => {
    const adders = files(applicationRoot).filter((file) => /\boutbox\.add\(/.test(readFileSync(file, 'utf8')));
    expect(adders.map((f) => path.relative(applicationRoot, f))).to.deep.equal(['outbox/domain-event-outbox.ts']);
    for (const mapper of files(applicationRoot).filter((f) => f.endsWith('integration-events.ts'))) {
      expect(readFileSync(mapper, 'utf8'), mapper).not.to.match(/views\.js'/);
    }
  });
});
