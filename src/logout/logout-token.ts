// The logout token of Back-Channel Logout 1.0 §2.4: a JWT naming the session that ended, never a nonce,
// typed so that it can never be mistaken for an ID token (RFC 8725 §3.11). §2.4 requires `sub`, `sid` or both:
// a session's end names both; the removal of an application's access (issue 24) when the person has no session
// the application took part in names only `sub` ("log out every session of this person with you").
import { randomId } from '../auth/secrets.js';
import type { SigningKey } from '../signing/key-store.js';
import { signJwt } from '../tokens/sign-jwt.js';

export const LOGOUT_TOKEN_TYPE = 'logout+jwt';
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Each attempt signs a token of its own (src/delivery/backchannel-sender.ts): a captured token is soon useless. */
export const LOGOUT_TOKEN_LIFETIME_SECONDS = 120;

export interface LogoutTokenInput {
  issuer: string;
  clientId: string;
  userId: string;
  /** The session that ended; null (or absent) for every session of the person at the client. */
  sid?: string | null;
  now: number;
}

export function signLogoutToken(key: SigningKey, input: LogoutTokenInput): Promise<string> {
  const iat = Math.floor(input.now / 1000);
  return signJwt(
    key,
    {
      iss: input.issuer,
      aud: input.clientId,
      iat,
      exp: iat + LOGOUT_TOKEN_LIFETIME_SECONDS,
      jti: randomId(),
      sub: input.userId,
      ...(input.sid ? { sid: input.sid } : {}),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    },
    LOGOUT_TOKEN_TYPE,
  );
}
