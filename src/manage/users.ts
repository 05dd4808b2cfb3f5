// Managing people's accounts: the rules shared by the `idp` tool and (later) the admin screens.
// Every change is validated before anything is written, and recorded in the audit log.
import { z } from 'zod';
import { hashPassword } from '../auth/password-hash.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { randomId } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { SessionEndReason, SessionTerminator } from '../logout/session-end.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';

export interface ManageContext {
  store: Store;
  clock: Clock;
  passwordMinLength: number;
  /** Who acts, for the audit log: a user id, or `cli`. */
  actor: string;
  /** The address the change came from (the admin screens), for the audit log. */
  ip?: string | null;
  /** Ends sessions with back-channel logout; without it sessions are still removed, silently. */
  sessionEnd?: SessionTerminator;
}

const emailSchema = z.email().max(254);
const MAX_NAME_LENGTH = 200;

export function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (!emailSchema.safeParse(trimmed).success) throw new ValidationError('email', `${JSON.stringify(email)} is not a valid email address`);
  return trimmed;
}

function checkName(name: string | undefined): string | null {
  if (name === undefined) return null;
  const trimmed = name.trim();
  if (trimmed.length > MAX_NAME_LENGTH) throw new ValidationError('name', `the name must be at most ${MAX_NAME_LENGTH} characters long`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ValidationError('name', 'the name must not contain control characters');
  return trimmed || null;
}

/** Finds a user by email (anything with an @) or by id. */
export async function findUser(store: Store, emailOrId: string): Promise<UserRecord> {
  const user = emailOrId.includes('@') ? await store.users.findByEmail(emailOrId) : await store.users.findById(emailOrId);
  if (!user) throw new NotFoundError(`no user ${JSON.stringify(emailOrId)}`);
  return user;
}

export interface NewUserInput {
  email: string;
  password: string;
  name?: string;
  isAdmin?: boolean;
}

export async function createUser(ctx: ManageContext, input: NewUserInput): Promise<UserRecord> {
  const email = checkEmail(input.email);
  const name = checkName(input.name);
  checkPasswordPolicy(input.password, { email, minLength: ctx.passwordMinLength });
  // Checked before hashing so a duplicate costs no argon2 work; the unique index still decides a race.
  if (await ctx.store.users.findByEmail(email)) throw new ConflictError(`a user with the email ${email} already exists`);
  const user = await ctx.store.users.create(
    { id: randomId(), email, name, passwordHash: await hashPassword(input.password), isAdmin: input.isAdmin ?? false, disabled: false, emailVerified: false },
    ctx.clock.now(),
  );
  await audit(ctx, 'user.created', user.id, { admin: user.isAdmin });
  return user;
}

export async function setPassword(ctx: ManageContext, emailOrId: string, password: string): Promise<UserRecord> {
  const user = await findUser(ctx.store, emailOrId);
  checkPasswordPolicy(password, { email: user.email, minLength: ctx.passwordMinLength });
  const updated = await ctx.store.users.update(user.id, { passwordHash: await hashPassword(password) }, ctx.clock.now());
  if (!updated) throw new NotFoundError(`no user ${JSON.stringify(emailOrId)}`);
  // A new password ends every way in that the old one opened (ASVS V3.3.3).
  await endAccess(ctx, user.id, 'password_set');
  await audit(ctx, 'user.password_set', user.id, {});
  return updated;
}

export async function setDisabled(ctx: ManageContext, emailOrId: string, disabled: boolean): Promise<UserRecord> {
  const user = await findUser(ctx.store, emailOrId);
  const updated = await ctx.store.users.update(user.id, { disabled }, ctx.clock.now());
  if (!updated) throw new NotFoundError(`no user ${JSON.stringify(emailOrId)}`);
  if (disabled) await endAccess(ctx, user.id, 'user_disabled');
  await audit(ctx, disabled ? 'user.disabled' : 'user.enabled', user.id, {});
  return updated;
}

export async function deleteUser(ctx: ManageContext, emailOrId: string): Promise<UserRecord> {
  const user = await findUser(ctx.store, emailOrId);
  // The clients hear of the sessions' end first; the rows then go with the user (ON DELETE CASCADE).
  await ctx.sessionEnd?.endAllForUser(user.id, { reason: 'user_deleted', actor: ctx.actor, keepOffline: false });
  if (!(await ctx.store.users.delete(user.id))) throw new NotFoundError(`no user ${JSON.stringify(emailOrId)}`);
  await audit(ctx, 'user.deleted', user.id, {});
  return user;
}

/** "Sign out everywhere": ends every session and revokes every token of the user, offline grants included. */
export async function signOutEverywhere(ctx: ManageContext, emailOrId: string): Promise<{ user: UserRecord; sessions: number }> {
  const user = await findUser(ctx.store, emailOrId);
  const sessions = (await ctx.store.sessions.listForUser(user.id, ctx.clock.now())).length;
  await endAccess(ctx, user.id, 'admin');
  await audit(ctx, 'user.signed_out_everywhere', user.id, { sessions });
  return { user, sessions };
}

async function endAccess(ctx: ManageContext, userId: string, reason: SessionEndReason): Promise<void> {
  await ctx.sessionEnd?.endAllForUser(userId, { reason, actor: ctx.actor, keepOffline: false });
  const now = ctx.clock.now();
  // Whatever is left (expired sessions, offline grants) goes too.
  await ctx.store.sessions.deleteForUser(userId);
  await ctx.store.codes.revokeForUser(userId, now);
  await ctx.store.refreshTokens.revokeForUser(userId, now);
  await ctx.store.accessTokens.revokeForUser(userId, now);
}

export async function audit(ctx: ManageContext, type: string, subject: string, details: Record<string, unknown>): Promise<void> {
  await ctx.store.audit.append({ at: ctx.clock.now(), type, actor: ctx.actor, subject, ip: ctx.ip ?? null, details });
}
