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
import { routeDefiner } from '../route.js';
import { requestIdField, text, userIdOrMe } from '../validation.js';

export interface UserUseCases {
  changePassword: ChangePassword;
  changeUserAccess: ChangeUserAccess;
  runIdempotently: RunIdempotently;
}

const passwordBody = Joi.object<ChangePasswordInput & { requestId?: string }>({
  currentPassword: Joi.string().min(1).max(200).required(),
  newPassword: Joi.string()
    .min(MIN_PASSWORD_LENGTH)
    .max(200)
    .invalid(Joi.ref('currentPassword'))
    .messages({ 'any.invalid': '{{#label}} must differ from the current password' })
    .required(),
  requestId: requestIdField,
});

const userParams = Joi.object<{ userId: number | 'me' }>({ userId: userIdOrMe.required() });
const accessBody = Joi.object<UserAccessChange>({
  role: Joi.string().valid(...ROLES),
  businessNumber: Joi.string()
    .pattern(/^\d{3}-\d{2}-\d{5}$/)
    .message('businessNumber must look like NNN-NN-NNNNN')
    .when('role', { is: 'SELLER', then: Joi.required(), otherwise: Joi.forbidden() }),
  adminCode: text(50).when('role', { is: 'ADMIN', then: Joi.required(), otherwise: Joi.forbidden() }),
  status: Joi.string().valid(...USER_STATUSES),
})
  .or('role', 'status')
  .messages({ 'object.missing': 'give role, status or both' });

/** A user's own password, and an ADMIN's say over other users' role and status. */
export function userRoutes(useCases: UserUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);
  const idempotent = idempotentVia(useCases.runIdempotently);

  route(
    'put',
    '/users/me/password',
    { body: passwordBody },
    idempotent<PreparedPasswordChange>(
      async (_req, _res, prepared) => {
        const token = await useCases.changePassword.apply(prepared);
        return { status: 200, body: { accessToken: token.accessToken, tokenType: 'Bearer', expiresIn: token.expiresInSeconds } };
      },
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

  route('patch', '/users/:userId', { params: userParams, body: accessBody }, async (_req, res) => {
    const { params, body } = checked<UserAccessChange, unknown, { userId: number | 'me' }>(res);
    const user = await useCases.changeUserAccess.execute(actorOf(res), resolveUserId(res, params.userId), body);
    res.json(userView(user));
  });

  return router;
}

// TODO(issue 11): declared operations move here from openapi/components.ts.
export const USER_OPERATIONS: Record<string, import('../operation.js').Operation> = {};
