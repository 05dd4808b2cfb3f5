// The revocation (RFC 7009) and introspection (RFC 7662) endpoints for tests: raw requests (so that a
// parameter can be repeated or credentials left out), the OAuth error a refused request must carry, tokens
// for a public client, and a snapshot of what a refused request must not have changed.
import { expect } from 'vitest';
import type { Browser } from './browser.js';
import { authorizationUrl, signIn, type TestClient } from './oidc.js';
import { basic, family, stored, type Family, type Tokens } from './refresh.js';
import type { RunningApp } from './start-app.js';

export interface EndpointAnswer {
  status: number;
  headers: Headers;
  /** The raw body: revocation answers 200 with an empty one (RFC 7009 §2.2). */
  text: string;
}

/** client_secret_basic credentials of a registered client. */
export const asClient = (client: TestClient) => ({ Authorization: basic(client.clientId, client.clientSecret ?? '') });

/** POSTs a form to /revoke or /introspect; every answer of either, refused or not, may not be cached. */
export async function post(app: RunningApp, endpoint: 'revoke' | 'introspect', body: Record<string, string> | string, headers: Record<string, string> = {}): Promise<EndpointAnswer> {
  const response = await fetch(`${app.config.issuer}/${endpoint}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
  });
  expect(response.headers.get('cache-control')).toBe('no-store');
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Asserts a refused request: this status and exactly this OAuth error body (RFC 6749 §5.2). */
export function expectOAuthError(answer: EndpointAnswer, status: number, error: string, description: string): void {
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  expect({ status: answer.status, body: JSON.parse(answer.text) as unknown }).toEqual({ status, body: { error, error_description: description } });
}

/** Introspects `token` as `client` and returns the JSON answer, which must be a 200 (RFC 7662 §2.2). */
export async function introspect(app: RunningApp, client: TestClient, token: string, extra: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const answer = await post(app, 'introspect', { token, ...extra }, asClient(client));
  expect(answer.status, answer.text).toBe(200);
  expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
  return JSON.parse(answer.text) as Record<string, unknown>;
}

/** Revokes `token` as `client` and asserts the success answer: 200 with an empty body (RFC 7009 §2.2). */
export async function revoke(app: RunningApp, client: TestClient, token: string, extra: Record<string, string> = {}): Promise<void> {
  const answer = await post(app, 'revoke', { token, ...extra }, asClient(client));
  expect([answer.status, answer.text]).toEqual([200, '']);
}

/** Signs in for a public client and redeems the code with its client_id alone, PKCE standing in for a secret. */
export async function publicClientTokens(app: RunningApp, client: TestClient, browser: Browser, scope: string): Promise<Tokens> {
  const start = await authorizationUrl(client, { scope });
  const callback = await signIn(browser, app, start, 'ada@example.com');
  const response = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code: callback.searchParams.get('code') ?? '',
      redirect_uri: client.redirectUri,
      code_verifier: start.codeVerifier,
    }).toString(),
  });
  const tokens = (await response.json()) as Tokens;
  expect(tokens.refresh_token, JSON.stringify(tokens)).toEqual(expect.any(String));
  return tokens;
}

/** What a refused request must leave as it was: the grant's rows and the length of the audit trail. */
export interface Snapshot {
  family: Family;
  auditEvents: number;
}

export async function snapshot(app: RunningApp, refreshToken: string): Promise<Snapshot> {
  const { grantId } = await stored(app, refreshToken);
  return { family: await family(app, grantId), auditEvents: (await app.store.audit.list({ limit: 1000 })).length };
}
