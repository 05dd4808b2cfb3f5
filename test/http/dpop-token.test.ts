// DPoP at the token endpoint (RFC 9449 §5, §6, §10; issue 28) with openid-client v6's DPoP handle as the real client
// (it answers use_dpop_nonce by retrying with our nonce): the access token is bound (`cnf.jkt`, its record's jkt,
// token_type DPoP), a public client's refresh token too and a confidential client's not (§5), a bound refresh token
// refreshes only with its key and a refusal spends nothing, a code bound by dpop_jkt redeems only with its key (§10),
// a client registered with dpop_bound_access_tokens must send a proof (§5.2), and introspection reports cnf (§6.2).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { DEVICE_CODE_GRANT, type ApiRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { introspect } from '../helpers/tokens.js';
import { addMachine, machineConfig, type MachineClient } from './client-credentials-helpers.js';
import { makeProof, proofKey, type ProofKey } from './dpop-resource-helpers.js';
import { addDeviceClient, approve, signInAtDevice, startDevice } from './device-helpers.js';
import { accessTokenJkt, cnfJkt, expectRefused, refreshState, tokenCall, tokenProof, tokenUrl } from './dpop-token-helpers.js';
import { addApi, introspectGrant, requestGrant } from './resource-helpers.js';

const ORDERS = 'https://orders.example/api';
const LEDGER = 'https://ledger.example/api';

