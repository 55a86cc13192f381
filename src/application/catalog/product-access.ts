import type { Product } from '../../domain/catalog/product.js';
import { Forbidden } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';

/** A seller manages their own products; an ADMIN manages everyone's. */
export function assertManages(actor: Actor, product: Product): void {
  if (actor.role !== 'ADMIN' && product.sellerId !== actor.userId) {
    throw new Forbidden('Only the product’s seller or an ADMIN may change it');
  }
}
