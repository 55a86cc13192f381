import { admitThrough, type CouponIssueGate, type GateAnswer, type IssueTerms, type TakeOptions } from '../../application/ports/coupon-issue-gate.js';
import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import { COUPON_LIMITS, Coupon, type CouponSnapshot, type NewCoupon } from '../../domain/coupon/coupon.js';
import { CouponCodeTaken } from '../../domain/coupon/errors.js';
import type { CouponQuery, CouponRepository, IssuedCopies, UserCouponRepository } from '../../domain/coupon/repositories.js';
import { type NewUserCoupon, UserCoupon, type UserCouponSnapshot, type UserCouponStatus } from '../../domain/coupon/user-coupon.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { offsetOf, type Page, pageOf } from '../../domain/shared/page.js';
import { MemorySequence, MemoryTable, type MemoryTransactionManager } from './memory-transaction-manager.js';

/** The CHECK constraints of `coupons` (migrations/0005): what the database refuses is refused here too. */
function assertCouponRow(c: NewCoupon): void {
  const problems: string[] = [];
  if (!COUPON_LIMITS.codePattern.test(c.code)) problems.push('code must match ^[A-Za-z0-9_-]{1,40}$');
  if (c.name.length < 1 || c.name.length > COUPON_LIMITS.maxNameLength) problems.push('name must be 1..100 characters');
  if (!(c.discountValue >= 1) || (c.type === 'PERCENTAGE' && c.discountValue > 100)) problems.push('discount_value out of range');
  if (c.maxDiscountAmount !== null && !(c.maxDiscountAmount >= 1)) problems.push('max_discount_amount must be >= 1');
  if (!(c.minOrderAmount >= 0)) problems.push('min_order_amount must be >= 0');
  if (c.totalQuantity !== null && !(c.totalQuantity >= 1)) problems.push('total_quantity must be >= 1');
  if (!(c.issuedQuantity >= 0) || (c.totalQuantity !== null && c.issuedQuantity > c.totalQuantity)) problems.push('issued_quantity must be within 0..total_quantity');
  if (!(c.perUserLimit >= 1 && c.perUserLimit <= COUPON_LIMITS.maxPerUserLimit)) problems.push('per_user_limit must be within 1..100');
  if (!(c.validUntil.getTime() > c.validFrom.getTime())) problems.push('valid_until must be after valid_from');
  if (c.sellerId !== null && c.sellerId !== c.createdBy) problems.push('seller_id must be null or created_by');
  if (problems.length > 0) throw new Error(`coupon row refused (check constraint): ${problems.join('; ')}`);
}

/**
 * Coupons in a MemoryTable, with the database's guards (migrations/0005): unique code in any
 * case, never more issued than the total, cancelled and expired final. Memory transactions run
 * one at a time, so a read inside one is as good as a lock.
 */
export class MemoryCouponRepository implements CouponRepository {
  private readonly rows: MemoryTable<number, CouponSnapshot>;
  private readonly ids = new MemorySequence();

  constructor(transactions: MemoryTransactionManager) {
    this.rows = new MemoryTable(transactions);
  }

  async add(coupon: NewCoupon): Promise<Coupon> {
    assertCouponRow(coupon);
    const code = coupon.code.toUpperCase();
    if (this.rows.values().some((c) => c.code.toUpperCase() === code)) throw new CouponCodeTaken(`The coupon code ${coupon.code} is already taken`);
    const row: CouponSnapshot = { ...coupon, id: this.ids.next() };
    this.rows.set(row.id, row);
    return Coupon.created(row);
  }

  async get(id: number): Promise<Coupon | null> {
    const row = this.rows.get(id);
    return row ? Coupon.fromSnapshot(row) : null;
  }

  async getMany(ids: number[]): Promise<Map<number, Coupon>> {
    const found = new Map<number, Coupon>();
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row) found.set(id, Coupon.fromSnapshot(row));
    }
    return found;
  }

  async findByCode(code: string): Promise<Coupon | null> {
    const wanted = code.toUpperCase();
    const row = this.rows.values().find((c) => c.code.toUpperCase() === wanted);
    return row ? Coupon.fromSnapshot(row) : null;
  }

  async list(query: CouponQuery): Promise<Page<Coupon>> {
    const code = query.code?.toUpperCase();
    const matching = this.rows
      .values()
      .filter(
        (row) =>
          (query.createdBy === undefined || row.createdBy === query.createdBy) &&
          (query.sellerId === undefined || row.sellerId === query.sellerId) &&
          (code === undefined || row.code.toUpperCase() === code) &&
          (query.status === undefined || Coupon.fromSnapshot(row).statusAt(query.now) === query.status),
      )
      .sort((a, b) => b.id - a.id);
    const start = offsetOf(query);
    return pageOf(
      matching.slice(start, start + query.size).map((row) => Coupon.fromSnapshot(row)),
      query,
      matching.length,
    );
  }

  async save(coupon: Coupon): Promise<Coupon> {
    const next = coupon.toSnapshot();
    const row = this.rows.get(next.id);
    if (!row) throw new NotFound('Coupon', next.id);
    if (row.status === 'CANCELLED' || row.status === 'EXPIRED') throw new InvalidState(`Coupon ${next.id} is cancelled or expired: it can no longer change`);
    const saved = { ...row, status: next.status, updatedAt: next.updatedAt };
    this.rows.set(saved.id, saved);
    return Coupon.fromSnapshot(saved);
  }

  async countOneIssued(couponId: number, now: Date): Promise<boolean> {
    const row = this.rows.get(couponId);
    if (!row || row.status !== 'ACTIVE') return false;
    if (now.getTime() < row.validFrom.getTime() || now.getTime() >= row.validUntil.getTime()) return false;
    if (row.totalQuantity !== null && row.issuedQuantity >= row.totalQuantity) return false;
    this.rows.set(couponId, { ...row, issuedQuantity: row.issuedQuantity + 1 });
    return true;
  }

  async expireEnded(now: Date): Promise<number> {
    let expired = 0;
    for (const row of this.rows.values()) {
      if ((row.status === 'ACTIVE' || row.status === 'SUSPENDED') && row.validUntil.getTime() <= now.getTime()) {
        this.rows.set(row.id, { ...row, status: 'EXPIRED', updatedAt: now });
        expired++;
      }
    }
    return expired;
  }
}

