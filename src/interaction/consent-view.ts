// The consent page (views/consent.ejs, issue 24): who asks (the application's name and logo, and the host names a
// look-alike name cannot hide: its home page's, and the one the browser will be sent back to), what it asks for in
// plain language (scope-sentences.ts), what the person already allowed it, who is signed in, and one form with Allow
// and Deny. The page is never cached and never framed (the site-wide frame-ancestors 'none' and X-Frame-Options:
// DENY, security-headers.ts); its CSP admits the logo's origin only (img-src) and the application's origin as the
// form's redirect target (form-action). Logos and links are shown to the browser, never fetched by the server.
// Everything is in the page's language (issue 25; section `consent`, the sentences of section `scopes`).
import type { Response } from 'express';
import { linkedPage, logoUrl, type LinkedPage } from '../http/browser-url.js';
import { formActionPolicy, imagePolicy } from '../http/middleware/security-headers.js';
import { routes } from '../http/routes.js';
import type { ClaimCatalog } from '../oidc/claim-catalog.js';
import type { AuthorizationRequest } from '../oidc/authorization-request.js';
import type { ClientRecord, UserRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { describeScopes, type RequestView, type SentenceLocale } from './scope-sentences.js';

export interface ConsentPageView {
  title: string;
  clientName: string;
  /** An https logo only (the CSP admits its origin); null for none. */
  logoUrl: string | null;
  homePage: LinkedPage | null;
  /** The host of the redirect URI: where the answer goes, whatever the application calls itself. */
  returnHost: string;
  policy: LinkedPage | null;
  terms: LinkedPage | null;
  /** A third party's application: the page says it is not the organisation's own. */
  thirdParty: boolean;
  /** What the person is asked to allow now. */
  asks: RequestView;
  /** What they allowed it before and is asked again (only those the request names). */
  allowed: RequestView;
  email: string;
  /** Where a person who is not `email` signs in with their own account (the login page of this request). */
  otherAccountUrl: string;
  requestId: string;
  csrfToken: string;
}

/** An API listed with none of the scopes in question says nothing about them (its audience is the administrator's grant). */
function withScopes(view: RequestView): RequestView {
  return { about: view.about, apis: view.apis.filter((api) => api.scopes.length > 0) };
}

export interface ConsentViewInput {
  client: ClientRecord;
  request: AuthorizationRequest;
  user: Pick<UserRecord, 'email'>;
  /** The scopes asked now (ConsentNeed.ask). */
  ask: readonly string[];
  requestId: string;
  csrfToken: string;
  /** The page's language (localeOf(req)). */
  locale: SentenceLocale;
}

export async function consentView(deps: { store: Store; claimCatalog: Pick<ClaimCatalog, 'definitions'>; config: { basePath: string } }, input: ConsentViewInput): Promise<ConsentPageView> {
  const { client, request, user, ask, locale } = input;
  const before = request.scope.filter((scope) => !ask.includes(scope));
  const [asks, allowed] = await Promise.all([
    describeScopes(deps.store, deps.claimCatalog, client, ask, request.resources, locale),
    describeScopes(deps.store, deps.claimCatalog, client, before, request.resources, locale),
  ]);
  return {
    title: locale.t('consent.title', { app: client.name }),
    clientName: client.name,
    logoUrl: logoUrl(client.logoUri),
    homePage: linkedPage(client.clientUri),
    returnHost: linkedPage(request.redirectUri)?.host ?? request.redirectUri,
    policy: linkedPage(client.policyUri),
    terms: linkedPage(client.tosUri),
    thirdParty: client.thirdParty,
    asks: withScopes(asks),
    allowed: withScopes(allowed),
    email: user.email,
    otherAccountUrl: `${deps.config.basePath}${routes.login}?${new URLSearchParams({ request: input.requestId }).toString()}`,
    requestId: input.requestId,
    csrfToken: input.csrfToken,
  };
}

/** Renders the page: never cached; the logo's origin in img-src, the application's origin in form-action. */
export function renderConsent(res: Response, view: ConsentPageView, redirectUri: string): void {
  res.setHeader('Cache-Control', 'no-store');
  // Allow redirects to the application after the form's POST: Chrome applies form-action to that redirect.
  res.setHeader('Content-Security-Policy', formActionPolicy(res, redirectUri));
  if (view.logoUrl) res.setHeader('Content-Security-Policy', imagePolicy(res, [view.logoUrl]));
  res.render('consent', view);
}
