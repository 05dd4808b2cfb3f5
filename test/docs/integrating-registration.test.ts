// The dynamic registration examples of docs/integrating.md section 11, run as written there against a running app
// with DYNAMIC_REGISTRATION=token: the curl registration (`curl-register`), the client reading, replacing and deleting
// its registration with curl (`curl-registration-read`, `-update`, `-delete`, RFC 7592), and openid-client's
// dynamicClientRegistration (`node-register`). The guide's backchannel_logout_uri names a host of example.net, which
// a test machine cannot resolve: the app allows registered clients any address (REGISTRATION_ALLOW_PRIVATE_URLS), so
// nothing is resolved; test/http/registration*.test.ts prove the address rule with a resolver of their own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistrationToken } from '../../src/manage/registration-tokens.js';
import { manage } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { documentedSnippet, run, writeNodeProgram } from './documented-snippets.js';

type Json = Record<string, unknown>;

describe('the dynamic client registration examples of docs/integrating.md section 11', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp({ env: { DYNAMIC_REGISTRATION: 'token', REGISTRATION_ALLOW_PRIVATE_URLS: 'true' } });
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** A documented shell block, run by bash with only `env` (and PATH); its stdout. */
  async function shell(block: string, env: Record<string, string>): Promise<string> {
    const result = await run('/bin/bash', ['-c', `set -euo pipefail\n${documentedSnippet(block)}`], { HOME: app.dir, ...env }, app.dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    return result.stdout;
  }

  async function initialAccessToken(uses: number): Promise<string> {
    return (await createRegistrationToken(manage(app), { uses }, 'test')).token;
  }

  it('registers with curl and an initial access token, then reads, replaces and deletes the registration with curl', { timeout: 60_000 }, async () => {
    const issuer = app.config.issuer;
    const token = await initialAccessToken(1);
    const registered = JSON.parse(await shell('curl-register', { ISSUER: issuer, INITIAL_ACCESS_TOKEN: token })) as Json;
    const clientId = String(registered.client_id);
    expect(registered).toMatchObject({
      client_name: 'Photo Printer',
      redirect_uris: ['https://photos.example.net/callback'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      scope: 'openid email profile offline_access',
      client_secret: expect.any(String),
      client_secret_expires_at: 0,
      registration_access_token: expect.any(String),
      registration_client_uri: `${issuer}/register/${clientId}`,
      backchannel_logout_uri: 'https://photos.example.net/backchannel-logout',
    });
    expect(await app.store.clients.findById(clientId)).toMatchObject({ thirdParty: true, origin: 'dynamic', policyUri: 'https://photos.example.net/privacy' });
    // The token had one use: the same command again is refused, and registers nothing.
    const clients = await app.store.clients.count();
    expect(JSON.parse(await shell('curl-register', { ISSUER: issuer, INITIAL_ACCESS_TOKEN: token }))).toMatchObject({ error: 'invalid_token' });
    expect(await app.store.clients.count()).toBe(clients);

    const management = { REGISTRATION_CLIENT_URI: String(registered.registration_client_uri), REGISTRATION_ACCESS_TOKEN: String(registered.registration_access_token) };
    const read = JSON.parse(await shell('curl-registration-read', management)) as Json;
    expect(read).toMatchObject({ client_id: clientId, client_name: 'Photo Printer', tos_uri: 'https://photos.example.net/terms' });
    expect(read).not.toHaveProperty('client_secret');
    expect(read).not.toHaveProperty('registration_access_token');

    const updated = JSON.parse(await shell('curl-registration-update', { ...management, CLIENT_ID: clientId })) as Json;
    expect(updated).toMatchObject({
      client_id: clientId,
      client_name: 'Photo Printer Studio',
      redirect_uris: ['https://photos.example.net/callback', 'https://studio.photos.example.net/callback'],
      registration_access_token: expect.any(String),
    });
    // What the replacement left out is cleared (RFC 7592 §2.2), as the guide says.
    expect(updated).not.toHaveProperty('policy_uri');
    expect(updated).not.toHaveProperty('backchannel_logout_uri');
    expect(updated.registration_access_token).not.toBe(management.REGISTRATION_ACCESS_TOKEN);
    // The old token no longer works; the new one does.
    expect(JSON.parse(await shell('curl-registration-read', management))).toMatchObject({ error: 'invalid_token' });
    const rotated = { ...management, REGISTRATION_ACCESS_TOKEN: String(updated.registration_access_token) };
    expect(JSON.parse(await shell('curl-registration-read', rotated))).toMatchObject({ client_name: 'Photo Printer Studio' });

    expect(await shell('curl-registration-delete', rotated)).toBe('204');
    await expect(app.store.clients.findById(clientId)).resolves.toBeNull();
    expect(await shell('curl-registration-delete', rotated)).toBe('401');
  });

  it('registers with openid-client and prints the four values to keep', { timeout: 60_000 }, async () => {
    const program = writeNodeProgram(app.dir, 'register.mjs', 'node-register');
    const result = await run(process.execPath, [program], { ISSUER: app.config.issuer, INITIAL_ACCESS_TOKEN: await initialAccessToken(1) }, app.dir);
    expect(result, result.stderr).toMatchObject({ code: 0 });
    const kept = JSON.parse(result.stdout) as Json;
    expect(Object.keys(kept).sort()).toEqual(['client_id', 'client_secret', 'registration_access_token', 'registration_client_uri']);
    expect(await app.store.clients.findById(String(kept.client_id))).toMatchObject({
      name: 'Photo Printer',
      thirdParty: true,
      origin: 'dynamic',
      tokenEndpointAuthMethod: 'client_secret_post',
      scopes: ['openid', 'email', 'offline_access'],
    });
    // Without the token, the same program is refused (openid-client throws: a non-zero exit).
    const refused = await run(process.execPath, [program], { ISSUER: app.config.issuer, INITIAL_ACCESS_TOKEN: '' }, app.dir);
    expect(refused.code).not.toBe(0);
  });
});
