import { expect } from 'chai';
import { moveInLockOrder } from '../../../../src/application/ordering/lock-order.js';
import type { OrderingContext } from '../../../../src/application/ordering/ordering-context.js';
import { anOrder, aUserCoupon, aWallet } from '../../../support/mothers.js';

/** A context that only records which part was locked and saved, in which order. */
function recordingContext(seen: string[]): OrderingContext {
  const part = (name: string, make: () => unknown) => ({
    getForUpdate: async () => {
      seen.push(`lock ${name}`);
      return make();
    },
    save: async () => void seen.push(`save ${name}`),
  });
  return {
    stock: {},
    sales: {},
    userCoupons: part('coupon', () => aUserCoupon({ orderId: 42 })),
    wallets: part('wallet', () => aWallet(100_000)),
    transactions: { afterCommit: async () => undefined },
    cache: { invalidate: async () => undefined },
  } as unknown as OrderingContext;
}

describe('moveInLockOrder: the one lock order (order, wallet, coupon, stock, sales)', () => {
  it('runs the moves in the lock order however they are listed, and answers the coupon copy and wallet it moved', async () => {
    const seen: string[] = [];
    const order = anOrder().withCoupon(9).build();
    const moved = await moveInLockOrder(recordingContext(seen), order, {
      wallet: () => void seen.push('move wallet'),
      coupon: () => void seen.push('move coupon'),
      sales: async () => void seen.push('sales'),
      stock: async () => void seen.push('stock'),
    });
    expect(seen).to.deep.equal(['lock wallet', 'move wallet', 'save wallet', 'lock coupon', 'move coupon', 'save coupon', 'stock', 'sales']);
    expect(moved.copy?.id).to.equal(9);
    expect(moved.wallet?.userId).to.equal(order.userId);
  });

  it('an order without a coupon locks no copy; a part not asked for is not locked', async () => {
    const seen: string[] = [];
    const moved = await moveInLockOrder(recordingContext(seen), anOrder().build(), { coupon: () => void seen.push('move coupon'), stock: async () => void seen.push('stock') });
    expect(seen).to.deep.equal(['stock']);
    expect(moved).to.deep.equal({ copy: null, wallet: null });
  });

  it("a wallet the caller locked already (in the order's round trip) is moved and saved, not locked again", async () => {
    const seen: string[] = [];
    const order = anOrder().build();
    const locked = aWallet(100_000, order.userId);
    const moved = await moveInLockOrder(recordingContext(seen), order, { wallet: () => void seen.push('move wallet'), stock: async () => void seen.push('stock') }, locked);
    expect(seen).to.deep.equal(['move wallet', 'save wallet', 'stock']);
    expect(moved.wallet).to.equal(locked);
  });

  it("a wallet locked already that is not the buyer's (an ADMIN's) is not the one moved: the buyer's is locked", async () => {
    const seen: string[] = [];
    const order = anOrder().build();
    const moved = await moveInLockOrder(recordingContext(seen), order, { wallet: () => void seen.push('move wallet') }, aWallet(100_000, order.userId + 1));
    expect(seen).to.deep.equal(['lock wallet', 'move wallet', 'save wallet']);
    expect(moved.wallet?.userId).to.equal(order.userId);
  });
});
