// Every unsafe or unsupported value of a registration request is refused with the error RFC 7591 §3.2.2 names
// (invalid_redirect_uri for a redirect URI, invalid_client_metadata naming the field for anything else), and nothing
// is stored: no client, no audit event. Registration is open here, each request from its own client address.
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../helpers/start-app.js';
import { clientCount, MINIMAL, REDIRECT_URI, register, startRegistrationApp } from './registration-helpers.js';

/** An RSA public key of 2048 bits, as a client publishes it. */
const PUBLIC_JWK = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }), kid: 'k1', use: 'sig', alg: 'RS256' };

type Case = [description: string, metadata: unknown, error: 'invalid_redirect_uri' | 'invalid_client_metadata', field: string];

const base = (extra: Record<string, unknown>) => ({ ...MINIMAL, ...extra });

const CASES: Case[] = [
  // Redirect URIs: today's rules (https, http only on loopback, absolute, no fragment, no credentials) and no wildcard.
  ['an http redirect URI on a host that is not loopback', { redirect_uris: ['http://rp.example/callback'] }, 'invalid_redirect_uri', 'redirect_uri'],
  ['a redirect URI with a fragment', { redirect_uris: ['https://rp.example/callback#top'] }, 'invalid_redirect_uri', 'redirect_uri'],
  ['a wildcard redirect URI', { redirect_uris: ['https://*.rp.example/callback'] }, 'invalid_redirect_uri', 'redirect_uris'],
  ['a relative redirect URI', { redirect_uris: ['/callback'] }, 'invalid_redirect_uri', 'redirect_uri'],
  ['a redirect URI with credentials', { redirect_uris: ['https://user:secret@rp.example/callback'] }, 'invalid_redirect_uri', 'redirect_uri'],
  ['a custom-scheme redirect URI', { redirect_uris: ['com.example.app:/callback'] }, 'invalid_redirect_uri', 'redirect_uri'],
  ['no redirect URI for the code grant', { client_name: 'No redirect' }, 'invalid_redirect_uri', 'redirect_uris'],
  ['redirect_uris as a string', { redirect_uris: REDIRECT_URI }, 'invalid_redirect_uri', 'redirect_uris'],
  ['a redirect URI that is a number', { redirect_uris: [42] }, 'invalid_redirect_uri', 'redirect_uris'],
  [
    'redirect URIs for a device-only client',
    { redirect_uris: [REDIRECT_URI], grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: [] },
    'invalid_redirect_uri',
    'redirect_uris',
  ],
  ['an http post-logout redirect URI on a host that is not loopback', base({ post_logout_redirect_uris: ['http://rp.example/bye'] }), 'invalid_client_metadata', 'post_logout_redirect_uri'],
  ['a wildcard post-logout redirect URI', base({ post_logout_redirect_uris: ['https://rp.example/*'] }), 'invalid_client_metadata', 'post_logout_redirect_uris'],
  // Grant types and response types (RFC 7591 §2.1).
  ['client_credentials', base({ grant_types: ['client_credentials'] }), 'invalid_client_metadata', 'grant_types'],
  ['client_credentials beside the code grant', base({ grant_types: ['authorization_code', 'client_credentials'] }), 'invalid_client_metadata', 'grant_types'],
  ['the implicit grant', base({ grant_types: ['implicit'], response_types: ['token'] }), 'invalid_client_metadata', 'grant_types'],
  ['the password grant', base({ grant_types: ['password'] }), 'invalid_client_metadata', 'grant_types'],
  ['refresh_token alone', base({ grant_types: ['refresh_token'], response_types: [] }), 'invalid_client_metadata', 'grant_types'],
  ['response type token', base({ response_types: ['token'] }), 'invalid_client_metadata', 'response_types'],
  ['response type code id_token', base({ response_types: ['code id_token'] }), 'invalid_client_metadata', 'response_types'],
  ['the code grant without the code response type', base({ grant_types: ['authorization_code'], response_types: [] }), 'invalid_client_metadata', 'response_types'],
  ['the code response type without the code grant', { grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], response_types: ['code'] }, 'invalid_client_metadata', 'response_types'],
  ['grant_types as a string', base({ grant_types: 'authorization_code' }), 'invalid_client_metadata', 'grant_types'],
  // Client authentication.
  ['an unknown token_endpoint_auth_method', base({ token_endpoint_auth_method: 'magic' }), 'invalid_client_metadata', 'token_endpoint_auth_method'],
  ['client_secret_jwt', base({ token_endpoint_auth_method: 'client_secret_jwt' }), 'invalid_client_metadata', 'token_endpoint_auth_method'],
  ['tls_client_auth', base({ token_endpoint_auth_method: 'tls_client_auth' }), 'invalid_client_metadata', 'token_endpoint_auth_method'],
  ['jwks and jwks_uri both', base({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [PUBLIC_JWK] }, jwks_uri: 'https://rp.example/jwks' }), 'invalid_client_metadata', 'jwks'],
  ['private_key_jwt without keys', base({ token_endpoint_auth_method: 'private_key_jwt' }), 'invalid_client_metadata', 'jwks'],
  ['keys for a client with a secret', base({ jwks: { keys: [PUBLIC_JWK] } }), 'invalid_client_metadata', 'jwks'],
  ['a private key in the jwks', base({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...PUBLIC_JWK, d: 'secret' }] } }), 'invalid_client_metadata', 'jwks'],
  ['a symmetric key in the jwks', base({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } }), 'invalid_client_metadata', 'jwks'],
  ['jwks as an array', base({ token_endpoint_auth_method: 'private_key_jwt', jwks: [PUBLIC_JWK] }), 'invalid_client_metadata', 'jwks'],
  ['jwks as text', base({ token_endpoint_auth_method: 'private_key_jwt', jwks: JSON.stringify({ keys: [PUBLIC_JWK] }) }), 'invalid_client_metadata', 'jwks'],
  ['an HMAC assertion algorithm', base({ token_endpoint_auth_signing_alg: 'HS256' }), 'invalid_client_metadata', 'token_endpoint_auth_signing_alg'],
  // The pages a person is shown: https only.
  ['an http logo_uri', base({ logo_uri: 'http://rp.example/logo.png' }), 'invalid_client_metadata', 'logo_uri'],
  ['an http client_uri', base({ client_uri: 'http://rp.example/' }), 'invalid_client_metadata', 'client_uri'],
  ['an http policy_uri', base({ policy_uri: 'http://rp.example/privacy' }), 'invalid_client_metadata', 'policy_uri'],
  ['an http tos_uri', base({ tos_uri: 'http://rp.example/terms' }), 'invalid_client_metadata', 'tos_uri'],
  ['an http client_uri on loopback (REGISTRATION_ALLOW_PRIVATE_URLS is false)', base({ client_uri: 'http://127.0.0.1:8080/' }), 'invalid_client_metadata', 'client_uri'],
  ['a javascript: logo_uri', base({ logo_uri: 'javascript:alert(1)' }), 'invalid_client_metadata', 'logo_uri'],
  ['an http initiate_login_uri', base({ initiate_login_uri: 'http://rp.example/login' }), 'invalid_client_metadata', 'initiate_login_uri'],
  ['a logo_uri that is a number', base({ logo_uri: 7 }), 'invalid_client_metadata', 'logo_uri'],
  // Names, scopes and the rest.
  ['a client_name that is a number', base({ client_name: 42 }), 'invalid_client_metadata', 'client_name'],
  ['a client_name of 201 characters', base({ client_name: 'n'.repeat(201) }), 'invalid_client_metadata', 'client_name'],
  ['a client_name with a control character', base({ client_name: 'Evil\u0007app' }), 'invalid_client_metadata', 'client_name'],
  ['an unknown scope', base({ scope: 'openid admin' }), 'invalid_client_metadata', 'scope'],
  ['scopes without openid', base({ scope: 'email profile' }), 'invalid_client_metadata', 'scope'],
  ['scope as an array', base({ scope: ['openid'] }), 'invalid_client_metadata', 'scope'],
  ['contacts as a string', base({ contacts: 'dev@rp.example' }), 'invalid_client_metadata', 'contacts'],
  ['backchannel_logout_session_required as text', base({ backchannel_logout_session_required: 'yes' }), 'invalid_client_metadata', 'backchannel_logout_session_required'],
  ['an unknown application_type', base({ application_type: 'desktop' }), 'invalid_client_metadata', 'application_type'],
  ['id_token_signed_response_alg none', base({ id_token_signed_response_alg: 'none' }), 'invalid_client_metadata', 'id_token_signed_response_alg'],
  ['id_token_signed_response_alg HS256', base({ id_token_signed_response_alg: 'HS256' }), 'invalid_client_metadata', 'id_token_signed_response_alg'],
  ['id_token_signed_response_alg ES256', base({ id_token_signed_response_alg: 'ES256' }), 'invalid_client_metadata', 'id_token_signed_response_alg'],
  ['pairwise subjects', base({ subject_type: 'pairwise' }), 'invalid_client_metadata', 'subject_type'],
  ['signed userinfo answers', base({ userinfo_signed_response_alg: 'RS256' }), 'invalid_client_metadata', 'userinfo_signed_response_alg'],
  ['encrypted ID tokens', base({ id_token_encrypted_response_alg: 'RSA-OAEP' }), 'invalid_client_metadata', 'id_token_encrypted_response_alg'],
  ['request_uris (fetched by the server)', base({ request_uris: ['https://rp.example/request'] }), 'invalid_client_metadata', 'request_uris'],
  ['a sector_identifier_uri (fetched by the server)', base({ sector_identifier_uri: 'https://rp.example/sector' }), 'invalid_client_metadata', 'sector_identifier_uri'],
  ['a client_id chosen by the registrant', base({ client_id: 'my-own-id' }), 'invalid_client_metadata', 'client_id'],
  ['a client_secret chosen by the registrant', base({ client_secret: 'my-own-secret' }), 'invalid_client_metadata', 'client_secret'],
  ['a registration_access_token', base({ registration_access_token: 'x' }), 'invalid_client_metadata', 'registration_access_token'],
  // Not an object.
  ['an array', [MINIMAL], 'invalid_client_metadata', 'JSON object'],
  ['a string', 'https://rp.example/callback', 'invalid_client_metadata', 'JSON object'],
  ['null', null, 'invalid_client_metadata', 'JSON object'],
];

