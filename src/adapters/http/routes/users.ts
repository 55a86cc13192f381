import { Router } from 'express';
import Joi from 'joi';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { ChangePassword, ChangePasswordInput, PreparedPasswordChange } from '../../../application/users/change-password.js';
import type { ChangeUserAccess, UserAccessChange } from '../../../application/users/change-user-access.js';
import { MIN_PASSWORD_LENGTH, ROLES, USER_STATUSES } from '../../../domain/user/user.js';
import { idempotentVia } from '../idempotency.js';
import { actorOf, checked, resolveUserId } from '../locals.js';
import { userView } from '../presenters.js';
import { operation } from '../operation.js';
import { ROLE_FIELDS } from './accounts.js';
import { notFound, PASSWORD_HASHING_UNAVAILABLE } from '../problem-cases.js';
import { routeDefiner } from '../route.js';
import { requestIdField, userIdOrMe } from '../validation.js';

export interface UserUseCases {
  changePassword: ChangePassword;
  changeUserAccess: ChangeUserAccess;
  runIdempotently: RunIdempotently;
}

const PASSWORD_FORMAT = { openapi: { format: 'password' } };

const passwordBody = Joi.object<ChangePasswordInput & { requestId?: string }>({
  currentPassword: Joi.string()
    .min(1)
    .max(200)
    .required()
    .meta(PASSWORD_FORMAT)
    .description('The password the user has now; a wrong one is 422 WRONG_PASSWORD.')
    .example('correct horse'),
  newPassword: Joi.string()
    .min(MIN_PASSWORD_LENGTH)
    .max(200)
    .invalid(Joi.ref('currentPassword'))
    .messages({ 'any.invalid': '{{#label}} must differ from the current password' })
    .required()
    .meta(PASSWORD_FORMAT)
    .example('battery staple'),
  requestId: requestIdField,
});

const userParams = Joi.object<{ userId: number | 'me' }>({ userId: userIdOrMe.required() });
const accessBody = Joi.object<UserAccessChange>({
  role: Joi.string()
    .valid(...ROLES)
    .description('The new role, with its field (`businessNumber` for SELLER, `adminCode` for ADMIN).')
    .example('SELLER'),
  ...ROLE_FIELDS,
  status: Joi.string()
    .valid(...USER_STATUSES)
    .description('A SUSPENDED user cannot log in (403 FORBIDDEN with the right password) and every token they hold is 401.'),
})
  .or('role', 'status')
  .messages({ 'object.missing': 'give role, status or both' })
  .meta({ openapi: { minProperties: 1 } })
  .description(
    '`role`, `status` or both (neither is 400). `businessNumber` goes with `role` SELLER and `adminCode` with `role` ADMIN: required with that role, refused otherwise (400). ' +
      'A new role drops the fields of the old one (a BUYER keeps no introduction).',
  );

export const USER_OPERATIONS = {
  changeMyPassword: operation({
    method: 'put',
    path: '/users/me/password',
    operationId: 'changeMyPassword',
    tag: 'Users',
    summary: 'Change your own password',
    description:
      'The caller gives the current password and a new one. The new password ends every token the user holds (their token version moves on), on every instance; the answer carries a fresh token for the new version. ' +
      'A wrong current password is 422 WRONG_PASSWORD (not 401: the token is still good) and counts towards a block: after `FAILURE_BLOCK_THRESHOLD` (default 5) wrong ones in a row, password changes are refused for `FAILURE_BLOCK_SECONDS` (default 600; 429 TOO_MANY_FAILURES). ' +
      'The current password is checked and the new one hashed before any transaction opens; a change of the user meanwhile (another password change, a new role or status) is 409 INVALID_STATE. ' +
      'Idempotent with `Idempotency-Key` (or `requestId`): a replay answers the same token with `Idempotent-Replayed: true`, and must be sent with a token that still works (the fresh one). ' +
      "The passwords are left out of the key's fingerprint, so no fast hash of a password is stored: the same key with other passwords replays the first answer.",
    body: passwordBody,
    bodyName: 'ChangePasswordRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'A fresh token; every other token of the user is ended', schema: 'Token' }],
    errors: [
      { code: 'INVALID_STATE', when: 'the user changed meanwhile.', detail: 'User 7 was changed meanwhile; load it again' },
      { code: 'WRONG_PASSWORD', when: "`currentPassword` is not the user's.", detail: 'The current password is not right' },
      { code: 'TOO_MANY_FAILURES', when: 'blocked after repeated wrong current passwords.', detail: 'Too many wrong current passwords; try again later' },
      ...PASSWORD_HASHING_UNAVAILABLE,
    ],
  }),
  changeUserAccess: operation({
    method: 'patch',
    path: '/users/:userId',
    operationId: 'changeUserAccess',
    tag: 'Users',
    summary: "Change another user's role and/or status (ADMIN only)",
    description:
      'ADMIN only, and never on themselves (403, `me` included): the acting ADMIN always stays one. A new role needs its field (`businessNumber` for SELLER, `adminCode` for ADMIN); a SUSPENDED user cannot log in and their tokens stop working; ACTIVE lets them log in again. ' +
      "A real change (role, status) moves the user's token version on and so ends every token they hold, on every instance: a demoted ADMIN's old token can no longer act as ADMIN. Setting what the user already has changes nothing.",
    params: userParams,
    body: accessBody,
    bodyName: 'ChangeUserAccessRequest',
    responses: [{ status: 200, description: 'The user as changed', schema: 'User' }],
    errors: [
      { code: 'FORBIDDEN', when: 'the caller is not an ADMIN.', detail: 'This requires the role ADMIN', example: 'not an ADMIN' },
      {
        code: 'FORBIDDEN',
        when: 'the caller names themselves.',
        detail: 'An ADMIN cannot change their own role or status; another ADMIN can',
        example: 'themselves',
      },
      notFound('User'),
      { code: 'INVALID_STATE', when: 'the user changed meanwhile (try again).', detail: 'User 7 was changed meanwhile; load it again' },
    ],
  }),
};

/** A user's own password, and an ADMIN's say over other users' role and status. */
export function userRoutes(useCases: UserUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);
  const idempotent = idempotentVia(useCases.runIdempotently);

  route(
    USER_OPERATIONS.changeMyPassword,
    idempotent<PreparedPasswordChange>(
      async (_req, _res, prepared) => {
        const token = await useCases.changePassword.apply(prepared);
        return { status: 200, body: { accessToken: token.accessToken, tokenType: 'Bearer', expiresIn: token.expiresInSeconds } };
      },
      undefined,
      {
        // Checking the current password and hashing the new one are slow: done before the
        // request's transaction opens (and only for a request that is not a replay).
        prepare: async (_req, res) => {
          const { requestId: _key, ...input } = checked<ChangePasswordInput & { requestId?: string }>(res).body;
          return useCases.changePassword.prepare(actorOf(res), input);
        },
        fingerprintOmits: ['currentPassword', 'newPassword'],
      },
    ),
  );

  route(USER_OPERATIONS.changeUserAccess, async (_req, res) => {
    const { params, body } = checked<UserAccessChange, unknown, { userId: number | 'me' }>(res);
    const user = await useCases.changeUserAccess.execute(actorOf(res), resolveUserId(res, params.userId), body);
    res.json(userView(user));
  });

  return router;
}
