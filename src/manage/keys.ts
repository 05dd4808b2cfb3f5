// Signing-key rotation and revocation: the rules shared by the `idp` tool and (later) the admin screens.
// Every operation checks before it writes, and is recorded in the audit log.
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { SessionTerminator } from '../logout/session-end.js';
import { revokeGrant } from '../oidc/grants/revoke-grant.js';
import { computeSchedule, type KeyPolicy, type KeyTimeline, type Schedule } from '../signing/key-schedule.js';
import type { KeyStore, SigningKey } from '../signing/key-store.js';
import { audit, type ManageContext } from './users.js';

export interface KeyContext extends ManageContext {
  keys: KeyStore;
  policy: KeyPolicy;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Every key with its state now, newest first; creates the first key on an empty KEYS_DIR, as the server would. */
export async function keySchedule(ctx: KeyContext): Promise<Schedule<SigningKey>> {
  const now = ctx.clock.now();
  return computeSchedule(await ctx.keys.load(now), now, ctx.policy.retirementDelayMs);
}

function timelineOf(schedule: Schedule<SigningKey>, kid: string): KeyTimeline<SigningKey> {
  const timeline = schedule.keys.find((t) => t.key.kid === kid);
  if (!timeline) throw new NotFoundError(`no signing key ${JSON.stringify(kid)}`);
  return timeline;
}

export interface Rotation {
  key: KeyTimeline<SigningKey>;
  /** The key that signed when the rotation was made; it signs until the new key activates. */
  previous: SigningKey | null;
  /** Active at once: asked for (--now), or no key could sign. */
  immediate: boolean;
}

/**
 * Adds a key, published now. It signs after KEY_PREPUBLISH, once every cached copy of the JWKS has it; with
 * `immediately` (an emergency) it signs at once, and relying parties with a cached JWKS refuse its tokens until
 * they fetch it again. A key set with no signing key gets an active key, there being no one to wait for.
 * Issue 26: `activatesAt` (the management API's POST /keys/rotate) schedules the activation later than KEY_PREPUBLISH,
 * never earlier (that is what `immediately` is for), and within a year.
 */
export async function rotateKey(ctx: KeyContext, options: { immediately: boolean; activatesAt?: number }): Promise<Rotation> {
  const now = ctx.clock.now();
  const scheduled = checkActivation(options.activatesAt, now, ctx.policy.prepublishMs);
  const before = computeSchedule(await ctx.keys.list(), now, ctx.policy.retirementDelayMs);
  const immediate = options.immediately || before.signingKey === null;
  const created = await ctx.keys.rotate(now, immediate ? now : (scheduled ?? now + ctx.policy.prepublishMs));
  const after = computeSchedule([created, ...before.keys.map((t) => t.key)], now, ctx.policy.retirementDelayMs);
  const previous = before.signingKey;
  await audit(ctx, immediate ? 'key.activated_now' : 'key.rotation_scheduled', created.kid, {
    activates_at: iso(created.activatedAt),
    previous_kid: previous?.kid ?? null,
  });
  return { key: timelineOf(after, created.kid), previous, immediate };
}

const MAX_ACTIVATION_DELAY_MS = 365 * 24 * 60 * 60 * 1000;

function checkActivation(activatesAt: number | undefined, now: number, prepublishMs: number): number | null {
  if (activatesAt === undefined) return null;
  if (!Number.isFinite(activatesAt)) throw new ValidationError('activates_at', 'the activation must be a date and time');
  // Relying parties cache the JWKS: a key must be published that long before it signs.
  if (activatesAt < now + prepublishMs) {
    throw new ValidationError(
      'activates_at',
      `the activation must be at least KEY_PREPUBLISH (${Math.round(prepublishMs / 1000)} s) from now, so that cached copies of the JWKS have the key first; rotate immediately for an emergency`,
    );
  }
  if (activatesAt > now + MAX_ACTIVATION_DELAY_MS) throw new ValidationError('activates_at', 'the activation must be within a year from now');
  return activatesAt;
}

export interface Revocation {
  key: KeyTimeline<SigningKey>;
  wasSigning: boolean;
  /** The key that signs from now on, when the revoked key was signing. */
  replacement: { key: KeyTimeline<SigningKey>; source: 'scheduled' | 'new' } | null;
  grants: number;
  refreshTokens: number;
  accessTokens: number;
  sessions: number;
}

/**
 * For a compromised key: it leaves the JWKS at once and never signs again, and every grant and sign-in session
 * that has tokens it signed is revoked. A replacement is in place before the key is revoked, so that there is
 * never a moment without a signing key.
 */
export async function revokeKey(ctx: KeyContext, kid: string): Promise<Revocation> {
  const now = ctx.clock.now();
  const before = computeSchedule(await ctx.keys.list(), now, ctx.policy.retirementDelayMs);
  const target = timelineOf(before, kid);
  if (target.key.revokedAt !== null) throw new ConflictError(`signing key ${kid} was already revoked at ${iso(target.key.revokedAt)}`);
  const wasSigning = before.signingKey?.kid === kid;

  let successor: { kid: string; source: 'scheduled' | 'new' } | null = null;
  if (wasSigning) {
    // A scheduled key has been in the JWKS since its creation, so more caches know it than a brand-new key.
    const scheduled = before.keys
      .filter((t) => t.state === 'pending')
      .map((t) => t.key)
      .sort((a, b) => a.activatedAt - b.activatedAt)[0];
    const key = scheduled ? await ctx.keys.update(scheduled.kid, { activatedAt: now }) : await ctx.keys.rotate(now, now);
    if (!key) throw new NotFoundError(`no signing key ${JSON.stringify(scheduled?.kid)}`);
    successor = { kid: key.kid, source: scheduled ? 'scheduled' : 'new' };
  }
  const revoked = await ctx.keys.update(kid, { revokedAt: now });
  if (!revoked) throw new NotFoundError(`no signing key ${JSON.stringify(kid)}`);

  const counts = await revokeTokensSignedBy(ctx, kid);
  const after = computeSchedule(await ctx.keys.list(), now, ctx.policy.retirementDelayMs);
  const replacement = successor ? { key: timelineOf(after, successor.kid), source: successor.source } : null;
  await audit(ctx, 'key.revoked', kid, {
    was_signing: wasSigning,
    replacement_kid: successor?.kid ?? null,
    grants: counts.grants,
    refresh_tokens: counts.refreshTokens,
    access_tokens: counts.accessTokens,
    sessions: counts.sessions,
  });
  return { key: timelineOf(after, kid), wasSigning, replacement, ...counts };
}

async function revokeTokensSignedBy(ctx: KeyContext, kid: string) {
  const now = ctx.clock.now();
  const references = [...(await ctx.store.accessTokens.grantsSignedBy(kid)), ...(await ctx.store.refreshTokens.grantsSignedBy(kid))];
  const grantIds = new Set(references.map((reference) => reference.grantId));
  const sessionIdHashes = new Set(references.flatMap((reference) => (reference.sessionIdHash === null ? [] : [reference.sessionIdHash])));
  let refreshTokens = 0;
  let accessTokens = 0;
  for (const grantId of grantIds) {
    const revoked = await revokeGrant(ctx.store, grantId, now);
    refreshTokens += revoked.refreshTokens;
    accessTokens += revoked.accessTokens;
  }
  // Without a back-channel (no key to sign logout tokens with) sessions still end, by the same path.
  const sessionEnd = ctx.sessionEnd ?? new SessionTerminator(ctx.store, ctx.clock, null);
  let sessions = 0;
  for (const idHash of sessionIdHashes) {
    const session = await ctx.store.sessions.findLive(idHash, now);
    if (!session) continue;
    await sessionEnd.end(session, { reason: 'key_revoked', actor: ctx.actor, keepOffline: false });
    sessions++;
  }
  return { grants: grantIds.size, refreshTokens, accessTokens, sessions };
}
