import { expect } from 'chai';
import sinon from 'sinon';
import type { OutboxEvent } from '../../src/application/ports/outbox.js';
import type { GatewayAnswer, GatewayPayment, GatewayStatus, PaymentGateway } from '../../src/application/ports/payment-gateway.js';
import type { Payment } from '../../src/domain/ordering/payment.js';
import type { Actor } from '../../src/domain/user/actor.js';
import { resolve, TOKENS } from '../../src/infrastructure/container.js';
import type { ManualClock } from '../support/clock.js';
import { requireRealPostgres, type TestDatabase, testDatabase } from '../support/database.js';
import {
  type App,
  type AppOptions,
  attempt,
  balanceOf,
  codeOf,
  deferred,
  eventsOf,
  expectBooksBalance,
  type Levels,
  type Listed,
  ledgerOf,
  orderStatus,
  pastClock,
  paymentsOf,
  ScriptedGateway,
  Shop,
  startApp,
  stockOf,
} from './ordering-support.js';

/**
 * Payments through an external gateway on real PostgreSQL: answers lost, processes that die
 * half-way, settlements that fail, several recovery jobs at once. Whatever happens, each payment
 * ends settled exactly once, and nothing is lost or doubled: ledger rows, stock, payment rows and
 * outbox events are counted one by one.
 *
 * Every scenario runs on a clock of its own far in the past (pastClock), so the recovery job
 * (which takes every PENDING order older than its "now") sees only the orders the scenario made.
 */
