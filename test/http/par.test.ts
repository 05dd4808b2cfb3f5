// Pushed authorization requests (RFC 9126, issue 28) with openid-client v6 and oauth4webapi as the real clients: the
// push (201, request_uri and expires_in, no-store), the sign-in through /authorize with client_id and request_uri only,
// and every refusal: a request_uri used twice, expired, another client's or not ours (invalid_request_uri, written
// nothing); parameters sent beside it ignored (§4); a client that must push refused a plain request (§5, the client's
// flag and REQUIRE_PAR); a push with a wrong secret (401) or an invalid request (400 JSON, never a redirect, §2.3).
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, redeem, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { THROTTLE_RULES, Throttle } from '../../src/auth/throttle.js';
import { requestFrom } from './from-address.js';
import { assertion, jwksOf, newKey, type SigningKey } from './client-credentials-helpers.js';
import { authorizeUrl, basic, CHALLENGE, expectErrorPage, expectErrorRedirect, openAt, push, pushedRequests, writes } from './par-helpers.js';

const USED = 'the request_uri is unknown, expired, already used or was pushed by another client';

/** openid-client's PAR: pushes, and returns the URL to send the browser to with what the test needs to finish. */
async function pushWithOpenidClient(client: TestClient, extra: Record<string, string> = {}): Promise<AuthorizationStart> {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = await oidc.buildAuthorizationUrlWithPAR(client.config, {
    redirect_uri: client.redirectUri,
    scope: 'openid email',
    state,
    nonce,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { url, state, nonce, codeVerifier };
}

describe('pushed authorization requests (RFC 9126)', () => {
  let app: RunningApp;
  let client: TestClient;
  let other: TestClient;
  const clock = new FakeClock();

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app, { redirectUris: ['https://rp.example/callback', 'https://rp.example/other'] });
    other = await addClient(app, { redirectUris: ['https://other.example/callback'] });
  });
  afterAll(() => app.stop());

  /** A valid push by `client` with client_secret_basic, as raw fields. */
  const fields = (extra: Record<string, string> = {}) => ({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: client.redirectUri,
    scope: 'openid',
    state: 'pushed-state',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  });
  const credentials = () => basic(client.clientId, client.clientSecret ?? '');

  describe('the push and the sign-in', () => {
    it('answers 201 with a single-use URN request_uri and expires_in 60, never cached', async () => {
      const answer = await push(app, fields(), credentials());
      expect(answer.status, JSON.stringify(answer.json)).toBe(201);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(Object.keys(answer.json).sort()).toEqual(['expires_in', 'request_uri']);
      expect(answer.json.expires_in).toBe(60);
      expect(answer.json.request_uri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);
    });

    it('signs in through openid-client: buildAuthorizationUrlWithPAR, then the code is redeemed', async () => {
      const start = await pushWithOpenidClient(client);
      expect([...start.url.searchParams.keys()].sort()).toEqual(['client_id', 'request_uri']);
      const callback = await signIn(new Browser(), app, start, 'ada@example.com');
      expect(callback.searchParams.get('state')).toBe(start.state);
      const tokens = await redeem(client, callback, start);
      expect(tokens.claims()).toMatchObject({ email: 'ada@example.com', nonce: start.nonce });
      expect(tokens.scope).toBe('openid email');
    });

    it('takes a push from a public client through oauth4webapi (client_id alone, PKCE)', async () => {
      const spa = await addClient(app, { redirectUris: ['http://127.0.0.1:9/spa'], isPublic: true });
      const as = await oauth.processDiscoveryResponse(new URL(app.config.issuer), await oauth.discoveryRequest(new URL(app.config.issuer), { [oauth.allowInsecureRequests]: true }));
      const params = new URLSearchParams({ response_type: 'code', redirect_uri: spa.redirectUri, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256', state: 's1' });
      const response = await oauth.pushedAuthorizationRequest(as, { client_id: spa.clientId }, oauth.None(), params, { [oauth.allowInsecureRequests]: true });
      const result = await oauth.processPushedAuthorizationResponse(as, { client_id: spa.clientId }, response);
      expect(result.expires_in).toBe(60);
      const login = await openAt(new Browser(), app, authorizeUrl(app, { client_id: spa.clientId, request_uri: result.request_uri }));
      expect(login.status).toBe(200);
      expect(login.body).toContain('name="password"');
    });

    it('authenticates a private_key_jwt client whose assertion names /par as its audience', async () => {
      const key: SigningKey = await newKey('ES256');
      const keyed = await addClient(app, { redirectUris: ['https://keys.example/cb'], jwks: JSON.stringify(jwksOf(key)) });
      const answer = await push(app, {
        ...fields({ client_id: keyed.clientId, redirect_uri: keyed.redirectUri }),
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(app, keyed.clientId, key, { aud: `${app.config.issuer}/par` }),
      });
      expect(answer.status, JSON.stringify(answer.json)).toBe(201);
    });

    it('answers a CORS preflight, as for the token endpoint: browser-based clients push too', async () => {
      const response = await fetch(`${app.config.issuer}/par`, { method: 'OPTIONS', headers: { Origin: 'https://spa.example', 'Access-Control-Request-Method': 'POST' } });
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
      expect(response.headers.get('access-control-allow-methods')).toContain('POST');
    });
  });

  describe('request_uri at the authorization endpoint (RFC 9126 §4)', () => {
    it('uses only the pushed parameters: a redirect_uri, scope and state sent beside the request_uri change nothing', async () => {
      const start = await pushWithOpenidClient(client, { scope: 'openid email' });
      const url = new URL(start.url);
      url.searchParams.set('redirect_uri', 'https://rp.example/other');
      url.searchParams.set('scope', 'openid profile');
      url.searchParams.set('state', 'beside');
      url.searchParams.set('prompt', 'none');
      const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
      expect(callback.origin + callback.pathname).toBe(client.redirectUri);
      expect(callback.searchParams.get('state')).toBe(start.state);
      const tokens = await redeem(client, callback, start);
      expect(tokens.scope).toBe('openid email');
    });

    it('refuses a request_uri used twice with invalid_request_uri, on our page when nothing else is sent, writing nothing', async () => {
      const { json } = await push(app, fields(), credentials());
      const url = authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri });
      expect((await openAt(new Browser(), app, url)).status).toBe(200);
      const before = await writes(app);
      expectErrorPage(await new Browser().get(url), 'invalid_request_uri', USED);
      expect(await writes(app)).toBe(before);
    });

    it('answers by redirect when a registered redirect_uri is sent beside the spent request_uri', async () => {
      const { json } = await push(app, fields(), credentials());
      await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri }));
      const page = await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri, redirect_uri: client.redirectUri, state: 'outer' }));
      expectErrorRedirect(app, page, client.redirectUri, 'invalid_request_uri', USED, 'outer');
    });

    it("refuses another client's request_uri, and does not spend it: its own client still uses it", async () => {
      const { json } = await push(app, fields(), credentials());
      const before = await writes(app);
      expectErrorPage(await new Browser().get(authorizeUrl(app, { client_id: other.clientId, request_uri: json.request_uri })), 'invalid_request_uri', USED);
      expect(await writes(app)).toBe(before);
      expect((await openAt(new Browser(), app, authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri }))).status).toBe(200);
    });

    it('refuses a request_uri of our form that we never gave out, and one that is not ours at all', async () => {
      const made = `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}`;
      expectErrorPage(await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: made })), 'invalid_request_uri', USED);
      expectErrorPage(await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: 'urn:ietf:params:oauth:request_uri:short' })), 'invalid_request_uri', USED);
      const page = await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: 'https://rp.example/request.jwt', redirect_uri: client.redirectUri, state: 's' }));
      expectErrorRedirect(app, page, client.redirectUri, 'request_uri_not_supported', 'request_uri is supported only as returned by the pushed authorization request endpoint', 's');
    });

    it('refuses request and request_uri together with invalid_request', async () => {
      const { json } = await push(app, fields(), credentials());
      const page = await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri, request: 'a.b.c', redirect_uri: client.redirectUri, state: 's' }));
      expectErrorRedirect(app, page, client.redirectUri, 'invalid_request', 'request and request_uri cannot both be sent', 's');
    });
  });

  describe('refused pushes: JSON, never a redirect (RFC 9126 §2.3), nothing stored', () => {
    async function expectRefusedPush(send: Promise<Awaited<ReturnType<typeof push>>>, status: number, error: string, description: string): Promise<void> {
      const before = await pushedRequests(app);
      const answer = await send;
      expect([answer.status, answer.json]).toEqual([status, { error, error_description: description }]);
      expect(answer.headers.get('location')).toBeNull();
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(await pushedRequests(app)).toBe(before);
    }

    it('a wrong client secret: 401 invalid_client', async () => {
      await expectRefusedPush(push(app, fields(), basic(client.clientId, 'wrong')), 401, 'invalid_client', 'client authentication failed');
    });

    it('no client authentication at all for a confidential client: 401 invalid_client', async () => {
      await expectRefusedPush(push(app, fields()), 401, 'invalid_client', 'client authentication failed');
    });

    it('a redirect_uri not registered for the client: 400 invalid_request', async () => {
      await expectRefusedPush(
        push(app, fields({ redirect_uri: 'https://evil.example/cb' }), credentials()),
        400,
        'invalid_request',
        'The address the application asked to send you back to is not registered for it.',
      );
    });

    it('the checks of the authorization endpoint: response_type, scope, PKCE, dpop_jkt', async () => {
      await expectRefusedPush(push(app, fields({ response_type: 'token' }), credentials()), 400, 'unsupported_response_type', 'only response_type=code is supported');
      await expectRefusedPush(push(app, fields({ scope: 'email' }), credentials()), 400, 'invalid_scope', 'scope must include openid');
      await expectRefusedPush(push(app, fields({ code_challenge_method: 'plain' }), credentials()), 400, 'invalid_request', 'code_challenge_method must be S256');
      await expectRefusedPush(push(app, fields({ dpop_jkt: 'short' }), credentials()), 400, 'invalid_request', 'dpop_jkt must be a JWK SHA-256 thumbprint: 43 base64url characters');
    });

    it('a request_uri inside the push, or a client_id other than the authenticated client', async () => {
      await expectRefusedPush(
        push(app, fields({ request_uri: 'urn:ietf:params:oauth:request_uri:x' }), credentials()),
        400,
        'invalid_request',
        'request_uri cannot be sent to the pushed authorization request endpoint',
      );
      await expectRefusedPush(push(app, fields({ client_id: other.clientId }), credentials()), 400, 'invalid_request', 'client_id in the body differs from the Authorization header');
    });
  });

  describe('expiry (60 seconds, fake clock)', () => {
    it('refuses a request_uri presented after its 60 seconds', async () => {
      const { json } = await push(app, fields(), credentials());
      clock.advance(61_000);
      try {
        expectErrorPage(await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri })), 'invalid_request_uri', USED);
      } finally {
        clock.advance(-61_000);
      }
    });

    it('accepts it just before', async () => {
      const { json } = await push(app, fields(), credentials());
      clock.advance(59_000);
      try {
        expect((await openAt(new Browser(), app, authorizeUrl(app, { client_id: client.clientId, request_uri: json.request_uri }))).status).toBe(200);
      } finally {
        clock.advance(-59_000);
      }
    });
  });
});

