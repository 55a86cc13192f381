import type { ProductSalesRepository } from '../../domain/sales/product-sales-repository.js';
import { popularWindow } from '../../domain/sales/sales.js';
import type { Clock } from '../../domain/shared/clock.js';
import type { GetProduct } from '../catalog/get-product.js';
import type { ProductView } from '../catalog/product-view.js';
import type { PopularAnswerStore, RecomputeClaim, StoredAnswer } from '../ports/popular-answer-store.js';

export interface PopularProductsQuery {
  days: number;
  limit: number;
}

export interface PopularItemView {
  rank: number;
  product: ProductView;
  soldQuantity: number;
  revenue: number;
}

export interface PopularProductsView {
  days: number;
  generatedAt: string;
  items: PopularItemView[];
}

/**
 * The states of a cached ranking (DOMAIN.md): IDLE, nothing computed yet; AGGREGATING, a caller
 * is recomputing it; CACHE_UPDATED, a fresh answer is stored; EXPIRED, the answer is older than
 * the TTL but kept, and served while it is recomputed.
 */
export type PopularCacheState = 'IDLE' | 'AGGREGATING' | 'CACHE_UPDATED' | 'EXPIRED';

export interface PopularSettings {
  /** How long an answer is fresh; 0: no cache, every call computes. */
  ttlSeconds: number;
}

/** How long one recomputation may hold the claim before another caller may take over. */
export const RECOMPUTE_CLAIM_MS = 10_000;
/** Stale answers are kept this long to be served while recomputing (bounded: one per days × limit). */
export const KEEP_ANSWER_SECONDS = 24 * 3600;

/**
 * `GET /products/popular`: the top products by net units over the last `days` days, read from the
 * sales aggregate (never the orders) and cached per (days, limit):
 * - fresh answer: served;
 * - expired answer: the first caller to win the short claim recomputes and gets the new answer,
 *   everyone else (on every instance) gets the stale one at once: no stampede on the database;
 * - no answer at all: computed, and callers on this instance share that one computation.
 */
export class GetPopularProducts {
  /** Computations under way in this process, per key: a crowd on one instance shares one. */
  private readonly inFlight = new Map<string, Promise<PopularProductsView>>();

  constructor(
    private readonly sales: ProductSalesRepository,
    private readonly products: GetProduct,
    private readonly store: PopularAnswerStore,
    private readonly settings: PopularSettings,
    private readonly clock: Clock,
  ) {}

  async execute(query: PopularProductsQuery): Promise<PopularProductsView> {
    if (this.settings.ttlSeconds === 0) return this.compute(query);
    const key = keyOf(query);
    const slot = await this.store.read<PopularProductsView>(key);
    if (slot.answer && this.isFresh(slot.answer)) return slot.answer.value;
    // Nothing to serve: compute. The claim (if free) only shows the others it is under way.
    if (!slot.answer) return this.shared(key, async () => this.computeAndStore(key, query, await this.store.claim(key, RECOMPUTE_CLAIM_MS)));

    // Expired: someone (here or elsewhere) is already at it, or we try to become that someone.
    const stale = slot.answer.value;
    if (slot.aggregating || this.inFlight.has(key)) return stale;
    const claim = await this.store.claim(key, RECOMPUTE_CLAIM_MS);
    if (!claim) return stale;
    return this.shared(key, () => this.recompute(key, query, claim));
  }

  /** The state of the cached ranking for `query`, as every instance sees it (for tests and operators). */
  async state(query: PopularProductsQuery): Promise<PopularCacheState> {
    if (this.settings.ttlSeconds === 0) return 'IDLE';
    const key = keyOf(query);
    const slot = await this.store.read<PopularProductsView>(key);
    if (slot.aggregating || this.inFlight.has(key)) return 'AGGREGATING';
    if (!slot.answer) return 'IDLE';
    return this.isFresh(slot.answer) ? 'CACHE_UPDATED' : 'EXPIRED';
  }

  private async recompute(key: string, query: PopularProductsQuery, claim: RecomputeClaim): Promise<PopularProductsView> {
    // Whoever held the claim just before may have stored a fresh answer after we read: no second computation.
    const again = await this.store.read<PopularProductsView>(key);
    if (again.answer && this.isFresh(again.answer)) {
      await this.store.release(claim);
      return again.answer.value;
    }
    return this.computeAndStore(key, query, claim);
  }

  private async computeAndStore(key: string, query: PopularProductsQuery, claim: RecomputeClaim | null): Promise<PopularProductsView> {
    let view: PopularProductsView;
    try {
      view = await this.compute(query);
    } catch (error) {
      if (claim) await this.store.release(claim);
      throw error;
    }
    const answer: StoredAnswer<PopularProductsView> = { value: view, computedAt: Date.parse(view.generatedAt) };
    await this.store.store(key, answer, Math.max(KEEP_ANSWER_SECONDS, this.settings.ttlSeconds * 2), claim);
    return view;
  }

  private async compute({ days, limit }: PopularProductsQuery): Promise<PopularProductsView> {
    const now = this.clock.now();
    const ranking = await this.sales.popular(popularWindow(now, days), limit);
    const items = await Promise.all(
      ranking.map(async (sales, i) => ({
        rank: i + 1,
        product: await this.products.execute(sales.productId),
        soldQuantity: sales.units,
        revenue: sales.revenue,
      })),
    );
    return { days, generatedAt: now.toISOString(), items };
  }

  private shared(key: string, work: () => Promise<PopularProductsView>): Promise<PopularProductsView> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const started = work().finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, started);
    return started;
  }

  private isFresh(answer: StoredAnswer<PopularProductsView>): boolean {
    return this.clock.now().getTime() - answer.computedAt < this.settings.ttlSeconds * 1000;
  }
}

const keyOf = ({ days, limit }: PopularProductsQuery) => `d${days}:l${limit}`;
