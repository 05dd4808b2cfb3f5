// The client metadata of a dynamic registration (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2),
// read into the settings of createClient / updateClient (src/manage/clients.ts), whose rules then apply to a
// stranger's client exactly as to an administrator's. This module checks what only a registration sends: the JSON
// types (zod), the protocol fields Gatehouse has one answer to (response_types `code`, RS256 ID tokens, public
// subjects), the consistency of grant_types, response_types and token_endpoint_auth_method (RFC 7591 §2.1), and the
// stricter rule for the pages a stranger names (https only). Refusals follow RFC 7591 §3.2.2: `invalid_redirect_uri`
// for a redirect URI, `invalid_client_metadata` (naming the field) for anything else; nothing is stored.
//
// Accepted and not stored: `contacts` (Gatehouse mails nobody about a client), `application_type` (web and native
// clients are held to the same redirect URI rules), `backchannel_logout_session_required` (logout tokens always
// carry `sid`), `token_endpoint_auth_signing_alg` (checked: an assertion may use any supported algorithm). Unknown
// fields are ignored (RFC 7591 §2); a few known ones asking for what Gatehouse does not do (encrypted responses,
// request_uris, a sector identifier, pairwise subjects) are refused rather than silently not honoured.
// Issue 28: `require_pushed_authorization_requests` (RFC 9126 §6) and `dpop_bound_access_tokens` (RFC 9449 §5.2),
// booleans, absent or null meaning false; stored and echoed (src/oidc/registration-response.ts).
import { z } from 'zod';
import { isLoopbackHostname } from '../config.js';
import { InvalidClientMetadata, InvalidRedirectUri, ValidationError, type OAuthError } from '../errors.js';
import type { NewClientInput } from '../manage/clients.js';
import { checkClientUri } from '../manage/redirect-uris.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type TokenEndpointAuthMethod } from '../store/records.js';
import { ASSERTION_SIGNING_ALGS } from './client-assertion.js';

const SUPPORTED_GRANTS = ['authorization_code', 'refresh_token', DEVICE_CODE_GRANT];
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/** Generous bounds on sizes (the rules of createClient say the precise ones): a body is at most 128 KiB anyway. */
const text = z.string().max(4096);
const uriList = z.array(text).max(50);
const optional = <T extends z.ZodType>(schema: T) => schema.nullish();

const metadataSchema = z.object({
  redirect_uris: optional(uriList),
  response_types: optional(z.array(text).max(10)),
  grant_types: optional(z.array(text).max(10)),
  token_endpoint_auth_method: optional(text),
  client_name: optional(text),
  logo_uri: optional(text),
  client_uri: optional(text),
  policy_uri: optional(text),
  tos_uri: optional(text),
  scope: optional(text),
  post_logout_redirect_uris: optional(uriList),
  backchannel_logout_uri: optional(text),
  backchannel_logout_session_required: optional(z.boolean()),
  jwks: optional(z.record(z.string(), z.unknown())),
  jwks_uri: optional(text),
  initiate_login_uri: optional(text),
  contacts: optional(z.array(text).max(20)),
  application_type: optional(z.enum(['web', 'native'])),
  id_token_signed_response_alg: optional(z.literal('RS256')),
  token_endpoint_auth_signing_alg: optional(z.enum(ASSERTION_SIGNING_ALGS as [string, ...string[]])),
  subject_type: optional(z.literal('public')),
  userinfo_signed_response_alg: optional(z.literal('none')),
  require_pushed_authorization_requests: optional(z.boolean()),
  dpop_bound_access_tokens: optional(z.boolean()),
});

type Metadata = z.output<typeof metadataSchema>;

