/**
 * What other contexts may use of the ordering context's domain: the payments port, which the
 * business metrics read for the payments waiting on the gateway.
 */
export type { PaymentRepository } from '../../domain/ordering/repositories.js';
