import { Router } from 'express';
import Joi from 'joi';
import type { PreparedAccount } from '../../../application/auth/register-account.js';
import type { SignUp, SignUpInput } from '../../../application/auth/sign-up.js';
import type { LogIn, LogInInput } from '../../../application/auth/log-in.js';
import type { CreateAccount, CreateAccountInput } from '../../../application/users/create-account.js';
import type { GetUser } from '../../../application/users/get-user.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { MIN_PASSWORD_LENGTH, ROLES } from '../../../domain/user/user.js';
import { clientAddressOf } from '../client-address.js';
import { idempotentHandler } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { userView } from '../presenters.js';
import { routeDefiner } from '../route.js';
import { requestIdField, text } from '../validation.js';

export interface AccountUseCases {
  signUp: SignUp;
  logIn: LogIn;
  getUser: GetUser;
  createAccount: CreateAccount;
  runIdempotently: RunIdempotently;
}

const email = Joi.string().email({ tlds: false }).max(254).required();
const password = Joi.string().min(MIN_PASSWORD_LENGTH).max(200).required();
const name = text(100).required();

const signUpBody = Joi.object<SignUpInput & { requestId?: string }>({ email, password, name, requestId: requestIdField });
const logInBody = Joi.object<LogInInput>({
  email: Joi.string().max(254).required(),
  password: Joi.string().max(200).required(),
});
const createAccountBody = Joi.object<CreateAccountInput & { requestId?: string }>({
  email,
  password,
  name,
  role: Joi.string()
    .valid(...ROLES)
    .required(),
  businessNumber: Joi.string()
    .pattern(/^\d{3}-\d{2}-\d{5}$/)
    .message('businessNumber must look like NNN-NN-NNNNN')
    .when('role', { is: 'SELLER', then: Joi.required() }),
  adminCode: text(50).when('role', { is: 'ADMIN', then: Joi.required() }),
  introduction: Joi.string().max(2000).allow(''),
  requestId: requestIdField,
});

export function accountRoutes(useCases: AccountUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route(
    'post',
    '/auth/signup',
    { auth: false, body: signUpBody },
    idempotentHandler<PreparedAccount>(
      useCases.runIdempotently,
      async (_req, _res, account) => ({ status: 201, body: userView(await useCases.signUp.complete(account)) }),
      {
        admit: (_res, req) => useCases.signUp.admit(clientAddressOf(req)),
        // The hash runs before the key's transaction opens: no connection waits on the CPU.
        prepare: async (_req, res) => {
          const { requestId: _key, ...input } = checked<SignUpInput & { requestId?: string }>(res).body;
          return useCases.signUp.prepare(input);
        },
      },
    ),
  );

  route('post', '/auth/login', { auth: false, body: logInBody }, async (req, res) => {
    const token = await useCases.logIn.execute(checked<LogInInput>(res).body, clientAddressOf(req));
    res.json({ accessToken: token.accessToken, tokenType: 'Bearer', expiresIn: token.expiresInSeconds });
  });

  route('get', '/users/me', {}, async (_req, res) => {
    const actor = actorOf(res);
    res.json(userView(await useCases.getUser.execute(actor, actor.userId)));
  });

  route(
    'post',
    '/users',
    { body: createAccountBody },
    idempotentHandler<PreparedAccount>(
      useCases.runIdempotently,
      async (_req, _res, account) => ({ status: 201, body: userView(await useCases.createAccount.complete(account)) }),
      {
        prepare: async (_req, res) => {
          const { requestId: _key, ...input } = checked<CreateAccountInput & { requestId?: string }>(res).body;
          return useCases.createAccount.prepare(actorOf(res), input);
        },
      },
    ),
  );

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const ACCOUNT_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
