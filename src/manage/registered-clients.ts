// Clients registered by anyone through POST /register (RFC 7591) and managed by their registration access token at
// /register/<client_id> (RFC 7592), on top of createClient / updateClient (src/manage/clients.ts): every rule an
// administrator's client is held to applies, and a stranger's client is always third-party (consent is asked),
// origin 'dynamic', PKCE required, and granted no API. What only a registration adds:
// - the metadata is read by src/oidc/registration-metadata.ts (RFC 7591 §2, errors of §3.2.2);
// - the hosts of the URLs the server will request are resolved now (src/oidc/registration-addresses.ts);
// - in token mode an initial access token is checked before anything (findUsable) and spent only once the whole
//   registration was checked (use: one conditional write; of two registrations racing for its last use, exactly one
//   registers a client): a refused registration spends nothing, a lost race creates nothing;
// - the registration access token (RFC 7592 §3) is a fresh 256-bit secret, stored as its SHA-256 hash, replaced at
//   every update by one conditional write (rotateRegistrationToken), so that of two updates with the same token one
//   wins and the old token is refused afterwards.
// An unknown client, an administrator's client (it has no registration access token) and a wrong token get the same
// InvalidToken (no disclosure of which client ids exist), the hashes compared in constant time.
import { constantTimeEqual, hashSecret, randomSecret, secretMatchesHash } from '../auth/secrets.js';
import type { Config } from '../config.js';
import type { Clock } from '../clock.js';
import { InvalidToken, ValidationError } from '../errors.js';
import { allowsPrivateAddresses, type Resolver } from '../http/outbound-request.js';
import { checkOutboundAddresses } from '../oidc/registration-addresses.js';
import { invalidMetadata, readClientMetadata, registrationErrorOf, type ClientRegistrationRequest } from '../oidc/registration-metadata.js';
import type { ClientRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { checkNewClient, clientChanges, createClient, DEFAULT_SCOPES, updateClient, type ClientContext, type ClientSettings, type NewClientInput } from './clients.js';
import { audit } from './users.js';

export interface RegistrationContext {
  store: Store;
  clock: Clock;
  config: Pick<Config, 'issuer' | 'passwordMinLength' | 'allowPrivateClientUrls' | 'registrationAllowPrivateUrls'>;
  /** Name resolution for the hosts of jwks_uri and backchannel_logout_uri; the system's when absent. */
  resolve?: Resolver;
  /** The address the request came from, for the audit log. */
  ip: string | null;
}

export interface RegisteredClient {
  client: ClientRecord;
  /** A client secret issued now (registration of a client with a secret), or confirmed by an update; else null. */
  clientSecret: string | null;
  /** The registration access token issued now (registration, update). */
  registrationAccessToken: string;
}

/** How a registration was admitted: open registration, or an initial access token (its hash). */
export type RegistrationAdmission = { via: 'open' } | { via: 'token'; tokenHash: string };

const UNUSABLE_TOKEN = 'the initial access token is not valid: it is unknown, expired, revoked or used up';
const WRONG_TOKEN = 'the registration access token is not valid for this client';
/** Compared against when there is no stored hash, so that an unknown client costs the same as a wrong token. */
const NO_HASH = hashSecret('no registration access token');

/** The management context of a registration's writes: the dynamic clients' address rule, `actor` acting. */
function clientContext(ctx: RegistrationContext, actor: string): ClientContext {
  const allowPrivateClientUrls = allowsPrivateAddresses(ctx.config, { origin: 'dynamic' });
  return { store: ctx.store, clock: ctx.clock, passwordMinLength: ctx.config.passwordMinLength, actor, ip: ctx.ip, config: { ...ctx.config, allowPrivateClientUrls } };
}

/** A rule of createClient / updateClient broken: the RFC 7591 §3.2.2 error. */
async function asRegistrationError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw error instanceof ValidationError ? registrationErrorOf(error) : error;
  }
}

