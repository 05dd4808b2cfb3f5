// Managing people's accounts: the rules shared by the `idp` tool and the admin screens (src/admin/user-*.ts).
// Every change is validated before anything is written, and recorded in the audit log.
import { refuseBreached, type BreachedPasswords } from '../auth/breached-passwords.js';
import { z } from 'zod';
import { hashPassword } from '../auth/password-hash.js';
import { checkPasswordPolicy } from '../auth/password-policy.js';
import { mailSecondFactorChanged, mailVerification, type AccountMailDependencies } from '../auth/account-links.js';
import { randomId } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { SessionEndReason, SessionTerminator } from '../logout/session-end.js';
import { ConflictError, NotFoundError, PreconditionFailed, ValidationError } from '../errors.js';
import type { SessionRecord, UserPatch, UserRecord } from '../store/records.js';
import { revokeAdminTokensOf } from './admin-tokens.js';
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
  /** Mails links (a new account's verification); without it no mail is sent. */
  mail?: AccountMailDependencies;
  /** BREACHED_PASSWORDS_FILE, opened: a new password found in it is refused. */
  breachedPasswords?: BreachedPasswords | null;
}

/**
 * Where a password is set: the issuer's host is one of the words it must not be built from (src/auth/password-
 * policy.ts). The admin screens and the `idp` tool pass their configuration; without it only that word is missed.
 */
export type PasswordSettingContext = ManageContext & { config?: Pick<Config, 'issuer' | 'brand'> };

const emailSchema = z.email().max(254);
const MAX_NAME_LENGTH = 200;

export function checkEmail(email: string): string {
  const trimmed = email.trim();
  if (!emailSchema.safeParse(trimmed).success) throw new ValidationError('email', `${JSON.stringify(email)} is not a valid email address`);
  return trimmed;
}

export function checkName(name: string | undefined): string | null {
  if (name === undefined) return null;
  const trimmed = name.trim();
  if (trimmed.length > MAX_NAME_LENGTH)
    throw new ValidationError('name', `the name must be at most ${MAX_NAME_LENGTH} characters long`).shown('account.errors.nameTooLong', { max: MAX_NAME_LENGTH });
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ValidationError('name', 'the name must not contain control characters').shown('account.errors.nameControl');
  return trimmed || null;
}

/**
 * Issue 26 (the management API's If-Match): the version the caller read. With it, a change is made only while the
 * record is still at that version (one conditional write), else PreconditionFailed and nothing written.
 */
export interface VersionCondition {
  expectedVersion?: number;
}

/** The store's condition for a write under `condition`. */
export const onlyIfVersion = (condition: VersionCondition) => (condition.expectedVersion === undefined ? undefined : { onlyIfVersion: condition.expectedVersion });

function staleUser(user: UserRecord): PreconditionFailed {
  return new PreconditionFailed(`the user ${user.email} has changed since it was read: read it again`);
}

/** PreconditionFailed when the user is not at the version the caller read. */
function checkVersion(user: UserRecord, condition: VersionCondition): void {
  if (condition.expectedVersion !== undefined && user.version !== condition.expectedVersion) throw staleUser(user);
}

