// How the management API shows and takes an application (client): RFC 7591 (and OpenID Connect Registration) names
// the fields, as `idp client --json` does, so a script moves between the two without renaming. Two differences, both
// for the ETag: groups are shown by id (a renamed group does not change the client), and the client's API grants are
// a resource of their own (/clients/{client_id}/apis), since changing them does not change the client's version.
// The secret is never shown, except once in the answer that made it (create, rotate).
import { z } from 'zod';
import { formatGroupsClaim, type ClientSettings, type NewClientInput } from '../manage/clients.js';
import type { ClientApiSettings } from '../manage/client-apis.js';
import type { ClientApiAccess, ClientRecord } from '../store/records.js';
import { iso, timestamp } from './schemas.js';

const uri = z.string().max(2000);
const uris = z.array(uri).max(100);
const optionalUri = uri.nullable();
const groupRefs = z.array(z.string().max(200)).max(100).describe('Group ids (or names, when given).');

export const clientSchema = z
  .strictObject({
    client_id: z.string(),
    client_name: z.string(),
    client_type: z.enum(['confidential', 'public']),
    token_endpoint_auth_method: z.string(),
    redirect_uris: z.array(z.string()),
    post_logout_redirect_uris: z.array(z.string()),
    backchannel_logout_uri: z.string().nullable(),
    grant_types: z.array(z.string()),
    scope: z.string().describe('The OpenID Connect scopes it may request, space-separated.'),
    pkce_required: z.boolean(),
    require_mfa: z.boolean(),
    refresh_reuse_grace: z.number().int().nullable().describe("Seconds; null: the server's REFRESH_REUSE_GRACE."),
    access_policy: z.enum(['everyone', 'groups']),
    access_groups: z.array(z.string()).describe('Ids of the groups whose members may sign in (access_policy groups).'),
    groups_claim: z.string().describe('all, listed, or prefix:P.'),
    claim_groups: z.array(z.string()).describe('Ids of the groups the groups claim lists (groups_claim listed).'),
    initiate_login_uri: z.string().nullable(),
    logo_uri: z.string().nullable(),
    access_contact: z.string().nullable(),
    third_party: z.boolean(),
    origin: z.enum(['admin', 'dynamic']),
    client_uri: z.string().nullable(),
    policy_uri: z.string().nullable(),
    tos_uri: z.string().nullable(),
    jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())) }).nullable(),
    jwks_uri: z.string().nullable(),
    require_pushed_authorization_requests: z.boolean().describe('RFC 9126 §6: its authorization requests must come through the pushed authorization request endpoint.'),
    dpop_bound_access_tokens: z.boolean().describe('RFC 9449 §5.2: every token request must carry a DPoP proof (its access tokens are always DPoP-bound).'),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ title: 'Client' });

export function clientJson(client: ClientRecord): z.input<typeof clientSchema> {
  return {
    client_id: client.clientId,
    client_name: client.name,
    client_type: client.clientType,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    redirect_uris: client.redirectUris,
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    backchannel_logout_uri: client.backchannelLogoutUri,
    grant_types: client.grantTypes,
    scope: client.scopes.join(' '),
    pkce_required: client.pkceRequired,
    require_mfa: client.requireMfa,
    refresh_reuse_grace: client.refreshReuseGrace,
    access_policy: client.accessPolicy,
    access_groups: client.accessGroups,
    groups_claim: formatGroupsClaim(client.groupsClaim),
    claim_groups: client.claimGroups,
    initiate_login_uri: client.initiateLoginUri,
    logo_uri: client.logoUri,
    access_contact: client.accessContact,
    third_party: client.thirdParty,
    origin: client.origin,
    client_uri: client.clientUri,
    policy_uri: client.policyUri,
    tos_uri: client.tosUri,
    jwks: client.jwks === null ? null : (JSON.parse(client.jwks) as { keys: Record<string, unknown>[] }),
    jwks_uri: client.jwksUri,
    require_pushed_authorization_requests: client.requirePushedAuthorizationRequests,
    dpop_bound_access_tokens: client.dpopBoundAccessTokens,
    created_at: iso(client.createdAt),
    updated_at: iso(client.updatedAt),
  };
}

/** The answer of create and rotate: the client, and its new secret, shown this once (null for a client without one). */
export const clientWithSecretSchema = clientSchema
  .extend({ client_secret: z.string().nullable().describe('Shown only in this answer; null for a client without a secret.') })
  .meta({ title: 'ClientWithSecret' });

const apiGrant = z.strictObject({
  identifier: z.string().max(512).describe('The API’s identifier (or id).'),
  scopes: z.array(z.string().max(100)).max(100).nullable().optional().describe('The scopes it may ask for; null or absent: all of them, now and later.'),
});

/** What a client may do with the APIs: request tokens for some (with which scopes), introspect the tokens of others. */
export const clientApisInput = z.strictObject({
  apis: z.array(apiGrant).max(100).describe('The APIs it may request tokens for.'),
  introspect_apis: z.array(z.string().max(512)).max(100).describe('The APIs whose tokens it may introspect (identifiers or ids).'),
});

export const clientApisSchema = z
  .strictObject({
    apis: z.array(z.strictObject({ identifier: z.string(), name: z.string(), scopes: z.array(z.string()).nullable() })),
    introspect_apis: z.array(z.strictObject({ identifier: z.string(), name: z.string() })),
  })
  .meta({ title: 'ClientApis' });

