// Registering relying applications: the rules shared by the `idp` tool and the admin screens.
// The client secret is returned once, at creation or rotation, and stored only as a SHA-256 hash.
//
// The rules of each setting and of each kind of client (issue 22: machine, device) are in
// src/manage/client-registration-rules.ts. A private_key_jwt client (`jwks` or `jwksUri`, RFC 7523) is confidential
// and holds no secret. Giving keys to a client that has a secret drops the secret (the keys replace it);
// rotateClientSecret refuses a client with keys, and useClientSecret switches one back (its keys go, a new secret is
// shown once). A private_key_jwt client cannot lose its keys otherwise: it would have no way to authenticate.
// Issue 24: a client is first-party (the default for an administrator's) or third-party (always, at first, for one
// registered through POST /register, origin 'dynamic'), and may name its home page, policy and terms; those rules
// are src/manage/client-third-party.ts's. Dynamic registration (src/oidc/registration.ts) registers through
// createClient, so that every rule here applies to strangers' clients too.
// Issue 28: a client may be required to push its authorization requests (RFC 9126 §6) and to bind its access tokens
// with DPoP (RFC 9449 §5.2); those rules are src/manage/client-sender-constraints.ts's.
import { hashSecret, randomId, randomSecret } from '../auth/secrets.js';
import type { Config } from '../config.js';
import { NotFoundError, PreconditionFailed, ValidationError } from '../errors.js';
import type { ClientApiAccess, ClientPatch, ClientRecord, NewClient } from '../store/records.js';
import { accessChanges, accessFields, accessFieldsAsGiven, DEFAULT_ACCESS, formatGroupsClaim, type AccessFields, type AccessSettings } from './client-access.js';
import { grantSummary, NO_APIS, planClientApis, writeGrants, type ClientApiSettings } from './client-apis.js';
import { addressRule, checkRegistration, grantTypesOf, newClientShape, shapeOf, type UrlRules } from './client-registration-rules.js';
import { keysChange, plannedKeys, type ClientKeys } from './client-keys.js';
import { NO_SENDER_CONSTRAINTS, senderConstraintChanges, senderConstraintFields, type SenderConstraintSettings } from './client-sender-constraints.js';
import {
  authMethodOf,
  checkOrigin,
  checkScopes,
  NO_THIRD_PARTY,
  scopesChange,
  secretMethodChange,
  thirdPartyChanges,
  thirdPartyFields,
  type RegistrationOrigin,
  type ThirdPartySettings,
} from './client-third-party.js';
import { audit, type ManageContext } from './users.js';

export { formatGroupsClaim, parseGroupsClaim, resolveGroupLists } from './client-access.js';
export { DEFAULT_GRANT_TYPES, DEFAULT_SCOPES, graceFromText } from './client-registration-rules.js';
export { setClientAccess, setClientKeys, setClientRefreshReuseGrace, setClientRequireMfa, setClientSettings, setClientThirdParty } from './client-rules.js';
export { rotateClientSecret, useClientSecret } from './client-secrets.js';
export type { ThirdPartySettings } from './client-third-party.js';
export type { SenderConstraintSettings } from './client-sender-constraints.js';

/**
 * The management context with the configuration's rule for the URLs Gatehouse itself requests
 * (ALLOW_PRIVATE_CLIENT_URLS, src/manage/client-urls.ts): required, so that no way of registering a client
 * skips the rule; each delivery applies it again.
 */
export interface ClientContext extends ManageContext {
  config: Pick<Config, 'allowPrivateClientUrls'>;
}

/**
 * What may change after registration too (updateClient); checked by the same rules as at creation. The access
 * settings (AccessSettings, src/manage/client-access.ts: accessPolicy, accessGroups and claimGroups as group
 * names or ids, groupsClaim as 'all' | 'listed' | 'prefix:P', initiateLoginUri, logoUri, accessContact) keep
 * their value when absent; null or empty text clears an optional URI or the contact. So do the issue-24 settings
 * (ThirdPartySettings, src/manage/client-third-party.ts: thirdParty, clientUri, policyUri, tosUri) and the issue-28 ones
 * (SenderConstraintSettings, src/manage/client-sender-constraints.ts: requirePushedAuthorizationRequests,
 * dpopBoundAccessTokens).
 */
