// Dynamic client registration (RFC 7591; OpenID Connect Dynamic Client Registration 1.0; issue 24): POST /register
// creates a third-party client from the metadata a developer sends, and answers with its credentials and its
// registration access token; /register/<client_id> is the client configuration endpoint (RFC 7592,
// src/oidc/client-configuration.ts). DYNAMIC_REGISTRATION decides who may register: nobody ('closed', the default:
// 403, and discovery does not advertise the endpoint), anyone ('open'), or whoever holds an initial access token
// from `idp registration token create` ('token'). Every POST is admitted per client address first (the 'registration'
// scope of src/auth/throttle.ts: 20 an hour), so that neither the clients table nor the server's name resolution
// can be flooded; in token mode the token is checked next, and spent only by a registration that passed every rule
// (src/manage/registered-clients.ts). Answers are JSON that no cache keeps; errors are {error, error_description}
// (src/http/error-handler.ts, RFC 7591 §3.2.2).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { RegistrationClosed } from '../errors.js';
import type { Resolver } from '../http/outbound-request.js';
import type { Logger } from '../logger.js';
import { registerClient, usableInitialToken, type RegistrationAdmission } from '../manage/registered-clients.js';
import type { Store } from '../store/store.js';
import { clientConfigurationRoutes } from './client-configuration.js';
import { bearerToken, missingToken, parseRegistrationJson, refuseThrottled, registrationContext, registrationCors } from './registration-http.js';
import { clientInformation } from './registration-response.js';
import { noStore } from './token.js';

export interface RegistrationDependencies {
  store: Store;
  clock: Clock;
  config: Config;
  throttle: Throttle;
  logger: Logger;
  /** Name resolution for the hosts of the URLs clients register (jwks_uri, backchannel_logout_uri); the system's when absent (tests inject one). */
  resolve?: Resolver;
}

/** How this request was admitted (set by admitRegistration for the handler). */
interface Admitted {
  admission: RegistrationAdmission;
}

/**
 * Before the body is read: the mode, the address's budget, and in token mode the initial access token (unknown,
 * expired, revoked or used up: 401 invalid_token, nothing spent).
 */
function admitRegistration(deps: RegistrationDependencies) {
  return async (req: Request, res: Response<unknown, Partial<Admitted>>, next: NextFunction): Promise<void> => {
    const mode = deps.config.dynamicRegistration;
    if (mode === 'closed') throw new RegistrationClosed('Dynamic client registration is not enabled on this server');
    const admission = await deps.throttle.admitAddress('registration', req.ip);
    if (!admission.allowed) {
      // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only
      req.log.info({ retryAt: admission.retryAt }, 'client registration refused: too many from this address');
      refuseThrottled(res, admission.retryAt, deps.clock, 'client registrations');
      return;
    }
    if (mode === 'open') {
      res.locals.admission = { via: 'open' };
    } else {
      const token = bearerToken(req);
      if (token === null) throw missingToken('an initial access token');
      res.locals.admission = await usableInitialToken(registrationContext(deps, req), token);
    }
    next();
  };
}

/** RFC 7591 §3.1 and §3.2.1: registers the client and answers 201 with its information. */
function register(deps: RegistrationDependencies) {
  return async (req: Request, res: Response<unknown, Partial<Admitted>>): Promise<void> => {
    const admission = res.locals.admission;
    // Stryker disable next-line ConditionalExpression: admitRegistration always sets it before this handler runs
    if (admission === undefined) throw new RegistrationClosed('Dynamic client registration is not enabled on this server');
    const registered = await registerClient(registrationContext(deps, req), req.body, admission);
    // Stryker disable next-line ObjectLiteral,StringLiteral: a log line only
    req.log.info({ clientId: registered.client.clientId, via: admission.via }, 'client registered');
    res.status(201).json(clientInformation(registered.client, deps.config.issuer, registered));
  };
}

export function registrationRouter(deps: RegistrationDependencies): Router {
  const router = express.Router();
  router.options('/', registrationCors);
  router.post('/', registrationCors, noStore, admitRegistration(deps), parseRegistrationJson, register(deps));
  clientConfigurationRoutes(router, deps);
  return router;
}
