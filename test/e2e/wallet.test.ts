import { expect } from 'chai';
import { type Account, type ApiResponse, startTestService, type TestService } from '../support/service.js';
import { expectIsoTime, expectProblem, expectValidation } from './problem.js';

const CHARGE = '/api/v1/balances/charge';
const UNKNOWN_USER = 999_999_999;

// The same contract over both persistence adapters: PostgreSQL (this run's database) and the
// in-memory adapters (no database at all).
for (const persistence of ['postgres', 'memory'] as const) {
  describe(`e2e: wallet (${persistence})`, function () {
    let t: TestService;

    before(async function () {
      t = await startTestService({ persistence });
    });
    after(async function () {
      await t?.stop();
    });

    const charge = (who: Account, body: unknown, headers?: Record<string, string>) =>
      t.api.post(CHARGE, body, { token: who.token, ...(headers ? { headers } : {}) });
    const balanceOf = async (who: Account, userId: number | 'me' = 'me') => {
      const res = await t.api.get(`/api/v1/balances/${userId}`, { token: who.token });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body.balance as number;
    };
    const historyOf = async (who: Account, query = '') => {
      const res = await t.api.get(`/api/v1/balances/me/history${query}`, { token: who.token });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      return res.body;
    };

    function expectBalance(res: ApiResponse, userId: number, balance: number): void {
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.headers.get('content-type')).to.match(/^application\/json/);
      expect(Object.keys(res.body)).to.have.members(['userId', 'balance', 'updatedAt']);
      expect(res.body.userId).to.equal(userId);
      expect(res.body.balance).to.equal(balance);
      expectIsoTime(res.body.updatedAt);
    }

    describe('POST /api/v1/balances/charge', function () {
      it('charges the caller: 200 {userId, balance, updatedAt}', async function () {
        const buyer = await t.newBuyer();
        expectBalance(await charge(buyer, { amount: 10_000 }), buyer.id, 10_000);
      });

      it('treats userId "me" and an omitted userId both as the caller', async function () {
        const buyer = await t.newBuyer();
        expectBalance(await charge(buyer, { userId: 'me', amount: 1_000 }), buyer.id, 1_000);
        expectBalance(await charge(buyer, { amount: 2_000 }), buyer.id, 3_000);
        expectBalance(await charge(buyer, { userId: buyer.id, amount: 3_000 }), buyer.id, 6_000);
      });

      it('accepts the bounds 1,000 and 100,000', async function () {
        const buyer = await t.newBuyer();
        expectBalance(await charge(buyer, { amount: 1_000 }), buyer.id, 1_000);
        expectBalance(await charge(buyer, { amount: 100_000 }), buyer.id, 101_000);
      });

      for (const amount of [999, 100_001, 1_005, 0, -1_000]) {
        it(`answers 422 INVALID_CHARGE_AMOUNT for ${amount} and leaves the balance alone`, async function () {
          const buyer = await t.newBuyer();
          expectProblem(await charge(buyer, { amount }), 422, 'INVALID_CHARGE_AMOUNT', CHARGE);
          expect(await balanceOf(buyer)).to.equal(0);
          expect((await historyOf(buyer)).totalItems).to.equal(0);
        });
      }

      it('answers 400 VALIDATION_FAILED naming amount when it is the string "1000"', async function () {
        const buyer = await t.newBuyer();
        expectValidation(await charge(buyer, { amount: '1000' }), CHARGE, 'amount');
        expect(await balanceOf(buyer)).to.equal(0);
      });

      it('answers 400 naming amount when it is missing, and naming an unknown field', async function () {
        const buyer = await t.newBuyer();
        expectValidation(await charge(buyer, {}), CHARGE, 'amount');
        expectValidation(await charge(buyer, { amount: 1_000, currency: 'KRW' }), CHARGE, 'currency');
      });

      for (const userId of ['abc', 0, -1, '7']) {
        it(`answers 400 naming userId for the body userId ${JSON.stringify(userId)}`, async function () {
          const buyer = await t.newBuyer();
          expectValidation(await charge(buyer, { userId, amount: 1_000 }), CHARGE, 'userId');
        });
      }

      it('answers 422 BALANCE_LIMIT_EXCEEDED at the real 10,000,000 cap (reached by 99 charges of 100,000 first); the cap itself is allowed', async function () {
        this.timeout(60_000);
        const buyer = await t.newBuyer();
        let chain: Promise<unknown> = Promise.resolve();
        for (let i = 0; i < 99; i++) {
          chain = chain.then(async () => {
            const res = await charge(buyer, { amount: 100_000 });
            if (res.status !== 200) throw new Error(`charge ${i + 1} answered ${res.status} ${JSON.stringify(res.body)}`);
          });
        }
        await chain;
        expect(await balanceOf(buyer)).to.equal(9_900_000);

        expectProblem(await charge(buyer, { amount: 100_010 }), 422, 'INVALID_CHARGE_AMOUNT', CHARGE);
        expectBalance(await charge(buyer, { amount: 50_000 }), buyer.id, 9_950_000);
        expectProblem(await charge(buyer, { amount: 60_000 }), 422, 'BALANCE_LIMIT_EXCEEDED', CHARGE);
        expectBalance(await charge(buyer, { amount: 50_000 }), buyer.id, 10_000_000);
        expectProblem(await charge(buyer, { amount: 1_000 }), 422, 'BALANCE_LIMIT_EXCEEDED', CHARGE);

        expect(await balanceOf(buyer)).to.equal(10_000_000);
        expect((await historyOf(buyer, '?size=1')).totalItems).to.equal(101);
      });

      it('lets an ADMIN charge a buyer\'s wallet, recorded in the buyer\'s history', async function () {
        const buyer = await t.newBuyer();
        expectBalance(await charge(t.admin, { userId: buyer.id, amount: 20_000 }), buyer.id, 20_000);
        expect(await balanceOf(buyer)).to.equal(20_000);
        const history = await historyOf(buyer);
        expect(history.items.map((e: { amount: number }) => e.amount)).to.deep.equal([20_000]);
      });

      it('answers 404 NOT_FOUND to an ADMIN charging a user that does not exist', async function () {
        expectProblem(await charge(t.admin, { userId: UNKNOWN_USER, amount: 1_000 }), 404, 'NOT_FOUND', CHARGE);
      });

      // API.md's order of checks: existence (404) before business rules (422).
      it('checks existence before business rules: an ADMIN charging an invalid amount to a user that does not exist gets 404', async function () {
        expectProblem(await charge(t.admin, { userId: UNKNOWN_USER, amount: 999 }), 404, 'NOT_FOUND', CHARGE);
      });
    });

    describe('GET /api/v1/balances/{userId}', function () {
      it('answers the caller\'s balance both as /balances/me and /balances/{ownId}', async function () {
        const buyer = await t.newBuyer();
        await charge(buyer, { amount: 4_000 });
        const viaMe = await t.api.get('/api/v1/balances/me', { token: buyer.token });
        const viaId = await t.api.get(`/api/v1/balances/${buyer.id}`, { token: buyer.token });
        expectBalance(viaMe, buyer.id, 4_000);
        expectBalance(viaId, buyer.id, 4_000);
        expect(viaId.body).to.deep.equal(viaMe.body);
      });

      it('starts a new account at 0', async function () {
        const buyer = await t.newBuyer();
        expectBalance(await t.api.get('/api/v1/balances/me', { token: buyer.token }), buyer.id, 0);
      });

      it('lets an ADMIN read any buyer\'s balance', async function () {
        const buyer = await t.newBuyer();
        await charge(buyer, { amount: 5_000 });
        expectBalance(await t.api.get(`/api/v1/balances/${buyer.id}`, { token: t.admin.token }), buyer.id, 5_000);
      });

      it('answers 404 NOT_FOUND to an ADMIN reading a user that does not exist (balance and history)', async function () {
        const path = `/api/v1/balances/${UNKNOWN_USER}`;
        expectProblem(await t.api.get(path, { token: t.admin.token }), 404, 'NOT_FOUND', path);
        expectProblem(await t.api.get(`${path}/history`, { token: t.admin.token }), 404, 'NOT_FOUND', `${path}/history`);
      });

      for (const bad of ['abc', '0', '-5', '1.5']) {
        it(`answers 400 VALIDATION_FAILED naming userId for the path id "${bad}" (balance and history)`, async function () {
          const buyer = await t.newBuyer();
          const path = `/api/v1/balances/${bad}`;
          expectValidation(await t.api.get(path, { token: buyer.token }), path, 'userId');
          expectValidation(await t.api.get(`${path}/history`, { token: buyer.token }), `${path}/history`, 'userId');
        });
      }
    });

    describe('a BUYER and someone else\'s wallet: 403 whether that user exists or not', function () {
      let buyer: Account;
      let other: Account;
      before(async function () {
        buyer = await t.newBuyer();
        other = await t.newBuyer();
        await charge(other, { amount: 7_000 });
      });

      for (const target of ['existing', 'unknown'] as const) {
        const id = () => (target === 'existing' ? other.id : UNKNOWN_USER);

        it(`reading the balance of an ${target} user is 403 FORBIDDEN`, async function () {
          const path = `/api/v1/balances/${id()}`;
          expectProblem(await t.api.get(path, { token: buyer.token }), 403, 'FORBIDDEN', path);
        });

        it(`reading the history of an ${target} user is 403 FORBIDDEN`, async function () {
          const path = `/api/v1/balances/${id()}/history`;
          expectProblem(await t.api.get(path, { token: buyer.token }), 403, 'FORBIDDEN', path);
        });

        it(`charging the wallet of an ${target} user is 403 FORBIDDEN`, async function () {
          expectProblem(await charge(buyer, { userId: id(), amount: 1_000 }), 403, 'FORBIDDEN', CHARGE);
        });

        it(`charging an invalid amount to an ${target} user is still 403 (permission before business rules)`, async function () {
          expectProblem(await charge(buyer, { userId: id(), amount: 999 }), 403, 'FORBIDDEN', CHARGE);
        });
      }

      it('a malformed body naming someone else is 400 (shape before permission)', async function () {
        expectValidation(await charge(buyer, { userId: other.id, amount: 'lots' }), CHARGE, 'amount');
      });

      it('a SELLER reading a buyer\'s balance is 403 as well', async function () {
        const seller = await t.newAccount('SELLER');
        const path = `/api/v1/balances/${other.id}`;
        expectProblem(await t.api.get(path, { token: seller.token }), 403, 'FORBIDDEN', path);
      });

      it('left the other wallet untouched', async function () {
        expect(await balanceOf(other)).to.equal(7_000);
        expect(await balanceOf(buyer)).to.equal(0);
      });
    });

    describe('GET /api/v1/balances/{userId}/history', function () {
      let buyer: Account;
      before(async function () {
        buyer = await t.newBuyer();
        for (const amount of [1_000, 2_000, 3_000]) {
          expect((await charge(buyer, { amount })).status).to.equal(200);
        }
      });

      it('lists the 3 charges newest first as {id, type: "CHARGE", amount, balanceAfter, orderId: null, createdAt}', async function () {
        const page = await historyOf(buyer);

        expect(Object.keys(page)).to.have.members(['items', 'page', 'size', 'totalItems', 'totalPages']);
        expect(page).to.include({ page: 1, size: 20, totalItems: 3, totalPages: 1 });
        expect(page.items).to.have.length(3);
        for (const entry of page.items) {
          expect(Object.keys(entry)).to.have.members(['id', 'type', 'amount', 'balanceAfter', 'orderId', 'createdAt']);
          expect(entry.type).to.equal('CHARGE');
          expect(entry.orderId).to.equal(null);
          expect(Number.isSafeInteger(entry.id) && entry.id > 0).to.equal(true);
          expectIsoTime(entry.createdAt);
        }
        expect(page.items.map((e: { amount: number }) => e.amount)).to.deep.equal([3_000, 2_000, 1_000]);
        expect(page.items.map((e: { balanceAfter: number }) => e.balanceAfter)).to.deep.equal([6_000, 3_000, 1_000]);
        const ids = page.items.map((e: { id: number }) => e.id);
        expect(ids).to.deep.equal([...ids].sort((a, b) => b - a));
      });

      it('is the same through /balances/{ownId}/history and for an ADMIN', async function () {
        const mine = await historyOf(buyer);
        const byId = await t.api.get(`/api/v1/balances/${buyer.id}/history`, { token: buyer.token });
        const byAdmin = await t.api.get(`/api/v1/balances/${buyer.id}/history`, { token: t.admin.token });
        expect(byId.body).to.deep.equal(mine);
        expect(byAdmin.status).to.equal(200);
        expect(byAdmin.body).to.deep.equal(mine);
      });

      it('pages: ?page=2&size=2 answers the oldest entry, totalItems 3, totalPages 2', async function () {
        const page = await historyOf(buyer, '?page=2&size=2');
        expect(page).to.include({ page: 2, size: 2, totalItems: 3, totalPages: 2 });
        expect(page.items).to.have.length(1);
        expect(page.items[0]).to.include({ type: 'CHARGE', amount: 1_000, balanceAfter: 1_000, orderId: null });
      });

      it('answers an empty page past the end', async function () {
        const page = await historyOf(buyer, '?page=3&size=2');
        expect(page).to.include({ page: 3, size: 2, totalItems: 3, totalPages: 2 });
        expect(page.items).to.deep.equal([]);
      });

      it('accepts size 1 and size 100', async function () {
        expect((await historyOf(buyer, '?size=1')).items).to.have.length(1);
        expect((await historyOf(buyer, '?size=100')).size).to.equal(100);
      });

      for (const [query, field] of [
        ['?size=0', 'size'],
        ['?size=101', 'size'],
        ['?page=0', 'page'],
        ['?page=-1', 'page'],
        ['?size=abc', 'size'],
      ] as const) {
        it(`answers 400 VALIDATION_FAILED naming ${field} for ${query}`, async function () {
          const res = await t.api.get(`/api/v1/balances/me/history${query}`, { token: buyer.token });
          expectValidation(res, '/api/v1/balances/me/history', field);
        });
      }
    });

    describe('Idempotency-Key on POST /api/v1/balances/charge', function () {
      let n = 0;
      const freshKey = () => `e2e-key-${process.pid}-${Date.now()}-${++n}`;

      it('replays the same key and body: identical answer with Idempotent-Replayed: true, charged once', async function () {
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshKey() };

        const first = await charge(buyer, { amount: 5_000 }, headers);
        const second = await charge(buyer, { amount: 5_000 }, headers);

        expectBalance(first, buyer.id, 5_000);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(200);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
        expect(await balanceOf(buyer)).to.equal(5_000);
        expect((await historyOf(buyer)).totalItems).to.equal(1);
      });

      it('treats the body as the same whatever the order of its fields', async function () {
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshKey() };
        expect((await charge(buyer, { userId: 'me', amount: 5_000 }, headers)).status).to.equal(200);
        const again = await t.api.request('POST', CHARGE, {
          token: buyer.token,
          rawBody: `{"amount":5000,"userId":"me"}`,
          headers: { ...headers, 'content-type': 'application/json' },
        });
        expect(again.status).to.equal(200);
        expect(again.headers.get('idempotent-replayed')).to.equal('true');
        expect(await balanceOf(buyer)).to.equal(5_000);
      });

      it('refuses the same key with a different body: 422 IDEMPOTENCY_KEY_REUSED, nothing charged', async function () {
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshKey() };
        expect((await charge(buyer, { amount: 5_000 }, headers)).status).to.equal(200);

        expectProblem(await charge(buyer, { amount: 6_000 }, headers), 422, 'IDEMPOTENCY_KEY_REUSED', CHARGE);
        expect(await balanceOf(buyer)).to.equal(5_000);
      });

      it('takes a body requestId as the key, like the header', async function () {
        const buyer = await t.newBuyer();
        const requestId = freshKey();

        const first = await charge(buyer, { amount: 3_000, requestId });
        const second = await charge(buyer, { amount: 3_000, requestId });
        const reused = await charge(buyer, { amount: 4_000, requestId });
        // The header and the body field are one key: the same body under the header replays too.
        const viaHeader = await charge(buyer, { amount: 3_000 }, { 'Idempotency-Key': requestId });

        expectBalance(first, buyer.id, 3_000);
        expect(first.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.status).to.equal(200);
        expect(second.headers.get('idempotent-replayed')).to.equal('true');
        expect(second.body).to.deep.equal(first.body);
        expectProblem(reused, 422, 'IDEMPOTENCY_KEY_REUSED', CHARGE);
        expect(viaHeader.status).to.equal(200);
        expect(viaHeader.headers.get('idempotent-replayed')).to.equal('true');
        expect(await balanceOf(buyer)).to.equal(3_000);
        expect((await historyOf(buyer)).totalItems).to.equal(1);
      });

      it('scopes keys per user: two users sending the same key are both charged', async function () {
        const a = await t.newBuyer();
        const b = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshKey() };

        const first = await charge(a, { amount: 8_000 }, headers);
        const second = await charge(b, { amount: 8_000 }, headers);

        expectBalance(first, a.id, 8_000);
        expectBalance(second, b.id, 8_000);
        expect(second.headers.get('idempotent-replayed')).to.equal(null);
        expect(await balanceOf(a)).to.equal(8_000);
        expect(await balanceOf(b)).to.equal(8_000);
      });

      it('does not record a failure: the exact same failing request answers the same 422 again, not a replayed success', async function () {
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshKey() };

        const first = await charge(buyer, { amount: 999 }, headers);
        const second = await charge(buyer, { amount: 999 }, headers);

        expectProblem(first, 422, 'INVALID_CHARGE_AMOUNT', CHARGE);
        expectProblem(second, 422, 'INVALID_CHARGE_AMOUNT', CHARGE);
        expect(second.headers.get('idempotent-replayed')).to.equal(null);
        expect(second.body).to.deep.equal(first.body);
        expect(await balanceOf(buyer)).to.equal(0);
      });

      it('answers 400 naming Idempotency-Key for a key longer than 255 characters; 255 is fine', async function () {
        const buyer = await t.newBuyer();
        expectValidation(await charge(buyer, { amount: 1_000 }, { 'Idempotency-Key': 'k'.repeat(256) }), CHARGE, 'Idempotency-Key');
        expect(await balanceOf(buyer)).to.equal(0);
        expectBalance(await charge(buyer, { amount: 1_000 }, { 'Idempotency-Key': `${freshKey()}-`.padEnd(255, 'k') }), buyer.id, 1_000);
      });

      it('answers 400 naming requestId for a body requestId longer than 255 characters', async function () {
        const buyer = await t.newBuyer();
        expectValidation(await charge(buyer, { amount: 1_000, requestId: 'r'.repeat(256) }), CHARGE, 'requestId');
        expect(await balanceOf(buyer)).to.equal(0);
      });

      it('10 concurrent identical requests with one key charge exactly once; each answer is 200 or 409 IDEMPOTENCY_IN_PROGRESS', async function () {
        const buyer = await t.newBuyer();
        const headers = { 'Idempotency-Key': freshKey() };

        const answers = await Promise.all(Array.from({ length: 10 }, () => charge(buyer, { amount: 7_000 }, headers)));

        const ok = answers.filter((r) => r.status === 200);
        const inProgress = answers.filter((r) => r.status !== 200);
        expect(ok.filter((r) => r.headers.get('idempotent-replayed') !== 'true'), 'answers that did the charge').to.have.length(1);
        for (const r of ok) expectBalance(r, buyer.id, 7_000);
        for (const r of ok) expect(r.body).to.deep.equal(ok[0]!.body);
        for (const r of inProgress) expectProblem(r, 409, 'IDEMPOTENCY_IN_PROGRESS', CHARGE);
        expect(await balanceOf(buyer)).to.equal(7_000);
        expect((await historyOf(buyer)).totalItems).to.equal(1);

        // Once the first has finished, a retry replays it.
        const later = await charge(buyer, { amount: 7_000 }, headers);
        expect(later.status).to.equal(200);
        expect(later.headers.get('idempotent-replayed')).to.equal('true');
        expect(later.body).to.deep.equal(ok[0]!.body);
      });
    });
  });
}
