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
import { operation } from '../operation.js';
import { notFound, PASSWORD_HASHING_UNAVAILABLE } from '../problem-cases.js';
import { routeDefiner } from '../route.js';
import { requestIdField, text, trimmedString } from '../validation.js';

export interface AccountUseCases {
  signUp: SignUp;
  logIn: LogIn;
  getUser: GetUser;
  createAccount: CreateAccount;
  runIdempotently: RunIdempotently;
}

const PASSWORD_FORMAT = { openapi: { format: 'password' } };

const email = trimmedString()
  .email({ tlds: false })
  .max(254)
  .required()
  .description(
    'Unique, compared case-insensitively (kept in the case given). Internationalised addresses such as `ü@example.com` are accepted.',
  );
const password = Joi.string().min(MIN_PASSWORD_LENGTH).max(200).required().meta(PASSWORD_FORMAT);
const name = text(100).required().description('Must not be blank; surrounding white space is trimmed.');

/** The fields that go with one role: required with it, refused with any other (400), on creation and on a change of role. */
export const ROLE_FIELDS = {
  businessNumber: Joi.string()
    .pattern(/^\d{3}-\d{2}-\d{5}$/)
    .message('businessNumber must look like NNN-NN-NNNNN')
    .when('role', { is: 'SELLER', then: Joi.required(), otherwise: Joi.forbidden() })
    .description('Business registration number, NNN-NN-NNNNN.')
    .example('123-45-67890'),
  adminCode: text(50)
    .when('role', { is: 'ADMIN', then: Joi.required(), otherwise: Joi.forbidden() })
    .description('Must not be blank; surrounding white space is trimmed.'),
};

const signUpBody = Joi.object<SignUpInput & { requestId?: string }>({
  email: email.example('buyer@example.com'),
  password: password.example('correct horse'),
  name: name.example('Kim Minji'),
  requestId: requestIdField,
});
const logInBody = Joi.object<LogInInput>({
  email: trimmedString().min(1).max(254).required().description('Matched case-insensitively.').example('buyer@example.com'),
  password: Joi.string().min(1).max(200).required().meta(PASSWORD_FORMAT).example('correct horse'),
});
// Each role's own fields go with that role only: one sent with another role would be dropped
// by the domain without a word, so it is refused (400) naming the field.
const createAccountBody = Joi.object<CreateAccountInput & { requestId?: string }>({
  email: email.example('seller@example.com'),
  password: password.example('correct horse'),
  name: name.example('Gangnam Shoes'),
  role: Joi.string()
    .valid(...ROLES)
    .required()
    .description('BUYER signs up alone; only an ADMIN creates SELLER and ADMIN accounts.')
    .example('SELLER'),
  ...ROLE_FIELDS,
  introduction: Joi.string()
    .max(2000)
    .allow('')
    .when('role', { is: 'BUYER', then: Joi.forbidden() })
    .description('For a SELLER or an ADMIN; a BUYER keeps none.'),
  requestId: requestIdField,
}).description(
  '`businessNumber` goes with `role` SELLER and `adminCode` with `role` ADMIN: required with that role, refused with any other (400 VALIDATION_FAILED naming the field); `introduction` is refused with `role` BUYER.',
);

