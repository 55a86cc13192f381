import { Router } from 'express';
import Joi from 'joi';
import type { RunIdempotently } from '../../../application/idempotency/run-idempotently.js';
import type { GetPayment } from '../../../application/ordering/get-payment.js';
import type { AdvanceFulfilment } from '../../../application/ordering/advance-fulfilment.js';
import type { CancelOrder } from '../../../application/ordering/cancel-order.js';
import type { CompleteOrder } from '../../../application/ordering/complete-order.js';
import type { GetOrder } from '../../../application/ordering/get-order.js';
import type { ListOrders } from '../../../application/ordering/list-orders.js';
import { ORDER_LIST_VIEWS, type OrderListView } from '../../../application/ordering/order-access.js';
import type { PayForOrder } from '../../../application/ordering/pay-for-order.js';
import type { GetPaymentRecovery } from '../../../application/ordering/get-payment-recovery.js';
import type { PlaceOrder, PlaceOrderInput } from '../../../application/ordering/place-order.js';
import type { RefundOrder } from '../../../application/ordering/refund-order.js';
import type { GetRefund } from '../../../application/ordering/refunds.js';
import type { SettlePendingPayment } from '../../../application/ordering/settle-pending-payments.js';
import type { Authenticate } from '../../../application/auth/authenticate.js';
import { FULFILMENT_STEPS, type FulfilmentStep, ORDER_STATUSES, type OrderStatus } from '../../../domain/ordering/order.js';
import type { RefundRequestLine } from '../../../domain/ordering/refund.js';
import {
  ADDRESS_LINE_MAX_LENGTH,
  PHONE_MAX_LENGTH,
  PHONE_PATTERN,
  POSTAL_CODE_PATTERN,
  RECIPIENT_MAX_LENGTH,
  type ShippingAddressInput,
} from '../../../domain/ordering/shipping-address.js';
import type { PageRequest } from '../../../domain/shared/page.js';
import { idempotentVia } from '../idempotency.js';
import { actorOf, checked } from '../locals.js';
import { operation } from '../operation.js';
import { notFound } from '../problem-cases.js';
import { routeDefiner } from '../route.js';
import { paging, positiveId, requestIdField, text, trimmedString } from '../validation.js';

export interface OrderUseCases {
  placeOrder: PlaceOrder;
  getOrder: GetOrder;
  listOrders: ListOrders;
  cancelOrder: CancelOrder;
  advanceFulfilment: AdvanceFulfilment;
  completeOrder: CompleteOrder;
  payForOrder: PayForOrder;
  settlePendingPayment: SettlePendingPayment;
  getPayment: GetPayment;
  getPaymentRecovery: GetPaymentRecovery;
  refundOrder: RefundOrder;
  getRefund: GetRefund;
  runIdempotently: RunIdempotently;
}

const reason = (keptAs: string, example: string) =>
  text(500)
    .description(`${keptAs} Surrounding white space is trimmed before it is kept; must not be blank (400); at most 500 characters.`)
    .example(example);
