import { InsufficientStock, type Product, ProductUnavailable } from '../catalog/published.js';
import { type CouponDiscount, CouponNotApplicable } from '../coupons/published.js';
import { assertRoomForUnpaidOrder, type NewOrderLine, Order, type PricedLine } from '../../domain/ordering/order.js';
import { assertShippable, shippingAddressOf, type ShippingAddressInput } from '../../domain/ordering/shipping-address.js';
import { NotFound, ValidationFailed } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { PRODUCT_LISTS, productNamespace } from '../catalog/product-view.js';
import type { RunsAs } from '../idempotency/run-idempotently.js';
import { assertWithinLimit } from '../ports/rate-limiter.js';
import { ORDER_RATE_LIMIT, type OrderingContext } from './ordering-context.js';
import { orderView, type OrderView } from './views.js';

export interface OrderLineRequest {
  productId: number;
  /** May be left out when the product has a single option. */
  optionId?: number;
  quantity: number;
}

export interface PlaceOrderInput {
  items: OrderLineRequest[];
  userCouponId?: number;
  /** Required unless every line is a digital product. */
  shippingAddress?: ShippingAddressInput;
}

/**
 * A buyer orders: the lines are checked, every line's stock is reserved (all or nothing), the
 * amounts are worked out and the order is recorded with its OrderCreated event, in one
 * transaction (with the idempotency record: RunsAs' default), admitted by the per-user order
 * rate. The reservation holds until `reservationExpiresAt`.
 */
export class PlaceOrder implements RunsAs {
  constructor(private readonly ctx: OrderingContext) {}

  /**
   * At most RATE_LIMIT_ORDERS_PER_SECOND orders a user. Asked before anything else, and apart
   * from execute() so that no transaction is open during the (Redis) call.
   */
  async admit(actor: Actor): Promise<void> {
    await assertWithinLimit(this.ctx.rateLimiter, ORDER_RATE_LIMIT, String(actor.userId), 'Too many orders; wait a moment');
  }

  async execute(actor: Actor, input: PlaceOrderInput): Promise<OrderView> {
    // The address's own rules are shape rules (400), checked before anything is looked up.
    const shippingAddress = input.shippingAddress === undefined ? null : shippingAddressOf(input.shippingAddress);
    const lines = await this.priceLines(input.items);
    // Whether it is needed depends on the products: checked once they are known, before the coupon.
    assertShippable(lines, shippingAddress);
    const at = this.ctx.clock.now();
    const userCouponId = input.userCouponId ?? null;
    // Checked before anything is reserved, so a coupon that cannot apply costs nothing.
    const discount = userCouponId === null ? null : await this.discountOf(userCouponId, actor.userId, lines, at);
    const draft = Order.place(
      {
        userId: actor.userId,
        lines,
        discountAmount: discount?.amount ?? 0,
        ...(discount ? { lineDiscounts: discount.lineDiscounts } : {}),
        userCouponId,
        shippingAddress,
        at,
      },
      this.ctx.policy,
    );

    const order = await this.ctx.transactions.run(async () => {
      // The unpaid-order cap. Its lock comes first, before any row lock, and only placing takes
      // it, so it stays out of the lock order (lock-order.ts). Switched off, it costs the hot path
      // nothing: no lock, no count.
      const { maxUnpaidOrdersPerUser } = this.ctx.policy;
      if (maxUnpaidOrdersPerUser > 0) {
        assertRoomForUnpaidOrder(await this.ctx.orders.lockUnpaidOf(actor.userId), maxUnpaidOrdersPerUser, this.ctx.clock.now());
      }
      // The coupon copy before the stock (the lock order): a racing order for the same copy waits
      // here, then finds it held, having reserved nothing.
      let copy: Awaited<ReturnType<OrderingContext['userCoupons']['getForUpdate']>> = null;
      if (userCouponId !== null) {
        copy = await this.ctx.userCoupons.getForUpdate(userCouponId);
        const whyNot = copy ? copy.whyNotApplicable(actor.userId, at) : 'it does not exist';
        if (whyNot) throw new CouponNotApplicable(whyNot);
      }
      // Nothing from here on waits for an answer on a PostgreSQL server: the reservation, the
      // order and its event are sent one behind the other and ride on COMMIT's round trip. A
      // refused reservation aborts the transaction, so the order is then not written at all, and
      // the transaction fails with the refusal (see StockRepository), counted and worded for the
      // buyer here, where it is made, not where it is caught. Both are waited for to their end;
      // the reservation's refusal is the one reported.
      const reserving = this.ctx.stock.reserve(
        draft.items.map((i) => ({ optionId: i.optionId, quantity: i.quantity })),
        (shortage) => {
          this.ctx.metrics.stockConflict();
          return nameTheLine(shortage, draft.items);
        },
      );
      const [reserved, added] = await Promise.allSettled([reserving, this.ctx.orders.add(draft)]);
      if (reserved.status === 'rejected') throw reserved.reason;
      if (added.status === 'rejected') throw added.reason;
      const placed = added.value;
      if (copy) {
        copy.bindTo(placed.id, actor.userId, at);
        await this.ctx.userCoupons.save(copy);
      }
      await this.ctx.events.writeEventsOf(placed, ...(copy ? [copy] : []));
      await this.ctx.transactions.afterCommit(async () => this.ctx.metrics.orderPlaced());
      const namespaces = [...new Set(placed.items.map((i) => productNamespace(i.productId))), PRODUCT_LISTS];
      await this.ctx.transactions.afterCommit(() => this.ctx.cache.invalidate(...namespaces));
      return placed;
    });
    return orderView(order, null);
  }