describe('DPoP at the token endpoint (RFC 9449 §5)', () => {
  let app: RunningApp;
  let confidential: TestClient;
  let spa: TestClient;
  let pair: Awaited<ReturnType<typeof oidc.randomDPoPKeyPair>>;
  let key: ProofKey;
  let DPoP: oidc.DPoPHandle;

  /** Signs Ada in for `client` (authorization parameters `extra`) and returns the callback and what redeems it. */
  async function codeFor(client: TestClient, extra: Record<string, string> = {}): Promise<{ callback: URL; start: AuthorizationStart }> {
    const start = await authorizationUrl(client, { scope: 'openid email', ...extra });
    return { callback: await signIn(new Browser(), app, start, 'ada@example.com'), start };
  }

  function redeemWith(client: TestClient, { callback, start }: { callback: URL; start: AuthorizationStart }, dpop?: oidc.DPoPHandle) {
    return oidc.authorizationCodeGrant(
      client.config,
      callback,
      { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce },
      undefined,
      dpop ? { DPoP: dpop } : {},
    );
  }

  /** The raw code redemption (for proofs openid-client would never send). */
  function redeemRaw(client: TestClient, { callback, start }: { callback: URL; start: AuthorizationStart }, dpop: string[] = []) {
    const fields = { grant_type: 'authorization_code', code: callback.searchParams.get('code') ?? '', redirect_uri: client.redirectUri, code_verifier: start.codeVerifier };
    const auth: Record<string, string> = client.clientSecret === null ? {} : { Authorization: basic(client.clientId, client.clientSecret) };
    return tokenCall(app, client.clientSecret === null ? { ...fields, client_id: client.clientId } : fields, dpop, auth);
  }

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    confidential = await addClient(app, { redirectUris: ['https://rp.example/callback'] });
    spa = await addClient(app, { isPublic: true, redirectUris: ['https://spa.example/callback'] });
    pair = await oidc.randomDPoPKeyPair('ES256');
    key = await proofKey(pair);
    DPoP = oidc.getDPoPHandle(confidential.config, pair);
  });
  afterAll(() => app?.stop());

  describe('the authorization code grant', () => {
    it('binds the access token to the proof key: cnf.jkt, the record, token_type DPoP, and a DPoP-Nonce', async () => {
      const tokens = await redeemWith(confidential, await codeFor(confidential), DPoP);
      expect(tokens.token_type).toBe('dpop');
      expect(cnfJkt(tokens.access_token)).toBe(key.jkt);
      expect(await accessTokenJkt(app, tokens.access_token)).toBe(key.jkt);
      // RFC 9449 §5: a confidential client's refresh token stays bound to its credentials, not to the key.
      expect(await refreshState(app, tokens.refresh_token ?? '')).toEqual({ jkt: null, rotated: false });
    });

    it('answers the raw exchange with token_type DPoP and the nonce for the next proof', async () => {
      const answer = await redeemRaw(confidential, await codeFor(confidential), [await tokenProof(app, key)]);
      expect(answer.status).toBe(200);
      expect(answer.json.token_type).toBe('DPoP');
      expect(answer.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });

    it('issues bearer tokens as before without a proof, and no DPoP-Nonce', async () => {
      const answer = await redeemRaw(confidential, await codeFor(confidential));
      expect([answer.status, answer.json.token_type, answer.nonce]).toEqual([200, 'Bearer', null]);
      expect(cnfJkt(answer.json.access_token as string)).toBeUndefined();
      expect(await accessTokenJkt(app, answer.json.access_token as string)).toBeNull();
    });

    it('binds a public client’s refresh token to the key as well (RFC 9449 §5)', async () => {
      const tokens = await redeemWith(spa, await codeFor(spa), oidc.getDPoPHandle(spa.config, pair));
      expect(cnfJkt(tokens.access_token)).toBe(key.jkt);
      expect(await refreshState(app, tokens.refresh_token ?? '')).toEqual({ jkt: key.jkt, rotated: false });
    });
  });

  describe('a code bound by dpop_jkt (RFC 9449 §10)', () => {
    it('redeems only with a proof of that key; refusals leave the code for the right proof', async () => {
      const code = await codeFor(confidential, { dpop_jkt: key.jkt });
      expectRefused(await redeemRaw(confidential, code), 'invalid_grant', 'this authorization code is bound to a DPoP key: send a DPoP proof made with that key', { withNonce: false });
      const thief = await proofKey();
      expectRefused(
        await redeemRaw(confidential, code, [await tokenProof(app, thief)]),
        'invalid_grant',
        'the DPoP proof was made with another key than the one this authorization code is bound to (dpop_jkt)',
      );
      const tokens = await redeemWith(confidential, code, DPoP);
      expect(cnfJkt(tokens.access_token)).toBe(key.jkt);
    });
  });

  describe('refresh (RFC 9449 §5)', () => {
    it('refreshes a confidential client’s unbound refresh token with a proof: the new access token is bound, the refresh token not', async () => {
      const first = await redeemWith(confidential, await codeFor(confidential), DPoP);
      const refreshed = await oidc.refreshTokenGrant(confidential.config, first.refresh_token ?? '', undefined, { DPoP });
      expect(refreshed.token_type).toBe('dpop');
      expect(cnfJkt(refreshed.access_token)).toBe(key.jkt);
      expect(await refreshState(app, refreshed.refresh_token ?? '')).toEqual({ jkt: null, rotated: false });
      // Unbound, it may also be refreshed without a proof (the client's credentials bind it), into a bearer token.
      const bearer = await oidc.refreshTokenGrant(confidential.config, refreshed.refresh_token ?? '');
      expect(bearer.token_type).toBe('bearer');
      expect(cnfJkt(bearer.access_token)).toBeUndefined();
    });

    it('refuses a public client’s bound refresh token without a proof or with another key, spending nothing; the key still refreshes', async () => {
      const spaDPoP = oidc.getDPoPHandle(spa.config, pair);
      const first = await redeemWith(spa, await codeFor(spa), spaDPoP);
      const refreshToken = first.refresh_token ?? '';
      const fields = { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: spa.clientId };
      expectRefused(await tokenCall(app, fields), 'invalid_grant', 'this refresh token is bound to a DPoP key: send a DPoP proof made with that key', { withNonce: false });
      expectRefused(
        await tokenCall(app, fields, [await tokenProof(app, await proofKey())]),
        'invalid_grant',
        'the DPoP proof was made with another key than the one this refresh token is bound to',
      );
      expect(await refreshState(app, refreshToken)).toEqual({ jkt: key.jkt, rotated: false });

      const refreshed = await oidc.refreshTokenGrant(spa.config, refreshToken, undefined, { DPoP: spaDPoP });
      expect(cnfJkt(refreshed.access_token)).toBe(key.jkt);
      // The successor is bound to the same key.
      expect(await refreshState(app, refreshed.refresh_token ?? '')).toEqual({ jkt: key.jkt, rotated: false });
      expect(await refreshState(app, refreshToken)).toEqual({ jkt: key.jkt, rotated: true });
    });
  });

  describe('a retry within the reuse grace (issue 20) of a bound refresh token', () => {
    it('hands the same bound successor to the key again, and refuses another key without revoking anything', async () => {
      const retrying = await addClient(app, { isPublic: true, redirectUris: ['https://retry.example/callback'], refreshReuseGrace: 60 });
      const first = await redeemWith(retrying, await codeFor(retrying), oidc.getDPoPHandle(retrying.config, pair));
      const fields = { grant_type: 'refresh_token', refresh_token: first.refresh_token ?? '', client_id: retrying.clientId };
      const rotated = await tokenCall(app, fields, [await tokenProof(app, key)]);
      expect(rotated.status).toBe(200);
      const retried = await tokenCall(app, fields, [await tokenProof(app, key)]);
      expect([retried.status, retried.json.refresh_token, retried.json.token_type]).toEqual([200, rotated.json.refresh_token, 'DPoP']);
      expect(cnfJkt(retried.json.access_token as string)).toBe(key.jkt);
      expectRefused(
        await tokenCall(app, fields, [await tokenProof(app, await proofKey())]),
        'invalid_grant',
        'the DPoP proof was made with another key than the one this refresh token is bound to',
      );
      const successor = rotated.json.refresh_token as string;
      expect(await refreshState(app, successor)).toEqual({ jkt: key.jkt, rotated: false });
      const next = await tokenCall(app, { ...fields, refresh_token: successor }, [await tokenProof(app, key)]);
      expect(next.status).toBe(200);
    });
  });

  describe('client_credentials', () => {
    let orders: ApiRecord;
    let machine: MachineClient;
    let machineConfigured: oidc.Configuration;

    beforeAll(async () => {
      orders = await addApi(app, { identifier: ORDERS, scopes: ['orders:read'] });
      machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(orders, ['orders:read'])] });
      machineConfigured = await machineConfig(app, machine.clientId, oidc.ClientSecretBasic(machine.secret ?? ''));
    });

    it('binds a machine’s access token to its key', async () => {
      const tokens = await oidc.clientCredentialsGrant(machineConfigured, { resource: ORDERS }, { DPoP: oidc.getDPoPHandle(machineConfigured, pair) });
      expect(tokens).toEqual({ access_token: expect.any(String), token_type: 'dpop', expires_in: expect.any(Number), scope: 'orders:read' });
      expect(cnfJkt(tokens.access_token)).toBe(key.jkt);
      expect(await accessTokenJkt(app, tokens.access_token)).toBe(key.jkt);
    });
  });

  describe('the device authorization grant', () => {
    it('binds a public device’s tokens to its key; a pending poll with a proof gets the nonce for the next', async () => {
      const device = await addDeviceClient(app, { public: true });
      const start = await startDevice(app, device);
      const fields = { grant_type: DEVICE_CODE_GRANT, device_code: start.deviceCode, client_id: device.record.clientId };
      const pending = await tokenCall(app, fields, [await tokenProof(app, key)]);
      expectRefused(pending, 'authorization_pending', 'the user has not yet approved the request');
      const browser = new Browser();
      await signInAtDevice(app, 'ada@example.com', browser);
      await approve(app, browser, start.userCode);
      const answer = await tokenCall(app, fields, [await makeProof(key, { htm: 'POST', htu: tokenUrl(app), nonce: pending.nonce ?? '' })]);
      expect([answer.status, answer.json.token_type]).toEqual([200, 'DPoP']);
      expect(cnfJkt(answer.json.access_token as string)).toBe(key.jkt);
      expect(await refreshState(app, answer.json.refresh_token as string)).toEqual({ jkt: key.jkt, rotated: false });
    });
  });

  describe('a client registered with dpop_bound_access_tokens (RFC 9449 §5.2)', () => {
    it('refuses a token request without a proof, leaving the code for a request with one', async () => {
      const strict = await addClient(app, { redirectUris: ['https://strict.example/callback'], dpopBoundAccessTokens: true });
      const code = await codeFor(strict);
      expectRefused(await redeemRaw(strict, code), 'invalid_dpop_proof', 'this client must send a DPoP proof', { withNonce: false });
      const tokens = await redeemWith(strict, code, oidc.getDPoPHandle(strict.config, pair));
      expect(cnfJkt(tokens.access_token)).toBe(key.jkt);
    });
  });

  describe('introspection (RFC 9449 §6.2)', () => {
    it('reports cnf and token_type DPoP for a bound JWT access token and a bound refresh token, nothing for bearer ones', async () => {
      const bound = await redeemWith(confidential, await codeFor(confidential), DPoP);
      expect(await introspect(app, confidential, bound.access_token)).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt } });
      const bearer = await redeemWith(confidential, await codeFor(confidential));
      const described = await introspect(app, confidential, bearer.access_token);
      expect(described).toMatchObject({ active: true, token_type: 'Bearer' });
      expect(described).not.toHaveProperty('cnf');
      expect(await introspect(app, confidential, bearer.refresh_token ?? '')).not.toHaveProperty('cnf');
    });

    it('reports the binding of an opaque access token from its record', async () => {
      const ledger = await addApi(app, { identifier: LEDGER, scopes: ['ledger:read'], tokenFormat: 'opaque' });
      const machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(ledger, ['ledger:read']), introspectGrant(ledger)] });
      const configured = await machineConfig(app, machine.clientId, oidc.ClientSecretBasic(machine.secret ?? ''));
      const tokens = await oidc.clientCredentialsGrant(configured, { resource: LEDGER }, { DPoP: oidc.getDPoPHandle(configured, pair) });
      expect(tokens.token_type).toBe('dpop');
      const answer = await fetch(`${app.config.issuer}/introspect`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(machine.clientId, machine.secret ?? '') },
        body: new URLSearchParams({ token: tokens.access_token }).toString(),
      });
      expect(await answer.json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.jkt }, aud: LEDGER });
      // The opaque token's binding lives in its record, keyed by the token's hash.
      const record = await app.store.accessTokens.findLive(hashSecret(tokens.access_token), app.clock.now());
      expect(record?.jkt).toBe(key.jkt);
    });
  });

  describe('browsers (CORS)', () => {
    it('lets a browser-based client send DPoP to /token and read DPoP-Nonce', async () => {
      const preflight = await fetch(tokenUrl(app), {
        method: 'OPTIONS',
        headers: { Origin: 'https://spa.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,dpop' },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, DPoP');
      const answer = await fetch(tokenUrl(app), {
        method: 'POST',
        headers: { Origin: 'https://spa.example', 'Content-Type': 'application/x-www-form-urlencoded', DPoP: await tokenProof(app, key) },
        body: 'grant_type=client_credentials',
      });
      expect(answer.headers.get('access-control-expose-headers')).toBe('ETag, WWW-Authenticate, DPoP-Nonce');
      expect(answer.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });
  });
});
