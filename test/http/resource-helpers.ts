// Resource indicators (RFC 8707, issue 22) for the HTTP tests: APIs and client grants written through the store (as
// the manage layer would), authorization requests naming several `resource` values, and raw token requests that may
// repeat `resource` (openid-client sends one value per name).
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import type { ApiRecord, ClientApiGrant, NewApi } from '../../src/store/records.js';
import type { Browser } from '../helpers/browser.js';
import { open, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic, tokenRequest, type TokenAnswer } from '../helpers/refresh.js';
import type { RunningApp } from '../helpers/start-app.js';

export type ApiInput = Partial<Omit<NewApi, 'scopes'>> & { identifier: string; scopes: string[] };

/** Registers an API; scopes by name (each described as "Can <name>"). */
export function addApi(app: RunningApp, input: ApiInput): Promise<ApiRecord> {
  return app.store.apis.create(
    {
      id: randomId(),
      name: input.name ?? input.identifier,
      identifier: input.identifier,
      scopes: input.scopes.map((name) => ({ name, description: `Can ${name}` })),
      tokenLifetime: input.tokenLifetime ?? null,
      tokenFormat: input.tokenFormat ?? 'jwt',
      accepts: input.accepts ?? 'both',
    },
    app.clock.now(),
  );
}

/** The client may request tokens for the API (scopes: null for all it defines), as `idp client … --api`. */
export const requestGrant = (api: ApiRecord, scopes: string[] | null = null): ClientApiGrant => ({ apiId: api.id, role: 'request', scopes });
/** The client may introspect the API's tokens, as `idp client … --introspect-api`. */
export const introspectGrant = (api: ApiRecord): ClientApiGrant => ({ apiId: api.id, role: 'introspect', scopes: null });

export function grantApis(app: RunningApp, client: TestClient, grants: ClientApiGrant[]): Promise<void> {
  return app.store.apis.setGrants(client.clientId, grants);
}

/** An authorization request URL (openid-client builds it) with every resource as its own `resource` parameter. */
export async function resourceAuthorization(client: TestClient, scope: string, resources: string[], extra: Record<string, string> = {}): Promise<AuthorizationStart> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const params = new URLSearchParams({
    redirect_uri: client.redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  for (const resource of resources) params.append('resource', resource);
  return { url: oidc.buildAuthorizationUrl(client.config, params), state, nonce, codeVerifier };
}

/** Signs in (or uses the browser's session) and returns the redirect back to the client. */
export async function callbackFor(app: RunningApp, browser: Browser, start: AuthorizationStart, email = 'ada@example.com'): Promise<URL> {
  let page = await open(browser, app, start.url);
  if (page.status === 200) page = await submitLogin(browser, page, email);
  expect(page.status, page.body).toBe(303);
  return new URL(page.location ?? '');
}

/** A code for `resources`, through the login form or the browser's session. */
export async function codeFor(app: RunningApp, client: TestClient, browser: Browser, scope: string, resources: string[]): Promise<{ code: string; start: AuthorizationStart }> {
  const start = await resourceAuthorization(client, scope, resources);
  const callback = await callbackFor(app, browser, start);
  const code = callback.searchParams.get('code');
  expect(code, callback.toString()).toBeTruthy();
  return { code: code ?? '', start };
}

/** grant_type=authorization_code with client_secret_basic, each of `resources` as its own parameter. */
export function redeemFor(app: RunningApp, client: TestClient, code: string, start: AuthorizationStart, resources: string[] = []): Promise<TokenAnswer> {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: client.redirectUri, code_verifier: start.codeVerifier });
  for (const resource of resources) body.append('resource', resource);
  return tokenRequest(app, body.toString(), { Authorization: basic(client.clientId, client.clientSecret ?? '') });
}

/** A 200 token answer's body. */
export function granted(answer: TokenAnswer): Record<string, string> {
  expect(answer.status, JSON.stringify(answer.json)).toBe(200);
  return answer.json;
}
