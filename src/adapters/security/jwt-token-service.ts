import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { IssuedToken, TokenClaims, TokenService } from '../../application/ports/token-service.js';
import { AuthenticationFailed } from '../../domain/shared/errors.js';
import { ROLES, type Role } from '../../domain/user/user.js';

/** The header every token this service signs carries, as it is encoded: `{"alg":"HS256","typ":"JWT"}`. */
const OWN_HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');

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
    const sound = this.soundOwnToken(token);
    if (sound) claims = sound;
    else {
      try {
        claims = jwt.verify(token, this.key, { algorithms: ['HS256'] });
      } catch (error) {
        const expired = error instanceof jwt.TokenExpiredError;
        throw new AuthenticationFailed(expired ? 'The token has expired' : 'The token is not valid');
      }
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
    if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.forgetOldest();
    this.verified.set(token, { claims: checked, expiresAtMs: claims.exp * 1000 });
    return checked;
  }

  /**
   * The oldest tenth at once. Deleting one at a time from the front, as each new token came, left
   * the Map's deleted slots in front for the next look to step over until V8 compacted it: about
   * 5 µs a token in a storm of distinct users, against under 1 µs this way.
   */
  private forgetOldest(): void {
    let left = Math.max(1, Math.floor(VERIFIED_TOKENS_KEPT / 10));
    for (const token of this.verified.keys()) {
      this.verified.delete(token);
      if (--left === 0) break;
    }
  }

  /**
   * The claims of a token exactly as this service signs them (its own header, HS256 over header
   * and payload with this key, a JSON object payload, `exp` a number still ahead, `nbf` if any a
   * number already behind: what jsonwebtoken.verify checks with these options), else null, and
   * jsonwebtoken judges it (and words the refusal). Why: in a storm of distinct users every token
   * is new to the cache above, and jsonwebtoken's decoding and checking around the one HMAC took
   * about 5% of the service's CPU per request.
   */
  private soundOwnToken(token: string): jwt.JwtPayload | null {
    const headerEnd = token.indexOf('.');
    const payloadEnd = token.indexOf('.', headerEnd + 1);
    if (headerEnd !== OWN_HEADER.length || !token.startsWith(OWN_HEADER) || payloadEnd < 0 || token.indexOf('.', payloadEnd + 1) >= 0) return null;
    // Compared as text, as jws does: exactly the digest's encoding, no other spelling of its bytes.
    const expected = Buffer.from(createHmac('sha256', this.key).update(token.slice(0, payloadEnd)).digest('base64url'));
    const given = Buffer.from(token.slice(payloadEnd + 1));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(token.slice(headerEnd + 1, payloadEnd), 'base64url').toString('utf8'));
    } catch {
      return null;
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
    const claims = payload as jwt.JwtPayload;
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || now >= claims.exp) return null;
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now)) return null;
    return claims;
  }
}