const orderParams = Joi.object<{ orderId: number }>({
  orderId: positiveId.required().description('An order id (a positive integer; anything else is 400).'),
});
const TRIMMED = 'Surrounding white space is trimmed before it is checked and kept; must not be blank (400).';
const shippingAddress = Joi.object<ShippingAddressInput>({
  recipient: text(RECIPIENT_MAX_LENGTH)
    .required()
    .description(`Who receives the parcel. ${TRIMMED} At most ${RECIPIENT_MAX_LENGTH} characters.`)
    .example('Kim Minji'),
  phone: trimmedString()
    .max(PHONE_MAX_LENGTH)
    .pattern(PHONE_PATTERN, 'phone')
    .required()
    .description(
      `The recipient's phone: digits, an optional leading \`+\`, and single spaces or hyphens between groups; 8 to 15 digits, at most ${PHONE_MAX_LENGTH} characters once trimmed (else 400).`,
    )
    .example('010-1234-5678'),
  postalCode: trimmedString()
    .pattern(POSTAL_CODE_PATTERN, 'five digits')
    .required()
    .description('A Korean postal code (우편번호): exactly five digits once trimmed (else 400).')
    .example('06236'),
  line1: text(ADDRESS_LINE_MAX_LENGTH)
    .required()
    .description(`The street address. ${TRIMMED} At most ${ADDRESS_LINE_MAX_LENGTH} characters.`)
    .example('123 Teheran-ro, Gangnam-gu, Seoul'),
  line2: text(ADDRESS_LINE_MAX_LENGTH)
    .description(`The rest (building, floor, unit); may be left out (kept as null). ${TRIMMED} At most ${ADDRESS_LINE_MAX_LENGTH} characters.`)
    .example('5F, Unit 501'),
}).description(
  'Where the goods go. Required when any line is a physical product (a product whose `digital` is false): left out, the order is 400 VALIDATION_FAILED naming `shippingAddress`, checked once the products are known (after 404 and 422 PRODUCT_UNAVAILABLE, before the coupon). ' +
    'May be left out when every line is digital; given anyway, it is kept. Shown on the order to its buyer, the sellers of its lines and ADMINs.',
);
const placeBody = Joi.object<PlaceOrderInput & { requestId?: string }>({
  items: Joi.array()
    .items(
      Joi.object({
        productId: positiveId.required().description('An ACTIVE product (unknown: 404; DISCONTINUED: 422 PRODUCT_UNAVAILABLE)'),
        optionId: positiveId.description(
          "One of its options (unknown or another product's: 404). May be left out when the product has exactly one option; left out for a product with several, 400.",
        ),
        // Only the type is a shape rule: more than 10 of an option is the order limit's 422.
        quantity: Joi.number()
          .integer()
          .min(1)
          .max(1_000_000)
          .required()
          .description(
            'Units of the option. Only the type and 1..1,000,000 are shape rules (400); more than 10 of one option, or more than 30 over the whole order, is 422 ORDER_LIMIT_EXCEEDED.',
          )
          .example(2),
      }),
    )
    .min(1)
    .max(100)
    .required()
    .description('The lines of the order, in the order they are kept. Two lines for the same option are 400.'),
  userCouponId: positiveId.description(
    "A user coupon of the caller (ISSUED or REFUNDED) to apply; it is bound to the new order until the order is paid (USED) or ends unpaid (given back). " +
      "422 COUPON_NOT_APPLICABLE, with nothing reserved, when it does not exist or is someone else's (the answer does not tell which), is USED or EXPIRED (or past its `expiresAt`), " +
      "its coupon is SUSPENDED or CANCELLED or outside its window (before `validFrom`, from `validUntil` on), it is a SELLER's coupon and the order has none of that seller's lines, what it covers is below the coupon's `minOrderAmount`, or it is bound to another live unpaid order (CREATED or PENDING). " +
      "What it covers: a SELLER's coupon that seller's lines only, an ADMIN's the whole order (the coupon's `sellerId`). Discount on that amount: PERCENTAGE floor(covered × discountValue / 100), capped at `maxDiscountAmount`; FIXED min(discountValue, covered) (also capped at `maxDiscountAmount` when set); never above what it covers (so `finalAmount` may be 0), split over the covered lines (each item's `discountAmount`).",
  ),
  shippingAddress,
  requestId: requestIdField,
})
  // Not every field's own example: a `userCouponId` the caller does not hold would make "Try it out" a 422.
  .example({
    items: [{ productId: 42, optionId: 7, quantity: 2 }],
    shippingAddress: { recipient: 'Kim Minji', phone: '010-1234-5678', postalCode: '06236', line1: '123 Teheran-ro, Gangnam-gu, Seoul', line2: '5F, Unit 501' },
  });