export function clientApisJson(access: readonly ClientApiAccess[]): z.input<typeof clientApisSchema> {
  return {
    apis: access.filter((grant) => grant.role === 'request').map((grant) => ({ identifier: grant.api.identifier, name: grant.api.name, scopes: grant.scopes })),
    introspect_apis: access.filter((grant) => grant.role === 'introspect').map((grant) => ({ identifier: grant.api.identifier, name: grant.api.name })),
  };
}

export function clientApiSettings(input: z.output<typeof clientApisInput>): ClientApiSettings {
  return { request: input.apis.map((grant) => ({ api: grant.identifier, scopes: grant.scopes ?? null })), introspect: input.introspect_apis };
}

/** The settings that may change after registration (PATCH), each optional; create adds its own. */
export const clientSettingsShape = {
  client_name: z.string().max(200),
  redirect_uris: uris,
  post_logout_redirect_uris: uris,
  backchannel_logout_uri: optionalUri,
  token_endpoint_auth_method: z.enum(['client_secret_basic', 'client_secret_post']).describe('For a client with a secret: how it sends it.'),
  require_mfa: z.boolean(),
  refresh_reuse_grace: z.number().int().nullable(),
  scope: z.string().max(1000).describe('The OpenID Connect scopes it may request, space-separated (openid among them).'),
  access_policy: z.enum(['everyone', 'groups']),
  access_groups: groupRefs,
  groups_claim: z.string().max(200),
  claim_groups: groupRefs,
  initiate_login_uri: optionalUri,
  logo_uri: optionalUri,
  access_contact: z.string().max(300).nullable(),
  third_party: z.boolean(),
  client_uri: optionalUri,
  policy_uri: optionalUri,
  tos_uri: optionalUri,
  jwks: z
    .strictObject({ keys: z.array(z.record(z.string(), z.unknown())).max(20) })
    .nullable()
    .describe('Its public keys: it then authenticates with private_key_jwt.'),
  jwks_uri: optionalUri.describe('Where it publishes its public keys: it then authenticates with private_key_jwt.'),
  require_pushed_authorization_requests: z.boolean().describe('RFC 9126 §6: authorization requests only through the pushed authorization request endpoint (false by default).'),
  dpop_bound_access_tokens: z.boolean().describe('RFC 9449 §5.2: every token request must carry a DPoP proof (false by default).'),
};

type SettingsBody = Partial<{ [K in keyof typeof clientSettingsShape]: z.output<(typeof clientSettingsShape)[K]> }>;

const defined = <T extends object>(value: T): T => Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as T;

/**
 * The manage layer's settings from a body: absent fields stay absent (kept by an update), except the ones it replaces
 * whole, which `current` fills (the client as it is, for a PATCH; nothing for a create).
 */
export function clientSettings(body: SettingsBody, current: ClientRecord | null): ClientSettings {
  return defined({
    name: body.client_name ?? current?.name ?? '',
    redirectUris: body.redirect_uris ?? current?.redirectUris ?? [],
    postLogoutRedirectUris: body.post_logout_redirect_uris ?? current?.postLogoutRedirectUris,
    backchannelLogoutUri: body.backchannel_logout_uri === undefined ? current?.backchannelLogoutUri : body.backchannel_logout_uri,
    secretPost: body.token_endpoint_auth_method === undefined ? undefined : body.token_endpoint_auth_method === 'client_secret_post',
    requireMfa: body.require_mfa,
    refreshReuseGrace: body.refresh_reuse_grace,
    scopes: body.scope?.split(' ').filter((scope) => scope !== ''),
    accessPolicy: body.access_policy,
    accessGroups: body.access_groups,
    groupsClaim: body.groups_claim,
    claimGroups: body.claim_groups,
    initiateLoginUri: body.initiate_login_uri,
    logoUri: body.logo_uri,
    accessContact: body.access_contact,
    thirdParty: body.third_party,
    clientUri: body.client_uri,
    policyUri: body.policy_uri,
    tosUri: body.tos_uri,
    jwks: body.jwks === undefined ? undefined : body.jwks === null ? null : JSON.stringify(body.jwks),
    jwksUri: body.jwks_uri,
    requirePushedAuthorizationRequests: body.require_pushed_authorization_requests,
    dpopBoundAccessTokens: body.dpop_bound_access_tokens,
  });
}

/** A new client: its name, what it may change later, and what only a new client chooses (its kind, fixed then). */
export const newClientBody = z
  .strictObject(clientSettingsShape)
  .partial()
  .extend({
    client_name: clientSettingsShape.client_name,
    client_type: z.enum(['confidential', 'public']).optional().describe('confidential (the default) or public (no secret: a browser or native application).'),
    machine: z.boolean().optional().describe('A machine client: client_credentials only, no redirect URIs.'),
    device: z.boolean().optional().describe('May use the device authorization grant (RFC 8628).'),
    pkce_required: z.boolean().optional().describe('false only for a confidential client that cannot do PKCE.'),
    apis: clientApisInput.shape.apis.optional(),
    introspect_apis: clientApisInput.shape.introspect_apis.optional(),
  });

export function newClientInput(body: z.output<typeof newClientBody>, apis: ClientApiSettings): NewClientInput {
  return {
    ...clientSettings(body, null),
    isPublic: body.client_type === 'public',
    ...(body.pkce_required === false ? { pkce: 'optional' as const } : {}),
    machine: body.machine ?? false,
    device: body.device ?? false,
    apis,
  };
}
