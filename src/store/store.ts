// The one storage interface. Every method is async so that an engine with a network round trip (PostgreSQL)
// fits without touching a caller. Methods are named for their intent; single-use operations are atomic.
import type {
  AdminTokenRecord,
  ClientSightingSummary,
  DeliveryRecord,
  DeliverySettlement,
  NewAdminToken,
  NewDelivery,
  NewWebhook,
  WebhookPatch,
  WebhookRecord,
  ClientTokenSummary,
  ConsentRecord,
  NewRegistrationToken,
  RegistrationTokenRecord,
  FederatedIdentityRecord,
  FederationStateKind,
  FederationStateRecord,
  IdentityProviderPatch,
  IdentityProviderRecord,
  NewFederatedIdentity,
  NewFederationState,
  NewIdentityProvider,
  ApiPatch,
  ApiRecord,
  ApiUse,
  ClientApiAccess,
  ClientApiGrant,
  DeviceApproval,
  DeviceCodeRecord,
  DevicePoll,
  NewApi,
  NewDeviceCode,
  AttributeDefinition,
  AttributePatch,
  AttributeValue,
  GroupPatch,
  GroupRecord,
  GroupSummary,
  GroupUse,
  MemberGroup,
  NewGroup,
  AccessTokenRecord,
  AccountTokenPurpose,
  AccountTokenRecord,
  NewAccountToken,
  AuditChainHead,
  AuditEventRecord,
  AuditFilter,
  AuthorizationRequestRecord,
  AuthorizationCodeRecord,
  BrandingPatch,
  BrandingRecord,
  ClientPatch,
  GrantReference,
  ClientRecord,
  NewAccessToken,
  NewAuditEvent,
  NewAuthorizationRequest,
  NewAuthorizationCode,
  NewClient,
  NewRefreshToken,
  NewUser,
  NewPasskey,
  NewPushedRequest,
  PushedRequestRecord,
  UsedJtiKind,
  NewSignInChallenge,
  NewTotpCredential,
  Page,
  PasskeyRecord,
  RefreshTokenRecord,
  SessionRecord,
  SigningKeyChange,
  SigningKeyRecord,
  SignInChallengePurpose,
  SignInChallengeRecord,
  TotpCredentialRecord,
  UserPatch,
  UserRecord,
} from './records.js';
import type { ThrottleCounter, ThrottleRule, ThrottleVerdict } from './throttle-counter.js';
import type { TransferRow, TransferTable } from './transfer/tables.js';

export interface ListOptions {
  /** The `next` cursor of the previous page. */
  after?: string | null;
  limit: number;
}

export interface UserListOptions extends ListOptions {
  /** Case-insensitive substring of the email or the name; empty or absent lists everyone. */
  search?: string;
  /** Only members of this group (an id): the group page's members and the users list filtered by group. */
  inGroup?: string;
}

export interface GroupListOptions extends ListOptions {
  /** Case-insensitive substring of the name; empty or absent lists every group. */
  search?: string;
}

/**
 * Issue 26: the condition of a conditional update (the management API's If-Match): write only while the record's
 * version is this one, in the same UPDATE statement; otherwise null, and nothing written (one conditional write: of
 * two updates presenting the same version, one wins). The caller tells "gone" from "changed" by reading it again.
 */
export interface UpdateOptions {
  onlyIfVersion?: number;
}

export interface UserUpdateOptions extends UpdateOptions {
  /**
   * Writes only while the user's address is this one (compared as normalizeEmail compares them); otherwise null,
   * and nothing written. A mailed link acts on the account only while it has the address the link went to, and an
   * address changed meanwhile must not be verified, or given a password, by the old mailbox's link.
   */
  onlyIfEmail?: string;
  /**
   * The patch's `passwordHash` is the same password hashed again (upgraded parameters at sign-in): the mailed
   * links stay, since neither the password nor the address changed.
   */
  rehash?: boolean;
  /**
   * Write only while the stored password hash is exactly this one (else null, and nothing written): a hash
   * upgraded at sign-in never overwrites a password changed in the meantime.
   */
  onlyIfPasswordHash?: string;
}

export interface UserRepository {
  /** Throws ConflictError when the email is taken (compared case-insensitively). */
  create(user: NewUser, now: number): Promise<UserRecord>;
  findById(id: string): Promise<UserRecord | null>;
  findByEmail(email: string): Promise<UserRecord | null>;
  /** Keyset pagination in email order, optionally narrowed by `search`. */
  list(options: UserListOptions): Promise<Page<UserRecord>>;
  count(): Promise<number>;
  /**
   * Returns the updated user, or null when there is none (or `options.onlyIfEmail`, `onlyIfPasswordHash` or
   * `onlyIfVersion` does not match); throws
   * ConflictError on a taken email, and
   * LastAdminError when the change would leave no enabled admin where there was one (decided atomically).
   *
   * A patch that sets `email` or `passwordHash` also marks every unused mailed link of the user used (account
   * tokens of every purpose), in the same transaction or statement: a link mailed before a new address or password
   * never acts on what came after (a verification link for an address the account no longer has, a reset link to
   * a mailbox it left). Done here, not by the callers, so that no way of changing either (account page, reset,
   * admin screens, `idp user set-password`, a confirmed change of address) can forget it; only `options.rehash` keeps them.
   */
  update(id: string, patch: UserPatch, now: number, options?: UserUpdateOptions): Promise<UserRecord | null>;
  /**
   * Deletes the user with their sessions, codes and refresh tokens; false when there was none. The id is
   * retired: no user is ever created with it again (ConflictError), so a `sub` never names two people.
   * Throws LastAdminError when it would delete the last enabled admin. Issue 26: with `options.onlyIfVersion`, only
   * while the user is at that version (false otherwise, and nothing deleted).
   */
  delete(id: string, options?: UpdateOptions): Promise<boolean>;
}

