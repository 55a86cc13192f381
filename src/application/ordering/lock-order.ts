import type { Order } from '../../domain/ordering/order.js';
import { NotFound } from '../../domain/shared/errors.js';
import { PRODUCT_LISTS, productNamespace } from '../catalog/product-view.js';
import type { OrderingContext } from './ordering-context.js';

/** The buyer's coupon copy and wallet, as the coupon and wallet contexts' repositories hand them. */
type CouponCopy = NonNullable<Awaited<ReturnType<OrderingContext['userCoupons']['getForUpdate']>>>;
type BuyerWallet = NonNullable<Awaited<ReturnType<OrderingContext['wallets']['getForUpdate']>>>;

/**
 * What finishing an order one way or another moves besides the order itself, each part optional.
 * `coupon` runs only when the order has a coupon.
 */
export interface OrderMoves {
  stock?: (stock: OrderingContext['stock']) => Promise<void>;
  sales?: (sales: OrderingContext['sales']) => Promise<void>;
  coupon?: (copy: CouponCopy) => void;
  wallet?: (wallet: BuyerWallet) => void;
}

/** The coupon copy and the wallet `moveInLockOrder` locked and moved (null: not asked for, or the order has no coupon). */
export interface MovedParts {
  copy: CouponCopy | null;
  wallet: BuyerWallet | null;
}

/**
 * THE lock order, the one place it is written. Every transaction that changes more than one of
 * an order's parts takes their row locks in this order:
 *
 *   1. the order            (the caller's `orders.getForUpdate`, before calling this)
 *   2. the buyer's wallet   (a payment locks it in the order's round trip: `lockedWallet`)
 *   3. the order's coupon copy
 *   4. stock rows            by ascending option id (the stock repository's guarded UPDATEs)
 *   5. daily sales rows      by ascending product id
 *
 * Why an order: two transactions that lock two of the same rows in opposite orders wait for each
 * other until PostgreSQL kills one of them. A payment (which debits the wallet) and a refund
 * (which restocks) of the same buyer on the same options did exactly that before the order was
 * fixed. Why this one: the rows every buyer of a product contends for (its options' stock, its
 * day of sales) come last. They are guarded writes that need no answer, so they ride on COMMIT's
 * round trip and stay locked only while PostgreSQL runs the end of the transaction, never while
 * the service waits between round trips. The wallet and the coupon copy are one buyer's rows,
 * read and decided on by their aggregates, so they come first. Placing an order takes the
 * buyer's unpaid-order lock before any of these, and nothing holding one of these ever waits for
 * that lock, so it stays out of the list.
 *
 * Runs `moves` in that order inside the caller's transaction, saves the wallet and the copy, and
 * answers them (their recorded events are the caller's to write). `lockedWallet` is the buyer's
 * wallet when the caller has locked it already (step 2). After commit, the catalog's cache
 * forgets the stock of the order's products.
 */
export async function moveInLockOrder(ctx: OrderingContext, order: Order, moves: OrderMoves, lockedWallet: BuyerWallet | null = null): Promise<MovedParts> {
  let wallet: BuyerWallet | null = null;
  if (moves.wallet) {
    wallet = lockedWallet?.userId === order.userId ? lockedWallet : await ctx.wallets.getForUpdate(order.userId);
    if (!wallet) throw new NotFound('Wallet of user', order.userId);
    moves.wallet(wallet);
    await ctx.wallets.save(wallet);
  }
  let copy: CouponCopy | null = null;
  if (moves.coupon && order.userCouponId !== null) {
    copy = await ctx.userCoupons.getForUpdate(order.userCouponId);
    if (!copy) throw new NotFound('User coupon', order.userCouponId);
    moves.coupon(copy);
    await ctx.userCoupons.save(copy);
  }
  if (moves.stock) {
    await moves.stock(ctx.stock);
    const namespaces = [...new Set(order.items.map((i) => productNamespace(i.productId))), PRODUCT_LISTS];
    await ctx.transactions.afterCommit(() => ctx.cache.invalidate(...namespaces));
  }
  if (moves.sales) await moves.sales(ctx.sales);
  return { copy, wallet };
}

export type MovedAggregates = (CouponCopy | BuyerWallet)[];

/** The parts that moved, for the events writer. */
export function movedAggregates(parts: MovedParts): MovedAggregates {
  const moved: MovedAggregates = [];
  if (parts.copy) moved.push(parts.copy);
  if (parts.wallet) moved.push(parts.wallet);
  return moved;
}
