// grant_type=authorization_code (RFC 6749 §4.1.3, OIDC Core §3.1.3.2, RFC 7636 §4.5).
// The client is already authenticated when this runs; the code is checked before it is spent, and spent
// by one atomic update, so that of two concurrent redemptions exactly one wins. A code is worth no more than the
// session it was minted in (issue 19, F5): ending the session revokes its codes, a code whose session is gone is
// refused, and a session that ends while the tokens are being issued takes them with it.
import { hashSecret } from '../../auth/secrets.js';
import { InvalidGrant, InvalidRequest } from '../../errors.js';
import type { AuthorizationCodeRecord, ClientRecord } from '../../store/records.js';
import { isWellFormedVerifier, verifierMatches } from '../pkce.js';
import { field } from '../form-field.js';
import { grantAudience } from '../grant-audience.js';
import { oneResource } from '../resource.js';
import { revokeGrant } from './revoke-grant.js';
import { admittedClaimFacts } from './access-check.js';
import { BEARER_REQUEST, issueTokensSpending, mayRefresh, refreshJkt, type GrantDependencies, type TokenRequestContext, type TokenResponse } from './issue-tokens.js';

/** RFC 6749 §4.1.2: a code used twice revokes every token issued from it. */
/** A spent or misdirected code came back: its grant is compromised. The audit trail names the grant, never the code. */
async function revokeReplayedCode(deps: GrantDependencies, code: AuthorizationCodeRecord, presenter: ClientRecord): Promise<void> {
  const now = deps.clock.now();
  // Marked first, so that a redemption still issuing its tokens sees it and revokes them after.
  await deps.store.codes.markReplayed(code.codeHash, now);
  const revoked = await revokeGrant(deps.store, code.grantId, now);
  await deps.store.audit.append({
    at: now,
    type: 'code.reused',
    actor: presenter.clientId,
    subject: code.userId,
    clientId: code.clientId,
    ip: null,
    outcome: 'failure',
    details: { grant_id: code.grantId, presented_by: presenter.clientId, revoked_refresh_tokens: revoked.refreshTokens, revoked_access_tokens: revoked.accessTokens },
  });
}

function checkPkce(code: AuthorizationCodeRecord, verifier: string | undefined): void {
  if (code.codeChallenge === null) {
    if (verifier !== undefined) throw new InvalidGrant('code_verifier was sent for a code issued without a code_challenge');
    return;
  }
  if (verifier === undefined) throw new InvalidGrant('code_verifier is required for this code');
  if (!isWellFormedVerifier(verifier) || !verifierMatches(verifier, code.codeChallenge)) {
    throw new InvalidGrant('code_verifier does not match the code_challenge');
  }
}

/**
 * RFC 9449 §10: a code whose authorization request named a DPoP key (`dpop_jkt`, or the proof sent to /par, §10.1)
 * is redeemed only with a proof of that key. Refused before the code is spent: the client holding the key may still
 * redeem it, and whoever stole it without the key gains nothing.
 */
function checkDpopBinding(code: AuthorizationCodeRecord, proved: string | null): void {
  const bound = code.dpopJkt ?? null;
  if (bound === null || bound === proved) return;
  if (proved === null) throw new InvalidGrant('this authorization code is bound to a DPoP key: send a DPoP proof made with that key');
  throw new InvalidGrant('the DPoP proof was made with another key than the one this authorization code is bound to (dpop_jkt)');
}

