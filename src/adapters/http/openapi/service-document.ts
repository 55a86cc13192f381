import type { Operation } from '../operation.js';
import { OPERATIONS_OPERATIONS } from '../routes/operations.js';
import type { OperationGroup } from './document.js';

/** Where the HTTP app mounts the bounded contexts' routers. */
export const API_PREFIX = '/api/v1';

/**
 * Every operation the service registers, by where app.ts mounts its router: the operations
 * endpoints (health, metrics, the document itself) at the root, and the contexts' operations
 * (their composition modules say which: src/infrastructure/modules) under API_PREFIX.
 */
export function operationGroups(apiOperations: readonly Operation[]): readonly OperationGroup[] {
  return [
    { prefix: '', operations: Object.values(OPERATIONS_OPERATIONS) },
    { prefix: API_PREFIX, operations: apiOperations },
  ];
}
