// Registering relying applications: the rules shared by the `idp` tool and the admin screens.
// The client secret is returned once, at creation or rotation, and stored only as a SHA-256 hash.
import { hashSecret, randomId, randomSecret } from '../auth/secrets.js';
import { MAX_REFRESH_REUSE_GRACE, type Config } from '../config.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ClientPatch, ClientRecord } from '../store/records.js';
import { accessChanges, accessFields, accessFieldsAsGiven, DEFAULT_ACCESS, formatGroupsClaim, type AccessFields, type AccessSettings } from './client-access.js';
import { checkPublicClientUrl } from './client-urls.js';
import { checkClientUri } from './redirect-uris.js';
import { audit, type ManageContext } from './users.js';

export { formatGroupsClaim, parseGroupsClaim, resolveGroupLists } from './client-access.js';

/**
 * The management context with the configuration's rule for the URLs Gatehouse itself requests
 * (ALLOW_PRIVATE_CLIENT_URLS, src/manage/client-urls.ts): required, so that no way of registering a client
 * skips the rule; each delivery applies it again.
 */
export interface ClientContext extends ManageContext {
  config: Pick<Config, 'allowPrivateClientUrls'>;
}

export const DEFAULT_GRANT_TYPES = ['authorization_code', 'refresh_token'];
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'];
const MAX_NAME_LENGTH = 200;

/**
 * What may change after registration too (updateClient); checked by the same rules as at creation. The access
 * settings (AccessSettings, src/manage/client-access.ts: accessPolicy, accessGroups and claimGroups as group
 * names or ids, groupsClaim as 'all' | 'listed' | 'prefix:P', initiateLoginUri, logoUri, accessContact) keep
 * their value when absent; null or empty text clears an optional URI or the contact.
 */
export interface ClientSettings extends AccessSettings {
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
}

export interface NewClientInput extends ClientSettings {
  isPublic?: boolean;
  /** 'optional' only for confidential clients (the OpenID certification suite's static client needs it). */
  pkce?: 'required' | 'optional';
}