describe('PAR required (RFC 9126 §5, §6)', () => {
  let app: RunningApp;
  let required: TestClient;
  let free: TestClient;

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    required = await addClient(app, { redirectUris: ['https://strict.example/cb'], requirePushedAuthorizationRequests: true });
    free = await addClient(app, { redirectUris: ['https://free.example/cb'] });
  });
  afterAll(() => app.stop());

  const plain = (client: TestClient) =>
    authorizeUrl(app, {
      client_id: client.clientId,
      redirect_uri: client.redirectUri,
      response_type: 'code',
      scope: 'openid',
      state: 'st',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
    });
  const REQUIRED = 'pushed authorization requests are required for this client: push the request to the pushed authorization request endpoint and send its request_uri';

  it('refuses a plain request of a client whose flag is set, by redirect with invalid_request, writing nothing', async () => {
    const before = await writes(app);
    expectErrorRedirect(app, await new Browser().get(plain(required)), required.redirectUri, 'invalid_request', REQUIRED, 'st');
    expect(await writes(app)).toBe(before);
    expect((await openAt(new Browser(), app, plain(free))).status).toBe(200);
  });

  it('lets that client sign in through a push', async () => {
    const start = await pushWithOpenidClient(required);
    const callback = await signIn(new Browser(), app, start, 'ada@example.com');
    expect((await redeem(required, callback, start)).scope).toBe('openid email');
  });

  it('with REQUIRE_PAR=true, refuses every plain request and advertises it in discovery', async () => {
    const strict = await startApp({ env: { REQUIRE_PAR: 'true' } });
    try {
      const client = await addClient(strict, { redirectUris: ['https://any.example/cb'] });
      const url = `${strict.config.issuer}/authorize?${new URL(plain(client)).searchParams.toString()}`;
      expectErrorRedirect(strict, await new Browser().get(url), client.redirectUri, 'invalid_request', REQUIRED, 'st');
      const metadata = (await (await fetch(`${strict.config.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      expect(metadata.require_pushed_authorization_requests).toBe(true);
      const { json } = await push(
        strict,
        { client_id: client.clientId, response_type: 'code', redirect_uri: client.redirectUri, scope: 'openid', code_challenge: CHALLENGE, code_challenge_method: 'S256' },
        basic(client.clientId, client.clientSecret ?? ''),
      );
      const login = await openAt(
        new Browser(),
        strict,
        `${strict.config.issuer}/authorize?${new URLSearchParams({ client_id: client.clientId, request_uri: json.request_uri as string }).toString()}`,
      );
      expect(login.status).toBe(200);
      expect(login.body).toContain('name="password"');
    } finally {
      await strict.stop();
    }
  });
});

describe('pushes by public clients are admitted per address (the authorization endpoint budget)', () => {
  let app: RunningApp;

  beforeAll(async () => {
    // A clock that stands still, so that the Retry-After is exact.
    app = await startApp({ clock: new FakeClock() });
  });
  afterAll(() => app.stop());

  it('answers 429 with Retry-After to a public client past the budget, storing nothing; a confidential client on that address still pushes', async () => {
    const spa = await addClient(app, { redirectUris: ['http://127.0.0.1:9/spa'], isPublic: true });
    const server = await addClient(app, { redirectUris: ['https://server.example/cb'] });
    const ip = '127.0.3.1';
    // The budget spent as /authorize would spend it (600 pending requests from this address in 10 minutes).
    const throttle = new Throttle(app.store, app.clock);
    for (let i = 0; i < THROTTLE_RULES.admission.limit; i++) expect((await throttle.admitAddress('authorize', ip)).allowed).toBe(true);
    const form = (client: TestClient) =>
      new URLSearchParams({
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: client.redirectUri,
        scope: 'openid',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      }).toString();
    const before = await pushedRequests(app);
    const refused = await requestFrom(ip, `${app.config.issuer}/par`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form(spa) });
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe(String(THROTTLE_RULES.admission.windowMs / 1000));
    expect(refused.json).toEqual({ error: 'temporarily_unavailable', error_description: 'too many authorization requests from this address; try again in 600 seconds' });
    expect(await pushedRequests(app)).toBe(before);
    const confidential = await requestFrom(ip, `${app.config.issuer}/par`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...basic(server.clientId, server.clientSecret ?? '') },
      body: form(server),
    });
    expect(confidential.status, confidential.body).toBe(201);
  });
});