/** What a field must be, for the refusal of a value of the wrong JSON type (or an unsupported choice). */
const EXPECTED: Record<keyof Metadata, string> = {
  redirect_uris: 'an array of at most 50 URIs',
  response_types: 'an array of response types',
  grant_types: 'an array of grant types',
  token_endpoint_auth_method: 'a string',
  client_name: 'a string',
  logo_uri: 'a URI string',
  client_uri: 'a URI string',
  policy_uri: 'a URI string',
  tos_uri: 'a URI string',
  scope: 'a string of space-separated scope names',
  post_logout_redirect_uris: 'an array of at most 50 URIs',
  backchannel_logout_uri: 'a URI string',
  backchannel_logout_session_required: 'true or false',
  jwks: 'a JSON Web Key Set object ({"keys": [...]}, RFC 7517 §5)',
  jwks_uri: 'a URI string',
  initiate_login_uri: 'a URI string',
  contacts: 'an array of at most 20 strings',
  application_type: 'web or native',
  id_token_signed_response_alg: 'RS256 (the only algorithm Gatehouse signs ID tokens with)',
  token_endpoint_auth_signing_alg: `one of ${ASSERTION_SIGNING_ALGS.join(', ')}`,
  subject_type: 'public (pairwise subjects are not supported)',
  userinfo_signed_response_alg: 'none or absent (userinfo answers are plain JSON)',
  require_pushed_authorization_requests: 'true or false',
  dpop_bound_access_tokens: 'true or false',
};

/** Known fields asking for what Gatehouse does not do: refused, so that the client does not count on it. */
const REFUSED_FIELDS: Record<string, string> = {
  request_uris: 'request objects by reference are not supported (request_uri_parameter_supported is false)',
  sector_identifier_uri: 'pairwise subjects are not supported, so no sector identifier is fetched',
  id_token_encrypted_response_alg: 'ID tokens are signed, never encrypted',
  id_token_encrypted_response_enc: 'ID tokens are signed, never encrypted',
  userinfo_encrypted_response_alg: 'userinfo answers are never encrypted',
  userinfo_encrypted_response_enc: 'userinfo answers are never encrypted',
  request_object_encryption_alg: 'request objects are signed, never encrypted',
  request_object_encryption_enc: 'request objects are signed, never encrypted',
};

/** What the server assigns or issues: never taken from a registration request (RFC 7591 §3.1, RFC 7592 §2.2). */
const SERVER_FIELDS = ['registration_access_token', 'registration_client_uri', 'client_id_issued_at', 'client_secret_expires_at'];

/** The settings of a registration, for createClient (and, at an update, updateClient), and what was asked. */
export interface ClientRegistrationRequest {
  /** createClient's input, without what the registration itself decides (origin, third party, token hash). */
  settings: Omit<NewClientInput, 'origin' | 'thirdParty' | 'registrationTokenHash'> & {
    name: string;
    redirectUris: string[];
    postLogoutRedirectUris: string[];
    backchannelLogoutUri: string | null;
    isPublic: boolean;
    device: boolean;
  };
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Whether it uses the authorization code grant (a browser sign-in) and the device grant. */
  code: boolean;
  /** The URLs the server itself will request (checked against special-purpose addresses by the caller). */
  outbound: { field: 'jwks_uri' | 'backchannel_logout_uri'; uri: string }[];
  /** RFC 7592 §2.2: the client_id and client_secret an update names (null: absent). */
  clientId: string | null;
  clientSecret: string | null;
}

export interface MetadataRules {
  /** config.registrationAllowPrivateUrls: http on a loopback host allowed for the pages a client names. */
  allowLoopbackPages: boolean;
  /** 'register' (POST /register) or 'update' (PUT /register/<client_id>). */
  purpose: 'register' | 'update';
}

export const invalidMetadata = (field: string, problem: string) => new InvalidClientMetadata(`${field} ${problem}`);

/** RFC 7591 §2 names of createClient's ValidationError fields. */
const FIELD_NAMES: Record<string, string> = { name: 'client_name', redirect_uri: 'redirect_uris', post_logout_redirect_uri: 'post_logout_redirect_uris' };

/**
 * A rule of createClient / updateClient broken by a registration, as RFC 7591 §3.2.2 names it: a redirect URI's
 * problem is invalid_redirect_uri, anything else invalid_client_metadata; the description names the field.
 */
export function registrationErrorOf(error: ValidationError): OAuthError {
  const field = FIELD_NAMES[error.field] ?? error.field;
  const named = error.message.startsWith(`${field} `) || error.message.startsWith(`${error.field} `);
  const message = named ? error.message : `${field}: ${error.message}`;
  return field === 'redirect_uris' ? new InvalidRedirectUri(message) : new InvalidClientMetadata(message);
}

function parsed(body: unknown): Metadata {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new InvalidClientMetadata('the request body must be a JSON object of client metadata (RFC 7591 §2)');
  const result = metadataSchema.safeParse(body);
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? 'metadata');
  const expected: Record<string, string> = EXPECTED;
  const problem = `must be ${expected[field] ?? 'of another type'}`;
  if (field === 'redirect_uris') throw new InvalidRedirectUri(`redirect_uris ${problem}`);
  throw invalidMetadata(field, problem);
}

