import { expect } from 'chai';
import type { Registry } from 'prom-client';
import sinon from 'sinon';
import type { ProductView } from '../../../../src/application/catalog/product-view.js';
import type { GetPaymentRecovery } from '../../../../src/application/ordering/get-payment-recovery.js';
import type { ListPaymentRecoveries } from '../../../../src/application/ordering/list-payment-recoveries.js';
import type { RetryPaymentRecovery } from '../../../../src/application/ordering/retry-payment-recovery.js';
import type { GatewayAnswer, GatewayPayment, GatewayStatus, PaymentGateway } from '../../../../src/application/ports/payment-gateway.js';
import type { Actor } from '../../../../src/domain/user/actor.js';
import { expectRejectsCode } from '../../expect-error.js';
import { type OrderingApp, orderingApp, PRICE } from '../ordering-app.js';

const S = 1_000;
const AFTER_S = 60;

/** An external gateway whose every request answer is lost, and whose status answers the test sets per payment. */
class GatewayThatForgets implements PaymentGateway {
  readonly settlesInTransaction = false;
  readonly asked = new Map<number, number>();
  readonly answers = new Map<number, GatewayStatus>();
  /** Held while set: every status query waits for it (two jobs in flight at once). */
  hold: Promise<void> | null = null;

  async request(): Promise<GatewayAnswer> {
    return 'UNKNOWN';
  }

  async status(payment: GatewayPayment): Promise<GatewayStatus> {
    this.asked.set(payment.paymentId, (this.asked.get(payment.paymentId) ?? 0) + 1);
    if (this.hold) await this.hold;
    return this.answers.get(payment.paymentId) ?? 'UNKNOWN';
  }

  timesAsked(paymentId: number): number {
    return this.asked.get(paymentId) ?? 0;
  }
}

async function metricValue(registry: Registry, name: string): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return expect.fail(`no metric ${name}`);
  const [sample] = (await metric.get()).values;
  return sample?.value ?? 0;
}

