// Record types shared by every storage engine. Times are milliseconds since the epoch (UTC).
// Secrets (session ids, codes, refresh tokens, client secrets) only ever appear here as SHA-256 hashes.

export interface UserRecord {
  /** Random, non-sequential; the OpenID Connect `sub`. */
  id: string;
  email: string;
  name: string | null;
  /** argon2id PHC string. */
  passwordHash: string;
  isAdmin: boolean;
  disabled: boolean;
  emailVerified: boolean;
  /**
   * False for an account made at a federated sign-in (issue 23) until its owner sets a password: its hash is of a
   * random secret nobody knows. Every change of `passwordHash` (but a rehash) sets it true, in the store.
   */
  hasPassword: boolean;
  /** Issue 25: the language the person picked (one Gatehouse ships, src/i18n/languages.ts), or null. */
  locale: string | null;
  /** Issue 25: the IANA time zone their dates are shown in, or null (the browser's, else UTC). */
  timeZone: string | null;
  createdAt: number;
  updatedAt: number;
  /** Issue 26: 1 when created, one more at every update (the management API's ETag; UpdateOptions.onlyIfVersion). */
  version: number;
}

/** `hasPassword` defaults to true; `locale` and `timeZone` to null. */
export type NewUser = Omit<UserRecord, 'createdAt' | 'updatedAt' | 'version' | 'hasPassword' | 'locale' | 'timeZone'> & {
  hasPassword?: boolean;
  locale?: string | null;
  timeZone?: string | null;
};
export type UserPatch = Partial<Pick<UserRecord, 'email' | 'name' | 'passwordHash' | 'isAdmin' | 'disabled' | 'emailVerified' | 'locale' | 'timeZone'>>;

export type ClientType = 'public' | 'confidential';
/** private_key_jwt (RFC 7523 §2.2, OIDC Core §9): a confidential client without a secret, proving itself with its key. */
export type TokenEndpointAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';

/** RFC 6749 §4.4: a machine client's grant. */
export const CLIENT_CREDENTIALS_GRANT = 'client_credentials';
/** RFC 8628 §3.4. */
export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export interface ClientRecord {
  clientId: string;
  name: string;
  clientType: ClientType;
  /** SHA-256 of the secret, base64url; null for public clients and for those authenticating with private_key_jwt. */
  secretHash: string | null;
  tokenEndpointAuthMethod: TokenEndpointAuthMethod;
  /** Compared by exact string equality (OIDC Core §3.1.2.1, RFC 9700 §4.1.3). */
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  grantTypes: string[];
  scopes: string[];
  /** RFC 7636 is required unless an operator registered this confidential client with PKCE optional. */
  pkceRequired: boolean;
  /** Everyone signing in to this client passes a second factor (or enrols one first). */
  requireMfa: boolean;
  /**
   * Seconds after a rotation during which this client may present the spent refresh token again and receive the
   * same successor (src/oidc/grants/refresh-retry.ts); null: the server's REFRESH_REUSE_GRACE.
   */
  refreshReuseGrace: number | null;
  /** Who may sign in: everyone, or only members of `accessGroups` (none left admits nobody: fail closed). */
  accessPolicy: AccessPolicy;
  /** Group ids: the groups whose members may sign in when `accessPolicy` is 'groups'. */
  accessGroups: string[];
  /** Which of the person's groups the `groups` claim releases to this client. */
  groupsClaim: GroupsClaimMode;
  /** Group ids the client may also see with `groupsClaim` 'listed' (besides its access groups). */
  claimGroups: string[];
  /** OIDC Core §4: where "Your applications" sends a person to start a sign-in at the client; null: not listed. */
  initiateLoginUri: string | null;
  /** A logo shown beside the client's name on the account page; null for none. */
  logoUri: string | null;
  /** Whom a person refused by the access rule should ask (free text); null: the server's ACCESS_CONTACT. */
  accessContact: string | null;
  /**
   * The client's public keys as a JWKS (JSON text, public members only), for private_key_jwt (issue 22); null when it
   * registered none or registered `jwksUri` instead (never both).
   */
  jwks: string | null;
  /** Where the client publishes its JWKS (https, or http on loopback); fetched and cached by src/oidc/client-jwks.ts. */
  jwksUri: string | null;
  /**
   * Issue 24: a third party's application (consent is asked for what it requests: src/auth/consent-policy.ts), or
   * the organisation's own (false: no consent asked unless it sends prompt=consent, as before).
   */
  thirdParty: boolean;
  /** How it was registered: by an administrator (CLI, admin screens, import) or through POST /register (RFC 7591). */
  origin: ClientOrigin;
  /** RFC 7591 §2 client_uri, policy_uri, tos_uri: shown on the consent screen (https), never fetched by the server. */
  clientUri: string | null;
  policyUri: string | null;
  tosUri: string | null;
  /** SHA-256 (hashSecret) of the RFC 7592 registration access token; null for clients an administrator created. */
  registrationTokenHash: string | null;
  /**
   * Issue 28 (RFC 9126 §6): this client's authorization requests must come through the pushed authorization request
   * endpoint; REQUIRE_PAR requires it of every client. Default false.
   */
  requirePushedAuthorizationRequests: boolean;
  /**
   * Issue 28 (RFC 9449 §5.2): every token request of this client must carry a DPoP proof, so its access tokens are
   * always sender-constrained. Default false.
   */
  dpopBoundAccessTokens: boolean;
  createdAt: number;
  updatedAt: number;
  /** Issue 26: 1 when created, one more at every update of the client's own row (not of its API grants). */
  version: number;
}

