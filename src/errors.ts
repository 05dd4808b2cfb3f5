// Every error class Gatehouse throws on purpose. Each keeps what may be shown to the requester (message or
// error_description) apart from `detail`, which only ever reaches the log. src/http/error-handler.ts renders them.

/** Base of every expected error: a public message and an optional internal detail for the log. */
export abstract class GatehouseError extends Error {
  abstract readonly status: number;
  /**
   * Issue 25: the translation of the message a person reads on a page (locales/*.json key and its values); the
   * English `message` stays what logs, JSON answers and the CLI say. Set with `shown`; read by src/i18n/error-text.ts.
   */
  text?: { key: string; values?: Record<string, unknown> };
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = new.target.name;
  }

  /** The same error, shown to people as the translation `key` (with `values`). */
  shown(key: string, values?: Record<string, unknown>): this {
    this.text = { key, values };
    return this;
  }
}

/** A configuration variable is missing or malformed; the process must not start. */
export class ConfigError extends GatehouseError {
  readonly status = 500;
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
  }
}

/** Input from an operator or a form broke a rule (bad email, weak password, bad redirect URI). */
export class ValidationError extends GatehouseError {
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

/** A user, client or key named by an operator does not exist. */
export class NotFoundError extends GatehouseError {
  readonly status = 404;
}

/** A write would break a uniqueness rule (an email already registered). */
export class ConflictError extends GatehouseError {
  readonly status = 409;
}

/** The change would leave no enabled admin: nobody could then manage the identity provider from its screens. */
export class LastAdminError extends ConflictError {}

/** A signing key file is missing, unreadable or does not match its metadata; never replaced silently. */
export class KeyStoreError extends GatehouseError {
  readonly status = 500;
}

/** No route answers this path. */
export class RouteNotFoundError extends GatehouseError {
  readonly status = 404;
}

/** The store cannot be reached or a migration failed. */
export class StoreUnavailableError extends GatehouseError {
  readonly status = 503;
}

/**
 * An OAuth 2.0 / OpenID Connect protocol error (RFC 6749 §4.1.2.1 and §5.2, OIDC Core §3.1.2.6): an `error`
 * code, a public `error_description` (RFC 6749 §5.2 characters only), and the HTTP status of a JSON answer.
 */
export abstract class OAuthError extends GatehouseError {
  abstract readonly error: string;
  readonly status: number = 400;

  /** The message as error_description may carry it: RFC 6749 §5.2 allows %x20-21 / %x23-5B / %x5D-7E only. */
  get description(): string {
    return this.message.replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
  }
}

/** The request is missing a parameter, repeats one, or is otherwise malformed. */
export class InvalidRequest extends OAuthError {
  readonly error = 'invalid_request';
}

/** Client authentication failed: unknown client, wrong secret, or a method it is not registered for (401). */
export class InvalidClient extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 401;
  /** Whether the client tried the Authorization header, which obliges a WWW-Authenticate answer (RFC 6749 §5.2). */
  constructor(
    message: string,
    readonly usedAuthorizationHeader: boolean,
    detail?: string,
  ) {
    super(message, detail);
  }
}

/** The code or refresh token is invalid, expired, revoked, used, or issued to another client or redirect URI. */
export class InvalidGrant extends OAuthError {
  readonly error = 'invalid_grant';
}

/**
 * Too many failed client authentications: refused without checking the secret until `retryAfterSeconds` have
 * passed (429 with Retry-After, RFC 6585 §4). Still `invalid_client`: the client was not authenticated.
 */