  /**
   * The discount the buyer's coupon gives on these lines, and each line's part of it (a SELLER's
   * coupon covers only that seller's lines); COUPON_NOT_APPLICABLE when it is not theirs, used,
   * expired, held by another unpaid order, covers no line of the order, or what it covers is
   * below its minimum.
   */
  private async discountOf(userCouponId: number, userId: number, lines: readonly PricedLine[], at: Date): Promise<CouponDiscount> {
    const copy = await this.ctx.userCoupons.get(userCouponId);
    // Unknown and someone else's read alike: nothing is said about other people's coupons.
    if (!copy || copy.userId !== userId) throw new CouponNotApplicable(`User coupon ${userCouponId} is not one of yours`);
    const reason = copy.whyNotApplicable(userId, at);
    if (reason) throw new CouponNotApplicable(reason);
    const coupon = await this.ctx.coupons.get(copy.couponId);
    if (!coupon || !coupon.isRedeemableAt(at)) throw new CouponNotApplicable(`The coupon of user coupon ${userCouponId} is not redeemable now`);
    return coupon.discountOn(lines.map((l) => ({ sellerId: l.sellerId, amount: l.unitPrice * l.quantity })));
  }

  /** Resolves each line's option and takes the product's current name and price. */
  private async priceLines(requests: OrderLineRequest[]): Promise<PricedLine[]> {
    const products = new Map<number, Product>();
    const lines: PricedLine[] = [];
    for (const [index, request] of requests.entries()) {
      let product = products.get(request.productId);
      if (!product) {
        const found = await this.ctx.products.get(request.productId);
        if (!found) throw new NotFound('Product', request.productId);
        products.set(found.id, found);
        product = found;
      }
      if (product.isDiscontinued()) throw new ProductUnavailable(`Product ${product.id} is no longer sold`);
      const option = this.optionOf(product, request, index);
      lines.push({
        productId: product.id,
        optionId: option.id,
        sellerId: product.sellerId,
        productName: product.toSnapshot().name,
        optionName: option.name,
        unitPrice: product.price,
        quantity: request.quantity,
        digital: product.digital,
      });
    }
    return lines;
  }

  private optionOf(product: Product, request: OrderLineRequest, index: number) {
    if (request.optionId === undefined) {
      const [only, ...others] = product.options;
      if (only && others.length === 0) return only;
      throw new ValidationFailed([
        { field: `items.${index}.optionId`, message: `is required: product ${product.id} has ${product.options.length} options` },
      ]);
    }
    const option = product.option(request.optionId);
    if (!option) throw new NotFound('Option', request.optionId);
    return option;
  }
}

/** The buyer knows lines, not option ids: say which line ran short. */
function nameTheLine(error: InsufficientStock, items: readonly NewOrderLine[]): InsufficientStock {
  const index = items.findIndex((i) => i.optionId === error.optionId);
  const line = items[index];
  if (!line) return error;
  const available = error.available === null ? '' : `only ${error.available} available, `;
  return new InsufficientStock(
    `Line ${index + 1} (${line.productName} / ${line.optionName}): ${available}${line.quantity} requested`,
    error.optionId,
    error.available,
  );
}
