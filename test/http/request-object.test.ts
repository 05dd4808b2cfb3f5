// Signed request objects (JAR, RFC 9101, issue 28) with openid-client v6 (buildAuthorizationUrlWithJAR) and
// oauth4webapi (issueRequestObject) as the real clients: by value at /authorize and inside a pushed request, the
// object's parameters the only ones used (RFC 9101 §6.3); and every refusal: alg none, HS256, a wrong aud, an expired
// exp, a missing or replayed jti, a key the client never registered, a client with no keys: invalid_request_object by
// redirect to the outer redirect_uri (with the outer state) when it is registered, else on our page; writing nothing.
import { SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import * as oauth from 'oauth4webapi';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { Browser } from '../helpers/browser.js';
import { addClient, addUser, redeem, signIn, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { jwksOf, keyAuth, machineConfig, newKey, type SigningKey } from './client-credentials-helpers.js';
import { authorizeUrl, CHALLENGE, expectErrorPage, expectErrorRedirect, openAt, push, writes } from './par-helpers.js';

const REDIRECT = 'https://signed.example/cb';
const OTHER_REDIRECT = 'https://signed.example/other';

describe('request objects (RFC 9101)', () => {
  let app: RunningApp;
  let key: SigningKey;
  let client: TestClient;
  let secretClient: TestClient;

  beforeAll(async () => {
    app = await startApp();
    await addUser(app);
    key = await newKey('PS256');
    const registered = await addClient(app, { redirectUris: [REDIRECT, OTHER_REDIRECT], jwks: JSON.stringify(jwksOf(key)) });
    client = { ...registered, config: await machineConfig(app, registered.clientId, keyAuth(key)) };
    secretClient = await addClient(app, { redirectUris: [REDIRECT] });
  });
  afterAll(() => app.stop());

  /** A request object signed by hand (for what no library sends): our client's by default; undefined claims left out. */
  async function signed(claims: JWTPayload = {}, header: Record<string, unknown> = {}, signer: SigningKey = key): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const payload: JWTPayload = {
      iss: client.clientId,
      aud: app.config.issuer,
      iat: now,
      exp: now + 300,
      jti: randomId(),
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT,
      scope: 'openid',
      state: 'inner-state',
      code_challenge: CHALLENGE,
      code_challenge_method: 'S256',
      ...claims,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: 'oauth-authz-req+jwt', ...header } as { alg: string }).sign(signer.privateKey);
  }

  async function withJar(extra: Record<string, string> = {}): Promise<AuthorizationStart> {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const parameters = {
      redirect_uri: REDIRECT,
      scope: 'openid email',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      ...extra,
    };
    const url = await oidc.buildAuthorizationUrlWithJAR(client.config, parameters, { key: key.privateKey, kid: key.kid });
    return { url, state, nonce, codeVerifier };
  }

  describe('accepted', () => {
    it('by value from openid-client: the sign-in completes and the code is redeemed', async () => {
      const start = await withJar();
      expect([...start.url.searchParams.keys()].sort()).toEqual(['client_id', 'request']);
      const callback = await signIn(new Browser(), app, start, 'ada@example.com');
      expect(callback.origin + callback.pathname).toBe(REDIRECT);
      expect(callback.searchParams.get('state')).toBe(start.state);
      const tokens = await redeem({ ...client, redirectUri: REDIRECT }, callback, start);
      expect(tokens.claims()).toMatchObject({ email: 'ada@example.com', nonce: start.nonce });
    });

    it("uses only the object's parameters: a redirect_uri, scope and state outside it are ignored", async () => {
      const start = await withJar({ scope: 'openid email' });
      const url = new URL(start.url);
      url.searchParams.set('redirect_uri', OTHER_REDIRECT);
      url.searchParams.set('scope', 'openid profile');
      url.searchParams.set('state', 'outer');
      url.searchParams.set('response_type', 'token');
      const callback = await signIn(new Browser(), app, { ...start, url }, 'ada@example.com');
      expect(callback.origin + callback.pathname).toBe(REDIRECT);
      expect(callback.searchParams.get('state')).toBe(start.state);
      expect((await redeem({ ...client, redirectUri: REDIRECT }, callback, start)).scope).toBe('openid email');
    });

    it('inside a pushed request, from oauth4webapi (issueRequestObject, then pushedAuthorizationRequest)', async () => {
      const as = await oauth.processDiscoveryResponse(new URL(app.config.issuer), await oauth.discoveryRequest(new URL(app.config.issuer), { [oauth.allowInsecureRequests]: true }));
      const rp = { client_id: client.clientId };
      const request = await oauth.issueRequestObject(
        as,
        rp,
        { response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'pushed', code_challenge: CHALLENGE, code_challenge_method: 'S256' },
        { key: key.privateKey, kid: key.kid },
      );
      const response = await oauth.pushedAuthorizationRequest(as, rp, oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }), new URLSearchParams({ request }), {
        [oauth.allowInsecureRequests]: true,
      });
      const { request_uri } = await oauth.processPushedAuthorizationResponse(as, rp, response);
      const login = await openAt(new Browser(), app, authorizeUrl(app, { client_id: client.clientId, request_uri }));
      expect(login.status).toBe(200);
      // The object's jti was spent at the push: the same object is refused at /authorize now.
      const page = await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request, redirect_uri: REDIRECT, state: 'again' }));
      expectErrorRedirect(app, page, REDIRECT, 'invalid_request_object', 'the request object was used before (jti)', 'again');
    });
  });

  describe('refused: invalid_request_object by redirect to the outer redirect_uri, writing nothing', () => {
    const cases: [string, () => Promise<string>, string][] = [
      [
        'an unsigned object (alg none)',
        async () => new UnsecuredJWT({ iss: client.clientId, aud: app.config.issuer }).encode(),
        'the request object must be signed with PS256, ES256, RS256 (unsigned and HMAC request objects are refused)',
      ],
      [
        'an HS256 object',
        async () => new SignJWT({ iss: client.clientId, aud: app.config.issuer }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('s'.repeat(32))),
        'the request object must be signed with PS256, ES256, RS256 (unsigned and HMAC request objects are refused)',
      ],
      ['a wrong aud', () => signed({ aud: `${app.config.issuer}/token` }), "the request object's aud must be this server's issuer"],
      ['an expired exp', () => signed({ exp: Math.floor(Date.now() / 1000) - 120 }), 'the request object has expired (exp)'],
      ['a missing jti', () => signed({ jti: undefined }), 'the request object must have a jti'],
      ['a wrong iss', () => signed({ iss: 'someone' }), 'the request object must be issued by the client (iss = client_id)'],
      ['a key the client never registered', async () => signed({}, {}, await newKey('PS256')), 'the request object is not signed by a key registered for this client'],
    ];
    for (const [what, object, description] of cases) {
      it(`${what}`, async () => {
        const before = await writes(app);
        const page = await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request: await object(), redirect_uri: REDIRECT, state: 'outer' }));
        expectErrorRedirect(app, page, REDIRECT, 'invalid_request_object', description, 'outer');
        expect(await writes(app)).toBe(before);
      });
    }

    it('a replayed jti: the first use is accepted, the second refused', async () => {
      const request = await signed();
      const url = authorizeUrl(app, { client_id: client.clientId, request, redirect_uri: REDIRECT, state: 'outer' });
      expect((await openAt(new Browser(), app, url)).status).toBe(200);
      const before = await writes(app);
      expectErrorRedirect(app, await new Browser().get(url), REDIRECT, 'invalid_request_object', 'the request object was used before (jti)', 'outer');
      expect(await writes(app)).toBe(before);
    });

    it('a client with no registered keys (it authenticates with a secret)', async () => {
      const page = await new Browser().get(
        authorizeUrl(app, { client_id: secretClient.clientId, request: await signed({ iss: secretClient.clientId, client_id: secretClient.clientId }), redirect_uri: REDIRECT, state: 'outer' }),
      );
      expectErrorRedirect(app, page, REDIRECT, 'invalid_request_object', 'this client has registered no keys (jwks or jwks_uri), so it cannot send request objects', 'outer');
    });

    it('on our page, not by redirect, when no registered redirect_uri is sent beside the object', async () => {
      const request = await signed({ aud: 'https://elsewhere.example' });
      expectErrorPage(await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request })), 'invalid_request_object', 'aud must be this server');
      expectErrorPage(
        await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request, redirect_uri: 'https://evil.example/cb' })),
        'invalid_request_object',
        'aud must be this server',
      );
    });

    it('an object whose own redirect_uri is not registered: our page, as for a plain request', async () => {
      const page = await new Browser().get(authorizeUrl(app, { client_id: client.clientId, request: await signed({ redirect_uri: 'https://evil.example/cb' }), redirect_uri: REDIRECT }));
      expect(page.status).toBe(400);
      expect(page.location).toBeNull();
    });
  });

  describe('inside a push: every refusal is JSON (RFC 9126 §2.3), nothing stored', () => {
    const credentials = async (): Promise<Record<string, string>> => ({
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: await new SignJWT({ iss: client.clientId, sub: client.clientId, aud: app.config.issuer, jti: randomId() })
        .setProtectedHeader({ alg: key.alg, kid: key.kid })
        .setIssuedAt()
        .setExpirationTime('1m')
        .sign(key.privateKey),
    });

    it('an unsigned object, a wrong aud, a replayed jti', async () => {
      const before = await writes(app);
      const unsigned = await push(app, { client_id: client.clientId, request: new UnsecuredJWT({ iss: client.clientId }).encode(), ...(await credentials()) });
      expect([unsigned.status, unsigned.json.error]).toEqual([400, 'invalid_request_object']);
      const wrongAud = await push(app, { client_id: client.clientId, request: await signed({ aud: 'https://elsewhere.example' }), ...(await credentials()) });
      expect([wrongAud.status, wrongAud.json]).toEqual([400, { error: 'invalid_request_object', error_description: "the request object's aud must be this server's issuer" }]);
      expect(await writes(app)).toBe(before);
      const request = await signed();
      expect((await push(app, { client_id: client.clientId, request, ...(await credentials()) })).status).toBe(201);
      const replay = await push(app, { client_id: client.clientId, request, ...(await credentials()) });
      expect([replay.status, replay.json]).toEqual([400, { error: 'invalid_request_object', error_description: 'the request object was used before (jti)' }]);
    });

    it("the object's invalid parameters: an unregistered redirect_uri inside it", async () => {
      const answer = await push(app, { client_id: client.clientId, request: await signed({ redirect_uri: 'https://evil.example/cb' }), ...(await credentials()) });
      expect([answer.status, answer.json]).toEqual([400, { error: 'invalid_request', error_description: 'The address the application asked to send you back to is not registered for it.' }]);
    });
  });
});
