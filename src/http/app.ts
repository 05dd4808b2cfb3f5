// createApp: the middleware order and the only place routes are mounted. Middleware goes only where it is
// needed: discovery and JWKS get CORS and nothing else; no route here reads a body, cookie or session.
import express, { type Express } from 'express';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { discoveryHandler } from '../oidc/discovery.js';
import { jwksHandler } from '../oidc/jwks.js';
import { publicDir, viewsDir } from '../paths.js';
import type { KeyRing } from '../signing/key-ring.js';
import type { Store } from '../store/store.js';
import { errorHandler, notFound } from './error-handler.js';
import { healthHandler, readinessHandler } from './health.js';
import { publicCors } from './middleware/cors.js';
import { requestLog } from './middleware/request-log.js';
import { securityHeaders } from './middleware/security-headers.js';
import { routes, routeUrl } from './routes.js';

export interface AppDependencies {
  config: Config;
  store: Store;
  keyRing: KeyRing;
  clock: Clock;
  logger: Logger;
}

export function createApp({ config, store, keyRing, logger }: AppDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  // Our cacheable documents carry their own precomputed ETags.
  app.set('etag', false);
  app.set('trust proxy', config.trustProxy);
  app.set('views', viewsDir);
  app.set('view engine', 'ejs');
  app.set('view cache', true);
  app.locals.basePath = config.basePath;

  const router = express.Router();
  router.options([routes.discovery, routes.jwks], publicCors);
  router.get(routes.discovery, publicCors, discoveryHandler(config));
  router.get(routes.jwks, publicCors, jwksHandler(keyRing, config.jwksMaxAge));
  router.get(routes.health, healthHandler);
  router.get(routes.readiness, readinessHandler(store));
  router.get(routes.home, (_req, res) => {
    res.render('home', { title: 'Single sign-on', issuer: config.issuer, discoveryUrl: routeUrl(config.issuer, 'discovery') });
  });
  router.use(routes.static, express.static(publicDir, { index: false, maxAge: '1h' }));

  app.use(requestLog(logger));
  app.use(securityHeaders({ https: config.issuer.startsWith('https:') }));
  app.use(config.basePath || '/', router);
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
