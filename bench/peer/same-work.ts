// The peer's two set-ups (issue 27), chosen by bench/peer/oidc-provider-server.ts from PEER_SETUP:
// - default: oidc-provider as a newcomer gets it: the in-memory adapter (its documentation: development only,
//   nothing survives a restart) and opaque access tokens, so a token response makes one RS256 signature;
// - same-work: the work Gatehouse does. RFC 9068 JWT access tokens, signed RS256, through oidc-provider's
//   features.resourceIndicators (RFC 8707) with one bench resource that every request gets by default, so a code
//   exchange and a refresh each make two RS256 signatures (the ID token and the access token), as Gatehouse's do;
//   and a durable adapter on the engine Gatehouse is measured on, from PEER_DATABASE: `sqlite:<file>`
//   (bench/peer/sqlite-adapter.ts) or `postgres:<url>` (bench/peer/postgres-adapter.ts).
// The bench's requests are unchanged (no `resource` parameter): the default resource stands in for it.
// One difference stays, by oidc-provider's design: it does not store a JWT access token (lib/models/base_model.js
// save(): lib/models/formats/jwt.js returns no payload to upsert), where Gatehouse records each one by jti so that
// it can be revoked. Counted with strace on the SQLite file: 4 commits per SSO flow, 2 per refresh.
import { errors, type Configuration } from 'oidc-provider';
import { openPostgresAdapter } from './postgres-adapter.js';
import { BENCH_RESOURCE } from './resource.js';
import { openSqliteAdapter, type PeerAdapter } from './sqlite-adapter.js';

export type PeerSetup = 'default' | 'same-work';

/** Gatehouse's access-token lifetime (10 minutes), as the default set-up's ttl.AccessToken. */
const ACCESS_TOKEN_TTL = 600;

export function peerSetup(value: string | undefined): PeerSetup {
  if (value === undefined || value === '' || value === 'default') return 'default';
  if (value === 'same-work') return 'same-work';
  throw new Error(`PEER_SETUP must be default or same-work, not ${value}`);
}

/**
 * features.resourceIndicators for JWT access tokens on every grant. defaultResource names the bench resource
 * when a request names none (lib/shared/check_resource.js), so the authorization code and the refresh token
 * carry it; useGrantedResource makes the code exchange and the refresh use it (lib/helpers/resolve_resource.js)
 * instead of issuing an opaque userinfo token for an `openid` request.
 */
export function jwtAccessTokens(scopes: readonly string[]): NonNullable<NonNullable<Configuration['features']>['resourceIndicators']> {
  return {
    enabled: true,
    defaultResource: (_ctx, _client, oneOf) => oneOf ?? BENCH_RESOURCE,
    useGrantedResource: () => true,
    getResourceServerInfo: (_ctx, resourceIndicator) => {
      if (resourceIndicator !== BENCH_RESOURCE) throw new errors.InvalidTarget();
      return { scope: scopes.join(' '), accessTokenFormat: 'jwt', accessTokenTTL: ACCESS_TOKEN_TTL, jwt: { sign: { alg: 'RS256' } } };
    },
  };
}

/** The durable adapter PEER_DATABASE names: `sqlite:<file>` or `postgres:<url>`. */
export function openPeerAdapter(database: string): Promise<PeerAdapter> {
  if (database.startsWith('sqlite:')) return Promise.resolve(openSqliteAdapter(database.slice('sqlite:'.length)));
  if (database.startsWith('postgres:')) return openPostgresAdapter(database.slice('postgres:'.length));
  throw new Error('PEER_DATABASE must be sqlite:<file> or postgres:<url>');
}
