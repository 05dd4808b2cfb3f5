// Issue 24's settings of an application, checked here for src/manage/clients.ts (so for the `idp` tool, the admin
// screens and dynamic registration, src/oidc/registration.ts, alike):
// - whose application it is: the organisation's own (first-party: no consent asked, as before) or a third party's
//   (consent asked: src/auth/consent-policy.ts). A dynamically registered client (origin 'dynamic', RFC 7591) is
//   always registered third-party; an administrator may later adopt it as first-party (updateClient);
// - the pages a third party names about itself (RFC 7591 §2 client_uri, policy_uri, tos_uri): shown to people on the
//   consent screen as links, never fetched by the server. Held to the redirect URI rules (absolute, no fragment, no
//   credentials, https except on loopback hosts), since a person's browser is sent there;
// - the OIDC scopes it may request (RFC 7591 §2 `scope`), among those every client may hold (DEFAULT_SCOPES);
// - how a client with a secret presents it: client_secret_basic (the default) or client_secret_post (RFC 7591 §2).
import { ValidationError } from '../errors.js';
import type { ClientOrigin, ClientPatch, ClientRecord, TokenEndpointAuthMethod } from '../store/records.js';
import { DEFAULT_SCOPES, type ClientShape } from './client-registration-rules.js';
import { checkClientUri } from './redirect-uris.js';

/** The issue-24 settings that may change after registration too (part of ClientSettings, src/manage/clients.ts). */
export interface ThirdPartySettings {
  /** A third party's application (consent asked); absent keeps it as it is (false for a new admin-created client). */
  thirdParty?: boolean;
  /** RFC 7591 §2: the application's home page; absent keeps it, null or empty text clears it. */
  clientUri?: string | null;
  /** RFC 7591 §2: its privacy policy. */
  policyUri?: string | null;
  /** RFC 7591 §2: its terms of service. */
  tosUri?: string | null;
}

export type ThirdPartyFields = Pick<ClientRecord, 'thirdParty' | 'clientUri' | 'policyUri' | 'tosUri'>;

export const NO_THIRD_PARTY: ThirdPartyFields = { thirdParty: false, clientUri: null, policyUri: null, tosUri: null };

const PAGES = [
  ['clientUri', 'client_uri'],
  ['policyUri', 'policy_uri'],
  ['tosUri', 'tos_uri'],
] as const;

/** A page a person's browser is sent to: the redirect URI rules; null or empty text clears; absent is absent. */
function checkPageUri(uri: string | null | undefined, field: string): string | null | undefined {
  if (uri === undefined || uri === null) return uri;
  if (typeof uri !== 'string') throw new ValidationError(field, `${field} must be text`);
  if (uri.trim() === '') return null;
  checkClientUri(uri, field);
  return uri;
}

/**
 * The issue-24 fields the settings give a client whose fields are `current` (a new client: NO_THIRD_PARTY); absent
 * settings keep theirs. A machine client signs in no person, so no consent is ever asked of anyone for it: it
 * cannot be third-party.
 */
export function thirdPartyFields(input: ThirdPartySettings, current: ThirdPartyFields, shape: ClientShape): ThirdPartyFields {
  const thirdParty = input.thirdParty ?? current.thirdParty;
  if (typeof thirdParty !== 'boolean') throw new ValidationError('third_party', 'third_party must be true or false');
  if (thirdParty && shape.machine) {
    throw new ValidationError('third_party', 'a machine client signs in no person: nobody is asked to consent to it, so it cannot be third-party');
  }
  const next: ThirdPartyFields = { ...current, thirdParty };
  for (const [key, field] of PAGES) {
    const value = checkPageUri(input[key], field);
    // Nobody ever sees a machine client's pages: no person signs in to it, so no consent screen shows them.
    if (shape.machine && value) throw new ValidationError(field, `a machine client signs in no person: no consent screen would show its ${field}`);
    if (value !== undefined) next[key] = value;
  }
  return next;
}

/** The registration names (as client.updated audits them) of the issue-24 fields `next` changes in `client`. */
export function thirdPartyChanges(client: ThirdPartyFields, next: ThirdPartyFields): { patch: ClientPatch; changed: string[] } {
  const patch: ClientPatch = {};
  const changed: string[] = [];
  if (next.thirdParty !== client.thirdParty) {
    patch.thirdParty = next.thirdParty;
    changed.push('third_party');
  }
  for (const [key, field] of PAGES) {
    if (next[key] !== client[key]) {
      patch[key] = next[key];
      changed.push(field);
    }
  }
  return { patch, changed };
}

