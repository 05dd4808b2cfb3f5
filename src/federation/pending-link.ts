// The 'link' federation state (issue 23, "Accounts" (4)): an upstream identity whose email is an existing account's,
// from a provider not authoritative for that email, waits here (sealed, bound to this browser and to that account)
// until the account's owner signs in to it in the same browser; linking.ts completePendingLink then links it. The
// value is sealed by the secret box with associated data naming the row (federation-state.ts federationStateAad),
// so the upstream's claims never sit in the store in clear and a value copied into another row fails to open.
import type { Request } from 'express';
import type { SecretBox } from '../auth/secret-box.js';
import { hashSecret, randomSecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { IdentityProviderRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { federationStateAad } from './federation-state.js';
import type { UpstreamIdentity } from './federation.js';

/** What writing and reading a 'link' state needs (linking.ts LinkingDependencies has it all). */
export interface PendingLinkDependencies {
  store: Store;
  clock: Clock;
  secretBox: () => Promise<SecretBox>;
}

/** Long enough to remember the account's password and pass its second factor; short enough to go stale on a shared computer. */
export const LINK_STATE_LIFETIME_MS = 10 * 60 * 1000;

/** The 'link' state's sealed value: the upstream identity waiting to be linked, as the upstream gave it. */
export type PendingLink = UpstreamIdentity;

/** Writes the 'link' state: the identity waits, sealed and bound to this browser and to the account, for proof of ownership. */
export async function savePendingLink(deps: PendingLinkDependencies, provider: IdentityProviderRecord, identity: UpstreamIdentity, user: UserRecord, browser: string): Promise<void> {
  const idHash = hashSecret(randomSecret());
  // The identity's fields by name: whatever else an identity object may carry is not sealed into the state.
  const pending: PendingLink = {
    subject: identity.subject,
    email: identity.email,
    emailVerified: identity.emailVerified,
    name: identity.name,
    groups: identity.groups,
    attributes: identity.attributes,
    amr: identity.amr,
  };
  const value = (await deps.secretBox()).seal(JSON.stringify(pending), federationStateAad(idHash));
  const now = deps.clock.now();
  await deps.store.federationStates.create({
    idHash,
    kind: 'link',
    providerSlug: provider.slug,
    browserHash: hashSecret(browser),
    userId: user.id,
    value,
    createdAt: now,
    expiresAt: now + LINK_STATE_LIFETIME_MS,
  });
}

/** The string values of a JSON object (own properties), nothing else. */
function stringsOf(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function readPending(text: string): PendingLink | null {
  try {
    const value = JSON.parse(text) as Partial<PendingLink>;
    if (typeof value.subject !== 'string' || !value.subject) return null;
    return {
      subject: value.subject,
      email: typeof value.email === 'string' ? value.email : null,
      emailVerified: value.emailVerified === true,
      name: typeof value.name === 'string' ? value.name : null,
      groups: Array.isArray(value.groups) ? value.groups.filter((group): group is string => typeof group === 'string') : [],
      attributes: stringsOf(value.attributes),
      amr: Array.isArray(value.amr) ? value.amr.filter((amr): amr is string => typeof amr === 'string') : [],
    };
  } catch {
    return null;
  }
}

/**
 * Consumes the live 'link' state of this browser and this account (single use: of two tabs, one wins) and opens it:
 * the identity waiting and its provider. Null when nothing waits, or what waits cannot be used (a provider since
 * disabled or deleted, a value that does not open or read): dropped, logged.
 */
export async function takePendingLink(
  deps: PendingLinkDependencies,
  browser: string,
  user: UserRecord,
  req: Request,
  now: number,
): Promise<{ provider: IdentityProviderRecord; pending: PendingLink } | null> {
  const live = await deps.store.federationStates.findLiveLink(hashSecret(browser), user.id, now);
  if (!live || live.userId !== user.id) return null;
  const state = await deps.store.federationStates.consume(live.idHash, 'link', now);
  // Another tab of this browser used it first.
  if (!state || state.userId !== user.id) return null;
  const provider = await deps.store.identityProviders.findBySlug(state.providerSlug);
  if (!provider || !provider.enabled) {
    req.log.info({ provider: state.providerSlug }, 'pending link dropped: the provider is gone or disabled');
    return null;
  }
  let pending: PendingLink | null;
  try {
    pending = readPending((await deps.secretBox()).open(state.value, federationStateAad(state.idHash)));
  } catch (error) {
    req.log.warn({ err: error, provider: provider.slug }, 'pending link dropped: its value does not open');
    return null;
  }
  if (!pending) {
    req.log.warn({ provider: provider.slug }, 'pending link dropped: its value is not readable');
    return null;
  }
  return { provider, pending };
}
