// The browser side of federated sign-in (issue 23), as the federation HTTP tests drive it: a real Gatehouse app, a
// real upstream OpenID Connect provider (test/helpers/upstream-oidc.ts), and a Browser that clicks the login
// page's "Continue with <provider>" link, signs in at the upstream and comes back to the callback.
import { expect } from 'vitest';
import { createProvider, type ProviderInput } from '../../src/manage/providers.js';
import type { IdentityProviderRecord } from '../../src/store/records.js';
import type { Browser, Page } from '../helpers/browser.js';
import { providerContext } from '../helpers/federation-fixtures.js';
import { authorizationUrl, open, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { countRows } from '../helpers/rows.js';
import type { RunningApp } from '../helpers/start-app.js';
import { completeUpstreamSignIn, type UpstreamOidc } from '../helpers/upstream-oidc.js';

/** Gatehouse's registration at the upstream. */
export const UPSTREAM_CLIENT_ID = 'gatehouse';
export const UPSTREAM_CLIENT_SECRET = 'upstream client secret, long and random enough';

/** The redirect URIs of these provider slugs at this app, to register at the upstream. */
export function callbackUris(app: RunningApp, slugs: readonly string[]): string[] {
  return slugs.map((slug) => `${app.config.issuer}/federation/${slug}/callback`);
}

export { providerContext };

/** An OpenID Connect provider at `upstream`, as the `idp provider create --kind oidc` tool would make it. */
export function addOidcProvider(app: RunningApp, upstream: UpstreamOidc, input: Partial<ProviderInput> & { slug: string }): Promise<IdentityProviderRecord> {
  return createProvider(providerContext(app), {
    kind: 'oidc',
    name: `Upstream ${input.slug}`,
    issuer: upstream.issuer,
    clientId: UPSTREAM_CLIENT_ID,
    clientSecret: UPSTREAM_CLIENT_SECRET,
    ...input,
  });
}

/** The href of the login page's link for provider `slug` (absolute), or null when the page has none. */
export function providerLink(page: Page, slug: string): string | null {
  const match = new RegExp(`<a class="button secondary provider" href="([^"]*)" data-provider="${slug}">`).exec(page.body);
  return match?.[1] ? new URL(match[1].replace(/&amp;/g, '&'), page.url).toString() : null;
}

/** The text of the login page's link for provider `slug`. */
export function providerLinkText(page: Page, slug: string): string | null {
  const match = new RegExp(`data-provider="${slug}">(.*?)</a>`).exec(page.body);
  return match?.[1]?.replace(/<img[^>]*>\s*/, '') ?? null;
}

/** Where a start sent the browser: the upstream's authorization URL (asserted a 303 there). */
export function upstreamLocation(start: Page, upstream: { issuer: string } | { url: string }): string {
  expect(start.status, start.body).toBe(303);
  const origin = new URL('issuer' in upstream ? upstream.issuer : upstream.url).origin;
  expect(new URL(start.location ?? '').origin).toBe(origin);
  return start.location ?? '';
}

export interface FederatedSignIn {
  start: AuthorizationStart;
  /** The login page the application's request led to. */
  login: Page;
  /** The upstream's redirect back to Gatehouse (its code, state and iss in the query). */
  callback: URL;
  /** Gatehouse's answer to the callback. */
  answer: Page;
}

/** From the application's authorization request to Gatehouse's answer at the callback, signed in upstream as `account`. */
export async function federatedSignIn(...args: Parameters<typeof upToCallback>): Promise<FederatedSignIn> {
  const [browser] = args;
  const reached = await upToCallback(...args);
  return { ...reached, answer: await browser.get(reached.callback.toString()) };
}

/** The same, stopping before the callback is opened (a test opens it its own way). */
export async function upToCallback(
  browser: Browser,
  app: RunningApp,
  client: TestClient,
  upstream: UpstreamOidc,
  slug: string,
  account: string,
  extra: Record<string, string> = {},
): Promise<Omit<FederatedSignIn, 'answer'>> {
  const start = await authorizationUrl(client, extra);
  const login = await open(browser, app, start.url);
  expect(login.status, login.body).toBe(200);
  const link = providerLink(login, slug);
  expect(link, `no link for ${slug}`).not.toBeNull();
  const toUpstream = upstreamLocation(await browser.get(link ?? ''), upstream);
  const callback = await completeUpstreamSignIn(toUpstream, account);
  expect(callback.toString().startsWith(`${app.config.issuer}/federation/${slug}/callback?`), callback.toString()).toBe(true);
  return { start, login, callback };
}

/** What a refused federated sign-in must not have written. */
export async function footprint(app: RunningApp): Promise<{ users: number; identities: number; sessions: number }> {
  return {
    users: await countRows(app, 'SELECT count(*) AS n FROM users'),
    identities: await countRows(app, 'SELECT count(*) AS n FROM federated_identities'),
    sessions: await countRows(app, 'SELECT count(*) AS n FROM sessions'),
  };
}

/** The message of a page (the error page's paragraph, or the login form's alert). */
export function messageOf(page: Page): string {
  return /<h1>[^<]*<\/h1>\s*<p>([^<]*)<\/p>/.exec(page.body)?.[1] ?? /id="login-error">\s*<p class="error-summary-title">[^<]*<\/p>\s*<p>([^<]*)</.exec(page.body)?.[1] ?? '';
}
