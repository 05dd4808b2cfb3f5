// The upstream OpenID Connect and OAuth 2 providers' clients (issue 23), one per provider row: its client secret
// opened from the secret box (aad providerSecretAad(slug)), its settings parsed, and the client kept while the
// row is unchanged (keyed by slug and `updatedAt`: an update makes a new client, with a fresh discovery). The
// kind-specific protocol is in oidc-upstream.ts and oauth2-upstream.ts; the claim mapping, the same for both,
// is here.
import type { SecretBox } from '../auth/secret-box.js';
import { UpstreamSignInFailed } from '../errors.js';
import type { IdentityProviderRecord } from '../store/records.js';
import type { UpstreamClient, UpstreamClients, UpstreamIdentity } from './federation.js';
import { createOAuth2Upstream } from './oauth2-upstream.js';
import { createOidcUpstream, stringsOf, type KindClient, type UpstreamAnswer } from './oidc-upstream.js';
import { claimAt, providerSecretAad, settingsOf, type ClaimMapping } from './provider-settings.js';
import { unavailable } from './upstream-fetch.js';

export interface UpstreamClientsOptions {
  /** config.federationTimeoutMs: the bound of each request to an upstream. */
  timeoutMs: number;
  secretBox: () => Promise<SecretBox>;
}

/** A claim's value as text: a string as is (trimmed), a number stringified (GitHub's numeric ids); else null. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/** Group names: an array of strings (others dropped) or one string; else []. */
function groupsOf(value: unknown): string[] {
  if (typeof value === 'string') return value.trim() === '' ? [] : [value.trim()];
  return stringsOf(value)
    .map((group) => group.trim())
    .filter((group) => group !== '');
}

/** The upstream's claims (or user-info JSON) through the provider's mapping. */
export function mapIdentity(name: string, mapping: ClaimMapping, answer: UpstreamAnswer): UpstreamIdentity {
  const rawSubject = claimAt(answer.claims, mapping.subject);
  // As given (a `sub` is compared exactly, OIDC Core §2), a number as its decimal text.
  const subject = typeof rawSubject === 'string' && rawSubject !== '' ? rawSubject : typeof rawSubject === 'number' && Number.isSafeInteger(rawSubject) ? String(rawSubject) : null;
  if (subject === null) {
    throw new UpstreamSignInFailed(`${name} did not say who you are. Ask your administrator to check this provider's settings.`, `no subject at the claim path ${mapping.subject}`, 502).shown(
      'federation.upstream.noSubject',
      { provider: name },
    );
  }
  const email = claimAt(answer.claims, mapping.email);
  const attributes: Record<string, string> = {};
  for (const [attribute, path] of Object.entries(mapping.attributes)) {
    const value = textOf(claimAt(answer.claims, path));
    if (value !== null) attributes[attribute] = value;
  }
  return {
    subject,
    email: typeof email === 'string' && email.trim() !== '' ? email.trim() : null,
    // Only an explicit `true` (OIDC Core §5.1); a string "true" or a missing mapping is not an assertion.
    emailVerified: mapping.emailVerified !== null && claimAt(answer.claims, mapping.emailVerified) === true,
    name: mapping.name === null ? null : textOf(claimAt(answer.claims, mapping.name)),
    groups: mapping.groups === null ? [] : groupsOf(claimAt(answer.claims, mapping.groups)),
    attributes,
    amr: answer.amr,
  };
}

export function createUpstreamClients(options: UpstreamClientsOptions): UpstreamClients {
  const clients = new Map<string, { key: string; client: UpstreamClient }>();

  const build = async (provider: IdentityProviderRecord): Promise<UpstreamClient> => {
    if (provider.kind !== 'oidc' && provider.kind !== 'oauth2') {
      throw new UpstreamSignInFailed(unavailable(provider.name), `provider ${provider.slug} is of kind ${provider.kind}, not a browser sign-in`).shown('federation.upstream.unavailable', {
        provider: provider.name,
      });
    }
    if (provider.secret === null)
      throw new UpstreamSignInFailed(unavailable(provider.name), `provider ${provider.slug} has no client secret`).shown('federation.upstream.unavailable', { provider: provider.name });
    const secret = (await options.secretBox()).open(provider.secret, providerSecretAad(provider.slug));
    const kindOptions = { name: provider.name, timeoutMs: options.timeoutMs, secret };
    let kind: KindClient;
    let mapping: ClaimMapping;
    if (provider.kind === 'oidc') {
      const settings = settingsOf(provider as IdentityProviderRecord & { kind: 'oidc' });
      kind = createOidcUpstream(settings, kindOptions);
      mapping = settings.claims;
    } else {
      const settings = settingsOf(provider as IdentityProviderRecord & { kind: 'oauth2' });
      kind = createOAuth2Upstream(settings, kindOptions);
      mapping = settings.claims;
    }
    return {
      beginSignIn: (redirectUri, signInOptions) => kind.beginSignIn(redirectUri, signInOptions),
      finishSignIn: async (callbackUrl, expected, redirectUri) => mapIdentity(provider.name, mapping, await kind.finishSignIn(callbackUrl, expected, redirectUri)),
    };
  };

  return {
    async clientFor(provider) {
      const key = `${provider.slug}:${provider.updatedAt}`;
      const cached = clients.get(provider.slug);
      if (cached?.key === key) return cached.client;
      const client = await build(provider);
      clients.set(provider.slug, { key, client });
      return client;
    },
    clear() {
      clients.clear();
    },
  };
}