type ListQuery = PageRequest & { status?: OrderStatus; as?: OrderListView };
const listQuery = Joi.object<ListQuery>({
  ...paging,
  status: Joi.string()
    .valid(...ORDER_STATUSES)
    .description("Only orders of this status (see OrderStatus): the order's status, not a line's."),
  as: Joi.string()
    .valid(...ORDER_LIST_VIEWS)
    .description(
      'Whose orders, and so how they are shown. `buyer`: the orders the caller placed, whole (Order). `seller`: the orders holding at least one of the caller\'s products, each as that seller sees it (SellerOrder: their lines only); SELLER and ADMIN only. `all`: every order, whole; ADMIN only. ' +
        'Left out: `seller` for a SELLER, `all` for an ADMIN, `buyer` for a BUYER. A SELLER sees their own purchases with `as=buyer`. Any other role is 403.',
    )
    .example('buyer'),
});
const cancelBody = Joi.object<{ reason?: string; requestId?: string }>({
  reason: reason("Kept as the order's `cancelReason` (and the refund's `reason` when a paid order is refunded).", 'Ordered the wrong size'),
  requestId: requestIdField,
}).description('The body may be left out.');
type FulfilmentBody = { status: FulfilmentStep; sellerId?: number; requestId?: string };
const fulfilmentBody = Joi.object<FulfilmentBody>({
  status: Joi.string()
    .valid(...FULFILMENT_STEPS)
    .required()
    .description(
      "The step the lines move to, the next one only: ORDERED → PREPARING → SHIPPED → DELIVERED (each line's `status`). Lines already there or past it stay; a step that would skip one for any of the lines moved, or that moves nothing, is 409 INVALID_STATE.",
    )
    .example('PREPARING'),
  sellerId: positiveId.description(
    "ADMIN only: move only this seller's lines (none of them in the order: 404). Left out, an ADMIN moves every line that stands right before `status`. A SELLER always moves their own lines; a SELLER naming anyone else is 403.",
  ),
  requestId: requestIdField,
});
const emptyBody = Joi.object<{ requestId?: string }>({ requestId: requestIdField }).description('The body may be left out.');
const payBody = Joi.object<{ orderId: number; requestId?: string }>({
  orderId: positiveId.required().description('The order to pay: CREATED and its reservation still holding'),
  requestId: requestIdField,
});
const confirmBody = Joi.object<{ paymentId: number; requestId?: string }>({
  paymentId: positiveId.required().description('The payment to settle'),
  requestId: requestIdField,
});
const paymentParams = Joi.object<{ paymentId: number }>({
  paymentId: positiveId.required().description('A payment id (a positive integer; anything else is 400).'),
});
const refundBody = Joi.object<{ orderId: number; reason?: string; items?: RefundRequestLine[]; requestId?: string }>({
  orderId: positiveId.required().description('The order to refund: CONFIRMED or PREPARING, with units not refunded yet'),
  reason: reason("Kept as the refund's `reason`, and as the order's `cancelReason` when the refund ends the order.", 'Changed my mind'),
  items: Joi.array()
    .items(
      Joi.object<RefundRequestLine>({
        orderItemId: positiveId.required().description("A line of the order (its item's `id`); a line of no such order, or of another, is 404."),
        quantity: Joi.number()
          .integer()
          .min(1)
          .max(1_000_000)
          .required()
          .description("Units of the line to refund. More than are left of it (bought, less refunded before) is 409 INVALID_STATE.")
          .example(1),
      }),
    )
    .min(1)
    .max(100)
    .unique('orderItemId')
    .description(
      'Only these units of these lines (a partial refund). Left out: every unit not refunded yet (the whole order, or what is left of it). Each line at most once (400). ' +
        "A partial refund that would leave what the order's coupon covers below the coupon's `minOrderAmount` (but not at 0) is 422 COUPON_MINIMUM_NOT_MET.",
    ),
  requestId: requestIdField,
});
const refundParams = Joi.object<{ refundId: number }>({
  refundId: positiveId.required().description('A refund id (a positive integer; anything else is 400).'),
});

const ORDER_NOT_FOUND = notFound('Order');
const PAYMENT_NOT_FOUND = notFound('Payment');

