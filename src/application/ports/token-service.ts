import type { Actor } from '../../domain/user/actor.js';

export interface IssuedToken {
  accessToken: string;
  expiresInSeconds: number;
}

export interface TokenService {
  issue(actor: Actor): IssuedToken;
  /** The actor a token speaks for; throws AuthenticationFailed when it is bad or expired. */
  verify(token: string): Actor;
}
