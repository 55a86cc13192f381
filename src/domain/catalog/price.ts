import { InvalidPrice } from './errors.js';

/** Prices are whole won, positive, in steps of 100 won. */
export const PRICE_UNIT = 100;
/** One billion won: far above any shop item, and far inside the database's integer column. */
export const MAX_PRICE = 1_000_000_000;

export function assertValidPrice(won: number): void {
  if (!Number.isSafeInteger(won) || won <= 0) {
    throw new InvalidPrice(`A price must be a positive whole number of won, got ${won}`);
  }
  if (won > MAX_PRICE) {
    throw new InvalidPrice(`A price may be at most ${MAX_PRICE} won, got ${won}`);
  }
  if (won % PRICE_UNIT !== 0) {
    throw new InvalidPrice(`A price must be a multiple of ${PRICE_UNIT} won, got ${won}`);
  }
}