export const ORDER_OPERATIONS = {
  placeOrder: operation({
    method: 'post',
    path: '/orders',
    operationId: 'placeOrder',
    tag: 'Orders',
    summary: 'Place an order',
    description:
      'Any authenticated user; the caller is the buyer. In one transaction: the lines are checked, the stock of every line is reserved (all or nothing), the coupon is checked and bound, the amounts are worked out and the order is recorded CREATED. ' +
      'The reservation holds for `ORDER_RESERVATION_TTL_SECONDS` (default 30, see `reservationExpiresAt`): pay before then, or the sweeper cancels the order (reason `EXPIRED`) and releases the stock. ' +
      "Whenever the order is refused, nothing is reserved. Checked in this order after the shape: the rate limit (429), each line's product and option (404, 422 PRODUCT_UNAVAILABLE), the coupon (422), the order limits (422), the unpaid-order cap (429), the stock (409). " +
      'At most `RATE_LIMIT_ORDERS_PER_SECOND` (default 1; 0 switches it off) orders a second per user, across all instances: more is 429 RATE_LIMITED with `Retry-After`. A replay with the same Idempotency-Key is answered from the first answer and neither limited nor counted. ' +
      'At most `MAX_UNPAID_ORDERS_PER_USER` (default 5; 0 switches it off) live unpaid orders (CREATED or PENDING) per user, exact across all instances: another is 429 RATE_LIMITED with `Retry-After` (seconds until the earliest of them lets its reservation go, at least 1) until one is paid, cancelled or expires. Placing an order without the balance to pay it is allowed (the order waits for a charge).',
    body: placeBody,
    bodyName: 'PlaceOrderRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The new order, CREATED, its stock reserved until `reservationExpiresAt`', schema: 'Order' }],
    errors: [
      { code: 'VALIDATION_FAILED', when: 'the request is not valid (see the schema and "Refused input").', detail: 'The request is not valid' },
      {
        code: 'VALIDATION_FAILED',
        example: 'VALIDATION_FAILED_option',
        when: 'two lines name the same option, or a line leaves `optionId` out for a product with several options.',
        detail: 'items.1: option 7 is on two lines',
        errors: [{ field: 'items.1', message: 'option 7 is on two lines' }],
      },
      {
        code: 'NOT_FOUND',
        when: 'a line names a product that does not exist, or an option that is not one of its options.',
        detail: 'Product 999 does not exist',
      },
      {
        code: 'INSUFFICIENT_STOCK',
        when: 'a line asks for more than is available (`detail` names the line; nothing is reserved).',
        detail: 'Line 1 (Canvas sneakers / 270 mm): only 2 available, 3 requested',
      },
      { code: 'ORDER_LIMIT_EXCEEDED', when: 'more than 10 units of one option, or more than 30 in all.', detail: 'At most 10 units of one option per order (line 1 has 11)' },
      { code: 'PRODUCT_UNAVAILABLE', when: 'a product is DISCONTINUED.', detail: 'Product 7 is no longer sold' },
      {
        code: 'COUPON_NOT_APPLICABLE',
        when: "the `userCouponId` is unknown or someone else's, USED or EXPIRED, its coupon SUSPENDED, CANCELLED or outside its window, a SELLER's coupon with none of that seller's lines in the order, what it covers below its `minOrderAmount`, or it is bound to another unpaid order (see the request schema).",
        detail: "The order total 8000 is below the coupon's minimum of 10000",
      },
      {
        code: 'COUPON_NOT_APPLICABLE',
        example: 'COUPON_NOT_APPLICABLE_seller_minimum',
        when: "a SELLER's coupon whose lines come to less than its minimum.",
        detail: "Seller 12's products in the order come to 8000, below the coupon's minimum of 10000",
      },
      {
        code: 'COUPON_NOT_APPLICABLE',
        example: 'COUPON_NOT_APPLICABLE_no_line',
        when: "a SELLER's coupon and none of that seller's lines.",
        detail: "This coupon is for seller 12's products only, and the order has none of them",
      },
      { code: 'RATE_LIMITED', when: 'over `RATE_LIMIT_ORDERS_PER_SECOND` orders a second for this user.', detail: 'Too many orders; wait a moment' },
      {
        code: 'RATE_LIMITED',
        example: 'RATE_LIMITED_unpaid_orders',
        when: 'the user already has `MAX_UNPAID_ORDERS_PER_USER` live unpaid orders.',
        detail: 'You have 5 unpaid orders (at most 5); pay or cancel one before placing another',
      },
    ],
  }),
  listOrders: operation({
    method: 'get',
    path: '/orders',
    operationId: 'listOrders',
    tag: 'Orders',
    summary: 'List orders, newest first',
    description:
      "A BUYER sees the orders they placed. A SELLER sees the orders that hold their products, each as that seller sees it (SellerOrder: only their lines, what those come to and where they stand; never another seller's lines or prices), and their own purchases with `as=buyer`. An ADMIN sees every order, whole (`as=buyer` and `as=seller` narrow it to their own purchases or products). " +
      'Newest first, ties broken by id; `status` filters on the order\'s status.',
    query: listQuery,
    responses: [{ status: 200, description: 'A page of orders: Order items for `as=buyer` and `as=all`, SellerOrder items for `as=seller`', schema: 'OrderPage' }],
    errors: [
      { code: 'FORBIDDEN', when: '`as=all` by anyone but an ADMIN, or `as=seller` by a BUYER.', detail: 'Only an ADMIN lists everyone’s orders' },
    ],
  }),
  getOrder: operation({
    method: 'get',
    path: '/orders/:orderId',
    operationId: 'getOrder',
    tag: 'Orders',
    summary: 'One order',
    description:
      "Its buyer and an ADMIN see the whole order (Order, with its latest payment). A seller of some of its items sees it as that seller (SellerOrder: their lines only, what those come to and where they stand; never another seller's lines or prices). Anyone else: 403.",
    params: orderParams,
    responses: [{ status: 200, description: 'The order: whole (Order) to its buyer and an ADMIN, as that seller sees it (SellerOrder) to a seller of some of its items', schema: 'OrderOrSellerOrder' }],
    errors: [{ code: 'FORBIDDEN', when: "the order is someone else's.", detail: 'This order is someone else’s' }, ORDER_NOT_FOUND],
  }),
  cancelOrder: operation({
    method: 'put',
    path: '/orders/:orderId/cancel',
    operationId: 'cancelOrder',
    tag: 'Orders',
    summary: 'Cancel an order',
    description:
      'Its buyer or an ADMIN. CREATED (unpaid): CANCELLED, its stock released and its coupon free again. CONFIRMED or PREPARING with no line SHIPPED yet (paid, nothing shipped): refunded first (as `POST /api/v1/refunds`: balance credited, stock restocked, coupon usable again), then CANCELLED. ' +
      'Any other status (PENDING included: settle the payment first), or a PREPARING order one of whose sellers has shipped their lines, is 409 INVALID_STATE. The body may be left out.',
    params: orderParams,
    body: cancelBody,
    bodyName: 'CancelOrderRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'The order, CANCELLED', schema: 'Order' }],
    errors: [
      { code: 'FORBIDDEN', when: "the caller is neither the order's buyer nor an ADMIN.", detail: 'Only the order’s buyer may cancel it' },
      ORDER_NOT_FOUND,
      {
        code: 'INVALID_STATE',
        when: 'the order is PENDING, SHIPPED or later, PREPARING with some lines shipped, or already CANCELLED or FAILED.',
        detail: 'Order 42 is SHIPPED: it can no longer be cancelled',
      },
    ],
  }),
  advanceFulfillment: operation({
    method: 'post',
    path: '/orders/:orderId/fulfillment',
    operationId: 'advanceFulfillment',
    tag: 'Orders',
    summary: 'Move lines of a paid order one step towards delivery (their SELLER, or an ADMIN)',
    description:
      "Fulfilment is per seller: each line has its own `status` (ORDERED → PREPARING → SHIPPED → DELIVERED), and each seller moves their own lines, one step at a time, never back. A SELLER moves their lines of the order (a SELLER with none is 403); an ADMIN moves every line that stands right before `status`, or only `sellerId`'s lines. A BUYER is 403 before the order is looked up. " +
      "The order's status follows from its lines: CONFIRMED while every line is ORDERED; PREPARING once any line moved, while any is ORDERED or PREPARING; SHIPPED once every line is SHIPPED or DELIVERED; DELIVERED once every line is (then its buyer completes it). " +
      'An unpaid, cancelled or delivered order, a step that skips one for any of the lines moved, or a step that moves nothing, is 409 INVALID_STATE. Two sellers stepping at once never lose a step: the order is locked and each line moves only from the status it was read in. ' +
      'Events: `FulfilmentAdvanced` for each seller whose lines moved, and `OrderPreparing`, `OrderShipped` or `OrderDelivered` when the order\'s status changed. ' +
      'Answers the order as the caller may see it: as that seller sees it (SellerOrder) to a SELLER, whole (Order) to an ADMIN.',
    params: orderParams,
    body: fulfilmentBody,
    bodyName: 'FulfilmentRequest',
    idempotent: true,
    responses: [{ status: 200, description: "The order after the step: SellerOrder to a SELLER, Order to an ADMIN", schema: 'OrderOrSellerOrder' }],
    errors: [
      { code: 'FORBIDDEN', when: 'the caller is a BUYER.', detail: 'Only a seller of its items or an ADMIN may fulfil an order' },
      { code: 'FORBIDDEN', example: 'FORBIDDEN_not_seller', when: 'a SELLER none of whose products is in the order.', detail: 'None of this order’s items is yours' },
      {
        code: 'FORBIDDEN',
        example: 'FORBIDDEN_other_seller',
        when: "a SELLER names another seller's `sellerId`.",
        detail: 'A SELLER moves their own items only (leave `sellerId` out, or give your own)',
      },
      ORDER_NOT_FOUND,
      {
        code: 'NOT_FOUND',
        example: 'NOT_FOUND_seller_items',
        when: "an ADMIN's `sellerId` has no items in the order.",
        detail: 'Items of seller 12 in order 42 does not exist',
      },
      {
        code: 'INVALID_STATE',
        when: '`status` is not the next step of the lines moved, or moves nothing, or the order is not paid or is past SHIPPED.',
        detail: 'Order 42: the items of seller 12 are ORDERED: SHIPPED is not the next step',
      },
    ],
  }),
  completeOrder: operation({
    method: 'post',
    path: '/orders/:orderId/complete',
    operationId: 'completeOrder',
    tag: 'Orders',
    summary: 'Confirm the purchase (the buyer)',
    description:
      "The order's buyer only (not an ADMIN): DELIVERED (every line delivered) → COMPLETED, with the event `OrderCompleted`. Any other status is 409 INVALID_STATE. The body may be left out.",
    params: orderParams,
    body: emptyBody,
    bodyName: 'CompleteOrderRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'The order, COMPLETED', schema: 'Order' }],
    errors: [
      { code: 'FORBIDDEN', when: "the caller is not the order's buyer.", detail: 'Only the order’s buyer may confirm the purchase' },
      ORDER_NOT_FOUND,
      { code: 'INVALID_STATE', when: 'the order is not DELIVERED.', detail: 'Cannot complete order 42: it is SHIPPED' },
    ],
  }),
  payOrder: operation({
    method: 'post',
    path: '/payments/process',
    operationId: 'payOrder',
    tag: 'Payments',
    summary: 'Pay an order from the wallet',
    description:
      "The order's buyer (an ADMIN may too; the buyer's wallet pays). The order must be CREATED and its reservation still holding. The wallet is debited `finalAmount` (ledger `PAYMENT`), the stock confirmed, the coupon used, and the order CONFIRMED. " +
      'With the internal gateway (`PAYMENT_GATEWAY=internal`, the default) this is one transaction and answers 200. With an external gateway, the gateway is called outside any transaction: when its answer is lost (timeout, crash) the answer is 202 with the payment `GATEWAY_REQUESTED` and the order PENDING, ' +
      'settled later by `POST /api/v1/payments/confirm` or by recovery (after `PENDING_RECOVERY_AFTER_SECONDS`, default 60, then with backoff; see RecoveryState). ' +
      'When the wallet does not cover the amount nothing changes (409 INSUFFICIENT_BALANCE; the refused attempt is on record as a FAILED payment): the buyer may charge and pay again until the reservation expires. ' +
      "A declined payment (402) and a want of balance (409) count as failed payments; `FAILURE_BLOCK_THRESHOLD` (default 5; 0 switches it off) consecutive ones block the user's payments for `FAILURE_BLOCK_SECONDS` (default 600): 429 TOO_MANY_FAILURES with `Retry-After`, checked before anything else; a completed payment resets the count. " +
      'A replay of an `Idempotency-Key` answers the first answer as it was (`GET /api/v1/payments/{paymentId}` for the current state).',
    body: payBody,
    bodyName: 'PayRequest',
    idempotent: true,
    responses: [
      { status: 200, description: 'The payment, COMPLETED; the order is CONFIRMED', schema: 'Payment' },
      {
        status: 202,
        description:
          "The payment, `GATEWAY_REQUESTED`: the gateway's answer is unknown, the order is PENDING and the wallet debited until the payment is settled (confirm, or recovery)",
        schema: 'Payment',
      },
    ],
    errors: [
      {
        code: 'PAYMENT_DECLINED',
        when: 'the gateway declined. The order is FAILED; the balance, the stock and the coupon were given back.',
        detail: 'Payment 17 was not approved; the order failed and its stock and balance were given back',
      },
      { code: 'FORBIDDEN', when: "the order is someone else's.", detail: 'Only the order’s buyer may pay for it' },
      ORDER_NOT_FOUND,
      {
        code: 'INSUFFICIENT_BALANCE',
        when: 'the wallet does not cover `finalAmount` (nothing changes: the order stays CREATED and payable until it expires).',
        detail: 'The balance of 5000 won does not cover 78000 won',
      },
      {
        code: 'INVALID_STATE',
        when: 'the order is not CREATED (paid, pending, cancelled, failed) or its reservation expired.',
        detail: 'Order 42: its reservation expired at 2025-01-31T09:30:30.000Z',
      },
      {
        code: 'TOO_MANY_FAILURES',
        when: "the user's payments are blocked after `FAILURE_BLOCK_THRESHOLD` consecutive failed payments.",
        detail: 'Too many failed payments; try again later',
      },
    ],
  }),
  confirmPayment: operation({
    method: 'post',
    path: '/payments/confirm',
    operationId: 'confirmPayment',
    tag: 'Payments',
    summary: 'Settle a pending payment now',
    description:
      'The buyer or an ADMIN. Asks the gateway what became of a `GATEWAY_REQUESTED` payment and settles it at once, as recovery would: approved → COMPLETED (order CONFIRMED); not approved → FAILED (order FAILED, balance, stock and coupon given back). ' +
      'Idempotent: a payment already settled is answered as it is, and a settlement never happens twice. When the gateway still cannot say, or another instance is settling it right now, the payment is answered unchanged (`GATEWAY_REQUESTED`). ' +
      'Works whatever the recovery state: this is how an operator settles a payment handed over to them (`OPERATOR_REQUIRED`) once the gateway knows; it counts no recovery attempt. ' +
      'Always 200, whatever the outcome: read `status`.',
    body: confirmBody,
    bodyName: 'ConfirmPaymentRequest',
    idempotent: true,
    responses: [{ status: 200, description: 'The payment: COMPLETED, FAILED, or still GATEWAY_REQUESTED', schema: 'Payment' }],
    errors: [{ code: 'FORBIDDEN', when: "the payment is someone else's.", detail: 'Only the buyer may confirm this payment' }, PAYMENT_NOT_FOUND],
  }),
  getPayment: operation({
    method: 'get',
    path: '/payments/:paymentId',
    operationId: 'getPayment',
    tag: 'Payments',
    summary: 'One payment',
    description: 'The buyer or an ADMIN.',
    params: paymentParams,
    responses: [{ status: 200, description: 'The payment', schema: 'Payment' }],
    errors: [{ code: 'FORBIDDEN', when: "the payment is someone else's.", detail: 'This payment is someone else’s' }, PAYMENT_NOT_FOUND],
  }),
  getPaymentRecovery: operation({
    method: 'get',
    path: '/payments/:paymentId/recovery',
    operationId: 'getPaymentRecovery',
    tag: 'Payments',
    summary: 'Where the recovery of a payment stands',
    description:
      'The buyer or an ADMIN. For a payment waiting for the gateway: whether the recovery job or an operator settles it, how many attempts were inconclusive, and when the job asks next. ' +
      'A payment that does not wait (any other status) answers `state: null` with the attempts it took.',
    params: paymentParams,
    responses: [{ status: 200, description: "The payment's recovery", schema: 'PaymentRecovery' }],
    errors: [{ code: 'FORBIDDEN', when: "the payment is someone else's.", detail: 'This payment is someone else’s' }, PAYMENT_NOT_FOUND],
  }),
  refundOrder: operation({
    method: 'post',
    path: '/refunds',
    operationId: 'refundOrder',
    tag: 'Refunds',
    summary: 'Refund a paid order, or some units of its lines',
    description:
      "The order's buyer or an ADMIN. Only a CONFIRMED or PREPARING order (paid, not shipped as a whole), and only lines that have not SHIPPED (a shipped line comes back through a return, not a refund). Without `items`, every unit not refunded yet: in one transaction the wallet is credited what the buyer paid for them (ledger `REFUND`; the balance cap does not block it), the stock restocked, the coupon made usable again (REFUNDED), the payment REFUNDED and the order CANCELLED; on an order never refunded before, that is the whole payment. " +
      "With `items`, only those units (a partial refund): each line's units are credited at what the buyer paid for them, their price less their part of the line's discount (floor(line discount × units refunded so far / quantity), less what earlier refunds of the line carried: the last unit closes the line exactly), restocked, and their sale taken back from the statistics; the payment is PARTIALLY_REFUNDED and the order keeps its status and its coupon, until a refund takes its last unit (then as above). " +
      'Each refund is listed on the order (`refunds`, and each item\'s `refundedQuantity`) and sends `RefundCompleted`. Never more than was bought of a line, even with refunds at once. ' +
      'Without an `Idempotency-Key`, a refund of an order with nothing left to refund is 409 INVALID_STATE.',
    body: refundBody,
    bodyName: 'RefundRequest',
    idempotent: true,
    responses: [{ status: 201, description: 'The refund, REFUNDED, with the lines and units it gave back', schema: 'Refund' }],
    errors: [
      {
        code: 'VALIDATION_FAILED',
        example: 'VALIDATION_FAILED_item_twice',
        when: 'a line is named twice in `items`.',
        detail: 'The request is not valid',
        errors: [{ field: 'items.1', message: "'items[1]' contains a duplicate value" }],
      },
      { code: 'FORBIDDEN', when: "the caller is neither the order's buyer nor an ADMIN.", detail: 'Only the order’s buyer may refund it' },
      ORDER_NOT_FOUND,
      {
        code: 'NOT_FOUND',
        example: 'NOT_FOUND_order_item',
        when: 'an `orderItemId` is not a line of the order.',
        detail: 'Order item 57 of order 42 does not exist',
      },
      { code: 'INVALID_STATE', when: 'the order was refunded already (nothing left), is not CONFIRMED or PREPARING, or a line to refund has SHIPPED.', detail: 'Order 42 was refunded already' },
      {
        code: 'INVALID_STATE',
        example: 'INVALID_STATE_units_left',
        when: 'a line has fewer units left to refund than asked.',
        detail: 'Line 2 (order item 57) of order 42: 1 of its 2 units left to refund, 2 requested',
      },
      {
        code: 'COUPON_MINIMUM_NOT_MET',
        when: "a partial refund would leave the lines the order's coupon covers below its `minOrderAmount` (and above 0).",
        detail:
          "Order 42: the lines its coupon covers would come to 30000 after this refund, below the coupon's minimum of 50000; refund all of them, or the whole order, instead",
      },
    ],
  }),
  getRefund: operation({
    method: 'get',
    path: '/refunds/:refundId',
    operationId: 'getRefund',
    tag: 'Refunds',
    summary: 'One refund',
    description: "Whoever may see its order: the order's buyer, a SELLER of one of its lines, or an ADMIN (as `GET /api/v1/orders/{orderId}`, which lists it too).",
    params: refundParams,
    responses: [{ status: 200, description: 'The refund, with the lines and units it gave back', schema: 'Refund' }],
    errors: [{ code: 'FORBIDDEN', when: "the refund's order is someone else's.", detail: 'This refund is someone else’s' }, notFound('Refund')],
  }),
};

