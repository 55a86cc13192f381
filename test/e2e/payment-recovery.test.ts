import { expect } from 'chai';
import type { PaymentRecoveryView } from '../../src/application/ordering/views.js';
import type { GatewayAnswer, GatewayPayment, GatewayStatus, PaymentGateway } from '../../src/application/ports/payment-gateway.js';
import { ManualClock } from '../support/clock.js';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { eventually, expectPaymentAnswer, freshIdempotencyKey, type Listing, OrderingClient, paymentPath, sleep } from './orders-support.js';
import { expectIsoTime, expectProblem, expectValidation } from './problem.js';

const ADMIN_PAYMENTS = '/api/v1/admin/payments';
const retryPath = (paymentId: number | string) => `${ADMIN_PAYMENTS}/${paymentId}/retry`;
const recoveryPath = (paymentId: number | string) => `${paymentPath(paymentId)}/recovery`;
const RECOVERY_FIELDS = ['amount', 'attempts', 'lastAttemptAt', 'nextAttemptAt', 'orderId', 'paymentId', 'state', 'userId', 'waitingSince'];
const UNKNOWN_PAYMENT = 999_999_999;
const S = 1_000;

/** An external gateway that never answers a request, and says of each payment what the test sets (UNKNOWN unless told). */
class GatewayThatForgets implements PaymentGateway {
  readonly settlesInTransaction = false;
  readonly answers = new Map<number, GatewayStatus>();
  readonly asked = new Map<number, number>();

  async request(): Promise<GatewayAnswer> {
    return 'UNKNOWN';
  }

  async status(payment: GatewayPayment): Promise<GatewayStatus> {
    this.asked.set(payment.paymentId, (this.asked.get(payment.paymentId) ?? 0) + 1);
    return this.answers.get(payment.paymentId) ?? 'UNKNOWN';
  }
}

function expectRecoveryShape(body: unknown): asserts body is PaymentRecoveryView {
  expect(Object.keys(body as object).sort()).to.deep.equal(RECOVERY_FIELDS);
  const r = body as PaymentRecoveryView;
  expect(r.state === null || ['AUTOMATIC', 'OPERATOR_REQUIRED'].includes(r.state)).to.equal(true);
  for (const time of [r.waitingSince, r.lastAttemptAt, r.nextAttemptAt]) if (time !== null) expectIsoTime(time);
}

function expectRecovery(res: ApiResponse): PaymentRecoveryView {
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  expectRecoveryShape(res.body);
  return res.body;
}

