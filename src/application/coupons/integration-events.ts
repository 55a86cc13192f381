import { Coupon, type CouponSnapshot } from '../../domain/coupon/coupon.js';
import type { CouponEvent, UserCouponEvent } from '../../domain/coupon/coupon-events.js';
import type { UserCouponSnapshot } from '../../domain/coupon/user-coupon.js';
import type { EventType, OutboxEvent } from '../ports/outbox.js';
import { fieldsOf } from '../shared/fields.js';

export type { CouponEvent, UserCouponEvent };

/** What the data platform is told of coupons, in its versioned shape (see ordering/integration-events.ts). */
export function couponIntegrationEvents(event: CouponEvent | UserCouponEvent): OutboxEvent[] {
  switch (event.type) {
    case 'CouponCreated':
      return [of('CouponCreated', event.coupon, event.occurredAt, couponV1(event.coupon, event.occurredAt))];
    case 'CouponIssued':
      return [of('CouponIssued', event.coupon, event.occurredAt, couponCopyV1(event.copy, event.coupon))];
    // Not in v1: receivers were never sent a coupon's status change, and a new kind is a contract
    // change of its own. The coupon's current status is on GET /coupons/{id}.
    case 'CouponStatusChanged':
      return [];
    // A copy's moves follow the order that makes them (bound by OrderCreated, used by
    // PaymentCompleted, given back by OrderCancelled/OrderFailed), which say so already.
    case 'UserCouponBound':
    case 'UserCouponUsed':
    case 'UserCouponReleased':
    case 'UserCouponRestored':
    case 'UserCouponExpired':
      return [];
  }
}

function of(type: EventType, coupon: CouponSnapshot, occurredAt: Date, payload: unknown): OutboxEvent {
  return { type, aggregateType: 'Coupon', aggregateId: coupon.id, occurredAt, payload };
}

// The v1 field lists.
const COUPON_FIELDS_V1 = ['id', 'code', 'name', 'type', 'discountValue', 'maxDiscountAmount', 'minOrderAmount', 'totalQuantity', 'issuedQuantity', 'perUserLimit', 'validFrom', 'validUntil', 'sellerId', 'createdBy'] as const;
const COPY_FIELDS_V1 = ['id', 'couponId', 'status', 'issuedAt', 'usedAt', 'orderId', 'expiresAt'] as const;
const TERMS_FIELDS_V1 = ['code', 'name', 'type', 'discountValue'] as const;

/** The coupon as it stood, with what its counters and window made of it at that moment. */
function couponV1(coupon: CouponSnapshot, at: Date) {
  const domain = Coupon.fromSnapshot(coupon);
  return { ...fieldsOf(coupon, COUPON_FIELDS_V1), remainingQuantity: domain.remainingQuantity, status: domain.statusAt(at) };
}

function couponCopyV1(copy: UserCouponSnapshot, coupon: CouponSnapshot) {
  return { ...fieldsOf(copy, COPY_FIELDS_V1), ...fieldsOf(coupon, TERMS_FIELDS_V1) };
}
