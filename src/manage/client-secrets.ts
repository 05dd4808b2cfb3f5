// A client's secret after registration (src/manage/clients.ts re-exports these): rotating it (`idp client
// rotate-secret`, the admin screens), and switching a private_key_jwt client back to a secret (`idp client
// use-secret`). The new secret is returned once, as at registration, and stored only as a SHA-256 hash.
import { hashSecret, randomSecret } from '../auth/secrets.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { ClientPatch } from '../store/records.js';
import { USE_SECRET } from './client-keys.js';
import { findClient, type ClientWithSecret } from './clients.js';
import { audit, type ManageContext } from './users.js';

export async function rotateClientSecret(ctx: ManageContext, clientId: string): Promise<ClientWithSecret> {
  const client = await findClient(ctx, clientId);
  if (client.clientType === 'public') throw new ValidationError('client', `client ${clientId} is public and has no secret`);
  if (client.tokenEndpointAuthMethod === 'private_key_jwt') {
    throw new ValidationError('client', `client ${clientId} authenticates with its keys (private_key_jwt) and has no secret to rotate; ${USE_SECRET}`);
  }
  const clientSecret = randomSecret();
  const updated = await ctx.store.clients.update(clientId, { secretHash: hashSecret(clientSecret) }, ctx.clock.now());
  if (!updated) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  await audit(ctx, 'client.secret_rotated', clientId, {}, clientId);
  return { client: updated, clientSecret };
}

/**
 * Switches a private_key_jwt client to a secret: its keys are removed, and the new secret is returned once (as at
 * registration). Audited as `client.updated` naming the method, the keys and the secret.
 */
export async function useClientSecret(ctx: ManageContext, clientId: string): Promise<ClientWithSecret> {
  const client = await findClient(ctx, clientId);
  if (client.tokenEndpointAuthMethod !== 'private_key_jwt') {
    throw new ValidationError('client', client.clientType === 'public' ? `client ${clientId} is public and has no secret` : `client ${clientId} already authenticates with a secret`);
  }
  const clientSecret = randomSecret();
  const patch: ClientPatch = { tokenEndpointAuthMethod: 'client_secret_basic', secretHash: hashSecret(clientSecret), jwks: null, jwksUri: null };
  const updated = await ctx.store.clients.update(clientId, patch, ctx.clock.now());
  if (!updated) throw new NotFoundError(`no client ${JSON.stringify(clientId)}`);
  const changed = ['token_endpoint_auth_method', ...(client.jwks === null ? [] : ['jwks']), ...(client.jwksUri === null ? [] : ['jwks_uri']), 'client_secret'];
  await audit(ctx, 'client.updated', clientId, { changed, third_party: updated.thirdParty, origin: updated.origin }, clientId);
  return { client: updated, clientSecret };
}