/** Reads the metadata and checks the addresses the server will request (both read-only). */
async function checkedRequest(ctx: RegistrationContext, body: unknown, purpose: 'register' | 'update'): Promise<ClientRegistrationRequest> {
  const request = readClientMetadata(body, { allowLoopbackPages: ctx.config.registrationAllowPrivateUrls, purpose });
  await checkOutboundAddresses(request.outbound, { allowPrivateAddresses: allowsPrivateAddresses(ctx.config, { origin: 'dynamic' }), resolve: ctx.resolve });
  return request;
}

/**
 * In token mode, the initial access token's record, when it may still register a client (nothing spent yet);
 * InvalidToken otherwise.
 */
export async function usableInitialToken(ctx: RegistrationContext, token: string): Promise<RegistrationAdmission> {
  const tokenHash = hashSecret(token);
  if (!(await ctx.store.registrationTokens.findUsable(tokenHash, ctx.clock.now()))) throw new InvalidToken(UNUSABLE_TOKEN);
  return { via: 'token', tokenHash };
}

/**
 * Registers a client (RFC 7591 §3.1): the metadata checked by every rule, then (token mode) one use of the initial
 * access token spent, then the client created. Audited as `client.created` (createClient) and `client.registered`
 * {client_id, ip, via, registration_token_id}.
 */
export async function registerClient(ctx: RegistrationContext, body: unknown, admission: RegistrationAdmission): Promise<RegisteredClient> {
  const request = await checkedRequest(ctx, body, 'register');
  const registrationAccessToken = randomSecret();
  const input: NewClientInput = { ...request.settings, thirdParty: true, origin: 'dynamic', registrationTokenHash: hashSecret(registrationAccessToken) };
  const manage = clientContext(ctx, 'anonymous');
  await asRegistrationError(() => checkNewClient(manage, input));
  let tokenId: string | null = null;
  if (admission.via === 'token') {
    const spent = await ctx.store.registrationTokens.use(admission.tokenHash, ctx.clock.now());
    // Expired, revoked or used up meanwhile (another registration took its last use): nothing is created.
    if (!spent) throw new InvalidToken(UNUSABLE_TOKEN);
    tokenId = spent.id;
  }
  const { client, clientSecret } = await asRegistrationError(() => createClient(manage, input));
  await audit(manage, 'client.registered', client.clientId, { client_id: client.clientId, ip: ctx.ip, via: admission.via, registration_token_id: tokenId }, client.clientId);
  return { client, clientSecret, registrationAccessToken };
}

/**
 * The dynamically registered client this registration access token belongs to (RFC 7592 §3); InvalidToken, the
 * same for an unknown client, a client without a token (an administrator's) and a wrong token.
 */
export async function authenticateRegistration(ctx: Pick<RegistrationContext, 'store'>, clientId: string, token: string): Promise<ClientRecord> {
  const client = await ctx.store.clients.findById(clientId);
  const expected = client?.registrationTokenHash ?? NO_HASH;
  const matches = constantTimeEqual(hashSecret(token), expected);
  if (!client || client.registrationTokenHash === null || !matches) throw new InvalidToken(WRONG_TOKEN);
  return client;
}

/** RFC 7592 §2.2: what the update may not change of the registration (the client's kind, fixed when registered). */
function checkUnchangeable(client: ClientRecord, request: ClientRegistrationRequest): void {
  if (request.clientId === null || request.clientId !== client.clientId) throw invalidMetadata('client_id', "is required and must be this client's (RFC 7592 §2.2)");
  if (request.clientSecret !== null && (client.secretHash === null || !secretMatchesHash(request.clientSecret, client.secretHash))) {
    throw invalidMetadata('client_secret', "must be the client's current secret when it is sent (RFC 7592 §2.2)");
  }
  const kind = (method: string) => (method === 'none' ? 'public' : method === 'private_key_jwt' ? 'keys' : 'secret');
  if (kind(request.tokenEndpointAuthMethod) !== kind(client.tokenEndpointAuthMethod)) {
    throw invalidMetadata('token_endpoint_auth_method', `cannot change from ${client.tokenEndpointAuthMethod} to ${request.tokenEndpointAuthMethod}: register a new client`);
  }
  const grants = client.grantTypes;
  if (request.code !== grants.includes('authorization_code') || request.settings.device !== grants.some((grant) => grant.endsWith(':device_code'))) {
    throw invalidMetadata('grant_types', `cannot change after registration (registered: ${grants.join(', ')}): register a new client`);
  }
}

