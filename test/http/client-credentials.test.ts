// grant_type=client_credentials (RFC 6749 §4.4, issue 22) with openid-client v6 as the machine client, here
// authenticated by client_secret_basic (private_key_jwt: ./private-key-jwt.test.ts). The access token is RFC 9068's
// for a client: `sub` is the client id (§2.2), `aud` the API's identifier (RFC 8707), the scope what the client asked
// for among what it was granted; never an ID token or a refresh token. Every refusal writes no access-token record.
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRecord } from '../../src/store/records.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { accessTokenRecords, addMachine, machineConfig, postForm, refusal, type MachineClient } from './client-credentials-helpers.js';
import { addApi, introspectGrant, requestGrant } from './resource-helpers.js';

const ORDERS = 'https://orders.example/api';

describe('client_credentials (RFC 6749 §4.4) with a client secret', () => {
  let app: RunningApp;
  let orders: ApiRecord;
  let billing: ApiRecord;
  let machine: MachineClient;
  let config: oidc.Configuration;

  const secretConfig = (client: MachineClient) => machineConfig(app, client.clientId, oidc.ClientSecretBasic(client.secret ?? ''));

  beforeAll(async () => {
    app = await startApp();
    orders = await addApi(app, { name: 'Orders', identifier: ORDERS, scopes: ['orders:read', 'orders:write', 'orders:admin'], tokenLifetime: 600 });
    billing = await addApi(app, { name: 'Billing', identifier: 'https://billing.example/', scopes: ['invoices:read'] });
    machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(orders, ['orders:read', 'orders:write'])] });
    config = await secretConfig(machine);
  });
  afterAll(() => app.stop());

  it('answers an access token for the API, verifiable against /jwks, with sub = client_id and no ID or refresh token', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { resource: ORDERS, scope: 'orders:read' });
    expect(tokens).toEqual({ access_token: expect.any(String), token_type: 'bearer', expires_in: 600, scope: 'orders:read' });
    expect(tokens.id_token).toBeUndefined();
    expect(tokens.refresh_token).toBeUndefined();
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`)), {
      issuer: app.config.issuer,
      audience: ORDERS,
      typ: 'at+jwt',
      algorithms: ['RS256'],
    });
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toEqual({
      iss: app.config.issuer,
      sub: machine.clientId,
      aud: ORDERS,
      client_id: machine.clientId,
      scope: 'orders:read',
      iat: expect.any(Number),
      exp: (payload.iat ?? 0) + 600,
      jti: expect.any(String),
    });
    // RFC 9068 §2.2: auth_time only when a person signed in.
    expect(payload).not.toHaveProperty('auth_time');
  });

  it("without scope, grants everything the client may request of the API; without resource, the client's only API", async () => {
    const tokens = await oidc.clientCredentialsGrant(config);
    expect(tokens.scope).toBe('orders:read orders:write');
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: ORDERS, scope: 'orders:read orders:write' });
  });

  it('records the token for revocation (user none, the API as audience) and audits token.client_credentials', async () => {
    const before = await accessTokenRecords(app, machine.clientId);
    const tokens = await oidc.clientCredentialsGrant(config, { resource: ORDERS, scope: 'orders:write orders:read' });
    expect(tokens.scope).toBe('orders:read orders:write');
    expect(await accessTokenRecords(app, machine.clientId)).toBe(before + 1);
    const record = await app.store.accessTokens.findLive(decodeJwt(tokens.access_token).jti ?? '', app.clock.now());
    expect(record).toMatchObject({ clientId: machine.clientId, userId: null, sessionIdHash: null, format: 'jwt', audience: ORDERS, scope: 'orders:read orders:write', authTime: null });
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'token.client_credentials' } });
    expect(event).toMatchObject({
      actor: machine.clientId,
      subject: machine.clientId,
      clientId: machine.clientId,
      outcome: 'success',
      details: { api: ORDERS, scope: 'orders:read orders:write' },
    });
  });

  it('is introspected and revoked by its own client', async () => {
    const tokens = await oidc.clientCredentialsGrant(config, { resource: ORDERS });
    const active = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(active).toMatchObject({ active: true, sub: machine.clientId, client_id: machine.clientId, aud: ORDERS, scope: 'orders:read orders:write', token_type: 'Bearer' });
    expect(active).not.toHaveProperty('auth_time');
    await oidc.tokenRevocation(config, tokens.access_token);
    expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'token.revoked' } });
    expect(event).toMatchObject({ actor: machine.clientId, details: { client_id: machine.clientId, token_type: 'access_token' } });
  });

  it('an API with opaque tokens and its own lifetime: a random token, described by introspection', async () => {
    const inventory = await addApi(app, { identifier: 'https://inventory.example/', scopes: ['stock:read'], tokenFormat: 'opaque', tokenLifetime: 120 });
    const client = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(inventory)] });
    const clientConfig = await secretConfig(client);
    const tokens = await oidc.clientCredentialsGrant(clientConfig);
    expect(tokens).toMatchObject({ token_type: 'bearer', expires_in: 120, scope: 'stock:read' });
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(await oidc.tokenIntrospection(clientConfig, tokens.access_token)).toMatchObject({
      active: true,
      sub: client.clientId,
      client_id: client.clientId,
      aud: 'https://inventory.example/',
      scope: 'stock:read',
    });
  });

  describe('refusals, each writing no access-token record', () => {
    async function refused(
      client: MachineClient,
      clientConfig: oidc.Configuration,
      parameters: Record<string, string>,
      expected: { status?: number; error: string; description: string | RegExp },
    ) {
      const before = await accessTokenRecords(app, client.clientId);
      const answer = await refusal(oidc.clientCredentialsGrant(clientConfig, parameters));
      expect(answer.status).toBe(expected.status ?? 400);
      expect(answer.error).toBe(expected.error);
      expect(answer.description).toMatch(expected.description);
      expect(await accessTokenRecords(app, client.clientId)).toBe(before);
    }

    it('an unknown resource, and an API not granted to the client: invalid_target, with one message', async () => {
      const description = 'the resource is not an API this client may request tokens for';
      await refused(machine, config, { resource: 'https://unknown.example/' }, { error: 'invalid_target', description });
      await refused(machine, config, { resource: billing.identifier }, { error: 'invalid_target', description });
    });

    it('a scope the API defines but the client was not granted, and one nobody defines: invalid_scope', async () => {
      await refused(
        machine,
        config,
        { resource: ORDERS, scope: 'orders:read orders:admin' },
        { error: 'invalid_scope', description: 'scope orders:admin is not one this client may request of this API' },
      );
      await refused(machine, config, { resource: ORDERS, scope: 'invoices:read' }, { error: 'invalid_scope', description: 'scope invoices:read is not one this client may request of this API' });
    });

    it('a machine client asking for openid (or any OpenID Connect scope): invalid_scope', async () => {
      for (const scope of ['openid', 'orders:read openid', 'profile', 'offline_access', 'groups']) {
        await refused(machine, config, { resource: ORDERS, scope }, { error: 'invalid_scope', description: /is about a person: a machine client asks for API scopes only$/ });
      }
    });

    it('an API that takes only tokens for people: invalid_target', async () => {
      const people = await addApi(app, { identifier: 'https://people-only.example/', scopes: ['read'], accepts: 'people' });
      const client = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(people)] });
      await refused(client, await secretConfig(client), {}, { error: 'invalid_target', description: 'this API accepts only tokens for people' });
    });

    it('no resource while the client may request several APIs, or none: invalid_target', async () => {
      const several = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(orders), requestGrant(billing)] });
      await refused(several, await secretConfig(several), {}, { error: 'invalid_target', description: 'name the API with the resource parameter: this client may request tokens for several' });
      // An API it may only introspect is not one it may request.
      const none = await addMachine(app, { auth: { secret: true }, grants: [introspectGrant(orders)] });
      await refused(none, await secretConfig(none), {}, { error: 'invalid_target', description: 'this client may not request tokens for any API' });
    });

    it('two resources at once: invalid_target', async () => {
      const before = await accessTokenRecords(app, machine.clientId);
      const body = new URLSearchParams({ grant_type: 'client_credentials' });
      body.append('resource', ORDERS);
      body.append('resource', billing.identifier);
      const answer = await fetch(`${app.config.issuer}/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${machine.clientId}:${machine.secret ?? ''}`).toString('base64')}` },
        body,
      });
      expect([answer.status, await answer.json()]).toEqual([400, { error: 'invalid_target', error_description: 'name one resource per token request: each access token is for one API' }]);
      expect(await accessTokenRecords(app, machine.clientId)).toBe(before);
    });

    it('a public client: unauthorized_client, whether or not its registration lists the grant', async () => {
      for (const grantTypes of [['client_credentials'], ['authorization_code']]) {
        const spa = await addMachine(app, { auth: { public: true }, grants: [requestGrant(orders)], grantTypes });
        await refused(spa, await machineConfig(app, spa.clientId, oidc.None()), {}, { error: 'unauthorized_client', description: /client_credentials/ });
      }
    });

    it('a confidential client registered without the grant (a web application): unauthorized_client', async () => {
      const web = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(orders)], grantTypes: ['authorization_code', 'refresh_token'] });
      await refused(web, await secretConfig(web), {}, { error: 'unauthorized_client', description: 'this client may not use grant_type client_credentials' });
    });

    it('a wrong secret: invalid_client (401), audited as wrong_secret', async () => {
      const answer = await postForm(app, 'token', { grant_type: 'client_credentials', client_id: machine.clientId, client_secret: 'wrong' });
      expect([answer.status, answer.json.error]).toEqual([401, 'invalid_client']);
      const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'client_auth.failed', clientId: machine.clientId } });
      expect(event?.details).toEqual({ reason: 'wrong_secret', method: 'client_secret_post' });
    });
  });
});
