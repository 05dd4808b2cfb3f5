// grant_type=refresh_token (RFC 6749 §6, OIDC Core §12, RFC 9700 §4.14.2).
// The client is already authenticated when this runs. Every refresh rotates the token: the presented one is
// spent by one atomic update and a successor is issued in the same family (grant id). A dead token presented
// again means two parties hold the family, and the server cannot tell which is honest, so the family dies,
// unless the same client presents it again within the reuse grace (refresh-retry.ts).
import { hashSecret } from '../../auth/secrets.js';
import { activityDue } from '../../auth/sessions.js';
import { InvalidGrant, InvalidRequest, InvalidScope } from '../../errors.js';
import type { ClientRecord, RefreshTokenRecord, SessionRecord } from '../../store/records.js';
import { CLIENT_REGISTERED_SCOPES } from '../claims.js';
import { field } from '../form-field.js';
import { grantAudience, type Audience } from '../grant-audience.js';
import { oneResource } from '../resource.js';
import { revokeGrant } from './revoke-grant.js';
import { admittedClaimFacts } from './access-check.js';
import { BEARER_REQUEST, issueTokens, issueTokensSpending, refreshJkt, type GrantDependencies, type TokenRequestContext, type TokenResponse } from './issue-tokens.js';
import { refreshTokenStatus, type RefreshTokenProblem } from './refresh-token-status.js';
import { reuseGraceOf, successorToken, withinGrace } from './refresh-retry.js';

// RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by single spaces.
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** Revokes every refresh and access token of the family (RFC 9700 §4.14.2). */
async function revokeFamily(deps: GrantDependencies, record: RefreshTokenRecord): Promise<void> {
  await revokeGrant(deps.store, record.grantId, deps.clock.now());
}

/** A dead token came back: the family is compromised. The audit trail names the grant, never the token. */
async function reused(deps: GrantDependencies, client: ClientRecord, record: RefreshTokenRecord): Promise<InvalidGrant> {
  await revokeFamily(deps, record);
  await deps.store.audit.append({
    at: deps.clock.now(),
    type: 'refresh_token.reused',
    actor: client.clientId,
    subject: record.userId,
    clientId: record.clientId,
    ip: null,
    outcome: 'failure',
    details: { client_id: client.clientId, grant_id: record.grantId },
  });
  return new InvalidGrant(
    'the refresh token has already been used',
    // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
    `refresh token reuse by ${client.clientId}; grant ${record.grantId} revoked`,
  );
}

/** The session-bound token's session was seen now (an offline token's session, if any, is not its concern). */
async function recordActivity(deps: GrantDependencies, session: SessionRecord | null, now: number): Promise<void> {
  if (session !== null && activityDue(session.lastSeenAt, now, deps.config.lifetimes.sessionIdle)) await deps.store.sessions.touch(session.idHash, now);
}

const REFUSALS: Record<RefreshTokenProblem, string> = {
  rotated: 'the refresh token has already been used',
  revoked: 'the refresh token has been revoked',
  expired: 'the refresh token has expired',
  user_unavailable: 'the user can no longer sign in',
  session_ended: 'the sign-in session of the refresh token has ended',
};

/** A token that may no longer be used for another reason than reuse. */
async function refused(deps: GrantDependencies, record: RefreshTokenRecord, problem: RefreshTokenProblem): Promise<InvalidGrant> {
  // A disabled or deleted user keeps nothing, even tokens nobody presents.
  if (problem === 'user_unavailable') await revokeFamily(deps, record);
  // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
  return new InvalidGrant(REFUSALS[problem], `grant ${record.grantId}: ${problem}`);
}

/**
 * RFC 6749 §6: the requested scope may narrow the token's scope but never widen it. Returns the scope in the
 * token's own order.
 */
function narrowScope(granted: string[], requested: string | undefined): string[] {
  if (requested === undefined) return granted;
  if (!SCOPE.test(requested)) throw new InvalidScope('scope is malformed');
  const wanted = new Set(requested.split(' '));
  const beyond = [...wanted].filter((scope) => !granted.includes(scope));
  if (beyond.length > 0) throw new InvalidScope(`scope ${beyond.join(' ')} was not granted to this refresh token`);
  return granted.filter((scope) => wanted.has(scope));
}

/**
 * A refresh for our userinfo endpoint keeps the OpenID Connect grant: with openid granted, it answers with an ID
 * token (OIDC Core §12.1), so openid may not be narrowed away. A refresh for an API may leave it out (a client that
 * echoes the API token's scope, as oidc-client-ts does, asks for the API's scopes alone): it then receives the API
 * token without an ID token.
 */
