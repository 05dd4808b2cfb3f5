// Reads and checks an authorization request (OIDC Core §3.1.2.1, RFC 6749 §4.1.1, RFC 7636 §4.3) in the
// order that decides how errors are shown: until client_id and redirect_uri are trusted, an HTML page and
// never a redirect; afterwards, a redirect to the client carrying `error` and the exact `state`.
// Issue 28: the outer client_id first, then where the parameters come from (src/oidc/request-sources.ts: a pushed
// request's request_uri, RFC 9126; a signed request object, RFC 9101; or the request itself), then today's checks on
// those parameters alone. The pushed request endpoint (src/oidc/par.ts) runs the same checks on what is pushed.
import { InvalidRequest, OAuthError, UnsupportedResponseType, UntrustedAuthorizationRequest } from '../errors.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ClaimCatalog } from './claim-catalog.js';
import { spendRequestObject } from './request-object.js';
import { requestSource, type RequestSourceDependencies } from './request-sources.js';
import { grantRequestedScope } from './requested-scope.js';
import { resourceParameter } from './resource.js';

export type RawParams = Record<string, unknown>;

export const PROMPT_VALUES = ['none', 'login', 'consent', 'select_account'] as const;
type Prompt = (typeof PROMPT_VALUES)[number];

/** Longest value accepted for any one parameter; state and nonce of a few hundred characters fit easily. */
const MAX_PARAM_LENGTH = 4096;
/** RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is exactly 43 characters. */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 9449 §10: dpop_jkt is a JWK SHA-256 thumbprint (RFC 7638), base64url: 43 characters. */
const JWK_THUMBPRINT = /^[A-Za-z0-9_-]{43}$/;

export interface AuthorizationRequest {
  client: ClientRecord;
  redirectUri: string;
  state: string | undefined;
  /** The scopes granted: asked for, registered for the client, and supported. Always includes openid. */
  scope: string[];
  /** The APIs named with `resource` (RFC 8707 §2), each granted to the client; [] for none. */
  resources: string[];
  nonce: string | undefined;
  codeChallenge: string | undefined;
  prompt: Set<Prompt>;
  maxAge: number | undefined;
  loginHint: string | undefined;
  idTokenHint: string | undefined;
  /** acr_values, most preferred first (OIDC Core §3.1.2.1); values we do not issue are kept and ignored. */
  acrValues: string[];
  /**
   * ui_locales (OIDC Core §3.1.2.1), most preferred first, as BCP 47 tags; the pages of this sign-in use the first
   * one Gatehouse ships (src/i18n/page-locale.ts). Tags we do not ship are kept and ignored, as the spec says.
   */
  uiLocales: string[];
  /**
   * Issue 28 (RFC 9449 §10): the thumbprint of the DPoP key the code is bound to, from `dpop_jkt` or the DPoP proof
   * sent with the pushed request; the token request must prove that key. Absent: unbound.
   */
  dpopJkt?: string;
}

/** What parsing a request needs: the store, the claim catalog, and what deciding its source needs (time, keys, REQUIRE_PAR). */
export interface AuthorizationParseDependencies extends RequestSourceDependencies {
  claimCatalog: Pick<ClaimCatalog, 'definitions'>;
}

/** Where an error may be sent once the client and redirect URI are trusted. */
export interface RedirectTarget {
  redirectUri: string;
  state: string | undefined;
}

/** Thrown for errors that go back to the client by redirect (OIDC Core §3.1.2.6). */
export class AuthorizationErrorRedirect extends Error {
  constructor(
    readonly error: OAuthError,
    readonly target: RedirectTarget,
  ) {
    super(error.message);
  }
}

