// One setting of a registered application at a time (`idp client require-mfa`, `refresh-reuse-grace`, `set-access`,
// `set-jwks`, `update`, …): the registration otherwise as it is, through updateClient's rules and audit
// (src/manage/clients.ts, which re-exports these).
import { ValidationError } from '../errors.js';
import type { AccessSettings } from './client-access.js';
import type { SenderConstraintSettings } from './client-sender-constraints.js';
import type { ThirdPartySettings } from './client-third-party.js';
import { findClient, updateClient, type ClientContext, type ClientSettings, type ClientUpdate } from './clients.js';

/** Changes some of the client's rules, its registration otherwise as it is. */
async function setClientRule(
  ctx: ClientContext,
  clientId: string,
  rule: Pick<ClientSettings, 'requireMfa' | 'refreshReuseGrace' | 'jwks' | 'jwksUri'> & AccessSettings & ThirdPartySettings & SenderConstraintSettings,
): Promise<ClientUpdate> {
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

/**
 * Changes whose application it is and the pages it names (issue 24: `idp client update --third-party|--first-party
 * --client-uri …`), the rest as it is. Adopting a dynamically registered client as first-party is the
 * administrator's decision: its people are no longer asked for consent.
 */
export function setClientThirdParty(ctx: ClientContext, clientId: string, settings: ThirdPartySettings): Promise<ClientUpdate> {
  return setClientRule(ctx, clientId, settings);
}

/**
 * Changes whose application it is, the pages it names and (issue 28) whether it must push its authorization requests
 * (RFC 9126 §6) and bind its access tokens with DPoP (RFC 9449 §5.2), in one update (`idp client update`), the rest
 * as it is: one write, one `client.updated` naming every setting that changed.
 */
export function setClientSettings(ctx: ClientContext, clientId: string, settings: ThirdPartySettings & SenderConstraintSettings): Promise<ClientUpdate> {
  return setClientRule(ctx, clientId, settings);
}

/**
 * Gives the client its public keys, inline or by URI (`idp client set-jwks`): a client with a secret becomes a
 * private_key_jwt client and its secret is removed; one with keys has them replaced.
 */
export async function setClientKeys(ctx: ClientContext, clientId: string, keys: { jwks?: string | null; jwksUri?: string | null }): Promise<ClientUpdate> {
  if (!keys.jwks === !keys.jwksUri) throw new ValidationError('jwks', 'give the client keys inline (a JWKS) or by reference (a JWKS URI): one of the two');
  return setClientRule(ctx, clientId, { jwks: keys.jwks ?? null, jwksUri: keys.jwksUri ?? null });
}
