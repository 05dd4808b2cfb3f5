// Whom a person's access token is for (issue 22, RFC 8707 §2.2): one API the grant named with `resource`, or, for a
// grant that named none, our userinfo endpoint as before. The authorization code, refresh and device grants all
// decide it here, before anything is spent or rotated, so that a refused `resource` leaves the code or refresh
// token as it was.
import type { Config } from '../config.js';
import { InvalidTarget } from '../errors.js';
import { routeUrl } from '../http/routes.js';
import type { AccessTokenFormat, ApiRecord, ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { apiTarget } from './resource.js';

export interface AudienceDependencies {
  store: Store;
  config: Config;
}

export interface AudienceRequest {
  /** The APIs the grant named when it was authorized (a code's, refresh token's or device code's `resources`). */
  grantResources: readonly string[];
  /** The scope of this response: the grant's, or narrower (a refresh's `scope`). */
  grantScope: readonly string[];
  /** The token request's `resource` (src/oidc/resource.ts oneResource); undefined when it named none. */
  requested: string | undefined;
}

/** The access token's audience and what follows from it. */
export interface Audience {
  /** The token's `aud`: the API's identifier, or the userinfo endpoint. */
  audience: string;
  /** The API; null for a userinfo token. */
  api: ApiRecord | null;
  /** The access token's scope (and the token response's `scope`). */
  scope: string[];
  lifetimeSeconds: number;
  format: AccessTokenFormat;
}

/**
 * The audience of a person's access token. A named resource must be one of the grant's (a refresh may narrow to one
 * of them, never reach another) and still granted to the client for people's tokens: a grant withdrawn or an API
 * deleted since answers invalid_target, and the grant's other audiences stay usable. None named: the grant's only
 * resource, the userinfo endpoint when it has none, and invalid_target when it has several, since one token has one
 * audience here.
 *
 * For an API the token's scope is the grant's scopes that the client may still request of that API; the OpenID
 * Connect scopes stay with the ID token and the claims. For userinfo it is the grant's scope, as before issue 22.
 */
export async function grantAudience(deps: AudienceDependencies, client: ClientRecord, request: AudienceRequest): Promise<Audience> {
  const { grantResources, grantScope, requested } = request;
  if (requested !== undefined && !grantResources.includes(requested)) {
    throw new InvalidTarget('the resource was not named when this grant was authorized', `${client.clientId} named ${requested.slice(0, 200)}, not a resource of its grant`);
  }
  if (requested === undefined && grantResources.length > 1) {
    throw new InvalidTarget('name one of the resources of this grant: each access token is for one API');
  }
  const identifier = requested ?? grantResources[0];
  if (identifier === undefined) {
    return {
      audience: routeUrl(deps.config.issuer, 'userinfo'),
      api: null,
      scope: [...grantScope],
      lifetimeSeconds: deps.config.lifetimes.accessToken,
      format: 'jwt',
    };
  }
  const target = await apiTarget(deps.store, client.clientId, identifier, 'people');
  return {
    audience: target.api.identifier,
    api: target.api,
    scope: grantScope.filter((scope) => target.scopes.includes(scope)),
    lifetimeSeconds: target.api.tokenLifetime ?? deps.config.lifetimes.accessToken,
    format: target.api.tokenFormat,
  };
}
