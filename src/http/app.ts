// createApp: the middleware order and the only place routes are mounted. Middleware goes only where it is
// needed: discovery and JWKS get CORS and nothing else; only the form routes parse bodies; only the
// sign-in routes read cookies.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { type Express } from 'express';
import type { BreachedPasswords } from '../auth/breached-passwords.js';
import { Sessions } from '../auth/sessions.js';
import { Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { createFederation, type Federation } from '../federation/federation.js';
import { consentPage, consentSubmit } from '../interaction/consent.js';
import { federationCallback } from '../interaction/federation-callback.js';
import { federationStart } from '../interaction/federation-start.js';
import { forgotPasswordPage, forgotPasswordSubmit } from '../interaction/forgot-password.js';
import { loginPage, loginSubmit } from '../interaction/login.js';
import { newPasswordPage, newPasswordSubmit } from '../interaction/new-password.js';
import { secondFactorPage, secondFactorSubmit } from '../interaction/second-factor.js';
import { jsonRefusal, parseJson, passkeySignIn, passkeySignInOptions } from '../interaction/passkey-sign-in.js';
import { openSecretBox, type SecretBox } from '../auth/secret-box.js';
import { resetPasswordPage, resetPasswordSubmit } from '../interaction/reset-password.js';
import { verifyEmailPage, verifyEmailSubmit } from '../interaction/verify-email.js';
import { deviceCodeSubmit, deviceDecision, devicePage, deviceSignInAgain } from '../interaction/device.js';
import { endSessionEndpoint } from '../interaction/logout.js';
import type { Logger } from '../logger.js';
import type { Mailer } from '../mail/mailer.js';
import { metricsEndpoint } from '../metrics/metrics-endpoint.js';
import { metricsServed } from '../metrics/served.js';
import { lazyRouter } from './lazy-router.js';
import { measuredListener } from '../metrics/http-metrics.js';
import type { SessionTerminator } from '../logout/session-end.js';
import { authorizeEndpoint } from '../oidc/authorize.js';
import { claimCatalogOf, type ClaimCatalog } from '../oidc/claim-catalog.js';
import { deviceAuthorizationEndpoint } from '../oidc/device-authorization.js';
import { discoveryHandler, DiscoveryDocuments } from '../oidc/discovery.js';
import { DpopProofs } from '../oidc/dpop.js';
import { jwksHandler } from '../oidc/jwks.js';
import { introspectionEndpoint } from '../oidc/introspection.js';
import { revocationEndpoint } from '../oidc/revocation.js';
import { parEndpoint } from '../oidc/par.js';
import { noStore, tokenEndpoint } from '../oidc/token.js';
import { userinfoEndpoint } from '../oidc/userinfo.js';
import { packageRoot, publicDir, viewsDir } from '../paths.js';
import { brandAssetRouter } from '../branding/brand-routes.js';
import { brandsOf, type BrandService } from '../branding/brand-service.js';
import { languageSwitch } from '../i18n/language-switch.js';
import { localization } from '../i18n/localization.js';
import { pageDefaults } from '../i18n/page-defaults.js';
import { ClientSightings } from '../signing/client-sightings.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { Store } from '../store/store.js';
import { Cookies } from './cookies.js';
import { errorHandler, notFound } from './error-handler.js';
import { healthHandler, readinessHandler } from './health.js';
import { apiCors, publicDocumentCors } from './middleware/cors.js';
import { parseForm } from './middleware/parse-form.js';
import { publicDocuments } from './public-documents.js';
import { requestLog } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';
import type { Resolver } from './outbound-request.js';
import { routes, routeUrl } from './routes.js';

export interface AppDependencies {
  config: Config;
  store: Store;
  keyRing: KeyRing;
  clock: Clock;
  logger: Logger;
  sessionEnd: SessionTerminator;
  mailer: Mailer;
  /** BREACHED_PASSWORDS_FILE, opened; null (or absent) when not configured. */
  breachedPasswords?: BreachedPasswords | null;
  /** The services' claim catalog (src/services.ts); absent, the store's one (claimCatalogOf), the same instance. */
  claimCatalog?: ClaimCatalog;
  /**
   * Upstream clients and directories (issue 23), the services' (src/services.ts closes them); absent, the app makes
   * its own, and its owner closes them with the listener's `close()`.
   */
  federation?: Federation;
  /** Name resolution for the URLs clients register (issue 24: checked at registration); the system's when absent (tests inject one). */
  resolve?: Resolver;
  /** Issue 25: the effective brand; absent, the app makes its own from the configuration and the store. */
  brands?: BrandService;
}

/** The request listener of the server: discovery and JWKS on the node:http fast path, everything else through Express. */
export type RequestListener = ((req: IncomingMessage, res: ServerResponse) => void) & {
  /** Closes what the app made for itself (a federation not passed in: its directories' pooled connections). */
  close(): Promise<void>;
};

export function createApp(deps: AppDependencies): RequestListener {
  const claimCatalog = deps.claimCatalog ?? claimCatalogOf(deps.store, deps.clock);
  const discovery = new DiscoveryDocuments(deps.config, claimCatalog);
  // Issue 26: client authentications and JWKS fetches, recorded for key rotation readiness (best effort).
  const sightings = new ClientSightings({ store: deps.store, clock: deps.clock, logger: deps.logger });
  const documents = publicDocuments(deps.config, deps.keyRing, deps.logger, discovery, sightings);
  const { app, close } = createExpressApp(deps, claimCatalog, discovery, sightings);
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (!documents(req, res)) app(req, res);
  };
  // Issue 26: every request counted and timed per route, the node:http fast path included (src/metrics/), when
  // metrics are served (issue 27: otherwise nobody reads them).
  const listener = metricsServed(deps.config) ? measuredListener(deps.config.basePath, serve) : serve;
  return Object.assign(listener, { close: async () => Promise.all([sightings.settled(), close()]).then(() => undefined) });
}

