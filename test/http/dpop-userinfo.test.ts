import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, redeem, signIn, type TestClient } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { dpopChallenge, makeProof, proofKey, refusalOf, type ProofClaims, type ProofKey } from './dpop-resource-helpers.js';

describe('UserInfo with DPoP-bound access tokens (RFC 9449 §7)', () => {
  let app: RunningApp;
  let client: TestClient;
  let user: UserRecord;
  let url: string;
  let key: ProofKey;
  let DPoP: oidc.DPoPHandle;
  /** Ada's access token, bound to `key` by openid-client at the token endpoint. */
  let bound: string;

  /** A fresh nonce, as a client learns it: from the DPoP-Nonce of an answer. */
  async function nonce(): Promise<string> {
    const response = await fetch(url, { headers: { DPoP: await makeProof(key, { htm: 'GET', htu: url, accessToken: bound }), Authorization: `DPoP ${bound}` } });
    const value = response.headers.get('dpop-nonce');
    expect(value, `status ${response.status}`).toMatch(/^[A-Za-z0-9_-]{32}$/);
    return value ?? '';
  }

  /** A GET to userinfo with `Authorization: <scheme> <token>` and, unless null, a proof of `by` with `claims`. */
  async function call(token: string, claims: Partial<ProofClaims> | null, { scheme = 'DPoP', by = key }: { scheme?: string; by?: ProofKey } = {}): Promise<Response> {
    const headers: Record<string, string> = { Authorization: `${scheme} ${token}` };
    if (claims !== null) headers.DPoP = await makeProof(by, { htm: 'GET', htu: url, accessToken: token, nonce: await nonce(), ...claims });
    return fetch(url, { headers });
  }

  async function dpopTokens(dpop: oidc.DPoPHandle, email = 'ada@example.com'): Promise<oidc.TokenEndpointResponse> {
    const start = await authorizationUrl(client, { scope: 'openid email' });
    const callback = await signIn(new Browser(), app, start, email);
    return oidc.authorizationCodeGrant(client.config, callback, { pkceCodeVerifier: start.codeVerifier, expectedState: start.state, expectedNonce: start.nonce }, undefined, {
      DPoP: dpop,
    });
  }

  beforeAll(async () => {
    app = await startApp();
    url = `${app.config.issuer}/userinfo`;
    user = await addUser(app);
    client = await addClient(app);
    const pair = await oidc.randomDPoPKeyPair('ES256');
    key = await proofKey(pair);
    DPoP = oidc.getDPoPHandle(client.config, pair);
    const tokens = await dpopTokens(DPoP);
    expect(tokens.token_type).toBe('dpop');
    bound = tokens.access_token;
  });
  afterAll(() => app?.stop());

  describe('a bound token with its proof (RFC 9449 §7.1)', () => {
    it('answers openid-client’s fetchUserInfo with a DPoP handle: the nonce round trip, then the claims', async () => {
      const claims = await oidc.fetchUserInfo(client.config, bound, user.id, { DPoP });
      expect(claims).toMatchObject({ sub: user.id, email: 'ada@example.com' });
    });

    it('answers GET and POST with a proof of the method, and each answer carries a fresh DPoP-Nonce', async () => {
      const get = await call(bound, {});
      expect(get.status).toBe(200);
      expect(((await get.json()) as { sub: string }).sub).toBe(user.id);
      expect(get.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const post = await fetch(url, {
        method: 'POST',
        headers: { Authorization: `DPoP ${bound}`, DPoP: await makeProof(key, { htm: 'POST', htu: url, accessToken: bound, nonce: await nonce() }) },
      });
      expect(post.status).toBe(200);
      expect(post.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });

    it('lets browsers send the DPoP header and read DPoP-Nonce (CORS)', async () => {
      const preflight = await fetch(url, {
        method: 'OPTIONS',
        headers: { Origin: 'https://spa.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization,dpop' },
      });
      expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('dpop');
      const response = await fetch(url, {
        headers: { Origin: 'https://spa.example', Authorization: `DPoP ${bound}`, DPoP: await makeProof(key, { htm: 'GET', htu: url, accessToken: bound, nonce: await nonce() }) },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-expose-headers')?.toLowerCase()).toContain('dpop-nonce');
    });
  });

  describe('a stolen bound token is useless without the key (RFC 9449 §7.2)', () => {
    it('refuses a bound token sent as Bearer, in the header or in the form body, with the DPoP challenge', async () => {
      const description = 'the access token is DPoP-bound: send it with the DPoP scheme (Authorization: DPoP <token>) and a DPoP proof';
      const header = await refusalOf(await fetch(url, { headers: { Authorization: `Bearer ${bound}` } }));
      expect(header).toEqual({ status: 401, error: 'invalid_token', description, challenge: dpopChallenge('invalid_token', description), nonce: null });
      const body = await refusalOf(await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ access_token: bound }) }));
      expect(body).toEqual(header);
    });

    it('refuses it as Bearer even with a valid proof beside it', async () => {
      const refusal = await refusalOf(await call(bound, {}, { scheme: 'Bearer' }));
      expect([refusal.status, refusal.error, refusal.description]).toEqual([
        401,
        'invalid_token',
        'the access token is DPoP-bound: send it with the DPoP scheme (Authorization: DPoP <token>) and a DPoP proof',
      ]);
      expect(refusal.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });

    it('refuses a proof made with another key (the thief’s own): invalid_token', async () => {
      const description = 'the DPoP proof is not signed by the key the access token is bound to';
      const refusal = await refusalOf(await call(bound, {}, { by: await proofKey() }));
      expect({ ...refusal, nonce: null }).toEqual({ status: 401, error: 'invalid_token', description, challenge: dpopChallenge('invalid_token', description), nonce: null });
    });

    it('refuses the DPoP scheme without a proof', async () => {
      const description = 'a DPoP proof is required with the DPoP authorization scheme';
      expect(await refusalOf(await call(bound, null))).toEqual({
        status: 401,
        error: 'invalid_dpop_proof',
        description,
        challenge: dpopChallenge('invalid_dpop_proof', description),
        nonce: null,
      });
    });

    it('refuses a replayed proof, and spends nothing on a refused request', async () => {
      const proof = await makeProof(key, { htm: 'GET', htu: url, accessToken: bound, nonce: await nonce() });
      const send = () => fetch(url, { headers: { Authorization: `DPoP ${bound}`, DPoP: proof } });
      // Refused after the proof passed (Ada's account marked disabled, her tokens left alone): its jti stays unspent,
      // so the same proof works once she is enabled again.
      await app.store.users.update(user.id, { disabled: true }, Date.now());
      expect(await refusalOf(await send())).toMatchObject({ status: 401, error: 'invalid_token', description: 'the access token is no longer valid' });
      await app.store.users.update(user.id, { disabled: false }, Date.now());
      expect((await send()).status).toBe(200);
      const description = 'the DPoP proof was used before';
      const replay = await refusalOf(await send());
      expect({ ...replay, nonce: null }).toEqual({ status: 401, error: 'invalid_dpop_proof', description, challenge: dpopChallenge('invalid_dpop_proof', description), nonce: null });
    });
  });

  describe('refused proofs: 401 with the DPoP challenge (RFC 9449 §7.1, §4.3)', () => {
    const cases: [string, () => Promise<Partial<ProofClaims>>, string][] = [
      ['without ath', async () => ({ accessToken: undefined }), 'the DPoP proof must carry ath, the hash of the access token'],
      ['with the ath of another token', async () => ({ ath: 'x'.repeat(43) }), 'the DPoP proof ath does not match the access token'],
      ['for another method', async () => ({ htm: 'POST' }), 'the DPoP proof htm does not match the request method'],
      ['for another URL (the token endpoint)', async () => ({ htu: `${app.config.issuer}/token` }), 'the DPoP proof htu does not match the request URL'],
      ['issued two minutes ago', async () => ({ iat: Math.floor(Date.now() / 1000) - 120 }), 'the DPoP proof is too old (iat)'],
    ];
    for (const [name, claims, description] of cases) {
      it(`refuses a proof ${name}`, async () => {
        const refusal = await refusalOf(await call(bound, await claims()));
        expect({ ...refusal, nonce: null }).toEqual({ status: 401, error: 'invalid_dpop_proof', description, challenge: dpopChallenge('invalid_dpop_proof', description), nonce: null });
        expect(refusal.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
      });
    }

    it('answers a proof without the nonce with use_dpop_nonce, the nonce to use, and the challenge (RFC 9449 §9)', async () => {
      const description = 'the DPoP proof must carry the nonce this server provides in the DPoP-Nonce header';
      const refusal = await refusalOf(await fetch(url, { headers: { Authorization: `DPoP ${bound}`, DPoP: await makeProof(key, { htm: 'GET', htu: url, accessToken: bound }) } }));
      expect({ ...refusal, nonce: null }).toEqual({ status: 401, error: 'use_dpop_nonce', description, challenge: dpopChallenge('use_dpop_nonce', description), nonce: null });
      expect(refusal.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
      // The nonce it names is the one that works.
      const retry = await fetch(url, { headers: { Authorization: `DPoP ${bound}`, DPoP: await makeProof(key, { htm: 'GET', htu: url, accessToken: bound, nonce: refusal.nonce ?? '' }) } });
      expect(retry.status).toBe(200);
    });

    it('answers a proof with a nonce it did not issue with use_dpop_nonce', async () => {
      const refusal = await refusalOf(await call(bound, { nonce: 'A'.repeat(32) }));
      expect([refusal.status, refusal.error, refusal.description]).toEqual([401, 'use_dpop_nonce', 'the DPoP proof nonce is not valid or has expired; use the one in the DPoP-Nonce header']);
      expect(refusal.challenge).toMatch(/^DPoP realm="gatehouse", error="use_dpop_nonce"/);
      expect(refusal.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });
  });

  describe('bearer tokens stay bearer tokens', () => {
    it('refuses an unbound token sent with the DPoP scheme, even with a proof', async () => {
      const plain = await addClient(app, { redirectUris: ['https://plain.example/callback'] });
      const start = await authorizationUrl(plain, { scope: 'openid' });
      const tokens = await redeem(plain, await signIn(new Browser(), app, start, 'ada@example.com'), start);
      expect(tokens.token_type).toBe('bearer');
      const description = 'the access token is not DPoP-bound: send it with the Bearer scheme (Authorization: Bearer <token>)';
      const refusal = await refusalOf(await call(tokens.access_token, {}));
      expect({ ...refusal, nonce: null }).toEqual({ status: 401, error: 'invalid_token', description, challenge: dpopChallenge('invalid_token', description), nonce: null });
      // As Bearer it works, a DPoP header beside it or not.
      expect((await fetch(url, { headers: { Authorization: `Bearer ${tokens.access_token}` } })).status).toBe(200);
    });

    it('answers a request without a token but with a DPoP header with the bare Bearer challenge and a nonce', async () => {
      const response = await fetch(url, { headers: { DPoP: await makeProof(key, { htm: 'GET', htu: url }) } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
      expect(response.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });
  });
  describe('the same refusals at the token endpoint stay 400 without a challenge (RFC 9449 §5, §8)', () => {
    it('answers use_dpop_nonce and invalid_dpop_proof there with 400, JSON and the nonce, but no WWW-Authenticate', async () => {
      const tokenUrl = `${app.config.issuer}/token`;
      const post = async (proof: string) =>
        refusalOf(
          await fetch(tokenUrl, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: basic(client.clientId, client.clientSecret ?? ''), DPoP: proof },
            body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'unknown' }),
          }),
        );
      const missing = await post(await makeProof(key, { htm: 'POST', htu: tokenUrl }));
      expect({ ...missing, nonce: null }).toEqual({
        status: 400,
        error: 'use_dpop_nonce',
        description: 'the DPoP proof must carry the nonce this server provides in the DPoP-Nonce header',
        challenge: null,
        nonce: null,
      });
      expect(missing.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
      const wrongUrl = await post(await makeProof(key, { htm: 'POST', htu: url, nonce: missing.nonce ?? '' }));
      expect({ ...wrongUrl, nonce: null }).toEqual({ status: 400, error: 'invalid_dpop_proof', description: 'the DPoP proof htu does not match the request URL', challenge: null, nonce: null });
      expect(wrongUrl.nonce).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });
  });
});
