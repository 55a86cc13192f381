import { randomBytes, scrypt, type ScryptOptions, timingSafeEqual } from 'node:crypto';
import type { PasswordHasher } from '../../application/ports/password-hasher.js';

function scryptAsync(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, keyLength, options, (error, key) => (error ? reject(error) : resolve(key))),
  );
}

export interface ScryptCost {
  /** CPU/memory cost, a power of two. */
  N: number;
  r: number;
  p: number;
}

/**
 * N=2^15, r=8, p=1: about 90 ms and 32 MiB a hash on a 2-core machine. OWASP's 2^17 took about
 * 480 ms there, which would make login the slowest call in the shop; PASSWORD_HASH_COST raises it,
 * and each hash keeps its own cost, so raising it later breaks no stored password.
 */
export const DEFAULT_SCRYPT: ScryptCost = { N: 2 ** 15, r: 8, p: 1 };

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

/**
 * Salted scrypt from Node's own crypto (no native add-on). The cost is stored with each hash,
 * so it can be raised later without breaking existing passwords:
 * `scrypt$N$r$p$salt$hash` (base64).
 */
export class ScryptPasswordHasher implements PasswordHasher {
  constructor(private readonly cost: ScryptCost = DEFAULT_SCRYPT) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_LENGTH);
    const { N, r, p } = this.cost;
    const key = await scryptAsync(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r });
    return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  /** False for a wrong password and for anything that is not a well-formed hash of ours. */
  async verify(password: string, stored: string): Promise<boolean> {
    const parsed = parseHash(stored);
    if (!parsed) return false;
    const { N, r, p, salt, key } = parsed;
    try {
      const actual = await scryptAsync(password, salt, KEY_LENGTH, { N, r, p, maxmem: 256 * N * r });
      return timingSafeEqual(actual, key);
    } catch {
      return false;
    }
  }
}


interface ParsedHash extends ScryptCost {
  salt: Buffer;
  key: Buffer;
}

/**
 * Only hashes this class could have written: a short or empty key would let other passwords
 * match, and an absurd cost would make verification throw or hang.
 */
function parseHash(stored: string): ParsedHash | null {
  const [scheme, n, r, p, salt, key, ...rest] = stored.split('$');
  if (scheme !== 'scrypt' || rest.length > 0 || !salt || !key) return null;
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const log2N = Math.log2(cost.N);
  if (!Number.isInteger(log2N) || log2N < 10 || log2N > 20) return null;
  if (!Number.isInteger(cost.r) || cost.r < 1 || cost.r > 32) return null;
  if (!Number.isInteger(cost.p) || cost.p < 1 || cost.p > 16) return null;
  const saltBytes = Buffer.from(salt, 'base64');
  const keyBytes = Buffer.from(key, 'base64');
  if (saltBytes.length !== SALT_LENGTH || keyBytes.length !== KEY_LENGTH) return null;
  return { ...cost, salt: saltBytes, key: keyBytes };
}
