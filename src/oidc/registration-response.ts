// The client information response (RFC 7591 §3.2.1, RFC 7592 §3): a registered client's metadata as stored, which
// may differ from what was asked (RFC 7591 §3.2.1: the server may replace values, and says so by answering with the
// registered ones), e.g. grant_types gains refresh_token and the scopes default to every scope a client may hold.
// Nothing secret is read back: the client secret and the registration access token are stored hashed, so they are in
// an answer only when just issued (registration, update).
import { routeUrl } from '../http/routes.js';
import type { ClientRecord } from '../store/records.js';

/** RFC 7592 §3: where the client reads, updates and deletes its registration. */
export function registrationClientUri(issuer: string, clientId: string): string {
  return `${routeUrl(issuer, 'registration')}/${encodeURIComponent(clientId)}`;
}

export interface IssuedCredentials {
  /** A client secret just issued (registration) or confirmed (an update that named it); null: none in the answer. */
  clientSecret: string | null;
  /** The registration access token just issued (registration, update); null on a read. */
  registrationAccessToken: string | null;
}

/** The client's metadata in RFC 7591 §2 names, with the fields of a client information response. */
export function clientInformation(client: ClientRecord, issuer: string, issued: IssuedCredentials): Record<string, unknown> {
  const optional = (name: string, value: string | null) => (value === null ? {} : { [name]: value });
  const answer: Record<string, unknown> = {
    client_id: client.clientId,
    client_id_issued_at: Math.floor(client.createdAt / 1000),
  };
  if (issued.clientSecret !== null) {
    answer.client_secret = issued.clientSecret;
    // RFC 7591 §3.2.1: 0, the secret does not expire.
    answer.client_secret_expires_at = 0;
  }
  if (issued.registrationAccessToken !== null) answer.registration_access_token = issued.registrationAccessToken;
  answer.registration_client_uri = registrationClientUri(issuer, client.clientId);
  Object.assign(answer, {
    client_name: client.name,
    redirect_uris: client.redirectUris,
    response_types: client.grantTypes.includes('authorization_code') ? ['code'] : [],
    grant_types: client.grantTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    scope: client.scopes.join(' '),
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    ...optional('logo_uri', client.logoUri),
    ...optional('client_uri', client.clientUri),
    ...optional('policy_uri', client.policyUri),
    ...optional('tos_uri', client.tosUri),
    ...optional('initiate_login_uri', client.initiateLoginUri),
    ...optional('backchannel_logout_uri', client.backchannelLogoutUri),
    // Logout tokens always carry the session's sid (discovery: backchannel_logout_session_supported).
    ...(client.backchannelLogoutUri === null ? {} : { backchannel_logout_session_required: true }),
    ...(client.jwks === null ? {} : { jwks: JSON.parse(client.jwks) as unknown }),
    ...optional('jwks_uri', client.jwksUri),
    id_token_signed_response_alg: 'RS256',
    subject_type: 'public',
    // Issue 28: always echoed, false included, so that a client reads back what it is held to.
    require_pushed_authorization_requests: client.requirePushedAuthorizationRequests,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
  });
  return answer;
}
