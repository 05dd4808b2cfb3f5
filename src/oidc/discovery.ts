// OpenID Connect Discovery 1.0 §3/§4: the provider metadata, listing exactly what Gatehouse implements.
// Serialised once at start: the document only changes with a deploy.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import { sendCachedDocument, type CachedDocument } from '../http/cached-document.js';
import { advertisedEndpoints, routeUrl } from '../http/routes.js';
import { PROMPT_VALUES } from './authorization-request.js';
import { SUPPORTED_CLAIMS, SUPPORTED_SCOPES } from './claims.js';
import { ACR_VALUES_SUPPORTED } from '../auth/mfa-policy.js';
import { TOKEN_ENDPOINT_AUTH_METHODS } from './client-auth.js';
import { GRANT_TYPES_SUPPORTED } from './token.js';

export function providerMetadata(config: Config): Record<string, unknown> {
  const endpoints = Object.fromEntries(Object.entries(advertisedEndpoints).map(([metadataName, route]) => [metadataName, routeUrl(config.issuer, route)]));
  return {
    issuer: config.issuer,
    ...endpoints,
    scopes_supported: SUPPORTED_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: GRANT_TYPES_SUPPORTED,
    subject_types_supported: ['public'],
    // RFC 8725 §3.1: one algorithm, never `none`.
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
    revocation_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
    introspection_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
    code_challenge_methods_supported: ['S256'],
    claims_supported: SUPPORTED_CLAIMS,
    // OIDC Core §3.1.2.1: acr_values naming ACR_MFA asks for a second factor (src/auth/mfa-policy.ts).
    acr_values_supported: ACR_VALUES_SUPPORTED,
    prompt_values_supported: [...PROMPT_VALUES],
    claims_parameter_supported: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    // RFC 9207: the authorization response names its issuer, against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    // Back-Channel Logout 1.0 §2.1: logout tokens always carry the session's `sid`.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
  };
}

export function discoveryDocument(config: Config): CachedDocument {
  const body = Buffer.from(JSON.stringify(providerMetadata(config)));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

export function discoveryHandler(config: Config) {
  const document = discoveryDocument(config);
  return (req: Request, res: Response): void => {
    sendCachedDocument(req, res, document, 'application/json; charset=utf-8', config.discoveryMaxAge);
  };
}
