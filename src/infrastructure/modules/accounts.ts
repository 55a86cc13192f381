import { ACCOUNT_OPERATIONS, accountRoutes } from '../../adapters/http/routes/accounts.js';
import { USER_OPERATIONS, userRoutes } from '../../adapters/http/routes/users.js';
import { LOGIN_RATE_LIMIT, LogIn } from '../../application/auth/log-in.js';
import { RegisterAccount } from '../../application/auth/register-account.js';
import { SIGNUP_RATE_LIMIT, SignUp } from '../../application/auth/sign-up.js';
import { ChangePassword } from '../../application/users/change-password.js';
import { ChangeUserAccess } from '../../application/users/change-user-access.js';
import { CreateAccount } from '../../application/users/create-account.js';
import { EnsureAdminAccount } from '../../application/users/ensure-admin-account.js';
import { GetUser } from '../../application/users/get-user.js';
import { SHARED } from '../tokens.js';
import { bindings, classTokens, contextModule, useCasesOf } from './module.js';

/** The user context: sign-up, log-in, accounts and their access. (Authenticate is shared: every route uses it.) */
const T = classTokens({ RegisterAccount, SignUp, LogIn, ChangePassword, ChangeUserAccess, GetUser, CreateAccount, EnsureAdminAccount });

export const accounts = contextModule('accounts', T, {
  container: bindings((bind) => {
    bind(T.registerAccount, (get) =>
      new RegisterAccount(get(SHARED.users), get(SHARED.wallets), get(SHARED.passwordHasher), get(SHARED.transactions), get(SHARED.clock)),
    );
    bind(T.signUp, (get) => new SignUp(get(T.registerAccount), get(SHARED.rateLimiter)));
    bind(T.logIn, (get) =>
      new LogIn(
        get(SHARED.users),
        get(SHARED.passwordHasher),
        get(SHARED.tokens),
        {
          rateLimiter: get(SHARED.rateLimiter),
          accountFailures: get(SHARED.failureLimiter),
          addressFailures: get(SHARED.addressFailureLimiter),
        },
        get(SHARED.decoyPasswordHash),
      ),
    );
    bind(T.changePassword, (get) =>
      new ChangePassword(
        get(SHARED.users),
        get(SHARED.passwordHasher),
        get(SHARED.tokens),
        get(SHARED.failureLimiter),
        get(SHARED.transactions),
        get(SHARED.accessStates),
      ),
    );
    bind(T.changeUserAccess, (get) => new ChangeUserAccess(get(SHARED.users), get(SHARED.transactions), get(SHARED.accessStates)));
    bind(T.getUser, (get) => new GetUser(get(SHARED.users)));
    bind(T.createAccount, (get) => new CreateAccount(get(T.registerAccount)));
    bind(T.ensureAdminAccount, (get) => new EnsureAdminAccount(get(SHARED.users), get(T.registerAccount)));
  }),
  operations: [...Object.values(ACCOUNT_OPERATIONS), ...Object.values(USER_OPERATIONS)],
  routes: (get) => {
    const useCases = useCasesOf(get, T);
    return [accountRoutes(useCases, get(SHARED.authenticate)), userRoutes(useCases, get(SHARED.authenticate))];
  },
  jobs: () => [],
  rateLimits: (config) => ({
    [SIGNUP_RATE_LIMIT]: { limit: config.rateLimitSignupsPerMinutePerAddress, windowMs: 60_000 },
    [LOGIN_RATE_LIMIT]: { limit: config.rateLimitLoginsPerMinutePerAddress, windowMs: 60_000 },
  }),
});
