import { Router } from 'express';
import Joi from 'joi';
import type { ChargeWallet } from '../../../application/wallet/charge-wallet.js';
import type { GetBalance, GetBalanceHistory } from '../../../application/wallet/get-balance.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked, resolveUserId } from '../locals.js';
import { balanceView, ledgerEntryView, pageView } from '../presenters.js';
import { routeDefiner } from '../route.js';
import { paging, positiveId, requestIdField, userIdOrMe } from '../validation.js';

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
  userId: Joi.alternatives(Joi.string().valid('me'), positiveId),
  // The type, a whole number of won, is the shape (400); the range and the unit are the wallet's rule (422).
  amount: Joi.number().integer().required(),
  requestId: requestIdField,
});
const userParams = Joi.object<{ userId: number | 'me' }>({ userId: userIdOrMe.required() });
const pageQuery = Joi.object<PageRequest>(paging);

export function balanceRoutes(useCases: BalanceUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route(
    'post',
    '/balances/charge',
    { body: chargeBody },
    idempotentHandler(useCases.runIdempotently, async (_req, res) => {
      const { body } = checked<ChargeBody>(res);
      const wallet = await useCases.chargeWallet.execute(actorOf(res), {
        userId: resolveUserId(res, body.userId),
        amount: body.amount,
      });
      return { status: 200, body: balanceView(wallet) };
    }),
  );

  route('get', '/balances/:userId', { params: userParams }, async (_req, res) => {
    const { params } = checked<unknown, unknown, { userId: number | 'me' }>(res);
    const wallet = await useCases.getBalance.execute(actorOf(res), resolveUserId(res, params.userId));
    res.json(balanceView(wallet));
  });

  route('get', '/balances/:userId/history', { params: userParams, query: pageQuery }, async (_req, res) => {
    const { params, query } = checked<unknown, PageRequest, { userId: number | 'me' }>(res);
    const page = await useCases.getBalanceHistory.execute(actorOf(res), resolveUserId(res, params.userId), query);
    res.json(pageView(page, ledgerEntryView));
  });

  return router;
}
