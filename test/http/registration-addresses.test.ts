// Server-side request forgery through dynamic registration (CWE-918, issue 24): a stranger's jwks_uri and
// backchannel_logout_uri are URLs Gatehouse itself requests, so their hosts are resolved at registration (and at
// every update) and a loopback, private, link-local or cloud-metadata address refuses the registration
// (invalid_client_metadata, nothing stored), unless REGISTRATION_ALLOW_PRIVATE_URLS=true. A name that does not
// resolve is refused with the same words (no oracle of internal names). At connect time the per-client rule holds
// again: a dynamically registered client's jwks_uri on loopback is not fetched unless REGISTRATION_ALLOW_PRIVATE_URLS
// allows it, even where ALLOW_PRIVATE_CLIENT_URLS (the loopback issuer's default) lets administrators' clients use it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver } from '../../src/http/outbound-request.js';
import { createClient } from '../../src/manage/clients.js';
import { manage } from '../helpers/oidc.js';
import type { RunningApp } from '../helpers/start-app.js';
import { assertion, jwksOf, JWT_BEARER, newKey, postForm, startJwksServer, type JwksServer, type SigningKey } from './client-credentials-helpers.js';
import { clientCount, configuration, MINIMAL, REDIRECT_URI, register, startRegistrationApp } from './registration-helpers.js';

