import { Router } from 'express';
import Joi from 'joi';
import type { ChargeWallet } from '../../../application/wallet/charge-wallet.js';
import type { GetBalance } from '../../../application/wallet/get-balance.js';
import type { GetBalanceHistory } from '../../../application/wallet/get-balance-history.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked, resolveUserId } from '../locals.js';
import { balanceView, ledgerEntryView, pageView } from '../presenters.js';
import { operation } from '../operation.js';
import { NOT_YOURS, notFound } from '../problem-cases.js';
import { routeDefiner } from '../route.js';
import { paging, requestIdField, userIdOrMe } from '../validation.js';

export interface BalanceUseCases {
  chargeWallet: ChargeWallet;
  getBalance: GetBalance;
  getBalanceHistory: GetBalanceHistory;
  runIdempotently: RunIdempotently;
}

interface ChargeBody {
  userId?: number | 'me';
  amount: number;
  requestId?: string;
}

const chargeBody = Joi.object<ChargeBody>({
  userId: userIdOrMe.description('Whose wallet to charge: a user id or `me`. Defaults to the caller. Only the owner or an ADMIN may charge it.'),
  // The type, a whole number of won, is the shape (400); the range and the unit are the wallet's rule (422).
  amount: Joi.number()
    .integer()
    .required()
    .description(
      'Integer KRW (won). A non-integer (a fraction such as 1000.5, or beyond 2^53 − 1) is 400. Business rule, not shape: 1,000..100,000 and a multiple of 10 (else 422 INVALID_CHARGE_AMOUNT); the balance after the charge must not exceed 10,000,000 (else 422 BALANCE_LIMIT_EXCEEDED).',
    )
    .example(10000),
  requestId: requestIdField,
});
const userParams = Joi.object<{ userId: number | 'me' }>({ userId: userIdOrMe.required() });
const pageQuery = Joi.object<PageRequest>(paging);

export const BALANCE_OPERATIONS = {
  chargeBalance: operation({
    method: 'post',
    path: '/balances/charge',
    operationId: 'chargeBalance',
    tag: 'Balances',
    summary: 'Charge a wallet',
    description: 'The owner or an ADMIN adds money to a wallet; one CHARGE ledger entry is written.',
    body: chargeBody,
    bodyName: 'ChargeRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'The wallet after the charge', schema: 'Balance' }],
    errors: [
      NOT_YOURS,
      notFound('User'),
      { code: 'INVALID_CHARGE_AMOUNT', when: 'the amount is outside 1,000..100,000 or not a multiple of 10.', detail: 'A charge must be between 1000 and 100000 won' },
      {
        code: 'BALANCE_LIMIT_EXCEEDED',
        when: 'the balance after the charge would exceed 10,000,000.',
        detail: 'This charge would take the balance to 10005000 won, over the limit of 10000000',
      },
    ],
  }),
  getBalance: operation({
    method: 'get',
    path: '/balances/:userId',
    operationId: 'getBalance',
    tag: 'Balances',
    summary: "A user's balance",
    description: 'The owner or an ADMIN. A non-ADMIN naming another user is 403 whether or not that user exists.',
    params: userParams,
    responses: [{ status: 200, description: 'The wallet', schema: 'Balance' }],
    errors: [NOT_YOURS, notFound('User')],
  }),
  getBalanceHistory: operation({
    method: 'get',
    path: '/balances/:userId/history',
    operationId: 'getBalanceHistory',
    tag: 'Balances',
    summary: "A user's ledger, newest first",
    description: 'The owner or an ADMIN.',
    params: userParams,
    query: pageQuery,
    responses: [{ status: 200, description: 'A page of ledger entries, newest first', schema: 'LedgerEntryPage' }],
    errors: [NOT_YOURS, notFound('User')],
  }),
};

export function balanceRoutes(useCases: BalanceUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route(
    BALANCE_OPERATIONS.chargeBalance,
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { body } = checked<ChargeBody>(res);
      const wallet = await useCases.chargeWallet.execute(actorOf(res), {
        userId: resolveUserId(res, body.userId),
        amount: body.amount,
      });
      return { status: 200, body: balanceView(wallet) };
    }),
  );

  route(BALANCE_OPERATIONS.getBalance, async (_req, res) => {
    const { params } = checked<unknown, unknown, { userId: number | 'me' }>(res);
    const wallet = await useCases.getBalance.execute(actorOf(res), resolveUserId(res, params.userId));
    res.json(balanceView(wallet));
  });

  route(BALANCE_OPERATIONS.getBalanceHistory, async (_req, res) => {
    const { params, query } = checked<unknown, PageRequest, { userId: number | 'me' }>(res);
    const page = await useCases.getBalanceHistory.execute(actorOf(res), resolveUserId(res, params.userId), query);
    res.json(pageView(page, ledgerEntryView));
  });

  return router;
}