/** What a new client is told about its registration beyond its settings (NewClientInput's fields). */
export interface RegistrationOrigin {
  /** 'admin' (default: the CLI, the admin screens) or 'dynamic' (POST /register). */
  origin?: ClientOrigin;
  /** A dynamically registered client's registration access token, hashed (hashSecret). */
  registrationTokenHash?: string | null;
  thirdParty?: boolean;
}

/**
 * The origin of a new client and its registration access token hash. A dynamically registered client is third-party
 * (a stranger registered it) and is the only kind with a registration access token (RFC 7592 §3: the client
 * configuration endpoint serves no other).
 */
export function checkOrigin(input: RegistrationOrigin): { origin: ClientOrigin; registrationTokenHash: string | null } {
  // Typed, but a caller may still pass anything.
  const origin: string = input.origin ?? 'admin';
  if (origin !== 'admin' && origin !== 'dynamic') throw new ValidationError('origin', 'the origin must be admin or dynamic');
  const registrationTokenHash = input.registrationTokenHash ?? null;
  if (origin === 'dynamic' && input.thirdParty === false) {
    throw new ValidationError('third_party', 'a dynamically registered client is third-party (an administrator may adopt it as first-party afterwards)');
  }
  if (origin === 'admin' && registrationTokenHash !== null) {
    throw new ValidationError('registration_access_token', 'only a dynamically registered client has a registration access token');
  }
  return { origin, registrationTokenHash };
}

/**
 * The OIDC scopes of a new client (RFC 7591 §2 `scope`): absent, every one (DEFAULT_SCOPES, as before); a machine
 * none (they release claims about a person). Given, a subset of DEFAULT_SCOPES with openid (every sign-in asks for
 * it: src/oidc/requested-scope.ts), without repeats, in the order given.
 */
export function checkScopes(scopes: readonly string[] | undefined, shape: ClientShape): string[] {
  if (shape.machine) {
    if (scopes !== undefined && scopes.length > 0)
      throw new ValidationError('scope', 'a machine client signs in no person: it holds no OpenID Connect scopes (grant it the APIs it may call instead)');
    return [];
  }
  if (scopes === undefined) return [...DEFAULT_SCOPES];
  const unknown = scopes.find((scope) => !DEFAULT_SCOPES.includes(scope));
  if (unknown !== undefined) {
    throw new ValidationError('scope', `scope ${JSON.stringify(unknown.slice(0, 80))} is not one a client registers: use ${DEFAULT_SCOPES.join(', ')}`);
  }
  if (!scopes.includes('openid')) throw new ValidationError('scope', 'the scopes must include openid: every sign-in asks for it');
  return [...new Set(scopes)];
}

/**
 * How a new client authenticates at the token endpoint: none (public), private_key_jwt (it has keys), or with its
 * secret, in the Authorization header (client_secret_basic, the default) or the form (client_secret_post).
 */
export function authMethodOf(isPublic: boolean, privateKeyJwt: boolean, secretPost: boolean | undefined): TokenEndpointAuthMethod {
  if (secretPost === true && (isPublic || privateKeyJwt)) {
    throw new ValidationError(
      'token_endpoint_auth_method',
      `client_secret_post is for a client with a secret; this one ${isPublic ? 'is public' : 'authenticates with its keys (private_key_jwt)'}`,
    );
  }
  if (isPublic) return 'none';
  if (privateKeyJwt) return 'private_key_jwt';
  return secretPost === true ? 'client_secret_post' : 'client_secret_basic';
}

/**
 * What `secretPost` makes of a registered client's method (`current`, after any keys given in the same update):
 * absent keeps it; a client with a secret switches between client_secret_basic and client_secret_post; a public
 * or private_key_jwt client has no secret to send (true is refused, false changes nothing).
 */
export function secretMethodChange(current: TokenEndpointAuthMethod, secretPost: boolean | undefined): TokenEndpointAuthMethod {
  if (secretPost === undefined) return current;
  if (current === 'none' || current === 'private_key_jwt') {
    if (secretPost) authMethodOf(current === 'none', current === 'private_key_jwt', true);
    return current;
  }
  return secretPost ? 'client_secret_post' : 'client_secret_basic';
}

/** What the given scopes (checkScopes' rule) change in the client's; absent changes nothing. Compared as sets. */
export function scopesChange(client: Pick<ClientRecord, 'scopes'>, scopes: readonly string[] | undefined, shape: ClientShape): string[] | undefined {
  if (scopes === undefined) return undefined;
  const next = checkScopes(scopes, shape);
  const same = next.length === client.scopes.length && next.every((scope) => client.scopes.includes(scope));
  return same ? undefined : next;
}
