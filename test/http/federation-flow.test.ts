// Issue 23: signing in with an upstream OpenID Connect provider, through the browser, end to end: the login page's
// "Continue with <provider>" link, the upstream's own sign-in (panva's oidc-provider, test/helpers/upstream-oidc.ts),
// the callback, and the application's code and tokens. Who the upstream's person becomes in Gatehouse (an account
// made just in time, an existing link, the proof of ownership an existing email needs), what the ID token says of
// the sign-in (`amr` with `fed`, `idp`), and where the sign-in steps still ask (a second factor).
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser, type Page } from '../helpers/browser.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, redeemRaw, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { completeUpstreamSignIn, startUpstreamOidc, type UpstreamOidc } from '../helpers/upstream-oidc.js';
import {
  addOidcProvider,
  callbackUris,
  federatedSignIn,
  footprint,
  messageOf,
  providerLink,
  providerLinkText,
  UPSTREAM_CLIENT_ID,
  UPSTREAM_CLIENT_SECRET,
  upstreamLocation,
} from './federation-helpers.js';

const SLUGS = ['acme', 'acme-mfa', 'corp', 'closed', 'off', 'other'];

describe('federated sign-in through the browser (issue 23)', () => {
  let app: RunningApp;
  let origin: string;
  let upstream: UpstreamOidc;
  let client: TestClient;
  let strict: TestClient;

  const sessionCookie = (browser: Browser) => browser.cookie(origin, 'gatehouse_session');

  async function idTokenOf(answer: Page, start: AuthorizationStart, to: TestClient = client) {
    expect(answer.status, answer.body).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.href.startsWith(to.redirectUri), callback.href).toBe(true);
    const code = callback.searchParams.get('code');
    expect(code, callback.href).toBeTruthy();
    const tokens = await redeemRaw(app, to, code ?? '', start);
    return decodeJwt(tokens.id_token ?? '');
  }

  beforeAll(async () => {
    app = await startApp();
    origin = new URL(app.config.issuer).origin;
    upstream = await startUpstreamOidc({
      clients: [{ client_id: UPSTREAM_CLIENT_ID, client_secret: UPSTREAM_CLIENT_SECRET, redirect_uris: callbackUris(app, SLUGS) }],
      accounts: {
        'jit-1': { email: 'newcomer@example.com', email_verified: true, name: 'New Comer', groups: ['engineering', 'no-such-group'] },
        'mfa-1': { email: 'strong@example.com', email_verified: true, name: 'Strong Person', amr: ['pwd', 'mfa'] },
        'mfa-2': { email: 'plain@example.com', email_verified: true, name: 'Plain Person', amr: ['pwd', 'mfa'] },
        'other-domain': { email: 'someone@elsewhere.example', email_verified: true, name: 'Else Where' },
        'unknown-1': { email: 'stranger@example.com', email_verified: true, name: 'Stranger' },
        'claims-ada': { email: 'ada@example.com', email_verified: false, name: 'Not Really Ada' },
        'corp-bob': { email: 'bob@corp.example', email_verified: true, name: 'Bob at Corp' },
        squatter: { email: 'carol@corp.example', email_verified: false, name: 'Not Carol' },
        'corp-carol': { email: 'carol@corp.example', email_verified: true, name: 'Carol at Corp' },
        'disabled-1': { email: 'gone@example.com', email_verified: true, name: 'Gone' },
      },
    });
    client = await addClient(app, { name: 'Wiki', redirectUris: ['https://rp.example/callback'] });
    strict = await addClient(app, { name: 'Payroll', requireMfa: true, redirectUris: ['https://payroll.example/callback'] });
    await app.store.groups.create({ id: randomId(), name: 'Engineering', description: '' }, app.clock.now());
    await addOidcProvider(app, upstream, {
      slug: 'acme',
      name: 'Acme <Login>',
      jit: true,
      groupsMode: 'merge',
      scopes: ['openid', 'email', 'profile', 'groups'],
      claims: { groups: 'groups' },
      iconUrl: 'https://icons.example/acme.png',
    });
    await addOidcProvider(app, upstream, { slug: 'acme-mfa', name: 'Acme MFA', jit: true, trustMfa: true });
    await addOidcProvider(app, upstream, { slug: 'corp', name: 'Corp SSO', jit: false, trustEmail: true, allowedDomains: ['corp.example'] });
    await addOidcProvider(app, upstream, { slug: 'closed', name: 'Closed Shop', jit: false });
    await addOidcProvider(app, upstream, { slug: 'off', name: 'Switched Off', jit: true, enabled: false });
  });

  afterAll(async () => {
    await app?.stop();
  });

  describe('the login page', () => {
    it('lists the enabled providers only, each a link naming it (escaped) to its start with this request, its icon allowed by the CSP', async () => {
      const browser = new Browser();
      const login = await open(browser, app, (await authorizationUrl(client)).url);
      expect(login.status, login.body).toBe(200);
      const request = new URL(login.url).searchParams.get('request');
      expect(providerLinkText(login, 'acme')).toBe('Continue with Acme &lt;Login&gt;');
      expect(login.body).not.toContain('Acme <Login>');
      expect(providerLink(login, 'acme')).toBe(`${app.config.issuer}/federation/acme/start?request=${request}`);
      expect(providerLinkText(login, 'corp')).toBe('Continue with Corp SSO');
      expect(providerLink(login, 'off')).toBeNull();
      expect(login.body).not.toContain('Switched Off');
      expect(login.body).toContain('<img src="https://icons.example/acme.png" alt="" width="20" height="20">');
      const csp = login.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/img-src 'self' data: https:\/\/icons\.example(;|$)/);
      expect(csp).toMatch(/form-action 'self' https:\/\/rp\.example(;|$)/);
      expect(login.body).not.toMatch(/<script\b(?![^>]*\bsrc=)/i);
      expect(login.body).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=/i);
    });

    it('offers the providers to a sign-in to our own pages too, returning there', async () => {
      const page = await new Browser().get(`${app.config.issuer}/login?return_to=%2Faccount`);
      expect(page.status, page.body).toBe(200);
      expect(providerLink(page, 'acme')).toBe(`${app.config.issuer}/federation/acme/start?return_to=%2Faccount`);
    });
  });

  describe('who the upstream person becomes', () => {
    it('makes an account just in time: a code, tokens whose ID token says amr fed and idp acme, the mapped groups, and the link', async () => {
      const browser = new Browser();
      const { start, answer } = await federatedSignIn(browser, app, client, upstream, 'acme', 'jit-1', { scope: 'openid email profile groups' });
      const claims = await idTokenOf(answer, start);
      const user = await app.store.users.findByEmail('newcomer@example.com');
      expect(user).toMatchObject({ name: 'New Comer', hasPassword: false, emailVerified: true, disabled: false });
      expect(claims).toMatchObject({ sub: user?.id, amr: ['fed'], idp: 'acme', email: 'newcomer@example.com', groups: ['Engineering'] });
      expect(await app.store.federatedIdentities.find('acme', 'jit-1')).toMatchObject({ userId: user?.id, email: 'newcomer@example.com' });
      expect(sessionCookie(browser)).toBeTruthy();
      const [event] = await app.store.audit.list({ filter: { type: 'signin.federated' }, limit: 1 });
      expect(event).toMatchObject({ outcome: 'success', actor: user?.id, subject: user?.id, clientId: client.clientId, details: { provider: 'acme', amr: ['fed'] } });
      const [succeeded] = await app.store.audit.list({ filter: { type: 'signin.succeeded' }, limit: 1 });
      expect(succeeded).toMatchObject({ subject: user?.id, details: { amr: ['fed'] } });
    });

    it('signs the same upstream person in to the same account the next time, in a new browser', async () => {
      const first = await app.store.users.findByEmail('newcomer@example.com');
      const { start, answer } = await federatedSignIn(new Browser(), app, client, upstream, 'acme', 'jit-1');
      expect((await idTokenOf(answer, start)).sub).toBe(first?.id);
    });

    it('refuses an email outside the allowed domains with a page, writing nothing', async () => {
      const before = await footprint(app);
      const browser = new Browser();
      const { answer } = await federatedSignIn(browser, app, client, upstream, 'corp', 'other-domain');
      expect(answer.status, answer.body).toBe(403);
      expect(messageOf(answer)).toContain('elsewhere.example');
      expect(answer.body).not.toMatch(/at .*\.ts:\d+/);
      expect(sessionCookie(browser)).toBeUndefined();
      expect(await footprint(app)).toEqual(before);
      const [event] = await app.store.audit.list({ filter: { type: 'signin.federated' }, limit: 1 });
      expect(event).toMatchObject({ outcome: 'failure', details: { provider: 'corp', reason: 'account_refused' } });
    });

    it('refuses a person with no account when the provider makes none, writing nothing; the page leads back to the login page', async () => {
      const before = await footprint(app);
      const browser = new Browser();
      const { answer, login } = await federatedSignIn(browser, app, client, upstream, 'closed', 'unknown-1');
      expect(answer.status, answer.body).toBe(403);
      expect(await app.store.users.findByEmail('stranger@example.com')).toBeNull();
      expect(await footprint(app)).toEqual(before);
      const back = /<a class="button secondary" href="([^"]*)">Back to sign in<\/a>/.exec(answer.body)?.[1];
      expect(new URL((back ?? '').replace(/&amp;/g, '&'), app.config.issuer).toString()).toBe(login.url);
    });

    it('refuses a disabled account, writing nothing', async () => {
      const { answer: first } = await federatedSignIn(new Browser(), app, client, upstream, 'acme', 'disabled-1');
      expect(first.status, first.body).toBe(303);
      const gone = await app.store.users.findByEmail('gone@example.com');
      await app.store.users.update(gone?.id ?? '', { disabled: true }, app.clock.now());
      const before = await footprint(app);
      const browser = new Browser();
      const { answer } = await federatedSignIn(browser, app, client, upstream, 'acme', 'disabled-1');
      expect(answer.status, answer.body).toBe(403);
      expect(answer.location).toBeNull();
      expect(sessionCookie(browser)).toBeUndefined();
      expect(await footprint(app)).toEqual(before);
    });
  });

  describe('an upstream email that is an existing account', () => {
    let ada: UserRecord;

    beforeAll(async () => {
      ada = await addUser(app, 'ada@example.com');
    });

    it('starts no session: the login page asks the owner to sign in once, after which the identity is theirs', async () => {
      const before = await footprint(app);
      const browser = new Browser();
      const { start, answer } = await federatedSignIn(browser, app, client, upstream, 'acme', 'claims-ada');
      expect(answer.status, answer.body).toBe(303);
      const loginUrl = new URL(answer.location ?? '');
      expect(loginUrl.pathname).toBe('/login');
      expect(loginUrl.searchParams.get('link')).toBe('acme');
      expect(sessionCookie(browser)).toBeUndefined();
      expect(await footprint(app)).toEqual(before);
      expect(await app.store.federatedIdentities.find('acme', 'claims-ada')).toBeNull();

      const login = await browser.get(loginUrl.toString());
      expect(login.status, login.body).toBe(200);
      expect(login.body).toContain('An account with this email address already exists. Sign in to it once to link your Acme &lt;Login&gt; account.');
      const wrong = await submitLogin(browser, login, 'ada@example.com', 'not the password at all');
      expect(wrong.status).toBe(401);
      expect(wrong.body).toContain('Sign in to it once to link your Acme &lt;Login&gt; account.');
      expect(await app.store.federatedIdentities.find('acme', 'claims-ada')).toBeNull();

      const claims = await idTokenOf(await submitLogin(browser, login, 'ada@example.com', PASSWORD), start);
      expect(claims).toMatchObject({ sub: ada.id, amr: ['pwd'] });
      expect(claims.idp).toBeUndefined();
      expect(await app.store.federatedIdentities.find('acme', 'claims-ada')).toMatchObject({ userId: ada.id });
      const [linked] = await app.store.audit.list({ filter: { type: 'identity.linked' }, limit: 1 });
      expect(linked).toMatchObject({ subject: ada.id, details: { provider: 'acme', via: 'proven' } });

      const again = await federatedSignIn(new Browser(), app, client, upstream, 'acme', 'claims-ada');
      expect(await idTokenOf(again.answer, again.start)).toMatchObject({ sub: ada.id, amr: ['fed'], idp: 'acme' });
    });

    it('links at once when the provider is authoritative for the domain and the email verified', async () => {
      const bob = await addUser(app, 'bob@corp.example', { name: 'Bob' });
      await app.store.users.update(bob.id, { emailVerified: true }, app.clock.now());
      const { start, answer } = await federatedSignIn(new Browser(), app, client, upstream, 'corp', 'corp-bob');
      expect(await idTokenOf(answer, start)).toMatchObject({ sub: bob.id, amr: ['fed'], idp: 'corp' });
      expect(await app.store.federatedIdentities.find('corp', 'corp-bob')).toMatchObject({ userId: bob.id });
    });

    it('never links the real owner to an account a stranger made first under that address (pre-hijacking)', async () => {
      // A provider that makes accounts for any address it does not verify: a stranger claims carol@corp.example.
      const squatted = await federatedSignIn(new Browser(), app, client, upstream, 'acme', 'squatter');
      expect(squatted.answer.status, squatted.answer.body).toBe(303);
      const account = await app.store.users.findByEmail('carol@corp.example');
      expect(account).toMatchObject({ emailVerified: false, hasPassword: false });
      // Carol's own, authoritative provider does not sign her in to that account: it asks for proof she cannot give.
      const before = await footprint(app);
      const browser = new Browser();
      const { answer } = await federatedSignIn(browser, app, client, upstream, 'corp', 'corp-carol');
      expect(answer.status, answer.body).toBe(303);
      expect(new URL(answer.location ?? '').searchParams.get('link')).toBe('corp');
      expect(sessionCookie(browser)).toBeUndefined();
      expect(await footprint(app)).toEqual(before);
      expect(await app.store.federatedIdentities.find('corp', 'corp-carol')).toBeNull();
    });
  });

  describe('second factors', () => {
    it("counts the upstream's mfa when the provider is trusted for it: an application requiring two factors answers at once", async () => {
      const { start, answer } = await federatedSignIn(new Browser(), app, strict, upstream, 'acme-mfa', 'mfa-1');
      const claims = await idTokenOf(answer, start, strict);
      expect(claims.amr).toEqual(['fed', 'mfa']);
      expect(claims.idp).toBe('acme-mfa');
    });

    it("asks for Gatehouse's own second factor when the provider is not trusted for it, whatever the upstream says", async () => {
      const browser = new Browser();
      const { answer } = await federatedSignIn(browser, app, strict, upstream, 'acme', 'mfa-2');
      expect(answer.status, answer.body).toBe(303);
      expect(new URL(answer.location ?? '').pathname).toBe('/login/second-factor');
      expect(sessionCookie(browser)).toBeUndefined();
      const step = await browser.get(answer.location ?? '');
      expect(step.status, step.body).toBe(200);
      expect(step.body).toContain('Set up two-step verification');
    });
  });

  describe('gatehouse_provider at the authorization endpoint', () => {
    it('sends the browser to that provider after storing the request; the upstream answer continues it', async () => {
      const browser = new Browser();
      const start = await authorizationUrl(client, { gatehouse_provider: 'acme' });
      const first = await browser.get(start.url.toString());
      expect(first.status).toBe(303);
      const startUrl = new URL(first.location ?? '');
      expect(startUrl.pathname).toBe('/federation/acme/start');
      expect(startUrl.searchParams.get('request')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      upstreamLocation(await browser.get(startUrl.toString()), upstream);
    });

    it('falls back to the login page for an unknown or disabled provider', async () => {
      for (const slug of ['nope', 'off', '../admin']) {
        const browser = new Browser();
        const first = await browser.get((await authorizationUrl(client, { gatehouse_provider: slug })).url.toString());
        expect(first.status).toBe(303);
        expect(new URL(first.location ?? '').pathname).toBe('/login');
      }
    });

    it('leaves single sign-on as it was: a signed-in browser gets its code without going upstream', async () => {
      const browser = new Browser();
      await federatedSignIn(browser, app, client, upstream, 'acme', 'jit-1');
      const start = await authorizationUrl(client, { gatehouse_provider: 'corp' });
      const answer = await browser.get(start.url.toString());
      expect(answer.status).toBe(303);
      expect(answer.location?.startsWith(client.redirectUri)).toBe(true);
      expect(new URL(answer.location ?? '').searchParams.get('code')).toBeTruthy();
    });
  });

  it('returns a sign-in to our own pages there, signed in', async () => {
    const browser = new Browser();
    const page = await browser.get(`${app.config.issuer}/login?return_to=%2Faccount`);
    const toUpstream = upstreamLocation(await browser.get(providerLink(page, 'acme') ?? ''), upstream);
    const answer = await browser.get((await completeUpstreamSignIn(toUpstream, 'jit-1')).toString());
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.config.issuer}/account`);
    expect(sessionCookie(browser)).toBeTruthy();
  });

  describe('with REQUIRE_MFA', () => {
    let mfaApp: RunningApp;
    let mfaUpstream: UpstreamOidc;
    let wiki: TestClient;

    beforeAll(async () => {
      mfaApp = await startApp({ env: { REQUIRE_MFA: 'true' } });
      mfaUpstream = await startUpstreamOidc({
        clients: [{ client_id: UPSTREAM_CLIENT_ID, client_secret: UPSTREAM_CLIENT_SECRET, redirect_uris: callbackUris(mfaApp, ['plain', 'trusted']) }],
        accounts: {
          'person-1': { email: 'person@example.com', email_verified: true, name: 'Person', amr: ['pwd', 'mfa'] },
          'person-2': { email: 'other@example.com', email_verified: true, name: 'Other', amr: ['pwd', 'mfa'] },
        },
      });
      wiki = await addClient(mfaApp, { name: 'Wiki' });
      await addOidcProvider(mfaApp, mfaUpstream, { slug: 'plain', jit: true });
      await addOidcProvider(mfaApp, mfaUpstream, { slug: 'trusted', jit: true, trustMfa: true });
    });

    afterAll(async () => {
      await mfaApp?.stop();
    });

    it("asks for Gatehouse's second factor after a provider not trusted for mfa, and not after one that is", async () => {
      const browser = new Browser();
      const plain = await federatedSignIn(browser, mfaApp, wiki, mfaUpstream, 'plain', 'person-1');
      expect(plain.answer.status, plain.answer.body).toBe(303);
      expect(new URL(plain.answer.location ?? '').pathname).toBe('/login/second-factor');
      expect(browser.cookie(new URL(mfaApp.config.issuer).origin, 'gatehouse_session')).toBeUndefined();

      const trusted = await federatedSignIn(new Browser(), mfaApp, wiki, mfaUpstream, 'trusted', 'person-2');
      expect(trusted.answer.status, trusted.answer.body).toBe(303);
      const code = new URL(trusted.answer.location ?? '').searchParams.get('code');
      expect(code, trusted.answer.location ?? '').toBeTruthy();
      expect(decodeJwt((await redeemRaw(mfaApp, wiki, code ?? '', trusted.start)).id_token ?? '')).toMatchObject({ amr: ['fed', 'mfa'], idp: 'trusted' });
    });
  });
});
