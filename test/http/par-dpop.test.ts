// DPoP at the pushed authorization request endpoint (RFC 9449 §10, §10.1; issue 28): a proof sent with the push binds
// the code the request yields to the proof's key (the pushed request keeps `dpop_jkt`, the code record `dpopJkt`), as
// `dpop_jkt` does at /authorize. With openid-client v6's DPoP handle as the real client (it answers use_dpop_nonce by
// retrying with our nonce), and hand-made proofs for the refusals: no nonce, a wrong htu, a replay, a dpop_jkt that
// names another key; a refused push stores nothing, and a proof refused with the client's credentials is not spent.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, signIn, type TestClient } from '../helpers/oidc.js';
import { queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { makeProof, proofKey, type ProofClaims, type ProofKey } from './dpop-resource-helpers.js';
import { authorizeUrl, basic, CHALLENGE, push, pushedRequests } from './par-helpers.js';

describe('DPoP at the pushed authorization request endpoint (RFC 9449 §10.1)', () => {
  let app: RunningApp;
  let client: TestClient;
  let key: ProofKey;
  let nonce: string;

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    client = await addClient(app, { redirectUris: ['https://bound.example/cb'] });
    key = await proofKey();
    // The server's current nonce, as a client learns it: from the use_dpop_nonce answer to a proof without one.
    const first = await push(app, fields(), { ...credentials(), DPoP: await proof() });
    nonce = first.headers.get('dpop-nonce') ?? '';
  });
  afterAll(() => app.stop());

  const fields = (extra: Record<string, string> = {}) => ({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid',
    state: 'st',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  const credentials = () => basic(client.clientId, client.clientSecret ?? '');

  /** A DPoP proof for POST /par by `signer`, now, with our nonce; claims changed by `claims` (nonce: undefined leaves it out). */
  function proof(claims: Partial<ProofClaims> = {}, signer: ProofKey = key): Promise<string> {
    return makeProof(signer, { htm: 'POST', htu: `${app.config.issuer}/par`, nonce, ...claims });
  }

  const storedJkts = async () => (await queryRows<{ params: string }>(app, 'SELECT params FROM pushed_requests')).map((row) => (JSON.parse(row.params) as Record<string, unknown>).dpop_jkt);

  it('binds the pushed request, and then the code, to the proof key: openid-client with a DPoP handle', async () => {
    const pair = await oidc.randomDPoPKeyPair('ES256');
    const handle = oidc.getDPoPHandle(client.config, pair);
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(
      client.config,
      { redirect_uri: client.redirectUri, scope: 'openid', state, code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256' },
      { DPoP: handle },
    );
    const callback = await signIn(new Browser(), app, { url, state, nonce: '', codeVerifier }, 'ada@example.com');
    expect(callback.searchParams.get('code')).toEqual(expect.any(String));
    const rows = await queryRows<{ dpop_jkt: string | null }>(app, 'SELECT dpop_jkt FROM authorization_codes');
    expect(rows.map((row) => row.dpop_jkt)).toEqual([(await proofKey(pair)).jkt]);
    // The code is redeemed with a proof of the same key, for a DPoP-bound access token.
    const tokens = await oidc.authorizationCodeGrant(client.config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state }, undefined, { DPoP: handle });
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
  });

  it('answers a proof without our nonce with use_dpop_nonce and a DPoP-Nonce header, storing nothing', async () => {
    const before = await pushedRequests(app);
    const answer = await push(app, fields(), { ...credentials(), DPoP: await proof({ nonce: undefined }) });
    expect([answer.status, answer.json]).toEqual([400, { error: 'use_dpop_nonce', error_description: 'the DPoP proof must carry the nonce this server provides in the DPoP-Nonce header' }]);
    expect(answer.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await pushedRequests(app)).toBe(before);
  });

  it('stores the proof key thumbprint as dpop_jkt, and gives a fresh nonce with the answer', async () => {
    const answer = await push(app, fields(), { ...credentials(), DPoP: await proof() });
    expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    expect(answer.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await storedJkts()).toContain(key.jkt);
  });

  it('accepts dpop_jkt beside a proof of the same key, and refuses one naming another key (invalid_request)', async () => {
    expect((await push(app, fields({ dpop_jkt: key.jkt }), { ...credentials(), DPoP: await proof() })).status).toBe(201);
    const before = await pushedRequests(app);
    const other = await proofKey();
    const answer = await push(app, fields({ dpop_jkt: other.jkt }), { ...credentials(), DPoP: await proof() });
    expect([answer.status, answer.json]).toEqual([400, { error: 'invalid_request', error_description: 'dpop_jkt differs from the thumbprint of the DPoP proof key' }]);
    expect(await pushedRequests(app)).toBe(before);
  });

  it('refuses a proof made for another URL (htu) with invalid_dpop_proof, and a nonce beside the refusal', async () => {
    const answer = await push(app, fields(), { ...credentials(), DPoP: await proof({ htu: `${app.config.issuer}/token` }) });
    expect([answer.status, answer.json]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'the DPoP proof htu does not match the request URL' }]);
    expect(answer.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('refuses a replayed proof; a proof refused with wrong client credentials was not spent', async () => {
    const dpop = await proof();
    const before = await pushedRequests(app);
    const wrongSecret = await push(app, fields(), { ...basic(client.clientId, 'wrong'), DPoP: dpop });
    expect([wrongSecret.status, wrongSecret.json.error]).toEqual([401, 'invalid_client']);
    expect(await pushedRequests(app)).toBe(before);
    expect((await push(app, fields(), { ...credentials(), DPoP: dpop })).status).toBe(201);
    const replay = await push(app, fields(), { ...credentials(), DPoP: dpop });
    expect([replay.status, replay.json]).toEqual([400, { error: 'invalid_dpop_proof', error_description: 'the DPoP proof was used before' }]);
  });

  it('binds the code to dpop_jkt sent to /authorize without a push (RFC 9449 §10)', async () => {
    const page = await new Browser().get(authorizeUrl(app, { ...fields(), dpop_jkt: key.jkt }));
    expect(page.status).toBe(303);
    const [row] = await queryRows<{ params: string }>(app, 'SELECT params FROM authorization_requests ORDER BY created_at DESC LIMIT 1');
    expect((JSON.parse(row?.params ?? '{}') as Record<string, unknown>).dpop_jkt).toBe(key.jkt);
    const bad = await new Browser().get(authorizeUrl(app, { ...fields(), dpop_jkt: 'not-a-thumbprint' }));
    expect(new URL(bad.location ?? '').searchParams.get('error_description')).toBe('dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters');
  });
});
