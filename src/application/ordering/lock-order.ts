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
  /** May wait (for the payment's id, written in the same round trip): see openAndDebit. */
  wallet?: (wallet: BuyerWallet) => void | Promise<void>;
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
 *   2. stock rows            by ascending option id (the stock repository's guarded UPDATEs)
 *   3. daily sales rows      by ascending product id
 *   4. the order's coupon copy
 *   5. the buyer's wallet
 *
 * Why: two transactions that lock two of the same rows in opposite orders wait for each other
 * until PostgreSQL kills one of them. A payment (which debits the wallet) and a refund (which
 * restocks) of the same buyer on the same options did exactly that before the order was fixed.
 * Placing an order takes the buyer's unpaid-order lock before any of these, and nothing holding
 * one of these ever waits for that lock, so it stays out of the list.
 *
 * Runs `moves` in that order inside the caller's transaction, saves the copy and the wallet, and
 * answers them (their recorded events are the caller's to write). After commit, the catalog's
 * cache forgets the stock of the order's products.
 */
export async function moveInLockOrder(ctx: OrderingContext, order: Order, moves: OrderMoves): Promise<MovedParts> {
  if (moves.stock) {
    await moves.stock(ctx.stock);
    const namespaces = [...new Set(order.items.map((i) => productNamespace(i.productId))), PRODUCT_LISTS];
    await ctx.transactions.afterCommit(() => ctx.cache.invalidate(...namespaces));
  }
  if (moves.sales) await moves.sales(ctx.sales);
  let copy: CouponCopy | null = null;
  if (moves.coupon && order.userCouponId !== null) {
    copy = await ctx.userCoupons.getForUpdate(order.userCouponId);
    if (!copy) throw new NotFound('User coupon', order.userCouponId);
    moves.coupon(copy);
    await ctx.userCoupons.save(copy);
  }
  let wallet: BuyerWallet | null = null;
  if (moves.wallet) {
    wallet = await ctx.wallets.getForUpdate(order.userId);
    if (!wallet) throw new NotFound('Wallet of user', order.userId);
    await moves.wallet(wallet);
    await ctx.wallets.save(wallet);
  }
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
