// The upstream identities linked to an account (issue 23): how a person can sign in, and unlinking one, which the
// person themselves may do only while another way in remains (the account page), an administrator always (the admin
// user page, `idp user unlink`): they can set a password or send a reset link. Re-exported by providers.ts.
import { NotFoundError, ValidationError } from '../errors.js';
import type { FederatedIdentityRecord, IdentityProviderRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { audit, type ManageContext } from './users.js';

export interface SignInMethods {
  /** A password that signs in: set (hasPassword), and not superseded by a link to an enabled LDAP directory. */
  password: boolean;
  passkeys: number;
  identities: FederatedIdentityRecord[];
}

/** The enabled providers among these slugs. */
async function enabledProviders(store: Store, slugs: readonly string[]): Promise<IdentityProviderRecord[]> {
  const found = await Promise.all(slugs.map((slug) => store.identityProviders.findBySlug(slug)));
  return found.filter((provider): provider is IdentityProviderRecord => provider !== null && provider.enabled);
}

/** How a person can sign in; the account pages list it, unlinkIdentity keeps at least one. */
export async function signInMethods(store: Store, user: UserRecord): Promise<SignInMethods> {
  const [identities, passkeys] = await Promise.all([store.federatedIdentities.listForUser(user.id), store.passkeys.listForUser(user.id)]);
  const enabled = await enabledProviders(
    store,
    identities.map((identity) => identity.providerSlug),
  );
  // A person linked to an enabled directory signs in with its password: the local one is never tried.
  return { password: user.hasPassword && !enabled.some((provider) => provider.kind === 'ldap'), passkeys: passkeys.length, identities };
}

export const LAST_WAY_TO_SIGN_IN = 'This is the last way you can sign in to your account: set a password or add a passkey before removing it.';

/**
 * Removes the account's identity of provider `slug`, audited `identity.unlinked` (actor: the person or the admin).
 * `byOwner`: the person themselves, who may not remove the last way they can sign in: what remains must be a usable
 * password (set, and no other link to an enabled directory), a passkey, or another identity of an enabled provider.
 * An administrator may (they can set a password or send a reset link).
 */
export async function unlinkIdentity(ctx: ManageContext, userId: string, slug: string, options: { byOwner: boolean }): Promise<FederatedIdentityRecord> {
  const user = await ctx.store.users.findById(userId);
  if (!user) throw new NotFoundError(`no user ${JSON.stringify(userId)}`);
  const identity = await ctx.store.federatedIdentities.findForUser(user.id, slug);
  if (!identity) throw new NotFoundError(`the account is not linked to ${JSON.stringify(slug)}`);
  if (options.byOwner) {
    const others = (await ctx.store.federatedIdentities.listForUser(user.id)).filter((other) => other.providerSlug !== slug);
    const remaining = await enabledProviders(
      ctx.store,
      others.map((other) => other.providerSlug),
    );
    const password = user.hasPassword && !remaining.some((provider) => provider.kind === 'ldap');
    const passkeys = (await ctx.store.passkeys.listForUser(user.id)).length;
    if (!password && passkeys === 0 && remaining.length === 0) throw new ValidationError('identity', LAST_WAY_TO_SIGN_IN);
  }
  if (!(await ctx.store.federatedIdentities.unlink(user.id, slug))) throw new NotFoundError(`the account is not linked to ${JSON.stringify(slug)}`);
  await audit(ctx, 'identity.unlinked', user.id, { provider: slug });
  return identity;
}
