import type { Payment } from '../../domain/ordering/payment.js';
import { Forbidden, NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { OrderingContext } from './ordering-context.js';

/** The payment, for its buyer or an ADMIN (404 before 403): what reading a payment or its recovery checks first. */
export async function paymentSeenBy(ctx: OrderingContext, actor: Actor, paymentId: number): Promise<Payment> {
  const payment = await ctx.payments.get(paymentId);
  if (!payment) throw new NotFound('Payment', paymentId);
  if (actor.role !== 'ADMIN' && payment.userId !== actor.userId) throw new Forbidden('This payment is someone else’s');
  return payment;
}