function keepsOpenid(granted: string[], scope: string[], audience: Audience): void {
  if (audience.api === null && granted.includes('openid') && !scope.includes('openid')) {
    throw new InvalidScope('scope must include openid: a refresh keeps the OpenID Connect grant');
  }
}

/**
 * The token as the client may still hold it: an administrator may have taken scopes away from the client since
 * the grant, and a refresh token keeps only those it still has, from its next use on (issue 20). openid stays:
 * every refresh answers with an ID token (OIDC Core §12.1). A token that loses offline_access this way is bound
 * to its sign-in session again, and is checked as such. `groups` and attribute scopes are every client's (issue
 * 21): registration takes none of them away.
 */
function withinClientScopes(record: RefreshTokenRecord, client: ClientRecord): RefreshTokenRecord {
  const kept = record.scope.split(' ').filter((scope) => scope === 'openid' || !CLIENT_REGISTERED_SCOPES.includes(scope) || client.scopes.includes(scope));
  return { ...record, scope: kept.join(' ') };
}

/**
 * Issue 28 (RFC 9449 §5): a refresh token bound to a DPoP key refreshes only with a proof of that key. Refused
 * before anything is spent or revoked: the token stolen without its key is useless, and its holder keeps it.
 */
function checkDpopBinding(record: RefreshTokenRecord, proved: string | null): void {
  const bound = record.jkt ?? null;
  if (bound === null || bound === proved) return;
  if (proved === null) throw new InvalidGrant('this refresh token is bound to a DPoP key: send a DPoP proof made with that key');
  throw new InvalidGrant('the DPoP proof was made with another key than the one this refresh token is bound to');
}

export async function refreshTokenGrant(deps: GrantDependencies, client: ClientRecord, body: Record<string, unknown>, context: TokenRequestContext = BEARER_REQUEST): Promise<TokenResponse> {
  const token = field(body, 'refresh_token');
  if (!token) throw new InvalidRequest('refresh_token is missing');
  const requestedScope = field(body, 'scope');
  const tokenHash = hashSecret(token);
  const now = deps.clock.now();

  const record = await deps.store.refreshTokens.find(tokenHash);
  if (!record) throw new InvalidGrant('the refresh token is invalid');
  if (record.clientId !== client.clientId) {
    // RFC 6749 §10.4: a token in the hands of another registered client has leaked.
    await revokeFamily(deps, record);
    throw new InvalidGrant(
      'the refresh token was issued to another client',
      // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
      `refresh token of ${record.clientId} presented by ${client.clientId}; grant ${record.grantId} revoked`,
    );
  }
  checkDpopBinding(record, context.dpopJkt);
  // RFC 8707 §2.2: a refresh may narrow to one of the grant's resources (grant-audience.ts checks which).
  const requestedResource = oneResource(body);
  const current = withinClientScopes(record, client);
  const status = await refreshTokenStatus(deps.store, deps.config.lifetimes, current, now);
  if (!status.usable) {
    if (status.problem === 'rotated') return retryWithinGrace(deps, client, token, current, { scope: requestedScope, resource: requestedResource, context });
    throw await refused(deps, record, status.problem);
  }
  const granted = current.scope.split(' ');
  // Checked before rotating, so that a refused request leaves the token usable.
  const scope = narrowScope(granted, requestedScope);
  // Issue 22: the audience, with the client's API grants as they are now (a withdrawn one is invalid_target).
  const audience = await grantAudience(deps, client, { grantResources: current.resources, grantScope: scope, requested: requestedResource });
  keepsOpenid(granted, scope, audience);
  // Issue 21: the client's access rule, with the membership as it is now; refused, the family is revoked.
  const facts = await admittedClaimFacts(deps, client, { grantId: current.grantId, userId: current.userId, scope, grantType: 'refresh_token' });

  // An application that refreshes is in use, so the sign-in session its token depends on should not idle out
  // (recorded as the browser's activity is: at most once per granule, src/auth/sessions.ts).
  await recordActivity(deps, status.session, now);

  // Issue 27: the token is rotated (spent) in the same write as the successor's records, while they are signed.
  const response = await issueTokensSpending(
    deps,
    {
      grantId: current.grantId,
      client,
      user: status.user,
      scope,
      resources: current.resources,
      authTime: current.authTime,
      // OIDC Core §12.2: a refreshed ID token should carry no nonce.
      nonce: null,
      sessionIdHash: current.sessionIdHash,
      sid: current.sid,
      amr: current.amr,
      idp: current.idp ?? null,
      facts,
      dpopJkt: context.dpopJkt,
      // RFC 6749 §6: the new refresh token keeps the whole original scope; rotation never moves the absolute end.
      // RFC 9449 §5: a bound token's successor stays bound to its key.
    },
    audience,
    {
      scope: granted,
      grantExpiresAt: current.grantExpiresAt,
      token: successorToken(await deps.secretBox(), token),
      jkt: refreshJkt(client, context.dpopJkt, current.jkt ?? null),
    },
    { kind: 'refresh_token', hash: tokenHash, at: now },
  );
  // Another request with the same token won the race: reuse, or a retry if the grace covers it (two tabs).
  if (response === null) {
    const latest = (await deps.store.refreshTokens.find(tokenHash)) ?? record;
    return retryWithinGrace(deps, client, token, withinClientScopes(latest, client), { scope: requestedScope, resource: requestedResource, context });
  }

  // A reuse noticed while we were signing revoked the family before our successor existed (revoking a grant
  // also stamps the rotated token we spent). Revoke again so that the successor cannot escape. The answer still
  // goes out: this request won the rotation, and a client holding revoked tokens learns it at its next call.
  const spent = await deps.store.refreshTokens.find(tokenHash);
  if (spent === null || spent.revokedAt !== null) await revokeFamily(deps, current);
  return response;
}