export const ACCOUNT_OPERATIONS = {
  signUp: operation({
    method: 'post',
    path: '/auth/signup',
    operationId: 'signUp',
    tag: 'Auth',
    summary: 'Sign up as a BUYER',
    description:
      'Public. Creates a BUYER account (and its empty wallet). Idempotent with `Idempotency-Key` (or `requestId`): anonymous callers all share one key scope, and the fingerprint covers the whole body, password included, ' +
      'so only the identical request replays the first answer (201 with `Idempotent-Replayed: true`); the same key with any other body is 422 IDEMPOTENCY_KEY_REUSED, and 409 IDEMPOTENCY_IN_PROGRESS while the first still runs. ' +
      'Without a key, a repeat answers 409 EMAIL_TAKEN. ' +
      'At most `RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP` (default 10; 0 switches it off) sign-ups a minute per client address, across all instances: more is 429 RATE_LIMITED with `Retry-After`; a replay is answered from the first answer and neither limited nor counted. ' +
      "The client address is the connection's; `X-Forwarded-For` counts only from the proxies `TRUST_PROXY` names.",
    auth: 'public',
    body: signUpBody,
    bodyName: 'SignUpRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The new user (role BUYER)', schema: 'User' }],
    errors: [
      { code: 'EMAIL_TAKEN', when: 'the e-mail is already registered (case-insensitively).', detail: 'The e-mail buyer@example.com is already registered' },
      {
        code: 'RATE_LIMITED',
        when: 'over `RATE_LIMIT_SIGNUPS_PER_MINUTE_PER_IP` sign-ups a minute from this client address.',
        detail: 'Too many sign-ups from this address; wait a moment',
        example: 'RATE_LIMITED (sign-ups)',
      },
      ...PASSWORD_HASHING_UNAVAILABLE,
    ],
  }),
  logIn: operation({
    method: 'post',
    path: '/auth/login',
    operationId: 'logIn',
    tag: 'Auth',
    summary: 'Log in and get a Bearer token',
    description:
      "Public. The e-mail is matched case-insensitively. Failed logins count per client address, never per account alone, so nobody can lock an account's owner out: " +
      "after `FAILURE_BLOCK_THRESHOLD` (default 5) consecutive failed logins to an account from one client address, that address's logins to that account are blocked for `FAILURE_BLOCK_SECONDS` (default 600), a success from it resetting the count; " +
      'after `LOGIN_FAILURES_PER_ADDRESS` (default 20) failed logins from one client address on any accounts, every login from that address is blocked for `FAILURE_BLOCK_SECONDS`, and no success resets that count or lifts that block (429 TOO_MANY_FAILURES with `Retry-After`). A count is forgotten `FAILURE_BLOCK_SECONDS` after its last failure. ' +
      'At most `RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP` (default 30; 0 switches it off) attempts a minute per client address, across all instances: more is 429 RATE_LIMITED with `Retry-After`. ' +
      "The client address is the connection's; `X-Forwarded-For` counts only from the proxies `TRUST_PROXY` names. A SUSPENDED account is 403 FORBIDDEN, told only to whoever gives its right password.",
    auth: 'public',
    body: logInBody,
    bodyName: 'LoginRequest',
    responses: [{ status: 200, description: 'An access token', schema: 'Token' }],
    errors: [
      { code: 'UNAUTHENTICATED', when: 'wrong e-mail or password.', detail: 'Wrong e-mail or password' },
      { code: 'FORBIDDEN', when: 'the right password, but an ADMIN suspended the account.', detail: 'This account is suspended' },
      {
        code: 'TOO_MANY_FAILURES',
        when: 'this client address is blocked after repeated failed logins to this account.',
        detail: 'Too many failed logins for this account from this address; try again later',
        example: 'TOO_MANY_FAILURES (this account)',
      },
      {
        code: 'TOO_MANY_FAILURES',
        when: 'this client address is blocked after repeated failed logins to any accounts.',
        detail: 'Too many failed logins from this address; try again later',
        example: 'TOO_MANY_FAILURES (any account)',
      },
      {
        code: 'RATE_LIMITED',
        when: 'over `RATE_LIMIT_LOGINS_PER_MINUTE_PER_IP` attempts a minute from this client address.',
        detail: 'Too many logins from this address; wait a moment',
      },
      ...PASSWORD_HASHING_UNAVAILABLE,
    ],
  }),
  getMe: operation({
    method: 'get',
    path: '/users/me',
    operationId: 'getMe',
    tag: 'Users',
    summary: 'The authenticated user',
    description: 'The user the Bearer token belongs to, as they are now.',
    responses: [{ status: 200, description: 'The caller', schema: 'User' }],
    errors: [notFound('User')],
  }),
  createUser: operation({
    method: 'post',
    path: '/users',
    operationId: 'createUser',
    tag: 'Users',
    summary: 'Create a user of any role (ADMIN only)',
    description: 'ADMIN only: the way SELLER and ADMIN accounts are opened. Idempotent with `Idempotency-Key` (or `requestId`).',
    body: createAccountBody,
    bodyName: 'CreateUserRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The new user', schema: 'User' }],
    errors: [
      { code: 'FORBIDDEN', when: 'the caller is not an ADMIN.', detail: 'This requires the role ADMIN' },
      { code: 'EMAIL_TAKEN', when: 'the e-mail is already registered (case-insensitively).', detail: 'The e-mail seller@example.com is already registered' },
      ...PASSWORD_HASHING_UNAVAILABLE,
    ],
  }),
};

export function accountRoutes(useCases: AccountUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);

  route(
    ACCOUNT_OPERATIONS.signUp,
    idempotentHandler<PreparedAccount, string>(
      useCases.runIdempotently,
      async (_req, _res, account) => ({ status: 201, body: userView(await useCases.signUp.complete(account)) }),
      useCases.signUp,
      {
        // Sign-ups are counted per client address: there is no user yet.
        who: (req) => clientAddressOf(req),
        // The hash runs before the key's transaction opens: no connection waits on the CPU.
        prepare: async (_req, res) => {
          const { requestId: _key, ...input } = checked<SignUpInput & { requestId?: string }>(res).body;
          return useCases.signUp.prepare(input);
        },
      },
    ),
  );

  route(ACCOUNT_OPERATIONS.logIn, async (req, res) => {
    const token = await useCases.logIn.execute(checked<LogInInput>(res).body, clientAddressOf(req));
    res.json({ accessToken: token.accessToken, tokenType: 'Bearer', expiresIn: token.expiresInSeconds });
  });

  route(ACCOUNT_OPERATIONS.getMe, async (_req, res) => {
    const actor = actorOf(res);
    res.json(userView(await useCases.getUser.execute(actor, actor.userId)));
  });

  route(
    ACCOUNT_OPERATIONS.createUser,
    idempotentHandler<PreparedAccount>(
      useCases.runIdempotently,
      async (_req, _res, account) => ({ status: 201, body: userView(await useCases.createAccount.complete(account)) }),
      undefined,
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
