import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { alteredClaims, forgeries } from '../helpers/forged-tokens.js';
import { addClient, addUser, authorizationUrl, redeemRaw, signIn, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('UserInfo endpoint (OIDC Core §5.3, RFC 6750)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;
  let user: UserRecord;
  let url: string;

  async function tokens(email = 'ada@example.com', scope = 'openid email profile'): Promise<{ access_token: string; id_token: string }> {
    const start = await authorizationUrl(client, { scope });
    const callback = await signIn(new Browser(), app, start, email);
    const answer = await redeemRaw(app, client, callback.searchParams.get('code') ?? '', start);
    expect(answer.access_token, JSON.stringify(answer)).toEqual(expect.any(String));
    return answer as { access_token: string; id_token: string };
  }

  const bearer = (token: string, init: RequestInit = {}) => fetch(url, { ...init, headers: { Authorization: `Bearer ${token}`, ...(init.headers ?? {}) } });
  const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(body).toString() });

  async function expectClaims(response: Response): Promise<Record<string, unknown>> {
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    return (await response.json()) as Record<string, unknown>;
  }

  async function expectInvalidToken(response: Response, label?: string): Promise<void> {
    expect(response.status, label).toBe(401);
    expect(response.headers.get('cache-control'), label).toBe('no-store');
    expect(response.headers.get('www-authenticate'), label).toMatch(/^Bearer realm="gatehouse", error="invalid_token"/);
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    url = `${app.config.issuer}/userinfo`;
    user = await addUser(app);
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  describe('UserInfo request (OIDC Core §5.3.1, RFC 6750 §2)', () => {
    it('answers GET with the token in a Bearer Authorization header', async () => {
      const claims = await expectClaims(await bearer((await tokens()).access_token));
      expect(claims.sub).toBe(user.id);
    });

    it('answers POST with the token in a Bearer Authorization header', async () => {
      const claims = await expectClaims(await bearer((await tokens()).access_token, { method: 'POST' }));
      expect(claims.sub).toBe(user.id);
    });

    it('answers POST with the token as access_token in the form body (RFC 6750 §2.2)', async () => {
      const claims = await expectClaims(await form({ access_token: (await tokens()).access_token }));
      expect(claims.sub).toBe(user.id);
    });

    it('allows other origins to read the answer (CORS)', async () => {
      const response = await bearer((await tokens()).access_token, { headers: { Origin: 'https://spa.example' } });
      expect(response.status).toBe(200);
      expect(response.headers.get('access-control-allow-origin')).toBe('*');
    });
  });

  describe('UserInfo response (OIDC Core §5.3.2)', () => {
    it('holds sub and the claims of the granted scopes, and may not be cached', async () => {
      const claims = await expectClaims(await bearer((await tokens()).access_token));
      expect(claims).toEqual({ sub: user.id, name: 'Ada Lovelace', email: 'ada@example.com', email_verified: false });
    });

    it('releases only sub for scope openid alone', async () => {
      expect(await expectClaims(await bearer((await tokens('ada@example.com', 'openid')).access_token))).toEqual({ sub: user.id });
    });
  });

  describe('UserInfo errors (OIDC Core §5.3.3, RFC 6750 §3.1)', () => {
    it('answers 400 invalid_request to a token sent both in the header and in the body', async () => {
      const { access_token } = await tokens();
      const response = await form({ access_token }, { Authorization: `Bearer ${access_token}` });
      expect(response.status).toBe(400);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(((await response.json()) as { error: string }).error).toBe('invalid_request');
    });

    it('answers a request without a token with 401 and a bare Bearer challenge, without an error attribute (§3.1)', async () => {
      for (const response of [await fetch(url), await form({})]) {
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="gatehouse"');
      }
    });

    it('answers 401 invalid_token to a garbage token', async () => {
      await expectInvalidToken(await bearer('garbage'));
      await expectInvalidToken(await form({ access_token: 'garbage' }));
    });

    it('answers 401 invalid_token to an ID token used as an access token', async () => {
      const { id_token } = await tokens();
      await expectInvalidToken(await bearer(id_token));
    });

    // The forgeries carry a real token's claims (its jti is live in the store, its sub and client are real): only
    // the signature check can refuse them.
    it("answers 401 invalid_token to a live token's own claims signed by a key that is not ours, with alg none, or with HS256 keyed by our public key (RFC 8725 §2.1)", async () => {
      const { access_token } = await tokens();
      const forged = await forgeries(access_token, app.keyRing.signingKey.publicJwk);
      expect(forged.length).toBeGreaterThanOrEqual(7);
      // Every answer first, so that a failure names every forgery that got through.
      const answers = new Map<string, Response[]>();
      for (const { name, token } of forged) answers.set(name, [await bearer(token), await form({ access_token: token })]);
      expect(Object.fromEntries([...answers].map(([name, responses]) => [name, responses.map((r) => r.status)]))).toEqual(Object.fromEntries(forged.map(({ name }) => [name, [401, 401]])));
      for (const [name, responses] of answers) for (const response of responses) await expectInvalidToken(response, name);
      // The genuine token is live all along: the refusals were the signature's.
      expect((await expectClaims(await bearer(access_token))).sub).toBe(user.id);
    });

    it('answers 401 invalid_token to a live token whose scope was widened under its own signature', async () => {
      const { access_token } = await tokens('ada@example.com', 'openid');
      const widened = alteredClaims(access_token, (claims) => ({ ...claims, scope: 'openid email profile' }));
      await expectInvalidToken(await bearer(widened));
      expect(await expectClaims(await bearer(access_token))).toEqual({ sub: user.id });
    });

    it('answers 401 invalid_token to an expired token', async () => {
      const { access_token } = await tokens();
      await expectClaims(await bearer(access_token));
      clock.advance(11 * 60_000);
      await expectInvalidToken(await bearer(access_token));
    });

    it('answers 401 invalid_token to the token of a user disabled afterwards', async () => {
      const leaver = await addUser(app, 'leaver@example.com');
      const { access_token } = await tokens('leaver@example.com');
      await expectClaims(await bearer(access_token));
      await app.store.users.update(leaver.id, { disabled: true }, Date.now());
      await expectInvalidToken(await bearer(access_token));
    });
  });
});
