import { BALANCE_OPERATIONS, balanceRoutes } from '../../adapters/http/routes/balances.js';
import { DomainEventOutbox } from '../../application/outbox/domain-event-outbox.js';
import { ChargeWallet } from '../../application/wallet/charge-wallet.js';
import { GetBalance } from '../../application/wallet/get-balance.js';
import { GetBalanceHistory } from '../../application/wallet/get-balance-history.js';
import { SHARED } from '../tokens.js';
import { bindings, classTokens, contextModule, useCasesOf } from './module.js';

/** The wallet context: charging a balance and reading it with its ledger. */
const T = classTokens({ ChargeWallet, GetBalance, GetBalanceHistory });

export const wallet = contextModule('wallet', T, {
  container: bindings((bind) => {
    bind(T.chargeWallet, (get) =>
      new ChargeWallet(get(SHARED.wallets), get(SHARED.transactions), get(SHARED.config).wallet, get(SHARED.clock), new DomainEventOutbox(get(SHARED.outbox))),
    );
    bind(T.getBalance, (get) => new GetBalance(get(SHARED.wallets)));
    bind(T.getBalanceHistory, (get) => new GetBalanceHistory(get(SHARED.wallets)));
  }),
  operations: Object.values(BALANCE_OPERATIONS),
  routes: (get) => [balanceRoutes(useCasesOf(get, T), get(SHARED.authenticate))],
  jobs: () => [],
  rateLimits: () => ({}),
});
