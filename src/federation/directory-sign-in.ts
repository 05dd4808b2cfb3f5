// A password typed into our own login form, checked by a directory (LDAP) instead of by a local hash (issue 23,
// "Directory (LDAP) people"). Who decides:
// - an account linked to an ENABLED ldap provider: only that directory (its local password is never tried, even
//   one an administrator set); linked only to a DISABLED one: nobody, the sign-in is refused (fail closed);
// - an account with no ldap link: not a directory person (today's local path, unchanged);
// - no account: each enabled directory in name order; the first whose search finds the email decides, and a right
//   password makes or finds the account by the linking rules (src/federation/linking.ts, the email verified: a
//   directory's entries are the organisation's). None finds it: the same failure as an unknown email.
// The throttle gate's hashing slot (one verification of the dummy hash) is taken before any bind, so a throttled
// guess never reaches the directory, and a directory person's sign-in costs and is counted as a password's.
// A directory that is down, slow or refuses the service account makes its people's sign-in unavailable, never
// a fallback to something else.
import type { Request } from 'express';
import { MAX_CREDENTIAL_BYTES, takeHashingSlot } from '../auth/authenticate.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { ThrottleGate } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import { DirectoryUnavailable, UpstreamSignInFailed } from '../errors.js';
import type { DirectoryFailure } from '../interaction/sign-in-audit.js';
import type { IdentityProviderRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { DirectoryCheck, DirectoryEntry, Federation, UpstreamIdentity } from './federation.js';
import { resolveAccount } from './linking.js';

export interface DirectorySignInDependencies {
  store: Store;
  clock: Clock;
  federation: Federation;
  secretBox: () => Promise<SecretBox>;
}

export type DirectoryAttempt =
  /** Not a directory person: the local password decides, as before directories existed. */
  | { outcome: 'local' }
  | { outcome: 'signed_in'; user: UserRecord; provider: IdentityProviderRecord }
  /** The generic failure; `reason` and `provider` for the audit log only. Not yet counted on the gate. */
  | { outcome: 'refused'; reason: DirectoryFailure; userId: string | null; provider: string | null }
  /** The gate refused it once its turn to hash came (gate.refusal says until when). */
  | { outcome: 'throttled' }
  /** The directory did not answer: `message` for the form (503). */
  | { outcome: 'unavailable'; provider: IdentityProviderRecord; userId: string | null; message: string };

/** What the person reads when their directory is down: its name, and that it is not their fault. */
export function unavailableMessage(provider: Pick<IdentityProviderRecord, 'name'>): string {
  return `The directory ${provider.name} is not answering. Try again later.`;
}

/** A directory's entry as the linking rules read an upstream identity. */
function identityOf(entry: DirectoryEntry): UpstreamIdentity {
  return { subject: entry.subject, email: entry.email, emailVerified: true, name: entry.name, groups: entry.groups, attributes: {}, amr: [] };
}

/** The directory's check of the email and password; null when the directory did not answer (or could not be reached). */
async function check(deps: DirectorySignInDependencies, req: Request, provider: IdentityProviderRecord, email: string, password: string): Promise<DirectoryCheck | null> {
  try {
    const directory = await deps.federation.directories.directoryFor(provider);
    return await directory.authenticate(email, password);
  } catch (error) {
    // Down, too slow, refusing the service account: expected, and said so. Anything else (a setting it cannot
    // read, a secret it cannot open) is the operator's to fix: logged as an error. Either way, fail closed.
    if (error instanceof DirectoryUnavailable) req.log.warn({ provider: provider.slug, err: error }, 'directory unavailable');
    else req.log.error({ provider: provider.slug, err: error }, 'directory check failed');
    return null;
  }
}

/** The ldap provider that decides for the account: an enabled one, or the slug of a disabled one (nobody decides). */
async function directoryOf(deps: DirectorySignInDependencies, user: UserRecord): Promise<{ enabled: IdentityProviderRecord } | { disabled: string } | null> {
  const keeper = await passwordKeeper(deps.store, user);
  if (!keeper) return null;
  return keeper.enabled ? { enabled: keeper } : { disabled: keeper.slug };
}

/** A directory found the person and the password is right: their account by the linking rules, synced. */
async function account(deps: DirectorySignInDependencies, req: Request, provider: IdentityProviderRecord, entry: DirectoryEntry, expected: UserRecord | null): Promise<DirectoryAttempt> {
  if (expected?.disabled) return { outcome: 'refused', reason: 'account_disabled', userId: expected.id, provider: provider.slug };
  try {
    const resolved = await resolveAccount({ ...deps, logger: req.log }, provider, identityOf(entry), null, 'directory');
    // A directory sign-in has no second visit: resolveAccount never asks for proof without a browser.
    if (resolved.kind !== 'signed_in') return { outcome: 'refused', reason: 'account_refused', userId: resolved.user.id, provider: provider.slug };
    // The entry found for this account's email is linked to another account (or to none): not this person's.
    if (expected && resolved.user.id !== expected.id) return { outcome: 'refused', reason: 'account_refused', userId: expected.id, provider: provider.slug };
    return { outcome: 'signed_in', user: resolved.user, provider };
  } catch (error) {
    if (!(error instanceof UpstreamSignInFailed)) throw error;
    req.log.info({ provider: provider.slug, why: error.detail ?? error.message }, 'directory sign-in refused by the linking rules');
    return { outcome: 'refused', reason: error.detail === 'the account is disabled' ? 'account_disabled' : 'account_refused', userId: expected?.id ?? null, provider: provider.slug };
  }
}

/** One directory's answer, as an attempt. */
async function decide(deps: DirectorySignInDependencies, req: Request, provider: IdentityProviderRecord, result: DirectoryCheck, expected: UserRecord | null): Promise<DirectoryAttempt> {
  if (result.outcome === 'not_found') return { outcome: 'refused', reason: 'unknown_account', userId: expected?.id ?? null, provider: provider.slug };
  if (result.outcome === 'refused') {
    const linked = expected ?? (await deps.store.federatedIdentities.find(provider.slug, result.entry.subject).then((link) => (link ? { id: link.userId } : null)));
    return { outcome: 'refused', reason: result.reason === 'locked' ? 'account_locked' : 'wrong_password', userId: linked?.id ?? null, provider: provider.slug };
  }
  return account(deps, req, provider, result.entry, expected);
}

/**
 * Checks `email` and `password` against the directory that decides for them, if any. `localUser`: the account of
 * that email (null when none). Counts nothing on the gate and audits nothing: the caller (sign-in-attempt.ts)
 * does both for every outcome, as it does for a local password.
 */
export async function directorySignIn(
  deps: DirectorySignInDependencies,
  req: Request,
  email: string,
  password: string,
  gate: ThrottleGate,
  localUser: UserRecord | null,
): Promise<DirectoryAttempt> {
  // Input too long or blank: refused on the local path before any hashing, as always.
  if (Buffer.byteLength(email) > MAX_CREDENTIAL_BYTES || Buffer.byteLength(password) > MAX_CREDENTIAL_BYTES || !email.trim()) return { outcome: 'local' };
  if (localUser) {
    const linked = await directoryOf(deps, localUser);
    if (linked === null) return { outcome: 'local' };
    if (!(await takeHashingSlot(password, gate))) return { outcome: 'throttled' };
    if ('disabled' in linked) return { outcome: 'refused', reason: 'provider_disabled', userId: localUser.id, provider: linked.disabled };
    const provider = linked.enabled;
    const result = await check(deps, req, provider, localUser.email, password);
    if (!result) return { outcome: 'unavailable', provider, userId: localUser.id, message: unavailableMessage(provider) };
    return decide(deps, req, provider, result, localUser);
  }
  const directories = (await deps.store.identityProviders.list()).filter((provider) => provider.kind === 'ldap' && provider.enabled);
  if (directories.length === 0) return { outcome: 'local' };
  if (!(await takeHashingSlot(password, gate))) return { outcome: 'throttled' };
  // In name order (IdentityProviderRepository.list): the first directory that knows the email decides.
  for (const provider of directories) {
    const result = await check(deps, req, provider, email.trim(), password);
    if (!result) return { outcome: 'unavailable', provider, userId: null, message: unavailableMessage(provider) };
    if (result.outcome !== 'not_found') return decide(deps, req, provider, result, null);
  }
  return { outcome: 'refused', reason: 'unknown_account', userId: null, provider: null };
}

/**
 * The directory that keeps this person's password, if any: the ldap provider their account is linked to (an enabled
 * one first). Its people get no reset link and set no local password (forgot-password.ts, reset-password.ts, the
 * account page): their password is the directory's, and a local one would never be used. A disabled directory
 * still counts: its people cannot sign in with a local password either (fail closed).
 */
export async function passwordKeeper(store: Store, user: Pick<UserRecord, 'id'>): Promise<IdentityProviderRecord | null> {
  let keeper: IdentityProviderRecord | null = null;
  for (const link of await store.federatedIdentities.listForUser(user.id)) {
    const provider = await store.identityProviders.findBySlug(link.providerSlug);
    if (provider?.kind !== 'ldap') continue;
    if (provider.enabled) return provider;
    keeper ??= provider;
  }
  return keeper;
}
