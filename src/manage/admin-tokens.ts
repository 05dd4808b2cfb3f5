// An administrator's personal tokens for the management API (issue 26, `idp admin token create|list|revoke`): the
// rules shared by the `idp` tool and the API's authentication (src/api/authenticate.ts).
//
// A token is `gat_` followed by 256 random bits (base64url): the prefix tells the API's authentication which kind of
// bearer token it holds (an access token is a JWT or an opaque random string without it) and lets secret scanners
// recognise a leaked one. It is shown once, in the answer that created it, and stored only as a SHA-256 hash: a copy
// of the store authenticates nothing. It always expires (90 days unless told, at most a year ahead) and may be revoked
// at any time. It carries a set of management scopes (all of them unless told).
//
// Whom it acts as: without a user, the operator who ran the tool (actor `cli`, as every `idp` command); with one, an
// administrator, and then only while they are an enabled administrator: checked at each use (liveAdminToken), and
// the token is revoked outright when their admin rights are taken or they are disabled (src/manage/users.ts), so a
// later re-grant does not bring old tokens back. Created and revoked tokens are audited (`admin_token.created`,
// `admin_token.revoked`), never with the token itself.
import { hashSecret, randomId, randomSecret } from '../auth/secrets.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { MANAGE_SCOPES, type AdminTokenRecord, type ManageScope, type UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
// Types only from users.ts, which calls revokeAdminTokensOf: no import cycle at run time.
import type { ManageContext } from './users.js';

/** What every personal token starts with (and nothing else we issue does). */
export const ADMIN_TOKEN_PREFIX = 'gat_';
const DAY_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_ADMIN_TOKEN_LIFETIME_MS = 90 * DAY_MS;
/** A standing credential is renewed at least once a year. */
export const MAX_ADMIN_TOKEN_LIFETIME_MS = 365 * DAY_MS;
const MAX_DESCRIPTION_LENGTH = 200;
const CONTROL = /[\u0000-\u001f\u007f]/;
// `gat_` and 43 base64url characters (32 bytes): anything else is not one of ours, refused before any lookup.
const TOKEN_SHAPE = /^gat_[A-Za-z0-9_-]{43}$/;

export interface AdminTokenInput {
  /** Epoch milliseconds, in the future and at most a year ahead; absent: 90 days from now. */
  expiresAt?: number;
  /** The administrator it acts as (email or id); absent: the operator (`cli`). */
  user?: string;
  /** Management scopes; absent or empty: all of them. */
  scopes?: readonly string[];
  description?: string;
}

export interface CreatedAdminToken {
  /** The token itself: shown once, here, and nowhere else. */
  token: string;
  record: AdminTokenRecord;
}

export function isManageScope(scope: string): scope is ManageScope {
  return (MANAGE_SCOPES as readonly string[]).includes(scope);
}

function checkScopes(scopes: readonly string[] | undefined): ManageScope[] {
  if (scopes === undefined || scopes.length === 0) return [...MANAGE_SCOPES];
  const unknown = scopes.find((scope) => !isManageScope(scope));
  if (unknown !== undefined) throw new ValidationError('scope', `${JSON.stringify(unknown.slice(0, 80))} is not a management scope: use ${MANAGE_SCOPES.join(', ')}`);
  // In MANAGE_SCOPES order, each once.
  return MANAGE_SCOPES.filter((scope) => scopes.includes(scope));
}

function checkExpiry(expiresAt: number | undefined, now: number): number {
  if (expiresAt === undefined) return now + DEFAULT_ADMIN_TOKEN_LIFETIME_MS;
  if (!Number.isFinite(expiresAt)) throw new ValidationError('expires_at', 'the expiry must be a date and time');
  if (expiresAt <= now) throw new ValidationError('expires_at', 'the expiry must be in the future');
  if (expiresAt > now + MAX_ADMIN_TOKEN_LIFETIME_MS) throw new ValidationError('expires_at', 'the expiry must be within a year from now');
  return expiresAt;
}

function checkDescription(description: string | undefined): string | null {
  const trimmed = description?.trim() ?? '';
  if (trimmed === '') return null;
  if (trimmed.length > MAX_DESCRIPTION_LENGTH) throw new ValidationError('description', `the description must be at most ${MAX_DESCRIPTION_LENGTH} characters long`);
  if (CONTROL.test(trimmed)) throw new ValidationError('description', 'the description must not contain control characters');
  return trimmed;
}

/** Whether a person may hold (and use) a personal token: an administrator whose account is enabled. */
export const mayHoldAdminToken = (user: UserRecord): boolean => user.isAdmin && !user.disabled;

