// OpenID Connect Discovery 1.0 §3/§4: the provider metadata, listing exactly what Gatehouse implements.
// Everything in it changes only with a deploy, except the attribute scopes and claims (issue 21), which an
// administrator defines at run time: the document is serialised again when the claim catalog's list changes
// (src/oidc/claim-catalog.ts, at most FRESH_MS old) and otherwise served as the same bytes and ETag.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../config.js';
import { sendCachedDocument, type CachedDocument } from '../http/cached-document.js';
import { advertisedEndpoints, routeUrl } from '../http/routes.js';
import { PROMPT_VALUES } from './authorization-request.js';
import { attributeClaims, attributeScopes, type ClaimCatalog } from './claim-catalog.js';
import { BUILTIN_CLAIMS, BUILTIN_SCOPES } from './claims.js';
import type { AttributeDefinition } from '../store/records.js';
import { ACR_VALUES_SUPPORTED } from '../auth/mfa-policy.js';
import { ASSERTION_SIGNING_ALGS } from './client-assertion.js';
import { REQUEST_OBJECT_SIGNING_ALGS } from './request-object.js';
import { DPOP_SIGNING_ALGS } from './dpop.js';
import { TOKEN_ENDPOINT_AUTH_METHODS } from './client-auth.js';
import { GRANT_TYPES_SUPPORTED } from './token.js';
import { LANGUAGES } from '../i18n/languages.js';

/** Ours first, then the attributes' (each once: an attribute may use a built-in scope such as profile). */
function merged(builtin: readonly string[], extra: readonly string[]): string[] {
  return [...new Set([...builtin, ...extra])];
}

export function providerMetadata(config: Config, definitions: readonly AttributeDefinition[] = []): Record<string, unknown> {
  const endpoints = Object.fromEntries(Object.entries(advertisedEndpoints).map(([metadataName, route]) => [metadataName, routeUrl(config.issuer, route)]));
  return {
    issuer: config.issuer,
    ...endpoints,
    scopes_supported: merged(BUILTIN_SCOPES, attributeScopes(definitions)),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: GRANT_TYPES_SUPPORTED,
    subject_types_supported: ['public'],
    // RFC 8725 §3.1: one algorithm, never `none`.
    id_token_signing_alg_values_supported: ['RS256'],
    token_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
    // OIDC Discovery 1.0 §3, RFC 8414 §2: the algorithms of private_key_jwt assertions (never none, never HMAC).
    token_endpoint_auth_signing_alg_values_supported: ASSERTION_SIGNING_ALGS,
    revocation_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: ASSERTION_SIGNING_ALGS,
    introspection_endpoint_auth_methods_supported: TOKEN_ENDPOINT_AUTH_METHODS,
    introspection_endpoint_auth_signing_alg_values_supported: ASSERTION_SIGNING_ALGS,
    code_challenge_methods_supported: ['S256'],
    claims_supported: merged(BUILTIN_CLAIMS, attributeClaims(definitions)),
    // OIDC Core §3.1.2.1: acr_values naming ACR_MFA asks for a second factor (src/auth/mfa-policy.ts).
    acr_values_supported: ACR_VALUES_SUPPORTED,
    prompt_values_supported: [...PROMPT_VALUES],
    claims_parameter_supported: false,
    // Issue 28: signed request objects by value (RFC 9101 §10.5; OIDC Discovery §3), asymmetric algorithms only.
    request_parameter_supported: true,
    request_object_signing_alg_values_supported: REQUEST_OBJECT_SIGNING_ALGS,
    // False: we fetch no request_uri a client hosts (OIDC Core §6.2). The request_uri values /par hands out are
    // accepted all the same; RFC 9126 §4 needs no request_uri support advertised for them, and advertising it would
    // tell clients we fetch theirs. require_request_uri_registration is left out: it means nothing without that.
    request_uri_parameter_supported: false,
    // RFC 9126 §5: whether every client must push (REQUIRE_PAR); a client's own flag is in its registration.
    require_pushed_authorization_requests: config.requirePar,
    // Issue 28: the algorithms a DPoP proof may be signed with (RFC 9449 §5.1), asymmetric only.
    dpop_signing_alg_values_supported: DPOP_SIGNING_ALGS,
    // Issue 25 (OIDC Discovery §3): the pages speak every language we ship, DEFAULT_LOCALE first. Claim values are
    // released as stored, without language tags (OIDC Core §5.2), so only the organisation's language is named.
    ui_locales_supported: [config.defaultLocale, ...LANGUAGES.filter((language) => language !== config.defaultLocale)],
    claims_locales_supported: [config.defaultLocale],
    // RFC 9207: the authorization response names its issuer, against mix-up attacks.
    authorization_response_iss_parameter_supported: true,
    // Back-Channel Logout 1.0 §2.1: logout tokens always carry the session's `sid`.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    // RFC 8414 §2, OIDC Discovery 1.0 §3: only when someone may register (issue 24). RFC 7592 §3 defines no field for
    // the client configuration endpoint: each registration response names it (registration_client_uri).
    ...(config.dynamicRegistration === 'open' || config.dynamicRegistration === 'token' ? { registration_endpoint: routeUrl(config.issuer, 'registration') } : {}),
  };
}

export function discoveryDocument(config: Config, definitions: readonly AttributeDefinition[] = []): CachedDocument {
  const body = Buffer.from(JSON.stringify(providerMetadata(config, definitions)));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

/**
 * The discovery document of the catalog's current definitions, serialised once per distinct list of scopes and
 * claims (the same Buffer, so that its ETag and the fast path's prepared headers are reused).
 */
export class DiscoveryDocuments {
  private rendered: { key: string; document: CachedDocument } | null = null;

  constructor(
    private readonly config: Config,
    private readonly catalog: ClaimCatalog,
  ) {}

  /** The document of definitions at most FRESH_MS old: what the Express route serves. */
  async fresh(): Promise<CachedDocument> {
    return this.render(await this.catalog.definitions());
  }

  /**
   * The document without waiting, for the node:http fast path (src/http/public-documents.ts): null until the
   * catalog first loaded (the request then goes to the Express route). A list older than FRESH_MS is served while
   * the catalog loads it again: the next request sees the change, well within DISCOVERY_MAX_AGE, which relying
   * parties are told they may cache the document for anyway.
   */
  current(): CachedDocument | null {
    const definitions = this.catalog.peek();
    return definitions === null ? null : this.render(definitions);
  }

  private render(definitions: readonly AttributeDefinition[]): CachedDocument {
    const key = JSON.stringify([attributeScopes(definitions), attributeClaims(definitions)]);
    if (this.rendered?.key !== key) this.rendered = { key, document: discoveryDocument(this.config, definitions) };
    return this.rendered.document;
  }
}

export function discoveryHandler(config: Config, documents: DiscoveryDocuments) {
  return async (req: Request, res: Response): Promise<void> => {
    sendCachedDocument(req, res, await documents.fresh(), 'application/json; charset=utf-8', config.discoveryMaxAge);
  };
}
