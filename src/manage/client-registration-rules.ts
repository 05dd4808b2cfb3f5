// The rules a client's registration is held to, at creation and at every update (src/manage/clients.ts applies them
// before anything is written): its name, its URIs, its refresh reuse grace, and its kind. Issue 22 adds two kinds
// beside the browser application (authorization code):
// - a machine client (`machine`): confidential, grant types ['client_credentials'] only, scopes [] (OIDC scopes mean
//   nothing to it), and none of what concerns a person: no redirect, post-logout or back-channel URIs, no
//   multi-factor or group rule, no login URI;
// - a device client (`device`): may use the device authorization grant (RFC 8628), public or confidential; without
//   redirect URIs it uses only that grant ([device_code, refresh_token]) and takes none later.
// Whether a client is a machine, a device or a browser application is fixed at registration, like its type: later it
// is read back from its grant types (shapeOf). How a client authenticates (a secret or its keys) is
// src/manage/client-keys.ts's.
import { MAX_REFRESH_REUSE_GRACE, type Config } from '../config.js';
import { ValidationError } from '../errors.js';
import { CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT, type ClientRecord } from '../store/records.js';
import type { AccessSettings } from './client-access.js';
import { checkPublicClientUrl } from './client-urls.js';
import { checkClientUri } from './redirect-uris.js';

export const DEFAULT_GRANT_TYPES = ['authorization_code', 'refresh_token'];
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];

/** What a client is, by its grants: decided at registration (see the head of this file). */
export interface ClientShape {
  machine: boolean;
  /** Uses the authorization code grant, and so needs a redirect URI. */
  code: boolean;
}

/** The kind a new client asks for (NewClientInput's fields). */
export interface ClientKindInput {
  isPublic?: boolean;
  machine?: boolean;
  device?: boolean;
  redirectUris: string[];
}

/** The settings that concern a person, which a machine client has none of (ClientSettings' fields). */
export type PersonSettings = Pick<AccessSettings, 'accessPolicy' | 'accessGroups' | 'initiateLoginUri'> & {
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  backchannelLogoutUri?: string | null;
  requireMfa?: boolean;
};

/** What the rules read of a registration (ClientSettings' fields). */
export type RegistrationSettings = PersonSettings & {
  name: string;
  refreshReuseGrace?: number | null;
  jwksUri?: string | null;
};

const MACHINE = 'a machine client signs in no person';
const MAX_NAME_LENGTH = 200;

/** A registered client's shape, read back from its grant types. */
export function shapeOf(client: Pick<ClientRecord, 'grantTypes'>): ClientShape {
  return { machine: client.grantTypes.includes(CLIENT_CREDENTIALS_GRANT), code: client.grantTypes.includes('authorization_code') };
}

/**
 * A new client's shape, or a ValidationError for a kind that cannot be: a public machine (it would have no way to
 * authenticate), a machine using the device flow. A device client without redirect URIs does not use the code grant.
 */
export function newClientShape(input: ClientKindInput): ClientShape {
  const machine = input.machine ?? false;
  const device = input.device ?? false;
  if (machine && (input.isPublic ?? false)) {
    throw new ValidationError('client_type', 'a machine client is confidential: it authenticates with a secret or with its key (private_key_jwt)');
  }
  if (machine && device) throw new ValidationError('device', `${MACHINE}: the device flow is for applications people sign in to`);
  return { machine, code: !machine && (!device || input.redirectUris.length > 0) };
}

/** A machine client has none of the settings that concern a person (they would be silently ignored). */
function checkMachineSettings(input: PersonSettings): void {
  if (input.redirectUris.length > 0) throw new ValidationError('redirect_uri', `${MACHINE}: it has no redirect URIs`);
  if ((input.postLogoutRedirectUris ?? []).length > 0) throw new ValidationError('post_logout_redirect_uri', `${MACHINE}: it has no post-logout redirect URIs`);
  if ((input.backchannelLogoutUri ?? null) !== null) throw new ValidationError('backchannel_logout_uri', `${MACHINE}: it has no back-channel logout URI`);
  if (input.requireMfa === true) throw new ValidationError('require_mfa', `${MACHINE}: it has no multi-factor rule`);
  if (input.accessPolicy === 'groups' || (input.accessGroups ?? []).some((group) => group.trim() !== '')) {
    throw new ValidationError('access_groups', `${MACHINE}: it has no access rule (grant it the APIs it may call instead)`);
  }
  if (input.initiateLoginUri) throw new ValidationError('initiate_login_uri', `${MACHINE}: it has no login URI`);
}