export interface ClientSettings extends AccessSettings, ThirdPartySettings, SenderConstraintSettings {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  /** Absent (or null) for no back-channel logout. */
  backchannelLogoutUri?: string | null;
  /** Everyone signing in to it passes a second factor; absent leaves it as it is (false for a new client). */
  requireMfa?: boolean;
  /**
   * Seconds within which a spent refresh token presented again by this client is a retry, not reuse
   * (src/oidc/grants/refresh-retry.ts); null for the server's REFRESH_REUSE_GRACE; absent leaves it as it is.
   */
  refreshReuseGrace?: number | null;
  /**
   * The client's public JWKS as text (src/manage/client-keys.ts checkJwks) or the URI where it publishes one: either
   * makes it a private_key_jwt client. Absent (both) leaves the keys as they are; giving one replaces the other; empty
   * text or null clears (refused for a private_key_jwt client: see useClientSecret).
   */
  jwks?: string | null;
  jwksUri?: string | null;
  /**
   * A client with a secret sends it in the form (client_secret_post) rather than the Authorization header
   * (client_secret_basic); absent keeps it (basic for a new client). True is refused for a public or keys client.
   */
  secretPost?: boolean;
  /** The OIDC scopes it may request: a subset of DEFAULT_SCOPES with openid; absent keeps them (all of them, none for a machine, when new). */
  scopes?: string[];
}

export interface NewClientInput extends ClientSettings, RegistrationOrigin {
  isPublic?: boolean;
  /** 'optional' only for confidential clients (the OpenID certification suite's static client needs it). */
  pkce?: 'required' | 'optional';
  /** A machine client: client_credentials only (see src/manage/client-registration-rules.ts). */
  machine?: boolean;
  /** May use the device authorization grant; redirect URIs then optional. */
  device?: boolean;
  /** The APIs it may request tokens for, or introspect (src/manage/client-apis.ts); none unless given. */
  apis?: ClientApiSettings;
}

export interface ClientWithSecret {
  client: ClientRecord;
  /** Present for confidential clients, only in this one answer. */
  clientSecret: string | null;
}

const NO_KEYS: ClientKeys = { jwks: null, jwksUri: null };

/** Issue 26 (the management API's If-Match): the version the caller read, when it names one. */
export interface ClientWriteOptions {
  expectedVersion?: number;
}

function staleVersion(client: ClientRecord): PreconditionFailed {
  return new PreconditionFailed(`the client ${client.clientId} has changed since it was read (version ${client.version} now): read it again`);
}

/** After a conditional write matched nothing: the client changed (PreconditionFailed) or is gone (NotFoundError). */
async function lostWrite(ctx: ManageContext, clientId: string): Promise<never> {
  const now = await ctx.store.clients.findById(clientId);
  throw now ? staleVersion(now) : new NotFoundError(`no client ${JSON.stringify(clientId)}`);
}

const versionCondition = (options: ClientWriteOptions) => (options.expectedVersion === undefined ? undefined : { onlyIfVersion: options.expectedVersion });

export async function findClient(ctx: ManageContext, clientId: string): Promise<ClientRecord> {
  const client = await ctx.store.clients.findById(clientId);
  if (!client) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  return client;
}

/** A new client as its settings make it, every rule checked; only its id and secret are still to come. */
interface PlannedClient {
  fields: Omit<NewClient, 'clientId' | 'secretHash'>;
  apis: ClientApiAccess[];
  /** It authenticates with a secret (confidential, no keys). */
  withSecret: boolean;
}

/** Every rule of createClient, every API and group named looked up: a ValidationError or NotFoundError, nothing written. */
async function planClient(ctx: ClientContext, input: NewClientInput): Promise<PlannedClient> {
  const isPublic = input.isPublic ?? false;
  const shape = newClientShape(input);
  const rules = { backchannel: addressRule(ctx.config, 'backchannel_logout_uri'), jwksUri: addressRule(ctx.config, 'jwks_uri') };
  const { name, redirectUris, postLogoutRedirectUris, backchannelLogoutUri, refreshReuseGrace } = checkRegistration(input, shape, rules);
  // RFC 9700 §2.1.1: a public client has no other defence against code interception.
  if (isPublic && input.pkce === 'optional') throw new ValidationError('pkce', 'PKCE cannot be optional for a public client');
  const keys = plannedKeys(input, isPublic) ?? NO_KEYS;
  const privateKeyJwt = keys.jwks !== null || keys.jwksUri !== null;
  const grantTypes = grantTypesOf(shape, input.device ?? false);
  const clientType = isPublic ? 'public' : 'confidential';
  const tokenEndpointAuthMethod = authMethodOf(isPublic, privateKeyJwt, input.secretPost);
  const scopes = checkScopes(input.scopes, shape);
  const thirdParty = thirdPartyFields({ ...input, thirdParty: input.thirdParty ?? input.origin === 'dynamic' }, NO_THIRD_PARTY, shape);
  const origin = checkOrigin(input);
  const constraints = senderConstraintFields(input, NO_SENDER_CONSTRAINTS, shape);
  const access = await accessFields(ctx.store, input, DEFAULT_ACCESS);
  const apis = await planClientApis(ctx.store, { clientType, grantTypes }, input.apis ?? NO_APIS);
  const fields = {
    ...{ name, clientType, tokenEndpointAuthMethod, redirectUris, postLogoutRedirectUris, backchannelLogoutUri, grantTypes, scopes },
    ...{ pkceRequired: input.pkce !== 'optional', requireMfa: input.requireMfa ?? false, refreshReuseGrace: refreshReuseGrace ?? null },
    ...{ ...keys, ...access, ...thirdParty, ...origin, ...constraints },
  } satisfies PlannedClient['fields'];
  return { fields, apis, withSecret: !isPublic && !privateKeyJwt };
}

