import { Product, type ProductDetails } from '../../domain/catalog/product.js';
import { type Actor, assertRole } from '../../domain/user/actor.js';
import { ListingWrite } from './listing-write.js';
import { PRODUCT_LISTS, type ProductView } from './product-view.js';

export class ListProductForSale extends ListingWrite {
  async execute(actor: Actor, details: ProductDetails): Promise<ProductView> {
    assertRole(actor, 'SELLER', 'ADMIN');
    const draft = Product.list(actor.userId, details, this.clock.now());
    const product = await this.transactions.run(() => this.products.add(draft));
    return this.answer(product, PRODUCT_LISTS);
  }
}
