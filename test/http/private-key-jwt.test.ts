// private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core §9, issue 22), with openid-client v6's
// PrivateKeyJwt as the real client: the key in an inline JWKS, and behind a jwks_uri served by a loopback server
// that the tests start, change and stop. Every refused assertion is invalid_client (401), audited under its
// category (client_auth.failed, method private_key_jwt), and writes no access-token record.
import { createRemoteJWKSet, exportSPKI, importJWK, jwtVerify, type CryptoKey } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiRecord } from '../../src/store/records.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import {
  accessTokenRecords,
  addMachine,
  assertion,
  authFailures,
  deadUrl,
  jwksOf,
  JWT_BEARER,
  keyAuth,
  machineConfig,
  newKey,
  postForm,
  startJwksServer,
  tokenWithAssertion,
  type Answer,
  type JwksServer,
  type MachineClient,
  type SigningKey,
} from './client-credentials-helpers.js';
import { postFormFrom } from './from-address.js';
import { addApi, requestGrant } from './resource-helpers.js';

const API = 'https://reports.example/api';
const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('private_key_jwt (RFC 7523, OIDC Core §9)', () => {
  let app: RunningApp;
  let api: ApiRecord;
  let key: SigningKey;
  let inline: MachineClient;
  const servers: JwksServer[] = [];

  beforeAll(async () => {
    app = await startApp();
    api = await addApi(app, { name: 'Reports', identifier: API, scopes: ['reports:read', 'reports:write'] });
    key = await newKey('RS256');
    inline = await addMachine(app, { auth: { jwks: jwksOf(key) }, grants: [requestGrant(api)] });
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await app.stop();
  });

  async function jwksServer(...keys: SigningKey[]): Promise<JwksServer> {
    const server = await startJwksServer(jwksOf(...keys));
    servers.push(server);
    return server;
  }

  /** The app's verdict on a token request with this assertion: refused 401 invalid_client, nothing recorded, the category audited. */
  async function expectRefused(client: MachineClient, send: () => Promise<Answer>, reason: string): Promise<void> {
    const before = await accessTokenRecords(app, client.clientId);
    const answer = await send();
    expect([answer.status, answer.json], JSON.stringify(answer.json)).toEqual([401, { error: 'invalid_client', error_description: 'client authentication failed' }]);
    expect(await accessTokenRecords(app, client.clientId)).toBe(before);
    const [event] = await authFailures(app, client.clientId);
    expect(event).toMatchObject({ actor: 'anonymous', clientId: client.clientId, outcome: 'failure', details: { reason, method: 'private_key_jwt' } });
  }

  describe('accepted', () => {
    it('with the key in an inline JWKS: an access token for the API, sub = client_id, no ID or refresh token', async () => {
      const config = await machineConfig(app, inline.clientId, keyAuth(key));
      const tokens = await oidc.clientCredentialsGrant(config, { resource: API, scope: 'reports:read' });
      expect(tokens.id_token).toBeUndefined();
      expect(tokens.refresh_token).toBeUndefined();
      const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${app.config.issuer}/jwks`)), { issuer: app.config.issuer, audience: API, typ: 'at+jwt' });
      expect(payload).toMatchObject({ sub: inline.clientId, client_id: inline.clientId, aud: API, scope: 'reports:read' });
    });

    it('with PS256 and ES256 keys too', async () => {
      for (const alg of ['PS256', 'ES256'] as const) {
        const other = await newKey(alg);
        const client = await addMachine(app, { auth: { jwks: jwksOf(other) }, grants: [requestGrant(api)] });
        const tokens = await oidc.clientCredentialsGrant(await machineConfig(app, client.clientId, keyAuth(other)));
        expect(tokens.scope, alg).toBe('reports:read reports:write');
      }
    });

    it('with the key behind a jwks_uri, fetched once and then cached', async () => {
      const urlKey = await newKey('ES256');
      const server = await jwksServer(urlKey);
      const client = await addMachine(app, { auth: { jwksUri: server.url }, grants: [requestGrant(api)] });
      const config = await machineConfig(app, client.clientId, keyAuth(urlKey));
      for (let i = 0; i < 3; i++) expect((await oidc.clientCredentialsGrant(config)).scope).toBe('reports:read reports:write');
      expect(server.requests).toBe(1);
    });

    it('an aud naming the token endpoint, or the introspection endpoint when that is what is called', async () => {
      const toToken = await tokenWithAssertion(app, await assertion(app, inline.clientId, key, { aud: `${app.config.issuer}/token` }));
      expect(toToken.status, JSON.stringify(toToken.json)).toBe(200);
      const toIntrospection = await postForm(app, 'introspect', {
        token: toToken.json.access_token as string,
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(app, inline.clientId, key, { aud: [`${app.config.issuer}/introspect`, 'https://someone.else/'] }),
      });
      expect([toIntrospection.status, toIntrospection.json.active]).toEqual([200, true]);
    });

    it('introspection and revocation of its token, authenticated with assertions by openid-client', async () => {
      const config = await machineConfig(app, inline.clientId, keyAuth(key));
      const tokens = await oidc.clientCredentialsGrant(config);
      expect(await oidc.tokenIntrospection(config, tokens.access_token)).toMatchObject({ active: true, sub: inline.clientId, aud: API });
      await oidc.tokenRevocation(config, tokens.access_token);
      expect(await oidc.tokenIntrospection(config, tokens.access_token)).toEqual({ active: false });
    });

    it('after the client rotated its key: an unknown kid makes the jwks_uri fetched again, which finds the new key', async () => {
      const [oldKey, rotated] = [await newKey('RS256'), await newKey('RS256')];
      const server = await jwksServer(oldKey);
      const client = await addMachine(app, { auth: { jwksUri: server.url }, grants: [requestGrant(api)] });
      expect((await oidc.clientCredentialsGrant(await machineConfig(app, client.clientId, keyAuth(oldKey)))).access_token).toEqual(expect.any(String));
      expect(server.requests).toBe(1);
      server.keys = jwksOf(rotated);
      const tokens = await oidc.clientCredentialsGrant(await machineConfig(app, client.clientId, keyAuth(rotated)));
      expect(tokens.access_token).toEqual(expect.any(String));
      expect(server.requests).toBe(2);
    });
  });

  describe('refused: invalid_client, audited, nothing recorded', () => {
    it('a replayed assertion (the same jti, even within its lifetime)', async () => {
      const once = await assertion(app, inline.clientId, key);
      expect((await tokenWithAssertion(app, once)).status).toBe(200);
      await expectRefused(inline, () => tokenWithAssertion(app, once), 'replayed_assertion');
      // Another assertion with the same jti is the same assertion to us (RFC 7523 §3 (7)).
      const jti = 'fixed-jti-1';
      expect((await tokenWithAssertion(app, await assertion(app, inline.clientId, key, { jti }))).status).toBe(200);
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { jti })), 'replayed_assertion');
    });

    it('an aud that is not us: another server, our userinfo endpoint, or none', async () => {
      for (const aud of ['https://other.example/', `${app.config.issuer}/userinfo`, undefined]) {
        await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { aud })), 'invalid_assertion');
      }
    });

    it('alg none, with or without a kid', async () => {
      for (const header of [{ alg: 'none', kid: key.kid }, { alg: 'none' }]) {
        const now = Math.floor(Date.now() / 1000);
        const unsigned = `${segment(header)}.${segment({ iss: inline.clientId, sub: inline.clientId, aud: app.config.issuer, exp: now + 60, jti: `none-${header.kid ?? ''}` })}.`;
        await expectRefused(inline, () => tokenWithAssertion(app, unsigned), 'invalid_assertion');
      }
    });

    it('HS256 keyed with the client public key (as PEM and as JWK): the algorithm-confusion attack', async () => {
      const pem = await exportSPKI((await importJWK({ ...key.publicJwk, alg: 'RS256' }, 'RS256', { extractable: true })) as CryptoKey);
      for (const secret of [pem, JSON.stringify(key.publicJwk), key.publicJwk.n ?? '']) {
        const hmacKey = { privateKey: new TextEncoder().encode(secret), kid: key.kid, alg: 'HS256' } as unknown as SigningKey;
        await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, hmacKey)), 'invalid_assertion');
      }
    });

    it('signed by a key the client did not register, even under its kid', async () => {
      const stranger = await newKey('RS256');
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, { ...stranger, kid: key.kid })), 'invalid_assertion');
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, stranger)), 'invalid_assertion');
    });

    it('an expired assertion (beyond the 30 s skew), and one without exp', async () => {
      const now = Math.floor(app.clock.now() / 1000);
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { iat: now - 300, exp: now - 31 })), 'invalid_assertion');
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { exp: undefined })), 'invalid_assertion');
    });

    it('an exp more than 5 minutes ahead (the jti would have to be remembered longer)', async () => {
      const now = Math.floor(app.clock.now() / 1000);
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { exp: now + 3600 })), 'invalid_assertion');
      // Within 5 minutes (and the skew) it is fine.
      expect((await tokenWithAssertion(app, await assertion(app, inline.clientId, key, { exp: now + 300 }))).status).toBe(200);
    });

    it('nbf or iat in the future, beyond the skew; a missing or overlong jti', async () => {
      const now = Math.floor(app.clock.now() / 1000);
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { nbf: now + 120, exp: now + 180 })), 'invalid_assertion');
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { iat: now + 120, exp: now + 180 })), 'invalid_assertion');
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { jti: undefined })), 'invalid_assertion');
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { jti: 'j'.repeat(201) })), 'invalid_assertion');
    });

    it('iss different from sub, and a client_id that is not the assertion issuer', async () => {
      const other = await addMachine(app, { auth: { jwks: jwksOf(key) }, grants: [requestGrant(api)] });
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key, { sub: other.clientId })), 'invalid_assertion');
      // The issuer names the client (no client_id is sent): the one whose sub it is not.
      await expectRefused(inline, async () => tokenWithAssertion(app, await assertion(app, other.clientId, key, { iss: inline.clientId })), 'invalid_assertion');
      await expectRefused(other, async () => tokenWithAssertion(app, await assertion(app, inline.clientId, key), { client_id: other.clientId }), 'invalid_assertion');
    });

    it('an assertion naming no registered client, or unreadable and sent without client_id: audited without a client id', async () => {
      const anonymousFailures = async () => (await app.store.audit.list({ limit: 20, filter: { type: 'client_auth.failed' } })).filter((event) => event.clientId === null);
      const before = (await anonymousFailures()).length;
      for (const [sent, reason] of [
        [await assertion(app, 'nobody-registered', key), 'unknown_client'],
        ['not-a-jwt', 'invalid_assertion'],
      ] as const) {
        const answer = await tokenWithAssertion(app, sent);
        expect([answer.status, answer.json.error], reason).toEqual([401, 'invalid_client']);
        expect((await anonymousFailures())[0]?.details, reason).toEqual({ reason, method: 'private_key_jwt' });
      }
      expect((await anonymousFailures()).length).toBe(before + 2);
    });

    it('a client registered with a secret sending an assertion (it must use its registered method)', async () => {
      const secretClient = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(api)] });
      const before = await accessTokenRecords(app, secretClient.clientId);
      // Even an assertion signed by a key it could have registered.
      const answer = await tokenWithAssertion(app, await assertion(app, secretClient.clientId, key));
      expect([answer.status, answer.json.error]).toEqual([401, 'invalid_client']);
      expect(await accessTokenRecords(app, secretClient.clientId)).toBe(before);
      expect((await authFailures(app, secretClient.clientId))[0]?.details).toEqual({ reason: 'wrong_method', method: 'private_key_jwt' });
    });

    it('a private_key_jwt client sending a secret, or nothing', async () => {
      const secret = 'a-secret-it-never-had';
      const basic = `Basic ${Buffer.from(`${inline.clientId}:${secret}`).toString('base64')}`;
      const before = await accessTokenRecords(app, inline.clientId);
      const cases: [() => Promise<Answer>, string][] = [
        [() => postForm(app, 'token', { grant_type: 'client_credentials' }, { Authorization: basic }), 'client_secret_basic'],
        [() => postForm(app, 'token', { grant_type: 'client_credentials', client_id: inline.clientId, client_secret: secret }), 'client_secret_post'],
        [() => postForm(app, 'token', { grant_type: 'client_credentials', client_id: inline.clientId }), 'none'],
      ];
      for (const [send, method] of cases) {
        const answer = await send();
        expect([answer.status, answer.json.error], method).toEqual([401, 'invalid_client']);
        expect((await authFailures(app, inline.clientId))[0]?.details, method).toEqual({ reason: 'wrong_method', method });
      }
      expect(await accessTokenRecords(app, inline.clientId)).toBe(before);
    });

    it('an assertion together with a secret, or with another assertion type: invalid_request (two methods, RFC 6749 §2.3)', async () => {
      const withSecret = await postForm(app, 'token', {
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(app, inline.clientId, key),
        client_secret: 'x',
      });
      expect([withSecret.status, withSecret.json.error]).toEqual([400, 'invalid_request']);
      const otherType = await postForm(app, 'token', {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: await assertion(app, inline.clientId, key),
      });
      expect([otherType.status, otherType.json]).toEqual([400, { error: 'invalid_request', error_description: `client_assertion_type must be ${JWT_BEARER}` }]);
    });

    it('an unknown kid that the refetched jwks_uri does not hold either', async () => {
      const [registered, unknown] = [await newKey('RS256'), await newKey('RS256')];
      const server = await jwksServer(registered);
      const client = await addMachine(app, { auth: { jwksUri: server.url }, grants: [requestGrant(api)] });
      expect((await tokenWithAssertion(app, await assertion(app, client.clientId, registered))).status).toBe(200);
      await expectRefused(client, async () => tokenWithAssertion(app, await assertion(app, client.clientId, unknown)), 'invalid_assertion');
      expect(server.requests).toBe(2);
      // At most one refetch per 30 s per client: another unknown kid right away asks the server nothing.
      await expectRefused(client, async () => tokenWithAssertion(app, await assertion(app, client.clientId, unknown)), 'invalid_assertion');
      expect(server.requests).toBe(2);
    });

    it('a jwks_uri that is down, slow, too big, not JSON, failing or redirecting: jwks_unavailable', async () => {
      const urlKey = await newKey('RS256');
      const down = await addMachine(app, { auth: { jwksUri: await deadUrl() }, grants: [requestGrant(api)] });
      await expectRefused(down, async () => tokenWithAssertion(app, await assertion(app, down.clientId, urlKey)), 'jwks_unavailable');
      for (const behaviour of ['hang', 'too_big', 'html', 'error', 'redirect'] as const) {
        const server = await jwksServer(urlKey);
        server.behaviour = behaviour;
        const client = await addMachine(app, { auth: { jwksUri: server.url }, grants: [requestGrant(api)], name: behaviour });
        await expectRefused(client, async () => tokenWithAssertion(app, await assertion(app, client.clientId, urlKey)), 'jwks_unavailable');
        expect(server.requests, behaviour).toBe(1);
      }
      // Why, for the operator: in the log, never in the answer.
      const refusals = app.logs.filter((line) => line.msg === 'request refused').map((line) => String(line.detail));
      expect(refusals).toEqual(expect.arrayContaining(['jwks_uri could not be fetched (ECONNREFUSED)', 'jwks_uri did not answer within 5000 ms', 'the JWKS is larger than 65536 bytes']));
    });
  });

  it('failed assertions count on the address budget like wrong secrets: 429 after 100, the right assertion still served', async () => {
    const address = '127.0.2.1';
    const wrongAud = async () =>
      postFormFrom(address, `${app.config.issuer}/token`, {
        grant_type: 'client_credentials',
        client_assertion_type: JWT_BEARER,
        client_assertion: await assertion(app, inline.clientId, key, { aud: 'https://elsewhere.example/' }),
      });
    for (let i = 0; i < 100; i++) expect((await wrongAud()).status, `attempt ${i + 1}`).toBe(401);
    const throttled = await wrongAud();
    expect([throttled.status, throttled.json.error]).toEqual([429, 'invalid_client']);
    // The hour's window, less the moments the test took (the app runs on the real clock here).
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThan(3000);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'client_auth.throttled' } });
    expect(event).toMatchObject({ clientId: inline.clientId, details: { by: 'address' } });
    const right = await postFormFrom(address, `${app.config.issuer}/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: JWT_BEARER,
      client_assertion: await assertion(app, inline.clientId, key),
    });
    expect(right.status, right.body).toBe(200);
  });

  it('is advertised by discovery, with the signing algorithms', async () => {
    const metadata = (await (await fetch(`${app.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    for (const endpoint of ['token', 'revocation', 'introspection']) {
      expect(metadata[`${endpoint}_endpoint_auth_methods_supported`]).toContain('private_key_jwt');
      expect(metadata[`${endpoint}_endpoint_auth_signing_alg_values_supported`]).toEqual(['RS256', 'PS256', 'ES256']);
    }
    expect(metadata.grant_types_supported).toContain('client_credentials');
  });
});