/**
 * Checks a registration by every rule of createClient without writing anything (POST /register checks before it
 * spends a use of an initial access token: a refused registration spends nothing).
 */
export async function checkNewClient(ctx: ClientContext, input: NewClientInput): Promise<void> {
  await planClient(ctx, input);
}

/**
 * Registers a client; every rule is checked (and every API named looked up) before anything is written. Audited as
 * `client.created` with its kind, authentication method, API grants, scopes, third_party, origin and (issue 28) whether
 * it must push its requests and bind its tokens with DPoP.
 */
export async function createClient(ctx: ClientContext, input: NewClientInput): Promise<ClientWithSecret> {
  const { fields, apis, withSecret } = await planClient(ctx, input);
  const clientSecret = withSecret ? randomSecret() : null;
  const client = await ctx.store.clients.create({ ...fields, clientId: randomId(), secretHash: clientSecret === null ? null : hashSecret(clientSecret) }, ctx.clock.now());
  if (apis.length > 0) {
    try {
      await writeGrants(ctx.store, client.clientId, apis);
    } catch (error) {
      // An API deleted since it was looked up: the registration is refused whole.
      await ctx.store.clients.delete(client.clientId);
      throw error;
    }
  }
  await audit(
    ctx,
    'client.created',
    client.clientId,
    {
      public: client.clientType === 'public',
      machine: input.machine ?? false,
      device: input.device ?? false,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      grant_types: client.grantTypes,
      pkce_required: client.pkceRequired,
      require_mfa: client.requireMfa,
      refresh_reuse_grace: client.refreshReuseGrace,
      access_policy: client.accessPolicy,
      access_groups: client.accessGroups,
      claim_groups: client.claimGroups,
      groups_claim: formatGroupsClaim(client.groupsClaim),
      jwks: client.jwks !== null,
      jwks_uri: client.jwksUri,
      apis: grantSummary(apis),
      scope: client.scopes.join(' '),
      third_party: client.thirdParty,
      origin: client.origin,
      require_pushed_authorization_requests: client.requirePushedAuthorizationRequests,
      dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    },
    client.clientId,
  );
  return { client, clientSecret };
}

