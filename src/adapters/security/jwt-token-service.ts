import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { IssuedToken, TokenService } from '../../application/ports/token-service.js';
import { AuthenticationFailed } from '../../domain/shared/errors.js';
import type { Actor } from '../../domain/user/actor.js';
import { ROLES, type Role } from '../../domain/user/user.js';

/** How many checked tokens an instance remembers (the oldest is forgotten first). */
const VERIFIED_TOKENS_KEPT = 10_000;

/** HS256 JWTs: stateless, so any instance can check a token another one issued. */
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
  private readonly verified = new Map<string, { actor: Actor; expiresAtMs: number }>();

  constructor(
    secret: string,
    private readonly lifetimeSeconds: number,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(actor: Actor): IssuedToken {
    const accessToken = jwt.sign({ role: actor.role }, this.key, {
      algorithm: 'HS256',
      subject: String(actor.userId),
      expiresIn: this.lifetimeSeconds,
    });
    return { accessToken, expiresInSeconds: this.lifetimeSeconds };
  }

  verify(token: string): Actor {
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() < known.expiresAtMs) return { ...known.actor };
      this.verified.delete(token);
    }
    const actor = this.check(token);
    return { ...actor };
  }

  private check(token: string): Actor {
    let claims: jwt.JwtPayload | string;
    try {
      claims = jwt.verify(token, this.key, { algorithms: ['HS256'] });
    } catch (error) {
      const expired = error instanceof jwt.TokenExpiredError;
      throw new AuthenticationFailed(expired ? 'The token has expired' : 'The token is not valid');
    }
    if (typeof claims === 'string') throw new AuthenticationFailed('The token is not valid');
    const userId = Number(claims.sub);
    const role = claims['role'] as Role;
    if (!Number.isSafeInteger(userId) || userId <= 0 || !ROLES.includes(role)) {
      throw new AuthenticationFailed('The token is not valid');
    }
    const actor = { userId, role };
    if (typeof claims.exp === 'number') {
      if (this.verified.size >= VERIFIED_TOKENS_KEPT) this.verified.delete(this.verified.keys().next().value as string);
      this.verified.set(token, { actor, expiresAtMs: claims.exp * 1000 });
    }
    return actor;
  }
}
