import type { Knex } from 'knex';
import { Coupon, type CouponSnapshot, type CouponStatus, type NewCoupon, type StoredCouponStatus } from '../../domain/coupon/coupon.js';
import { CouponCodeTaken } from '../../domain/coupon/errors.js';
import type { CouponQuery, CouponRepository, IssuedCopies, UserCouponRepository } from '../../domain/coupon/repositories.js';
import { type NewUserCoupon, UserCoupon, type UserCouponStatus } from '../../domain/coupon/user-coupon.js';
import { InvalidState, NotFound } from '../../domain/shared/errors.js';
import { offsetOf, type Page, pageOf } from '../../domain/shared/page.js';
import { admitThrough, type CouponIssueGate, type GateAnswer, type IssueTerms, type TakeOptions } from '../../application/ports/coupon-issue-gate.js';
import type { RateLimiter } from '../../application/ports/rate-limiter.js';
import type { KnexTransactionManager } from './knex-transaction-manager.js';
import { isUniqueViolation } from './pg-errors.js';

type Num = string | number;

interface CouponRow {
  id: Num;
  code: string;
  name: string;
  type: CouponSnapshot['type'];
  discount_value: Num;
  max_discount_amount: Num | null;
  min_order_amount: Num;
  total_quantity: Num | null;
  issued_quantity: Num;
  per_user_limit: number;
  valid_from: Date;
  valid_until: Date;
  status: StoredCouponStatus;
  seller_id: Num | null;
  created_by: Num;
  created_at: Date;
  updated_at: Date;
}

interface UserCouponRow {
  id: Num;
  coupon_id: Num;
  user_id: Num;
  n: number;
  status: UserCouponStatus;
  order_id: Num | null;
  issued_at: Date;
  used_at: Date | null;
  expires_at: Date;
}

const orNull = (value: Num | null): number | null => (value === null ? null : Number(value));

const couponSnapshotOf = (r: CouponRow): CouponSnapshot => ({
  id: Number(r.id),
  code: r.code,
  name: r.name,
  type: r.type,
  discountValue: Number(r.discount_value),
  maxDiscountAmount: orNull(r.max_discount_amount),
  minOrderAmount: Number(r.min_order_amount),
  totalQuantity: orNull(r.total_quantity),
  issuedQuantity: Number(r.issued_quantity),
  perUserLimit: r.per_user_limit,
  validFrom: new Date(r.valid_from),
  validUntil: new Date(r.valid_until),
  status: r.status,
  sellerId: orNull(r.seller_id),
  createdBy: Number(r.created_by),
  createdAt: new Date(r.created_at),
  updatedAt: new Date(r.updated_at),
});

const toCoupon = (r: CouponRow): Coupon => Coupon.fromSnapshot(couponSnapshotOf(r));

const toUserCoupon = (r: UserCouponRow): UserCoupon =>
  UserCoupon.fromSnapshot({
    id: Number(r.id),
    couponId: Number(r.coupon_id),
    userId: Number(r.user_id),
    n: r.n,
    status: r.status,
    orderId: orNull(r.order_id),
    issuedAt: new Date(r.issued_at),
    usedAt: r.used_at === null ? null : new Date(r.used_at),
    expiresAt: new Date(r.expires_at),
  });

/**
 * Each status a client sees, as a condition on the row at `now`: the same decision as
 * `Coupon.statusAt` (set status first, then the window, then the counters), written per status
 * so that each is a plain condition the planner can use. `valid_from < valid_until` (CHECK), so a
 * coupon before its window is never past it too.
 */
const STATUS_AT: Record<CouponStatus, (q: Knex.QueryBuilder, now: Date) => void> = {
  CANCELLED: (q) => void q.where('status', 'CANCELLED'),
  SUSPENDED: (q) => void q.where('status', 'SUSPENDED'),
  EXPIRED: (q, now) => void q.where((w) => w.where('status', 'EXPIRED').orWhere((a) => a.where('status', 'ACTIVE').andWhere('valid_until', '<=', now))),
  CREATED: (q, now) => void q.where('status', 'ACTIVE').andWhere('valid_from', '>', now),
  EXHAUSTED: (q, now) =>
    void q
      .where('status', 'ACTIVE')
      .andWhere('valid_from', '<=', now)
      .andWhere('valid_until', '>', now)
      .whereNotNull('total_quantity')
      .andWhereRaw('issued_quantity >= total_quantity'),
  ACTIVE: (q, now) =>
    void q
      .where('status', 'ACTIVE')
      .andWhere('valid_from', '<=', now)
      .andWhere('valid_until', '>', now)
      .andWhere((w) => w.whereNull('total_quantity').orWhereRaw('issued_quantity < total_quantity')),
};

