// Shared pieces of the PAR and request object suites (issue 28): raw pushes for what a client library would never
// send, counts of what a refused request wrote, and the redirect a refused authorization request answers with.
import { expect } from 'vitest';
import type { Browser, Page } from '../helpers/browser.js';
import { countRows } from '../helpers/rows.js';
import type { RunningApp } from '../helpers/start-app.js';

export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

export interface Pushed {
  status: number;
  headers: Headers;
  json: Record<string, any>;
}

/** A raw form POST to /par, with the client's credentials as the caller sets them. */
export async function push(app: RunningApp, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Pushed> {
  const response = await fetch(`${app.config.issuer}/par`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : {} };
}

export const basic = (clientId: string, secret: string) => ({ Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` });

/** Rows a request may write: pushed requests, pending authorization requests and codes. */
export function writes(app: RunningApp): Promise<number> {
  return countRows(app, 'SELECT (SELECT count(*) FROM pushed_requests) + (SELECT count(*) FROM authorization_requests) + (SELECT count(*) FROM authorization_codes) AS n');
}

export function pushedRequests(app: RunningApp): Promise<number> {
  return countRows(app, 'SELECT count(*) AS n FROM pushed_requests');
}

export function authorizeUrl(app: RunningApp, params: Record<string, string>): string {
  return `${app.config.issuer}/authorize?${new URLSearchParams(params).toString()}`;
}

/** The error redirect a refused request answers with: to `redirectUri`, with `error`, a description, `state` and our iss. */
export function expectErrorRedirect(app: RunningApp, page: Page, redirectUri: string, error: string, description: string, state: string | null): void {
  expect(page.status, page.body).toBe(303);
  const location = new URL(page.location ?? '');
  expect(location.origin + location.pathname).toBe(redirectUri);
  expect(Object.fromEntries(location.searchParams)).toEqual({ error, error_description: description, ...(state === null ? {} : { state }), iss: app.config.issuer });
}

/** Our error page (no redirect anywhere): 400, the spec's error code and its description on it. */
export function expectErrorPage(page: Page, error: string, description: string): void {
  expect(page.status, page.body).toBe(400);
  expect(page.location).toBeNull();
  expect(page.headers.get('content-type')).toMatch(/^text\/html/);
  expect(page.body).toContain(`<code>${error}</code>`);
  expect(page.body).toContain(description);
}

/** Follows our redirects: the login page (200) or the redirect to the client. */
export async function openAt(browser: Browser, app: RunningApp, url: string): Promise<Page> {
  return browser.follow(await browser.get(url), new URL(app.config.issuer).origin);
}
