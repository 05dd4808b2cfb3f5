// The DPoP programs of docs/integrating.md section 10, run as written there: an API in Node.js checking DPoP-bound
// access tokens (`node-dpop-api`) and a machine client calling it with openid-client (`node-dpop-client`), against a
// real Gatehouse. The API runs as a child process on a loopback port; every request the test makes to it, right or
// wrong, is one a client or a thief could make.
import { spawn, type ChildProcess } from 'node:child_process';
import { exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/manage/apis.js';
import { createClient } from '../../src/manage/clients.js';
import { manage } from '../helpers/oidc.js';
import { freePort } from '../helpers/processes.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { makeProof, proofKey, type ProofClaims, type ProofKey } from '../http/dpop-resource-helpers.js';
import { ORDERS_API } from './api-verifier-cases.js';
import { run, writeNodeProgram } from './documented-snippets.js';

interface Answer {
  status: number;
  body: Record<string, unknown>;
  challenge: string | null;
}

describe('the DPoP programs of docs/integrating.md section 10 (RFC 9449)', () => {
  let app: RunningApp;
  let api: ChildProcess | undefined;
  let apiOutput = '';
  let apiUrl: string;
  let machine: { clientId: string; clientSecret: string };
  let config: oidc.Configuration;
  let key: ProofKey;
  let DPoP: oidc.DPoPHandle;
  /** The machine's token for the orders API, bound to `key`. */
  let bound: string;

  async function answerOf(response: Response): Promise<Answer> {
    return { status: response.status, body: (await response.json()) as Record<string, unknown>, challenge: response.headers.get('www-authenticate') };
  }

  /** A GET to the documented API with `Authorization: <scheme> <token>` and, unless null, a proof with `claims`. */
  async function call(token: string, claims: Partial<ProofClaims> | null, { scheme = 'DPoP', by = key }: { scheme?: string; by?: ProofKey } = {}): Promise<Answer> {
    const headers: Record<string, string> = { Authorization: `${scheme} ${token}` };
    if (claims !== null) headers.DPoP = await makeProof(by, { htm: 'GET', htu: apiUrl, accessToken: token, ...claims });
    return answerOf(await fetch(apiUrl, { headers }));
  }

  const refused = (error: string, description: string): Answer => ({
    status: 401,
    body: { error, error_description: description },
    challenge: `DPoP error="${error}", algs="ES256 PS256 EdDSA RS256"`,
  });

  beforeAll(async () => {
    app = await startApp();
    const ctx = manage(app);
    await createApi(ctx, { name: 'Orders API', identifier: ORDERS_API, scopes: [{ name: 'orders:read', description: 'Read orders' }] });
    const created = await createClient(ctx, { name: 'Nightly export', redirectUris: [], machine: true, apis: { request: [{ api: ORDERS_API, scopes: ['orders:read'] }], introspect: [] } });
    machine = { clientId: created.client.clientId, clientSecret: created.clientSecret ?? '' };
    config = await oidc.discovery(new URL(app.config.issuer), machine.clientId, undefined, oidc.ClientSecretBasic(machine.clientSecret), { execute: [oidc.allowInsecureRequests] });
    const pair = await oidc.randomDPoPKeyPair('ES256');
    key = await proofKey(pair);
    DPoP = oidc.getDPoPHandle(config, pair);
    const tokens = await oidc.clientCredentialsGrant(config, { resource: ORDERS_API, scope: 'orders:read' }, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    bound = tokens.access_token;

    // The documented API, as its reader runs it: node dpop-api.mjs, with the environment it names.
    const port = await freePort();
    apiUrl = `http://127.0.0.1:${port}/orders`;
    const program = writeNodeProgram(app.dir, 'dpop-api.mjs', 'node-dpop-api');
    const env = { PATH: process.env.PATH ?? '', ISSUER: app.config.issuer, API_IDENTIFIER: ORDERS_API, REQUIRED_SCOPE: 'orders:read', PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) };
    const child = spawn(process.execPath, [program], { env, cwd: app.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    api = child;
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        apiOutput += chunk.toString();
        if (apiOutput.includes('listening on ')) resolve();
      });
      child.stderr.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
      child.once('exit', (code) => reject(new Error(`the documented API exited (${code}): ${apiOutput}`)));
    });
  });

  afterAll(async () => {
    const child = api;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await app?.stop();
  });

  it('the API accepts the bound token with its proof, as openid-client sends them', async () => {
    const response = await oidc.fetchProtectedResource(config, bound, new URL(apiUrl), 'GET', undefined, undefined, { DPoP });
    expect(await answerOf(response)).toEqual({ status: 200, body: { sub: machine.clientId, client_id: machine.clientId, scope: 'orders:read' }, challenge: null });
  });

  it('the documented client gets a bound token with openid-client and the documented API accepts it', async () => {
    const env = { ISSUER: app.config.issuer, CLIENT_ID: machine.clientId, CLIENT_SECRET: machine.clientSecret, API_IDENTIFIER: ORDERS_API, SCOPE: 'orders:read', API_URL: apiUrl };
    const ran = await run(process.execPath, [writeNodeProgram(app.dir, 'call-dpop-api.mjs', 'node-dpop-client')], env, app.dir);
    expect(ran, ran.stderr).toMatchObject({ code: 0, stderr: 'token_type dpop' });
    expect(ran.stdout).toBe(`200 ${JSON.stringify({ sub: machine.clientId, client_id: machine.clientId, scope: 'orders:read' })}`);
  });

  it('refuses the bound token without a proof', async () => {
    expect(await call(bound, null)).toEqual(refused('invalid_dpop_proof', 'send exactly one DPoP proof'));
  });

  it('refuses the bound token as Bearer, with or without a proof', async () => {
    const expected = refused('invalid_token', 'a DPoP-bound token must be sent with the DPoP scheme');
    expect(await call(bound, null, { scheme: 'Bearer' })).toEqual(expected);
    expect(await call(bound, {}, { scheme: 'Bearer' })).toEqual(expected);
  });

  it('refuses a proof made with another key', async () => {
    expect(await call(bound, {}, { by: await proofKey() })).toEqual(refused('invalid_token', 'the DPoP proof is not signed by the key the token is bound to'));
  });

  it('refuses a replayed proof', async () => {
    const proof = await makeProof(key, { htm: 'GET', htu: apiUrl, accessToken: bound });
    const send = async () => answerOf(await fetch(apiUrl, { headers: { Authorization: `DPoP ${bound}`, DPoP: proof } }));
    expect((await send()).status).toBe(200);
    expect(await send()).toEqual(refused('invalid_dpop_proof', 'the DPoP proof was used before'));
  });

  it('refuses proofs with a wrong ath, htm or htu, a stale iat, a private key in jwk, or alg none', async () => {
    expect(await call(bound, { accessToken: undefined })).toEqual(refused('invalid_dpop_proof', 'the DPoP proof ath does not match the access token'));
    expect(await call(bound, { ath: 'x'.repeat(43) })).toEqual(refused('invalid_dpop_proof', 'the DPoP proof ath does not match the access token'));
    expect(await call(bound, { htm: 'POST' })).toEqual(refused('invalid_dpop_proof', 'the DPoP proof is for another method'));
    expect(await call(bound, { htu: `${apiUrl}/elsewhere` })).toEqual(refused('invalid_dpop_proof', 'the DPoP proof is for another URL'));
    expect(await call(bound, { iat: Math.floor(Date.now() / 1000) - 120 })).toEqual(refused('invalid_dpop_proof', 'the DPoP proof is too old or from the future'));
    // A thief's own key, its private half in the header: the proof is refused before the keys are even compared.
    const thief = await generateKeyPair('ES256', { extractable: true });
    const withPrivate = await call(bound, { jwk: await exportJWK(thief.privateKey) }, { by: await proofKey(thief) });
    expect([withPrivate.status, withPrivate.body.error, withPrivate.body.error_description]).toEqual([401, 'invalid_dpop_proof', expect.stringMatching(/^the DPoP proof is not valid/)]);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ htm: 'GET', htu: apiUrl, iat: Math.floor(Date.now() / 1000), jti: 'unsigned' })).toString('base64url');
    const unsigned = await answerOf(await fetch(apiUrl, { headers: { Authorization: `DPoP ${bound}`, DPoP: `${header}.${payload}.` } }));
    expect([unsigned.status, unsigned.body.error]).toEqual([401, 'invalid_dpop_proof']);
  });

  it('refuses a bearer token: the API takes bound tokens only', async () => {
    const plain = await oidc.clientCredentialsGrant(config, { resource: ORDERS_API, scope: 'orders:read' });
    expect(plain.token_type).toBe('bearer');
    expect(await call(plain.access_token, null, { scheme: 'Bearer' })).toEqual(refused('invalid_token', 'this API takes DPoP-bound tokens only'));
  });
});
