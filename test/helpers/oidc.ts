// Relying-party side of the tests: a registered client, a user, and openid-client (v6) configured against
// a running app, plus the browser steps of a sign-in.
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { createClient, type NewClientInput } from '../../src/manage/clients.js';
import { createUser } from '../../src/manage/users.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from './browser.js';
import type { RunningApp } from './start-app.js';

export const PASSWORD = 'correct horse battery staple';

/** What the relying-party helpers need of an IdP: its issuer, whether one app in this process or a cluster of processes. */
export interface Issuer {
  config: { issuer: string };
}

export interface TestClient {
  clientId: string;
  clientSecret: string | null;
  redirectUri: string;
  config: oidc.Configuration;
}

/** The management context the tests act through, as the `idp` tool would (actor `test`). */
export function manage(app: RunningApp) {
  return { store: app.store, clock: app.clock, passwordMinLength: app.config.passwordMinLength, actor: 'test', config: app.config };
}

export function addUser(app: RunningApp, email = 'ada@example.com', extra: { name?: string } = { name: 'Ada Lovelace' }): Promise<UserRecord> {
  return createUser(manage(app), { email, password: PASSWORD, ...extra });
}

export async function addClient(app: RunningApp, input: Partial<NewClientInput> = {}): Promise<TestClient> {
  const redirectUri = input.redirectUris?.[0] ?? 'https://rp.example/callback';
  const { client, clientSecret } = await createClient(manage(app), { name: 'Test app', redirectUris: [redirectUri], ...input });
  return discoverAs(app, client.clientId, clientSecret, redirectUri);
}

/** openid-client configured for a registered client by discovery of `idp`. */
export async function discoverAs(idp: Issuer, clientId: string, clientSecret: string | null, redirectUri: string): Promise<TestClient> {
  const config = await oidc.discovery(new URL(idp.config.issuer), clientId, clientSecret ?? undefined, clientSecret ? oidc.ClientSecretBasic(clientSecret) : oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  return { clientId, clientSecret, redirectUri, config };
}

export interface AuthorizationStart {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

export async function authorizationUrl(client: TestClient, extra: Record<string, string> = {}): Promise<AuthorizationStart> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(client.config, {
    redirect_uri: client.redirectUri,
    scope: 'openid email profile',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, state, nonce, codeVerifier };
}

/** Opens the authorization URL and follows our own redirects: the login page, or the redirect to the client. */
export async function open(browser: Browser, app: Issuer, url: URL | string): Promise<Page> {
  const origin = new URL(app.config.issuer).origin;
  return browser.follow(await browser.get(url.toString()), origin);
}

/** Whether `browser` still has a session at `idp`, asked the way an application would: prompt=none. */
export async function hasSession(browser: Browser, idp: Issuer, client: TestClient): Promise<boolean> {
  const start = await authorizationUrl(client, { prompt: 'none' });
  const page = await open(browser, idp, start.url);
  const location = new URL(page.location ?? '');
  if (location.searchParams.get('error') === 'login_required') return false;
  expect(location.searchParams.get('code'), page.location ?? page.body).toBeTruthy();
  return true;
}

/** Fills in and submits the login form shown on `page`. */
export function submitLogin(browser: Browser, page: Page, email: string, password = PASSWORD): Promise<Page> {
  expect(page.status, page.body).toBe(200);
  const fields = formFields(page.body);
  return browser.postForm(formAction(page.body, page.url), { ...fields, email, password });
}

/** A whole sign-in through the form; returns the redirect to the client (its code in the query). */
export async function signIn(browser: Browser, app: Issuer, start: AuthorizationStart, email: string): Promise<URL> {
  const login = await open(browser, app, start.url);
  const answer = await submitLogin(browser, login, email);
  expect(answer.status, answer.body).toBe(303);
  return new URL(answer.location ?? '');
}

export function redeem(client: TestClient, callback: URL, start: AuthorizationStart) {
  return oidc.authorizationCodeGrant(client.config, callback, {
    pkceCodeVerifier: start.codeVerifier,
    expectedState: start.state,
    expectedNonce: start.nonce,
  });
}

/**
 * Redeems a code with plain HTTP and client_secret_basic, for tests whose fake clock moves token times away
 * from real time (openid-client checks iat and exp against the real clock).
 */
export async function redeemRaw(app: Issuer, client: TestClient, code: string, start: AuthorizationStart): Promise<Record<string, string>> {
  const credentials = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret ?? '')}`).toString('base64');
  const response = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${credentials}` },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: start.codeVerifier }).toString(),
  });
  return (await response.json()) as Record<string, string>;
}