export type ClientOrigin = 'admin' | 'dynamic';

export type AccessPolicy = 'everyone' | 'groups';

/**
 * 'all': every group of the person; 'listed': those among the client's access and claim groups; a prefix: those
 * whose name starts with it (compared case-insensitively, as names are).
 */
export type GroupsClaimMode = { kind: 'all' } | { kind: 'listed' } | { kind: 'prefix'; prefix: string };

/** The fields a NewClient may leave out (issues 21, 22 and 24); src/store/rows/clients.ts gives their defaults. */
export type OptionalClientField =
  | 'accessPolicy'
  | 'accessGroups'
  | 'groupsClaim'
  | 'claimGroups'
  | 'initiateLoginUri'
  | 'logoUri'
  | 'accessContact'
  | 'jwks'
  | 'jwksUri'
  | 'thirdParty'
  | 'origin'
  | 'clientUri'
  | 'policyUri'
  | 'tosUri'
  | 'registrationTokenHash'
  | 'requirePushedAuthorizationRequests'
  | 'dpopBoundAccessTokens';

/** The issue-21, 22 and 24 fields take their defaults (everyone, all groups, none listed, no URIs, no keys, first-party) unless given. */
export type NewClient = Omit<ClientRecord, 'createdAt' | 'updatedAt' | 'version' | 'requireMfa' | 'refreshReuseGrace' | OptionalClientField> &
  Partial<Pick<ClientRecord, OptionalClientField>> & {
    requireMfa?: boolean;
    refreshReuseGrace?: number | null;
  };
export type ClientPatch = Partial<Omit<ClientRecord, 'clientId' | 'createdAt' | 'updatedAt' | 'version'>>;

/**
 * A signing key as the store keeps it (PostgreSQL mode). Facts, not a state: the state at a time (pending,
 * active, published, retired, revoked) is computed from them by src/signing/key-schedule.ts.
 */
export interface SigningKeyRecord {
  /** RFC 7638 JWK thumbprint of the public key. */
  kid: string;
  alg: 'RS256';
  /** The public JWK as JSON. */
  publicJwk: string;
  /** The private key, encrypted by the key store that wrote it; the store never sees it in clear. */
  privateKeyCiphertext: string;
  /** In the JWKS from this time. */
  createdAt: number;
  /** Signs from this time, possibly in the future. */
  activatedAt: number;
  retiredAt: number | null;
  revokedAt: number | null;
}

/**
 * What may change in a key after it was written. activatedAt and revokedAt replace the stored value; retiredAt
 * (a superseded key's retirement, decided once: src/signing/key-retirement.ts) is stored only while the key has
 * none, so that of nodes deciding at once the first one wins and the others read its decision back.
 */
export type SigningKeyChange = Partial<Pick<SigningKeyRecord, 'activatedAt' | 'revokedAt' | 'retiredAt'>>;

