import { buildOpenApiDocument } from '../../adapters/http/openapi/document.js';
import { operationGroups } from '../../adapters/http/openapi/service-document.js';
import { accounts } from './accounts.js';
import { catalog } from './catalog.js';
import { coupons } from './coupons.js';
import { ordering } from './ordering.js';
import { outbox } from './outbox.js';
import { sales } from './sales.js';
import { wallet } from './wallet.js';

/**
 * Every bounded context the service runs, one composition module each. The container loads them,
 * the HTTP app mounts their routers in this order, the OpenAPI document lists their operations and
 * the service schedules their jobs: a new context is a module file and one line here.
 */
export const MODULES = [accounts, wallet, catalog, ordering, coupons, sales, outbox] as const;

/** Every operation the service registers, by where the HTTP app mounts its router. */
export const OPERATION_GROUPS = operationGroups(MODULES.flatMap((module) => module.operations));

/** The OpenAPI document served at /openapi.json and /docs. */
export const openApiDocument = buildOpenApiDocument(OPERATION_GROUPS);
