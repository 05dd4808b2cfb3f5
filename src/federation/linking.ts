// From an upstream identity to a Gatehouse account (issue 23, "Accounts"): an identity linked already signs in
// to its account; an unknown one with an email becomes an account just in time (when the provider may create
// them) or is linked to the existing account of that email, but only where the provider is authoritative for the
// email's domain. Anywhere else the person proves they own the existing account by signing in to it once in the
// same browser (the 'link' federation state of pending-link.ts, then completePendingLink): an upstream that merely
// asserts an email (unverified, or for a domain it does not own) never takes over someone's account (the classic
// account pre-hijacking and "nOAuth" attacks). A disabled account never signs in, whatever the upstream says.
// Refusals throw UpstreamSignInFailed (403) with the page's message and write nothing; the caller audits them.
import type { Request } from 'express';
import { hashPassword } from '../auth/password-hash.js';
import { randomId, randomSecret } from '../auth/secrets.js';
import { ConflictError, UpstreamSignInFailed, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import { checkEmail } from '../manage/users.js';
import type { IdentityProviderRecord, UserRecord } from '../store/records.js';
import type { UpstreamIdentity } from './federation.js';
import { savePendingLink, takePendingLink, type PendingLinkDependencies } from './pending-link.js';
import { accountName, syncProfile } from './profile-sync.js';

export { LINK_STATE_LIFETIME_MS } from './pending-link.js';

export interface LinkingDependencies extends PendingLinkDependencies {
  /** Where ignored upstream values (an unknown attribute, an unreadable value) are noted; none: not noted. */
  logger?: Pick<Logger, 'info' | 'warn'>;
}

export type AccountResolution =
  /** `linked`: the identity was linked by this sign-in (just in time, or by a verified email). Profile synced, link touched. */
  | { kind: 'signed_in'; user: UserRecord; linked: boolean }
  /** An account of that email exists: a 'link' state now waits, bound to the browser, for its owner to sign in to it. */
  | { kind: 'prove_ownership'; user: UserRecord };

/** How a link came to be (`identity.linked` details.via). */
export type LinkVia = 'jit' | 'verified_email' | 'proven' | 'directory';

/**
 * The sign-in's `amr` (RFC 8176): `fed`, plus the upstream's own second factor only where the provider is trusted
 * for it (provider.trustMfa) and says it had one (`mfa`, or `hwk`: a hardware key is a second factor of its own).
 */
export function upstreamFactors(provider: Pick<IdentityProviderRecord, 'trustMfa'>, identity: Pick<UpstreamIdentity, 'amr'>): string[] {
  const factors = ['fed'];
  const hwk = identity.amr.includes('hwk');
  if (provider.trustMfa && (hwk || identity.amr.includes('mfa'))) {
    if (hwk) factors.push('hwk');
    factors.push('mfa');
  }
  return factors;
}

/** The email's domain, lower-cased (the part after the last `@`); null when there is none. */
export function domainOf(email: string): string | null {
  const at = email.lastIndexOf('@');
  const domain =
    at < 0
      ? ''
      : email
          .slice(at + 1)
          .trim()
          .toLowerCase();
  return domain || null;
}

/**
 * Exact match against the provider's allowed domains: `evil-example.org` is not `example.org`, and neither is
 * `mail.example.org` unless listed itself. An empty list allows every domain.
 */
function domainAllowed(provider: IdentityProviderRecord, domain: string | null): boolean {
  if (provider.allowedDomains.length === 0) return true;
  return domain !== null && provider.allowedDomains.some((allowed) => allowed.toLowerCase() === domain);
}

/** The provider is authoritative for the email: it verified it, is trusted to, and owns the domain (listed explicitly). */
function authoritative(provider: IdentityProviderRecord, identity: UpstreamIdentity, domain: string | null): boolean {
  return provider.trustEmail && identity.emailVerified && provider.allowedDomains.length > 0 && domainAllowed(provider, domain);
}

/** The address as an account would store it (src/manage/users.ts checkEmail); null when it is not one. */
function validEmail(email: string): string | null {
  try {
    return checkEmail(email);
  } catch (error) {
    if (error instanceof ValidationError) return null;
    throw error;
  }
}

function refused(message: string, detail?: string): UpstreamSignInFailed {
  return new UpstreamSignInFailed(message, detail, 403);
}

function disabledAccount(): UpstreamSignInFailed {
  return refused('This account is disabled. Ask your administrator.', 'the account is disabled').shown('federation.account.disabled');
}

async function auditLinked(deps: LinkingDependencies, provider: IdentityProviderRecord, user: UserRecord, via: LinkVia, ip: string | null): Promise<void> {
  await deps.store.audit.append({ at: deps.clock.now(), type: 'identity.linked', actor: user.id, subject: user.id, ip, details: { provider: provider.slug, via } });
}

/** The account of the linked identity, synced and touched; refused when it is disabled. */
async function signInLinked(deps: LinkingDependencies, provider: IdentityProviderRecord, identity: UpstreamIdentity, userId: string, linked: boolean): Promise<AccountResolution> {
  const user = await deps.store.users.findById(userId);
  // ON DELETE CASCADE removes links with their account: a link to nobody cannot be read, but say so plainly if it is.
  if (!user) throw refused('This account no longer exists. Ask your administrator.', `linked user ${userId} is gone`).shown('federation.account.gone');
  if (user.disabled) throw disabledAccount();
  const synced = await syncProfile(deps, provider, user, identity);
  await deps.store.federatedIdentities.touch(provider.slug, identity.subject, identity.email, deps.clock.now());
  return { kind: 'signed_in', user: synced, linked };
}

/**
 * Waits briefly for a concurrent first sign-in of the same identity to link the account it just created (its
 * creation beat ours by the email's unique index). Real time, not the clock: it is about another request's progress.
 */
async function linkOfRacer(deps: LinkingDependencies, provider: IdentityProviderRecord, subject: string): Promise<string | null> {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const link = await deps.store.federatedIdentities.find(provider.slug, subject);
    if (link) return link.userId;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return null;
}

/** Just in time: a new account with no usable password (a hash of a random secret), linked. */
async function createLinkedAccount(deps: LinkingDependencies, provider: IdentityProviderRecord, identity: UpstreamIdentity, email: string): Promise<AccountResolution | null> {
  const passwordHash = await hashPassword(randomSecret());
  const now = deps.clock.now();
  let user: UserRecord;
  try {
    user = await deps.store.users.create(
      { id: randomId(), email, name: accountName(identity.name), passwordHash, hasPassword: false, isAdmin: false, disabled: false, emailVerified: identity.emailVerified },
      now,
    );
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // Two first sign-ins at once: the other created the account and is linking it. Once it has, this one signs in
    // to the same account; otherwise (an account of this email made some other way) the rules start again.
    const userId = await linkOfRacer(deps, provider, identity.subject);
    return userId ? signInLinked(deps, provider, identity, userId, false) : null;
  }
  try {
    await deps.store.federatedIdentities.link({ providerSlug: provider.slug, subject: identity.subject, userId: user.id, email: identity.email, createdAt: now });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // The identity was linked to another account meanwhile: the account made for it here is nobody's; it goes.
    await deps.store.users.delete(user.id);
    const link = await deps.store.federatedIdentities.find(provider.slug, identity.subject);
    if (!link) throw error;
    return signInLinked(deps, provider, identity, link.userId, false);
  }
  await auditLinked(deps, provider, user, 'jit', null);
  return signInLinked(deps, provider, identity, user.id, true);
}

/** Links the identity to an existing account without asking (the provider is authoritative for its email). */
async function linkExisting(deps: LinkingDependencies, provider: IdentityProviderRecord, identity: UpstreamIdentity, user: UserRecord, via: LinkVia): Promise<AccountResolution> {
  if (await deps.store.federatedIdentities.findForUser(user.id, provider.slug)) {
    // The account has another identity of this provider: one per provider and account (the store's unique index).
    throw refused(`An account with this email is linked to another ${provider.name} identity already.`, 'account already linked to this provider').shown('federation.account.linkedElsewhere', {
      provider: provider.name,
    });
  }
  try {
    await deps.store.federatedIdentities.link({ providerSlug: provider.slug, subject: identity.subject, userId: user.id, email: identity.email, createdAt: deps.clock.now() });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    // A concurrent sign-in of the same identity linked it: whoever won, the link now decides.
    const link = await deps.store.federatedIdentities.find(provider.slug, identity.subject);
    if (!link)
      throw refused(`An account with this email is linked to another ${provider.name} identity already.`, 'link conflict').shown('federation.account.linkedElsewhere', {
        provider: provider.name,
      });
    return signInLinked(deps, provider, identity, link.userId, false);
  }
  await auditLinked(deps, provider, user, via, null);
  return signInLinked(deps, provider, identity, user.id, true);
}

/**
 * The account an upstream identity signs in to, by the rules of the design ("Accounts"). `browser` is this
 * browser's cookie (the 'link' state is bound to it); null for a directory sign-in, which has no second visit.
 * `via` 'directory': the identity comes from a directory's password check (its emails are the organisation's).
 */
export async function resolveAccount(
  deps: LinkingDependencies,
  provider: IdentityProviderRecord,
  identity: UpstreamIdentity,
  browser: string | null,
  via: 'browser' | 'directory',
): Promise<AccountResolution> {
  // The callers only offer enabled providers; a row disabled meanwhile signs nobody in (fail closed).
  if (!provider.enabled)
    throw refused(`Signing in with ${provider.name} is turned off. Ask your administrator.`, 'provider disabled').shown('federation.account.providerOff', { provider: provider.name });
  for (let round = 0; round < 2; round += 1) {
    // (1) Linked already: that account, whatever the email says now.
    const link = await deps.store.federatedIdentities.find(provider.slug, identity.subject);
    if (link) return signInLinked(deps, provider, identity, link.userId, false);

    // (2) An email is what an account is found or made by; its domain must be one the provider may speak for.
    const given = identity.email?.trim() ?? '';
    if (!given) throw refused(`${provider.name} did not give an email address.`, 'no email').shown('federation.account.noEmail', { provider: provider.name });
    const email = validEmail(given);
    if (!email) throw refused(`${provider.name} gave an email address that is not valid here.`, 'invalid email').shown('federation.account.invalidEmail', { provider: provider.name });
    const domain = domainOf(email);
    if (!domainAllowed(provider, domain))
      throw refused(`Accounts from ${domain ?? 'that address'} cannot sign in with ${provider.name}.`, 'domain not allowed').shown('federation.account.domainRefused', {
        domain: domain ?? '—',
        provider: provider.name,
      });

    const existing = await deps.store.users.findByEmail(email);
    if (!existing) {
      // (3) No account: made just in time, if the provider may.
      if (!provider.jit) throw refused(`You have no account here yet. Ask your administrator.`, 'no account and provider.jit is off').shown('federation.account.noAccount');
      const made = await createLinkedAccount(deps, provider, identity, email);
      if (made) return made;
      continue; // An account of this email appeared meanwhile (not from this identity): apply the rules to it.
    }

    // (4) An account of that email exists.
    if (existing.disabled) throw disabledAccount();
    // Only to an account whose own address is verified: an account made earlier by someone else under that address
    // (a just-in-time account from a provider that never verified it, an administrator's unconfirmed entry) waits
    // for proof like any other, so the real owner's provider never signs them in to an account a stranger holds
    // a way into (the "pre-hijacked account" class).
    if (existing.emailVerified && authoritative(provider, identity, domain)) return linkExisting(deps, provider, identity, existing, via === 'directory' ? 'directory' : 'verified_email');
    if (browser === null) {
      throw refused(`An account with this email already exists. Ask your administrator to link it to ${provider.name}.`, 'existing account, no browser to prove ownership in').shown(
        'federation.account.exists',
        { provider: provider.name },
      );
    }
    // The identity waits (the 'link' state) for the account's owner to sign in to it in this browser.
    await savePendingLink(deps, provider, identity, existing, browser);
    return { kind: 'prove_ownership', user: existing };
  }
  throw refused(`Signing in with ${provider.name} did not complete. Try again.`, 'account resolution raced twice').shown('federation.account.raced', { provider: provider.name });
}

/**
 * The sign-in step `link` (src/interaction/link-step.ts): `user` just signed in to their own account in this browser,
 * so an identity waiting (a 'link' state bound to this browser and this account) is linked now (via 'proven').
 * True when one was linked. Nothing waiting, a state of another browser or account, a provider since disabled or
 * deleted, or an identity linked elsewhere meanwhile: nothing linked (logged), and the sign-in goes on.
 */
export async function completePendingLink(deps: LinkingDependencies, browser: string, user: UserRecord, req: Request): Promise<boolean> {
  const now = deps.clock.now();
  const taken = await takePendingLink(deps, browser, user, req, now);
  if (!taken) return false;
  const { provider, pending } = taken;
  try {
    await deps.store.federatedIdentities.link({ providerSlug: provider.slug, subject: pending.subject, userId: user.id, email: pending.email, createdAt: now });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    req.log.info({ provider: provider.slug }, 'pending link not made: the identity or the account is linked already');
    return false;
  }
  await auditLinked(deps, provider, user, 'proven', req.ip ?? null);
  await syncProfile(deps, provider, user, pending);
  await deps.store.federatedIdentities.touch(provider.slug, pending.subject, pending.email, now);
  return true;
}
