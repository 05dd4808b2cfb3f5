// private_key_jwt and the address rule (CWE-918, src/http/outbound-request.ts): with ALLOW_PRIVATE_CLIENT_URLS=false,
// a jwks_uri on a loopback address (one stored before the rule, or while the configuration allowed it) is not
// requested: the assertion is refused as jwks_unavailable, the reason refused_address in the log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addMachine, assertion, authFailures, jwksOf, newKey, startJwksServer, tokenWithAssertion, type JwksServer } from './client-credentials-helpers.js';
import { addApi, requestGrant } from './resource-helpers.js';

describe('private_key_jwt: a jwks_uri on a special-purpose address', () => {
  let strict: RunningApp;
  let allowing: RunningApp;
  let server: JwksServer;

  beforeAll(async () => {
    strict = await startApp({ env: { ALLOW_PRIVATE_CLIENT_URLS: 'false' } });
    allowing = await startApp({ env: { ALLOW_PRIVATE_CLIENT_URLS: 'true' } });
  });
  afterAll(async () => {
    await server?.stop();
    await strict.stop();
    await allowing.stop();
  });

  it('is not requested with ALLOW_PRIVATE_CLIENT_URLS=false: jwks_unavailable, refused_address in the log', async () => {
    const key = await newKey('RS256');
    server = await startJwksServer(jwksOf(key));
    const api = await addApi(strict, { name: 'Reports', identifier: 'https://reports.example/api', scopes: ['reports:read'] });
    const client = await addMachine(strict, { auth: { jwksUri: server.url }, grants: [requestGrant(api)] });
    const answer = await tokenWithAssertion(strict, await assertion(strict, client.clientId, key));
    expect(answer.status).toBe(401);
    expect((await authFailures(strict, client.clientId))[0]).toMatchObject({ details: { reason: 'jwks_unavailable', method: 'private_key_jwt' } });
    expect(strict.logs.filter((line) => line.msg === 'request refused').map((line) => line.detail)).toContain('jwks_uri could not be fetched (refused_address)');
    expect(server.requests).toBe(0);

    const allowedApi = await addApi(allowing, { name: 'Reports', identifier: 'https://reports.example/api', scopes: ['reports:read'] });
    const allowed = await addMachine(allowing, { auth: { jwksUri: server.url }, grants: [requestGrant(allowedApi)] });
    expect((await tokenWithAssertion(allowing, await assertion(allowing, allowed.clientId, key))).status).toBe(200);
    expect(server.requests).toBe(1);
  });
});