/** A redirect URI: today's rules (checkClientUri, again in createClient), and no wildcard, which could never match. */
function checkRedirectUri(uri: string, field: 'redirect_uris' | 'post_logout_redirect_uris'): void {
  if (uri.includes('*')) {
    throw new (field === 'redirect_uris' ? InvalidRedirectUri : InvalidClientMetadata)(
      `${field}: ${uri.slice(0, 200)} contains a wildcard; redirect URIs are compared exactly (OIDC Core §3.1.2.1)`,
    );
  }
  try {
    checkClientUri(uri, field);
  } catch (error) {
    if (error instanceof ValidationError) throw registrationErrorOf(error);
    throw error;
  }
}

/** A page a person's browser is shown (logo_uri, client_uri, …): https; http on loopback only when allowed. */
function checkPage(uri: string | null | undefined, field: string, rules: MetadataRules): string | null {
  if (uri === undefined || uri === null || uri === '') return null;
  try {
    checkClientUri(uri, field);
  } catch (error) {
    if (error instanceof ValidationError) throw new InvalidClientMetadata(error.message);
    throw error;
  }
  const url = new URL(uri);
  if (url.protocol === 'https:') return uri;
  if (rules.allowLoopbackPages && isLoopbackHostname(url.hostname)) return uri;
  throw invalidMetadata(field, `${uri.slice(0, 200)} must use https`);
}

function grantsOf(metadata: Metadata): { code: boolean; device: boolean } {
  const grants = metadata.grant_types ?? ['authorization_code'];
  for (const grant of grants) {
    if (grant === CLIENT_CREDENTIALS_GRANT) {
      throw invalidMetadata('grant_types', 'may not include client_credentials: a dynamically registered client is granted no API (an administrator registers machine clients)');
    }
    if (!SUPPORTED_GRANTS.includes(grant)) throw invalidMetadata('grant_types', `${grant.slice(0, 100)} is not supported: use ${SUPPORTED_GRANTS.join(', ')}`);
  }
  const code = grants.includes('authorization_code');
  const device = grants.includes(DEVICE_CODE_GRANT);
  if (!code && !device) throw invalidMetadata('grant_types', 'must include authorization_code or the device code grant (refresh_token alone grants nothing)');
  // RFC 7591 §2.1: response_types and grant_types must agree; `code` is the only response type (discovery).
  const responseTypes = metadata.response_types ?? (code ? ['code'] : []);
  const unsupported = responseTypes.find((type) => type !== 'code');
  if (unsupported !== undefined) throw invalidMetadata('response_types', `${unsupported.slice(0, 100)} is not supported: the only response type is code`);
  if (code !== responseTypes.includes('code')) {
    throw invalidMetadata(
      'response_types',
      code ? 'must include code when grant_types includes authorization_code (RFC 7591 §2.1)' : 'may include code only when grant_types includes authorization_code (RFC 7591 §2.1)',
    );
  }
  return { code, device };
}

function authMethodOf(metadata: Metadata): TokenEndpointAuthMethod {
  const method = metadata.token_endpoint_auth_method ?? 'client_secret_basic';
  if (!(AUTH_METHODS as readonly string[]).includes(method)) {
    throw invalidMetadata('token_endpoint_auth_method', `${method.slice(0, 100)} is not supported: use ${AUTH_METHODS.join(', ')}`);
  }
  const keys = [metadata.jwks, metadata.jwks_uri].filter((value) => value !== undefined && value !== null).length;
  if (keys === 2) throw invalidMetadata('jwks', 'and jwks_uri must not both be given (OIDC Dynamic Client Registration §2)');
  if (method === 'private_key_jwt' && keys === 0) throw invalidMetadata('jwks', 'or jwks_uri is required for private_key_jwt');
  if (method !== 'private_key_jwt' && keys > 0) throw invalidMetadata(metadata.jwks ? 'jwks' : 'jwks_uri', 'is only used for token_endpoint_auth_method private_key_jwt');
  return method as TokenEndpointAuthMethod;
}

function scopesOf(scope: string | null | undefined): string[] | undefined {
  if (scope === undefined || scope === null) return undefined;
  const scopes = scope.split(' ').filter((name) => name !== '');
  if (scopes.length === 0) throw invalidMetadata('scope', 'names no scope');
  return scopes;
}

