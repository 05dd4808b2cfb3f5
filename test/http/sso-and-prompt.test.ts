import { decodeJwt, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, open, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const HOUR = 3_600_000;

describe('single sign-on, prompt, max_age and id_token_hint (OIDC Core §3.1.2.1)', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let a: TestClient;
  let b: TestClient;

  /** Redeems the code of a redirect with raw HTTP (the fake clock moves ID token times away from real time). */
  async function idToken(client: TestClient, location: string | null, start: AuthorizationStart): Promise<JWTPayload> {
    const code = new URL(location ?? '').searchParams.get('code');
    expect(code, location ?? '').toBeTruthy();
    return decodeJwt((await redeemRaw(app, client, code ?? '', start)).id_token ?? '');
  }

  /** Signs in through the form; returns the ID token. */
  async function signIn(browser: Browser, client: TestClient, email = 'ada@example.com', extra: Record<string, string> = {}): Promise<JWTPayload> {
    const start = await authorizationUrl(client, extra);
    const answer = await submitLogin(browser, await open(browser, app, start.url), email);
    return idToken(client, answer.location, start);
  }

  /** An authorization request expected to be answered without any page. */
  async function silently(browser: Browser, client: TestClient, extra: Record<string, string> = {}) {
    const start = await authorizationUrl(client, extra);
    const page = await open(browser, app, start.url);
    return { page, start, error: page.location ? new URL(page.location).searchParams.get('error') : null };
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    await addUser(app, 'grace@example.com');
    a = await addClient(app, { name: 'A' });
    b = await addClient(app, { name: 'B', redirectUris: ['https://b.example/cb'] });
  });
  afterAll(() => app.stop());

  it('signs the browser in to a second client without the form, with the same sub, auth_time and sid', async () => {
    const browser = new Browser();
    const first = await signIn(browser, a);
    const { page, start } = await silently(browser, b);
    expect(page.status).toBe(303);
    const second = await idToken(b, page.location, start);
    expect([second.sub, second.auth_time, second.sid]).toEqual([first.sub, first.auth_time, first.sid]);
  });

  it('answers prompt=none without a session with login_required and the state byte for byte', async () => {
    const state = 'x+/=&% '.repeat(19).slice(0, 128);
    const { page } = await silently(new Browser(), a, { prompt: 'none', state });
    const location = new URL(page.location ?? '');
    expect(location.searchParams.get('error')).toBe('login_required');
    expect(location.searchParams.get('state')).toBe(state);
  });

  it('answers prompt=none with a session with a code and the same sub and auth_time', async () => {
    const browser = new Browser();
    const first = await signIn(browser, a);
    const { page, start } = await silently(browser, a, { prompt: 'none' });
    const second = await idToken(a, page.location, start);
    expect([second.sub, second.auth_time]).toEqual([first.sub, first.auth_time]);
  });

  it('shows the form again for prompt=login, and the new auth_time is later', async () => {
    const browser = new Browser();
    const first = await signIn(browser, a);
    clock.advance(5_000);
    const { page } = await silently(browser, a, { prompt: 'login' });
    expect(page.status).toBe(200);
    const second = await signIn(browser, a, 'ada@example.com', { prompt: 'login' });
    expect(Number(second.auth_time)).toBe(Number(first.auth_time) + 5);
  });

  it('asks again when the session is older than max_age, and not when it is younger', async () => {
    const browser = new Browser();
    const first = await signIn(browser, a);
    clock.advance(2_000);
    expect((await silently(browser, a, { max_age: '1' })).page.status).toBe(200);
    expect((await silently(browser, a, { max_age: '0' })).page.status).toBe(200);
    const young = await silently(browser, a, { max_age: '10000' });
    expect((await idToken(a, young.page.location, young.start)).auth_time).toBe(first.auth_time);
    const again = await signIn(browser, a, 'ada@example.com', { max_age: '1' });
    expect(Number(again.auth_time)).toBeGreaterThan(Number(first.auth_time));
  });

  it('honours an id_token_hint for the signed-in user, even expired, and refuses another user\'s', async () => {
    const browser = new Browser();
    const first = await signIn(browser, a);
    const start = await authorizationUrl(a);
    const page = await open(browser, app, start.url);
    const hint = (await redeemRaw(app, a, new URL(page.location ?? '').searchParams.get('code') ?? '', start)).id_token ?? '';
    clock.advance(HOUR + 60_000);
    const accepted = await silently(browser, a, { prompt: 'none', id_token_hint: hint });
    expect((await idToken(a, accepted.page.location, accepted.start)).sub).toBe(first.sub);
    const other = new Browser();
    await signIn(other, a, 'grace@example.com');
    expect((await silently(other, a, { prompt: 'none', id_token_hint: hint })).error).toBe('login_required');
  });

  it('ends a session after SESSION_IDLE_TTL without activity, and keeps an active one until SESSION_TTL', async () => {
    const idle = new Browser();
    await signIn(idle, a);
    const active = new Browser();
    await signIn(active, a);
    for (let hour = 0; hour < 11; hour++) {
      clock.advance(HOUR);
      expect((await silently(active, a, { prompt: 'none' })).error, `hour ${hour + 1}`).toBeNull();
    }
    expect((await silently(idle, a, { prompt: 'none' })).error).toBe('login_required');
    clock.advance(HOUR);
    expect((await silently(active, a, { prompt: 'none' })).error).toBe('login_required');
  });

  it('stops answering for a user disabled after signing in', async () => {
    const browser = new Browser();
    const user = await addUser(app, 'leaver@example.com');
    await signIn(browser, a, 'leaver@example.com');
    await app.store.users.update(user.id, { disabled: true }, clock.now());
    expect((await silently(browser, a, { prompt: 'none' })).error).toBe('login_required');
  });
});
