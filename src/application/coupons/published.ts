/**
 * What other contexts may use of the coupon context's domain: the ports through which an order
 * binds, uses and gives back a user's coupon copy, the discount a coupon gives, and the error an
 * order passes on. Importing the coupon domain directly breaks the context rule.
 */
export type { CouponDiscount } from '../../domain/coupon/coupon.js';
export { CouponNotApplicable } from '../../domain/coupon/errors.js';
export type { CouponRepository, UserCouponRepository } from '../../domain/coupon/repositories.js';