describe('payment recovery and crash safety (PostgreSQL)', function () {
  this.timeout(60_000);
  let database: TestDatabase;
  const apps: App[] = [];

  before(async function () {
    database = await testDatabase();
    requireRealPostgres(this, database);
  });

  after(async function () {
    await Promise.all(apps.map((a) => a.close()));
  });

  async function instance(options: AppOptions): Promise<App> {
    const app = await startApp(database, options);
    apps.push(app);
    return app;
  }

  interface Scenario {
    clock: ManualClock;
    app: App;
    shop: Shop;
    product: Listed;
    optionId: number;
  }

  async function scenario(options: Omit<AppOptions, 'clock'>, price: number, stock: number): Promise<Scenario> {
    const clock = pastClock();
    const app = await instance({ ...options, clock });
    const shop = await Shop.open(app);
    const product = await shop.product(price, [stock]);
    return { clock, app, shop, product, optionId: product.optionIds[0] as number };
  }

  /** Places and pays one order of one unit per buyer; each payment must be left PENDING. */
  async function pendingOrders(s: Scenario, buyers: Actor[]): Promise<number[]> {
    const ids: number[] = [];
    for (const buyer of buyers) {
      const order = await s.shop.place(buyer, s.product, [[s.optionId, 1]]);
      const outcome = await s.shop.pay(buyer, order.id);
      expect(outcome.settled).to.equal(false);
      expect(outcome.payment.status).to.equal('GATEWAY_REQUESTED');
      ids.push(order.id);
    }
    return ids;
  }

  const typesOf = async (app: App, orderId: number) => (await eventsOf(app.db, [orderId])).map((e) => e.type);
  const ledgerLines = async (app: App, userId: number) => (await ledgerOf(app.db, [userId])).map((l) => [l.type, l.amount, l.orderId]);

  /** PENDING, debited once, stock still reserved, nothing settled. */
  async function expectPendingAndDebited(app: App, orderId: number, buyer: Actor, charged: number, price: number): Promise<void> {
    expect(await orderStatus(app.db, orderId)).to.equal('PENDING');
    expect(await ledgerLines(app, buyer.userId)).to.deep.equal([
      ['CHARGE', charged, null],
      ['PAYMENT', -price, orderId],
    ]);
    expect((await paymentsOf(app.db, [orderId])).map((p) => p.status)).to.deep.equal(['GATEWAY_REQUESTED']);
    expect(await typesOf(app, orderId)).to.deep.equal(['OrderCreated']);
    await expectBooksBalance(app.db, [buyer.userId]);
  }

  async function expectFailedAndGivenBack(app: App, orderId: number, buyer: Actor, charged: number, price: number): Promise<void> {
    expect(await orderStatus(app.db, orderId)).to.equal('FAILED');
    expect(await ledgerLines(app, buyer.userId)).to.deep.equal([
      ['CHARGE', charged, null],
      ['PAYMENT', -price, orderId],
      ['REFUND', price, orderId],
    ]);
    expect(await balanceOf(app.db, buyer.userId)).to.equal(charged);
    const payments = await paymentsOf(app.db, [orderId]);
    expect(payments.map((p) => p.status)).to.deep.equal(['FAILED']);
    expect(payments[0]?.failureReason).to.match(/^NOT_APPROVED_BY_GATEWAY/);
    expect(await typesOf(app, orderId)).to.deep.equal(['OrderCreated', 'OrderFailed']);
    await expectBooksBalance(app.db, [buyer.userId]);
  }

  async function expectConfirmedOnce(app: App, orderId: number, buyer: Actor, charged: number, price: number): Promise<void> {
    expect(await orderStatus(app.db, orderId)).to.equal('CONFIRMED');
    expect(await ledgerLines(app, buyer.userId)).to.deep.equal([
      ['CHARGE', charged, null],
      ['PAYMENT', -price, orderId],
    ]);
    expect(await balanceOf(app.db, buyer.userId)).to.equal(charged - price);
    expect((await paymentsOf(app.db, [orderId])).map((p) => p.status)).to.deep.equal(['COMPLETED']);
    expect(await typesOf(app, orderId)).to.deep.equal(['OrderCreated', 'PaymentCompleted']);
    await expectBooksBalance(app.db, [buyer.userId]);
  }

  describe('two recovery jobs on the same PENDING orders at once', function () {
    it('gateway says NOT_APPROVED (sandbox, timeout mode): each order FAILED once, one REFUND, stock released once, one OrderFailed', async function () {
      const env = { PAYMENT_GATEWAY: 'sandbox', PAYMENT_GATEWAY_SANDBOX_MODE: 'timeout' };
      const s = await scenario({ env }, 3_000, 10);
      const other = s.shop.on(await instance({ env, clock: s.clock }));
      const buyers = await s.shop.buyers(8, 10_000);
      const orderIds = await pendingOrders(s, buyers);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 10, reserved: 8, sold: 0 });
      for (const [i, buyer] of buyers.entries()) await expectPendingAndDebited(s.app, orderIds[i] as number, buyer, 10_000, 3_000);

      s.clock.advance(1_000);
      const [byA, byB] = await Promise.all([s.shop.recover(), other.recover()]);

      // Each run reports what it saw settled; together they saw every order.
      expect(byA + byB).to.be.at.least(8);
      for (const [i, buyer] of buyers.entries()) await expectFailedAndGivenBack(s.app, orderIds[i] as number, buyer, 10_000, 3_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 10, reserved: 0, sold: 0 });
      // And a later run finds nothing left to do.
      expect(await other.recover()).to.equal(0);
    });

    it('gateway says APPROVED: each order CONFIRMED once, one PAYMENT row, stock confirmed once, one PaymentCompleted', async function () {
      const gateway = () => new ScriptedGateway(async () => 'UNKNOWN', 'APPROVED');
      const s = await scenario({ gateway: gateway() }, 3_000, 10);
      const other = s.shop.on(await instance({ gateway: gateway(), clock: s.clock }));
      const buyers = await s.shop.buyers(8, 10_000);
      const orderIds = await pendingOrders(s, buyers);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 10, reserved: 8, sold: 0 });

      s.clock.advance(1_000);
      const [byA, byB] = await Promise.all([s.shop.recover(), other.recover()]);

      expect(byA + byB).to.be.at.least(8);
      for (const [i, buyer] of buyers.entries()) await expectConfirmedOnce(s.app, orderIds[i] as number, buyer, 10_000, 3_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 2, reserved: 0, sold: 8 });
      expect(await other.recover()).to.equal(0);
    });
    it('a run that takes the lock after another run settled the order does not count it again: counts add up to the orders settled', async function () {
      const gateway = () => new ScriptedGateway(async () => 'UNKNOWN', 'NOT_APPROVED');
      const s = await scenario({ gateway: gateway() }, 3_000, 2);
      const otherApp = await instance({ gateway: gateway(), clock: s.clock });
      const other = s.shop.on(otherApp);
      const [buyer] = (await s.shop.buyers(1, 10_000)) as [Actor];
      const [orderId] = (await pendingOrders(s, [buyer])) as [number];
      // The other run has listed the order as PENDING and is about to take its lock when the
      // first run settles it: the interleaving two instances meet whenever one is a little behind.
      const locks = resolve(otherApp.container, TOKENS.locks);
      const tryAcquire = locks.tryAcquire.bind(locks);
      const waiting = deferred<void>();
      const firstDone = deferred<void>();
      sinon.stub(locks, 'tryAcquire').callsFake(async (key: string, ttlMs: number) => {
        waiting.resolve();
        await firstDone.promise;
        return tryAcquire(key, ttlMs);
      });
      s.clock.advance(1_000);

      const late = other.recover();
      await waiting.promise;
      const byFirst = await s.shop.recover();
      firstDone.resolve();
      const byLate = await late;

      await expectFailedAndGivenBack(s.app, orderId, buyer, 10_000, 3_000);
      expect({ byFirst, byLate }, 'one order was settled, by the first run').to.deep.equal({ byFirst: 1, byLate: 0 });
    });
  });

  describe('recovery bookkeeping: backoff, hand-over to an operator (PENDING_RECOVERY_BACKOFF_SECONDS, PENDING_RECOVERY_MAX_ATTEMPTS)', function () {
    /** Every request's answer is lost; what the gateway says of each payment later, the test sets (UNKNOWN unless told). */
    class GatewayThatForgets implements PaymentGateway {
      readonly settlesInTransaction = false;
      readonly answers = new Map<number, GatewayStatus>();
      readonly asked = new Map<number, number>();
      /** Set: a status query waits until both instances asked about the same payment (their locks did not keep them apart). */
      pairUp = false;
      private readonly waiting = new Map<number, () => void>();

      async request(): Promise<GatewayAnswer> {
        return 'UNKNOWN';
      }

      async status(payment: GatewayPayment): Promise<GatewayStatus> {
        const times = (this.asked.get(payment.paymentId) ?? 0) + 1;
        this.asked.set(payment.paymentId, times);
        if (this.pairUp) {
          if (times % 2 === 1) await new Promise<void>((resolve) => this.waiting.set(payment.paymentId, resolve));
          else this.waiting.get(payment.paymentId)?.();
        }
        return this.answers.get(payment.paymentId) ?? 'UNKNOWN';
      }
    }

    const counterOf = async (app: App, name: string): Promise<number> => {
      const metric = resolve(app.container, TOKENS.metrics).getSingleMetric(name);
      return (await metric!.get()).values[0]?.value ?? 0;
    };
    const recoveryRows = async (app: App, paymentIds: number[]) =>
      (await app.db('payments').whereIn('id', paymentIds).orderBy('id')).map((r) => ({
        id: Number(r.id),
        state: r.recovery_state as string | null,
        attempts: Number(r.recovery_attempts),
        next: r.recovery_next_attempt_at === null ? null : new Date(r.recovery_next_attempt_at).getTime(),
      }));
    const S = 1_000;

    it('60 pending, the gateway cannot tell for the 50 oldest and approves the 10 newest, two instances running the job: the 10 are settled, the 50 back off and are handed over once, listed, counted; nothing lost', async function () {
      const env = { PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '4' };
      const gateway = new GatewayThatForgets();
      const s = await scenario({ gateway, env }, 3_000, 60);
      const otherApp = await instance({ gateway, env, clock: s.clock });
      const other = s.shop.on(otherApp);
      const buyers = await s.shop.buyers(60, 10_000);
      const orderIds = await pendingOrders(s, buyers);
      const paymentIds = (await paymentsOf(s.app.db, orderIds)).map((p) => p.id);
      expect(paymentIds).to.have.length(60);
      const [oldest, newest] = [paymentIds.slice(0, 50), paymentIds.slice(50)];
      for (const id of newest) gateway.answers.set(id, 'APPROVED');
      const round = async () => (await Promise.all([s.shop.recover(), other.recover()])).reduce((a, b) => a + b, 0);
      const expectAttempts = async (attempts: number, state = 'AUTOMATIC') =>
        expect(new Set((await recoveryRows(s.app, oldest)).map((r) => `${r.state}:${r.attempts}`))).to.deep.equal(new Set([`${state}:${attempts}`]));

      // A run's batch is 50: the first rounds take the 50 oldest; once they back off, the 10 newest.
      s.clock.advance(1 * S);
      let settled = await round();
      s.clock.advance(1 * S);
      settled += await round();

      expect(settled).to.equal(10);
      for (const [i, orderId] of orderIds.entries()) {
        if (i >= 50) await expectConfirmedOnce(s.app, orderId, buyers[i] as Actor, 10_000, 3_000);
        else await expectPendingAndDebited(s.app, orderId, buyers[i] as Actor, 10_000, 3_000);
      }
      await expectAttempts(1);

      // Backing off: 30 s after the first attempt (made 2 s ago), then 60 s, then 120 s; the 4th hands over.
      s.clock.advance(28 * S);
      expect(await round()).to.equal(0);
      await expectAttempts(1);
      s.clock.advance(1 * S);
      await round();
      await expectAttempts(2);
      s.clock.advance(59 * S);
      await round();
      await expectAttempts(2);
      s.clock.advance(1 * S);
      await round();
      await expectAttempts(3);
      s.clock.advance(120 * S);
      expect(await round()).to.equal(0);
      await expectAttempts(4, 'OPERATOR_REQUIRED');
      for (const hour of [1, 2, 3]) {
        s.clock.advance(hour * 3_600 * S);
        await round();
      }
      // Never asked twice for one attempt, however the two instances met; never again once handed over.
      expect(oldest.map((id) => gateway.asked.get(id))).to.deep.equal(oldest.map(() => 4));
      expect((await recoveryRows(s.app, oldest)).every((r) => r.next === null)).to.equal(true);

      // Nothing given back, nothing lost: PENDING, debited once, the stock still held.
      for (const [i, orderId] of orderIds.slice(0, 50).entries()) await expectPendingAndDebited(s.app, orderId, buyers[i] as Actor, 10_000, 3_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 50, reserved: 50, sold: 10 });

      // Listed for operators (the admin endpoint's use case), counted once across both instances.
      const list = resolve(s.app.container, TOKENS.listPaymentRecoveries);
      const awaiting = await list.execute(s.shop.admin, { page: 1, size: 100, state: 'OPERATOR_REQUIRED' });
      expect(awaiting.items.map((r) => r.paymentId)).to.include.members(oldest);
      expect(awaiting.items.filter((r) => oldest.includes(r.paymentId)).every((r) => r.attempts === 4 && r.nextAttemptAt === null)).to.equal(true);
      expect((await counterOf(s.app, 'payments_handed_to_operator_total')) + (await counterOf(otherApp, 'payments_handed_to_operator_total'))).to.equal(50);
      expect(await counterOf(s.app, 'payments_awaiting_operator')).to.equal(awaiting.totalItems);
      expect(await counterOf(otherApp, 'payments_awaiting_operator')).to.equal(awaiting.totalItems);

      // An operator puts one back: asked on the next run; the gateway now says not approved: given back once.
      const [retried, ...rest] = oldest;
      gateway.answers.set(retried!, 'NOT_APPROVED');
      expect(await resolve(s.app.container, TOKENS.retryPaymentRecovery).execute(s.shop.admin, retried!)).to.deep.include({ state: 'AUTOMATIC', attempts: 0 });
      expect(await round()).to.equal(1);
      await expectFailedAndGivenBack(s.app, orderIds[0]!, buyers[0] as Actor, 10_000, 3_000);
      // The rest the operator settles with confirm, once the gateway knows.
      for (const id of rest) gateway.answers.set(id, 'NOT_APPROVED');
      const confirm = resolve(otherApp.container, TOKENS.settlePendingPayment);
      for (const id of rest) expect((await confirm.confirm(s.shop.admin, id)).status).to.equal('FAILED');
      for (const [i, orderId] of orderIds.slice(0, 50).entries()) await expectFailedAndGivenBack(s.app, orderId, buyers[i] as Actor, 10_000, 3_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 50, reserved: 0, sold: 10 });
      // One more question each: the retried one by the job, the others by the operator's confirm.
      expect(oldest.map((id) => gateway.asked.get(id))).to.deep.equal(oldest.map(() => 5));
      expect((await list.execute(s.shop.admin, { page: 1, size: 100 })).items.filter((r) => oldest.includes(r.paymentId))).to.deep.equal([]);
    });

    it('two instances whose locks did not keep them apart (both asked the gateway about the same payment): each attempt is counted once, each payment handed over once', async function () {
      const env = { PENDING_RECOVERY_BACKOFF_SECONDS: '30', PENDING_RECOVERY_MAX_ATTEMPTS: '1' };
      const gateway = new GatewayThatForgets();
      const s = await scenario({ gateway, env }, 3_000, 5);
      const otherApp = await instance({ gateway, env, clock: s.clock });
      const buyers = await s.shop.buyers(5, 10_000);
      const orderIds = await pendingOrders(s, buyers);
      const paymentIds = (await paymentsOf(s.app.db, orderIds)).map((p) => p.id);
      for (const app of [s.app, otherApp]) sinon.stub(resolve(app.container, TOKENS.locks), 'tryAcquire').resolves({ release: async () => {} });
      const errors = [s.app, otherApp].map((app) => sinon.spy(resolve(app.container, TOKENS.logger), 'error'));
      gateway.pairUp = true;
      s.clock.advance(1 * S);

      // One payment a run (limit 1), so both instances take the same one and ask about it at once.
      for (const _ of paymentIds) {
        await Promise.all([s.app, otherApp].map((app) => resolve(app.container, TOKENS.settlePendingPayment).recover(0, 1)));
      }

      expect(paymentIds.map((id) => gateway.asked.get(id))).to.deep.equal(paymentIds.map(() => 2));
      expect(await recoveryRows(s.app, paymentIds)).to.deep.equal(paymentIds.map((id) => ({ id, state: 'OPERATOR_REQUIRED', attempts: 1, next: null })));
      expect((await counterOf(s.app, 'payments_handed_to_operator_total')) + (await counterOf(otherApp, 'payments_handed_to_operator_total'))).to.equal(5);
      const handOverLines = errors.flatMap((spy) => spy.getCalls()).filter((call) => String(call.args[0]).includes('handed to an operator'));
      expect(handOverLines.map((call) => (call.args[1] as { paymentId: number }).paymentId).sort((a, b) => a - b)).to.deep.equal(paymentIds);
      for (const [i, orderId] of orderIds.entries()) await expectPendingAndDebited(s.app, orderId, buyers[i] as Actor, 10_000, 3_000);

      // Settled by the operator, so that no later suite finds them waiting.
      gateway.pairUp = false;
      for (const id of paymentIds) gateway.answers.set(id, 'NOT_APPROVED');
      for (const id of paymentIds) await resolve(s.app.container, TOKENS.settlePendingPayment).confirm(s.shop.admin, id);
      for (const [i, orderId] of orderIds.entries()) await expectFailedAndGivenBack(s.app, orderId, buyers[i] as Actor, 10_000, 3_000);
    });
  });

  describe('crash safety', function () {
    it('the gateway call dies after the debit: PENDING and debited; UNKNOWN changes nothing; NOT_APPROVED gives back once; APPROVED completes once', async function () {
      const gateway = new ScriptedGateway(() => Promise.reject(new Error('connection reset: the process lost the answer')), 'UNKNOWN');
      const s = await scenario({ gateway }, 2_000, 5);
      const [first, second] = (await s.shop.buyers(2, 5_000)) as [Actor, Actor];

      const [lost] = (await pendingOrders(s, [first])) as [number];
      await expectPendingAndDebited(s.app, lost, first, 5_000, 2_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 5, reserved: 1, sold: 0 });

      s.clock.advance(1_000);
      // The gateway cannot tell yet: recovery must leave everything as it is.
      expect(await s.shop.recover()).to.equal(0);
      await expectPendingAndDebited(s.app, lost, first, 5_000, 2_000);

      gateway.statusAnswer = 'NOT_APPROVED';
      expect(await s.shop.recover()).to.equal(1);
      expect(await s.shop.recover()).to.equal(0);
      await expectFailedAndGivenBack(s.app, lost, first, 5_000, 2_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 5, reserved: 0, sold: 0 });

      gateway.statusAnswer = 'UNKNOWN';
      const [approved] = (await pendingOrders(s, [second])) as [number];
      await expectPendingAndDebited(s.app, approved, second, 5_000, 2_000);
      s.clock.advance(1_000);
      gateway.statusAnswer = 'APPROVED';
      expect(await s.shop.recover()).to.equal(1);
      expect(await s.shop.recover()).to.equal(0);
      await expectConfirmedOnce(s.app, approved, second, 5_000, 2_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 4, reserved: 0, sold: 1 });
      // The first buyer's books did not move when the second's order settled.
      await expectFailedAndGivenBack(s.app, lost, first, 5_000, 2_000);
    });

    it('the gateway approves but the settlement transaction fails once (outbox down): PENDING, nothing half-written; recovery completes it once', async function () {
      const gateway = new ScriptedGateway(async () => 'APPROVED', 'APPROVED');
      const s = await scenario({ gateway }, 2_500, 3);
      const [buyer] = (await s.shop.buyers(1, 5_000)) as [Actor];
      const outbox = resolve(s.app.container, TOKENS.outbox);
      const add = outbox.add.bind(outbox);
      const failures: string[] = [];
      sinon.stub(outbox, 'add').callsFake(async (...events: OutboxEvent[]) => {
        if (failures.length === 0 && events.some((e) => e.type === 'PaymentCompleted')) {
          failures.push('PaymentCompleted');
          throw new Error('outbox unavailable');
        }
        return add(...events);
      });
      const order = await s.shop.place(buyer, s.product, [[s.optionId, 1]]);

      const paid = await attempt(s.shop.pay(buyer, order.id));

      expect(codeOf(paid)).to.equal('UNCODED: outbox unavailable');
      expect(failures).to.deep.equal(['PaymentCompleted']);
      // The debit committed before the gateway was asked; the settlement rolled back as a whole.
      await expectPendingAndDebited(s.app, order.id, buyer, 5_000, 2_500);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 3, reserved: 1, sold: 0 });

      s.clock.advance(1_000);
      expect(await s.shop.recover()).to.equal(1);
      expect(await s.shop.recover()).to.equal(0);
      await expectConfirmedOnce(s.app, order.id, buyer, 5_000, 2_500);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 2, reserved: 0, sold: 1 });
      expect(gateway.requests).to.equal(1);
    });

    it('recovery gives back, but its first settlement fails (payments repository down): nothing half-written; the next run gives back once', async function () {
      const gateway = new ScriptedGateway(async () => 'UNKNOWN', 'NOT_APPROVED');
      const s = await scenario({ gateway }, 2_500, 3);
      const [buyer] = (await s.shop.buyers(1, 5_000)) as [Actor];
      const [orderId] = (await pendingOrders(s, [buyer])) as [number];
      const payments = resolve(s.app.container, TOKENS.payments);
      const save = payments.save.bind(payments);
      let thrown = 0;
      // Throws once, at the very end of the give-back (after the stock release and the wallet refund).
      sinon.stub(payments, 'save').callsFake(async (payment: Payment) => {
        if (thrown === 0 && payment.status === 'FAILED') {
          thrown += 1;
          throw new Error('payments table unavailable');
        }
        return save(payment);
      });

      s.clock.advance(1_000);
      expect(await s.shop.recover()).to.equal(0);

      expect(thrown).to.equal(1);
      await expectPendingAndDebited(s.app, orderId, buyer, 5_000, 2_500);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 3, reserved: 1, sold: 0 });

      expect(await s.shop.recover()).to.equal(1);
      expect(await s.shop.recover()).to.equal(0);
      await expectFailedAndGivenBack(s.app, orderId, buyer, 5_000, 2_500);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 3, reserved: 0, sold: 0 });
    });

    it('internal gateway, settlement fails inside the one payment transaction: nothing at all is kept, and paying again works once', async function () {
      const s = await scenario({}, 1_500, 2);
      const [buyer] = (await s.shop.buyers(1, 5_000)) as [Actor];
      const outbox = resolve(s.app.container, TOKENS.outbox);
      const add = outbox.add.bind(outbox);
      let thrown = 0;
      sinon.stub(outbox, 'add').callsFake(async (...events: OutboxEvent[]) => {
        if (thrown === 0 && events.some((e) => e.type === 'PaymentCompleted')) {
          thrown += 1;
          throw new Error('outbox unavailable');
        }
        return add(...events);
      });
      const order = await s.shop.place(buyer, s.product, [[s.optionId, 1]]);

      expect(codeOf(await attempt(s.shop.pay(buyer, order.id)))).to.equal('UNCODED: outbox unavailable');
      expect(thrown).to.equal(1);

      expect(await orderStatus(s.app.db, order.id)).to.equal('CREATED');
      expect(await ledgerLines(s.app, buyer.userId)).to.deep.equal([['CHARGE', 5_000, null]]);
      expect(await paymentsOf(s.app.db, [order.id])).to.deep.equal([]);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 2, reserved: 1, sold: 0 });
      expect(await typesOf(s.app, order.id)).to.deep.equal(['OrderCreated']);

      const again = await s.shop.pay(buyer, order.id);
      expect(again.payment.status).to.equal('COMPLETED');
      await expectConfirmedOnce(s.app, order.id, buyer, 5_000, 1_500);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 1, reserved: 0, sold: 1 });
    });

    it('the gateway answers late, just as another instance recovers the payment: settled once', async function () {
      const answer = deferred<'APPROVED'>();
      const asked = deferred<void>();
      const slow = new ScriptedGateway(() => {
        asked.resolve();
        return answer.promise;
      }, 'APPROVED');
      const s = await scenario({ gateway: slow }, 2_000, 4);
      const other = s.shop.on(await instance({ gateway: new ScriptedGateway(async () => 'UNKNOWN', 'APPROVED'), clock: s.clock }));
      const [buyer] = (await s.shop.buyers(1, 5_000)) as [Actor];
      const order = await s.shop.place(buyer, s.product, [[s.optionId, 1]]);

      const paying = attempt(s.shop.pay(buyer, order.id));
      await asked.promise;
      await expectPendingAndDebited(s.app, order.id, buyer, 5_000, 2_000);
      s.clock.advance(1_000);
      const recovering = other.recover();
      answer.resolve('APPROVED');
      const [paid, recovered] = await Promise.all([paying, recovering]);

      expect(codeOf(paid)).to.equal('OK');
      expect(recovered).to.be.at.most(1);
      await expectConfirmedOnce(s.app, order.id, buyer, 5_000, 2_000);
      expect(await stockOf(s.app.db, s.optionId)).to.deep.equal({ total: 3, reserved: 0, sold: 1 } satisfies Levels);
    });
  });
});