export async function authorizationCodeGrant(deps: GrantDependencies, client: ClientRecord, body: Record<string, unknown>, context: TokenRequestContext = BEARER_REQUEST): Promise<TokenResponse> {
  const code = field(body, 'code');
  if (!code) throw new InvalidRequest('code is missing');
  const redirectUri = field(body, 'redirect_uri');
  const verifier = field(body, 'code_verifier');
  const codeHash = hashSecret(code);
  const now = deps.clock.now();

  const record = await deps.store.codes.find(codeHash);
  if (!record) throw new InvalidGrant('the authorization code is invalid');
  if (record.consumedAt !== null) {
    await revokeReplayedCode(deps, record, client);
    throw new InvalidGrant(
      'the authorization code has already been used',
      // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
      `code reuse by ${client.clientId}; grant ${record.grantId} revoked`,
    );
  }
  if (record.clientId !== client.clientId) {
    // Another registered client holds this code: it leaked. Spend it and revoke whatever it produced.
    await deps.store.codes.consume(codeHash, now);
    await revokeReplayedCode(deps, record, client);
    throw new InvalidGrant(
      'the authorization code was issued to another client',
      // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
      `code of ${record.clientId} presented by ${client.clientId}`,
    );
  }
  if (record.expiresAt <= now) throw new InvalidGrant('the authorization code has expired');
  if (redirectUri === undefined) throw new InvalidRequest('redirect_uri is missing');
  if (redirectUri !== record.redirectUri) throw new InvalidGrant('redirect_uri does not match the authorization request');
  checkPkce(record, verifier);
  checkDpopBinding(record, context.dpopJkt);
  // RFC 8707 §2.2: at most one resource, one the authorization request named. Decided after the checks that catch a
  // leaked code (which revoke its grant) and before the code is spent, so that a refused resource leaves the code for
  // a corrected request.
  const requestedResource = oneResource(body);
  // Stryker disable next-line MethodExpression: equivalent; a stored scope is the granted names joined by one space, openid always among them, so no empty name to drop.
  const audience = await grantAudience(deps, client, { grantResources: record.resources, grantScope: record.scope.split(' ').filter(Boolean), requested: requestedResource });

  // The person, the session and the access rule are checked on the code as found; the code is spent in the same
  // write as the tokens' records (issue 27). A refused code is spent all the same: it is worth nothing after.
  const refuse = async (error: Error): Promise<Error> => {
    await deps.store.codes.consume(codeHash, now);
    return error;
  };
  const user = await deps.store.users.findById(record.userId);
  if (!user || user.disabled) throw await refuse(new InvalidGrant('the user can no longer sign in'));
  // The session ended (logout, a new password, an administrator) since the code was minted: the sign-in it
  // stood for is over, and nothing may be issued from it.
  if (!(await sessionLives(deps, record))) throw await refuse(new InvalidGrant('the sign-in session of this code has ended'));
  // Stryker disable next-line MethodExpression: equivalent; a stored scope is the granted names joined by one space, openid always among them, so no empty name to drop.
  const scope = record.scope.split(' ').filter(Boolean);
  // Issue 21: the person must still be admitted by the client's access rule (a group taken away since the
  // sign-in); refused, the grant is revoked and nothing is issued.
  let facts;
  try {
    facts = await admittedClaimFacts(deps, client, { grantId: record.grantId, userId: user.id, scope, grantType: 'authorization_code' });
  } catch (error) {
    throw await refuse(error as Error);
  }
  const refresh = mayRefresh(client, scope, record.sessionIdHash) ? { scope, grantExpiresAt: now + deps.config.lifetimes.refreshToken * 1000, jkt: refreshJkt(client, context.dpopJkt) } : null;
  const response = await issueTokensSpending(
    deps,
    {
      grantId: record.grantId,
      client,
      user,
      scope,
      resources: record.resources,
      authTime: record.authTime,
      nonce: record.nonce,
      sessionIdHash: record.sessionIdHash,
      sid: record.sid,
      amr: record.amr,
      idp: record.idp ?? null,
      facts,
      dpopJkt: context.dpopJkt,
    },
    audience,
    refresh,
    { kind: 'authorization_code', hash: codeHash, at: now },
  );
  if (response === null) {
    // Ending a session spends its codes: a session that ended since the check above is no replay.
    if (!(await sessionLives(deps, record))) throw new InvalidGrant('the sign-in session of this code has ended');
    // Lost a race with another redemption of the same code: that is reuse too.
    await revokeReplayedCode(deps, record, client);
    throw new InvalidGrant('the authorization code has already been used');
  }
  // A replay that arrived while we were signing revoked the grant before our tokens existed, and a session that
  // ended meanwhile revoked its tokens before ours were recorded: revoke again so they cannot escape (an offline
  // refresh token too: the code was redeemed after its session ended). The answer still goes out; the client
  // learns the tokens are dead at its next call.
  const replayed = (await deps.store.codes.find(codeHash))?.replayedAt != null;
  if (replayed || !(await sessionLives(deps, record))) await revokeGrant(deps.store, record.grantId, deps.clock.now());
  return response;
}

/** Whether the session the code was minted in still lives (a code minted without one has none to lose). */
async function sessionLives(deps: GrantDependencies, code: AuthorizationCodeRecord): Promise<boolean> {
  return code.sessionIdHash === null || (await deps.store.sessions.findLive(code.sessionIdHash, deps.clock.now())) !== null;
}
