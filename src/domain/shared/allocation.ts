/**
 * Splits `total` won over parts in proportion to `weights` (e.g. a discount over an order's line
 * amounts), in whole won: each part gets the round-down of its share, and the won left over go
 * one each to the parts whose shares lost the most in rounding, the earlier part first on a tie.
 * The parts sum to `total` exactly, the same inputs always give the same split, a weight of 0
 * gets nothing, and no part exceeds its weight (when `total` is at most the weights' sum, as it
 * must be). Integer arithmetic throughout: a share is `total × weight / sum`, which can pass 2^53
 * before the division, so it is worked out in BigInt.
 */
export function allocateProportionally(total: number, weights: readonly number[]): number[] {
  const whole = (n: number) => Number.isSafeInteger(n) && n >= 0;
  if (!whole(total) || !weights.every(whole)) throw new RangeError(`An allocation needs whole amounts >= 0: ${total} over ${JSON.stringify(weights)}`);
  const sum = weights.reduce((a, b) => a + b, 0);
  if (total > sum) throw new RangeError(`Cannot allocate ${total} over weights summing to ${sum}`);
  if (total === 0) return weights.map(() => 0);

  const big = BigInt(total);
  const bigSum = BigInt(sum);
  const shares = weights.map((weight, index) => {
    const scaled = big * BigInt(weight);
    return { index, base: scaled / bigSum, rest: scaled % bigSum };
  });
  const parts = shares.map((s) => Number(s.base));
  let left = total - parts.reduce((a, b) => a + b, 0);
  // Fewer won are left than parts with a remainder (the remainders sum to `left` × sum), so every
  // won left goes to a part that lost some in rounding, never to one that came out exact.
  const byRest = [...shares].sort((a, b) => (a.rest === b.rest ? a.index - b.index : a.rest > b.rest ? -1 : 1));
  for (const share of byRest) {
    if (left === 0) break;
    parts[share.index] = (parts[share.index] as number) + 1;
    left -= 1;
  }
  return parts;
}