export class PostgresCouponRepository implements CouponRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  async add(coupon: NewCoupon): Promise<Coupon> {
    try {
      const [row] = await this.tx
        .connection()<CouponRow>('coupons')
        .insert({
          code: coupon.code,
          name: coupon.name,
          type: coupon.type,
          discount_value: coupon.discountValue,
          max_discount_amount: coupon.maxDiscountAmount,
          min_order_amount: coupon.minOrderAmount,
          total_quantity: coupon.totalQuantity,
          issued_quantity: coupon.issuedQuantity,
          per_user_limit: coupon.perUserLimit,
          valid_from: coupon.validFrom,
          valid_until: coupon.validUntil,
          status: coupon.status,
          seller_id: coupon.sellerId,
          created_by: coupon.createdBy,
          created_at: coupon.createdAt,
          updated_at: coupon.updatedAt,
        })
        .returning('*');
      return Coupon.created(couponSnapshotOf(row as CouponRow));
    } catch (error) {
      if (isUniqueViolation(error, 'coupons_code_key')) throw new CouponCodeTaken(`The coupon code ${coupon.code} is already taken`);
      throw error;
    }
  }

  async get(id: number): Promise<Coupon | null> {
    const row = await this.tx.connection()<CouponRow>('coupons').where('id', id).first();
    return row ? toCoupon(row) : null;
  }

  async getMany(ids: number[]): Promise<Map<number, Coupon>> {
    if (ids.length === 0) return new Map();
    const rows = await this.tx.connection()<CouponRow>('coupons').whereIn('id', ids);
    return new Map(rows.map((r) => [Number(r.id), toCoupon(r)]));
  }

  /** `upper(code)` is what the unique index `coupons_code_key` holds: one index lookup. */
  async findByCode(code: string): Promise<Coupon | null> {
    const row = await this.tx.connection()<CouponRow>('coupons').whereRaw('upper(code) = upper(?)', [code]).first();
    return row ? toCoupon(row) : null;
  }

  /**
   * Newest first. A seller's coupons through `coupons_by_creator (created_by, id DESC)`; a
   * `sellerId` filter is also a `created_by` one (CHECK: a scope is always its creator), so it
   * takes the same index.
   */
  async list(query: CouponQuery): Promise<Page<Coupon>> {
    const db = this.tx.connection();
    const filtered = () => {
      const q = db<CouponRow>('coupons');
      if (query.createdBy !== undefined) q.where('created_by', query.createdBy);
      if (query.sellerId !== undefined) q.where('created_by', query.sellerId).andWhere('seller_id', query.sellerId);
      if (query.code !== undefined) q.whereRaw('upper(code) = upper(?)', [query.code]);
      if (query.status !== undefined) STATUS_AT[query.status](q, query.now);
      return q;
    };
    const [counted] = await filtered().count<{ n: Num }[]>({ n: '*' });
    const total = Number(counted?.n ?? 0);
    const rows = total === 0 ? [] : ((await filtered().orderBy('id', 'desc').offset(offsetOf(query)).limit(query.size)) as CouponRow[]);
    return pageOf(rows.map(toCoupon), query, total);
  }

  /** Cancelled and expired are final here too: a racing change cannot bring one back. */
  async save(coupon: Coupon): Promise<Coupon> {
    const c = coupon.toSnapshot();
    const [row] = await this.tx
      .connection()<CouponRow>('coupons')
      .where('id', c.id)
      .whereNotIn('status', ['CANCELLED', 'EXPIRED'])
      .update({ status: c.status, updated_at: c.updatedAt })
      .returning('*');
    if (row) return toCoupon(row as CouponRow);
    if (!(await this.get(c.id))) throw new NotFound('Coupon', c.id);
    throw new InvalidState(`Coupon ${c.id} is cancelled or expired: it can no longer change`);
  }

  async countOneIssued(couponId: number, now: Date): Promise<boolean> {
    const moved = await this.tx
      .connection()('coupons')
      .where('id', couponId)
      .andWhere('status', 'ACTIVE')
      .andWhere('valid_from', '<=', now)
      .andWhere('valid_until', '>', now)
      .andWhere((q) => q.whereNull('total_quantity').orWhereRaw('issued_quantity < total_quantity'))
      .increment('issued_quantity', 1)
      .returning('id');
    return moved.length === 1;
  }

  async expireEnded(now: Date): Promise<number> {
    return this.tx
      .connection()('coupons')
      .whereIn('status', ['ACTIVE', 'SUSPENDED'])
      .andWhere('valid_until', '<=', now)
      .update({ status: 'EXPIRED', updated_at: now });
  }
}

export class PostgresUserCouponRepository implements UserCouponRepository {
  constructor(private readonly tx: KnexTransactionManager) {}

