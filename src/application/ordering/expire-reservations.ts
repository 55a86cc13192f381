import type { OrderingContext } from './ordering-context.js';
import { OrderSettlement } from './settlement.js';

export class ExpireReservations {
  private readonly settle: OrderSettlement;

  constructor(private readonly ctx: OrderingContext) {
    this.settle = new OrderSettlement(ctx);
  }

  /**
   * The sweeper: cancels unpaid orders whose reservation ran out and releases their stock, one
   * order per transaction. Each takes its order with FOR UPDATE SKIP LOCKED, so several sweepers
   * share the work, each order is cancelled exactly once, and no sweeper ever holds one order's
   * stock while waiting for another's (lock order stays order, then stock). An order that cannot
   * be settled is logged and left for the next run, never blocking the others. Returns how many
   * it cancelled.
   */
  async execute(batch = 100): Promise<number> {
    const skipped: number[] = [];
    let cancelled = 0;
    while (cancelled + skipped.length < batch) {
      let current: number | null = null;
      try {
        const done = await this.ctx.transactions.run(async () => {
          const [order] = await this.ctx.orders.lockExpired(this.ctx.clock.now(), 1, skipped);
          if (!order) return false;
          current = order.id;
          await this.settle.releaseUnpaid(order, { expired: true });
          return true;
        });
        if (!done) break;
        cancelled += 1;
      } catch (error) {
        if (current === null) throw error;
        skipped.push(current);
        this.ctx.logger.error('the sweeper could not cancel an expired order; will retry', { orderId: current, error: String(error) });
      }
    }
    return cancelled;
  }
}
