// The client configuration endpoint (RFC 7592; issue 24): /register/<client_id>, the `registration_client_uri` of a
// registration response, where a dynamically registered client reads (GET), replaces (PUT) and deletes (DELETE) its
// registration with its registration access token as a bearer token. RFC 7592 §3 defines no discovery field for it:
// a client learns it from its registration response.
// - Authentication: an unknown client, a client an administrator created (it has no registration access token) and
//   a wrong token all get the same 401 invalid_token (RFC 7592 §2: "the authorization server MUST NOT ... reveal"
//   whether the client exists), compared in constant time (src/manage/registered-clients.ts). Each wrong token counts
//   on the client address's client authentication budget (Throttle.clientFailure: 100 an hour, shared with the token
//   endpoint); a blocked address's wrong tokens are answered 429, and its right tokens still served, as there.
// - PUT is a full replacement checked by the rules of a registration, and is admitted per address like a
//   registration (it resolves host names and writes); it rotates the registration access token (the old one is then
//   refused) and answers with the new one. A client cannot change its kind (grant types, authentication method).
// - DELETE deletes the client with its consents, codes and tokens: 204.
// Dynamically registered clients keep these endpoints when registration is later closed: their token is theirs.
import type { NextFunction, Request, Response, Router } from 'express';
import type { Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import { InvalidToken } from '../errors.js';
import { authenticateRegistration, deleteRegisteredClient, updateRegisteredClient } from '../manage/registered-clients.js';
import type { ClientRecord } from '../store/records.js';
import { bearerToken, configurationCors, missingToken, parseRegistrationJson, refuseThrottled, registrationContext, type RegistrationEndpointDependencies } from './registration-http.js';
import { clientInformation } from './registration-response.js';
import { noStore } from './token.js';

export interface ClientConfigurationDependencies extends RegistrationEndpointDependencies {
  throttle: Throttle;
  clock: Clock;
}

/** The authenticated client and the token it presented (set by authenticateConfiguration for the handlers). */
interface Authenticated {
  client: ClientRecord;
  token: string;
}

function authenticateConfiguration(deps: ClientConfigurationDependencies) {
  return async (req: Request<{ clientId: string }>, res: Response<unknown, Partial<Authenticated>>, next: NextFunction): Promise<void> => {
    const token = bearerToken(req);
    if (token === null) throw missingToken('the registration access token');
    try {
      res.locals.client = await authenticateRegistration(deps, req.params.clientId, token);
      res.locals.token = token;
    } catch (error) {
      if (!(error instanceof InvalidToken)) throw error;
      const failure = await deps.throttle.clientFailure(req.ip);
      if (failure.counted) throw error;
      refuseThrottled(res, failure.retryAt, deps.clock, 'wrong registration access tokens');
      return;
    }
    next();
  };
}

/** Reads what authenticateConfiguration set. */
function authenticated(res: Response<unknown, Partial<Authenticated>>): Authenticated {
  const { client, token } = res.locals;
  // Stryker disable next-line ConditionalExpression: authenticateConfiguration always sets both before a handler runs
  if (client === undefined || token === undefined) throw new InvalidToken('the registration access token is not valid for this client');
  return { client, token };
}

/** PUT resolves host names and writes: admitted per address under the registration rule, after authentication. */
function admitUpdate(deps: ClientConfigurationDependencies) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const admission = await deps.throttle.admitAddress('registration', req.ip);
    if (admission.allowed) next();
    else refuseThrottled(res, admission.retryAt, deps.clock, 'client registration updates');
  };
}

/** RFC 7592 §2.1: the client's registration as stored (no secret: it is stored hashed). */
function read(deps: ClientConfigurationDependencies) {
  return (_req: Request, res: Response<unknown, Partial<Authenticated>>): void => {
    const { client } = authenticated(res);
    res.json(clientInformation(client, deps.config.issuer, { clientSecret: null, registrationAccessToken: null }));
  };
}

/** RFC 7592 §2.2: the registration replaced, with a new registration access token. */
function update(deps: ClientConfigurationDependencies) {
  return async (req: Request, res: Response<unknown, Partial<Authenticated>>): Promise<void> => {
    const { client, token } = authenticated(res);
    const updated = await updateRegisteredClient(registrationContext(deps, req), client, token, req.body);
    // Stryker disable next-line ObjectLiteral,StringLiteral: a log line only
    req.log.info({ clientId: client.clientId }, 'client registration updated');
    res.json(clientInformation(updated.client, deps.config.issuer, updated));
  };
}

/** RFC 7592 §2.3: the client deleted; 204. */
function remove(deps: ClientConfigurationDependencies) {
  return async (req: Request, res: Response<unknown, Partial<Authenticated>>): Promise<void> => {
    const { client, token } = authenticated(res);
    await deleteRegisteredClient(registrationContext(deps, req), client, token);
    // Stryker disable next-line ObjectLiteral,StringLiteral: a log line only
    req.log.info({ clientId: client.clientId }, 'client registration deleted');
    res.status(204).end();
  };
}

/** Mounts GET, PUT, DELETE (and the CORS preflight) of /<client_id> on the registration router. */
export function clientConfigurationRoutes(router: Router, deps: ClientConfigurationDependencies): void {
  const path = '/:clientId';
  const authenticate = authenticateConfiguration(deps);
  router.options(path, configurationCors);
  router.get(path, configurationCors, noStore, authenticate, read(deps));
  router.put(path, configurationCors, noStore, authenticate, admitUpdate(deps), parseRegistrationJson, update(deps));
  router.delete(path, configurationCors, noStore, authenticate, remove(deps));
}