/** DNS as the tests want it: each name's addresses, and every name asked. */
function dns(answers: Record<string, string[]>): { asked: string[]; resolve: Resolver } {
  const asked: string[] = [];
  return {
    asked,
    resolve: async (hostname) => {
      asked.push(hostname);
      const addresses = answers[hostname];
      if (addresses === undefined) throw Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' });
      return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
}

const NAMES = {
  'public.example': ['93.184.216.34'],
  'loopback.example': ['127.0.0.1'],
  'private.example': ['10.0.0.7'],
  'metadata.example': ['169.254.169.254'],
  'ipv6-loopback.example': ['::1'],
  'mapped.example': ['::ffff:10.0.0.1'],
  'unique-local.example': ['fd00::1'],
  'mixed.example': ['93.184.216.34', '192.168.1.10'],
};

const REFUSED_HOSTS = [
  'loopback.example',
  'private.example',
  'metadata.example',
  'ipv6-loopback.example',
  'mapped.example',
  'unique-local.example',
  'mixed.example',
  'does-not-resolve.example',
  '127.0.0.1',
  '10.1.2.3',
  '169.254.169.254',
  '[::1]',
  'localhost',
];

const keyClient = (jwksUri: string) => ({ ...MINIMAL, token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri });

describe('registration: the addresses of jwks_uri and backchannel_logout_uri (REGISTRATION_ALLOW_PRIVATE_URLS=false)', () => {
  const names = dns(NAMES);
  let app: RunningApp;

  beforeAll(async () => {
    app = await startRegistrationApp('open', {}, { resolve: names.resolve });
  });
  afterAll(() => app.stop());

  it.each(REFUSED_HOSTS)('refuses a jwks_uri and a backchannel_logout_uri on %s, storing nothing', async (host) => {
    const before = await clientCount(app);
    const descriptions = new Set<string>();
    for (const metadata of [keyClient(`https://${host}/jwks.json`), { ...MINIMAL, backchannel_logout_uri: `https://${host}/logout` }]) {
      const answer = await register(app, metadata);
      expect(answer.status).toBe(400);
      expect(answer.json.error).toBe('invalid_client_metadata');
      expect(answer.json.error_description).toMatch(/^(jwks_uri|backchannel_logout_uri) /);
      descriptions.add((answer.json.error_description as string).replace(/^\S+ \S+/, ''));
    }
    // The same words whatever the reason (private, loopback, not resolving): nothing learnt of the internal network.
    expect([...descriptions]).toEqual([
      ' must name a host that resolves to public addresses only: Gatehouse sends no request to a private, loopback, link-local or cloud-metadata address, nor to a name it cannot resolve',
    ]);
    expect(await clientCount(app)).toBe(before);
  });

  it('resolves the names with the server’s resolver, and accepts a host with public addresses only', async () => {
    const answer = await register(app, { ...keyClient('https://public.example/jwks.json'), backchannel_logout_uri: 'https://public.example/logout' });
    expect(answer.status).toBe(201);
    expect(answer.json).toMatchObject({ jwks_uri: 'https://public.example/jwks.json', backchannel_logout_uri: 'https://public.example/logout', backchannel_logout_session_required: true });
    expect(names.asked).toContain('public.example');
    expect(names.asked).toContain('private.example');
  });

  it('checks again at an update: a private jwks_uri is refused, nothing changes, the token still works', async () => {
    const registered = await register(app, keyClient('https://public.example/jwks.json'));
    const { registration_access_token: token, registration_client_uri: uri, client_id_issued_at: _issued, client_secret_expires_at: _expires, ...metadata } = registered.json;
    const before = await app.store.clients.findById(metadata.client_id as string);
    const refused = await configuration(uri as string, 'PUT', token as string, { ...metadata, jwks_uri: 'https://metadata.example/latest' });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_client_metadata');
    expect(await app.store.clients.findById(metadata.client_id as string)).toEqual(before);
    expect((await configuration(uri as string, 'GET', token as string)).status).toBe(200);
  });

  it('never fetches the pages a person is shown (logo_uri, client_uri, policy_uri, tos_uri): they are not resolved', async () => {
    const asked = names.asked.length;
    const answer = await register(app, {
      ...MINIMAL,
      logo_uri: 'https://logo.example/a.png',
      client_uri: 'https://home.example/',
      policy_uri: 'https://home.example/p',
      tos_uri: 'https://home.example/t',
    });
    expect(answer.status).toBe(201);
    expect(names.asked.length).toBe(asked);
  });
});

describe('registration with REGISTRATION_ALLOW_PRIVATE_URLS=true (tests, a demo on loopback)', () => {
  const names = dns(NAMES);
  let app: RunningApp;
  let server: JwksServer;
  let key: SigningKey;

  beforeAll(async () => {
    app = await startRegistrationApp('open', { REGISTRATION_ALLOW_PRIVATE_URLS: 'true' }, { resolve: names.resolve });
    key = await newKey('RS256');
    server = await startJwksServer(jwksOf(key));
  });
  afterAll(async () => {
    await server.stop();
    await app.stop();
  });

  it.each(['loopback.example', 'private.example', 'metadata.example', '127.0.0.1', '[::1]'])('accepts a jwks_uri and a backchannel_logout_uri on %s', async (host) => {
    expect((await register(app, keyClient(`https://${host}/jwks.json`))).status).toBe(201);
    expect((await register(app, { ...MINIMAL, backchannel_logout_uri: `https://${host}/logout` })).status).toBe(201);
  });

  it('accepts http pages on loopback too', async () => {
    expect((await register(app, { ...MINIMAL, client_uri: 'http://127.0.0.1:3000/', policy_uri: 'http://localhost:3000/privacy' })).status).toBe(201);
  });

  it('fetches a dynamically registered client’s jwks_uri on loopback: its assertion is accepted', async () => {
    const answer = await register(app, { ...keyClient(server.url), redirect_uris: [REDIRECT_URI] });
    expect(answer.status).toBe(201);
    const clientId = answer.json.client_id as string;
    const revoked = await postForm(app, 'revoke', { token: 'anything', client_assertion_type: JWT_BEARER, client_assertion: await assertion(app, clientId, key) });
    expect(revoked.status).toBe(200);
    expect(server.requests).toBe(1);
  });
});

describe('connect time: a dynamically registered client’s jwks_uri on loopback (REGISTRATION_ALLOW_PRIVATE_URLS=false, ALLOW_PRIVATE_CLIENT_URLS=true)', () => {
  let app: RunningApp;
  let server: JwksServer;
  let key: SigningKey;

  beforeAll(async () => {
    app = await startRegistrationApp('open', { ALLOW_PRIVATE_CLIENT_URLS: 'true' });
    key = await newKey('RS256');
    server = await startJwksServer(jwksOf(key));
  });
  afterAll(async () => {
    await server.stop();
    await app.stop();
  });

  /** A private_key_jwt client with the loopback jwks_uri, stored as if registered when the rule allowed it. */
  async function clientWithOrigin(origin: 'admin' | 'dynamic'): Promise<string> {
    const { client } = await createClient(
      { ...manage(app), config: { ...app.config, allowPrivateClientUrls: true } },
      { name: `${origin} app`, redirectUris: [REDIRECT_URI], jwksUri: server.url, origin, ...(origin === 'dynamic' ? { registrationTokenHash: 'x' } : {}) },
    );
    return client.clientId;
  }

  it('is not requested for a dynamic client (jwks_unavailable, refused_address), and is for an administrator’s', async () => {
    const dynamic = await clientWithOrigin('dynamic');
    const refused = await postForm(app, 'revoke', { token: 'anything', client_assertion_type: JWT_BEARER, client_assertion: await assertion(app, dynamic, key) });
    expect(refused.status).toBe(401);
    expect(server.requests).toBe(0);
    expect(app.logs.filter((line) => line.msg === 'request refused').map((line) => line.detail)).toContain('jwks_uri could not be fetched (refused_address)');

    const admins = await clientWithOrigin('admin');
    const accepted = await postForm(app, 'revoke', { token: 'anything', client_assertion_type: JWT_BEARER, client_assertion: await assertion(app, admins, key) });
    expect(accepted.status).toBe(200);
    expect(server.requests).toBe(1);
  });
});
