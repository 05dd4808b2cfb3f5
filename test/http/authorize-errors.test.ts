import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, type TestClient } from '../helpers/oidc.js';
import { countRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
const STATE = 'a+b/c=d&e%f g'.repeat(10).slice(0, 128);

describe('authorization endpoint errors (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1)', () => {
  let app: RunningApp;
  let client: TestClient;
  let optional: TestClient;
  let withQuery: TestClient;

  const authorize = (params: Record<string, string>) => new Browser().get(`${app.config.issuer}/authorize?${new URLSearchParams(params).toString()}`);
  const valid = (extra: Record<string, string> = {}) => ({
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: STATE,
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  const rows = () => countRows(app, 'SELECT (SELECT count(*) FROM authorization_requests) + (SELECT count(*) FROM authorization_codes) AS n');

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    client = await addClient(app, { redirectUris: ['https://rp.example/callback'] });
    optional = await addClient(app, { redirectUris: ['https://suite.example/cb'], pkce: 'optional' });
    withQuery = await addClient(app, { redirectUris: ['https://rp.example/cb?tenant=a%20b'] });
  });
  afterAll(() => app.stop());

  describe('before client_id and redirect_uri are trusted: an error page, never a redirect', () => {
    const cases: [string, () => Record<string, string>][] = [
      ['an unknown client_id', () => valid({ client_id: 'nobody' })],
      [
        'a missing client_id',
        () => {
          const p = valid();
          delete (p as Partial<typeof p>).client_id;
          return p;
        },
      ],
      [
        'a missing redirect_uri',
        () => {
          const p = valid();
          delete (p as Partial<typeof p>).redirect_uri;
          return p;
        },
      ],
      ['a redirect_uri with a longer path', () => valid({ redirect_uri: 'https://rp.example/callback/more' })],
      ['a redirect_uri on another port', () => valid({ redirect_uri: 'https://rp.example:8443/callback' })],
      ['a redirect_uri with an added query', () => valid({ redirect_uri: 'https://rp.example/callback?foo=bar' })],
      ['a prefix of the registered redirect_uri', () => valid({ redirect_uri: 'https://rp.example/call' })],
      ['another host', () => valid({ redirect_uri: 'https://evil.example/callback' })],
    ];
    for (const [what, params] of cases) {
      it(`shows a 400 page for ${what}`, async () => {
        const before = await rows();
        const page = await authorize(params());
        expect(page.status).toBe(400);
        expect(page.location).toBeNull();
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        expect(page.body).toContain('Sign-in cannot continue');
        expect(await rows()).toEqual(before);
      });
    }

    it('shows the page for a duplicated redirect_uri, also when the request is a POST form', async () => {
      const query = `${new URLSearchParams(valid()).toString()}&redirect_uri=${encodeURIComponent(client.redirectUri)}`;
      expect((await new Browser().get(`${app.config.issuer}/authorize?${query}`)).status).toBe(400);
      const posted = await new Browser().postForm(`${app.config.issuer}/authorize`, valid({ redirect_uri: 'https://evil.example/' }));
      expect(posted.status).toBe(400);
      expect(posted.location).toBeNull();
    });
  });

  describe('after they are trusted: a redirect with error, error_description, iss and the exact state', () => {
    const cases: [string, () => Record<string, string>, string][] = [
      [
        'a missing response_type',
        () => {
          const p = valid();
          delete (p as Partial<typeof p>).response_type;
          return p;
        },
        'invalid_request',
      ],
      ['response_type=token', () => valid({ response_type: 'token' }), 'unsupported_response_type'],
      ['response_type=code id_token', () => valid({ response_type: 'code id_token' }), 'unsupported_response_type'],
      ['a scope without openid', () => valid({ scope: 'email profile' }), 'invalid_scope'],
      ['code_challenge_method=plain', () => valid({ code_challenge_method: 'plain' }), 'invalid_request'],
      [
        'no code_challenge for a client that requires PKCE',
        () => {
          const p = valid();
          delete (p as Partial<typeof p>).code_challenge;
          delete (p as Partial<typeof p>).code_challenge_method;
          return p;
        },
        'invalid_request',
      ],
      ['a malformed code_challenge', () => valid({ code_challenge: 'short' }), 'invalid_request'],
      // Issue 28: request objects are supported, unsigned ones refused (RFC 9101); only /par's request_uri values are.
      ['an unsigned request object', () => valid({ request: 'eyJhbGciOiJub25lIn0.e30.' }), 'invalid_request_object'],
      ['a request_uri that is not one /par gave out', () => valid({ request_uri: 'https://rp.example/req' }), 'request_uri_not_supported'],
      ['an unknown prompt value', () => valid({ prompt: 'dance' }), 'invalid_request'],
      ['prompt=none with login', () => valid({ prompt: 'none login' }), 'invalid_request'],
      ['prompt=none without a session', () => valid({ prompt: 'none' }), 'login_required'],
      ['a max_age that is not a number', () => valid({ max_age: 'abc' }), 'invalid_request'],
      ['response_mode=fragment', () => valid({ response_mode: 'fragment' }), 'invalid_request'],
      ['an id_token_hint we did not issue', () => valid({ id_token_hint: 'garbage' }), 'invalid_request'],
      ['a nonce holding a NUL character', () => valid({ nonce: 'n\u0000once' }), 'invalid_request'],
    ];
    for (const [what, params, error] of cases) {
      it(`answers ${error} for ${what}`, async () => {
        const before = await rows();
        const page = await authorize(params());
        expect(page.status).toBe(303);
        expect(page.location).not.toContain('#');
        const location = new URL(page.location ?? '');
        expect(location.origin + location.pathname).toBe(client.redirectUri);
        expect(location.searchParams.get('error')).toBe(error);
        expect(location.searchParams.get('error_description')).toMatch(/^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/);
        expect(location.searchParams.get('state')).toBe(STATE);
        expect(location.searchParams.get('iss')).toBe(app.config.issuer);
        expect(await rows()).toEqual(before);
      });
    }

    it('answers invalid_request for a repeated scope', async () => {
      const page = await new Browser().get(`${app.config.issuer}/authorize?${new URLSearchParams(valid()).toString()}&scope=openid`);
      expect(page.status).toBe(303);
      const location = new URL(page.location ?? '');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('state')).toBe(STATE);
      expect(location.searchParams.get('iss')).toBe(app.config.issuer);
    });

    it('keeps the query of a registered redirect URI exactly as registered', async () => {
      const page = await authorize({ ...valid(), client_id: withQuery.clientId, redirect_uri: withQuery.redirectUri, response_type: 'token' });
      expect(page.location?.startsWith('https://rp.example/cb?tenant=a%20b&error=unsupported_response_type&')).toBe(true);
    });
  });

  describe('parameters that must not cause errors', () => {
    it('ignores unknown and optional parameters and pre-fills login_hint (RFC 6749 §3.1)', async () => {
      const browser = new Browser();
      const page = await browser.follow(
        await browser.get(
          `${app.config.issuer}/authorize?${new URLSearchParams(
            valid({
              extra: 'foobar',
              display: 'popup',
              ui_locales: 'fr-CA fr',
              claims_locales: 'de',
              acr_values: '1 2',
              claims: '{"userinfo":{"name":{"essential":true}}}',
              login_hint: 'ada@example.com',
              prompt: 'consent',
            }),
          ).toString()}`,
        ),
        new URL(app.config.issuer).origin,
      );
      expect(page.status).toBe(200);
      expect(page.body).toContain('value="ada@example.com"');
    });

    it('lets a PKCE-optional confidential client ask without PKCE', async () => {
      const before = await rows();
      const browser = new Browser();
      const answer = await browser.get(
        `${app.config.issuer}/authorize?${new URLSearchParams({ client_id: optional.clientId, redirect_uri: optional.redirectUri, response_type: 'code', scope: 'openid' }).toString()}`,
      );
      expect(answer.status).toBe(303);
      expect(new URL(answer.location ?? '').pathname).toBe('/login');
      expect((await browser.follow(answer, new URL(app.config.issuer).origin)).status).toBe(200);
      // The control for the "writes nothing" checks above: an accepted request is kept server-side.
      expect(await rows()).toBe(before + 1);
    });

    it('never opens /authorize or /login to other origins (no CORS)', async () => {
      const page = await new Browser().request(`${app.config.issuer}/authorize?${new URLSearchParams(valid()).toString()}`, { headers: { Origin: 'https://evil.example' } });
      expect(page.headers.get('access-control-allow-origin')).toBeNull();
      const login = await new Browser().request(page.location ?? '', { headers: { Origin: 'https://evil.example' } });
      expect(login.headers.get('access-control-allow-origin')).toBeNull();
    });
  });
});