  /**
   * Numbered after the copies the user holds, in the one statement; when two issues race, the
   * unique (coupon, user, n) lets one through and the other finds the user at the limit.
   */
  async issue(copy: NewUserCoupon, perUserLimit: number): Promise<UserCoupon | null> {
    try {
      const result = await this.tx.connection().raw(
        `INSERT INTO user_coupons (coupon_id, user_id, n, status, issued_at, expires_at)
         SELECT ?, ?, held.n + 1, 'ISSUED', ?, ?
         FROM (SELECT count(*)::int AS n FROM user_coupons WHERE coupon_id = ? AND user_id = ?) AS held
         WHERE held.n < ?
         RETURNING *`,
        [copy.couponId, copy.userId, copy.issuedAt, copy.expiresAt, copy.couponId, copy.userId, perUserLimit],
      );
      const [row] = (result as { rows: UserCouponRow[] }).rows;
      return row ? toUserCoupon(row) : null;
    } catch (error) {
      if (isUniqueViolation(error, 'user_coupons_once_per_number')) return null;
      throw error;
    }
  }

  async get(id: number): Promise<UserCoupon | null> {
    const row = await this.tx.connection()<UserCouponRow>('user_coupons').where('id', id).first();
    return row ? toUserCoupon(row) : null;
  }

  async getForUpdate(id: number): Promise<UserCoupon | null> {
    const row = await this.tx.connection()<UserCouponRow>('user_coupons').where('id', id).forUpdate().first();
    return row ? toUserCoupon(row) : null;
  }

  async save(copy: UserCoupon): Promise<void> {
    const u = copy.toSnapshot();
    const updated = await this.tx
      .connection()('user_coupons')
      .where('id', u.id)
      .update({ status: u.status, order_id: u.orderId, used_at: u.usedAt });
    if (updated !== 1) throw new NotFound('User coupon', u.id);
  }

  async heldBy(couponId: number, userId: number): Promise<number> {
    const [row] = await this.tx.connection()('user_coupons').where({ coupon_id: couponId, user_id: userId }).count<{ n: Num }[]>({ n: '*' });
    return Number(row?.n ?? 0);
  }

  async listForUser(userId: number, status?: UserCouponStatus): Promise<UserCoupon[]> {
    const query = this.tx.connection()<UserCouponRow>('user_coupons').where('user_id', userId).orderBy('id', 'desc');
    if (status) query.andWhere('status', status);
    return (await query).map(toUserCoupon);
  }

  async issuedCopies(couponId: number): Promise<IssuedCopies> {
    const rows = await this.tx
      .connection()('user_coupons')
      .where('coupon_id', couponId)
      .groupBy('user_id')
      .select<{ user_id: Num; n: Num }[]>('user_id', this.tx.connection().raw('count(*) AS n'));
    const perUser = new Map(rows.map((r) => [Number(r.user_id), Number(r.n)]));
    return { issued: [...perUser.values()].reduce((a, b) => a + b, 0), perUser };
  }

  async expireEnded(now: Date): Promise<number> {
    return this.tx
      .connection()('user_coupons')
      .whereIn('status', ['ISSUED', 'REFUNDED'])
      .whereNull('order_id')
      .andWhere('expires_at', '<=', now)
      .update({ status: 'EXPIRED' });
  }
}

/**
 * The gate without Redis: reads the counters (no lock) and turns away those who would lose, so
 * only likely winners queue on the coupon's row. The guarded counter in the issue transaction
 * still decides; there is nothing to give back.
 */
export class PostgresIssueGate implements CouponIssueGate {
  constructor(
    private readonly tx: KnexTransactionManager,
    /** What counts an admission passed to take(). */
    private readonly limiter?: RateLimiter,
  ) {}

  async take(terms: IssueTerms, userId: number, options: TakeOptions = {}): Promise<GateAnswer> {
    await admitThrough(this.limiter, options.admission);
    const result = await this.tx.connection().raw(
      `SELECT c.issued_quantity,
              (SELECT count(*)::int FROM user_coupons u WHERE u.coupon_id = c.id AND u.user_id = ?) AS held
       FROM coupons c WHERE c.id = ?`,
      [userId, terms.couponId],
    );
    const [row] = (result as { rows: { issued_quantity: Num; held: number }[] }).rows;
    if (!row) return 'TAKEN'; // unknown here: the issue transaction will say so
    if (row.held >= terms.perUserLimit) return 'ALREADY_ISSUED';
    if (Number(row.issued_quantity) >= terms.totalQuantity) return 'EXHAUSTED';
    return 'TAKEN';
  }

  async prepare(): Promise<void> {
    // The counters are the coupon's row.
  }

  async giveBack(): Promise<void> {
    // Nothing was taken.
  }

  async forget(): Promise<void> {
    // Nothing is remembered.
  }

  async disputed(): Promise<void> {
    // It counts nothing of its own to disagree about.
  }
}
