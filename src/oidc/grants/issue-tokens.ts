// What every grant ends with: an access token (recorded by jti), an ID token, and a refresh token when
// offline_access was granted (RFC 6749 §5.1, OIDC Core §3.1.3.3).
import { hashSecret, randomSecret } from '../../auth/secrets.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { routeUrl } from '../../http/routes.js';
import type { KeyRing } from '../../signing/key-ring.js';
import type { ClientRecord, UserRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { signAccessToken } from '../../tokens/access-token.js';
import { signIdToken } from '../../tokens/id-token.js';

export interface GrantDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  keyRing: KeyRing;
}

/** Everything a grant carries from the moment the person signed in. */
export interface Grant {
  grantId: string;
  client: ClientRecord;
  user: UserRecord;
  scope: string[];
  authTime: number;
  nonce: string | null;
  sessionIdHash: string | null;
  sid: string | null;
  amr: string[];
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  id_token: string;
  scope: string;
  refresh_token?: string;
}

export async function issueTokens({ store, clock, config, keyRing }: GrantDependencies, grant: Grant): Promise<TokenResponse> {
  const now = clock.now();
  const key = keyRing.signingKey;
  const accessToken = await signAccessToken(key, {
    issuer: config.issuer,
    audience: routeUrl(config.issuer, 'userinfo'),
    clientId: grant.client.clientId,
    userId: grant.user.id,
    scope: grant.scope,
    authTime: grant.authTime,
    now,
    lifetimeSeconds: config.lifetimes.accessToken,
  });
  await store.accessTokens.create({
    jti: accessToken.jti,
    grantId: grant.grantId,
    clientId: grant.client.clientId,
    userId: grant.user.id,
    sessionIdHash: grant.sessionIdHash,
    createdAt: now,
    expiresAt: accessToken.expiresAt,
  });
  const idToken = await signIdToken(key, {
    issuer: config.issuer,
    clientId: grant.client.clientId,
    user: grant.user,
    scope: grant.scope,
    authTime: grant.authTime,
    now,
    lifetimeSeconds: config.lifetimes.idToken,
    nonce: grant.nonce,
    sid: grant.sid,
    amr: grant.amr,
    accessToken: accessToken.token,
  });
  const response: TokenResponse = {
    access_token: accessToken.token,
    token_type: 'Bearer',
    expires_in: config.lifetimes.accessToken,
    id_token: idToken,
    scope: grant.scope.join(' '),
  };
  if (grant.scope.includes('offline_access') && grant.client.grantTypes.includes('refresh_token')) {
    const refreshToken = randomSecret();
    await store.refreshTokens.create({
      tokenHash: hashSecret(refreshToken),
      grantId: grant.grantId,
      clientId: grant.client.clientId,
      userId: grant.user.id,
      sessionIdHash: grant.sessionIdHash,
      sid: grant.sid,
      amr: grant.amr,
      scope: grant.scope.join(' '),
      authTime: grant.authTime,
      createdAt: now,
      expiresAt: now + config.lifetimes.refreshToken * 1000,
    });
    response.refresh_token = refreshToken;
  }
  return response;
}
