// Issue 23: what the federated sign-in's start and callback refuse, and that each refusal writes nothing (no
// account, no link, no session): a provider that does not exist or is off, a state that is missing, made up,
// tampered with, replayed or opened in another browser, an answer delivered at another provider's callback (the
// mix-up attack, RFC 9700 §4.4), a tampered `iss` (RFC 9207), an upstream that refuses, is down or too slow. The
// person sees a page (never a stack trace), and the application's pending request stays usable: they can go back
// and sign in with a password.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { THROTTLE_RULES } from '../../src/auth/throttle.js';
import { createProvider } from '../../src/manage/providers.js';
import { Browser, type Page } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, submitLogin, type TestClient } from '../helpers/oidc.js';
import { countRows, queryRows } from '../helpers/rows.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { startUpstreamOidc, type UpstreamOidc } from '../helpers/upstream-oidc.js';
import {
  addOidcProvider,
  callbackUris,
  federatedSignIn,
  footprint,
  messageOf,
  providerContext,
  providerLink,
  UPSTREAM_CLIENT_ID,
  UPSTREAM_CLIENT_SECRET,
  upToCallback,
} from './federation-helpers.js';
import { requestFrom } from './from-address.js';

describe('federated sign-in refusals (issue 23)', () => {
  let app: RunningApp;
  let origin: string;
  let upstream: UpstreamOidc;
  let client: TestClient;

  const sessionCookie = (browser: Browser) => browser.cookie(origin, 'gatehouse_session');
  const states = () => countRows(app, 'SELECT count(*) AS n FROM federation_states');
  const noStackTrace = (page: Page) => expect(page.body).not.toMatch(/\bat [^\s]+ \(|\.ts:\d+|Error:/);

  /** The answer is a page of ours with this status, the browser has no session, and nothing was written. */
  async function refusedWithoutWriting(answer: Page, status: number, before: Awaited<ReturnType<typeof footprint>>, browser?: Browser): Promise<void> {
    expect(answer.status, answer.body).toBe(status);
    expect(answer.location).toBeNull();
    expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    noStackTrace(answer);
    if (browser) expect(sessionCookie(browser)).toBeUndefined();
    expect(await footprint(app)).toEqual(before);
  }

  /** Signs in with the password on the login page at `url` (the pending request still usable): a code for the client. */
  async function passwordStillWorks(browser: Browser, loginUrl: string): Promise<void> {
    const login = await browser.get(loginUrl);
    const answer = await submitLogin(browser, login, 'ada@example.com');
    expect(answer.status, answer.body).toBe(303);
    expect(new URL(answer.location ?? '').searchParams.get('code')).toBeTruthy();
  }

  beforeAll(async () => {
    app = await startApp({ env: { FEDERATION_TIMEOUT_MS: '1500' } });
    origin = new URL(app.config.issuer).origin;
    upstream = await startUpstreamOidc({
      clients: [{ client_id: UPSTREAM_CLIENT_ID, client_secret: UPSTREAM_CLIENT_SECRET, redirect_uris: callbackUris(app, ['acme', 'other']) }],
      accounts: { 'person-1': { email: 'person@example.com', email_verified: true, name: 'Person One' } },
    });
    client = await addClient(app, { name: 'Wiki' });
    await addUser(app, 'ada@example.com');
    // Made just in time, so that a callback that got through would write an account.
    await addOidcProvider(app, upstream, { slug: 'acme', name: 'Acme', jit: true });
    await addOidcProvider(app, upstream, { slug: 'other', name: 'Other', jit: true });
    await addOidcProvider(app, upstream, { slug: 'off', name: 'Off', jit: true, enabled: false });
    await createProvider(providerContext(app), {
      slug: 'directory',
      kind: 'ldap',
      name: 'The Directory',
      url: 'ldap://127.0.0.1:1',
      bindDn: 'cn=reader,dc=example,dc=com',
      bindPassword: 'reader password',
      userBase: 'ou=people,dc=example,dc=com',
      userFilter: '(mail={email})',
    });
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('the start', () => {
    it('answers 404 "does not exist" for a provider that is unknown, turned off or a directory, storing nothing', async () => {
      const browser = new Browser();
      const login = await open(browser, app, (await authorizationUrl(client)).url);
      const request = new URL(login.url).searchParams.get('request') ?? '';
      expect(providerLink(login, 'directory')).toBeNull();
      const before = await states();
      for (const slug of ['nope', 'off', 'directory', 'ACME', '-x']) {
        const answer = await browser.get(`${app.config.issuer}/federation/${slug}/start?request=${request}`);
        expect(answer.status, slug).toBe(404);
        expect(messageOf(answer)).toContain('This sign-in option does not exist');
        noStackTrace(answer);
      }
      expect(await states()).toBe(before);
    });

    it('refuses a start with no request, an unknown request, an outside return_to, or another browser’s request, storing nothing', async () => {
      const browser = new Browser();
      const login = await open(browser, app, (await authorizationUrl(client)).url);
      const request = new URL(login.url).searchParams.get('request') ?? '';
      const before = await states();
      const start = (query: string, who = browser) => who.get(`${app.config.issuer}/federation/acme/start${query}`);
      expect((await start('')).status).toBe(400);
      expect((await start('?request=made-up')).status).toBe(400);
      expect((await start('?return_to=https%3A%2F%2Fevil.example%2F')).status).toBe(400);
      expect((await start(`?request=${request}`, new Browser())).status).toBe(403);
      expect(await states()).toBe(before);
    });

    it('keeps the state sealed and bound to this browser, and sends the browser upstream with no-store', async () => {
      const browser = new Browser();
      const login = await open(browser, app, (await authorizationUrl(client, { login_hint: 'person-1' })).url);
      const answer = await browser.get(providerLink(login, 'acme') ?? '');
      expect(answer.status).toBe(303);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
      const upstreamUrl = new URL(answer.location ?? '');
      expect(upstreamUrl.searchParams.get('redirect_uri')).toBe(`${app.config.issuer}/federation/acme/callback`);
      expect(upstreamUrl.searchParams.get('login_hint')).toBe('person-1');
      expect(upstreamUrl.searchParams.get('code_challenge_method')).toBe('S256');
      const state = upstreamUrl.searchParams.get('state') ?? '';
      const [row] = await queryRows<{ kind: string; provider_slug: string; value: string; expires_at: number | string; created_at: number | string }>(
        app,
        'SELECT kind, provider_slug, value, expires_at, created_at FROM federation_states ORDER BY created_at DESC LIMIT 1',
      );
      expect(row).toMatchObject({ kind: 'login', provider_slug: 'acme' });
      expect(Number(row?.expires_at) - Number(row?.created_at)).toBe(10 * 60 * 1000);
      expect(row?.value).not.toContain(state);
      expect(row?.value).not.toContain(new URL(login.url).searchParams.get('request'));
      expect(row?.value).toMatch(/^v1\./);
    });
  });

  it('admits starts and callbacks per client address under a budget of their own: past it a 429 page, nothing stored or consumed, /authorize unaffected', async () => {
    const browser = new Browser();
    const { callback } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
    const login = await open(browser, app, (await authorizationUrl(client)).url);
    const ip = '127.0.4.1';
    const rule = THROTTLE_RULES.admission;
    for (let i = 0; i < rule.limit; i++) await app.store.throttle.attempt(`federation:address:${ip}`, rule, app.clock.now());
    const cookie = `gatehouse_browser=${browser.cookie(origin, 'gatehouse_browser') ?? ''}`;
    const before = { states: await states(), ...(await footprint(app)) };
    for (const url of [providerLink(login, 'acme') ?? '', callback.toString()]) {
      const refused = await requestFrom(ip, url, { headers: { Cookie: cookie } });
      expect(refused.status, url).toBe(429);
      expect(refused.headers['retry-after']).toMatch(/^\d+$/);
      expect(refused.body).toContain('too_many_requests');
    }
    expect({ states: await states(), ...(await footprint(app)) }).toEqual(before);
    // A federated sign-in spends its own budget, not the authorization endpoint's: that address may still start one.
    expect((await requestFrom(ip, (await authorizationUrl(client)).url)).status).toBe(303);
    // The callback's state was not used up: from an address within its budget it completes.
    expect((await browser.get(callback.toString())).status).toBe(303);
  });

  describe('the callback', () => {
    it('refuses a missing, made-up or tampered state with "expired or already used", writing nothing', async () => {
      const browser = new Browser();
      const { callback } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      const tampered = new URL(callback);
      const state = tampered.searchParams.get('state') ?? '';
      tampered.searchParams.set('state', (state[0] === 'A' ? 'B' : 'A') + state.slice(1));
      const missing = new URL(callback);
      missing.searchParams.delete('state');
      for (const url of [missing, tampered, new URL(`${app.config.issuer}/federation/acme/callback?code=x&state=made-up`)]) {
        const answer = await browser.get(url.toString());
        expect(messageOf(answer)).toBe('This sign-in has expired or was already used. Start again.');
        await refusedWithoutWriting(answer, 400, before, browser);
      }
      // The real state is still good: none of the above used it up.
      expect((await browser.get(callback.toString())).status).toBe(303);
    });

    it('refuses a replayed callback: one sign-in, then "expired or already used"', async () => {
      const browser = new Browser();
      const { answer, callback } = await federatedSignIn(browser, app, client, upstream, 'acme', 'person-1');
      expect(answer.status, answer.body).toBe(303);
      const before = await footprint(app);
      const again = await browser.get(callback.toString());
      expect(messageOf(again)).toBe('This sign-in has expired or was already used. Start again.');
      await refusedWithoutWriting(again, 400, before);
    });

    it('refuses a callback opened in another browser (403), and uses the state up: the first browser must start again', async () => {
      const browser = new Browser();
      const { callback } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      // A browser with a cookie of its own (any page of ours gives one).
      const thief = new Browser();
      await thief.get(`${app.config.issuer}/login?return_to=%2Faccount`);
      expect(thief.cookie(origin, 'gatehouse_browser')).toBeTruthy();
      await refusedWithoutWriting(await thief.get(callback.toString()), 403, before, thief);
      const [event] = await app.store.audit.list({ filter: { type: 'signin.federated' }, limit: 1 });
      expect(event).toMatchObject({ outcome: 'failure', actor: 'anonymous', details: { provider: 'acme', reason: 'other_browser' } });
      await refusedWithoutWriting(await browser.get(callback.toString()), 400, before, browser);
    });

    it("refuses an answer delivered at another provider's callback (mix-up), and uses the state up", async () => {
      const browser = new Browser();
      const { callback } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      const mixedUp = new URL(callback);
      mixedUp.pathname = '/federation/other/callback';
      await refusedWithoutWriting(await browser.get(mixedUp.toString()), 400, before, browser);
      const [event] = await app.store.audit.list({ filter: { type: 'signin.federated' }, limit: 1 });
      expect(event).toMatchObject({ outcome: 'failure', details: { provider: 'acme', reason: 'provider_mismatch' } });
      await refusedWithoutWriting(await browser.get(callback.toString()), 400, before, browser);
    });

    it('refuses a tampered iss with a page; the pending request stays usable with a password', async () => {
      const browser = new Browser();
      const { callback, login } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      const tampered = new URL(callback);
      tampered.searchParams.set('iss', 'https://evil.example');
      const answer = await browser.get(tampered.toString());
      await refusedWithoutWriting(answer, 400, before, browser);
      expect(messageOf(answer)).toContain('Acme');
      expect(answer.body).toContain('Back to sign in');
      await passwordStillWorks(browser, login.url);
    });

    it("shows the upstream's refusal (error=access_denied) as a 403 page naming the provider", async () => {
      const browser = new Browser();
      const { callback } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      const denied = new URL(`${app.config.issuer}/federation/acme/callback`);
      denied.search = new URLSearchParams({ error: 'access_denied', error_description: '<b>nope</b>', state: callback.searchParams.get('state') ?? '', iss: upstream.issuer }).toString();
      const answer = await browser.get(denied.toString());
      await refusedWithoutWriting(answer, 403, before, browser);
      expect(messageOf(answer)).toContain('Acme');
      expect(messageOf(answer)).toContain('access_denied');
      expect(answer.body).not.toContain('<b>nope</b>');
      const [event] = await app.store.audit.list({ filter: { type: 'signin.federated' }, limit: 1 });
      expect(event).toMatchObject({ outcome: 'failure', details: { provider: 'acme', reason: 'upstream_refused' } });
    });

    it('answers 502 with a page when the upstream is down, and the pending request is still usable', async () => {
      const browser = new Browser();
      const { callback, login } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      await upstream.stop();
      try {
        const answer = await browser.get(callback.toString());
        await refusedWithoutWriting(answer, 502, before, browser);
        expect(messageOf(answer)).toContain('Acme');
        const back = /<a class="button secondary" href="([^"]*)">Back to sign in<\/a>/.exec(answer.body)?.[1] ?? '';
        expect(new URL(back.replace(/&amp;/g, '&'), app.config.issuer).toString()).toBe(login.url);
        await passwordStillWorks(browser, login.url);
      } finally {
        await upstream.restart();
      }
    });

    it('answers 504 with a page when the upstream is too slow (FEDERATION_TIMEOUT_MS), and the pending request is still usable', async () => {
      const browser = new Browser();
      const { callback, login } = await upToCallback(browser, app, client, upstream, 'acme', 'person-1');
      const before = await footprint(app);
      upstream.delayMs = 4000;
      try {
        const answer = await browser.get(callback.toString());
        await refusedWithoutWriting(answer, 504, before, browser);
        expect(messageOf(answer)).toContain('Acme');
      } finally {
        upstream.delayMs = 0;
      }
      await passwordStillWorks(browser, login.url);
    });

    it('refuses a callback for a provider turned off since the start, writing nothing', async () => {
      const browser = new Browser();
      const { callback } = await upToCallback(browser, app, client, upstream, 'other', 'person-1');
      await app.store.identityProviders.update('other', { enabled: false }, app.clock.now());
      try {
        const before = await footprint(app);
        await refusedWithoutWriting(await browser.get(callback.toString()), 400, before, browser);
      } finally {
        await app.store.identityProviders.update('other', { enabled: true }, app.clock.now());
      }
    });
  });
});