describe('registration metadata refused (RFC 7591 §3.2.2), nothing stored', () => {
  let app: RunningApp;
  beforeAll(async () => {
    app = await startRegistrationApp('open');
  });
  afterAll(() => app.stop());

  const stored = async () => ({ clients: await clientCount(app), events: (await app.store.audit.list({ limit: 1000 })).length });

  it.each(CASES)('refuses %s', async (_description, metadata, error, field) => {
    const before = await stored();
    const answer = await register(app, metadata);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe(error);
    expect(answer.json.error_description).toContain(field);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(await stored()).toEqual(before);
  });

  it('refuses a body that is not JSON: another content type, malformed JSON, a form', async () => {
    const before = await stored();
    const answers = [
      await register(app, null, { body: JSON.stringify(MINIMAL), contentType: 'text/plain' }),
      await register(app, null, { body: '{"redirect_uris": [', contentType: 'application/json' }),
      await register(app, null, { body: new URLSearchParams({ redirect_uris: REDIRECT_URI }).toString(), contentType: 'application/x-www-form-urlencoded' }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.json.error).toBe('invalid_client_metadata');
    }
    expect(await stored()).toEqual(before);
  });

  it('refuses a body over 128 KiB with 413, nothing stored', async () => {
    const before = await stored();
    const answer = await register(app, { ...MINIMAL, padding: 'x'.repeat(130 * 1024) });
    expect(answer.status).toBe(413);
    expect(answer.json.error).toBe('invalid_client_metadata');
    expect(await stored()).toEqual(before);
  });

  it('ignores unknown fields and accepts (without storing) contacts and application_type', async () => {
    const answer = await register(app, {
      ...MINIMAL,
      contacts: ['dev@rp.example'],
      application_type: 'web',
      software_id: 'x',
      'client_name#ja': 'アプリ',
      frontchannel_logout_uri: 'https://rp.example/fc',
    });
    expect(answer.status).toBe(201);
    expect(answer.json).not.toHaveProperty('contacts');
    expect(answer.json).not.toHaveProperty('software_id');
    expect(answer.json.client_name).toBe('Outside app');
  });

  it('accepts what is safe: https pages, http redirect URIs on loopback, a device client, client_secret_post, inline keys', async () => {
    const answer = await register(app, {
      redirect_uris: ['http://127.0.0.1:7000/callback', 'https://rp.example/callback'],
      grant_types: ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code'],
      token_endpoint_auth_method: 'client_secret_post',
      logo_uri: 'https://rp.example/logo.png',
      client_uri: 'https://rp.example/',
      policy_uri: 'https://rp.example/privacy',
      tos_uri: 'https://rp.example/terms',
      post_logout_redirect_uris: ['https://rp.example/bye'],
      scope: 'openid profile offline_access',
    });
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
      client_name: '127.0.0.1:7000',
      logo_uri: 'https://rp.example/logo.png',
      scope: 'openid profile offline_access',
    });
    const device = await register(app, { grant_types: ['urn:ietf:params:oauth:grant-type:device_code'], token_endpoint_auth_method: 'none', client_name: 'TV' });
    expect(device.status).toBe(201);
    expect(device.json).toMatchObject({ grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'], response_types: [], redirect_uris: [] });
  });
});
