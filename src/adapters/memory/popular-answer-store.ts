import type { AnswerSlot, PopularAnswerStore, RecomputeClaim, StoredAnswer } from '../../application/ports/popular-answer-store.js';
import type { Clock } from '../../domain/shared/clock.js';

interface Entry {
  json: string;
  computedAt: number;
  keptUntil: number;
}

/**
 * Answers and claims in this process: right for one instance (each instance then computes its
 * own answers). Values are stored as JSON, so no caller can change a stored answer by mutating
 * what it got. Time is the Clock's.
 */
export class InProcessPopularAnswerStore implements PopularAnswerStore {
  private readonly answers = new Map<string, Entry>();
  private readonly claims = new Map<string, { token: string; until: number }>();
  private tokens = 0;

  constructor(private readonly clock: Clock) {}

  async read<T>(key: string): Promise<AnswerSlot<T>> {
    const now = this.clock.now().getTime();
    const entry = this.answers.get(key);
    const answer = entry && entry.keptUntil > now ? { value: JSON.parse(entry.json) as T, computedAt: entry.computedAt } : null;
    return { answer, aggregating: this.heldClaim(key, now) !== null };
  }

  async claim(key: string, ttlMs: number): Promise<RecomputeClaim | null> {
    const now = this.clock.now().getTime();
    if (this.heldClaim(key, now)) return null;
    this.tokens += 1;
    const token = String(this.tokens);
    this.claims.set(key, { token, until: now + ttlMs });
    return { key, token };
  }

  async store<T>(key: string, answer: StoredAnswer<T>, keepSeconds: number, claim: RecomputeClaim | null): Promise<void> {
    const now = this.clock.now().getTime();
    this.answers.set(key, { json: JSON.stringify(answer.value), computedAt: answer.computedAt, keptUntil: now + keepSeconds * 1000 });
    if (claim) await this.release(claim);
  }

  async release(claim: RecomputeClaim): Promise<void> {
    if (this.claims.get(claim.key)?.token === claim.token) this.claims.delete(claim.key);
  }

  private heldClaim(key: string, now: number): { token: string } | null {
    const held = this.claims.get(key);
    return held && held.until > now ? held : null;
  }
}
