export interface GatewayPayment {
  paymentId: number;
  orderId: number;
  userId: number;
  amount: number;
}

/** What the gateway answered to a payment request; UNKNOWN when the answer was lost. */
export type GatewayAnswer = 'APPROVED' | 'DECLINED' | 'UNKNOWN';
/** What the gateway says of an earlier request when asked again. */
export type GatewayStatus = 'APPROVED' | 'NOT_APPROVED' | 'UNKNOWN';

export interface PaymentGateway {
  /**
   * True for a gateway that answers at once without the network (the balance itself is the means
   * of payment): the whole payment is then one database transaction. Otherwise the gateway is
   * called outside any transaction.
   */
  readonly settlesInTransaction: boolean;
  /** Must not throw for a lost answer: that is UNKNOWN. */
  request(payment: GatewayPayment): Promise<GatewayAnswer>;
  status(payment: GatewayPayment): Promise<GatewayStatus>;
}
