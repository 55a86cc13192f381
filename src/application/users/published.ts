/**
 * What other contexts may use of the user context's domain beyond the Actor (published in the
 * domain itself): the port to look a user up, as the coupon context does to tell an unknown user
 * from one with no coupons.
 */
export type { UserRepository } from '../../domain/user/user-repository.js';