export interface ClientWithSecret {
  client: ClientRecord;
  /** Present for confidential clients, only in this one answer. */
  clientSecret: string | null;
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

/**
 * The rules of every setting. `backchannelRule`, the address rule of the configuration (addressRule), comes before
 * the scheme rule, so that a private address is refused as such rather than for its http.
 */
function checkRegistration(input: ClientSettings, backchannelRule?: (uri: string) => void) {
  const name = checkName(input.name);
  if (input.redirectUris.length === 0) throw new ValidationError('redirect_uri', 'a client needs at least one redirect_uri');
  const redirectUris = checkUris(input.redirectUris, 'redirect_uri');
  const postLogoutRedirectUris = checkUris(input.postLogoutRedirectUris ?? [], 'post_logout_redirect_uri');
  const backchannelLogoutUri = input.backchannelLogoutUri ?? null;
  if (backchannelLogoutUri !== null) {
    backchannelRule?.(backchannelLogoutUri);
    checkClientUri(backchannelLogoutUri, 'backchannel_logout_uri');
  }
  return { name, redirectUris, postLogoutRedirectUris, backchannelLogoutUri, refreshReuseGrace: checkGrace(input.refreshReuseGrace) };
}

/** The refusal of back-channel logout URIs on private addresses, unless the configuration allows them. */
function addressRule(ctx: ClientContext): ((uri: string) => void) | undefined {
  if (ctx.config.allowPrivateClientUrls) return undefined;
  return (uri) => checkPublicClientUrl(uri, 'backchannel_logout_uri');
}

export async function findClient(ctx: ManageContext, clientId: string): Promise<ClientRecord> {
  const client = await ctx.store.clients.findById(clientId);
  if (!client) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  return client;
}

export async function createClient(ctx: ClientContext, input: NewClientInput): Promise<ClientWithSecret> {
  const { name, redirectUris, postLogoutRedirectUris, backchannelLogoutUri, refreshReuseGrace } = checkRegistration(input, addressRule(ctx));
  const isPublic = input.isPublic ?? false;
  // RFC 9700 §2.1.1: a public client has no other defence against code interception.
  if (isPublic && input.pkce === 'optional') throw new ValidationError('pkce', 'PKCE cannot be optional for a public client');
  const access = await accessFields(ctx.store, input, DEFAULT_ACCESS);
  const clientSecret = isPublic ? null : randomSecret();
  const client = await ctx.store.clients.create(
    {
      clientId: randomId(),
      name,
      clientType: isPublic ? 'public' : 'confidential',
      secretHash: clientSecret === null ? null : hashSecret(clientSecret),
      tokenEndpointAuthMethod: isPublic ? 'none' : 'client_secret_basic',
      redirectUris,
      postLogoutRedirectUris,
      backchannelLogoutUri,
      grantTypes: DEFAULT_GRANT_TYPES,
      scopes: DEFAULT_SCOPES,
      pkceRequired: input.pkce !== 'optional',
      requireMfa: input.requireMfa ?? false,
      refreshReuseGrace: refreshReuseGrace ?? null,
      ...access,
    },
    ctx.clock.now(),
  );
  await audit(
    ctx,
    'client.created',
    client.clientId,
    {
      public: isPublic,
      pkce_required: client.pkceRequired,
      require_mfa: client.requireMfa,
      refresh_reuse_grace: client.refreshReuseGrace,
      access_policy: client.accessPolicy,
      access_groups: client.accessGroups,
      claim_groups: client.claimGroups,
      groups_claim: formatGroupsClaim(client.groupsClaim),
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
function plannedUpdate(client: ClientRecord, input: ClientSettings, access: AccessFields, backchannelRule?: (uri: string) => void): { patch: ClientPatch; changed: string[] } {
  const settings = checkRegistration(input, backchannelRule);
  const patch: ClientPatch = {};
  const changed: string[] = [];
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
  const accessChange = accessChanges(client, access);
  return { patch: { ...patch, ...accessChange.patch }, changed: [...changed, ...accessChange.changed] };
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
 * Replaces a client's name and URIs (and its multi-factor rule, when given), checked by the rules of createClient. Only a real change is written and
 * audited (`client.updated`, naming the changed settings); its type, secret and PKCE rule stay as registered.
 * The address rule applies to a new back-channel logout URI only: one stored before the rule (or while the
 * configuration allowed it) does not block editing the rest, and each delivery to it is still checked.
 */
export async function updateClient(ctx: ClientContext, clientId: string, input: ClientSettings): Promise<ClientUpdate> {
  const client = await findClient(ctx, clientId);
  const newBackchannel = (input.backchannelLogoutUri ?? null) !== client.backchannelLogoutUri;
  const backchannelRule = newBackchannel ? addressRule(ctx) : undefined;
  // Every rule first (nothing read for settings that break one), then the group names resolved.
  plannedUpdate(client, input, accessFieldsAsGiven(input, client), backchannelRule);
  const { patch, changed } = plannedUpdate(client, input, await accessFields(ctx.store, input, client), backchannelRule);
  if (changed.length === 0) return { client, changed };
  const updated = await ctx.store.clients.update(clientId, patch, ctx.clock.now());
  if (!updated) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  await audit(ctx, 'client.updated', clientId, { changed }, clientId);
  return { client: updated, changed };
}

export async function rotateClientSecret(ctx: ManageContext, clientId: string): Promise<ClientWithSecret> {
  const client = await findClient(ctx, clientId);
  if (client.clientType === 'public') throw new ValidationError('client', `client ${clientId} is public and has no secret`);
  const clientSecret = randomSecret();
  const updated = await ctx.store.clients.update(clientId, { secretHash: hashSecret(clientSecret) }, ctx.clock.now());
  if (!updated) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  await audit(ctx, 'client.secret_rotated', clientId, {}, clientId);
  return { client: updated, clientSecret };
}

export async function deleteClient(ctx: ManageContext, clientId: string): Promise<ClientRecord> {
  const client = await findClient(ctx, clientId);
  // Its codes and refresh tokens go with it (ON DELETE CASCADE).
  if (!(await ctx.store.clients.delete(clientId))) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  await audit(ctx, 'client.deleted', clientId, { name: client.name }, clientId);
  return client;
}

/** Changes some of the client's rules, its registration otherwise as it is. */
async function setClientRule(ctx: ClientContext, clientId: string, rule: Pick<ClientSettings, 'requireMfa' | 'refreshReuseGrace'> & AccessSettings): Promise<ClientUpdate> {
  const client = await findClient(ctx, clientId);
  return updateClient(ctx, clientId, {
    name: client.name,
    redirectUris: client.redirectUris,
    postLogoutRedirectUris: client.postLogoutRedirectUris,
    backchannelLogoutUri: client.backchannelLogoutUri,
    ...rule,
  });
}

/** Turns the client's "require multi-factor" rule on or off (`idp client require-mfa`). */
export function setClientRequireMfa(ctx: ClientContext, clientId: string, requireMfa: boolean): Promise<ClientUpdate> {
  return setClientRule(ctx, clientId, { requireMfa });
}

/** Sets the client's refresh reuse grace in seconds, or null for the server's (`idp client refresh-reuse-grace`). */
export function setClientRefreshReuseGrace(ctx: ClientContext, clientId: string, refreshReuseGrace: number | null): Promise<ClientUpdate> {
  return setClientRule(ctx, clientId, { refreshReuseGrace });
}

/**
 * Changes some of the client's access settings (who may use it, its groups claim, its login URI, logo and
 * contact), the rest as it is: `idp client set-access`, `set-groups-claim`, `set-initiate-login-uri`, … .
 */
export function setClientAccess(ctx: ClientContext, clientId: string, settings: AccessSettings): Promise<ClientUpdate> {
  return setClientRule(ctx, clientId, settings);
}
