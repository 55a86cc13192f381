import { expect } from 'chai';
import type { PopularAnswerStore } from '../../src/application/ports/popular-answer-store.js';
import { uniqueToken } from './contract-support.js';

export interface PopularAnswerStoreSubject {
  store: PopularAnswerStore;
  /** Lets `ms` pass on the store's own time (its clock, or Redis's). */
  passTime(ms: number): Promise<void>;
}

interface Ranking {
  days: number;
  items: Array<{ rank: number; productId: number }>;
}

const RANKING: Ranking = { days: 3, items: [{ rank: 1, productId: 7 }] };
const KEEP = 3_600;

/** What every PopularAnswerStore must do, whatever keeps the answers. */
export function popularAnswerStoreContract(makeSubject: () => Promise<PopularAnswerStoreSubject>): void {
  let subject: PopularAnswerStoreSubject;
  let store: PopularAnswerStore;
  let key: string;

  beforeEach(async function () {
    subject = await makeSubject();
    store = subject.store;
    key = uniqueToken('popular');
  });

  it('a key never stored: no answer, nobody aggregating', async function () {
    expect(await store.read(key)).to.deep.equal({ answer: null, aggregating: false });
  });

  it('stores an answer with when it was computed, and reads it back as stored', async function () {
    await store.store(key, { value: RANKING, computedAt: 1_700_000_000_123 }, KEEP, null);
    expect(await store.read<Ranking>(key)).to.deep.equal({ answer: { value: RANKING, computedAt: 1_700_000_000_123 }, aggregating: false });
    expect(await store.read(uniqueToken('other')), 'another key').to.deep.equal({ answer: null, aggregating: false });
  });

  it('a later store replaces the answer', async function () {
    await store.store(key, { value: RANKING, computedAt: 1 }, KEEP, null);
    await store.store(key, { value: { days: 3, items: [] }, computedAt: 2 }, KEEP, null);
    expect((await store.read<Ranking>(key)).answer).to.deep.equal({ value: { days: 3, items: [] }, computedAt: 2 });
  });

  it('one claim at a time per key: the holder is shown as aggregating until it releases', async function () {
    const first = await store.claim(key, 10_000);
    expect(first).to.not.equal(null);
    expect(await store.claim(key, 10_000), 'second claim').to.equal(null);
    expect((await store.read(key)).aggregating).to.equal(true);
    expect(await store.claim(uniqueToken('other'), 10_000), 'another key').to.not.equal(null);
    await store.release(first!);
    expect((await store.read(key)).aggregating).to.equal(false);
    expect(await store.claim(key, 10_000), 'claim after release').to.not.equal(null);
  });

  it('storing with the claim gives it back; storing with none leaves a holder’s claim alone', async function () {
    const claim = await store.claim(key, 10_000);
    await store.store(key, { value: RANKING, computedAt: 5 }, KEEP, null);
    expect((await store.read(key)).aggregating, 'someone else stored').to.equal(true);
    await store.store(key, { value: RANKING, computedAt: 6 }, KEEP, claim);
    expect(await store.read<Ranking>(key)).to.deep.equal({ answer: { value: RANKING, computedAt: 6 }, aggregating: false });
  });

  it('a claim not released runs out after its ttl, and the old holder cannot release the next one’s', async function () {
    const old = await store.claim(key, 50);
    await subject.passTime(120);
    expect((await store.read(key)).aggregating).to.equal(false);
    const next = await store.claim(key, 10_000);
    expect(next).to.not.equal(null);
    await store.release(old!);
    expect((await store.read(key)).aggregating, 'the next holder still holds it').to.equal(true);
    expect(await store.claim(key, 10_000)).to.equal(null);
  });

  it('a reader cannot change the stored answer by changing what it got', async function () {
    await store.store(key, { value: RANKING, computedAt: 1 }, KEEP, null);
    const got = (await store.read<Ranking>(key)).answer!.value;
    got.items.push({ rank: 2, productId: 9 });
    expect((await store.read<Ranking>(key)).answer!.value).to.deep.equal(RANKING);
  });
}