/**
 * A spent token presented again. Within the client's reuse grace, and while its successor is unused, the client
 * receives that same successor with new access and ID tokens (refresh-retry.ts); otherwise it is reuse and the
 * family dies. The retry passes the same checks as a first presentation: the user, the session, the expiry.
 */
/** What the refresh request asked for besides the token: a narrower `scope`, one `resource`. */
interface RefreshAsk {
  scope: string | undefined;
  resource: string | undefined;
  /** Issue 28: the DPoP key the request proved. */
  context: TokenRequestContext;
}

async function retryWithinGrace(deps: GrantDependencies, client: ClientRecord, presented: string, record: RefreshTokenRecord, ask: RefreshAsk): Promise<TokenResponse> {
  const now = deps.clock.now();
  if (!withinGrace(record, reuseGraceOf(deps.config, client), now)) throw await reused(deps, client, record);
  const status = await refreshTokenStatus(deps.store, deps.config.lifetimes, { ...record, rotatedAt: null }, now);
  if (!status.usable) throw await refused(deps, record, status.problem);
  const successor = successorToken(await deps.secretBox(), presented);
  const successorHash = hashSecret(successor);
  const next = await deps.store.refreshTokens.find(successorHash);
  // The successor was used: the spent token is in other hands now, whoever presents it. (A revoked successor
  // means a revoked family, spent token included, which the status above has refused already.)
  if (next !== null && next.rotatedAt !== null) throw await reused(deps, client, record);
  const granted = record.scope.split(' ');
  const scope = narrowScope(granted, ask.scope);
  // A retry is a refresh: the audience is decided again (it may name another of the grant's resources), and the
  // access rule is asked again.
  const audience = await grantAudience(deps, client, { grantResources: record.resources, grantScope: scope, requested: ask.resource });
  keepsOpenid(granted, scope, audience);
  const facts = await admittedClaimFacts(deps, client, { grantId: record.grantId, userId: record.userId, scope, grantType: 'refresh_token' });
  await recordActivity(deps, status.session, now);

  // The successor is recorded by whichever of the rotation and this retry gets there first, and only once.
  const response = await issueTokens(
    deps,
    {
      grantId: record.grantId,
      client,
      user: status.user,
      scope,
      resources: record.resources,
      authTime: record.authTime,
      nonce: null,
      sessionIdHash: record.sessionIdHash,
      sid: record.sid,
      amr: record.amr,
      idp: record.idp ?? null,
      facts,
      dpopJkt: ask.context.dpopJkt,
    },
    audience,
    { scope: granted, grantExpiresAt: record.grantExpiresAt, token: successor, jkt: refreshJkt(client, ask.context.dpopJkt, record.jkt ?? null) },
  );
  await deps.store.audit.append({
    at: now,
    type: 'refresh_token.retried',
    actor: client.clientId,
    subject: record.userId,
    clientId: record.clientId,
    ip: null,
    outcome: 'success',
    details: { client_id: client.clientId, grant_id: record.grantId },
  });
  // As after a rotation: a revocation that ran while we were signing must reach the tokens we recorded.
  // Revoking the family stamps the spent token too, so that is the one to read.
  const spent = await deps.store.refreshTokens.find(hashSecret(presented));
  if (spent === null || spent.revokedAt !== null) await revokeFamily(deps, record);
  return response;
}
