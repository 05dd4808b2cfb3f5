import { randomBytes } from 'node:crypto';
import { decodeJwt, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { forgeries } from '../helpers/forged-tokens.js';
import { addClient, addUser, authorizationUrl, open, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('single sign-on and the authentication request parameters (OIDC Core §3.1.2.1)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let origin: string;
  let a: TestClient;
  let b: TestClient;

  /** Redeems the code in a redirect with raw HTTP (the fake clock moves token times away from real time). */
  async function idToken(client: TestClient, page: Page, start: AuthorizationStart): Promise<JWTPayload> {
    expect(page.status, page.body).toBe(303);
    const location = new URL(page.location ?? '');
    expect(location.origin + location.pathname).toBe(client.redirectUri);
    const code = location.searchParams.get('code');
    expect(code, location.toString()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const tokens = await redeemRaw(app, client, code ?? '', start);
    expect(tokens.id_token, JSON.stringify(tokens)).toBeDefined();
    return decodeJwt(tokens.id_token ?? '');
  }

  /** An authorization request in `browser`, following our own redirects: the login page, or back to the client. */
  async function authorize(browser: Browser, client: TestClient, extra: Record<string, string> = {}) {
    const start = await authorizationUrl(client, extra);
    const page = await open(browser, app, start.url);
    const location = page.location ? new URL(page.location) : null;
    return { page, start, error: location?.searchParams.get('error') ?? null, showsForm: page.status === 200 && page.body.includes('name="password"') };
  }

  /** Signs in through the form and returns the ID token. */
  async function signIn(browser: Browser, client: TestClient, email = 'ada@example.com', extra: Record<string, string> = {}): Promise<JWTPayload> {
    const { page, start, showsForm } = await authorize(browser, client, extra);
    expect(showsForm, page.body).toBe(true);
    return idToken(client, await submitLogin(browser, page, email), start);
  }

  /** An authorization request that must be answered with a code and no page; returns its ID token. */
  async function silently(browser: Browser, client: TestClient, extra: Record<string, string> = {}): Promise<JWTPayload> {
    const { page, start } = await authorize(browser, client, extra);
    return idToken(client, page, start);
  }

  const sessionCookie = (browser: Browser) => browser.cookie(origin, 'gatehouse_session') ?? '';

  beforeAll(async () => {
    app = await startApp({ clock });
    origin = new URL(app.config.issuer).origin;
    await addUser(app);
    await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
    a = await addClient(app, { name: 'App A' });
    b = await addClient(app, { name: 'App B', redirectUris: ['https://b.example/cb'] });
  });
  afterAll(() => app.stop());

  describe('single sign-on', () => {
    it('signs the browser in to a second client with a 303 and no form, with the same sub, auth_time and sid', async () => {
      const browser = new Browser();
      const first = await signIn(browser, a);
      clock.advance(3_000);
      const { page, start } = await authorize(browser, b);
      expect(page.body).not.toContain('<form');
      const second = await idToken(b, page, start);
      expect(first.sid).toBeTruthy();
      expect([second.sub, second.auth_time, second.sid]).toEqual([first.sub, first.auth_time, first.sid]);
      expect(second.aud).toBe(b.clientId);
    });

    it('shows an HTML 400 page for a pending request whose client was deleted, and SSO to other clients goes on', async () => {
      const browser = new Browser();
      const doomed = await addClient(app, { name: 'Doomed', redirectUris: ['https://doomed.example/cb'] });
      const first = await signIn(browser, doomed);
      const { page, showsForm } = await authorize(browser, doomed, { prompt: 'login' });
      expect(showsForm).toBe(true);
      expect(await app.store.clients.delete(doomed.clientId)).toBe(true);
      for (const answer of [await browser.get(page.url), await submitLogin(browser, page, 'ada@example.com')]) {
        expect(answer.status).toBe(400);
        expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
        expect(answer.location).toBeNull();
        expect(answer.body).not.toContain('name="password"');
      }
      const other = await silently(browser, b);
      expect([other.sub, other.sid]).toEqual([first.sub, first.sid]);
    });
  });

  describe('prompt=none (§3.1.2.6 errors)', () => {
    it('answers login_required without a session, with a 128-character state byte-identical', async () => {
      const state = randomBytes(96).toString('base64url');
      expect(state).toHaveLength(128);
      const { page, error } = await authorize(new Browser(), a, { prompt: 'none', state });
      expect(page.status).toBe(303);
      expect(page.location?.startsWith(`${a.redirectUri}?`)).toBe(true);
      expect(error).toBe('login_required');
      expect(new URL(page.location ?? '').searchParams.get('state')).toBe(state);
      expect(page.location).toContain(`state=${state}`);
    });

    it("answers with a code and no form when signed in, with the first ID token's sub and auth_time", async () => {
      const browser = new Browser();
      const first = await signIn(browser, a);
      clock.advance(4_000);
      const second = await silently(browser, a, { prompt: 'none' });
      expect([second.sub, second.auth_time]).toEqual([first.sub, first.auth_time]);
    });
  });

  describe('prompt=login', () => {
    it('shows the form again, then issues a later auth_time and replaces the old session', async () => {
      const browser = new Browser();
      const first = await signIn(browser, a);
      const oldCookie = sessionCookie(browser);
      clock.advance(5_000);
      const second = await signIn(browser, a, 'ada@example.com', { prompt: 'login' });
      expect(second.sub).toBe(first.sub);
      expect(second.auth_time).toBe(Number(first.auth_time) + 5);
      expect(second.sid).not.toBe(first.sid);
      expect(sessionCookie(browser)).not.toBe(oldCookie);
      expect(await app.store.sessions.findLive(hashSecret(oldCookie), clock.now())).toBeNull();
    });
  });

  describe('max_age', () => {
    it('asks again when the session is older than max_age, and the new auth_time is later', async () => {
      const browser = new Browser();
      const first = await signIn(browser, a);
      clock.advance(2_000);
      expect((await authorize(browser, a, { max_age: '1', prompt: 'none' })).error).toBe('login_required');
      const again = await signIn(browser, a, 'ada@example.com', { max_age: '1' });
      expect(again.auth_time).toBeDefined();
      expect(again.auth_time).toBe(Number(first.auth_time) + 2);
    });

    it('does not ask again when the session is younger than max_age, and auth_time is unchanged', async () => {
      const browser = new Browser();
      const first = await signIn(browser, a, 'ada@example.com', { max_age: '15000' });
      clock.advance(2_000);
      const second = await silently(browser, a, { max_age: '10000' });
      expect(first.auth_time).toBeDefined();
      expect([second.sub, second.auth_time]).toEqual([first.sub, first.auth_time]);
    });

    it('always asks again for max_age=0, even right after signing in', async () => {
      const browser = new Browser();
      await signIn(browser, a);
      expect((await authorize(browser, a, { max_age: '0' })).showsForm).toBe(true);
    });
  });

  describe('id_token_hint', () => {
    let browser: Browser;
    let first: JWTPayload;
    let hint: string;
    let otherHint: string;

    beforeAll(async () => {
      browser = new Browser();
      const start = await authorizationUrl(a);
      const page = await submitLogin(browser, await open(browser, app, start.url), 'ada@example.com');
      hint = (await redeemRaw(app, a, new URL(page.location ?? '').searchParams.get('code') ?? '', start)).id_token ?? '';
      first = decodeJwt(hint);
      const other = new Browser();
      const otherStart = await authorizationUrl(a);
      const otherPage = await submitLogin(other, await open(other, app, otherStart.url), 'grace@example.com');
      otherHint = (await redeemRaw(app, a, new URL(otherPage.location ?? '').searchParams.get('code') ?? '', otherStart)).id_token ?? '';
      expect(decodeJwt(otherHint).sub).not.toBe(first.sub);
    });

    it("answers prompt=none at once for the signed-in user's own ID token", async () => {
      const second = await silently(browser, a, { prompt: 'none', id_token_hint: hint });
      expect([second.sub, second.auth_time]).toEqual([first.sub, first.auth_time]);
    });

    it("answers login_required for another user's ID token, and shows the form without prompt=none", async () => {
      expect((await authorize(browser, a, { prompt: 'none', id_token_hint: otherHint })).error).toBe('login_required');
      expect((await authorize(browser, a, { id_token_hint: otherHint })).showsForm).toBe(true);
    });

    // The forgeries carry the signed-in person's own claims: only the signature check tells them from `hint`.
    it("answers invalid_request, never a code, to the signed-in user's own ID token signed by a key that is not ours, with alg none, or with HS256 keyed by our public key", async () => {
      const forged = await forgeries(hint, app.keyRing.signingKey.publicJwk);
      expect(forged.length).toBeGreaterThanOrEqual(7);
      const errors: Record<string, unknown> = {};
      for (const { name, token } of forged) {
        errors[name] = [(await authorize(browser, a, { prompt: 'none', id_token_hint: token })).error, (await authorize(browser, a, { id_token_hint: token })).error];
      }
      expect(errors).toEqual(Object.fromEntries(forged.map(({ name }) => [name, ['invalid_request', 'invalid_request']])));
      expect((await silently(browser, a, { prompt: 'none', id_token_hint: hint })).sub).toBe(first.sub);
    });

    it('still accepts the hint after it has expired', async () => {
      clock.advance(HOUR);
      await silently(browser, a, { prompt: 'none' });
      clock.advance(HOUR);
      expect(clock.now() / 1000).toBeGreaterThan(Number(first.exp));
      expect((await silently(browser, a, { prompt: 'none', id_token_hint: hint })).sub).toBe(first.sub);
    });
  });

  describe('session lifetimes (OWASP ASVS V3.3)', () => {
    it('ends a session left idle past SESSION_IDLE_TTL', async () => {
      const idleMs = app.config.lifetimes.sessionIdle * 1000;
      expect(idleMs).toBe(2 * HOUR);
      const browser = new Browser();
      await signIn(browser, a);
      clock.advance(idleMs + 1_000);
      expect((await authorize(browser, a, { prompt: 'none' })).error).toBe('login_required');
    });

    it('keeps a session alive while it is used within the idle window', async () => {
      const browser = new Browser();
      const first = await signIn(browser, a);
      for (let step = 0; step < 3; step++) {
        clock.advance(2 * HOUR - MINUTE);
        expect((await silently(browser, a, { prompt: 'none' })).auth_time, `step ${step}`).toBe(first.auth_time);
      }
    });

    it('records activity at most once a minute, so it idles out at most a minute early and never late', async () => {
      const browser = new Browser();
      await signIn(browser, a);
      const lastSeen = async () => (await app.store.sessions.findLive(hashSecret(sessionCookie(browser)), clock.now()))?.lastSeenAt;
      const signedInAt = await lastSeen();
      clock.advance(MINUTE - 1_000);
      await silently(browser, a, { prompt: 'none' });
      // Within a minute: not written again (single sign-on costs no write).
      expect(await lastSeen()).toBe(signedInAt);
      clock.advance(1_000);
      await silently(browser, a, { prompt: 'none' });
      expect(await lastSeen()).toBe(clock.now());
      // Idle from the recorded activity: the session ends on time.
      clock.advance(2 * HOUR);
      expect((await authorize(browser, a, { prompt: 'none' })).error).toBe('login_required');
    });

    it('ends a session at SESSION_TTL even when it is used', async () => {
      expect(app.config.lifetimes.session * 1000).toBe(12 * HOUR);
      const browser = new Browser();
      await signIn(browser, a);
      for (let hour = 1; hour < 12; hour++) {
        clock.advance(HOUR);
        expect((await authorize(browser, a, { prompt: 'none' })).error, `hour ${hour}`).toBeNull();
      }
      clock.advance(HOUR - MINUTE);
      expect((await authorize(browser, a, { prompt: 'none' })).error).toBeNull();
      clock.advance(MINUTE);
      expect((await authorize(browser, a, { prompt: 'none' })).error).toBe('login_required');
    });

    it('no longer signs in a user disabled after signing in', async () => {
      const browser = new Browser();
      const user = await addUser(app, `leaver-${clock.now()}@example.com`);
      await signIn(browser, a, user.email);
      expect((await authorize(browser, a, { prompt: 'none' })).error).toBeNull();
      await app.store.users.update(user.id, { disabled: true }, clock.now());
      expect((await authorize(browser, a, { prompt: 'none' })).error).toBe('login_required');
    });
  });
});
