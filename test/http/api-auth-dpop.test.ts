// The management API and DPoP (issue 28): the API takes bearer tokens only, and refuses a DPoP-bound access token
// outright, whichever scheme it comes with (src/api/authenticate.ts says why). A bound token accepted as a bearer
// token would make its binding worthless (RFC 9449 §7.2).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureManagementApi } from '../../src/manage/management-api.js';
import type { ApiRecord } from '../../src/store/records.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addMachine, machineConfig } from './client-credentials-helpers.js';
import { makeProof, proofKey } from './dpop-resource-helpers.js';
import { requestGrant } from './resource-helpers.js';

describe('the management API and DPoP-bound tokens (RFC 9449 §7.2)', () => {
  let app: RunningApp;
  let builtIn: ApiRecord;
  let config: oidc.Configuration;
  let usersUrl: string;

  beforeAll(async () => {
    app = await startApp();
    builtIn = await ensureManagementApi(app.store, app.config, app.clock);
    const added = await addMachine(app, { auth: { secret: true }, grants: [requestGrant(builtIn, ['manage:users'])] });
    config = await machineConfig(app, added.clientId, oidc.ClientSecretBasic(added.secret ?? ''));
    usersUrl = `${builtIn.identifier}/users`;
  });
  afterAll(() => app?.stop());

  async function problemOf(response: Response): Promise<{ status: number; detail: unknown; challenge: string | null }> {
    const body = (await response.json()) as { detail?: unknown };
    return { status: response.status, detail: body.detail, challenge: response.headers.get('www-authenticate') };
  }

  it('refuses a bound token as Bearer with invalid_token, and takes the same client’s bearer token', async () => {
    const pair = await oidc.randomDPoPKeyPair('ES256');
    const bound = await oidc.clientCredentialsGrant(config, { resource: builtIn.identifier }, { DPoP: oidc.getDPoPHandle(config, pair) });
    expect(bound.token_type).toBe('dpop');
    const refused = await problemOf(await fetch(usersUrl, { headers: { Authorization: `Bearer ${bound.access_token}` } }));
    expect(refused).toEqual({
      status: 401,
      detail: 'the access token is DPoP-bound: the management API accepts bearer tokens only; ask for its token without a DPoP proof',
      challenge: 'Bearer realm="gatehouse", error="invalid_token"',
    });
    const plain = await oidc.clientCredentialsGrant(config, { resource: builtIn.identifier });
    expect(plain.token_type).toBe('bearer');
    expect((await fetch(usersUrl, { headers: { Authorization: `Bearer ${plain.access_token}` } })).status).toBe(200);
  });

  it('refuses the DPoP scheme, even with a good proof, with the bare Bearer challenge naming the scheme it takes', async () => {
    const pair = await oidc.randomDPoPKeyPair('ES256');
    const bound = await oidc.clientCredentialsGrant(config, { resource: builtIn.identifier }, { DPoP: oidc.getDPoPHandle(config, pair) });
    const proof = await makeProof(await proofKey(pair), { htm: 'GET', htu: usersUrl, accessToken: bound.access_token });
    const refused = await problemOf(await fetch(usersUrl, { headers: { Authorization: `DPoP ${bound.access_token}`, DPoP: proof } }));
    expect(refused).toEqual({ status: 401, detail: 'send the token with the Bearer scheme (Authorization: Bearer <token>)', challenge: 'Bearer realm="gatehouse"' });
  });
});