export interface ClientRepository {
  create(client: NewClient, now: number): Promise<ClientRecord>;
  findById(clientId: string): Promise<ClientRecord | null>;
  /** Keyset pagination in name order. */
  list(options: ListOptions): Promise<Page<ClientRecord>>;
  count(): Promise<number>;
  /** Null when there is none (or `options.onlyIfVersion` does not match). */
  update(clientId: string, patch: ClientPatch, now: number, options?: UpdateOptions): Promise<ClientRecord | null>;
  /** False when there is none (or, issue 26, `options.onlyIfVersion` does not match: nothing deleted). */
  delete(clientId: string, options?: UpdateOptions): Promise<boolean>;
  /**
   * Issue 24 (RFC 7592 §2.2): replaces a dynamically registered client's registration access token hash, only while
   * it still is `expected` (one conditional write: of two updates racing with the same token, one wins). Sets
   * updatedAt. False when the client is gone or its hash is no longer `expected`.
   */
  rotateRegistrationToken(clientId: string, expected: string, next: string, now: number): Promise<boolean>;
}

/**
 * Groups and their members (issue 21). Deleting a group removes its memberships and the client rules naming it;
 * deleting a user removes their memberships (foreign keys, ON DELETE CASCADE).
 */
export interface GroupRepository {
  /** Throws ConflictError when the name is taken (compared case-insensitively). */
  create(group: NewGroup, now: number): Promise<GroupRecord>;
  findById(id: string): Promise<GroupRecord | null>;
  /** Compared case-insensitively. */
  findByName(name: string): Promise<GroupRecord | null>;
  /** Keyset pagination in (case-insensitive) name order, with each group's member count. */
  list(options: GroupListOptions): Promise<Page<GroupSummary>>;
  count(): Promise<number>;
  /** Null when there is none (or `options.onlyIfVersion` does not match); throws ConflictError when a new name is taken. */
  update(id: string, patch: GroupPatch, now: number, options?: UpdateOptions): Promise<GroupRecord | null>;
  /** False when there is none (or, issue 26, `options.onlyIfVersion` does not match: nothing deleted). */
  delete(id: string, options?: UpdateOptions): Promise<boolean>;
  /** True when added, false when already a member; throws NotFoundError when the group or the user is gone. */
  addMember(groupId: string, userId: string, now: number): Promise<boolean>;
  /** False when the person was not a member. */
  removeMember(groupId: string, userId: string): Promise<boolean>;
  countMembers(groupId: string): Promise<number>;
  /** The person's groups in name order: one indexed query, run on every token response that needs them. */
  groupsOf(userId: string): Promise<MemberGroup[]>;
  /** The clients naming the group in a rule, in client name order. */
  usesOf(groupId: string): Promise<GroupUse[]>;
}

/** Attribute definitions and each person's values (issue 21). Deleting a definition deletes its values. */
export interface AttributeRepository {
  /** Throws ConflictError when the name or the claim is taken. */
  define(definition: Omit<AttributeDefinition, 'createdAt'>, now: number): Promise<AttributeDefinition>;
  /** In name order. */
  list(): Promise<AttributeDefinition[]>;
  find(name: string): Promise<AttributeDefinition | null>;
  /** Null when there is none; throws ConflictError when a new claim is taken. */
  update(name: string, patch: AttributePatch): Promise<AttributeDefinition | null>;
  remove(name: string): Promise<boolean>;
  /**
   * Sets (or with null clears) one value of a person, stored as JSON; the caller has checked it against the
   * definition's type. Throws NotFoundError when the user or the definition is gone.
   */
  setValue(userId: string, name: string, value: AttributeValue | null, now: number): Promise<void>;
  /** The person's values by attribute name. */
  valuesOf(userId: string): Promise<Record<string, AttributeValue>>;
}

/**
 * APIs (resource servers, RFC 8707) and what each client may do with them (issue 22). Deleting an API removes the
 * grants naming it; deleting a client removes its grants (foreign keys, ON DELETE CASCADE).
 */
