// The machine-client programs of docs/integrating.md section 10, run as written there: the key pair a
// private_key_jwt client registers (`node-make-client-key`), its client-credentials request with openid-client
// (`node-client-credentials`), and an API with opaque tokens introspecting them with its own credentials
// (`node-introspect`).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi } from '../../src/manage/apis.js';
import { createClient } from '../../src/manage/clients.js';
import { manage } from '../helpers/oidc.js';
import { basic } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { ORDERS_API, machineToken } from './api-verifier-cases.js';
import { run, writeNodeProgram } from './documented-snippets.js';

const OPAQUE_API = 'https://api.example.com/ledger';

describe('the machine-client programs of docs/integrating.md section 10', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
    await createApi(manage(app), {
      name: 'Orders API',
      identifier: ORDERS_API,
      scopes: [
        { name: 'orders:read', description: 'Read orders' },
        { name: 'orders:write', description: 'Place orders' },
      ],
    });
    await createApi(manage(app), { name: 'Ledger API', identifier: OPAQUE_API, scopes: [{ name: 'ledger:read', description: 'Read the ledger' }], tokenFormat: 'opaque' });
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('makes a key pair, registers its public JWKS, and gets a token for the API with private_key_jwt that the documented API verifier accepts', async () => {
    const made = await run(process.execPath, [writeNodeProgram(app.dir, 'make-client-key.mjs', 'node-make-client-key')], {}, app.dir);
    expect(made, made.stderr).toMatchObject({ code: 0 });
    const jwks = readFileSync(path.join(app.dir, 'client-jwks.json'), 'utf8');
    const { kid } = JSON.parse(readFileSync(path.join(app.dir, 'client-key.json'), 'utf8')) as { kid: string; d?: string };
    expect(made.stdout).toBe(`kid ${kid}`);
    expect(jwks).not.toMatch(/"d"\s*:/);

    const { client, clientSecret } = await createClient(manage(app), {
      name: 'Nightly export',
      redirectUris: [],
      machine: true,
      jwks,
      apis: { request: [{ api: ORDERS_API, scopes: ['orders:read'] }], introspect: [] },
    });
    expect(clientSecret).toBeNull();
    const env = { ISSUER: app.config.issuer, CLIENT_ID: client.clientId, API_IDENTIFIER: ORDERS_API, SCOPE: 'orders:read' };
    const got = await run(process.execPath, [writeNodeProgram(app.dir, 'machine-token.mjs', 'node-client-credentials')], env, app.dir);
    expect(got, got.stderr).toMatchObject({ code: 0 });
    expect(decodeProtectedHeader(got.stdout).typ).toBe('at+jwt');
    expect(decodeJwt(got.stdout)).toMatchObject({ sub: client.clientId, client_id: client.clientId, aud: ORDERS_API, scope: 'orders:read' });

    const verifier = writeNodeProgram(app.dir, 'verify-api-token.mjs', 'node-api-verify');
    const verified = await run(process.execPath, [verifier, got.stdout], { ISSUER: app.config.issuer, API_IDENTIFIER: ORDERS_API, REQUIRED_SCOPE: 'orders:read' });
    expect(verified, verified.stderr).toMatchObject({ code: 0, stdout: `sub=${client.clientId} client_id=${client.clientId} scope=orders:read` });

    // A scope the client was not granted: the program fails with Gatehouse's invalid_scope.
    const refused = await run(process.execPath, [writeNodeProgram(app.dir, 'machine-token.mjs', 'node-client-credentials')], { ...env, SCOPE: 'orders:write' }, app.dir);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('invalid_scope');
  });

  it('lets an API introspect the opaque tokens minted for it with its own credentials, and nothing else', async () => {
    const ctx = manage(app);
    const caller = await createClient(ctx, {
      name: 'Ledger sync',
      redirectUris: [],
      machine: true,
      apis: {
        request: [
          { api: OPAQUE_API, scopes: null },
          { api: ORDERS_API, scopes: null },
        ],
        introspect: [],
      },
    });
    const ledger = await createClient(ctx, { name: 'Ledger API', redirectUris: [], machine: true, apis: { request: [], introspect: [OPAQUE_API] } });
    const callerCredentials = { clientId: caller.client.clientId, clientSecret: caller.clientSecret ?? '' };
    const opaque = await machineToken(app, callerCredentials, OPAQUE_API, 'ledger:read');
    expect(opaque.split('.')).toHaveLength(1);

    const program = writeNodeProgram(app.dir, 'introspect-api-token.mjs', 'node-introspect');
    const env = {
      ISSUER: app.config.issuer,
      API_IDENTIFIER: OPAQUE_API,
      REQUIRED_SCOPE: 'ledger:read',
      INTROSPECTION_CLIENT_ID: ledger.client.clientId,
      INTROSPECTION_CLIENT_SECRET: ledger.clientSecret ?? '',
    };
    const introspect = (token: string, extra: Record<string, string> = {}) => run(process.execPath, [program, token], { ...env, ...extra });

    const accepted = await introspect(opaque);
    expect(accepted, accepted.stderr).toMatchObject({ code: 0, stdout: `sub=${caller.client.clientId} client_id=${caller.client.clientId} scope=ledger:read` });

    const lacking = await introspect(opaque, { REQUIRED_SCOPE: 'ledger:write' });
    expect([lacking.code, lacking.stderr]).toEqual([1, 'refused: the token lacks the scope ledger:write']);
    // A token for another API: the ledger's credentials hear nothing about it.
    const other = await introspect(await machineToken(app, callerCredentials, ORDERS_API, 'orders:read'));
    expect([other.code, other.stderr]).toEqual([1, 'refused: the token is not active']);
    const wrongSecret = await introspect(opaque, { INTROSPECTION_CLIENT_SECRET: 'not the secret' });
    expect([wrongSecret.code, wrongSecret.stderr]).toEqual([1, 'refused: introspection answered 401']);

    // Revoked by the client that holds it: inactive at the next check, long before it would expire.
    const revoked = await fetch(`${app.config.issuer}/revoke`, {
      method: 'POST',
      headers: { Authorization: basic(callerCredentials.clientId, callerCredentials.clientSecret) },
      body: new URLSearchParams({ token: opaque, token_type_hint: 'access_token' }),
    });
    expect(revoked.status).toBe(200);
    const afterRevocation = await introspect(opaque);
    expect([afterRevocation.code, afterRevocation.stderr]).toEqual([1, 'refused: the token is not active']);
  });
});