/**
 * The settings a client of this shape may have, at registration and at every update: a machine none that concern a
 * person, a code-flow client at least one redirect URI, a device-only client none.
 */
export function checkShapeSettings(input: PersonSettings, shape: ClientShape): void {
  if (shape.machine) checkMachineSettings(input);
  else if (shape.code && input.redirectUris.length === 0) throw new ValidationError('redirect_uri', 'a client needs at least one redirect_uri');
  else if (!shape.code && input.redirectUris.length > 0) {
    throw new ValidationError('redirect_uri', 'this client uses only the device flow and has no redirect URIs (register another client for a browser sign-in)');
  }
}

/** The grant types of a new client: see the head of this file. */
export function grantTypesOf(shape: ClientShape, device: boolean): string[] {
  if (shape.machine) return [CLIENT_CREDENTIALS_GRANT];
  if (!device) return DEFAULT_GRANT_TYPES;
  return shape.code ? [...DEFAULT_GRANT_TYPES, DEVICE_CODE_GRANT] : [DEVICE_CODE_GRANT, 'refresh_token'];
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw new ValidationError('name', 'the client needs a name');
  if (trimmed.length > MAX_NAME_LENGTH) throw new ValidationError('name', `the name must be at most ${MAX_NAME_LENGTH} characters long`);
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) throw new ValidationError('name', 'the name must not contain control characters');
  return trimmed;
}

const GRACE_RULE = `the refresh reuse grace must be a whole number of seconds from 0 to ${MAX_REFRESH_REUSE_GRACE}`;

function checkGrace(grace: number | null | undefined): number | null | undefined {
  if (grace === undefined || grace === null) return grace;
  if (!Number.isInteger(grace) || grace < 0 || grace > MAX_REFRESH_REUSE_GRACE) throw new ValidationError('refresh_reuse_grace', GRACE_RULE);
  return grace;
}

/** A grace as typed (the admin form, `idp client`): digits only; the range is checked with the other rules. */
export function graceFromText(text: string): number {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed)) throw new ValidationError('refresh_reuse_grace', GRACE_RULE);
  return Number(trimmed);
}

function checkUris(uris: string[], field: string): string[] {
  uris.forEach((uri) => checkClientUri(uri, field));
  return [...new Set(uris)];
}

/** The address rules of the configuration for the URLs Gatehouse requests itself (addressRule); each applies to a new value. */
export interface UrlRules {
  backchannel?: (uri: string) => void;
  jwksUri?: (uri: string) => void;
}

/**
 * The rules of every setting. The backchannel rule, the address rule of the configuration (addressRule), comes before
 * the scheme rule, so that a private address is refused as such rather than for its http.
 */
export function checkRegistration(input: RegistrationSettings, shape: ClientShape, rules: UrlRules = {}) {
  const name = checkName(input.name);
  checkShapeSettings(input, shape);
  if (input.jwksUri) rules.jwksUri?.(input.jwksUri);
  const redirectUris = checkUris(input.redirectUris, 'redirect_uri');
  const postLogoutRedirectUris = checkUris(input.postLogoutRedirectUris ?? [], 'post_logout_redirect_uri');
  const backchannelLogoutUri = input.backchannelLogoutUri ?? null;
  if (backchannelLogoutUri !== null) {
    rules.backchannel?.(backchannelLogoutUri);
    checkClientUri(backchannelLogoutUri, 'backchannel_logout_uri');
  }
  return { name, redirectUris, postLogoutRedirectUris, backchannelLogoutUri, refreshReuseGrace: checkGrace(input.refreshReuseGrace) };
}

/**
 * The refusal of private addresses for the URLs Gatehouse requests itself (the back-channel logout URI, the JWKS
 * URI), unless the configuration allows them (ALLOW_PRIVATE_CLIENT_URLS, src/manage/client-urls.ts).
 */
export function addressRule(config: Pick<Config, 'allowPrivateClientUrls'>, field: 'backchannel_logout_uri' | 'jwks_uri'): ((uri: string) => void) | undefined {
  if (config.allowPrivateClientUrls) return undefined;
  return (uri) => checkPublicClientUrl(uri, field);
}
