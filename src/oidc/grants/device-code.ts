// grant_type=urn:ietf:params:oauth:grant-type:device_code (RFC 8628 §3.4, §3.5): the device polls with its device
// code until the person has decided at /device (src/interaction/device.ts). The client is already authenticated
// when this runs. Until the decision each poll is recorded, and one that comes sooner than the interval answers
// slow_down with the interval grown by 5 seconds (the store does both in one write); then the person's "no" is
// access_denied and their "yes" is spent by one conditional write (DeviceCodeRepository.consume), so that of two
// token requests with the same code, on one node or several, exactly one receives tokens.
// A device code presented by another client is refused and changes nothing: the rightful device keeps polling
// (unlike an authorization code, whose leak revokes its grant, a device code is worthless to anyone but its
// client, and refusing it must not let a stranger spoil the person's sign-in).
// Like an authorization code, an approval is worth no more than the session it was given in: its tokens are bound
// to that session (as the code flow's are) and refused once it has ended.
import { hashSecret, randomId } from '../../auth/secrets.js';
import { AuthorizationPending, DeviceAuthorizationDenied, ExpiredToken, InvalidGrant, InvalidRequest, SlowDown } from '../../errors.js';
import { DEVICE_CODE_GRANT, type ClientRecord, type DeviceCodeRecord } from '../../store/records.js';
import { field } from '../form-field.js';
import { grantAudience } from '../grant-audience.js';
import { oneResource } from '../resource.js';
import { admittedClaimFacts } from './access-check.js';
import { BEARER_REQUEST, issueTokens, mayRefresh, refreshJkt, type GrantDependencies, type TokenRequestContext, type TokenResponse } from './issue-tokens.js';
import { revokeGrant } from './revoke-grant.js';

export async function deviceCodeGrant(deps: GrantDependencies, client: ClientRecord, body: Record<string, unknown>, context: TokenRequestContext = BEARER_REQUEST): Promise<TokenResponse> {
  const deviceCode = field(body, 'device_code');
  if (!deviceCode) throw new InvalidRequest('device_code is missing');
  // RFC 8707 §2.2: read (and its form checked) before the poll, so that a malformed request records nothing.
  const requestedResource = oneResource(body);
  const deviceCodeHash = hashSecret(deviceCode);
  const now = deps.clock.now();

  const found = await deps.store.deviceCodes.find(deviceCodeHash);
  if (!found) throw new InvalidGrant('the device code is invalid');
  if (found.clientId !== client.clientId) {
    throw new InvalidGrant(
      'the device code is invalid',
      // Stryker disable next-line StringLiteral: log-only detail, never sent to the client; its wording is not behaviour.
      `device code of ${found.clientId} presented by ${client.clientId}`,
    );
  }
  if (found.consumedAt !== null) throw new InvalidGrant('the device code has already been used');
  if (found.expiresAt <= now) throw new ExpiredToken('the device code has expired; start again');

  const polled = await deps.store.deviceCodes.poll(deviceCodeHash, now);
  // Stryker disable next-line ConditionalExpression: the code was found just above; only a sweep in between removes it
  if (!polled) throw new InvalidGrant('the device code is invalid');
  const { record } = polled;
  if (record.status === 'pending') {
    // §3.5: slow_down is "a variant of authorization_pending": once the person has decided, the answer is theirs.
    if (polled.tooSoon) throw new SlowDown(`polling too fast; wait at least ${record.interval} seconds between requests`);
    throw new AuthorizationPending('the user has not yet approved the request');
  }
  if (record.status === 'denied') throw new DeviceAuthorizationDenied('the user denied the request');
  return redeemApproval(deps, client, record, requestedResource, context);
}

/** The approved authorization: checked, spent once, and turned into tokens. */
async function redeemApproval(
  deps: GrantDependencies,
  client: ClientRecord,
  record: DeviceCodeRecord,
  requestedResource: string | undefined,
  context: TokenRequestContext,
): Promise<TokenResponse> {
  // Stryker disable next-line MethodExpression: equivalent; a stored scope is the granted names joined by one space
  const scope = record.scope.split(' ').filter(Boolean);
  // Decided before the code is spent, so that a refused resource leaves it for a corrected request.
  const audience = await grantAudience(deps, client, { grantResources: record.resources, grantScope: scope, requested: requestedResource });
  const consumed = await deps.store.deviceCodes.consume(record.deviceCodeHash, deps.clock.now());
  if (!consumed) throw new InvalidGrant('the device code has already been used');
  // Stryker disable next-line ConditionalExpression: an approved record always names its person (a CHECK constraint)
  const user = consumed.userId === null ? null : await deps.store.users.findById(consumed.userId);
  if (!user || user.disabled) throw new InvalidGrant('the user can no longer sign in');
  if (!(await sessionLives(deps, consumed))) throw new InvalidGrant('the sign-in session in which this device was approved has ended');
  const grantId = randomId();
  // Issue 21: the person must still be admitted by the client's access rule (the page checked it when they approved).
  const facts = await admittedClaimFacts(deps, client, { grantId, userId: user.id, scope, grantType: DEVICE_CODE_GRANT });
  const now = deps.clock.now();
  // Issue 28 (RFC 9449 §5): the device's DPoP key, if it sent a proof with this poll, binds its tokens.
  const refresh = mayRefresh(client, scope, consumed.sessionIdHash) ? { scope, grantExpiresAt: now + deps.config.lifetimes.refreshToken * 1000, jkt: refreshJkt(client, context.dpopJkt) } : null;
  const response = await issueTokens(
    deps,
    {
      grantId,
      client,
      user,
      scope,
      resources: consumed.resources,
      // Stryker disable next-line LogicalOperator: an approved record always has its auth_time
      authTime: consumed.authTime ?? now,
      nonce: null,
      sessionIdHash: consumed.sessionIdHash,
      sid: consumed.sid,
      amr: consumed.amr,
      idp: consumed.idp ?? null,
      facts,
      dpopJkt: context.dpopJkt,
    },
    audience,
    refresh,
  );
  // A session that ended while the tokens were being signed revoked its tokens before ours were recorded: revoke
  // again so that they cannot escape. The answer still goes out; the device learns at its next call.
  if (!(await sessionLives(deps, consumed))) await revokeGrant(deps.store, grantId, deps.clock.now());
  return response;
}

/** Whether the session the person approved in still lives (an approval recorded without one has none to lose). */
async function sessionLives(deps: GrantDependencies, record: DeviceCodeRecord): Promise<boolean> {
  return record.sessionIdHash === null || (await deps.store.sessions.findLive(record.sessionIdHash, deps.clock.now())) !== null;
}
