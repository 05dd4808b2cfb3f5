// The upstream providers a browser can sign in with (issue 23): enabled OpenID Connect and OAuth 2 providers, not
// directories (an LDAP directory checks the password typed into our own form). Their URLs are ours and fixed per
// provider: `/federation/<slug>/start` begins a sign-in there, `/federation/<slug>/callback` is the one redirect URI
// the upstream knows (registered there by the operator, matched exactly: RFC 9700 §4.1.3).
import type { LoginStateTarget } from '../federation/federation-state.js';
import type { Translate } from '../i18n/catalog.js';
import { routes } from '../http/routes.js';
import type { IdentityProviderRecord, ProviderKind } from '../store/records.js';
import type { Store } from '../store/store.js';

/** The kinds signed in with through the browser (a redirect there and a code back). */
const BROWSER_KINDS: readonly ProviderKind[] = ['oidc', 'oauth2'];

/** The slug rule (src/manage/providers.ts): anything else names no provider, and is not looked up. */
const SLUG = /^[a-z0-9][a-z0-9-]{0,39}$/;

function signsInThroughBrowser(provider: IdentityProviderRecord): boolean {
  return provider.enabled && BROWSER_KINDS.includes(provider.kind);
}

/** The enabled OpenID Connect or OAuth 2 provider `slug`, else null (unknown, disabled, or a directory). */
export async function browserProvider(store: Store, slug: unknown): Promise<IdentityProviderRecord | null> {
  if (typeof slug !== 'string' || !SLUG.test(slug)) return null;
  const provider = await store.identityProviders.findBySlug(slug);
  return provider && signsInThroughBrowser(provider) ? provider : null;
}

/** Where a sign-in with the provider starts, continuing the pending request or returning to one of our pages. */
export function federationStartUrl(basePath: string, slug: string, target: LoginStateTarget): string {
  return `${basePath}${routes.federation}/${slug}/start?${new URLSearchParams(target).toString()}`;
}

/** The provider's redirect URI: under the issuer, never derived from a request's Host header. */
export function federationCallbackUri(issuer: string, slug: string): string {
  return `${issuer.replace(/\/+$/, '')}${routes.federation}/${slug}/callback`;
}

/** A login page button: a link whose text names the provider. */
export interface ProviderButton {
  slug: string;
  label: string;
  href: string;
  /** Only an https icon: the page's CSP widens img-src by exactly these origins (imagePolicy), and by nothing else. */
  iconUrl: string | null;
}

/**
 * The buttons of the enabled browser providers, in name order (the store's). A label the operator wrote is shown as
 * written; the default one, "Continue with <name>", in the page's language (`t`, issue 25).
 */
export async function providerButtons(store: Store, basePath: string, target: LoginStateTarget, t: Translate): Promise<ProviderButton[]> {
  const providers = (await store.identityProviders.list()).filter(signsInThroughBrowser);
  return providers.map((provider) => ({
    slug: provider.slug,
    label: provider.buttonLabel ?? t('federation.continueWith', { provider: provider.name }),
    href: federationStartUrl(basePath, provider.slug, target),
    iconUrl: provider.iconUrl?.startsWith('https://') ? provider.iconUrl : null,
  }));
}