describe('pending-payment recovery: backoff, hand-over to an operator, retry (memory adapters)', () => {
  let gateway: GatewayThatForgets;
  let app: OrderingApp;
  let product: ProductView;
  let buyer: Actor;
  let metrics: Registry;
  let list: ListPaymentRecoveries;
  let retry: RetryPaymentRecovery;
  let getRecovery: GetPaymentRecovery;

  async function start(env: Record<string, string>, stock = 10): Promise<void> {
    gateway = new GatewayThatForgets();
    app = await orderingApp({ gateway, env });
    const seller = await app.seller();
    product = await app.product(seller, [{ name: '260', stock }]);
    buyer = await app.buyer(stock * PRICE);
    metrics = app.metrics;
    list = app.listPaymentRecoveries;
    retry = app.retryPaymentRecovery;
    getRecovery = app.getPaymentRecovery;
  }

  /** Places and pays `count` orders, one unit each, a second apart; each payment is left waiting. */
  async function pendingPayments(count: number): Promise<{ orderId: number; paymentId: number }[]> {
    const made: { orderId: number; paymentId: number }[] = [];
    for (let n = 0; n < count; n += 1) {
      const order = await app.place(buyer, product, 1);
      const outcome = await app.payForOrder.execute(buyer, order.id);
      expect(outcome.settled).to.equal(false);
      made.push({ orderId: order.id, paymentId: outcome.payment.id });
      app.clock.advance(S);
    }
    return made;
  }

  const recover = () => app.settlePendingPayment.recover(AFTER_S);
  const recoveryOf = async (paymentId: number) => (await app.payments.get(paymentId))!.recovery;

  afterEach(() => sinon.restore());

  it('the regression: 60 pending, the gateway cannot tell for the 50 oldest and approves the 10 newest: the 10 are settled on the next run, the 50 back off', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '10' }, 60);
    const made = await pendingPayments(60);
    const oldest = made.slice(0, 50);
    const newest = made.slice(50);
    for (const { paymentId } of newest) gateway.answers.set(paymentId, 'APPROVED');
    app.clock.advance(AFTER_S * S);

    // The first run takes the 50 oldest (its batch), as it always did: none can be settled.
    expect(await recover()).to.equal(0);
    expect(oldest.every(({ paymentId }) => gateway.timesAsked(paymentId) === 1)).to.equal(true);
    expect(newest.every(({ paymentId }) => gateway.timesAsked(paymentId) === 0)).to.equal(true);
    // The next run, a second later: the 50 are not due (30 s backoff), the 10 newest are.
    app.clock.advance(S);
    expect(await recover()).to.equal(10);

    for (const { orderId } of newest) expect(await app.status(orderId)).to.equal('CONFIRMED');
    for (const { orderId } of oldest) expect(await app.status(orderId)).to.equal('PENDING');
    expect(oldest.every(({ paymentId }) => gateway.timesAsked(paymentId) === 1)).to.equal(true);
    const [first] = oldest;
    expect(await recoveryOf(first!.paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 1 });
  });

  it('an inconclusive payment is asked again only when due: 30 s, then 60 s, then 120 s after each attempt', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '0' });
    const [{ paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
    app.clock.advance(AFTER_S * S);

    // One run a second for five minutes; when was the gateway asked?
    const askedAt: number[] = [];
    for (let second = 0; second <= 300; second += 1) {
      const before = gateway.timesAsked(paymentId);
      await recover();
      if (gateway.timesAsked(paymentId) > before) askedAt.push(second);
      app.clock.advance(S);
    }

    expect(askedAt).to.deep.equal([0, 30, 90, 210]);
    expect(await recoveryOf(paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 4 });
  });

  it('PENDING_RECOVERY_AFTER_SECONDS still holds: a payment waiting for less is not asked', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '10' });
    const [{ paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
    app.clock.advance(AFTER_S * S - 2 * S);
    expect(await recover()).to.equal(0);
    expect(gateway.timesAsked(paymentId)).to.equal(0);
    app.clock.advance(S);
    await recover();
    expect(gateway.timesAsked(paymentId)).to.equal(1);
  });

  it('a gateway error and a settlement that fails count as inconclusive attempts too', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '10' });
    const [{ orderId, paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
    app.clock.advance(AFTER_S * S);
    const status = sinon.stub(gateway, 'status').rejects(new Error('gateway down'));

    expect(await recover()).to.equal(0);
    expect(await recoveryOf(paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 1 });

    status.restore();
    gateway.answers.set(paymentId, 'NOT_APPROVED');
    const save = app.payments.save.bind(app.payments);
    sinon.stub(app.payments, 'save').callsFake(async (payment) => {
      if (payment.status === 'FAILED') throw new Error('payments table unavailable');
      return save(payment);
    });
    app.clock.advance(30 * S);
    expect(await recover()).to.equal(0);
    expect(await recoveryOf(paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 2 });
    expect(await app.status(orderId)).to.equal('PENDING');
    expect(await app.balance(buyer.userId)).to.equal(10 * PRICE - PRICE);

    sinon.restore();
    const secondAttempt = app.clock.now();
    app.clock.advance(60 * S);
    expect(await recover()).to.equal(1);
    expect(await app.status(orderId)).to.equal('FAILED');
    expect(await app.balance(buyer.userId)).to.equal(10 * PRICE);
    // The attempt that settled it is no inconclusive one: the count and the last one stay as they were.
    expect(await recoveryOf(paymentId)).to.deep.equal({ state: null, attempts: 2, nextAttemptAt: null, lastAttemptAt: secondAttempt });
  });

  describe('hand-over after PENDING_RECOVERY_MAX_ATTEMPTS (3, backoff 30 s)', () => {
    let orderId: number;
    let paymentId: number;
    let errors: sinon.SinonSpy;

    beforeEach(async () => {
      await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '3' });
      errors = sinon.spy(app.logger, 'error');
      [{ orderId, paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
      app.clock.advance(AFTER_S * S);
      for (const wait of [0, 30, 60]) {
        app.clock.advance(wait * S);
        await recover();
      }
    });

    it('the third inconclusive attempt hands it over: OPERATOR_REQUIRED; the order stays PENDING, the money debited, the stock reserved', async () => {
      expect(gateway.timesAsked(paymentId)).to.equal(3);
      expect(await recoveryOf(paymentId)).to.deep.equal({ state: 'OPERATOR_REQUIRED', attempts: 3, nextAttemptAt: null, lastAttemptAt: app.clock.now() });
      expect(await app.status(orderId)).to.equal('PENDING');
      expect((await app.payments.get(paymentId))!.status).to.equal('GATEWAY_REQUESTED');
      expect(await app.balance(buyer.userId)).to.equal(10 * PRICE - PRICE);
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId }]);
      expect(await app.levels(product.options[0]!.id)).to.deep.equal({ total: 10, reserved: 1, sold: 0 });
      expect(app.events(orderId).map(([type]) => type)).to.deep.equal(['OrderCreated']);
    });

    it('one error log line names the payment; the hand-over counter is 1 and the awaiting-operator gauge 1', async () => {
      const handOvers = errors.getCalls().filter((call) => String(call.args[0]).includes('handed to an operator'));
      expect(handOvers).to.have.length(1);
      expect(handOvers[0]!.args[1]).to.deep.include({ paymentId, orderId, attempts: 3 });
      expect(await metricValue(metrics, 'payments_handed_to_operator_total')).to.equal(1);
      expect(await metricValue(metrics, 'payments_awaiting_operator')).to.equal(1);
    });

    it('the job never asks about it again, however long it waits', async () => {
      for (let hour = 0; hour < 48; hour += 1) {
        app.clock.advance(3_600 * S);
        expect(await recover()).to.equal(0);
      }
      expect(gateway.timesAsked(paymentId)).to.equal(3);
      expect((await recoveryOf(paymentId)).state).to.equal('OPERATOR_REQUIRED');
      expect(await metricValue(metrics, 'payments_handed_to_operator_total')).to.equal(1);
    });

    it('it is listed for an ADMIN, with the bookkeeping; by state too; a BUYER may not list', async () => {
      const page = await list.execute(app.admin, { page: 1, size: 20, state: 'OPERATOR_REQUIRED' });
      expect(page).to.deep.include({ page: 1, size: 20, totalItems: 1, totalPages: 1 });
      expect(page.items).to.deep.equal([
        {
          paymentId,
          orderId,
          userId: buyer.userId,
          amount: PRICE,
          state: 'OPERATOR_REQUIRED',
          attempts: 3,
          waitingSince: new Date(app.clock.now().getTime() - (AFTER_S + 90 + 1) * S).toISOString(),
          lastAttemptAt: app.clock.now().toISOString(),
          nextAttemptAt: null,
        },
      ]);
      expect((await list.execute(app.admin, { page: 1, size: 20 })).items.map((r) => r.paymentId)).to.deep.equal([paymentId]);
      expect((await list.execute(app.admin, { page: 1, size: 20, state: 'AUTOMATIC' })).items).to.deep.equal([]);
      await expectRejectsCode(list.execute(buyer, { page: 1, size: 20 }), 'FORBIDDEN');
      // The buyer sees the same bookkeeping of their own payment; another buyer may not.
      expect(await getRecovery.execute(buyer, paymentId)).to.deep.equal(page.items[0]);
      await expectRejectsCode(getRecovery.execute(await app.buyer(), paymentId), 'FORBIDDEN');
      await expectRejectsCode(getRecovery.execute(app.admin, 987_654), 'NOT_FOUND');
    });

    it('an ADMIN’s retry puts it back into AUTOMATIC recovery, attempts 0, due at once: the next run asks, and settles once the gateway knows', async () => {
      const retried = await retry.execute(app.admin, paymentId);

      expect(retried).to.deep.include({ state: 'AUTOMATIC', attempts: 0, nextAttemptAt: app.clock.now().toISOString() });
      expect(await recoveryOf(paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 0 });
      expect(await recover()).to.equal(0);
      expect(gateway.timesAsked(paymentId)).to.equal(4);
      expect(await recoveryOf(paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 1 });
      expect(await metricValue(metrics, 'payments_awaiting_operator')).to.equal(0);

      gateway.answers.set(paymentId, 'APPROVED');
      app.clock.advance(30 * S);
      expect(await recover()).to.equal(1);
      expect(await app.status(orderId)).to.equal('CONFIRMED');
      expect(await app.ledger(buyer.userId)).to.deep.equal([{ type: 'PAYMENT', amount: -PRICE, orderId }]);
      expect((await recoveryOf(paymentId)).state).to.equal(null);
    });

    it('retried and inconclusive again, it is handed over again after the max attempts from 0', async () => {
      await retry.execute(app.admin, paymentId);
      for (const wait of [0, 30, 60]) {
        app.clock.advance(wait * S);
        await recover();
      }
      expect(await recoveryOf(paymentId)).to.deep.include({ state: 'OPERATOR_REQUIRED', attempts: 3 });
      expect(await metricValue(metrics, 'payments_handed_to_operator_total')).to.equal(2);
    });

    it('retry: a BUYER is FORBIDDEN, an unknown payment NOT_FOUND, a settled one INVALID_STATE; nothing changes', async () => {
      await expectRejectsCode(retry.execute(buyer, paymentId), 'FORBIDDEN');
      await expectRejectsCode(retry.execute(app.admin, 987_654), 'NOT_FOUND');
      expect((await recoveryOf(paymentId)).state).to.equal('OPERATOR_REQUIRED');

      gateway.answers.set(paymentId, 'NOT_APPROVED');
      expect((await app.settlePendingPayment.confirm(app.admin, paymentId)).status).to.equal('FAILED');
      await expectRejectsCode(retry.execute(app.admin, paymentId), 'INVALID_STATE');
      expect(await recoveryOf(paymentId)).to.deep.include({ state: null, attempts: 3 });
    });

    it('an ADMIN’s confirm still asks the gateway: while it cannot tell, nothing changes and no attempt is counted; once it knows, it settles', async () => {
      expect((await app.settlePendingPayment.confirm(app.admin, paymentId)).status).to.equal('GATEWAY_REQUESTED');
      expect(gateway.timesAsked(paymentId)).to.equal(4);
      expect(await recoveryOf(paymentId)).to.deep.include({ state: 'OPERATOR_REQUIRED', attempts: 3 });

      gateway.answers.set(paymentId, 'NOT_APPROVED');
      const settled = await app.settlePendingPayment.confirm(app.admin, paymentId);

      expect(settled).to.include({ status: 'FAILED' });
      expect(await app.status(orderId)).to.equal('FAILED');
      expect(await app.balance(buyer.userId)).to.equal(10 * PRICE);
      expect(await app.levels(product.options[0]!.id)).to.deep.equal({ total: 10, reserved: 0, sold: 0 });
      expect((await list.execute(app.admin, { page: 1, size: 20 })).items).to.deep.equal([]);
      await recover();
      expect(await metricValue(metrics, 'payments_awaiting_operator')).to.equal(0);
    });
  });

  it('PENDING_RECOVERY_MAX_ATTEMPTS=0: never handed over, retried at most every hour', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '0' });
    const [{ paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
    app.clock.advance(AFTER_S * S);
    for (let run = 0; run < 40; run += 1) {
      await recover();
      app.clock.advance(3_600 * S);
    }
    expect(gateway.timesAsked(paymentId)).to.equal(40);
    expect(await recoveryOf(paymentId)).to.deep.include({ state: 'AUTOMATIC', attempts: 40 });
    expect(await metricValue(metrics, 'payments_handed_to_operator_total')).to.equal(0);
  });

  it('two jobs whose lock did not keep them apart (it expired mid-call) count the attempt once and hand over once', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '1' });
    const errors = sinon.spy(app.logger, 'error');
    const [{ paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
    app.clock.advance(AFTER_S * S);
    sinon.stub(app.locks, 'tryAcquire').resolves({ release: async () => {} });
    let answer!: () => void;
    gateway.hold = new Promise((resolve) => (answer = resolve));

    const both = Promise.all([recover(), recover()]);
    while (gateway.timesAsked(paymentId) < 2) await new Promise((resolve) => setImmediate(resolve));
    answer();
    await both;

    expect(await recoveryOf(paymentId)).to.deep.include({ state: 'OPERATOR_REQUIRED', attempts: 1 });
    expect(await metricValue(metrics, 'payments_handed_to_operator_total')).to.equal(1);
    expect(errors.getCalls().filter((call) => String(call.args[0]).includes('handed to an operator'))).to.have.length(1);
  });

  it('a job that lists a payment another job has just asked about (and counted) leaves it alone', async () => {
    await start({ PENDING_RECOVERY_BACKOFF_SECONDS: '0', PENDING_RECOVERY_MAX_ATTEMPTS: '0' });
    const [{ paymentId }] = (await pendingPayments(1)) as [{ orderId: number; paymentId: number }];
    app.clock.advance(AFTER_S * S);
    // The late job read the due list before the first job's attempt; it takes the lock after.
    const [listed] = await app.payments.dueForRecovery(app.clock.now(), app.clock.now(), 50);
    const due = sinon.stub(app.payments, 'dueForRecovery').resolves([listed!]);
    await recover();
    expect(gateway.timesAsked(paymentId)).to.equal(1);

    await recover();

    // Backoff 0 makes it due again at once: only its changed count tells the late job it was asked.
    expect(gateway.timesAsked(paymentId)).to.equal(1);
    expect(await recoveryOf(paymentId)).to.deep.include({ attempts: 1 });
    due.restore();
  });
});
