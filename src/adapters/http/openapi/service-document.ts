import { ACCOUNT_OPERATIONS } from '../routes/accounts.js';
import { ADMIN_OPERATIONS } from '../routes/admin.js';
import { BALANCE_OPERATIONS } from '../routes/balances.js';
import { COUPON_OPERATIONS } from '../routes/coupons.js';
import { OPERATIONS_OPERATIONS } from '../routes/operations.js';
import { ORDER_OPERATIONS } from '../routes/orders.js';
import { PRODUCT_OPERATIONS } from '../routes/products.js';
import { STATS_OPERATIONS } from '../routes/stats.js';
import { USER_OPERATIONS } from '../routes/users.js';
import { buildOpenApiDocument, type OperationGroup } from './document.js';

/** Every operation the service registers, by where app.ts mounts its router. */
export const OPERATION_GROUPS: readonly OperationGroup[] = [
  { prefix: '', operations: Object.values(OPERATIONS_OPERATIONS) },
  {
    prefix: '/api/v1',
    operations: [
      ...Object.values(ACCOUNT_OPERATIONS),
      ...Object.values(USER_OPERATIONS),
      ...Object.values(BALANCE_OPERATIONS),
      ...Object.values(PRODUCT_OPERATIONS),
      ...Object.values(ORDER_OPERATIONS),
      ...Object.values(COUPON_OPERATIONS),
      ...Object.values(ADMIN_OPERATIONS),
      ...Object.values(STATS_OPERATIONS),
    ],
  },
];

/** The OpenAPI document served at /openapi.json and /docs. */
export const openApiDocument = buildOpenApiDocument(OPERATION_GROUPS);
