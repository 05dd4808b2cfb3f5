// The client configuration endpoint (RFC 7592) at each registration's registration_client_uri: GET reads the
// registration, PUT replaces it and rotates the registration access token (the old one is refused afterwards),
// DELETE deletes the client. A missing or wrong token gets 401 invalid_token, the same for an existing client, a
// client that does not exist and one an administrator created (no disclosure); wrong tokens count on the address's
// client authentication budget (then 429). A refused update changes nothing, the token included.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { addClient } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { clientCount, configuration, freshAddress, initialToken, MINIMAL, REDIRECT_URI, startRegistrationApp } from './registration-helpers.js';

interface Registration {
  clientId: string;
  clientSecret: string | undefined;
  token: string;
  uri: string;
  metadata: Record<string, any>;
}

describe('the client configuration endpoint (RFC 7592)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startRegistrationApp('token');
  });
  afterAll(() => app.stop());

  /** Registers through openid-client with an initial access token; its registration_client_uri and token as answered. */
  async function registered(metadata: Partial<oidc.ClientMetadata> = MINIMAL): Promise<Registration> {
    const { token: initial } = await initialToken(app, { uses: 1 });
    const config = await oidc.dynamicClientRegistration(new URL(app.config.issuer), metadata, undefined, { initialAccessToken: initial, execute: [oidc.allowInsecureRequests] });
    const answer = config.clientMetadata() as Record<string, any>;
    return { clientId: answer.client_id, clientSecret: answer.client_secret, token: answer.registration_access_token, uri: answer.registration_client_uri, metadata: answer };
  }

  /** The registration as a client sends it back at an update: without what the server issued (RFC 7592 §2.2). */
  function updatable(metadata: Record<string, any>): Record<string, any> {
    const { registration_access_token: _t, registration_client_uri: _u, client_id_issued_at: _i, client_secret_expires_at: _e, client_secret: _s, ...rest } = metadata;
    return rest;
  }

  it('reads the registration with the registration access token: the metadata as registered, no secret, no store', async () => {
    const client = await registered({ ...MINIMAL, client_uri: 'https://rp.example/', scope: 'openid profile' });
    const answer = await configuration(client.uri, 'GET', client.token);
    expect(answer.status).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.json).toEqual({ ...updatable(client.metadata), registration_client_uri: client.uri, client_id_issued_at: client.metadata.client_id_issued_at });
    expect(answer.json).not.toHaveProperty('client_secret');
    expect(answer.json).not.toHaveProperty('registration_access_token');
  });

  it('updates the registration (a full replacement) and rotates the token: the old token is refused afterwards', async () => {
    const client = await registered({ ...MINIMAL, logo_uri: 'https://rp.example/logo.png', token_endpoint_auth_method: 'client_secret_basic' });
    const next: Record<string, unknown> = {
      ...updatable(client.metadata),
      client_name: 'Renamed app',
      redirect_uris: [REDIRECT_URI, 'https://rp.example/other'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'openid email',
    };
    delete next.logo_uri;
    const answer = await configuration(client.uri, 'PUT', client.token, next);
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      client_id: client.clientId,
      client_name: 'Renamed app',
      redirect_uris: [REDIRECT_URI, 'https://rp.example/other'],
      token_endpoint_auth_method: 'client_secret_post',
      scope: 'openid email',
    });
    expect(answer.json).not.toHaveProperty('logo_uri');
    const rotated = answer.json.registration_access_token as string;
    expect(rotated).toEqual(expect.any(String));
    expect(rotated).not.toBe(client.token);
    expect(await app.store.clients.findById(client.clientId)).toMatchObject({
      name: 'Renamed app',
      logoUri: null,
      tokenEndpointAuthMethod: 'client_secret_post',
      scopes: ['openid', 'email'],
      thirdParty: true,
      origin: 'dynamic',
    });
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'client.updated', clientId: client.clientId } });
    expect(event).toMatchObject({ actor: client.clientId });

    expect((await configuration(client.uri, 'GET', client.token)).status).toBe(401);
    expect((await configuration(client.uri, 'PUT', client.token, next)).status).toBe(401);
    expect((await configuration(client.uri, 'GET', rotated)).status).toBe(200);
  });

  it('accepts the client secret in an update only when it is the current one', async () => {
    const client = await registered();
    const wrong = await configuration(client.uri, 'PUT', client.token, { ...updatable(client.metadata), client_secret: 'not-the-secret' });
    expect(wrong.status).toBe(400);
    expect(wrong.json.error).toBe('invalid_client_metadata');
    const right = await configuration(client.uri, 'PUT', client.token, { ...updatable(client.metadata), client_secret: client.clientSecret });
    expect(right.status).toBe(200);
    expect(right.json.client_secret).toBe(client.clientSecret);
  });

  it('refuses an update that breaks a rule, changes the kind of client or names another client: nothing changes, the token still works', async () => {
    const client = await registered();
    const before = await app.store.clients.findById(client.clientId);
    const body = updatable(client.metadata);
    const refusals: [Record<string, unknown>, string][] = [
      [{ ...body, redirect_uris: ['http://evil.example/callback'] }, 'invalid_redirect_uri'],
      [{ ...body, client_id: 'someone-else' }, 'invalid_client_metadata'],
      [{ ...body, client_id: undefined }, 'invalid_client_metadata'],
      [{ ...body, token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
      [{ ...body, grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'] }, 'invalid_client_metadata'],
      [{ ...body, registration_access_token: client.token }, 'invalid_client_metadata'],
      [{ ...body, registration_client_uri: client.uri }, 'invalid_client_metadata'],
      [{ ...body, client_id_issued_at: 1 }, 'invalid_client_metadata'],
      [{ ...body, client_secret_expires_at: 0 }, 'invalid_client_metadata'],
      [{ ...body, logo_uri: 'http://rp.example/logo.png' }, 'invalid_client_metadata'],
      [{ ...body, grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
    ];
    for (const [update, error] of refusals) {
      const answer = await configuration(client.uri, 'PUT', client.token, update);
      expect(answer.status, JSON.stringify(update)).toBe(400);
      expect(answer.json.error).toBe(error);
    }
    expect(await app.store.clients.findById(client.clientId)).toEqual(before);
    expect((await configuration(client.uri, 'GET', client.token)).status).toBe(200);
  });

  it('deletes the client: 204, then its token and its credentials are refused', async () => {
    const client = await registered();
    const before = await clientCount(app);
    const answer = await configuration(client.uri, 'DELETE', client.token);
    expect(answer.status).toBe(204);
    expect(await clientCount(app)).toBe(before - 1);
    expect(await app.store.clients.findById(client.clientId)).toBeNull();
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'client.deleted', clientId: client.clientId } });
    expect(event?.details).toMatchObject({ via: 'registration', origin: 'dynamic' });
    expect((await configuration(client.uri, 'GET', client.token)).status).toBe(401);
    expect((await configuration(client.uri, 'DELETE', client.token)).status).toBe(401);
  });

  it('answers a missing or wrong token with the same 401 for an existing client, a missing one and an administrator\u2019s', async () => {
    const client = await registered();
    const admins = await addClient(app);
    const other = await registered();
    const uri = (id: string) => `${app.config.issuer}/register/${encodeURIComponent(id)}`;
    const cases: [string, string | null][] = [
      [client.uri, null],
      [client.uri, 'wrong-token'],
      [client.uri, other.token],
      [uri('no-such-client'), 'wrong-token'],
      [uri('no-such-client'), client.token],
      [uri(admins.clientId), 'wrong-token'],
      [uri(admins.clientId), client.token],
    ];
    const bodies = new Set<string>();
    for (const [target, token] of cases) {
      for (const method of ['GET', 'PUT', 'DELETE'] as const) {
        const answer = await configuration(target, method, token, method === 'PUT' ? { ...updatable(client.metadata) } : undefined);
        expect(answer.status, `${method} ${target} ${token}`).toBe(401);
        expect(answer.json.error).toBe('invalid_token');
        expect(answer.headers['www-authenticate']).toMatch(/^Bearer /);
        if (token !== null) bodies.add(answer.body);
      }
    }
    expect(bodies.size).toBe(1);
    // Nothing changed.
    expect(await app.store.clients.findById(admins.clientId)).not.toBeNull();
    expect((await configuration(client.uri, 'GET', client.token)).status).toBe(200);
  });

  it('counts wrong tokens on the address: past the budget they are answered 429, while the right token is still served', async () => {
    const client = await registered();
    const address = freshAddress();
    const limit = THROTTLE_RULES.address.limit;
    for (let i = 0; i < limit; i++) expect((await configuration(client.uri, 'GET', `wrong-${i}`, undefined, address)).status).toBe(401);
    const blocked = await configuration(client.uri, 'GET', 'wrong-again', undefined, address);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await configuration(client.uri, 'GET', client.token, undefined, address)).status).toBe(200);
  });

  it('lets exactly one of two updates racing with the same token win', async () => {
    const client = await registered();
    const body = updatable(client.metadata);
    const answers = await Promise.all([1, 2, 3, 4].map((i) => configuration(client.uri, 'PUT', client.token, { ...body, client_name: `Racer ${i}` })));
    const won = answers.filter((answer) => answer.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((answer) => answer.status === 401)).toHaveLength(3);
    expect((await app.store.clients.findById(client.clientId))?.name).toBe(won[0]?.json.client_name);
    expect((await configuration(client.uri, 'GET', won[0]?.json.registration_access_token as string)).status).toBe(200);
  });

  it('answers a CORS preflight for GET, PUT and DELETE', async () => {
    const client = await registered();
    const preflight = await fetch(client.uri, { method: 'OPTIONS', headers: { Origin: 'https://tools.example', 'Access-Control-Request-Method': 'PUT' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
  });
});