export class ClientAuthenticationThrottled extends OAuthError {
  readonly error = 'invalid_client';
  override readonly status = 429;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The client may not use this grant type. */
export class UnauthorizedClient extends OAuthError {
  readonly error = 'unauthorized_client';
}

/** The grant type is not one this server supports. */
export class UnsupportedGrantType extends OAuthError {
  readonly error = 'unsupported_grant_type';
}

/** The response type is not one this server supports (only `code`). */
export class UnsupportedResponseType extends OAuthError {
  readonly error = 'unsupported_response_type';
}

/** The requested scope is invalid, unknown, or beyond what the client may ask for. */
export class InvalidScope extends OAuthError {
  readonly error = 'invalid_scope';
}

/**
 * RFC 8707 §2: the `resource` is malformed, unknown, not granted to the client, or not one the grant covers; also
 * several resources where one token can only have one audience.
 */
export class InvalidTarget extends OAuthError {
  readonly error = 'invalid_target';
}

/** RFC 8628 §3.5: the person has not decided yet; the device polls again after its interval. */
export class AuthorizationPending extends OAuthError {
  readonly error = 'authorization_pending';
}

/** RFC 8628 §3.5: the device polled too soon; its interval has grown by 5 seconds. */
export class SlowDown extends OAuthError {
  readonly error = 'slow_down';
}

/** RFC 8628 §3.5: the device code expired before the person approved it. */
export class ExpiredToken extends OAuthError {
  readonly error = 'expired_token';
}

/** RFC 8628 §3.5 `access_denied` at the token endpoint (a 400 error response, RFC 6749 §5.2): the person said no. */
export class DeviceAuthorizationDenied extends OAuthError {
  readonly error = 'access_denied';
}

/** prompt=none, and the person would have to sign in (OIDC Core §3.1.2.6). */
export class LoginRequired extends OAuthError {
  readonly error = 'login_required';
}

/** RFC 6749 §4.1.2.1 `access_denied`: the application's access rule does not admit the person (issue 21). */
export class AccessDenied extends OAuthError {
  readonly error = 'access_denied';
  override readonly status = 403;
}

/** prompt=none, and the application needs a consent the person has not given (OIDC Core §3.1.2.6; issue 24). */
export class ConsentRequired extends OAuthError {
  readonly error = 'consent_required';
}

/** RFC 7591 §3.2.2 `invalid_redirect_uri`: a redirect URI of a registration request is refused (nothing stored). */
export class InvalidRedirectUri extends OAuthError {
  readonly error = 'invalid_redirect_uri';
}

/** RFC 7591 §3.2.2 `invalid_client_metadata`: another metadata field is refused (nothing stored). */
export class InvalidClientMetadata extends OAuthError {
  readonly error = 'invalid_client_metadata';
}

/**
 * Dynamic client registration is closed on this server (DYNAMIC_REGISTRATION=closed), or the initial access token
 * is missing or not usable: RFC 7591 §3 leaves the refusal to the server; RFC 6750 §3.1 names it for a bearer token.
 */
export class RegistrationClosed extends OAuthError {
  readonly error = 'access_denied';
  override readonly status = 403;
}

/** The `request_uri` parameter is not supported (OIDC Core §6.2). */
export class RequestUriNotSupported extends OAuthError {
  readonly error = 'request_uri_not_supported';
}

/** Issue 28: the request object (`request`, RFC 9101 §6.1) is invalid: unsigned, wrongly signed, foreign, expired or replayed. */
export class InvalidRequestObject extends OAuthError {
  readonly error = 'invalid_request_object';
}

/** Issue 28: the `request_uri` is not one we issued, or is expired, used or another client's (RFC 9126 §4, RFC 9101 §6.2). */
export class InvalidRequestUri extends OAuthError {
  readonly error = 'invalid_request_uri';
}

/**
 * Issue 28: a DPoP proof is missing where required, malformed, or does not match the request (RFC 9449 §7.1, §5): 400
 * `invalid_dpop_proof` at the token endpoint; at a protected resource (userinfo) the error handler answers 401 with
 * a `DPoP` challenge.
 */
export class InvalidDpopProof extends OAuthError {
  readonly error = 'invalid_dpop_proof';
}

/**
 * Issue 28: the DPoP proof lacks the server's current nonce (RFC 9449 §8, §9): 400 at the token endpoint, 401 with a
 * `DPoP` challenge at userinfo; either way the answer carries a fresh `DPoP-Nonce`.
 */
export class UseDpopNonce extends OAuthError {
  readonly error = 'use_dpop_nonce';
  constructor(
    readonly nonce: string,
    message = 'the DPoP proof must carry the nonce this server provides in the DPoP-Nonce header',
  ) {
    super(message);
  }
}

/** The bearer token at a protected resource is missing, malformed, expired or revoked (RFC 6750 §3.1). */
export class InvalidToken extends OAuthError {
  readonly error = 'invalid_token';
  override readonly status = 401;
  /** RFC 6750 §3.1: a request with no token at all gets the challenge without an error code. */
  readonly challengeOnly: boolean;
  constructor(message: string, detail?: string, { challengeOnly = false } = {}) {
    super(message, detail);
    this.challengeOnly = challengeOnly;
  }
}

/**
 * Issue 26: the bearer token is good but lacks the scope the call needs (RFC 6750 §3.1): 403, and the challenge
 * names the scope.
 */
export class InsufficientScope extends OAuthError {
  readonly error = 'insufficient_scope';
  override readonly status = 403;
  constructor(
    readonly scope: string,
    message = `this call needs the scope ${scope}`,
  ) {
    super(message);
  }
}

/** Issue 26: an If-Match that no longer matches (RFC 9110 §13.1.1): someone else changed the resource since it was read. */
export class PreconditionFailed extends GatehouseError {
  readonly status = 412;
}

/** Issue 26: an update without If-Match where one is required (RFC 6585 §3), so that no script overwrites another's change unknowingly. */
export class PreconditionRequired extends GatehouseError {
  readonly status = 428;
}

/** The authorization request cannot be trusted enough to redirect (unknown client, unregistered redirect_uri): an HTML page, never a redirect. */
export class UntrustedAuthorizationRequest extends GatehouseError {
  readonly status = 400;
}

/** A logout request that cannot be followed (unknown client, a hint for another client, a forged form). */
export class LogoutRefused extends GatehouseError {
  constructor(
    message: string,
    readonly status: 400 | 403 = 400,
  ) {
    super(message);
  }
}

/** A form came without a valid CSRF token, or from another browser than the one that started the sign-in. */
export class ForbiddenForm extends GatehouseError {
  readonly status = 403;
}

/** A signed-in person without the admin flag asked for an admin page. */
export class AdminOnly extends GatehouseError {
  readonly status = 403;
}

/**
 * The request asks for an authentication the person cannot give here (OpenID Connect Unmet Authentication
 * Requirements 1.0 §3): acr_values asking for two factors, of a person who has no second factor.
 */
export class UnmetAuthenticationRequirements extends OAuthError {
  readonly error = 'unmet_authentication_requirements';
}

/**
 * An upstream identity provider refused the sign-in, answered something a strict relying party must not accept
 * (a wrong `iss`, `state` or `nonce`, an ID token that does not verify), was down or too slow (issue 23). A page
 * for the person ("the sign-in at <provider> did not complete"), never a stack trace and never a fallback to a
 * local sign-in; `detail` (the log only) says what exactly went wrong.
 */
export class UpstreamSignInFailed extends GatehouseError {
  constructor(
    message: string,
    detail?: string,
    readonly status: 400 | 403 | 502 | 504 = 502,
  ) {
    super(message, detail);
  }
}

/** A directory (LDAP) did not answer in time or refused the service account: its people cannot sign in now (fail closed). */
export class DirectoryUnavailable extends GatehouseError {
  readonly status = 503;
}
