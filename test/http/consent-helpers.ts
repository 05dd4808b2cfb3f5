// The consent suites' shared steps (issue 24): a third party's application, an authorization in a browser up to
// the consent page (signing in on the way when the browser has no session), the page's decision form, and what the
// store holds afterwards (a consent, unused codes, a live pending request).
import { expect } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { NewClientInput } from '../../src/manage/clients.js';
import type { ConsentRecord } from '../../src/store/records.js';
import { type Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { addClient, authorizationUrl, open, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';

export interface ThirdPartyPages {
  clientUri?: string | null;
  policyUri?: string | null;
  tosUri?: string | null;
  logoUri?: string | null;
}

/** A client made through the management API, then marked third-party in the store (what `--third-party` sets). */
export async function addThirdParty(app: RunningApp, input: Partial<NewClientInput> = {}, pages: ThirdPartyPages = {}): Promise<TestClient> {
  const client = await addClient(app, input);
  const updated = await app.store.clients.update(client.clientId, { thirdParty: true, clientUri: null, policyUri: null, tosUri: null, ...pages }, app.clock.now());
  expect(updated?.thirdParty).toBe(true);
  return client;
}

export interface Authorization {
  start: AuthorizationStart;
  /** The first answer that is not one of our own redirects: a page of ours, or the redirect to the application. */
  page: Page;
}

/**
 * Starts an authorization in `browser` and follows our redirects; when the login form comes, signs in as `email`
 * and follows on. Ends on the consent page, another page of ours, or the redirect to the application.
 */
export async function authorize(app: RunningApp, browser: Browser, client: TestClient, extra: Record<string, string> = {}, email = 'ada@example.com'): Promise<Authorization> {
  const origin = new URL(app.config.issuer).origin;
  const start = await authorizationUrl(client, extra);
  let page = await open(browser, app, start.url);
  if (page.status === 200 && page.body.includes('name="password"')) page = await browser.follow(await submitLogin(browser, page, email), origin);
  return { start, page };
}

export const isConsentPage = (page: Page) => page.status === 200 && page.url.includes('/consent?') && page.body.includes('name="decision"');

/** Posts the consent form of `page` with `decision` and any field overridden. */
export function decide(browser: Browser, page: Page, decision: string | null, override: Record<string, string | null> = {}): Promise<Page> {
  const fields: Record<string, string> = { ...formFields(page.body), ...(decision === null ? {} : { decision }) };
  for (const [name, value] of Object.entries(override)) {
    if (value === null) delete fields[name];
    else fields[name] = value;
  }
  return browser.postForm(formAction(page.body, page.url), fields);
}

/** The redirect's parameters, checked to go to the client's redirect URI. */
export function callbackOf(client: TestClient, page: Page): URLSearchParams {
  expect(page.status, page.body).toBe(303);
  const location = new URL(page.location ?? '');
  expect(location.origin + location.pathname).toBe(client.redirectUri);
  return location.searchParams;
}

/** Redeems the code of a redirect to the client; returns the token response. */
export async function tokensOf(app: RunningApp, client: TestClient, authorization: Authorization, page = authorization.page): Promise<Record<string, string>> {
  const params = callbackOf(client, page);
  const code = params.get('code');
  expect(code, page.location ?? '').toBeTruthy();
  expect(params.get('state')).toBe(authorization.start.state);
  expect(params.get('iss')).toBe(app.config.issuer);
  const tokens = await redeemRaw(app, client, code ?? '', authorization.start);
  expect(tokens.access_token, JSON.stringify(tokens)).toBeTruthy();
  return tokens;
}

/** The list items under the page's `data-testid` list, as text. */
export function listed(page: Page, testId: string): string[] {
  const list = new RegExp(`<ul class="[^"]*" data-testid="${testId}">([\\s\\S]*?)</ul>`).exec(page.body)?.[1] ?? '';
  return [...list.matchAll(/<li>([^<]*)/g)].map((match) => (match[1] ?? '').trim().replace(/&#39;/g, "'"));
}

export function consentOf(app: RunningApp, userId: string, client: TestClient): Promise<ConsentRecord | null> {
  return app.store.consents.find(userId, client.clientId);
}

/** How many codes of the person for the client were issued and never used (marks them used: call it last). */
export function unusedCodes(app: RunningApp, userId: string, client: TestClient): Promise<number> {
  return app.store.codes.revokeForUserClient(userId, client.clientId, app.clock.now());
}

/** Whether the pending request of a consent page is still unused. */
export async function pendingIsLive(app: RunningApp, page: Page): Promise<boolean> {
  const id = new URL(page.url).searchParams.get('request') ?? '';
  return (await app.store.authorizationRequests.findLive(hashSecret(id), app.clock.now())) !== null;
}

/** The audit events about the person since their account was made, newest first. */
export async function auditTypes(app: RunningApp, userId: string): Promise<string[]> {
  return (await app.store.audit.list({ limit: 100, filter: { subject: userId } })).map((event) => event.type).filter((type) => type !== 'user.created');
}