/** Why a conditional write of user `id` wrote nothing: another change came first (412), or the user is gone (404). */
async function notWritten(store: Store, id: string, emailOrId: string): Promise<Error> {
  const now = await store.users.findById(id);
  return now ? staleUser(now) : new NotFoundError(`no user ${JSON.stringify(emailOrId)}`);
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

export async function createUser(ctx: PasswordSettingContext, input: NewUserInput): Promise<UserRecord> {
  const email = checkEmail(input.email);
  const name = checkName(input.name);
  checkPasswordPolicy(input.password, { email, name, minLength: ctx.passwordMinLength, issuer: ctx.config?.issuer, serviceName: ctx.config?.brand.name });
  await refuseBreached(ctx.breachedPasswords, input.password);
  // Checked before hashing so a duplicate costs no argon2 work; the unique index still decides a race.
  if (await ctx.store.users.findByEmail(email)) throw new ConflictError(`a user with the email ${email} already exists`);
  const user = await ctx.store.users.create(
    { id: randomId(), email, name, passwordHash: await hashPassword(input.password), isAdmin: input.isAdmin ?? false, disabled: false, emailVerified: false },
    ctx.clock.now(),
  );
  await audit(ctx, 'user.created', user.id, { admin: user.isAdmin });
  if (ctx.mail) {
    // The account exists either way: a mail that cannot be sent now is logged, and its owner can ask again.
    await mailVerification(ctx.mail, user, user.email, false).catch((error: unknown) => ctx.mail?.logger.error({ err: error }, 'mailing the verification link failed'));
  }
  return user;
}

export async function setPassword(ctx: PasswordSettingContext, emailOrId: string, password: string): Promise<UserRecord> {
  const user = await findUser(ctx.store, emailOrId);
  checkPasswordPolicy(password, { email: user.email, name: user.name, minLength: ctx.passwordMinLength, issuer: ctx.config?.issuer, serviceName: ctx.config?.brand.name });
  await refuseBreached(ctx.breachedPasswords, password);
  // The store ends the user's mailed links with the new password (UserRepository.update).
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
  // Issue 26: a personal admin token dies with its administrator's rights (src/manage/admin-tokens.ts).
  if (disabled) await revokeAdminTokensOf(ctx, user.id);
  await audit(ctx, disabled ? 'user.disabled' : 'user.enabled', user.id, {});
  return updated;
}

/**
 * Deletes a user. With `condition.expectedVersion`, the first write (disabling them, or the delete itself for a user
 * already disabled) is made only at that version: once it is made, the deletion goes through.
 */
export async function deleteUser(ctx: ManageContext, emailOrId: string, condition: VersionCondition = {}): Promise<UserRecord> {
  const user = await findUser(ctx.store, emailOrId);
  checkVersion(user, condition);
  // Disabled first: the store refuses it atomically (LastAdminError) before any session is ended when this is
  // the last enabled admin, and nobody can sign in as the user while their sessions end.
  if (!user.disabled && !(await ctx.store.users.update(user.id, { disabled: true }, ctx.clock.now(), onlyIfVersion(condition)))) {
    throw await notWritten(ctx.store, user.id, emailOrId);
  }
  // The clients hear of the sessions' end first; the rows then go with the user (ON DELETE CASCADE).
  await ctx.sessionEnd?.endAllForUser(user.id, { reason: 'user_deleted', actor: ctx.actor, keepOffline: false });
  if (!(await ctx.store.users.delete(user.id, user.disabled ? onlyIfVersion(condition) : undefined))) throw await notWritten(ctx.store, user.id, emailOrId);
  await audit(ctx, 'user.deleted', user.id, {});
  return user;
}

/** What an edit may change; an absent field stays as it is. */
export interface UserChanges {
  email?: string;
  name?: string;
  emailVerified?: boolean;
  isAdmin?: boolean;
  /** Issue 26 (the management API's PATCH): as setDisabled, in the same write as the other changes. */
  disabled?: boolean;
}

/** The message of the one refusal no store rule covers: an administrator demoting themselves. */
export const OWN_ADMIN_ACCESS = 'You cannot remove your own administrator access; ask another administrator.';

/**
 * Edits a user: validated like createUser, only the fields that differ are written. Audits `user.updated` with
 * the changed field names, and `user.admin_granted` / `user.admin_revoked` when the flag moves. Removing the
 * last enabled admin's flag is refused by the store (LastAdminError). Issue 26: `disabled` too (as setDisabled:
 * access ended, `user.disabled` / `user.enabled`), and with `condition.expectedVersion` one conditional write.
 */
export async function updateUser(ctx: ManageContext, emailOrId: string, changes: UserChanges, condition: VersionCondition = {}): Promise<{ user: UserRecord; changed: (keyof UserPatch)[] }> {
  const user = await findUser(ctx.store, emailOrId);
  checkVersion(user, condition);
  const patch: UserPatch = {};
  if (changes.email !== undefined) {
    const email = checkEmail(changes.email);
    if (email !== user.email) patch.email = email;
  }
  if (changes.name !== undefined) {
    const name = checkName(changes.name);
    if (name !== user.name) patch.name = name;
  }
  if (changes.emailVerified !== undefined && changes.emailVerified !== user.emailVerified) patch.emailVerified = changes.emailVerified;
  if (changes.isAdmin !== undefined && changes.isAdmin !== user.isAdmin) {
    // Another administrator must agree to it: an admin locking themselves out by mistake cannot undo it.
    if (!changes.isAdmin && user.id === ctx.actor) throw new ValidationError('admin', OWN_ADMIN_ACCESS);
    patch.isAdmin = changes.isAdmin;
  }
  if (changes.disabled !== undefined && changes.disabled !== user.disabled) patch.disabled = changes.disabled;
  const changed = Object.keys(patch) as (keyof UserPatch)[];
  if (changed.length === 0) return { user, changed };
  // A new address ends every link mailed before it (UserRepository.update): a verification link to a mistyped
  // address, or a reset link to a former one, hands nothing to whoever reads that mailbox (issue 19, F1).
  if (patch.email !== undefined) {
    // A friendly answer for the common case; the unique index still decides a race (ConflictError too).
    const holder = await ctx.store.users.findByEmail(patch.email);
    if (holder && holder.id !== user.id) throw new ConflictError(`a user with the email ${patch.email} already exists`);
  }
  const updated = await ctx.store.users.update(user.id, patch, ctx.clock.now(), onlyIfVersion(condition));
  if (!updated) throw await notWritten(ctx.store, user.id, emailOrId);
  await audit(ctx, 'user.updated', user.id, { fields: changed });
  if (patch.isAdmin !== undefined) await audit(ctx, patch.isAdmin ? 'user.admin_granted' : 'user.admin_revoked', user.id, {});
  // Disabled in an edit (the management API's PATCH): everything setDisabled does after its write.
  if (patch.disabled === true) await endAccess(ctx, user.id, 'user_disabled');
  if (patch.disabled !== undefined) await audit(ctx, patch.disabled ? 'user.disabled' : 'user.enabled', user.id, {});
  // Issue 26: a personal admin token dies with its administrator's rights (src/manage/admin-tokens.ts).
  if (patch.isAdmin === false || patch.disabled === true) await revokeAdminTokensOf(ctx, user.id);
  return { user: updated, changed };
}

/**
 * Ends one of a user's sessions (an administrator's "Revoke"): its clients hear of it by back-channel logout,
 * its tokens are revoked except offline grants, as on logout. A session of someone else is unknown here.
 */
export async function revokeSession(ctx: ManageContext, userId: string, sid: string): Promise<SessionRecord> {
  const now = ctx.clock.now();
  const session = await ctx.store.sessions.findLiveBySid(sid, now);
  if (!session || session.userId !== userId) throw new NotFoundError('This session has ended or belongs to someone else.');
  if (ctx.sessionEnd) {
    await ctx.sessionEnd.end(session, { reason: 'admin', actor: ctx.actor, keepOffline: true });
  } else {
    await ctx.store.sessions.delete(session.idHash);
    await ctx.store.refreshTokens.revokeForSession(session.idHash, now, { keepOffline: true });
    await ctx.store.accessTokens.revokeForSession(session.idHash, now);
  }
  await audit(ctx, 'session.revoked_by_admin', userId, { sid });
  return session;
}

/** "Sign out everywhere": ends every session and revokes every token of the user, offline grants included. */
export async function signOutEverywhere(ctx: ManageContext, emailOrId: string): Promise<{ user: UserRecord; sessions: number }> {
  const user = await findUser(ctx.store, emailOrId);
  const sessions = (await ctx.store.sessions.listForUser(user.id, ctx.clock.now())).length;
  await endAccess(ctx, user.id, 'admin');
  await audit(ctx, 'user.signed_out_everywhere', user.id, { sessions });
  return { user, sessions };
}

/**
 * Removes every second factor of a user (authenticator app, recovery codes, passkeys), for a person who lost
 * them: they sign in with the password again, and set up new ones (or are led to, where policy requires).
 */
export async function resetSecondFactors(ctx: ManageContext, emailOrId: string): Promise<{ user: UserRecord; totp: boolean; recoveryCodes: number; passkeys: number }> {
  const user = await findUser(ctx.store, emailOrId);
  const totp = await ctx.store.totp.remove(user.id);
  const recoveryCodes = await ctx.store.recoveryCodes.removeAll(user.id);
  const passkeys = await ctx.store.passkeys.removeAllForUser(user.id);
  await audit(ctx, 'user.second_factors_reset', user.id, { totp, recovery_codes: recoveryCodes, passkeys });
  if (ctx.mail) {
    // The reset is done either way: a mail that cannot be sent now is logged.
    await mailSecondFactorChanged(ctx.mail, user, 'factors-reset', ctx.ip ?? null).catch((error: unknown) => ctx.mail?.logger.error({ err: error }, 'mailing the second-factor notice failed'));
  }
  return { user, totp, recoveryCodes, passkeys };
}

/**
 * Ends every way in that a user had: sessions (with back-channel logout), unused codes, refresh and access tokens,
 * sign-ins in progress (a password passed, a second factor still owed; a passkey being registered), and device
 * authorizations they approved but the device has not yet spent (RFC 8628: it would otherwise still receive tokens).
 */
export async function endAccess(ctx: ManageContext, userId: string, reason: SessionEndReason): Promise<void> {
  await ctx.sessionEnd?.endAllForUser(userId, { reason, actor: ctx.actor, keepOffline: false });
  const now = ctx.clock.now();
  // Whatever is left (expired sessions, offline grants) goes too.
  await ctx.store.sessions.deleteForUser(userId);
  await ctx.store.signInChallenges.deleteForUser(userId);
  await ctx.store.codes.revokeForUser(userId, now);
  await ctx.store.refreshTokens.revokeForUser(userId, now);
  await ctx.store.accessTokens.revokeForUser(userId, now);
  await ctx.store.deviceCodes.deleteForUser(userId);
}

/** Records an administrative change; `clientId` names the application it concerns, so the log filters by it. */
export async function audit(ctx: ManageContext, type: string, subject: string, details: Record<string, unknown>, clientId: string | null = null): Promise<void> {
  await ctx.store.audit.append({ at: ctx.clock.now(), type, actor: ctx.actor, subject, clientId, ip: ctx.ip ?? null, details });
}