export class MemoryUserCouponRepository implements UserCouponRepository {
  private readonly rows: MemoryTable<number, UserCouponSnapshot>;
  private readonly ids = new MemorySequence();

  constructor(transactions: MemoryTransactionManager) {
    this.rows = new MemoryTable(transactions);
  }

  async issue(copy: NewUserCoupon, perUserLimit: number): Promise<UserCoupon | null> {
    const held = await this.heldBy(copy.couponId, copy.userId);
    if (held >= perUserLimit) return null;
    const row: UserCouponSnapshot = { ...copy, id: this.ids.next(), n: held + 1, status: 'ISSUED', orderId: null, usedAt: null };
    this.rows.set(row.id, row);
    return UserCoupon.fromSnapshot(row);
  }

  async get(id: number): Promise<UserCoupon | null> {
    const row = this.rows.get(id);
    return row ? UserCoupon.fromSnapshot(row) : null;
  }

  getForUpdate(id: number): Promise<UserCoupon | null> {
    return this.get(id);
  }

  async save(copy: UserCoupon): Promise<void> {
    const next = copy.toSnapshot();
    const row = this.rows.get(next.id);
    if (!row) throw new NotFound('User coupon', next.id);
    if (next.status === 'USED' && (next.orderId === null || next.usedAt === null)) throw new Error('user coupon row refused: USED needs order_id and used_at');
    this.rows.set(next.id, { ...row, status: next.status, orderId: next.orderId, usedAt: next.usedAt });
  }

  async heldBy(couponId: number, userId: number): Promise<number> {
    return this.rows.values().filter((r) => r.couponId === couponId && r.userId === userId).length;
  }

  async listForUser(userId: number, status?: UserCouponStatus): Promise<UserCoupon[]> {
    return this.rows
      .values()
      .filter((r) => r.userId === userId && (status === undefined || r.status === status))
      .sort((a, b) => b.id - a.id)
      .map((r) => UserCoupon.fromSnapshot(r));
  }

  async issuedCopies(couponId: number): Promise<IssuedCopies> {
    const perUser = new Map<number, number>();
    for (const r of this.rows.values()) if (r.couponId === couponId) perUser.set(r.userId, (perUser.get(r.userId) ?? 0) + 1);
    return { issued: [...perUser.values()].reduce((a, b) => a + b, 0), perUser };
  }

  async expireEnded(now: Date): Promise<number> {
    let expired = 0;
    for (const row of this.rows.values()) {
      if ((row.status === 'ISSUED' || row.status === 'REFUNDED') && row.orderId === null && row.expiresAt.getTime() <= now.getTime()) {
        this.rows.set(row.id, { ...row, status: 'EXPIRED' });
        expired++;
      }
    }
    return expired;
  }
}

interface GateState {
  total: number;
  issued: number;
  perUser: Map<number, number>;
}

/**
 * The gate in process memory, as the Redis one works: a count per coupon and per user, loaded
 * from the records when the gate does not know the coupon (first use, or after forget()).
 * One process only.
 */
export class MemoryIssueGate implements CouponIssueGate {
  private readonly states = new Map<number, GateState>();

  constructor(
    private readonly records: Pick<UserCouponRepository, 'issuedCopies'>,
    /** What counts an admission passed to take(). */
    private readonly limiter?: RateLimiter,
  ) {}

  async prepare(terms: IssueTerms): Promise<void> {
    if (this.states.has(terms.couponId)) return;
    const copies = await this.records.issuedCopies(terms.couponId);
    if (!this.states.has(terms.couponId)) this.states.set(terms.couponId, { total: terms.totalQuantity, issued: copies.issued, perUser: new Map(copies.perUser) });
  }

  async take(terms: IssueTerms, userId: number, options: TakeOptions = {}): Promise<GateAnswer> {
    await admitThrough(this.limiter, options.admission);
    let state = this.states.get(terms.couponId);
    if (!state) {
      const copies = await this.records.issuedCopies(terms.couponId);
      // Another take may have loaded it while this one waited.
      state = this.states.get(terms.couponId) ?? { total: terms.totalQuantity, issued: copies.issued, perUser: new Map(copies.perUser) };
      this.states.set(terms.couponId, state);
    }
    const held = state.perUser.get(userId) ?? 0;
    if (held >= terms.perUserLimit) return 'ALREADY_ISSUED';
    if (state.issued >= state.total) return 'EXHAUSTED';
    state.issued++;
    state.perUser.set(userId, held + 1);
    return 'TAKEN';
  }

  async giveBack(couponId: number, userId: number): Promise<void> {
    const state = this.states.get(couponId);
    if (!state) return;
    const held = state.perUser.get(userId) ?? 0;
    if (held === 0) return; // not this user's claim (the state was reloaded since)
    state.perUser.set(userId, held - 1);
    state.issued--;
  }

  async forget(couponId: number): Promise<void> {
    this.states.delete(couponId);
  }

  async disputed(): Promise<void> {
    // Claims live and die with this process: none can be lost while it runs.
  }
}