export interface ApiRepository {
  /** Throws ConflictError when the identifier is taken. */
  create(api: NewApi, now: number): Promise<ApiRecord>;
  findById(id: string): Promise<ApiRecord | null>;
  /** Exact string comparison, as RFC 8707 §2 resource values are compared. */
  findByIdentifier(identifier: string): Promise<ApiRecord | null>;
  /** Keyset pagination in name order (then id). */
  list(options: ListOptions): Promise<Page<ApiRecord>>;
  count(): Promise<number>;
  /**
   * Null when there is none (or `options.onlyIfVersion` does not match); `scopes`, when given, replaces the whole
   * list; throws ConflictError when a new identifier is taken.
   */
  update(id: string, patch: ApiPatch, now: number, options?: UpdateOptions): Promise<ApiRecord | null>;
  /** False when there is none (or, issue 26, `options.onlyIfVersion` does not match: nothing deleted). */
  delete(id: string, options?: UpdateOptions): Promise<boolean>;
  /** The clients naming the API, in client name order. */
  usesOf(apiId: string): Promise<ApiUse[]>;
  /** The client's grants, each with its API, in API name order: one query (the token path reads it when a resource is named). */
  accessOf(clientId: string): Promise<ClientApiAccess[]>;
  /**
   * Replaces all of the client's grants with these, in one transaction; the first that names no API (or a client
   * that is gone) refuses the whole write with NotFoundError.
   */
  setGrants(clientId: string, grants: ClientApiGrant[]): Promise<void>;
}

/** RFC 8628 device authorizations (issue 22). Every decision and the spending of a code are one conditional write. */
export interface DeviceCodeRepository {
  /** Throws ConflictError when the user code's hash is taken (the caller draws another). */
  create(code: NewDeviceCode): Promise<void>;
  find(deviceCodeHash: string): Promise<DeviceCodeRecord | null>;
  /** The pending, unexpired authorization with this user code, or null. */
  findPending(userCodeHash: string, now: number): Promise<DeviceCodeRecord | null>;
  /**
   * Records a poll. When the last poll was less than the interval ago, the interval grows by 5 s and `tooSoon` is
   * true (RFC 8628 §3.5); either way `lastPolledAt` becomes now. Null when there is no such code.
   */
  poll(deviceCodeHash: string, now: number): Promise<DevicePoll | null>;
  /** Approves a pending, unexpired authorization: of two decisions at once, one wins. Null when it was not pending. */
  approve(userCodeHash: string, approval: DeviceApproval, now: number): Promise<DeviceCodeRecord | null>;
  /** Denies a pending, unexpired authorization; false when it was not pending. */
  deny(userCodeHash: string, now: number): Promise<boolean>;
  /** Spends an approved, unexpired, unspent code: exactly one caller receives the record. */
  consume(deviceCodeHash: string, now: number): Promise<DeviceCodeRecord | null>;
  /** Ends the user's pending and approved-but-unspent authorizations (a disabled or deleted person). */
  deleteForUser(userId: string): Promise<number>;
  deleteExpired(now: number): Promise<number>;
}

