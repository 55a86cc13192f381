import { Coupon, type CouponSnapshot } from '../../domain/coupon/coupon.js';
import { CouponAlreadyIssued, CouponExhausted } from '../../domain/coupon/errors.js';
import { NotFound } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import type { RunsAs } from '../idempotency/run-idempotently.js';
import type { IssueTerms } from '../ports/coupon-issue-gate.js';
import { assertWithinLimit } from '../ports/rate-limiter.js';
import {
  COUPON_CODE_TTL_SECONDS,
  COUPON_ISSUE_RATE_LIMIT,
  COUPON_TERMS_TTL_SECONDS,
  type CouponContext,
  couponCodeNamespace,
  couponNamespace,
} from './coupon-context.js';
import { userCouponView, type UserCouponView } from './views.js';

/** The coupon to be issued a copy of, by its id or by its code (any case). */
export type IssueRequest = ({ couponId: number } | { couponCode: string }) & {
  /** The limited-issue endpoint: only coupons with a total quantity. */
  limitedOnly: boolean;
};

const termsOf = (coupon: Coupon): IssueTerms => ({
  couponId: coupon.id,
  totalQuantity: coupon.totalQuantity ?? 0,
  perUserLimit: coupon.perUserLimit,
  validUntil: coupon.validUntil,
});

/**
 * First come, first served. For a limited coupon the gate (Redis when configured) answers the
 * crowd: only those it lets through write to the database, where a guarded counter and the
 * unique per-user numbering decide for good. If the database refuses a claim the gate granted,
 * the gate is told, so it never hands one out twice; if the gate turns people away while the
 * database still has copies (claims lost in a crash), the gate is told that too, and reloads.
 * No transaction is open while the gate is asked (the route runs this outside one).
 */
export class IssueCouponFirstComeFirstServed implements RunsAs {
  /** The gate (Redis) is asked before the issue's own transaction opens: not run inside a caller's. */
  readonly transactional = false;

  constructor(private readonly ctx: CouponContext) {}

  /**
   * At most RATE_LIMIT_COUPON_ISSUES_PER_MINUTE attempts a user, counted before anything else is
   * answered (a 429 comes before a 404 or a 409), and for every attempt, refused ones included.
   * Not through RunsAs.admit: for a limited coupon the gate counts the attempt in the same step as
   * its take (with Redis, one round trip for both); every other request is counted here, before
   * its answer.
   */
  async execute(actor: Actor, request: IssueRequest): Promise<UserCouponView> {
    const now = this.ctx.clock.now();
    let coupon: Coupon;
    try {
      coupon = await this.issuable(request, now);
    } catch (error) {
      // A 404, a 409 COUPON_NOT_ISSUABLE or a failure: still an attempt, and a 429 comes first.
      await this.countAttempt(actor);
      throw error;
    }

    const gated = coupon.isLimited;
    if (gated) {
      // The row was read a moment ago: copies left there that the gate counts as gone are disputed.
      const answer = await this.ctx.gate.take(termsOf(coupon), actor.userId, {
        admission: { action: COUPON_ISSUE_RATE_LIMIT, subject: String(actor.userId), refusal: RATE_LIMIT_REFUSAL },
        copiesLeftInDatabase: (coupon.remainingQuantity ?? 0) > 0,
      });
      if (answer === 'ALREADY_ISSUED') {
        if ((await this.ctx.userCoupons.heldBy(coupon.id, actor.userId)) < coupon.perUserLimit) await this.ctx.gate.disputed(coupon.id);
        throw alreadyIssued(coupon);
      }
      if (answer === 'EXHAUSTED') throw exhausted(coupon);
    } else {
      await this.countAttempt(actor);
    }
    try {
      return await this.ctx.transactions.run(() => this.issue(coupon, actor.userId, now));
    } catch (error) {
      if (gated) await this.undoClaim(coupon.id, actor.userId, error);
      throw error;
    }
  }

