import type { ProductChanges } from '../../domain/catalog/product.js';
import { NotFound } from '../../domain/shared/errors.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import { ListingWrite } from './listing-write.js';
import { assertManages } from './product-access.js';
import { PRODUCT_LISTS, productNamespace, type ProductView } from './product-view.js';

export class ChangeProduct extends ListingWrite {
  async execute(actor: Actor, productId: number, changes: ProductChanges): Promise<ProductView> {
    assertRole(actor, 'SELLER', 'ADMIN');
    const product = await this.transactions.run(async () => {
      const found = await this.products.getForUpdate(productId);
      if (!found) throw new NotFound('Product', productId);
      assertManages(actor, found);
      found.change(changes, this.clock.now());
      await this.products.save(found);
      return found;
    });
    return this.answer(product, productNamespace(productId), PRODUCT_LISTS);
  }
}