/** One value of a parameter; RFC 6749 §3.1: parameters MUST NOT be included more than once. */
function single(params: RawParams, name: string, onDuplicate: (message: string) => Error): string | undefined {
  const value = params[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw onDuplicate(`${name} is included more than once`);
  if (value.length > MAX_PARAM_LENGTH) throw onDuplicate(`${name} is longer than ${MAX_PARAM_LENGTH} characters`);
  // No protocol value holds a NUL, and PostgreSQL text cannot store one: refused here, not failed on later.
  if (value.includes('\u0000')) throw onDuplicate(`${name} contains a NUL character`);
  return value === '' ? undefined : value;
}

const untrusted = (message: string) => new UntrustedAuthorizationRequest(message);

/** The client the request names (RFC 9101 §5, RFC 9126 §4: client_id is always sent outside, beside request or request_uri). */
async function namedClient(store: Store, params: RawParams): Promise<ClientRecord> {
  const clientId = single(params, 'client_id', untrusted);
  if (!clientId) throw untrusted('The application did not say who it is (client_id is missing).');
  const client = await store.clients.findById(clientId);
  if (!client) throw untrusted('The application that sent you here is not registered with this sign-in service.');
  return client;
}

function trustedTarget(client: ClientRecord, params: RawParams): RedirectTarget {
  const redirectUri = single(params, 'redirect_uri', untrusted);
  if (!redirectUri) throw untrusted('The application did not say where to send you back (redirect_uri is missing).');
  // Exact string comparison (OIDC Core §3.1.2.1, RFC 9700 §4.1.3): no normalisation, no prefix matching.
  if (!client.redirectUris.includes(redirectUri)) {
    throw untrusted('The address the application asked to send you back to is not registered for it.');
  }
  // The state is echoed even when it is the problem, so read it leniently: the first value if repeated.
  const rawState = params.state;
  const state =
    typeof rawState === 'string' && rawState !== ''
      ? rawState
      : Array.isArray(rawState) &&
          // Stryker disable next-line ConditionalExpression: equivalent; Express's query and urlencoded (extended: false) parsers give arrays of strings only
          typeof rawState[0] === 'string'
        ? rawState[0]
        : undefined;
  return { redirectUri, state };
}

/** The target of the outer parameters when it can be trusted, for errors in the request's source; else null (a page). */
function outerTarget(client: ClientRecord, params: RawParams): RedirectTarget | null {
  try {
    return trustedTarget(client, params);
  } catch (error) {
    if (error instanceof UntrustedAuthorizationRequest) return null;
    throw error;
  }
}

function parsePrompt(value: string | undefined): Set<Prompt> {
  const values = new Set((value ?? '').split(' ').filter(Boolean));
  for (const prompt of values) {
    if (!(PROMPT_VALUES as readonly string[]).includes(prompt)) throw new InvalidRequest(`prompt value ${prompt} is not supported`);
  }
  // OIDC Core §3.1.2.1: none with any other value is an error.
  if (values.has('none') && values.size > 1) throw new InvalidRequest('prompt=none cannot be combined with other prompt values');
  return values as Set<Prompt>;
}

function parseMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value)) throw new InvalidRequest('max_age must be a whole number of seconds');
  return Number(value);
}

function parseAcrValues(value: string | undefined): string[] {
  const values = (value ?? '').split(' ').filter(Boolean);
  if (values.length > 10) throw new InvalidRequest('acr_values holds too many values');
  return values;
}

/** At most 10 tags of at most 35 characters (RFC 5646 §4.4.1's practical bound), letters, digits and hyphens. */
function parseUiLocales(value: string | undefined): string[] {
  const tags = (value ?? '').split(' ').filter(Boolean);
  if (tags.length > 10) throw new InvalidRequest('ui_locales holds too many values');
  return tags.filter((tag) => /^[A-Za-z0-9-]{1,35}$/.test(tag));
}

function parsePkce(client: ClientRecord, challenge: string | undefined, method: string | undefined): string | undefined {
  if (challenge === undefined) {
    if (method !== undefined) throw new InvalidRequest('code_challenge_method was sent without code_challenge');
    if (client.pkceRequired) throw new InvalidRequest('code_challenge is required (PKCE with S256)');
    return undefined;
  }
  // RFC 7636 §4.3 makes plain the default; RFC 9700 §2.1.1 and we accept S256 only.
  if (method !== 'S256') throw new InvalidRequest('code_challenge_method must be S256');
  if (!S256_CHALLENGE.test(challenge)) throw new InvalidRequest('code_challenge must be 43 base64url characters');
  return challenge;
}

function parseDpopJkt(value: string | undefined): string | undefined {
  if (value !== undefined && !JWK_THUMBPRINT.test(value)) throw new InvalidRequest('dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters');
  return value;
}

/** An authorization request and the parameters it was read from (a pushed request's or a request object's, if so). */
export interface ResolvedAuthorizationRequest {
  request: AuthorizationRequest;
  params: RawParams;
}

/**
 * The authorization endpoint's parse: the client, the source of the parameters, their checks; the request object's
 * jti is spent last, so that a refused request uses nothing up (but a pushed request_uri, spent when presented).
 */
export async function resolveAuthorizationRequest(deps: AuthorizationParseDependencies, outer: RawParams): Promise<ResolvedAuthorizationRequest> {
  const client = await namedClient(deps.store, outer);
  // An unusable request_uri or request object goes back to the outer redirect_uri, with the outer state, when it is
  // registered (RFC 9101 §6.3, OIDC Core §6.3); without one, the refusal is our page (JSON to a client asking for it).
  const refuse = (error: unknown): Error => {
    const target = error instanceof OAuthError ? outerTarget(client, outer) : null;
    return target ? new AuthorizationErrorRedirect(error as OAuthError, target) : (error as Error);
  };
  let source: Awaited<ReturnType<typeof requestSource>>;
  try {
    source = await requestSource(deps, client, outer);
  } catch (error) {
    throw refuse(error);
  }
  const request = await checkedRequest(deps.store, deps.claimCatalog, client, source.params);
  if (source.requestObject) {
    try {
      await spendRequestObject(deps.store, client, source.requestObject);
    } catch (error) {
      throw refuse(error);
    }
  }
  return { request, params: source.params };
}

export async function parseAuthorizationRequest(deps: AuthorizationParseDependencies, params: RawParams): Promise<AuthorizationRequest> {
  return (await resolveAuthorizationRequest(deps, params)).request;
}

