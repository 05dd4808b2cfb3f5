// What POST /register (src/oidc/registration.ts) and the client configuration endpoint (src/oidc/client-configuration.ts)
// share on the wire: the JSON body (RFC 7591 §3.1: application/json, here at most 128 KiB), the bearer token
// (RFC 6750 §2.1: an initial access token, or a registration access token), CORS for browser-based developer tools
// (bearer tokens, never cookies, so any origin may call, as at the token endpoint), and the 429 answer.
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { retryAfterSeconds } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { GatehouseError, InvalidClientMetadata, InvalidToken } from '../errors.js';
import type { Resolver } from '../http/outbound-request.js';
import { cors } from '../http/middleware/cors.js';
import type { RegistrationContext } from '../manage/registered-clients.js';
import type { Store } from '../store/store.js';

/** RFC 7591 §3: a registration request is a few URIs and names; 128 KiB leaves room for an inline JWKS of 10 keys. */
export const MAX_REGISTRATION_BYTES = 128 * 1024;

/** A body over MAX_REGISTRATION_BYTES: still invalid_client_metadata, with 413 (RFC 9110 §15.5.14). */
export class MetadataTooLarge extends InvalidClientMetadata {
  override readonly status = 413;
}

const jsonParser = express.json({ limit: MAX_REGISTRATION_BYTES, type: 'application/json' });

/** Only application/json is read (RFC 7591 §3.1); anything else is refused before the body is. */
const requireJson: RequestHandler = (req, _res, next) => {
  if (req.is('application/json')) next();
  else next(new InvalidClientMetadata('the request body must be a JSON object sent with Content-Type: application/json (RFC 7591 §3.1)'));
};

/**
 * The JSON parser's refusals (malformed JSON, another charset, too large: body-parser's errors, which carry a
 * `type`) as invalid_client_metadata; any other error (a refusal of an earlier handler) goes on as it is.
 */
const jsonRefusal: ErrorRequestHandler = (error: unknown, _req, _res, next) => {
  const type = (error as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || error instanceof GatehouseError) next(error);
  else if (type === 'entity.too.large') next(new MetadataTooLarge(`the request body must be at most ${MAX_REGISTRATION_BYTES / 1024} KiB`));
  else next(new InvalidClientMetadata('the request body is not a JSON object of client metadata in UTF-8 (RFC 7591 §3.1)'));
};

/**
 * Parses an application/json body; anything else (another content type, malformed JSON, another charset) is
 * invalid_client_metadata, before any of it is read as metadata.
 */
export const parseRegistrationJson = [requireJson, jsonParser, jsonRefusal];

/** RFC 6750 §2.1: the bearer token of the Authorization header; null when there is none. */
export function bearerToken(req: Request): string | null {
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(req.headers.authorization ?? '');
  return match?.[1] ?? null;
}

/** RFC 6750 §3.1: no token at all is answered with the bare challenge. */
export function missingToken(what: string): InvalidToken {
  return new InvalidToken(`${what} is required as a bearer token (Authorization: Bearer …)`, undefined, { challengeOnly: true });
}

/** RFC 6585 §4: 429 with Retry-After; nothing was read or stored. */
export function refuseThrottled(res: Response, retryAt: number, clock: Clock, what: string): void {
  const seconds = retryAfterSeconds(retryAt, clock.now());
  res.status(429).setHeader('Retry-After', String(seconds));
  res.json({ error: 'temporarily_unavailable', error_description: `too many ${what} from this address; try again in ${seconds} seconds` });
}

/** Cross-origin calls with a bearer token (no cookies): the registration endpoint and the configuration endpoint. */
export const registrationCors = cors({ methods: 'POST', headers: 'Authorization, Content-Type' });
export const configurationCors = cors({ methods: 'GET, PUT, DELETE', headers: 'Authorization, Content-Type' });

export interface RegistrationEndpointDependencies {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'issuer' | 'passwordMinLength' | 'allowPrivateClientUrls' | 'registrationAllowPrivateUrls'>;
  resolve?: Resolver;
}

/** The management context of one request. */
export function registrationContext(deps: RegistrationEndpointDependencies, req: Request): RegistrationContext {
  return { store: deps.store, clock: deps.clock, config: deps.config, resolve: deps.resolve, ip: req.ip ?? null };
}