export interface SessionRecord {
  idHash: string;
  /** Public random id, the ID token's `sid`; knowing it grants nothing. */
  sid: string;
  userId: string;
  /** RFC 8176 authentication method references, e.g. ['pwd']. */
  amr: string[];
  /** The upstream provider's slug when the sign-in went through one (the ID token's `idp` claim, issue 23); null otherwise. */
  idp?: string | null;
  /** When the person signed in (OIDC `auth_time`): what ID tokens and `max_age` go by. Never moved by a re-entered password. */
  authTime: number;
  /**
   * When the person last re-entered the password for a sensitive admin action (src/admin/recent-sign-in.ts), kept
   * apart from `authTime`: that proved the password again, not the factors (`amr`) of the sign-in. Null (or absent
   * in a record not read from the store) when they never did.
   */
  reauthenticatedAt?: number | null;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

export interface AuthorizationCodeRecord {
  codeHash: string;
  /** Ties the code to every token issued from it, so a replay revokes them all (RFC 6749 §4.1.2). */
  grantId: string;
  clientId: string;
  userId: string;
  sessionIdHash: string | null;
  /** The session's public id, for the ID token's `sid`. */
  sid: string | null;
  amr: string[];
  /** The session's upstream provider (SessionRecord.idp), for the ID token's `idp` claim. */
  idp?: string | null;
  redirectUri: string;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  authTime: number;
  /**
   * The APIs the authorization request named (RFC 8707 `resource`, their identifiers), [] for none: the code's
   * tokens may be for one of them, never another (issue 22).
   */
  resources: string[];
  /**
   * Issue 28 (RFC 9449 §10): the JWK SHA-256 thumbprint (RFC 7638) of the key the code is bound to, from the request's
   * `dpop_jkt` or the DPoP proof sent with its pushed request; the token request must prove that key. Null: unbound.
   */
  dpopJkt?: string | null;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** Set when the code was presented again after (or while) it was redeemed. */
  replayedAt: number | null;
}

export type NewAuthorizationCode = Omit<AuthorizationCodeRecord, 'consumedAt' | 'replayedAt'>;

export interface RefreshTokenRecord {
  tokenHash: string;
  /** Every token rotated from one grant shares it; reuse of a dead one revokes the family (RFC 9700 §4.14.2). */
  grantId: string;
  clientId: string;
  userId: string;
  sessionIdHash: string | null;
  sid: string | null;
  amr: string[];
  /** The session's upstream provider (SessionRecord.idp), carried from the code. */
  idp?: string | null;
  scope: string;
  authTime: number;
  /** The grant's APIs (RFC 8707), carried from its code: a refresh may narrow to one of them (issue 22). */
  resources: string[];
  createdAt: number;
  /** This token's own end: the grant's absolute end or its idle deadline, whichever comes first. */
  expiresAt: number;
  /** The absolute end of the grant; rotation never moves it (RFC 9700 §4.14.2). */
  grantExpiresAt: number;
  /** The key that signed the tokens issued with this one; revoking that key revokes the grant. */
  kid: string | null;
  /**
   * Issue 28 (RFC 9449 §5, §5.0): a public client's refresh token issued under a DPoP proof is bound to that key's
   * thumbprint (RFC 7638); only a proof of the same key refreshes it. Null: unbound (confidential clients, bearer).
   */
  jkt?: string | null;
  /** Set when the token was exchanged for its successor. */
  rotatedAt: number | null;
  revokedAt: number | null;
}

export type NewRefreshToken = Omit<RefreshTokenRecord, 'rotatedAt' | 'revokedAt'>;

/** An authorization request waiting for the person to sign in, kept server-side (never in the browser). */
export interface AuthorizationRequestRecord {
  idHash: string;
  /** Hash of the cookie of the browser that started the request. */
  browserHash: string;
  clientId: string;
  /** The validated request parameters, as the authorization endpoint parsed them. */
  params: Record<string, string>;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export type NewAuthorizationRequest = Omit<AuthorizationRequestRecord, 'consumedAt'>;

/**
 * Issue 28: a pushed authorization request (RFC 9126 §2), kept until its `request_uri` is used once or expires (60 s).
 * Found by the SHA-256 (hashSecret) of its whole request_uri; the client is the one that pushed it.
 */
export interface PushedRequestRecord {
  uriHash: string;
  clientId: string;
  /**
   * The parameters as pushed, once checked (the request object's, when one was sent), to be parsed again by the
   * authorization endpoint exactly as if sent to it directly; with `dpop_jkt` set from the push's DPoP proof.
   */
  params: Record<string, string | string[]>;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export type NewPushedRequest = Omit<PushedRequestRecord, 'consumedAt'>;

/** Issue 28: the kinds of single-use JWT ids remembered for a while (UsedJtiRepository). */
export type UsedJtiKind = 'request_object' | 'dpop_proof';

export type AccessTokenFormat = 'jwt' | 'opaque';

/**
 * An issued access token, recorded so that it can be revoked before it expires: a JWT by its jti, an opaque token
 * (an API's choice, issue 22) by the SHA-256 of the token itself in `jti`, its record then being all there is of it.
 */
export interface AccessTokenRecord {
  jti: string;
  grantId: string;
  clientId: string;
  /** The person; null for a machine's token (client_credentials: `sub` is the client id, RFC 9068 §2.2). */
  userId: string | null;
  sessionIdHash: string | null;
  /** The key that signed it (null for an opaque token). */
  kid: string | null;
  format: AccessTokenFormat;
  /** The token's `aud`: an API's identifier or our userinfo endpoint; null only for tokens recorded before issue 22. */
  audience: string | null;
  /** The token's scope, space-separated; null only for tokens recorded before issue 22. */
  scope: string | null;
  /** When the person signed in (ms); null for a machine's token and for tokens recorded before issue 22. */
  authTime: number | null;
  /**
   * Issue 28 (RFC 9449 §6): the thumbprint (RFC 7638) of the DPoP key the token is bound to (`cnf.jkt`), null for a
   * bearer token. An opaque token's binding lives only here; introspection reports it as `cnf`.
   */
  jkt?: string | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** format, audience, scope and authTime are required of every token written from issue 22 on. */
export type NewAccessToken = Omit<AccessTokenRecord, 'revokedAt' | 'audience' | 'scope'> & { audience: string; scope: string };

/** A grant found through one of its tokens: what to revoke, and the session it belongs to. */
export interface GrantReference {
  grantId: string;
  sessionIdHash: string | null;
}

export type AuditOutcome = 'success' | 'failure';

export interface AuditEventRecord {
  id: number;
  at: number;
  /** Dotted name of what happened, e.g. `user.created`. */
  type: string;
  /** Who did it: a user id, `cli`, `system`, or `anonymous` (a failed sign-in). */
  actor: string;
  /** What it was done to: a user id, client id or kid. */
  subject: string | null;
  /** The relying application involved, if any. */
  clientId: string | null;
  ip: string | null;
  outcome: AuditOutcome;
  /** Small structured facts; never a secret. */
  details: Record<string, unknown>;
  /** The previous event's `hash` (GENESIS_HASH for the first): the chain that makes edits and deletions visible. */
  prevHash: string;
  /** SHA-256 of this event's fields and `prevHash` (src/audit/chain.ts). */
  hash: string;
}

export type NewAuditEvent = Omit<AuditEventRecord, 'id' | 'clientId' | 'outcome' | 'prevHash' | 'hash'> & {
  clientId?: string | null;
  /** 'success' unless given. */
  outcome?: AuditOutcome;
};

/** What the audit view filters by; every field narrows, none is required. */
export interface AuditFilter {
  /** An exact type (`user.created`) or a prefix ending in a dot (`user.`). */
  type?: string;
  actor?: string;
  subject?: string;
  clientId?: string;
  outcome?: AuditOutcome;
  /** Inclusive lower bound on `at`. */
  since?: number;
  /** Exclusive upper bound on `at`. */
  until?: number;
}

/** The newest event the chain has reached, kept apart from the events so that cutting off the tail shows. */
export interface AuditChainHead {
  lastId: number;
  lastHash: string;
}

/** A group of people (issue 21). The name is unique compared case-insensitively and shown as entered. */
export interface GroupRecord {
  /** Random; what clients and memberships refer to, so a rename touches one row. */
  id: string;
  /** `[A-Za-z0-9._-]{1,64}` (src/manage/groups.ts checks it). */
  name: string;
  description: string;
  /** Every member passes a second factor on every sign-in. */
  requireMfa: boolean;
  createdAt: number;
  updatedAt: number;
  /** Issue 26: 1 when created, one more at every update (memberships are their own resource: they leave it alone). */
  version: number;
}

export interface GroupSummary extends GroupRecord {
  memberCount: number;
}

export type NewGroup = Pick<GroupRecord, 'id' | 'name' | 'description'> & { requireMfa?: boolean };
export type GroupPatch = Partial<Pick<GroupRecord, 'name' | 'description' | 'requireMfa'>>;

/** What the token path and the sign-in need of a person's group: its id (client rules), name (claim) and policy. */
export interface MemberGroup {
  id: string;
  name: string;
  requireMfa: boolean;
}

/** An application that names a group, and in which roles (the admin screens list them before a delete). */
export interface GroupUse {
  clientId: string;
  name: string;
  roles: ('access' | 'claim')[];
}

export type AttributeType = 'string' | 'number' | 'boolean' | 'list';
export type AttributeValue = string | number | boolean | string[];

/** A user attribute an administrator defined, released as `claim` with `scope` (issue 21). */
export interface AttributeDefinition {
  /** `[a-z][a-z0-9_]{0,63}`. */
  name: string;
  type: AttributeType;
  claim: string;
  scope: string;
  /** Shown to the person on the account page. */
  userVisible: boolean;
  createdAt: number;
}

export type AttributePatch = Partial<Pick<AttributeDefinition, 'claim' | 'scope' | 'userVisible'>>;

export interface Page<T> {
  items: T[];
  /** Pass as `after` to read the next page; null on the last page. */
  next: string | null;
}

/**
 * Why a one-time link was mailed to a person, which decides what it may do (src/auth/email-verification.ts,
 * src/interaction/reset-password.ts): `email_verification` verifies the account's address only while the account
 * still has it; `email_change` moves the account to the address it was sent to; `password_reset` sets a password
 * only while the address it went to is the account's.
 */
export type AccountTokenPurpose = 'password_reset' | 'email_verification' | 'email_change';

/** A single-use token mailed in a link (password reset, email verification or change); only its SHA-256 hash is kept. */
export interface AccountTokenRecord {
  tokenHash: string;
  purpose: AccountTokenPurpose;
  userId: string;
  /** The address the link was sent to: for a verification, the account's address; for a change, the new one. */
  email: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export type NewAccountToken = Omit<AccountTokenRecord, 'usedAt'>;

/** A person's TOTP authenticator (RFC 6238). The shared secret is sealed (src/auth/secret-box.ts), never stored in clear. */
export interface TotpCredentialRecord {
  userId: string;
  sealedSecret: string;
  /** Null while enrolment waits for the first code; only a confirmed authenticator signs anyone in. */
  confirmedAt: number | null;
  /** The last time step whose code was accepted: no step is accepted twice (RFC 6238 §5.2); -1 before any. */
  lastUsedStep: number;
  createdAt: number;
}

export type NewTotpCredential = Pick<TotpCredentialRecord, 'userId' | 'sealedSecret' | 'createdAt'>;

/** A single-use recovery code; only its SHA-256 hash is kept. */
export interface RecoveryCodeRecord {
  userId: string;
  codeHash: string;
  createdAt: number;
  usedAt: number | null;
}

/** A WebAuthn credential (passkey) registered by a person. */
export interface PasskeyRecord {
  /** The credential id, base64url. */
  credentialId: string;
  userId: string;
  /** The person's own name for it ("Work laptop"). */
  name: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter (0 for authenticators that keep none). */
  counter: number;
  transports: string[];
  /** `multiDevice` for a synced passkey, `singleDevice` for one bound to its authenticator. */
  deviceType: 'singleDevice' | 'multiDevice';
  backedUp: boolean;
  createdAt: number;
  lastUsedAt: number | null;
}

export type NewPasskey = Omit<PasskeyRecord, 'lastUsedAt'>;

export type SignInChallengePurpose = 'second_factor' | 'new_password' | 'passkey_sign_in' | 'passkey_registration';

/**
 * One step of a sign-in in progress, bound to the browser that started it: a person who passed the password and
 * owes a second factor, or a WebAuthn challenge waiting for its answer. Only the SHA-256 of its id is kept.
 */
export interface SignInChallengeRecord {
  idHash: string;
  purpose: SignInChallengePurpose;
  /** SHA-256 of the browser cookie it is bound to. */
  browserHash: string;
  /** Who passed the first factor (second_factor) or registers a passkey; null for a passkey sign-in. */
  userId: string | null;
  /** What the step checks: the WebAuthn challenge, or for a second factor the factors passed so far (`pwd`). */
  value: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export type NewSignInChallenge = Omit<SignInChallengeRecord, 'usedAt'>;

/** An API scope an administrator defined (issue 22): its name is what a client asks for, its description what a person reads. */
export interface ApiScope {
  /** `[A-Za-z0-9_.:/-]{1,100}`, not one of the OpenID Connect scopes (src/manage/apis.ts checks it). */
  name: string;
  description: string;
}

/** Whose tokens an API takes: people's (authorization code, device), machines' (client credentials), or both. */
export type ApiAudience = 'people' | 'machines' | 'both';

/** An API (resource server, RFC 8707), the `aud` of the access tokens minted for it (issue 22). */
export interface ApiRecord {
  /** Random; what client grants refer to, so that a change of identifier touches one row. */
  id: string;
  name: string;
  /** An absolute URI without a fragment (RFC 8707 §2); unique. */
  identifier: string;
  /** In the order the administrator gave them. */
  scopes: ApiScope[];
  /** Access-token lifetime in seconds (60–86,400); null: the server's ACCESS_TOKEN_TTL. */
  tokenLifetime: number | null;
  /** 'jwt' (RFC 9068) or 'opaque' (a random string the API introspects, RFC 7662). */
  tokenFormat: AccessTokenFormat;
  accepts: ApiAudience;
  /**
   * Issue 26: Gatehouse's own management API (src/manage/management-api.ts makes it): its identifier and scopes are
   * Gatehouse's, so it cannot be renamed, re-scoped or deleted.
   */
  builtIn: boolean;
  createdAt: number;
  updatedAt: number;
  /** Issue 26: 1 when created, one more at every update (not at a change of the clients' grants on it). */
  version: number;
}

/** `builtIn` defaults to false. */
export type NewApi = Omit<ApiRecord, 'createdAt' | 'updatedAt' | 'version' | 'builtIn'> & { builtIn?: boolean };
export type ApiPatch = Partial<Pick<ApiRecord, 'name' | 'identifier' | 'scopes' | 'tokenLifetime' | 'tokenFormat' | 'accepts'>>;

/** 'request': the client may ask for tokens for the API; 'introspect': it may introspect the API's tokens (the API's own credentials). */
export type ClientApiRole = 'request' | 'introspect';

/** One thing a client may do with an API. */
export interface ClientApiGrant {
  apiId: string;
  role: ClientApiRole;
  /** For 'request': the API's scopes the client may ask for; null: every scope the API defines, now and later. Always null for 'introspect'. */
  scopes: string[] | null;
}

/** A client's grants with the API each names, as the token path and the screens read them. */
export interface ClientApiAccess extends ClientApiGrant {
  api: ApiRecord;
}

/** A client that names an API, and in which roles (listed before an API is deleted). */
export interface ApiUse {
  clientId: string;
  name: string;
  roles: ClientApiRole[];
}

export type DeviceCodeStatus = 'pending' | 'approved' | 'denied';

/** A device authorization (RFC 8628 §3.2); both codes only as SHA-256 hashes (the user code's of its normalised form). */
export interface DeviceCodeRecord {
  deviceCodeHash: string;
  userCodeHash: string;
  clientId: string;
  /** The scope the device asked for, already checked against the client (space-separated). */
  scope: string;
  /** RFC 8707 resources named by the device, [] for none. */
  resources: string[];
  createdAt: number;
  expiresAt: number;
  /** Seconds the device waits between polls; each slow_down adds 5 (RFC 8628 §3.5). */
  interval: number;
  lastPolledAt: number | null;
  status: DeviceCodeStatus;
  /** Set by the approval: the person, their session and how they signed in. */
  userId: string | null;
  sessionIdHash: string | null;
  sid: string | null;
  amr: string[];
  /** The approving session's upstream provider (SessionRecord.idp). */
  idp?: string | null;
  authTime: number | null;
  decidedAt: number | null;
  /** Set once, by the token request that received the tokens. */
  consumedAt: number | null;
}

export type NewDeviceCode = Pick<DeviceCodeRecord, 'deviceCodeHash' | 'userCodeHash' | 'clientId' | 'scope' | 'resources' | 'createdAt' | 'expiresAt' | 'interval'>;

/** The person's approval, written onto a pending device code. */
export interface DeviceApproval {
  userId: string;
  sessionIdHash: string | null;
  sid: string | null;
  amr: string[];
  /** The approving session's upstream provider (SessionRecord.idp). */
  idp?: string | null;
  authTime: number;
}

/** What a poll found (DeviceCodeRepository.poll). */
export interface DevicePoll {
  record: DeviceCodeRecord;
  /** The device polled before its interval had passed: answer slow_down (the interval has grown by 5 s already). */
  tooSoon: boolean;
}

/** The kinds of upstream an identity can come from (issue 23, src/federation/). */
export type ProviderKind = 'oidc' | 'oauth2' | 'ldap';

/** What an upstream's groups do to the person's Gatehouse groups at each sign-in. */
export type ProviderGroupsMode = 'ignore' | 'merge' | 'replace';

/**
 * An upstream identity provider or directory. `settings` is the kind's non-secret settings as a JSON object
 * (src/federation/provider-settings.ts parses and checks it); `secret` is sealed (aad `identity-provider:<slug>`).
 */
export interface IdentityProviderRecord {
  /** `[a-z0-9][a-z0-9-]{0,39}`: in URLs (`/federation/<slug>/callback`) and `gatehouse_provider=<slug>`. */
  slug: string;
  kind: ProviderKind;
  /** The display name ("Acme Google Workspace"). */
  name: string;
  /** The login button's text; null: "Continue with <name>". */
  buttonLabel: string | null;
  iconUrl: string | null;
  enabled: boolean;
  /** JSON text of the kind's settings. */
  settings: string;
  /** The sealed client secret (oidc, oauth2) or service account password (ldap); null when none. */
  secret: string | null;
  jit: boolean;
  /** Lower-case domains; [] allows every domain. */
  allowedDomains: string[];
  /** Authoritative for its allowed domains: a verified email links an existing account of that address. */
  trustEmail: boolean;
  /** The upstream's `mfa`/`hwk` counts as the sign-in's second factor. */
  trustMfa: boolean;
  groupsMode: ProviderGroupsMode;
  createdAt: number;
  updatedAt: number;
}

export type NewIdentityProvider = Omit<IdentityProviderRecord, 'createdAt' | 'updatedAt'>;
export type IdentityProviderPatch = Partial<Omit<IdentityProviderRecord, 'slug' | 'kind' | 'createdAt' | 'updatedAt'>>;

/** An upstream identity linked to a Gatehouse account (at most one per provider and account). */
export interface FederatedIdentityRecord {
  providerSlug: string;
  /** The upstream's stable id (ID token `sub`, OAuth 2 user id, directory entryUUID/objectGUID or DN). */
  subject: string;
  userId: string;
  /** The upstream's email as last seen. */
  email: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export type NewFederatedIdentity = Omit<FederatedIdentityRecord, 'lastUsedAt'>;

export type FederationStateKind = 'login' | 'link';

/** A federated sign-in in progress (migrations/sqlite/0014_federation.sql): bound to a browser, used once. */
export interface FederationStateRecord {
  idHash: string;
  kind: FederationStateKind;
  providerSlug: string;
  /** SHA-256 of the browser cookie it is bound to. */
  browserHash: string;
  /** 'link': the existing account the person must prove they own; null for 'login'. */
  userId: string | null;
  /** Sealed (aad `federation-state:<idHash>`): what the kind needs (src/federation/federation-state.ts). */
  value: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export type NewFederationState = Omit<FederationStateRecord, 'usedAt'>;

/**
 * What a person allowed an application (issue 24, OIDC Core §3.1.2.4): the union of the scopes of every consent they
 * gave it. One per person and application.
 */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  /** Scope names, in the order first granted. */
  scopes: string[];
  grantedAt: number;
  updatedAt: number;
  /** The last time a code was issued under it (ConsentRepository.touch); null until then. */
  lastUsedAt: number | null;
}

/** An initial access token for POST /register (RFC 7591 §3), as stored: only its hash. */
export interface RegistrationTokenRecord {
  /** Public id (randomId), for listing and revoking; never the token. */
  id: string;
  tokenHash: string;
  /** Registrations it may still make; null: unlimited until it expires. */
  usesLeft: number | null;
  /** Registrations it made so far. */
  used: number;
  /** Who created it (an admin's user id, or `cli`). */
  createdBy: string;
  createdAt: number;
  /** null: never expires (it can still be revoked). */
  expiresAt: number | null;
}

export type NewRegistrationToken = Omit<RegistrationTokenRecord, 'used'>;

/** An application holding live refresh tokens of a person (RefreshTokenRepository.clientsOfUser). */
export interface ClientTokenSummary {
  clientId: string;
  /** The union of the live tokens' scopes. */
  scopes: string[];
  /** When the newest live token was issued (a refresh rotates, so this is the last time it was used). */
  lastIssuedAt: number;
}

/** An image of the brand (issue 25), as uploaded or fetched: its bytes and the type they were checked to be. */
export interface BrandImage {
  contentType: 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp' | 'image/svg+xml' | 'image/x-icon';
  data: Buffer;
}

/**
 * What the admin "Branding" screen saved (issue 25); each null field means "as configured" (BRAND_*). `version`
 * grows by one at every save (asset URLs carry it; saves compare-and-set on it).
 */
export interface BrandingRecord {
  name: string | null;
  /** #rrggbb, lower case. */
  color: string | null;
  logo: BrandImage | null;
  favicon: BrandImage | null;
  css: string | null;
  version: number;
  updatedAt: number;
  /** The administrator's user id; null for an import. */
  updatedBy: string | null;
}

/** The fields a save sets; an absent field keeps its value, null returns it to the configuration's. */
export type BrandingPatch = Partial<Pick<BrandingRecord, 'name' | 'color' | 'logo' | 'favicon' | 'css'>>;

// ---- Issue 26 (migration 0017): running Gatehouse in production ----

/** The management API's scopes (src/api/): one per noun, each covering reading and changing it. */
export const MANAGE_SCOPES = ['manage:users', 'manage:groups', 'manage:clients', 'manage:apis', 'manage:keys'] as const;
export type ManageScope = (typeof MANAGE_SCOPES)[number];

/** An administrator's personal token for the management API (`idp admin token create`); the token itself only as its hash. */
export interface AdminTokenRecord {
  /** Public id (listing, revoking); not the token. */
  id: string;
  /** SHA-256 of the token, base64url (hashSecret). */
  tokenHash: string;
  /** The administrator it acts as; null: the operator who ran the tool (actor `cli`). */
  userId: string | null;
  scopes: ManageScope[];
  description: string | null;
  /** Who made it: `cli` or an administrator's user id. */
  createdBy: string;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
  lastUsedAt: number | null;
}
export type NewAdminToken = Omit<AdminTokenRecord, 'revokedAt' | 'lastUsedAt'>;

/** A webhook endpoint for audit events (Standard Webhooks signatures, src/delivery/). */
export interface WebhookRecord {
  id: string;
  /** https (or http on a loopback issuer), checked as a client's back-channel URI is (src/manage/client-urls.ts). */
  url: string;
  description: string | null;
  /** The signing secret sealed by the secret box (src/auth/secret-box.ts); opened only to sign. */
  secretSealed: string;
  /** Event types (`user.created`), families (`user.*`) or `*`, sorted. */
  eventTypes: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
}
export type NewWebhook = Omit<WebhookRecord, 'createdAt' | 'updatedAt'>;
export type WebhookPatch = Partial<Pick<WebhookRecord, 'url' | 'description' | 'secretSealed' | 'eventTypes' | 'enabled'>>;

export type DeliveryKind = 'webhook' | 'backchannel_logout';
/** pending: to be attempted at nextAttemptAt (or leased now); delivered; dead: attempts exhausted (the dead-letter state). */
export type DeliveryState = 'pending' | 'delivered' | 'dead';

/** One durable delivery: of an audit event to a webhook endpoint, or of a logout to a client. */
export interface DeliveryRecord {
  id: string;
  kind: DeliveryKind;
  /** kind webhook: the endpoint; else null. */
  webhookId: string | null;
  /** kind backchannel_logout: the client told; else null. */
  clientId: string | null;
  /** kind webhook: the audit event (AuditEventRecord.id) the body is made of; else null. */
  eventId: number | null;
  /** The audit event's type (webhook), or `logout` (back-channel). */
  eventType: string;
  /** kind backchannel_logout: JSON of the LogoutSubject ({"userId", "sid"}); null for webhooks (the body is the event). */
  payload: string | null;
  state: DeliveryState;
  /** Attempts made so far. */
  attempts: number;
  nextAttemptAt: number;
  /** The node holding the lease (a random id per process) and until when; null when nobody holds it. */
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** The HTTP status of the last attempt, if it got an answer. */
  lastStatus: number | null;
  /** What went wrong last, coarse (`timeout`, `connection_failed`, `http_status`, `refused_address`, …); never a network error's text. */
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}
export type NewDelivery = Pick<DeliveryRecord, 'id' | 'kind' | 'webhookId' | 'clientId' | 'eventId' | 'eventType' | 'payload' | 'nextAttemptAt'> & {
  /** Lease it at once to this owner until then (the first attempt is made right away by the enqueuing node). */
  lease?: { owner: string; until: number };
};

/** The outcome of one attempt, written only while the attempting node holds the lease. */
export type DeliverySettlement =
  { state: 'delivered'; status: number } | { state: 'pending'; nextAttemptAt: number; status: number | null; error: string } | { state: 'dead'; status: number | null; error: string };

/** What is known of one client's use of the keys (best effort: src/signing/key-readiness.ts). */
export interface ClientSightingSummary {
  clientId: string;
  /** The last client-authenticated request seen from it. */
  lastSeenAt: number;
  /** The last JWKS fetch from an address and User-Agent it authenticated from; null if none seen. */
  lastJwksFetchAt: number | null;
}