  /**
   * The coupon named, by id or code, if it may be asked for: NOT_FOUND, or COUPON_NOT_ISSUABLE
   * (limited-only endpoint, not being issued). One that ran out is still asked of the gate and the
   * counters, which tell a user who already holds it (COUPON_ALREADY_ISSUED) from one who came too
   * late (COUPON_EXHAUSTED).
   */
  private async issuable(request: IssueRequest, now: Date): Promise<Coupon> {
    // By code: the id first, then the same cached read of the coupon as by id; the gate and the
    // guarded counter only ever see the id.
    const couponId = 'couponId' in request ? request.couponId : await this.resolveCode(request.couponCode);
    const coupon = await this.readCoupon(couponId);
    if (!coupon) {
      // A code is only ever resolved to a coupon that was there; should it still name none (a
      // creation read before it rolled back), look it up afresh next time.
      if (!('couponCode' in request)) throw new NotFound('Coupon', couponId);
      await this.ctx.couponCache.invalidate(couponCodeNamespace(request.couponCode));
      throw new NotFound('Coupon', request.couponCode);
    }
    // Run out or not: the gate and the counters answer that (not an error thrown and caught here
    // on every request of a storm, once the cached coupon shows none left).
    coupon.assertBeingIssued(now, { limitedOnly: request.limitedOnly });
    return coupon;
  }

  /** Counts the attempt when no gate does (see execute). */
  private async countAttempt(actor: Actor): Promise<void> {
    await assertWithinLimit(this.ctx.rateLimiter, COUPON_ISSUE_RATE_LIMIT, String(actor.userId), RATE_LIMIT_REFUSAL);
  }

  private async issue(coupon: Coupon, userId: number, now: Date): Promise<UserCouponView> {
    // Already holding is the better answer than "none left": asked first, settled by the insert.
    if ((await this.ctx.userCoupons.heldBy(coupon.id, userId)) >= coupon.perUserLimit) throw alreadyIssued(coupon);
    if (!(await this.ctx.coupons.countOneIssued(coupon.id, now))) {
      // Why not? Re-read: it ran out, or it stopped being issued since it was read.
      const current = await this.ctx.coupons.get(coupon.id);
      current?.assertIssuable(now, { limitedOnly: false });
      throw exhausted(coupon);
    }
    const copy = await this.ctx.userCoupons.issue({ couponId: coupon.id, userId, issuedAt: now, expiresAt: coupon.validUntil }, coupon.perUserLimit);
    if (!copy) throw alreadyIssued(coupon);
    coupon.issued(copy, now);
    await this.ctx.events.writeEventsOf(coupon);
    return userCouponView(copy, coupon);
  }

  /**
   * A code's coupon id, through the same cache as the coupon's terms. A code never changes and a
   * coupon is never deleted, so the answer may be kept longer than the terms; an unknown code is
   * not kept (the coupon may be created the next moment) and is NOT_FOUND.
   */
  private async resolveCode(code: string): Promise<number> {
    const id = await this.ctx.couponCache.getOrLoad(couponCodeNamespace(code), 'id', COUPON_CODE_TTL_SECONDS, async () => {
      const found = await this.ctx.coupons.findByCode(code);
      return found ? found.id : null;
    });
    if (id === null) throw new NotFound('Coupon', code);
    return id;
  }

  /** Through the short-lived cache (as JSON: dates travel as ISO strings). */
  private async readCoupon(couponId: number): Promise<Coupon | null> {
    const cached = await this.ctx.couponCache.getOrLoad(couponNamespace(couponId), 'terms', COUPON_TERMS_TTL_SECONDS, async () => {
      const found = await this.ctx.coupons.get(couponId);
      return found ? found.toSnapshot() : null;
    });
    if (!cached) return null;
    const raw = cached as unknown as Record<keyof CouponSnapshot, unknown>;
    const date = (value: unknown) => new Date(value as string | Date);
    return Coupon.fromSnapshot({
      ...cached,
      validFrom: date(raw.validFrom),
      validUntil: date(raw.validUntil),
      createdAt: date(raw.createdAt),
      updatedAt: date(raw.updatedAt),
    });
  }

  /** The database did not issue what the gate granted. */
  private async undoClaim(couponId: number, userId: number, error: unknown): Promise<void> {
    try {
      // The gate counted wrong (it lost its state, or lags the database): let it start again
      // from the database. Any other failure: the claim is simply given back.
      if (error instanceof CouponExhausted || error instanceof CouponAlreadyIssued) await this.ctx.gate.forget(couponId);
      else await this.ctx.gate.giveBack(couponId, userId);
    } catch (gateError) {
      this.ctx.logger.warn('could not undo a coupon claim in the issue gate', { couponId, userId, error: String(gateError) });
    }
  }
}

const RATE_LIMIT_REFUSAL = 'Too many coupon requests; wait a moment';

const alreadyIssued = (coupon: Coupon) =>
  new CouponAlreadyIssued(`You already hold ${coupon.perUserLimit === 1 ? 'this coupon' : `${coupon.perUserLimit} of this coupon`}`);
const exhausted = (coupon: Coupon) => new CouponExhausted(`Coupon ${coupon.id} has no copies left`);