function createExpressApp(
  { config, store, keyRing, clock, logger, sessionEnd, mailer, breachedPasswords = null, federation: given, resolve, brands: givenBrands }: AppDependencies,
  claimCatalog: ClaimCatalog,
  discovery: DiscoveryDocuments,
  sightings: ClientSightings,
): { app: Express; close: () => Promise<void> } {
  const app = express();
  app.disable('x-powered-by');
  // Our cacheable documents carry their own precomputed ETags.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.set('views', viewsDir);
  app.set('view engine', 'ejs');
  app.set('view cache', true);
  app.locals.basePath = config.basePath;
  // Issue 25: what a page rendered outside the localization middleware (a path outside the base path) still has;
  // every page under it gets its own through res.locals (src/i18n/localization.ts).
  Object.assign(app.locals, pageDefaults(config));

  const cookies = new Cookies(config);
  const sessions = new Sessions(store, clock, config.lifetimes, cookies, sessionEnd);
  const throttle = new Throttle(store, clock);
  // Opened on first use: second factors and refresh successors need it; in SQLite mode it may create the key file.
  let box: Promise<SecretBox> | undefined;
  const secretBox = () =>
    (box ??= openSecretBox(config).catch((error: unknown) => {
      box = undefined;
      throw error;
    }));
  const federation = given ?? createFederation(config, secretBox, logger);
  const signIn = { store, clock, config, keyRing, cookies, sessions, sessionEnd, throttle, secretBox, mailer, logger, breachedPasswords, claimCatalog, federation };
  const self = { store, clock, config, cookies, sessions, sessionEnd, throttle, mailer, logger, secretBox, breachedPasswords };
  // Issue 28: DPoP proofs (RFC 9449), one checker per app: at /token, /par, /userinfo and the management API.
  const dpopProofs = new DpopProofs({ store, clock, config, secretBox });
  const grants = { store, clock, config, keyRing, sessionEnd, throttle, secretBox, claimCatalog, sightings, dpopProofs };
  const device = { store, clock, config, cookies, sessions, throttle, secretBox, claimCatalog };
  const brands = givenBrands ?? brandsOf(config, store, clock, { logger, resolve });

  const router = express.Router();
  router.options([routes.discovery, routes.jwks], publicDocumentCors);
  router.get(routes.discovery, publicDocumentCors, discoveryHandler(config, discovery));
  router.get(routes.jwks, publicDocumentCors, jwksHandler(keyRing, config.jwksMaxAge, sightings));
  // Issue 25: every page a person sees gets its language, brand and language switcher.
  router.use(localization({ config, cookies, brands }));
  router.post(routes.language, parseForm, languageSwitch({ config, cookies, sessions, store, clock }));
  router.use(routes.branding, brandAssetRouter({ brands }));

  router.get(routes.authorization, authorizeEndpoint(signIn));
  router.post(routes.authorization, parseForm, authorizeEndpoint(signIn));
  router.get(routes.login, loginPage(signIn));
  router.post(routes.login, parseForm, loginSubmit(signIn));
  router.get(routes.secondFactor, secondFactorPage(signIn));
  router.post(routes.secondFactor, parseForm, secondFactorSubmit(signIn));
  router.get(routes.newPassword, newPasswordPage(signIn));
  router.post(routes.newPassword, parseForm, newPasswordSubmit(signIn));
  router.post(routes.passkeySignInOptions, parseJson, passkeySignInOptions(signIn), jsonRefusal);
  router.post(routes.passkeySignIn, parseJson, passkeySignIn(signIn), jsonRefusal);
  // Issue 23: a sign-in at an upstream provider, and its one redirect URI per provider.
  router.get(`${routes.federation}/:slug/start`, federationStart(signIn));
  router.get(`${routes.federation}/:slug/callback`, federationCallback(signIn));
  router.get(routes.consent, consentPage(signIn));
  router.post(routes.consent, parseForm, consentSubmit(signIn));

  router.get(routes.forgotPassword, forgotPasswordPage(self));
  router.post(routes.forgotPassword, parseForm, forgotPasswordSubmit(self));
  router.get(routes.resetPassword, resetPasswordPage(self));
  router.post(routes.resetPassword, parseForm, resetPasswordSubmit(self));
  router.get(routes.verifyEmail, verifyEmailPage(self));
  router.post(routes.verifyEmail, parseForm, verifyEmailSubmit(self));
  // Issue 27: the account pages, the administrator's screens, dynamic registration and the management API load at
  // their first request (src/http/lazy-router.ts).
  router.use(
    routes.account,
    lazyRouter(async () => (await import('../account/router.js')).accountRouter(self)),
  );

  router.use(
    routes.admin,
    lazyRouter(async () =>
      (await import('../admin/router.js')).adminRouter({ config, store, clock, keyRing, cookies, sessions, sessionEnd, mailer, logger, throttle, breachedPasswords, secretBox }),
    ),
  );

  // RFC 8628 §3.3: where a person types a device's code; signed-in pages like the account's.
  router.get(routes.device, devicePage(device));
  router.post(routes.device, parseForm, deviceCodeSubmit(device));
  router.post(`${routes.device}/decision`, parseForm, deviceDecision(device));
  router.post(`${routes.device}/sign-in-again`, parseForm, deviceSignInAgain(device));

  router.get(routes.endSession, endSessionEndpoint(signIn));
  router.post(routes.endSession, parseForm, endSessionEndpoint(signIn));

  router.options([routes.token, routes.userinfo, routes.revocation, routes.introspection, routes.deviceAuthorization, routes.pushedAuthorization], apiCors);
  router.post(routes.token, apiCors, noStore, parseForm, tokenEndpoint(grants));
  // Issue 28: pushed authorization requests (RFC 9126); browser-based public clients push too, hence CORS.
  router.post(routes.pushedAuthorization, apiCors, noStore, parseForm, parEndpoint(grants));
  router.post(routes.deviceAuthorization, apiCors, noStore, parseForm, deviceAuthorizationEndpoint(grants));
  router.post(routes.revocation, apiCors, noStore, parseForm, revocationEndpoint(grants));
  router.post(routes.introspection, apiCors, noStore, parseForm, introspectionEndpoint(grants));
  router.get(routes.userinfo, apiCors, userinfoEndpoint(grants));
  router.post(routes.userinfo, apiCors, parseForm, userinfoEndpoint(grants));

  // RFC 7591 POST /register and RFC 7592 /register/<client_id> (JSON bodies; CORS as the other machine endpoints).
  router.use(
    routes.registration,
    lazyRouter(async () => (await import('../oidc/registration.js')).registrationRouter({ store, clock, config, throttle, logger, resolve })),
  );
  // Issue 26: Prometheus metrics (only with METRICS_TOKEN: src/metrics/) and the management API (its own JSON
  // bodies, bearer tokens and RFC 9457 problems: src/api/).
  router.get(routes.metrics, metricsEndpoint({ config, keyRing, clock }));
  router.use(
    routes.managementApi,
    lazyRouter(async () => (await import('../api/router.js')).managementApiRouter({ config, store, clock, keyRing, sessionEnd, mailer, logger, breachedPasswords, secretBox })),
  );
  router.get(routes.health, healthHandler);
  router.get(routes.readiness, readinessHandler(store));
  router.get(routes.home, (_req, res) => {
    res.render('home', { title: 'Single sign-on', issuer: config.issuer, discoveryUrl: routeUrl(config.issuer, 'discovery') });
  });
  // The WebAuthn browser library, served from our own origin (the CSP allows no other), straight from its package.
  const webAuthnBrowser = webAuthnBrowserBundle();
  router.get(`${routes.static}/vendor/simplewebauthn-browser.js`, (_req, res, next) => {
    res.sendFile(webAuthnBrowser, { maxAge: '1h' }, (error) => {
      if (error) next(error);
    });
  });
  router.use(routes.static, express.static(publicDir, { index: false, maxAge: '1h' }));

  app.use(requestLog(logger));
  app.use(securityHeaders({ https: config.issuer.startsWith('https:') }));
  app.use(config.basePath || '/', router);
  app.use(notFound);
  app.use(errorHandler(config));
  // Stryker disable next-line ArrowFunction,BlockStatement: closing the services' federation is their owner's (src/services.ts)
  return { app, close: async () => (given ? undefined : federation.close()) };
}

/** The UMD build of @simplewebauthn/browser (global `SimpleWebAuthnBrowser`); its package exports no subpaths, so found beside its entry. */
function webAuthnBrowserBundle(): string {
  const entry = createRequire(path.join(packageRoot, 'package.json')).resolve('@simplewebauthn/browser');
  return path.join(path.dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js');
}
