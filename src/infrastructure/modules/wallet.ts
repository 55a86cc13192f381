import { type BalanceUseCases, BALANCE_OPERATIONS, balanceRoutes } from '../../adapters/http/routes/balances.js';
import { DomainEventOutbox } from '../../application/outbox/domain-event-outbox.js';
import { ChargeWallet } from '../../application/wallet/charge-wallet.js';
import { GetBalance } from '../../application/wallet/get-balance.js';
import { GetBalanceHistory } from '../../application/wallet/get-balance-history.js';
import { SHARED, token } from '../tokens.js';
import { bindings, contextModule, resolveAll } from './module.js';

/** The wallet context: charging a balance and reading it with its ledger. */
const T = {
  chargeWallet: token<ChargeWallet>('ChargeWallet'),
  getBalance: token<GetBalance>('GetBalance'),
  getBalanceHistory: token<GetBalanceHistory>('GetBalanceHistory'),
} as const;

export const wallet = contextModule({
  name: 'wallet',
  tokens: T,
  container: bindings((bind) => {
    bind(T.chargeWallet, (get) =>
      new ChargeWallet(get(SHARED.wallets), get(SHARED.transactions), get(SHARED.config).wallet, get(SHARED.clock), new DomainEventOutbox(get(SHARED.outbox))),
    );
    bind(T.getBalance, (get) => new GetBalance(get(SHARED.wallets)));
    bind(T.getBalanceHistory, (get) => new GetBalanceHistory(get(SHARED.wallets)));
  }),
  operations: Object.values(BALANCE_OPERATIONS),
  routes: (get) => [
    balanceRoutes(
      resolveAll<BalanceUseCases>(get, {
        chargeWallet: T.chargeWallet,
        getBalance: T.getBalance,
        getBalanceHistory: T.getBalanceHistory,
        runIdempotently: SHARED.runIdempotently,
      }),
      get(SHARED.authenticate),
    ),
  ],
  jobs: () => [],
  rateLimits: () => ({}),
});
