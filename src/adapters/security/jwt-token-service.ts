import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { IssuedToken, TokenClaims, TokenService } from '../../application/ports/token-service.js';
import { AuthenticationFailed } from '../../domain/shared/errors.js';
import { ROLES, type Role } from '../../domain/user/user.js';

/** How many checked tokens an instance remembers (the oldest is forgotten first). */
const VERIFIED_TOKENS_KEPT = 10_000;

/**
 * HS256 JWTs: any instance can check a token another one issued. Claims: `sub` (user id), `role`,
 * `ver` (the user's token version; a token without one, from before versions, counts as 0) and
 * `exp`, which every token must have: one without would never end.
 */
export class JwtTokenService implements TokenService {
  /**
   * Made once: given a string, jsonwebtoken builds a key object on every call (first trying it as
   * a public key), which took about 15% of the CPU of a simple authenticated GET.
   */
  private readonly key: KeyObject;
  /**
   * Tokens already checked, until they expire: a client sends the same token with every request,
   * and checking it again (HMAC, decoding, claim checks) was a tenth of a small request's CPU.
   * A token's content cannot change, so what it said once it says until its `exp`.
   */
  private readonly verified = new Map<string, { claims: TokenClaims; expiresAtMs: number }>();

  constructor(
    secret: string,
    private readonly lifetimeSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(claims: TokenClaims): IssuedToken {
    const accessToken = jwt.sign({ role: claims.role, ver: claims.tokenVersion }, this.key, {
      algorithm: 'HS256',
      subject: String(claims.userId),
      expiresIn: this.lifetimeSeconds,
    });
    return { accessToken, expiresInSeconds: this.lifetimeSeconds };
  }

  verify(token: string): TokenClaims {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return { ...known.claims };
      this.verified.delete(token);
    }
    return { ...this.check(token) };
  }

  private check(token: string): TokenClaims {
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'] });
    } catch (error) {
      const expired = error instanceof jwt.TokenExpiredError;
      throw new AuthenticationFailed(expired ? 'The token has expired' : 'The token is not valid');
    }
    if (typeof claims === 'string') throw new AuthenticationFailed('The token is not valid');
    if (typeof claims.exp !== 'number') throw new AuthenticationFailed('The token has no expiry');
    const userId = Number(claims.sub);
    const role = claims['role'] as Role;
    const version: unknown = 'ver' in claims ? claims['ver'] : 0;
    if (!Number.isSafeInteger(userId) || userId <= 0 || !ROLES.includes(role) || !Number.isSafeInteger(version) || (version as number) < 0) {
      throw new AuthenticationFailed('The token is not valid');
    }
    const checked: TokenClaims = { userId, role, tokenVersion: version as number };
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, { claims: checked, expiresAtMs: claims.exp * 1000 });
    return checked;
  }
}