/** RFC 7523 §3 (7): the jti of each client assertion, remembered until it expires so that it is used once. */
export interface ClientAssertionRepository {
  /** True when this (client, jti) was not seen before and is now recorded; false for a replay. One winner. */
  use(clientId: string, jti: string, expiresAt: number): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

/**
 * Issue 28: pushed authorization requests (RFC 9126). A request_uri is single use: consume is one conditional write,
 * and of concurrent consumers exactly one gets the record.
 */
export interface PushedRequestRepository {
  create(request: NewPushedRequest): Promise<void>;
  /**
   * Marks the request consumed and returns it, if it exists, belongs to `clientId`, is unexpired at `now` and was not
   * consumed before; otherwise null, and nothing changes (a stranger's client_id does not spend someone else's URI).
   */
  consume(uriHash: string, clientId: string, now: number): Promise<PushedRequestRecord | null>;
  deleteExpired(now: number): Promise<number>;
}

/**
 * Issue 28: JWT ids that may be used once while their JWT could still be accepted: a request object's `jti` (scope:
 * the client id, RFC 9101 §10.8) and a DPoP proof's `jti` (scope: the proof key's thumbprint, RFC 9449 §11.1). Shared
 * by every node through the store.
 */
export interface UsedJtiRepository {
  /** True when (kind, scope, jti) was not seen before and is now recorded until `expiresAt`; false for a replay. One winner. */
  use(kind: UsedJtiKind, scope: string, jti: string, expiresAt: number): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

export interface SigningKeyRepository {
  insert(key: SigningKeyRecord): Promise<void>;
  /**
   * Inserts the key unless an unrevoked key activates after `after` (a key already scheduled; with
   * Number.MIN_SAFE_INTEGER, any unrevoked key at all). Of concurrent callers exactly one gets true: several
   * nodes scheduling the same rotation, or creating the first key, add one key.
   */
  insertUnlessScheduled(key: SigningKeyRecord, after: number): Promise<boolean>;
  /** Newest first. */
  list(): Promise<SigningKeyRecord[]>;
  /**
   * Records a change to one key's facts and returns the key; null when there is no such key. A retirement is
   * stored only while the key has none (SigningKeyChange): concurrent callers all get the first one back.
   */
  update(kid: string, change: SigningKeyChange): Promise<SigningKeyRecord | null>;
}

export interface SessionRepository {
  create(session: SessionRecord): Promise<void>;
  /** The session if it exists and has not expired at `now`. */
  findLive(idHash: string, now: number): Promise<SessionRecord | null>;
  touch(idHash: string, now: number): Promise<void>;
  listForUser(userId: string, now: number): Promise<SessionRecord[]>;
  /** A session by its public id, if it has not expired at `now`. */
  findLiveBySid(sid: string, now: number): Promise<SessionRecord | null>;
  /** Sessions unexpired at `now`. */
  countLive(now: number): Promise<number>;
  /**
   * Records that the person re-entered the password (the admin screens' recent sign-in): sets `reauthenticatedAt`
   * and last seen, never `authTime`, which ID tokens and `max_age` read as the time of the sign-in and its `amr`.
   */
  reauthenticate(idHash: string, now: number): Promise<void>;
  /** Ends one session; false when there was none. */
  delete(idHash: string): Promise<boolean>;
  /** Ends every session of a user; returns how many. */
  deleteForUser(userId: string): Promise<number>;
  /** Remembers that a client received tokens in the session (for back-channel logout); idempotent. */
  addClient(sid: string, clientId: string, now: number): Promise<void>;
  /** The clients that received tokens in the session, in the order they first did. */
  clientsOf(sid: string): Promise<string[]>;
  /** Removes sessions that expired before `now` (with their client lists); returns how many. */
  deleteExpired(now: number): Promise<number>;
  /**
   * Issue 26: deletes up to `limit` sessions over at `now` (earliest expiry first): expired (as deleteExpired decides),
   * or, with `idleSince`, last seen at or before it (idled out: now − SESSION_IDLE_TTL, as Sessions.current
   * decides). Returns each with the clients it gave tokens to, so that housekeeping can tell them by back-channel
   * logout. Each session is returned by exactly one caller, however many nodes run housekeeping at once.
   */
  takeExpired(now: number, limit: number, idleSince?: number): Promise<{ session: SessionRecord; clientIds: string[] }[]>;
}

export interface AuthorizationCodeRepository {
  create(code: NewAuthorizationCode): Promise<void>;
  /**
   * Marks an unexpired, unused code used and returns it; null for an unknown, expired or already used code.
   * Exactly one of any number of concurrent callers wins.
   */
  consume(codeHash: string, now: number): Promise<AuthorizationCodeRecord | null>;
  /** Looks a code up whatever its state, to tell a replay (RFC 6749 §4.1.2) from garbage. */
  find(codeHash: string): Promise<AuthorizationCodeRecord | null>;
  /** Marks every unused code of a user used (the account was disabled, a new password was set); returns how many. */
  revokeForUser(userId: string, now: number): Promise<number>;
  /**
   * Marks every unused code minted in a session used (the session ended: a code is worth no more than the
   * session it came from); returns how many.
   */
  revokeForSession(sessionIdHash: string, now: number): Promise<number>;
  /** Issue 24: marks every unused code of the user for the client used (access removed); returns how many. */
  revokeForUserClient(userId: string, clientId: string, now: number): Promise<number>;
  /** Records that the code was presented again; the first time is kept. */
  markReplayed(codeHash: string, now: number): Promise<void>;
  /** Removes codes that expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

export interface RefreshTokenRepository {
  /**
   * Records a token; one whose hash is already recorded is kept as it was. A successor is derived from the token
   * it replaces, so a retry within the reuse grace may record it before the rotation that first issued it does
   * (src/oidc/grants/refresh-retry.ts).
   */
  create(token: NewRefreshToken): Promise<void>;
  find(tokenHash: string): Promise<RefreshTokenRecord | null>;
  /**
   * Marks a live token rotated and returns it; null when it is unknown, expired, revoked or already rotated.
   * Exactly one of any number of concurrent callers wins.
   */
  rotate(tokenHash: string, now: number): Promise<RefreshTokenRecord | null>;
  /**
   * Revokes every live token of a grant; returns how many. This and the two below also reach a successor that a
   * concurrent refresh records while they run, provided that refresh reads its spent token after recording it
   * (test/store/postgres-revocation-race.test.ts).
   */
  revokeGrant(grantId: string, now: number): Promise<number>;
  /** Revokes every live token of a user; returns how many. */
  revokeForUser(userId: string, now: number): Promise<number>;
  /**
   * Revokes the live tokens bound to a session; with `keepOffline`, those granted offline_access survive
   * (OIDC Core §11). Returns how many.
   */
  revokeForSession(sessionIdHash: string, now: number, options: { keepOffline: boolean }): Promise<number>;
  /** The grants that have a token issued with tokens signed by `kid`. */
  grantsSignedBy(kid: string): Promise<GrantReference[]>;
  /**
   * Issue 24: the applications holding live (unexpired, unrotated, unrevoked at `now`) refresh tokens of the user,
   * newest first by their last token, with the union of those tokens' scopes.
   */
  clientsOfUser(userId: string, now: number): Promise<ClientTokenSummary[]>;
  /** Issue 24: revokes every live token of the user at the client (access removed); returns how many. */
  revokeForUserClient(userId: string, clientId: string, now: number): Promise<number>;
}

export interface AuthorizationRequestRepository {
  create(request: NewAuthorizationRequest): Promise<void>;
  /** The request if it exists, is unused and unexpired at `now`. */
  findLive(idHash: string, now: number): Promise<AuthorizationRequestRecord | null>;
  /** Marks a live request used and returns it; exactly one of any number of concurrent callers wins. */
  consume(idHash: string, now: number): Promise<AuthorizationRequestRecord | null>;
  deleteExpired(now: number): Promise<number>;
}

export interface AccessTokenRepository {
  create(token: NewAccessToken): Promise<void>;
  /** The token's record if it is unrevoked and unexpired at `now`. */
  findLive(jti: string, now: number): Promise<AccessTokenRecord | null>;
  /** Revokes every live access token of a grant; returns how many. */
  revokeGrant(grantId: string, now: number): Promise<number>;
  revokeForUser(userId: string, now: number): Promise<number>;
  /** Revokes one token; false when it was unknown or already revoked. */
  revoke(jti: string, now: number): Promise<boolean>;
  /** Revokes every live access token bound to a session; returns how many. */
  revokeForSession(sessionIdHash: string, now: number): Promise<number>;
  /** Issue 24: revokes every live recorded access token of the user at the client; returns how many. */
  revokeForUserClient(userId: string, clientId: string, now: number): Promise<number>;
  /** The grants that have a recorded access token signed by `kid`. */
  grantsSignedBy(kid: string): Promise<GrantReference[]>;
  deleteExpired(now: number): Promise<number>;
}

/** What one token response issued, recorded together (IssuanceRepository). */
export interface IssuedTokens {
  accessToken: NewAccessToken;
  /** The session the tokens were issued in, which now counts the client among its own (back-channel logout). */
  sessionClient: { sid: string; clientId: string; at: number } | null;
  refreshToken: NewRefreshToken | null;
  /**
   * Issue 27: the single-use credential the response spends, by its hash: the authorization code redeemed (as
   * AuthorizationCodeRepository.consume spends it) or the refresh token rotated (as RefreshTokenRepository.rotate does). Spent
   * by the same one conditional statement, so of concurrent spenders exactly one wins; a loser records nothing.
   */
  spends?: { kind: 'authorization_code' | 'refresh_token'; hash: string; at: number } | null;
}

export interface IssuanceRepository {
  /**
   * Spends `spends` (when given) and records the access token, the session's client and the refresh token of one
   * response. SQLite does it all in one transaction (one commit, one sync to disk); PostgreSQL spends first, then
   * sends the records at once on separate connections. Either way everything is stored before it resolves.
   * Resolves false, having recorded nothing, when the credential was spent already (or is unknown, expired,
   * revoked): another request won it.
   */
  record(issued: IssuedTokens): Promise<boolean>;
}

export interface AuditRepository {
  /**
   * Appends the event to the hash chain: reads the head, links the event to it and moves the head, as one
   * atomic step (concurrent appends on any number of nodes form one chain).
   */
  append(event: NewAuditEvent): Promise<AuditEventRecord>;
  /** Newest first; `before` is an event id. */
  list(options: { before?: number | null; limit: number; filter?: AuditFilter }): Promise<AuditEventRecord[]>;
  /** How many events match. */
  count(filter: AuditFilter): Promise<number>;
  /** Oldest first, the events with ids above `afterId` (the chain, read a batch at a time by `idp audit verify`). */
  chain(afterId: number, limit: number): Promise<AuditEventRecord[]>;
  /** Null until the first event is appended. */
  head(): Promise<AuditChainHead | null>;
  /** Issue 26: one event (a webhook delivery's body is made of it); null when there is none. */
  findById(id: number): Promise<AuditEventRecord | null>;
}

/**
 * Counters of attempts (sign-ins per account and per address, client authentications, reset requests), kept in
 * the store so that they hold across restarts and nodes. The arithmetic is src/store/throttle-counter.ts.
 */
export interface ThrottleRepository {
  /**
   * Reads the key's counter, applies countAttempt and writes the result, as one atomic step: of concurrent
   * attempts on any number of nodes, each sees the count the others left.
   */
  attempt(key: string, rule: ThrottleRule, now: number): Promise<ThrottleVerdict>;
  /**
   * The key's counter if it has not expired at `now`, without counting anything: for checks too cheap to need
   * counting before they run (a client secret's hash), which count only their failures.
   */
  peek(key: string, now: number): Promise<ThrottleCounter | null>;
  /** Takes one counted attempt back (refundAttempt), atomically: the attempt succeeded. */
  refund(key: string, rule: ThrottleRule, now: number): Promise<void>;
  /** Forgets the key's counter (an account signed in). */
  clear(key: string): Promise<void>;
  /** Removes counters that expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/**
 * Single-use tokens mailed in links: password reset, email verification and change. UserRepository.update marks a
 * user's unused tokens used whenever their email or password changes.
 */
export interface AccountTokenRepository {
  create(token: NewAccountToken): Promise<void>;
  /** The token if it has this purpose, is unused and unexpired at `now` (a form shows it before it is used). */
  findLive(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<AccountTokenRecord | null>;
  /**
   * Marks a live token of this purpose used and returns it; null for an unknown, expired, used or other-purpose
   * token. Exactly one of any number of concurrent callers wins.
   */
  consume(tokenHash: string, purpose: AccountTokenPurpose, now: number): Promise<AccountTokenRecord | null>;
  /** Marks every unused token of a user with this purpose used (a newer link replaces them); returns how many. */
  revokeForUser(userId: string, purpose: AccountTokenPurpose, now: number): Promise<number>;
  /** Removes tokens that expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** TOTP authenticators, at most one per person. */
export interface TotpRepository {
  /**
   * Starts an enrolment: stores an unconfirmed authenticator, replacing an unconfirmed one. False, and nothing
   * written, when the person already has a confirmed authenticator.
   */
  begin(credential: NewTotpCredential): Promise<boolean>;
  find(userId: string): Promise<TotpCredentialRecord | null>;
  /** Confirms the pending authenticator, recording `step` as used; false when there is none pending. */
  confirm(userId: string, step: number, now: number): Promise<boolean>;
  /**
   * Accepts time step `step` once: true only for a confirmed authenticator whose last used step is lower (one
   * conditional update: of concurrent callers with the same step, exactly one wins).
   */
  useStep(userId: string, step: number): Promise<boolean>;
  /** Removes the authenticator, confirmed or not; false when there was none. */
  remove(userId: string): Promise<boolean>;
}

export interface RecoveryCodeRepository {
  /** Replaces every code of the person with these hashes (a new set voids the old one). */
  replace(userId: string, codeHashes: string[], now: number): Promise<void>;
  /** Marks an unused code used; true for exactly one of any number of concurrent callers. */
  consume(userId: string, codeHash: string, now: number): Promise<boolean>;
  countUnused(userId: string): Promise<number>;
  /** Removes every code of the person; returns how many. */
  removeAll(userId: string): Promise<number>;
}

export interface PasskeyRepository {
  /** Throws ConflictError when the credential id is already registered (to anyone). */
  create(passkey: NewPasskey): Promise<void>;
  findById(credentialId: string): Promise<PasskeyRecord | null>;
  /** Oldest first. */
  listForUser(userId: string): Promise<PasskeyRecord[]>;
  /** After a sign-in: the authenticator's new signature counter and the time. */
  recordUse(credentialId: string, counter: number, now: number): Promise<void>;
  /** False when the person has no such passkey. */
  rename(userId: string, credentialId: string, name: string): Promise<boolean>;
  remove(userId: string, credentialId: string): Promise<boolean>;
  removeAllForUser(userId: string): Promise<number>;
}

export interface SignInChallengeRepository {
  create(challenge: NewSignInChallenge): Promise<void>;
  /** The challenge if it has this purpose and is unused and unexpired at `now`. */
  findLive(idHash: string, purpose: SignInChallengePurpose, now: number): Promise<SignInChallengeRecord | null>;
  /** Marks a live challenge of this purpose used and returns it; exactly one of concurrent callers wins. */
  consume(idHash: string, purpose: SignInChallengePurpose, now: number): Promise<SignInChallengeRecord | null>;
  /**
   * Removes the user's challenges, of this purpose or (without one) of every purpose, used or not: a new password
   * drops a sign-in that passed the old one and still owes its second factor. Returns how many.
   */
  deleteForUser(userId: string, purpose?: SignInChallengePurpose): Promise<number>;
  /** Removes challenges that expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** Upstream identity providers and directories (issue 23). */
export interface IdentityProviderRepository {
  /** Throws ConflictError when the slug is taken. */
  create(provider: NewIdentityProvider, now: number): Promise<IdentityProviderRecord>;
  findBySlug(slug: string): Promise<IdentityProviderRecord | null>;
  /** Every provider, in name order then slug (a deployment has a handful: no paging). */
  list(): Promise<IdentityProviderRecord[]>;
  /** Null when there is none. */
  update(slug: string, patch: IdentityProviderPatch, now: number): Promise<IdentityProviderRecord | null>;
  /** Deletes the provider with its linked identities and states (ON DELETE CASCADE); false when there was none. */
  delete(slug: string): Promise<boolean>;
  /** How many accounts are linked to each provider (slug → count; providers with none are absent). */
  linkCounts(): Promise<Map<string, number>>;
}

/** Upstream identities linked to accounts: one account per upstream identity, one identity per provider and account. */
export interface FederatedIdentityRepository {
  /**
   * Links; throws ConflictError when the upstream identity is linked already (to anyone) or the account already has
   * an identity of this provider. Of concurrent callers linking the same identity exactly one wins.
   */
  link(identity: NewFederatedIdentity): Promise<FederatedIdentityRecord>;
  find(providerSlug: string, subject: string): Promise<FederatedIdentityRecord | null>;
  /** The account's identity of this provider, if linked. */
  findForUser(userId: string, providerSlug: string): Promise<FederatedIdentityRecord | null>;
  /** The account's identities, in provider slug order. */
  listForUser(userId: string): Promise<FederatedIdentityRecord[]>;
  /** Records a sign-in through the identity and the upstream's email as seen now. */
  touch(providerSlug: string, subject: string, email: string | null, now: number): Promise<void>;
  /** Removes the account's identity of this provider; false when there was none. */
  unlink(userId: string, providerSlug: string): Promise<boolean>;
}

/** Federated sign-ins in progress (FederationStateRecord): each used at most once. */
export interface FederationStateRepository {
  create(state: NewFederationState): Promise<void>;
  /** Marks the live (unused, unexpired at `now`) state of this kind used and returns it; exactly one of concurrent callers wins. */
  consume(idHash: string, kind: FederationStateKind, now: number): Promise<FederationStateRecord | null>;
  /** The newest live 'link' state bound to this browser for this account, if any (not consumed). */
  findLiveLink(browserHash: string, userId: string, now: number): Promise<FederationStateRecord | null>;
  /** Removes states that expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

/** What people allowed applications (issue 24, ConsentRecord). */
export interface ConsentRepository {
  find(userId: string, clientId: string): Promise<ConsentRecord | null>;
  /**
   * Records that the person allowed these scopes: a new row, or the union with the row's scopes (kept in their
   * order, new ones appended), in one statement (an upsert, so two consents racing both land). Sets updatedAt (and
   * grantedAt when new) to `now`; returns the row as stored.
   */
  grant(userId: string, clientId: string, scopes: readonly string[], now: number): Promise<ConsentRecord>;
  /** Sets lastUsedAt (a code was issued under the consent); nothing when there is no row. */
  touch(userId: string, clientId: string, now: number): Promise<void>;
  /** The person's consents, most recently updated first. */
  listForUser(userId: string): Promise<ConsentRecord[]>;
  /** Deletes the consent; false when there was none (of two concurrent removals, one gets true). */
  revoke(userId: string, clientId: string): Promise<boolean>;
}

/** The admin "Branding" screen's saved brand (issue 25, BrandingRecord): one row at most. */
export interface BrandingRepository {
  /** The saved brand, or null when none was ever saved. */
  get(): Promise<BrandingRecord | null>;
  /** The saved brand's version without its images (0 when none): what a cache polls. */
  version(): Promise<number>;
  /**
   * Applies the patch if the saved version is still `expectedVersion` (0: nothing saved yet), in one conditional
   * write, and returns the new row (version + 1). Null when another save came first: of two concurrent saves of
   * the same version exactly one wins, and the other writes nothing.
   */
  save(patch: BrandingPatch, expectedVersion: number, updatedBy: string | null, now: number): Promise<BrandingRecord | null>;
}

/** Initial access tokens for dynamic client registration (RegistrationTokenRecord). */
export interface RegistrationTokenRepository {
  create(token: NewRegistrationToken): Promise<RegistrationTokenRecord>;
  /** The token if it is known, unexpired at `now` and has uses left (usesLeft null or > 0); nothing changes. */
  findUsable(tokenHash: string, now: number): Promise<RegistrationTokenRecord | null>;
  /**
   * Spends one use of a usable token in one conditional write (uses_left decremented unless null, used
   * incremented): of concurrent callers on its last use exactly one wins. Null when it was not usable.
   */
  use(tokenHash: string, now: number): Promise<RegistrationTokenRecord | null>;
  /** Every token, newest first (expired and used-up ones too, until deleted). */
  list(): Promise<RegistrationTokenRecord[]>;
  /** Deletes (revokes) a token by its public id; false when there was none. */
  delete(id: string): Promise<boolean>;
  /** Removes tokens that expired before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
}

// ---- Issue 26 (migration 0017) ----

/** An administrator's personal tokens for the management API (AdminTokenRecord). */
export interface AdminTokenRepository {
  create(token: NewAdminToken): Promise<AdminTokenRecord>;
  /** The token with this hash if it is neither expired at `now` nor revoked; nothing changes. */
  findLive(tokenHash: string, now: number): Promise<AdminTokenRecord | null>;
  findById(id: string): Promise<AdminTokenRecord | null>;
  /** Every token, newest first (expired and revoked ones too, until deleted). */
  list(): Promise<AdminTokenRecord[]>;
  /** Revokes a live token; false when there is none or it was revoked already. */
  revoke(id: string, now: number): Promise<boolean>;
  /** Revokes every live token acting as this user (their admin rights were taken, they were disabled); returns how many. */
  revokeForUser(userId: string, now: number): Promise<number>;
  /** Records a use (at most once a minute is enough: callers may skip it). */
  touch(id: string, now: number): Promise<void>;
  /** Removes tokens expired or revoked before `before`; returns how many. */
  deleteEnded(before: number): Promise<number>;
}

/** Webhook endpoints (WebhookRecord). */
export interface WebhookRepository {
  create(webhook: NewWebhook, now: number): Promise<WebhookRecord>;
  findById(id: string): Promise<WebhookRecord | null>;
  /** Every endpoint, oldest first. */
  list(): Promise<WebhookRecord[]>;
  update(id: string, patch: WebhookPatch, now: number): Promise<WebhookRecord | null>;
  /** Deletes the endpoint and its deliveries; false when there was none. */
  delete(id: string): Promise<boolean>;
}

/**
 * The durable delivery queue (DeliveryRecord), shared by every node. Webhook deliveries are written by
 * AuditRepository.append itself, in the event's transaction (one per enabled endpoint whose patterns match); this
 * repository enqueues back-channel logouts and moves deliveries through their states.
 */
export interface DeliveryRepository {
  enqueue(deliveries: NewDelivery[], now: number): Promise<DeliveryRecord[]>;
  /**
   * Leases up to `limit` pending deliveries due at `now` whose lease is free or lapsed, for `owner` until
   * `leaseUntil`, each in one conditional write: of nodes claiming at once, each delivery goes to exactly one.
   * Oldest due first.
   */
  claimDue(owner: string, now: number, leaseUntil: number, limit: number): Promise<DeliveryRecord[]>;
  /**
   * Writes an attempt's outcome (attempts + 1, the lease released) only while `owner` still holds the lease; null
   * otherwise (the lease lapsed and another node took it), and nothing written.
   */
  settle(id: string, owner: string, settlement: DeliverySettlement, now: number): Promise<DeliveryRecord | null>;
  /** "Redeliver": a delivered or dead delivery back to pending, due now, its attempts kept; null when none or still pending. */
  redeliver(id: string, now: number): Promise<DeliveryRecord | null>;
  findById(id: string): Promise<DeliveryRecord | null>;
  /** A webhook endpoint's deliveries, newest first (keyset pages). */
  listForWebhook(webhookId: string, options: ListOptions): Promise<Page<DeliveryRecord>>;
  /** A client's back-channel logout deliveries, newest first (keyset pages). */
  listForClient(clientId: string, options: ListOptions): Promise<Page<DeliveryRecord>>;
  /** How many are pending, and how many dead (metrics, the admin screens). */
  counts(): Promise<{ pending: number; dead: number }>;
  /** Removes delivered and dead deliveries last changed before `before`; returns how many. */
  deleteSettledBefore(before: number): Promise<number>;
}

/** Where clients authenticate from and whether a JWKS fetch came from there (key rotation readiness, best effort). */
export interface ClientSightingRepository {
  /** The client authenticated from this address and User-Agent at `now` (an upsert). */
  saw(clientId: string, address: string, userAgent: string, now: number): Promise<void>;
  /** A JWKS fetch came from this address and User-Agent: every client seen there is marked; returns how many. */
  jwksFetched(address: string, userAgent: string, now: number): Promise<number>;
  /** Every client seen at or after `since`, with its last sighting and last JWKS fetch, by client id. */
  summary(since: number): Promise<ClientSightingSummary[]>;
  /** Removes sightings older than `before`; returns how many. */
  deleteBefore(before: number): Promise<number>;
}

/** One consistent view of the tables `idp export` moves (src/store/transfer/tables.ts). */
export interface TransferReader {
  count(table: TransferTable): Promise<number>;
  /** The table's rows in its `orderBy` order, a batch at a time, as portable values. */
  rows(table: TransferTable, batchSize: number): AsyncIterable<TransferRow[]>;
}

export interface TransferBatch {
  table: TransferTable;
  rows: TransferRow[];
}

export interface TransferRepository {
  /** Runs `read` on one snapshot: rows written meanwhile (nodes keep serving) are wholly in it or not at all. */
  snapshot<T>(read: (reader: TransferReader) => Promise<T>): Promise<T>;
  /**
   * Writes the batches into a store whose transfer tables are all empty (else ConflictError), in one
   * transaction: if writing a row or reading the next batch throws, nothing is written.
   */
  load(batches: AsyncIterable<TransferBatch>): Promise<void>;
  /** The latest migration applied: an export is imported only by the same schema. */
  schemaVersion(): Promise<number>;
}

export interface Store {
  readonly users: UserRepository;
  readonly clients: ClientRepository;
  readonly groups: GroupRepository;
  readonly attributes: AttributeRepository;
  readonly apis: ApiRepository;
  readonly deviceCodes: DeviceCodeRepository;
  readonly clientAssertions: ClientAssertionRepository;
  /** Issue 28. */
  readonly pushedRequests: PushedRequestRepository;
  readonly usedJtis: UsedJtiRepository;
  readonly identityProviders: IdentityProviderRepository;
  readonly federatedIdentities: FederatedIdentityRepository;
  readonly federationStates: FederationStateRepository;
  readonly consents: ConsentRepository;
  readonly registrationTokens: RegistrationTokenRepository;
  readonly branding: BrandingRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly sessions: SessionRepository;
  readonly codes: AuthorizationCodeRepository;
  readonly refreshTokens: RefreshTokenRepository;
  readonly authorizationRequests: AuthorizationRequestRepository;
  readonly accessTokens: AccessTokenRepository;
  readonly audit: AuditRepository;
  readonly throttle: ThrottleRepository;
  readonly accountTokens: AccountTokenRepository;
  readonly totp: TotpRepository;
  readonly recoveryCodes: RecoveryCodeRepository;
  readonly passkeys: PasskeyRepository;
  readonly signInChallenges: SignInChallengeRepository;
  readonly issuance: IssuanceRepository;
  readonly transfer: TransferRepository;
  /** Issue 26. */
  readonly adminTokens: AdminTokenRepository;
  readonly webhooks: WebhookRepository;
  readonly deliveries: DeliveryRepository;
  readonly clientSightings: ClientSightingRepository;
  /** Resolves when the store answers a trivial query (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
