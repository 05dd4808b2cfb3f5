// Access tokens: JWTs per RFC 9068, recorded by jti so that they can be revoked before they expire, or opaque random
// strings when the API they are for asked for those (issue 22), recorded by their hash and described by
// introspection alone (RFC 7662). A JWT carries the person's released groups and attribute claims (RFC 9068
// §2.2.3.1: groups, roles, entitlements), so that a resource server can decide without calling userinfo; identity
// claims (name, email) stay in the ID token.
import { hashSecret, randomId, randomSecret } from '../auth/secrets.js';
import type { SigningKey } from '../signing/key-store.js';
import type { AccessTokenFormat, NewAccessToken } from '../store/records.js';
import { signJwt } from './sign-jwt.js';

export const ACCESS_TOKEN_TYPE = 'at+jwt';

export interface AccessTokenInput {
  issuer: string;
  /** The resource the token is for (RFC 9068 §2.2 `aud`): an API's identifier, or our userinfo endpoint. */
  audience: string;
  clientId: string;
  /** The person's id; for a machine's token (client_credentials) the client id (RFC 9068 §2.2). */
  subject: string;
  scope: readonly string[];
  /** When the person signed in (ms); null for a machine's token, which then has no auth_time. */
  authTime: number | null;
  now: number;
  lifetimeSeconds: number;
  /** 'jwt' unless the API the token is for asked for opaque tokens. */
  format?: AccessTokenFormat;
  /** `groups` and attribute claims (src/oidc/claims.ts releasedClaims); the token's own claims win over them. */
  claims?: Record<string, unknown>;
  /**
   * Issue 28: the RFC 7638 thumbprint of the DPoP key the token is bound to (RFC 9449 §6.1 `cnf.jkt`); null or absent
   * for a bearer token.
   */
  jkt?: string | null;
}

/** An access token's facts, fixed before it is signed: the store records them while the signature is computed. */
export interface PlannedAccessToken {
  /** The record's key: the JWT's jti, or the SHA-256 of the opaque token. */
  jti: string;
  expiresAt: number;
  /** What the token says (a JWT's payload; for an opaque token, what introspection will tell). */
  claims: Record<string, unknown>;
  format: AccessTokenFormat;
  /** The opaque token itself; null for a JWT, which exists only once signed. */
  opaqueToken: string | null;
}

export function planAccessToken(input: AccessTokenInput): PlannedAccessToken {
  const iat = Math.floor(input.now / 1000);
  const format = input.format ?? 'jwt';
  const opaqueToken = format === 'opaque' ? randomSecret() : null;
  const jti = opaqueToken === null ? randomId() : hashSecret(opaqueToken);
  const claims: Record<string, unknown> = {
    ...input.claims,
    iss: input.issuer,
    sub: input.subject,
    aud: input.audience,
    exp: iat + input.lifetimeSeconds,
    iat,
    client_id: input.clientId,
    scope: input.scope.join(' '),
  };
  // An opaque token's record is keyed by its hash, never by a jti of its own that someone could present.
  if (opaqueToken === null) claims.jti = jti;
  if (input.authTime !== null) claims.auth_time = Math.floor(input.authTime / 1000);
  // RFC 9449 §6.1: the confirmation claim a resource server compares with the proof's key. For an opaque token it is
  // what introspection tells (§6.2), from the record.
  if (typeof input.jkt === 'string') claims.cnf = { jkt: input.jkt };
  return { jti, expiresAt: (iat + input.lifetimeSeconds) * 1000, claims, format, opaqueToken };
}

/** The token to hand out: the JWT, signed now, or the opaque token drawn when it was planned. */
export function finishAccessToken(key: SigningKey, planned: PlannedAccessToken): Promise<string> {
  if (planned.opaqueToken !== null) return Promise.resolve(planned.opaqueToken);
  return signJwt(key, planned.claims, ACCESS_TOKEN_TYPE);
}

/** Whose token it is, beyond what the token says: what the store needs to revoke it with its grant, session or person. */
export interface AccessTokenOwner {
  grantId: string;
  /** Null for a machine's token. */
  userId: string | null;
  sessionIdHash: string | null;
  /** The key signing the tokens of this response. */
  kid: string;
  createdAt: number;
}

/** The DPoP key thumbprint a planned token is bound to (its `cnf.jkt`), null for a bearer token. */
export function boundJkt(claims: Record<string, unknown>): string | null {
  const cnf = claims.cnf as { jkt?: unknown } | undefined;
  return typeof cnf?.jkt === 'string' ? cnf.jkt : null;
}

/** The record the store keeps of a planned token (with its audience, scope and auth_time, for introspection). */
export function accessTokenRecord(planned: PlannedAccessToken, owner: AccessTokenOwner): NewAccessToken {
  const { claims } = planned;
  return {
    jti: planned.jti,
    grantId: owner.grantId,
    clientId: claims.client_id as string,
    userId: owner.userId,
    sessionIdHash: owner.sessionIdHash,
    // An opaque token is signed by nothing: revoking a key does not reach it, and it needs no key to be checked.
    kid: planned.format === 'jwt' ? owner.kid : null,
    format: planned.format,
    audience: claims.aud as string,
    scope: claims.scope as string,
    authTime: typeof claims.auth_time === 'number' ? claims.auth_time * 1000 : null,
    jkt: boundJkt(claims),
    createdAt: owner.createdAt,
    expiresAt: planned.expiresAt,
  };
}
