// Every DPoP proof the token endpoint refuses (RFC 9449 §4.3, §8; issue 28), sent by hand as a client library never
// would, on a machine client's client_credentials request: each refusal is 400 with the spec's error code and a
// description saying what is wrong, carries a fresh DPoP-Nonce, and writes nothing (no access token, no spent jti).
// A good proof sent with wrong client credentials is not spent either: its client may still use it.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { DPOP_NONCE_SLOT_MS, dpopNoncesOf } from '../../src/oidc/dpop-nonce.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { accessTokenRecords, addMachine, type MachineClient } from './client-credentials-helpers.js';
import { makeProof, proofKey, type ProofClaims, type ProofKey } from './dpop-resource-helpers.js';
import { cnfJkt, expectRefused, serverNonce, spentProofs, tokenCall, tokenProof, tokenUrl, type TokenAnswer } from './dpop-token-helpers.js';
import { addApi, requestGrant } from './resource-helpers.js';

const ORDERS = 'https://orders.example/api';
const NONCE = /^[A-Za-z0-9_-]{32}$/;
const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

describe('DPoP proofs refused at the token endpoint (RFC 9449 §4.3)', () => {
  let app: RunningApp;
  let machine: MachineClient;
  let key: ProofKey;
  let before: { tokens: number; proofs: number };

  /** client_credentials for the machine, with these DPoP header values and (by default) its right secret. */
  const ask = (dpop: string[], secret = machine.secret ?? ''): Promise<TokenAnswer> =>
    tokenCall(app, { grant_type: 'client_credentials', resource: ORDERS }, dpop, { Authorization: basic(machine.clientId, secret) });
  const proof = (claims: Partial<ProofClaims> = {}, by = key) => tokenProof(app, by, claims);
  const nowS = () => Math.floor(Date.now() / 1000);

  async function expectNothingWritten(): Promise<void> {
    expect({ tokens: await accessTokenRecords(app, machine.clientId), proofs: await spentProofs(app) }).toEqual(before);
  }

  beforeAll(async () => {
    app = await startApp();
    const orders = await addApi(app, { identifier: ORDERS, scopes: ['orders:read'] });
    machine = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(orders, ['orders:read'])] });
    key = await proofKey();
  });
  beforeEach(async () => {
    before = { tokens: await accessTokenRecords(app, machine.clientId), proofs: await spentProofs(app) };
  });
  afterAll(() => app?.stop());

  it('accepts a good proof, binds the token, spends the jti once, and refuses the replay (RFC 9449 §11.1)', async () => {
    const good = await proof();
    const first = await ask([good]);
    expect([first.status, first.json.token_type, cnfJkt(first.json.access_token as string)]).toEqual([200, 'DPoP', key.jkt]);
    expect(first.nonce).toMatch(NONCE);
    expect({ tokens: await accessTokenRecords(app, machine.clientId), proofs: await spentProofs(app) }).toEqual({ tokens: before.tokens + 1, proofs: before.proofs + 1 });
    before = { tokens: before.tokens + 1, proofs: before.proofs + 1 };
    expectRefused(await ask([good]), 'invalid_dpop_proof', 'the DPoP proof was used before');
    await expectNothingWritten();
  });

  it('does not spend a proof sent with wrong client credentials: the client may still use it', async () => {
    const good = await proof();
    const refused = await ask([good], 'not-the-secret');
    expect([refused.status, refused.json.error]).toEqual([401, 'invalid_client']);
    expect(refused.nonce).toMatch(NONCE);
    await expectNothingWritten();
    expect((await ask([good])).status).toBe(200);
  });

  it('asks for the nonce (use_dpop_nonce) when the proof has none, with a DPoP-Nonce header that then works', async () => {
    const answer = await ask([await makeProof(key, { htm: 'POST', htu: tokenUrl(app) })]);
    expectRefused(answer, 'use_dpop_nonce', 'the DPoP proof must carry the nonce this server provides in the DPoP-Nonce header');
    await expectNothingWritten();
    expect((await ask([await makeProof(key, { htm: 'POST', htu: tokenUrl(app), nonce: answer.nonce ?? '' })])).status).toBe(200);
  });

  it('refuses a stale nonce (two slots old) and a forged one with use_dpop_nonce and a fresh nonce', async () => {
    const past = new FakeClock(Date.now() - 2 * DPOP_NONCE_SLOT_MS);
    const stale = dpopNoncesOf(past, await openSecretBox(app.config)).issue();
    for (const nonce of [stale, 'A'.repeat(32)]) {
      const answer = await ask([await makeProof(key, { htm: 'POST', htu: tokenUrl(app), nonce })]);
      expectRefused(answer, 'use_dpop_nonce', 'the DPoP proof nonce is not valid or has expired; use the one in the DPoP-Nonce header');
      expect(answer.nonce).not.toBe(nonce);
    }
    await expectNothingWritten();
  });

  it('refuses a proof whose jwk header holds the private key', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const leaking = { ...key, privateKey, publicJwk: await exportJWK(privateKey) };
    const nonce = await serverNonce(app, key);
    expectRefused(await ask([await makeProof(leaking, { htm: 'POST', htu: tokenUrl(app), nonce })]), 'invalid_dpop_proof', 'the DPoP proof jwk header must not contain a private key');
    await expectNothingWritten();
  });

  it('refuses a proof signed by another key than the one in its jwk header', async () => {
    const other = await proofKey();
    expectRefused(await ask([await proof({ jwk: other.publicJwk })]), 'invalid_dpop_proof', 'the DPoP proof signature does not verify with its jwk');
    await expectNothingWritten();
  });

  it('refuses a wrong htm', async () => {
    expectRefused(await ask([await proof({ htm: 'GET' })]), 'invalid_dpop_proof', 'the DPoP proof htm does not match the request method');
    await expectNothingWritten();
  });

  it('refuses a wrong htu: another endpoint, another host', async () => {
    for (const htu of [`${app.config.issuer}/userinfo`, 'https://idp.example/token']) {
      expectRefused(await ask([await proof({ htu })]), 'invalid_dpop_proof', 'the DPoP proof htu does not match the request URL');
    }
    await expectNothingWritten();
  });

  it('refuses a stale iat and a future one', async () => {
    expectRefused(await ask([await proof({ iat: nowS() - 120 })]), 'invalid_dpop_proof', 'the DPoP proof is too old (iat)');
    expectRefused(await ask([await proof({ iat: nowS() + 120 })]), 'invalid_dpop_proof', 'the DPoP proof was issued in the future (iat)');
    await expectNothingWritten();
  });

  it('refuses a wrong typ', async () => {
    expectRefused(await ask([await proof({ typ: 'JWT' })]), 'invalid_dpop_proof', 'the DPoP proof must have typ dpop+jwt');
    await expectNothingWritten();
  });

  it('refuses alg none and HS256', async () => {
    const claims = { htm: 'POST', htu: tokenUrl(app), iat: nowS(), jti: 'no-signature', nonce: await serverNonce(app, key) };
    const unsigned = `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${encode(claims)}.`;
    const secret = new Uint8Array(32).fill(7);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as Record<string, string> })
      .sign(secret);
    for (const refused of [unsigned, hmac]) {
      expectRefused(await ask([refused]), 'invalid_dpop_proof', 'the DPoP proof must be signed with one of ES256, PS256, EdDSA, RS256');
    }
    await expectNothingWritten();
  });

  it('refuses two DPoP headers, even two good proofs', async () => {
    expectRefused(await ask([await proof(), await proof()]), 'invalid_dpop_proof', 'the request must carry exactly one DPoP header');
    await expectNothingWritten();
  });

  it('refuses a DPoP header that is not a JWT', async () => {
    expectRefused(await ask(['not.a.jwt']), 'invalid_dpop_proof', 'the DPoP proof is not a JWT');
    await expectNothingWritten();
  });

  it('lets openid-client recover from use_dpop_nonce by itself (its DPoP handle retries with our nonce)', async () => {
    const configured = await oidc.discovery(new URL(app.config.issuer), machine.clientId, machine.secret ?? '', oidc.ClientSecretBasic(machine.secret ?? ''), {
      execute: [oidc.allowInsecureRequests],
    });
    const tokens = await oidc.clientCredentialsGrant(configured, { resource: ORDERS }, { DPoP: oidc.getDPoPHandle(configured, await oidc.randomDPoPKeyPair('PS256')) });
    expect(tokens.token_type).toBe('dpop');
  });
});