/** The default name: the host of the application's first redirect URI (or home page), so that it is never blank. */
function defaultName(redirectUris: string[], clientUri: string | null): string {
  const first = redirectUris[0] ?? clientUri;
  return first ? new URL(first).host : 'Unnamed application';
}

/**
 * Reads a registration request's JSON body (RFC 7591 §2; RFC 7592 §2.2 for an update) into createClient's
 * settings. Throws InvalidRedirectUri or InvalidClientMetadata; reads and writes nothing.
 */
export function readClientMetadata(body: unknown, rules: MetadataRules): ClientRegistrationRequest {
  const raw = body as Record<string, unknown>;
  const metadata = parsed(body);
  for (const [field, why] of Object.entries(REFUSED_FIELDS)) if (raw[field] !== undefined && raw[field] !== null) throw invalidMetadata(field, `is not supported: ${why}`);
  for (const field of SERVER_FIELDS) if (raw[field] !== undefined) throw invalidMetadata(field, 'is issued by the server and must not be sent (RFC 7592 §2.2)');
  const clientId = raw.client_id;
  const clientSecret = raw.client_secret;
  if (rules.purpose === 'register' && (clientId !== undefined || clientSecret !== undefined)) {
    throw invalidMetadata(clientId !== undefined ? 'client_id' : 'client_secret', 'is assigned by the server at registration and must not be sent');
  }
  if (clientId !== undefined && typeof clientId !== 'string') throw invalidMetadata('client_id', 'must be a string');
  if (clientSecret !== undefined && typeof clientSecret !== 'string') throw invalidMetadata('client_secret', 'must be a string');

  const { code, device } = grantsOf(metadata);
  const redirectUris = metadata.redirect_uris ?? [];
  if (code && redirectUris.length === 0) throw new InvalidRedirectUri('redirect_uris is required for the authorization_code grant');
  if (!code && redirectUris.length > 0) throw new InvalidRedirectUri('redirect_uris must be empty without the authorization_code grant (a device-only client has none)');
  redirectUris.forEach((uri) => checkRedirectUri(uri, 'redirect_uris'));
  const postLogoutRedirectUris = metadata.post_logout_redirect_uris ?? [];
  postLogoutRedirectUris.forEach((uri) => checkRedirectUri(uri, 'post_logout_redirect_uris'));
  const tokenEndpointAuthMethod = authMethodOf(metadata);
  const pages = {
    logoUri: checkPage(metadata.logo_uri, 'logo_uri', rules),
    clientUri: checkPage(metadata.client_uri, 'client_uri', rules),
    policyUri: checkPage(metadata.policy_uri, 'policy_uri', rules),
    tosUri: checkPage(metadata.tos_uri, 'tos_uri', rules),
    initiateLoginUri: checkPage(metadata.initiate_login_uri, 'initiate_login_uri', rules),
  };
  const backchannelLogoutUri = metadata.backchannel_logout_uri || null;
  const jwksUri = metadata.jwks_uri || null;
  const outbound: ClientRegistrationRequest['outbound'] = [];
  if (jwksUri !== null) outbound.push({ field: 'jwks_uri', uri: jwksUri });
  if (backchannelLogoutUri !== null) outbound.push({ field: 'backchannel_logout_uri', uri: backchannelLogoutUri });
  return {
    settings: {
      name: metadata.client_name ?? defaultName(redirectUris, pages.clientUri),
      redirectUris,
      postLogoutRedirectUris,
      backchannelLogoutUri,
      isPublic: tokenEndpointAuthMethod === 'none',
      secretPost: tokenEndpointAuthMethod === 'client_secret_post',
      device,
      ...(metadata.jwks ? { jwks: JSON.stringify(metadata.jwks) } : {}),
      ...(jwksUri !== null ? { jwksUri } : {}),
      scopes: scopesOf(metadata.scope),
      ...pages,
      requirePushedAuthorizationRequests: metadata.require_pushed_authorization_requests ?? false,
      dpopBoundAccessTokens: metadata.dpop_bound_access_tokens ?? false,
    },
    tokenEndpointAuthMethod,
    code,
    outbound,
    clientId: typeof clientId === 'string' ? clientId : null,
    clientSecret: typeof clientSecret === 'string' ? clientSecret : null,
  };
}