/** updateClient's settings for a full replacement (RFC 7592 §2.2: an omitted field is cleared). */
function replacementOf(request: ClientRegistrationRequest): ClientSettings {
  const { settings } = request;
  return {
    name: settings.name,
    redirectUris: settings.redirectUris,
    postLogoutRedirectUris: settings.postLogoutRedirectUris,
    backchannelLogoutUri: settings.backchannelLogoutUri,
    logoUri: settings.logoUri ?? null,
    clientUri: settings.clientUri ?? null,
    policyUri: settings.policyUri ?? null,
    tosUri: settings.tosUri ?? null,
    initiateLoginUri: settings.initiateLoginUri ?? null,
    secretPost: request.tokenEndpointAuthMethod === 'client_secret_basic' || request.tokenEndpointAuthMethod === 'client_secret_post' ? settings.secretPost : undefined,
    scopes: settings.scopes ?? DEFAULT_SCOPES,
    // Issue 28 (RFC 9126 §6, RFC 9449 §5.2): omitted is false, as at registration.
    requirePushedAuthorizationRequests: settings.requirePushedAuthorizationRequests ?? false,
    dpopBoundAccessTokens: settings.dpopBoundAccessTokens ?? false,
    ...(settings.jwks !== undefined ? { jwks: settings.jwks, jwksUri: null } : {}),
    ...(settings.jwksUri !== undefined ? { jwksUri: settings.jwksUri, jwks: null } : {}),
  };
}

/**
 * Replaces the client's registration (RFC 7592 §2.2) and its registration access token. Every rule is checked before
 * the token is rotated; the update is then written (and audited as `client.updated` when something changed).
 */
export async function updateRegisteredClient(ctx: RegistrationContext, client: ClientRecord, token: string, body: unknown): Promise<RegisteredClient> {
  const request = await checkedRequest(ctx, body, 'update');
  checkUnchangeable(client, request);
  const settings = replacementOf(request);
  const manage = clientContext(ctx, client.clientId);
  // Every rule of updateClient, nothing written: the token is rotated only for an update that will be applied.
  try {
    clientChanges(client, settings);
  } catch (error) {
    throw error instanceof ValidationError ? registrationErrorOf(error) : error;
  }
  const registrationAccessToken = randomSecret();
  const current = hashSecret(token);
  const next = hashSecret(registrationAccessToken);
  // Another update (or the deletion) with the same token won: this one changes nothing.
  if (!(await ctx.store.clients.rotateRegistrationToken(client.clientId, current, next, ctx.clock.now()))) throw new InvalidToken(WRONG_TOKEN);
  try {
    const { client: updated } = await asRegistrationError(() => updateClient(manage, client.clientId, settings));
    return { client: updated, clientSecret: request.clientSecret, registrationAccessToken };
  } catch (error) {
    // The settings were checked above, so only a concurrent change gets here: the client keeps its old token.
    await ctx.store.clients.rotateRegistrationToken(client.clientId, next, current, ctx.clock.now());
    throw error;
  }
}

/**
 * Deletes the client (RFC 7592 §2.3); its consents, codes and tokens go with it. The token is first replaced by one
 * nobody holds (a conditional write: an update racing with the same token cannot win after it). Audited as
 * `client.deleted` {name, via 'registration'}.
 */
export async function deleteRegisteredClient(ctx: RegistrationContext, client: ClientRecord, token: string): Promise<void> {
  if (!(await ctx.store.clients.rotateRegistrationToken(client.clientId, hashSecret(token), hashSecret(randomSecret()), ctx.clock.now()))) {
    throw new InvalidToken(WRONG_TOKEN);
  }
  if (!(await ctx.store.clients.delete(client.clientId))) throw new InvalidToken(WRONG_TOKEN);
  const manage = clientContext(ctx, client.clientId);
  await audit(manage, 'client.deleted', client.clientId, { name: client.name, third_party: client.thirdParty, origin: client.origin, via: 'registration' }, client.clientId);
}
