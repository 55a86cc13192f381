import { couponIntegrationEvents, type CouponEvent, type UserCouponEvent } from '../coupons/integration-events.js';
import { orderIntegrationEvents, type OrderEvent } from '../ordering/integration-events.js';
import type { OutboxEvent } from '../ports/outbox.js';
import { walletIntegrationEvents, type WalletEvent } from '../wallet/integration-events.js';

/** Every event an aggregate of the shop records. */
export type ShopEvent = OrderEvent | CouponEvent | UserCouponEvent | WalletEvent;

/**
 * The integration events one domain event becomes: none for what the outside is not told of,
 * otherwise one. Each context writes its own (its `integration-events.ts`), from the event's
 * snapshots and its frozen field lists, never from an API view.
 */
export function integrationEventsOf(event: ShopEvent): OutboxEvent[] {
  if ('order' in event) return orderIntegrationEvents(event);
  if ('entry' in event) return walletIntegrationEvents(event);
  return couponIntegrationEvents(event);
}