/**
 * Today's checks of the effective parameters of `client`'s request: an untrusted client or redirect URI is
 * UntrustedAuthorizationRequest, anything after it an AuthorizationErrorRedirect. Writes nothing.
 */
export async function checkedRequest(store: Store, catalog: Pick<ClaimCatalog, 'definitions'>, client: ClientRecord, params: RawParams): Promise<AuthorizationRequest> {
  const target = trustedTarget(client, params);
  try {
    const get = (name: string) => single(params, name, (message) => new InvalidRequest(message));
    const state = get('state');
    const responseType = get('response_type');
    if (responseType === undefined) throw new InvalidRequest('response_type is missing');
    if (responseType !== 'code') throw new UnsupportedResponseType('only response_type=code is supported');
    const responseMode = get('response_mode');
    if (responseMode !== undefined && responseMode !== 'query') throw new InvalidRequest('only response_mode=query is supported');
    // RFC 8707 §2: `resource` may repeat; errors in it go back to the client like any other (invalid_target).
    const resources = resourceParameter(params);
    return {
      client,
      redirectUri: target.redirectUri,
      state,
      scope: await grantRequestedScope(store, catalog, client, get('scope'), resources, { requireOpenid: true }),
      resources,
      nonce: get('nonce'),
      codeChallenge: parsePkce(client, get('code_challenge'), get('code_challenge_method')),
      prompt: parsePrompt(get('prompt')),
      maxAge: parseMaxAge(get('max_age')),
      loginHint: get('login_hint'),
      idTokenHint: get('id_token_hint'),
      acrValues: parseAcrValues(get('acr_values')),
      uiLocales: parseUiLocales(get('ui_locales')),
      dpopJkt: parseDpopJkt(get('dpop_jkt')),
    };
  } catch (error) {
    if (error instanceof OAuthError) throw new AuthorizationErrorRedirect(error, target);
    throw error;
  }
}

/** What a pending request keeps server-side while the person signs in: the checked values, nothing more. */
export function storedParams(request: AuthorizationRequest): Record<string, string> {
  const entries: [string, string | undefined][] = [
    ['redirect_uri', request.redirectUri],
    ['state', request.state],
    ['scope', request.scope.join(' ')],
    // Identifiers hold no white space (src/oidc/resource.ts), so one space joins them unambiguously.
    ['resource', request.resources.length > 0 ? request.resources.join(' ') : undefined],
    ['nonce', request.nonce],
    ['code_challenge', request.codeChallenge],
    ['login_hint', request.loginHint],
    ['acr_values', request.acrValues.length > 0 ? request.acrValues.join(' ') : undefined],
    // Issue 25: the sign-in's pages are in the language the application asked for.
    ['ui_locales', request.uiLocales.length > 0 ? request.uiLocales.join(' ') : undefined],
    // Issue 24: prompt=consent must still ask after the login page (src/interaction/consent.ts). The other prompts
    // were answered at /authorize (login: the form is shown; none: never stored), so only consent is kept.
    ['prompt', request.prompt.has('consent') ? 'consent' : undefined],
    // Issue 28 (RFC 9449 §10): the code issued at the end of the sign-in is bound to this key.
    ['dpop_jkt', request.dpopJkt],
  ];
  // Stryker disable next-line MethodExpression: equivalent; the store keeps params as JSON.stringify, which leaves out undefined values
  return Object.fromEntries(entries.filter((entry): entry is [string, string] => entry[1] !== undefined));
}

/** Rebuilds a request kept by storedParams; the client is looked up again, so a deleted client ends it. */
export function restoreRequest(client: ClientRecord, params: Record<string, string>): AuthorizationRequest {
  return {
    client,
    // Stryker disable next-line StringLiteral: equivalent; storedParams always keeps redirect_uri
    redirectUri: params.redirect_uri ?? '',
    state: params.state,
    // Stryker disable next-line MethodExpression,StringLiteral: equivalent; storedParams always keeps scope, joined from non-empty scopes
    scope: (params.scope ?? '').split(' ').filter(Boolean),
    // A request kept before issue 22, or one naming no resource, has none.
    resources: (params.resource ?? '').split(' ').filter(Boolean),
    nonce: params.nonce,
    codeChallenge: params.code_challenge,
    prompt: params.prompt === 'consent' ? new Set(['consent']) : new Set(),
    maxAge: undefined,
    loginHint: params.login_hint,
    idTokenHint: undefined,
    acrValues: storedAcrValues(params),
    uiLocales: (params.ui_locales ?? '').split(' ').filter(Boolean),
    dpopJkt: params.dpop_jkt,
  };
}

/** The acr_values a pending request kept (storedParams), most preferred first. */
export function storedAcrValues(params: Record<string, string>): string[] {
  // Stryker disable next-line MethodExpression,StringLiteral: equivalent; kept joined from non-empty values, and only ACR_MFA among them is ever looked for
  return (params.acr_values ?? '').split(' ').filter(Boolean);
}
