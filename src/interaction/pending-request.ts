// An authorization request waiting for the person to sign in. It lives in the store, referenced by an
// opaque single-use id, and is bound to the browser that started it by a cookie, so credentials typed in
// another browser never complete it. Its CSRF token is derived from that cookie and the request id.
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { constantTimeEqual, hashSecret, randomSecret } from '../auth/secrets.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ForbiddenForm } from '../errors.js';
import type { Cookies } from '../http/cookies.js';
import { routes } from '../http/routes.js';
import { storedParams, type AuthorizationRequest } from '../oidc/authorization-request.js';
import { preferRequestLocales } from '../i18n/page-locale.js';
import type { AuthorizationRequestRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { browserSecretOf } from './browser-secret.js';

/** How long someone may take to sign in before the application has to start over. */
const PENDING_LIFETIME_MS = 30 * 60 * 1000;

export interface PendingDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  cookies: Cookies;
}

export function csrfTokenFor(browserSecret: string, requestId: string): string {
  return createHash('sha256').update(`gatehouse-csrf\0${browserSecret}\0${requestId}`).digest('base64url');
}

/**
 * Keeps the request server-side and returns the login page URL that refers to it. Anyone may start one: the
 * caller admits it first, per client address (authorize.ts, Throttle.admitAddress).
 */
export async function startPendingRequest(deps: PendingDependencies, req: Request, res: Response, request: AuthorizationRequest): Promise<string> {
  const browser = browserSecretOf(deps.cookies, req, res);
  const id = randomSecret();
  const now = deps.clock.now();
  await deps.store.authorizationRequests.create({
    idHash: hashSecret(id),
    browserHash: hashSecret(browser),
    clientId: request.client.clientId,
    params: storedParams(request),
    createdAt: now,
    expiresAt: now + PENDING_LIFETIME_MS,
  });
  return `${deps.config.basePath}${routes.login}?${new URLSearchParams({ request: id }).toString()}`;
}

export interface BoundRequest {
  id: string;
  record: AuthorizationRequestRecord;
  csrfToken: string;
}

/** The live pending request `id`, if this browser started it; null when it expired or was used. */
export async function findPendingRequest(deps: PendingDependencies, req: Request, id: string): Promise<BoundRequest | null> {
  const record = await deps.store.authorizationRequests.findLive(hashSecret(id), deps.clock.now());
  if (!record) return null;
  // Issue 25: every page of this sign-in (and a refusal of it) speaks the language the application asked for.
  preferRequestLocales(req, record.params.ui_locales);
  const browser = deps.cookies.read(req, 'browser');
  if (!browser || !constantTimeEqual(hashSecret(browser), record.browserHash)) {
    throw new ForbiddenForm('This sign-in was started in another browser, or this browser does not keep cookies. Go back to the application and start again here.').shown(
      'errorPage.otherBrowser',
    );
  }
  return { id, record, csrfToken: csrfTokenFor(browser, id) };
}

export function checkCsrf(bound: BoundRequest, presented: string): void {
  checkCsrfToken(bound.csrfToken, presented, 'Go back to the application and start again.');
}

/** Refuses a form whose CSRF token is not the expected one (compared in constant time). */
export function checkCsrfToken(expected: string, presented: string, advice: string): void {
  if (!constantTimeEqual(expected, presented)) throw new ForbiddenForm(`The form has expired or did not come from this site. ${advice}`);
}