/** A sample of a metric without labels, from the Prometheus text. */
function metricOf(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) return expect.fail(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

// Clocks of their own, years before any other suite's: the recovery job of this service sees no
// other suite's pending payments as due (the database is shared by the run).
let years = 0;
const ownClock = () => new ManualClock(new Date(Date.UTC(1995 - ++years, 5, 1)));

for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: pending payments handed to an operator, listed and retried (${persistence})`, function () {
    this.timeout(30_000);
    let t: TestService;
    let o: OrderingClient;
    let clock: ManualClock;
    let gateway: GatewayThatForgets;
    let listing: Listing;
    let buyer: Account;

    before(async function () {
      clock = ownClock();
      gateway = new GatewayThatForgets();
      t = await startTestService({
        persistence,
        clock,
        gateway,
        env: {
          JOB_INTERVAL_MS: '50',
          PENDING_RECOVERY_AFTER_SECONDS: '1',
          PENDING_RECOVERY_BACKOFF_SECONDS: '1',
          PENDING_RECOVERY_MAX_ATTEMPTS: '3',
        },
      });
      o = new OrderingClient(t);
      listing = await o.listing({ price: 5_000, options: [{ name: 'ONE', stock: 20 }] });
      buyer = await o.buyerWith(50_000);
    });
    after(async function () {
      await t?.stop();
    });

    const recoveryOf = async (paymentId: number, who: Account = buyer) => expectRecovery(await t.api.get(recoveryPath(paymentId), { token: who.token }));
    const listed = (query: string, who: Account | null = t.admin) => t.api.get(`${ADMIN_PAYMENTS}${query}`, who ? { token: who.token } : {});
    async function listedIds(query: string): Promise<number[]> {
      const res = await listed(query);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(Object.keys(res.body).sort()).to.deep.equal(['items', 'page', 'size', 'totalItems', 'totalPages']);
      (res.body.items as unknown[]).forEach(expectRecoveryShape);
      return (res.body.items as PaymentRecoveryView[]).map((r) => r.paymentId);
    }
    const metrics = async () => (await t.api.get('/metrics')).body as string;
    const retry = (paymentId: number | string, who: Account | null = t.admin, headers?: Record<string, string>) =>
      t.api.post(retryPath(paymentId), undefined, { ...(who ? { token: who.token } : {}), ...(headers ? { headers } : {}) });

    /** Pays a new order; the gateway's answer is lost: 202, the payment waits. */
    async function pendingPayment(): Promise<{ orderId: number; paymentId: number }> {
      const order = await o.order(buyer, listing);
      const payment = expectPaymentAnswer(await o.pay(buyer, { orderId: order.id }), 202);
      expect(payment.status).to.equal('GATEWAY_REQUESTED');
      return { orderId: order.id, paymentId: payment.id };
    }

    /** Moves the service's clock and waits for the job to have counted `attempts` (or handed it over). */
    async function attemptsReach(paymentId: number, attempts: number, advanceMs: number): Promise<PaymentRecoveryView> {
      clock.advance(advanceMs);
      const seen = await eventually(() => recoveryOf(paymentId), (r) => r.attempts >= attempts, 5_000, 50);
      expect(seen.attempts).to.equal(attempts);
      return seen;
    }

    async function handedOver(paymentId: number): Promise<PaymentRecoveryView> {
      await attemptsReach(paymentId, 1, 1 * S);
      await attemptsReach(paymentId, 2, 1 * S);
      return attemptsReach(paymentId, 3, 2 * S);
    }

    it('a payment the gateway cannot answer for backs off (1 s, 2 s), then after 3 attempts is handed over: listed for ADMINs, counted on /metrics, the money still debited', async function () {
      const before = await metrics();
      const { orderId, paymentId } = await pendingPayment();

      const waiting = await recoveryOf(paymentId);
      expect(waiting).to.deep.include({ paymentId, orderId, userId: buyer.id, amount: 5_000, state: 'AUTOMATIC', attempts: 0, lastAttemptAt: null });
      expect(waiting.nextAttemptAt).to.equal(waiting.waitingSince);
      // The job runs, but until PENDING_RECOVERY_AFTER_SECONDS have passed (on the service's clock) it does not ask.
      await sleep(300);
      expect(gateway.asked.get(paymentId) ?? 0).to.equal(0);

      const first = await attemptsReach(paymentId, 1, 1 * S);
      expect(first.state).to.equal('AUTOMATIC');
      expect(Date.parse(first.nextAttemptAt!) - Date.parse(first.lastAttemptAt!)).to.equal(1 * S);
      await sleep(300);
      expect((await recoveryOf(paymentId)).attempts, 'not due again before the backoff').to.equal(1);
      const second = await attemptsReach(paymentId, 2, 1 * S);
      expect(Date.parse(second.nextAttemptAt!) - Date.parse(second.lastAttemptAt!)).to.equal(2 * S);
      const third = await attemptsReach(paymentId, 3, 2 * S);

      expect(third).to.deep.include({ state: 'OPERATOR_REQUIRED', attempts: 3, nextAttemptAt: null });
      clock.advance(3_600 * S);
      await sleep(300);
      expect(gateway.asked.get(paymentId), 'the job no longer asks').to.equal(3);
      expect((await o.getOk(buyer, orderId)).status).to.equal('PENDING');
      expect(expectPaymentAnswer(await o.getPayment(buyer, paymentId), 200).status).to.equal('GATEWAY_REQUESTED');
      expect(await o.balanceOf(buyer)).to.equal(45_000);

      expect(await listedIds('?state=OPERATOR_REQUIRED&size=100')).to.include(paymentId);
      expect(await listedIds('?size=100')).to.include(paymentId);
      expect(await listedIds('?state=AUTOMATIC&size=100')).not.to.include(paymentId);
      const item = ((await listed('?state=OPERATOR_REQUIRED&size=100')).body.items as PaymentRecoveryView[]).find((r) => r.paymentId === paymentId);
      expect(item).to.deep.equal(await recoveryOf(paymentId));
      expect(await recoveryOf(paymentId, t.admin)).to.deep.equal(item);

      const after = await metrics();
      expect(metricOf(after, 'payments_handed_to_operator_total') - metricOf(before, 'payments_handed_to_operator_total')).to.equal(1);
      expect(metricOf(after, 'payments_awaiting_operator')).to.be.at.least(1);
    });

    it('GET /admin/payments: ADMIN only (403), paged, `state` checked (400); the recovery of someone else’s payment is 403, of an unknown one 404', async function () {
      expectProblem(await listed('', buyer), 403, 'FORBIDDEN', ADMIN_PAYMENTS);
      expectProblem(await listed('', null), 401, 'UNAUTHENTICATED', ADMIN_PAYMENTS);
      expectValidation(await listed('?state=SETTLED'), ADMIN_PAYMENTS, 'state');
      expectValidation(await listed('?size=0'), ADMIN_PAYMENTS, 'size');
      expectValidation(await listed('?status=PENDING'), ADMIN_PAYMENTS, 'status');
      const page = await listed('?page=1&size=1');
      expect(page.body).to.deep.include({ page: 1, size: 1 });

      const { paymentId } = await pendingPayment();
      const stranger = await t.newBuyer();
      expectProblem(await t.api.get(recoveryPath(paymentId), { token: stranger.token }), 403, 'FORBIDDEN', recoveryPath(paymentId));
      expectProblem(await t.api.get(recoveryPath(UNKNOWN_PAYMENT), { token: t.admin.token }), 404, 'NOT_FOUND');
      expectValidation(await t.api.get(recoveryPath('abc'), { token: buyer.token }), recoveryPath('abc'), 'paymentId');
      await handedOver(paymentId);
    });

    it('an ADMIN’s retry puts it back (AUTOMATIC, attempts 0, due at once): the job asks again and settles once the gateway knows; then retry is 409', async function () {
      const { orderId, paymentId } = await pendingPayment();
      await handedOver(paymentId);

      expectProblem(await retry(paymentId, buyer), 403, 'FORBIDDEN', retryPath(paymentId));
      expectProblem(await retry(UNKNOWN_PAYMENT), 404, 'NOT_FOUND', retryPath(UNKNOWN_PAYMENT));
      expectValidation(await retry('abc'), retryPath('abc'), 'paymentId');
      expectValidation(await t.api.post(retryPath(paymentId), { force: true }, { token: t.admin.token }), retryPath(paymentId), 'force');
      expect((await recoveryOf(paymentId)).state).to.equal('OPERATOR_REQUIRED');

      const key = freshIdempotencyKey('payment-retry');
      const retried = expectRecovery(await retry(paymentId, t.admin, { 'Idempotency-Key': key }));
      expect(retried).to.deep.include({ paymentId, state: 'AUTOMATIC', attempts: 0, nextAttemptAt: clock.now().toISOString() });
      const replay = await retry(paymentId, t.admin, { 'Idempotency-Key': key });
      expect(replay.headers.get('idempotent-replayed')).to.equal('true');
      expect(replay.body).to.deep.equal(retried);
      expect(await listedIds('?state=OPERATOR_REQUIRED&size=100')).not.to.include(paymentId);
      expect(await listedIds('?state=AUTOMATIC&size=100')).to.include(paymentId);

      // Due at once: asked on the next run, without the clock moving.
      const asked = await eventually(() => recoveryOf(paymentId), (r) => r.attempts >= 1, 5_000, 50);
      expect(asked).to.deep.include({ state: 'AUTOMATIC', attempts: 1 });

      gateway.answers.set(paymentId, 'APPROVED');
      clock.advance(1 * S);
      const order = await eventually(() => o.getOk(buyer, orderId), (current) => current.status !== 'PENDING', 5_000, 50);
      expect(order.status).to.equal('CONFIRMED');
      expect(order.payment).to.include({ id: paymentId, status: 'COMPLETED' });
      expect(await recoveryOf(paymentId)).to.deep.include({ state: null, attempts: 1, waitingSince: null, nextAttemptAt: null });
      expect(await listedIds('?size=100')).not.to.include(paymentId);
      expectProblem(await retry(paymentId), 409, 'INVALID_STATE', retryPath(paymentId));
    });

    it('an ADMIN’s confirm still asks the gateway about a handed-over payment: unchanged while it cannot tell, settled (balance back) once it can', async function () {
      const { orderId, paymentId } = await pendingPayment();
      await handedOver(paymentId);
      const balance = await o.balanceOf(buyer);
      const awaiting = metricOf(await metrics(), 'payments_awaiting_operator');

      const unknown = expectPaymentAnswer(await o.confirm(t.admin, { paymentId }), 200);
      expect(unknown.status).to.equal('GATEWAY_REQUESTED');
      expect(await recoveryOf(paymentId)).to.deep.include({ state: 'OPERATOR_REQUIRED', attempts: 3 });

      gateway.answers.set(paymentId, 'NOT_APPROVED');
      const settled = expectPaymentAnswer(await o.confirm(t.admin, { paymentId }), 200);

      expect(settled.status).to.equal('FAILED');
      expect((await o.getOk(buyer, orderId)).status).to.equal('FAILED');
      expect(await o.balanceOf(buyer)).to.equal(balance + 5_000);
      expect(await listedIds('?size=100')).not.to.include(paymentId);
      const recounted = await eventually(
        async () => metricOf(await metrics(), 'payments_awaiting_operator'),
        (n) => n === awaiting - 1,
        5_000,
        50,
      );
      expect(recounted).to.equal(awaiting - 1);
    });
  });
}
