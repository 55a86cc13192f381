/** What pending-payment recovery reports, for dashboards and alerts. */
export interface PaymentRecoveryMetrics {
  /** A payment was handed to an operator just now (alert on it). */
  handedOver(): void;
  /** How many payments wait for an operator, as the recovery job last counted them. */
  awaitingOperator(count: number): void;
}
