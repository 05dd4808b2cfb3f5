// The device authorization endpoint (RFC 8628 §3.1, §3.2): a device without a usable browser (a television, a
// command-line tool) asks for a pair of codes. The device code (256 bits) is what it polls the token endpoint with;
// the user code (src/oidc/user-code.ts) is what the person types at /device on another screen. Both are stored only
// hashed. The client authenticates as at the token endpoint (src/oidc/client-auth.ts): a public client with its
// client_id alone (§3.1), which is why the rows one address may leave are bounded (Throttle.admitAddress).
// Scope and `resource` follow the authorization endpoint's rules (src/oidc/requested-scope.ts), except that openid is
// not required: a device may want an API token alone. Every answer is JSON no cache keeps (§3.2, RFC 6749 §5.1).
import type { Request, Response } from 'express';
import { hashSecret, randomSecret } from '../auth/secrets.js';
import { retryAfterSeconds, type Throttle } from '../auth/throttle.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import { ConflictError, StoreUnavailableError, UnauthorizedClient } from '../errors.js';
import { routeUrl } from '../http/routes.js';
import { DEVICE_CODE_GRANT, type NewDeviceCode } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { ClaimCatalog } from './claim-catalog.js';
import { authenticateClient, type ClientAuthDependencies } from './client-auth.js';
import { field } from './form-field.js';
import { grantRequestedScope } from './requested-scope.js';
import { resourceParameter } from './resource.js';
import { drawUserCode, formatUserCode, userCodeHash } from './user-code.js';

/** RFC 8628 §3.2: the minimum seconds between polls (5 is the default the RFC names); each slow_down adds 5. */
export const POLL_INTERVAL_SECONDS = 5;

/**
 * Draws of a user code before giving up. A draw collides only with a code still in the table (live, or expired and
 * not yet swept): with a million of them, five collisions in a row happen once in 10^21 requests, so the fifth
 * failure means something else is wrong.
 */
const MAX_DRAWS = 5;

export type DeviceAuthorizationDependencies = ClientAuthDependencies & {
  store: Store;
  clock: Clock;
  config: Config;
  throttle: Throttle;
  claimCatalog: ClaimCatalog;
};

export interface DeviceAuthorizationResponse {
  device_code: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete: string;
  expires_in: number;
  interval: number;
}

export function deviceAuthorizationEndpoint(deps: DeviceAuthorizationDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const client = await authenticateClient(deps, req);
    if (!client.grantTypes.includes(DEVICE_CODE_GRANT)) throw new UnauthorizedClient('this client may not use the device authorization grant');
    const resources = resourceParameter(body);
    const scope = await grantRequestedScope(deps.store, deps.claimCatalog, client, field(body, 'scope'), resources, { requireOpenid: false });
    // Checked last, so that a malformed request costs the address nothing; counted before anything is stored.
    const admission = await deps.throttle.admitAddress('device_authorization', req.ip);
    if (!admission.allowed) {
      const seconds = retryAfterSeconds(admission.retryAt, deps.clock.now());
      // Stryker disable next-line CallExpression,ObjectLiteral,StringLiteral: a log line only
      req.log.info({ clientId: client.clientId, retryAt: admission.retryAt }, 'device authorization refused: too many from this address');
      res.status(429).setHeader('Retry-After', String(seconds));
      res.json({ error: 'slow_down', error_description: `too many device authorizations from this address; try again in ${seconds} seconds` });
      return;
    }
    const deviceCode = randomSecret();
    const now = deps.clock.now();
    const expiresIn = deps.config.lifetimes.deviceCode;
    const userCode = await storeWithFreshUserCode(deps, (code) => ({
      deviceCodeHash: hashSecret(deviceCode),
      userCodeHash: userCodeHash(code),
      clientId: client.clientId,
      scope: scope.join(' '),
      resources,
      createdAt: now,
      expiresAt: now + expiresIn * 1000,
      interval: POLL_INTERVAL_SECONDS,
    }));
    const shown = formatUserCode(userCode);
    const verificationUri = routeUrl(deps.config.issuer, 'device');
    const answer: DeviceAuthorizationResponse = {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: verificationUri,
      // §3.3.1: the code in the link, for a QR code; the page only fills it in, the person still decides.
      verification_uri_complete: `${verificationUri}?${new URLSearchParams({ user_code: shown }).toString()}`,
      expires_in: expiresIn,
      interval: POLL_INTERVAL_SECONDS,
    };
    res.json(answer);
  };
}

/** Stores the authorization under a user code no other row has (the store refuses a taken hash); returns the code. */
async function storeWithFreshUserCode(deps: Pick<DeviceAuthorizationDependencies, 'store'>, row: (userCode: string) => NewDeviceCode): Promise<string> {
  for (let draw = 1; draw <= MAX_DRAWS; draw += 1) {
    const userCode = drawUserCode();
    try {
      await deps.store.deviceCodes.create(row(userCode));
      return userCode;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new StoreUnavailableError('no free user code could be drawn; try again', `${MAX_DRAWS} user code draws collided`);
}
