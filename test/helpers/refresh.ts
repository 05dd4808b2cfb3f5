// The refresh side of the token endpoint for tests: raw token requests (a fake clock moves token times away
// from real time, which openid-client would refuse), sign-ins that end in tokens, and a read-only look at a
// grant's rows, so that a test can tell what a refused request wrote or revoked.
import { expect } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { RefreshTokenRecord } from '../../src/store/records.js';
import type { Browser } from './browser.js';
import { authorizationUrl, open, redeemRaw, submitLogin, type Issuer, type TestClient } from './oidc.js';
import { queryRows } from './rows.js';
import type { RunningApp } from './start-app.js';

export interface TokenAnswer {
  status: number;
  headers: Headers;
  json: Record<string, string>;
}

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token: string;
  scope: string;
}

export const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** A token request with a raw form body (so that a parameter can be repeated); every answer must be uncacheable JSON (RFC 6749 §5.1). */
export async function tokenRequest(app: Issuer, body: string, headers: Record<string, string> = {}): Promise<TokenAnswer> {
  const response = await fetch(`${app.config.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return { status: response.status, headers: response.headers, json: (await response.json()) as Record<string, string> };
}

/** grant_type=refresh_token with client_secret_basic. */
export function refresh(app: Issuer, client: TestClient, refreshToken: string, extra: Record<string, string> = {}): Promise<TokenAnswer> {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }).toString();
  return tokenRequest(app, body, { Authorization: basic(client.clientId, client.clientSecret ?? '') });
}

/** Asserts a refused token request: status 400 and exactly this OAuth error body (RFC 6749 §5.2). */
export function expectRefused(answer: TokenAnswer, error: string, description: string): void {
  expect({ status: answer.status, body: answer.json }).toEqual({ status: 400, body: { error, error_description: description } });
}

/**
 * Authorizes `client` in `browser` and redeems the code: through the login form when the browser has no
 * session, silently (single sign-on) when it has one.
 */
export async function tokensFor(app: Issuer, client: TestClient, browser: Browser, scope: string, email = 'ada@example.com'): Promise<Tokens> {
  const start = await authorizationUrl(client, { scope });
  let page = await open(browser, app, start.url);
  if (page.status === 200) page = await submitLogin(browser, page, email);
  expect(page.status, page.body).toBe(303);
  const code = new URL(page.location ?? '').searchParams.get('code') ?? '';
  const tokens = await redeemRaw(app, client, code, start);
  expect(tokens.refresh_token, JSON.stringify(tokens)).toEqual(expect.any(String));
  return tokens as unknown as Tokens;
}

/** The stored record of a refresh token, which must exist. */
export async function stored(app: RunningApp, refreshToken: string): Promise<RefreshTokenRecord> {
  const record = await app.store.refreshTokens.find(hashSecret(refreshToken));
  expect(record, 'refresh token record').not.toBeNull();
  return record as RefreshTokenRecord;
}

/** How the tokens of one grant stand in the database. */
export interface Family {
  refresh: { live: number; rotated: number; revoked: number };
  access: { live: number; revoked: number };
}

export async function family(app: RunningApp, grantId: string): Promise<Family> {
  const refreshRows = await queryRows<{ rotated_at: unknown; revoked_at: unknown }>(app, 'SELECT rotated_at, revoked_at FROM refresh_tokens WHERE grant_id = ?', [grantId]);
  const accessRows = await queryRows<{ revoked_at: unknown }>(app, 'SELECT revoked_at FROM access_tokens WHERE grant_id = ?', [grantId]);
  return {
    refresh: {
      live: refreshRows.filter((row) => row.rotated_at === null && row.revoked_at === null).length,
      rotated: refreshRows.filter((row) => row.rotated_at !== null && row.revoked_at === null).length,
      revoked: refreshRows.filter((row) => row.revoked_at !== null).length,
    },
    access: {
      live: accessRows.filter((row) => row.revoked_at === null).length,
      revoked: accessRows.filter((row) => row.revoked_at !== null).length,
    },
  };
}
