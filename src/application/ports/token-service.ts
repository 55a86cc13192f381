import type { Role } from '../../domain/user/actor.js';

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

/** What a token says about its holder, as of when it was issued. */
export interface TokenClaims {
  userId: number;
  role: Role;
  /** The user's token version then: the token is ended once the user's moves on. */
  tokenVersion: number;
}

export interface TokenService {
  issue(claims: TokenClaims): IssuedToken;
  /**
   * What a token says; throws AuthenticationFailed when it is bad, expired or has no expiry.
   * Only the token itself is checked: whether its holder may still use it is Authenticate's.
   */
  verify(token: string): TokenClaims;
}