export interface ClientUpdate {
  client: ClientRecord;
  /** The settings that changed, by their registration names (RFC 7591 §2); empty when nothing did. */
  changed: string[];
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((value, i) => value === b[i]);

/**
 * What `input` would change in `client`, after the rules of createClient (a ValidationError if it breaks one);
 * `access` is what the access settings make of the client's (accessFields).
 */
function plannedUpdate(client: ClientRecord, input: ClientSettings, access: AccessFields, rules: UrlRules = {}): { patch: ClientPatch; changed: string[] } {
  const settings = checkRegistration(input, shapeOf(client), rules);
  const patch: ClientPatch = {};
  const changed: string[] = [];
  const keys = keysChange(client, input);
  if (settings.name !== client.name) {
    patch.name = settings.name;
    changed.push('client_name');
  }
  if (!sameList(settings.redirectUris, client.redirectUris)) {
    patch.redirectUris = settings.redirectUris;
    changed.push('redirect_uris');
  }
  if (!sameList(settings.postLogoutRedirectUris, client.postLogoutRedirectUris)) {
    patch.postLogoutRedirectUris = settings.postLogoutRedirectUris;
    changed.push('post_logout_redirect_uris');
  }
  if (settings.backchannelLogoutUri !== client.backchannelLogoutUri) {
    patch.backchannelLogoutUri = settings.backchannelLogoutUri;
    changed.push('backchannel_logout_uri');
  }
  if (input.requireMfa !== undefined && input.requireMfa !== client.requireMfa) {
    patch.requireMfa = input.requireMfa;
    changed.push('require_mfa');
  }
  if (settings.refreshReuseGrace !== undefined && settings.refreshReuseGrace !== client.refreshReuseGrace) {
    patch.refreshReuseGrace = settings.refreshReuseGrace;
    changed.push('refresh_reuse_grace');
  }
  const shape = shapeOf(client);
  const scopes = scopesChange(client, input.scopes, shape);
  if (scopes !== undefined) {
    patch.scopes = scopes;
    changed.push('scope');
  }
  const method = secretMethodChange(keys.patch.tokenEndpointAuthMethod ?? client.tokenEndpointAuthMethod, input.secretPost);
  if (method !== (keys.patch.tokenEndpointAuthMethod ?? client.tokenEndpointAuthMethod)) {
    patch.tokenEndpointAuthMethod = method;
    changed.push('token_endpoint_auth_method');
  }
  const accessChange = accessChanges(client, access);
  const thirdParty = thirdPartyChanges(client, thirdPartyFields(input, client, shape));
  const constraints = senderConstraintChanges(client, senderConstraintFields(input, client, shape));
  return {
    patch: { ...patch, ...keys.patch, ...accessChange.patch, ...thirdParty.patch, ...constraints.patch },
    changed: [...changed, ...keys.changed, ...accessChange.changed, ...thirdParty.changed, ...constraints.changed],
  };
}

/**
 * The settings (registration names, as updateClient audits them) that `input` would change, without writing
 * anything: the admin screens ask for a recent sign-in when any but the name would. Throws the ValidationError
 * updateClient would. Group lists are compared as ids: resolve names first (resolveGroupLists), or a list of
 * names counts as changed (asking for more, never less).
 */
export function clientChanges(client: ClientRecord, input: ClientSettings): string[] {
  return plannedUpdate(client, input, accessFieldsAsGiven(input, client)).changed;
}

/**
 * Replaces a client's name and URIs (and the other settings given), checked by the rules of createClient. Only a real
 * change is written and audited (`client.updated`, naming the changed settings, with third_party and origin); its
 * type, kind (machine, device), PKCE rule, origin and secret stay as registered, except that keys given to a client
 * with a secret replace the secret (private_key_jwt).
 * The address rule applies to a new back-channel logout URI (or JWKS URI) only: one stored before the rule (or while the
 * configuration allowed it) does not block editing the rest, and each delivery to it is still checked.
 * Issue 26: with `options.expectedVersion` (the management API's If-Match) it writes only while the client is at that
 * version (PreconditionFailed otherwise, nothing written); deleteClient takes the same option.
 */
export async function updateClient(ctx: ClientContext, clientId: string, input: ClientSettings, options: ClientWriteOptions = {}): Promise<ClientUpdate> {
  const client = await findClient(ctx, clientId);
  if (options.expectedVersion !== undefined && client.version !== options.expectedVersion) throw staleVersion(client);
  const newBackchannel = (input.backchannelLogoutUri ?? null) !== client.backchannelLogoutUri;
  const newJwksUri = Boolean(input.jwksUri) && input.jwksUri !== client.jwksUri;
  const rules: UrlRules = {
    backchannel: newBackchannel ? addressRule(ctx.config, 'backchannel_logout_uri') : undefined,
    jwksUri: newJwksUri ? addressRule(ctx.config, 'jwks_uri') : undefined,
  };
  // Every rule first (nothing read for settings that break one), then the group names resolved.
  plannedUpdate(client, input, accessFieldsAsGiven(input, client), rules);
  const { patch, changed } = plannedUpdate(client, input, await accessFields(ctx.store, input, client), rules);
  if (changed.length === 0) return { client, changed };
  // With a version expected, one conditional write: of two updates that read the same version, one wins.
  const updated = (await ctx.store.clients.update(clientId, patch, ctx.clock.now(), versionCondition(options))) ?? (await lostWrite(ctx, clientId));
  await audit(ctx, 'client.updated', clientId, { changed, third_party: updated.thirdParty, origin: updated.origin }, clientId);
  return { client: updated, changed };
}

export async function deleteClient(ctx: ManageContext, clientId: string, options: ClientWriteOptions = {}): Promise<ClientRecord> {
  const client = await findClient(ctx, clientId);
  if (options.expectedVersion !== undefined && client.version !== options.expectedVersion) throw staleVersion(client);
  // Its codes and refresh tokens go with it (ON DELETE CASCADE); with a version expected, only while it has that one.
  if (!(await ctx.store.clients.delete(clientId, versionCondition(options)))) await lostWrite(ctx, clientId);
  await audit(ctx, 'client.deleted', clientId, { name: client.name, third_party: client.thirdParty, origin: client.origin }, clientId);
  return client;
}
