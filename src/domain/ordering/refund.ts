export const REFUND_STATUSES = ['REFUND_REQUESTED', 'PROCESSING', 'REFUNDED', 'FAILED', 'MANUAL'] as const;
export type RefundStatus = (typeof REFUND_STATUSES)[number];

export interface RefundSnapshot {
  id: number;
  orderId: number;
  paymentId: number;
  amount: number;
  status: RefundStatus;
  reason: string | null;
  createdAt: Date;
}

export type NewRefund = Omit<RefundSnapshot, 'id'>;