type OrderParams = { orderId: number };

export function orderRoutes(useCases: OrderUseCases, authenticate: Authenticate): Router {
  const router = Router();
  const route = routeDefiner(router, authenticate);
  const idempotent = idempotentVia(useCases.runIdempotently);
  const ops = ORDER_OPERATIONS;

  route(
    ops.placeOrder,
    idempotent(async (_req, res) => {
      const { requestId: _key, ...input } = checked<PlaceOrderInput & { requestId?: string }>(res).body;
      return { status: 201, body: await useCases.placeOrder.execute(actorOf(res), input) };
    }, useCases.placeOrder),
  );

  route(ops.listOrders, async (_req, res) => {
    res.json(await useCases.listOrders.execute(actorOf(res), checked<unknown, ListQuery>(res).query));
  });

  route(ops.getOrder, async (_req, res) => {
    res.json(await useCases.getOrder.execute(actorOf(res), checked<unknown, unknown, OrderParams>(res).params.orderId));
  });

  route(
    ops.cancelOrder,
    idempotent(async (_req, res) => {
      const { params, body } = checked<{ reason?: string }, unknown, OrderParams>(res);
      return { status: 200, body: await useCases.cancelOrder.execute(actorOf(res), params.orderId, body.reason ?? null) };
    }),
  );

  route(
    ops.advanceFulfillment,
    idempotent(async (_req, res) => {
      const { params, body } = checked<FulfilmentBody, unknown, OrderParams>(res);
      return { status: 200, body: await useCases.advanceFulfilment.execute(actorOf(res), params.orderId, body.status, body.sellerId) };
    }),
  );

  route(
    ops.completeOrder,
    idempotent(async (_req, res) => {
      const { params } = checked<unknown, unknown, OrderParams>(res);
      return { status: 200, body: await useCases.completeOrder.execute(actorOf(res), params.orderId) };
    }),
  );

  route(
    ops.payOrder,
    idempotent(
      async (_req, res) => {
        const outcome = await useCases.payForOrder.execute(actorOf(res), checked<{ orderId: number }>(res).body.orderId);
        // 202: the gateway's answer is unknown; the order is PENDING until it is settled.
        return { status: outcome.settled ? 200 : 202, body: outcome.payment };
      },
      useCases.payForOrder,
    ),
  );

  route(
    ops.confirmPayment,
    idempotent(
      async (_req, res) => ({
        status: 200,
        body: await useCases.settlePendingPayment.confirm(actorOf(res), checked<{ paymentId: number }>(res).body.paymentId),
      }),
      useCases.settlePendingPayment,
    ),
  );

  route(ops.getPayment, async (_req, res) => {
    res.json(await useCases.getPayment.execute(actorOf(res), checked<unknown, unknown, { paymentId: number }>(res).params.paymentId));
  });

  route(ops.getPaymentRecovery, async (_req, res) => {
    res.json(await useCases.getPaymentRecovery.execute(actorOf(res), checked<unknown, unknown, { paymentId: number }>(res).params.paymentId));
  });

  route(
    ops.refundOrder,
    idempotent(async (_req, res) => {
      const { body } = checked<{ orderId: number; reason?: string; items?: RefundRequestLine[] }>(res);
      return { status: 201, body: await useCases.refundOrder.execute(actorOf(res), body.orderId, body.reason ?? null, body.items ?? null) };
    }),
  );

  route(ops.getRefund, async (_req, res) => {
    res.json(await useCases.getRefund.execute(actorOf(res), checked<unknown, unknown, { refundId: number }>(res).params.refundId));
  });

  return router;
}