async function checkUser(store: Store, emailOrId: string | undefined): Promise<UserRecord | null> {
  if (emailOrId === undefined) return null;
  const wanted = emailOrId.trim();
  // As findUser (src/manage/users.ts) reads it: an email address, or else an id.
  const user = wanted.includes('@') ? await store.users.findByEmail(wanted) : await store.users.findById(wanted);
  if (!user) throw new NotFoundError(`no user ${JSON.stringify(wanted)}`);
  if (!mayHoldAdminToken(user)) throw new ValidationError('user', `${user.email} is not an enabled administrator: a personal token acts only as one`);
  return user;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Creates a personal token; every rule is checked before anything is written. `actor` (`cli`, or an administrator's
 * user id) is recorded as its creator and in the audit log.
 */
export async function createAdminToken(ctx: ManageContext, input: AdminTokenInput, actor: string = ctx.actor): Promise<CreatedAdminToken> {
  const now = ctx.clock.now();
  const expiresAt = checkExpiry(input.expiresAt, now);
  const scopes = checkScopes(input.scopes);
  const description = checkDescription(input.description);
  const user = await checkUser(ctx.store, input.user);
  const token = ADMIN_TOKEN_PREFIX + randomSecret();
  const record = await ctx.store.adminTokens.create({
    id: randomId(),
    tokenHash: hashSecret(token),
    userId: user?.id ?? null,
    scopes,
    description,
    createdBy: actor,
    createdAt: now,
    expiresAt,
  });
  await ctx.store.audit.append({
    at: now,
    type: 'admin_token.created',
    actor,
    subject: record.id,
    ip: ctx.ip ?? null,
    details: { id: record.id, user_id: record.userId, scopes: record.scopes, expires_at: iso(record.expiresAt), description: record.description },
  });
  return { token, record };
}

/** Every token, newest first, ended ones too until housekeeping removes them (30 days on): never the tokens themselves. */
export function listAdminTokens(ctx: Pick<ManageContext, 'store'>): Promise<AdminTokenRecord[]> {
  return ctx.store.adminTokens.list();
}

/**
 * Revokes a token by its public id, at once for every node (the next request finds no live token). A NotFoundError
 * when there is none, a ConflictError when it has already ended (revoked or expired); nothing is written then.
 */
export async function revokeAdminToken(ctx: ManageContext, id: string, actor: string = ctx.actor): Promise<AdminTokenRecord> {
  const now = ctx.clock.now();
  const record = await ctx.store.adminTokens.findById(id);
  if (!record) throw new NotFoundError(`no admin token ${JSON.stringify(id)}`);
  if (!(await ctx.store.adminTokens.revoke(id, now))) throw new ConflictError(`the admin token ${id} has already ${record.revokedAt === null ? 'expired' : 'been revoked'}`);
  await ctx.store.audit.append({ at: now, type: 'admin_token.revoked', actor, subject: id, ip: ctx.ip ?? null, details: { id, user_id: record.userId } });
  return { ...record, revokedAt: now };
}

/**
 * Revokes the personal tokens of someone who is no longer an enabled administrator (src/manage/users.ts calls it when
 * the flag is taken or the account disabled); audited once, with how many, when there were any.
 */
export async function revokeAdminTokensOf(ctx: ManageContext, userId: string): Promise<number> {
  const now = ctx.clock.now();
  const revoked = await ctx.store.adminTokens.revokeForUser(userId, now);
  if (revoked > 0) await ctx.store.audit.append({ at: now, type: 'admin_token.revoked', actor: ctx.actor, subject: userId, ip: ctx.ip ?? null, details: { user_id: userId, count: revoked } });
  return revoked;
}

/** A use is recorded at most this often per token: enough for "last used", and no write per request. */
export const TOUCH_INTERVAL_MS = 60 * 1000;

export interface LiveAdminToken {
  record: AdminTokenRecord;
  /** The administrator it acts as, as they are now; null for an operator's token. */
  user: UserRecord | null;
}

/**
 * The live token a presented string is, with whom it acts as, or null: not our shape, unknown, revoked, expired, or
 * acting as someone who is no longer an enabled administrator. The token is found by its hash (an index lookup: no
 * comparison of secrets in the open). Records the use at most once a minute.
 */
export async function liveAdminToken(store: Store, presented: string, now: number): Promise<LiveAdminToken | null> {
  if (!TOKEN_SHAPE.test(presented)) return null;
  const record = await store.adminTokens.findLive(hashSecret(presented), now);
  if (!record) return null;
  let user: UserRecord | null = null;
  if (record.userId !== null) {
    user = await store.users.findById(record.userId);
    if (!user || !mayHoldAdminToken(user)) return null;
  }
  if (record.lastUsedAt === null || now - record.lastUsedAt >= TOUCH_INTERVAL_MS) await store.adminTokens.touch(record.id, now);
  return { record, user };
}
