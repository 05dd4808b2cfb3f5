// The consent page (issue 24, OIDC Core §3.1.2.4): a third party's application asks the person once for what it
// wants, in plain language, and gets a code only after Allow; Deny answers access_denied; the consent is remembered
// per person and application, a new scope asks for that scope only, prompt=none without it answers
// consent_required (§3.1.2.6), and offline_access is only ever granted to a third party with consent (§11). The
// organisation's own applications behave as before unless they send prompt=consent.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, open, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addThirdParty, auditTypes, authorize, callbackOf, consentOf, decide, isConsentPage, listed, pendingIsLive, tokensOf, unusedCodes } from './consent-helpers.js';
import { b64u, passkeyFields, postJson, SoftKey } from './passkey-helpers.js';

const ALL = { scope: 'openid email profile offline_access' };
const STAY = "Stay signed in to Gadget while you're away";

describe('consent: a third party’s application', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let gadget: TestClient;
  let people = 0;

  /** A person of their own per test: consents are per person and application. */
  const person = (): Promise<UserRecord> => addUser(app, `person${++people}@example.com`);

  beforeAll(async () => {
    app = await startApp({ clock });
    gadget = await addThirdParty(
      app,
      { name: 'Gadget', redirectUris: ['https://callback.gadget.example/cb'] },
      {
        clientUri: 'https://www.gadget.example/about',
        policyUri: 'https://www.gadget.example/privacy',
        tosUri: 'https://legal.gadget.example/terms',
        logoUri: 'https://cdn.gadget.example/logo.png',
      },
    );
  });
  afterAll(() => app.stop());

  it('after the sign-in, shows who asks and what for in plain language with Allow and Deny; the page is never cached or framed', async () => {
    const ada = await person();
    const { page } = await authorize(app, new Browser(), gadget, ALL, ada.email);
    expect(isConsentPage(page), page.body).toBe(true);
    expect(page.body).toContain('<h1>Allow Gadget to use your account?</h1>');
    expect(page.body).toContain('<button type="submit" name="decision" value="allow">Allow</button>');
    expect(page.body).toContain('<button type="submit" name="decision" value="deny" class="secondary">Deny</button>');
    expect(page.body).toContain('<strong data-testid="consent-home-host">www.gadget.example</strong>');
    expect(page.body).toContain('href="https://www.gadget.example/about"');
    expect(page.body).toContain('<strong data-testid="consent-return-host">callback.gadget.example</strong>');
    expect(page.body).toContain('href="https://www.gadget.example/privacy"');
    expect(page.body).toContain('href="https://legal.gadget.example/terms"');
    expect(page.body).toContain('<img class="consent-logo" src="https://cdn.gadget.example/logo.png"');
    expect(page.body).toMatch(/<strong>Gadget<\/strong> is not made by your organisation/);
    expect(page.body).toContain(`Signed in as <strong>${ada.email}</strong>`);
    expect(listed(page, 'consent-asks')).toEqual(['Know who you are', 'See your email address', 'See your name', STAY]);
    expect(page.body).not.toContain('data-testid="consent-allowed"');
    expect(page.body).not.toMatch(/<script|style=/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(csp).toMatch(/img-src 'self' data: https:\/\/cdn\.gadget\.example(;|$)/);
    expect(csp).toMatch(/form-action 'self' https:\/\/callback\.gadget\.example(;|$)/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    // Signed in, nothing granted yet: the request waits for the decision.
    expect(await auditTypes(app, ada.id)).toEqual(['signin.succeeded']);
    expect(await consentOf(app, ada.id, gadget)).toBeNull();
    expect(await pendingIsLive(app, page)).toBe(true);
  });

  it('Deny: access_denied with the state and our issuer, nothing granted', async () => {
    const ada = await person();
    const browser = new Browser();
    const { start, page } = await authorize(app, browser, gadget, ALL, ada.email);
    const params = callbackOf(gadget, await decide(browser, page, 'deny'));
    expect([params.get('error'), params.get('state'), params.get('iss'), params.get('code')]).toEqual(['access_denied', start.state, app.config.issuer, null]);
    expect(await consentOf(app, ada.id, gadget)).toBeNull();
    expect(await unusedCodes(app, ada.id, gadget)).toBe(0);
    expect(await auditTypes(app, ada.id)).toEqual(['consent.denied', 'signin.succeeded']);
  });
});

describe('consent: Allow, remembering, new scopes, prompt', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let gadget: TestClient;
  let wiki: TestClient;
  let people = 0;
  const person = (): Promise<UserRecord> => addUser(app, `someone${++people}@example.com`);

  beforeAll(async () => {
    app = await startApp({ clock });
    gadget = await addThirdParty(app, { name: 'Gadget', redirectUris: ['https://callback.gadget.example/cb'] });
    wiki = await addClient(app, { name: 'Team wiki', redirectUris: ['https://wiki.example/cb'] });
  });
  afterAll(() => app.stop());

  it('Allow: a code whose tokens carry every scope asked (offline_access: a refresh token), the consent stored and audited', async () => {
    const ada = await person();
    const browser = new Browser();
    const authorization = await authorize(app, browser, gadget, ALL, ada.email);
    const tokens = await tokensOf(app, gadget, authorization, await decide(browser, authorization.page, 'allow'));
    expect(tokens.scope?.split(' ').sort()).toEqual(['email', 'offline_access', 'openid', 'profile']);
    expect(tokens.refresh_token).toBeTruthy();
    expect(await consentOf(app, ada.id, gadget)).toMatchObject({ scopes: ['openid', 'email', 'profile', 'offline_access'], lastUsedAt: clock.now() });
    const [granted] = await app.store.audit.list({ limit: 1, filter: { type: 'consent.granted', subject: ada.id } });
    expect(granted).toMatchObject({
      actor: ada.id,
      clientId: gadget.clientId,
      details: { client_id: gadget.clientId, scopes: ['openid', 'email', 'profile', 'offline_access'], added: ['openid', 'email', 'profile', 'offline_access'] },
    });
  });

  it('a remembered consent skips the page: single sign-on in the same browser, and a fresh sign-in in another', async () => {
    const ada = await person();
    const browser = new Browser();
    const first = await authorize(app, browser, gadget, ALL, ada.email);
    await tokensOf(app, gadget, first, await decide(browser, first.page, 'allow'));
    clock.advance(60_000);
    await tokensOf(app, gadget, await authorize(app, browser, gadget, ALL));
    expect((await consentOf(app, ada.id, gadget))?.lastUsedAt).toBe(clock.now());
    await tokensOf(app, gadget, await authorize(app, new Browser(), gadget, { scope: 'openid email' }, ada.email));
  });

  it('a request for a new scope asks for that one only, lists what was allowed before apart, and Allow stores the union', async () => {
    const ada = await person();
    const browser = new Browser();
    const first = await authorize(app, browser, gadget, { scope: 'openid email' }, ada.email);
    expect(listed(first.page, 'consent-asks')).toEqual(['Know who you are', 'See your email address']);
    await tokensOf(app, gadget, first, await decide(browser, first.page, 'allow'));
    const more = await authorize(app, browser, gadget, { scope: 'openid email profile' });
    expect(isConsentPage(more.page), more.page.body).toBe(true);
    expect(listed(more.page, 'consent-asks')).toEqual(['See your name']);
    expect(listed(more.page, 'consent-allowed')).toEqual(['Know who you are', 'See your email address']);
    await tokensOf(app, gadget, more, await decide(browser, more.page, 'allow'));
    expect((await consentOf(app, ada.id, gadget))?.scopes).toEqual(['openid', 'email', 'profile']);
    const [granted] = await app.store.audit.list({ limit: 1, filter: { type: 'consent.granted', subject: ada.id } });
    expect(granted?.details).toMatchObject({ added: ['profile'] });
  });

  it('prompt=none: consent_required (with the state and our issuer) until the person allows it, then a code', async () => {
    const ada = await person();
    const browser = new Browser();
    // Signed in through the organisation's own application: a session, and no consent for Gadget.
    await tokensOf(app, wiki, await authorize(app, browser, wiki, {}, ada.email));
    const silent = await authorize(app, browser, gadget, { prompt: 'none' });
    const params = callbackOf(gadget, silent.page);
    expect([params.get('error'), params.get('state'), params.get('iss'), params.get('code')]).toEqual(['consent_required', silent.start.state, app.config.issuer, null]);
    const asked = await authorize(app, browser, gadget);
    expect(isConsentPage(asked.page), asked.page.body).toBe(true);
    await tokensOf(app, gadget, asked, await decide(browser, asked.page, 'allow'));
    await tokensOf(app, gadget, await authorize(app, browser, gadget, { prompt: 'none' }));
    expect(await auditTypes(app, ada.id)).not.toContain('consent.denied');
  });

  it('offline_access for a third party only with consent: asked for on its own, refused by Deny, granted by Allow', async () => {
    const ada = await person();
    const browser = new Browser();
    const first = await authorize(app, browser, gadget, { scope: 'openid email' }, ada.email);
    const plain = await tokensOf(app, gadget, first, await decide(browser, first.page, 'allow'));
    expect(plain.scope?.split(' ')).not.toContain('offline_access');
    expect(callbackOf(gadget, (await authorize(app, browser, gadget, { scope: 'openid email offline_access', prompt: 'none' })).page).get('error')).toBe('consent_required');
    const refused = await authorize(app, browser, gadget, { scope: 'openid email offline_access' });
    expect(listed(refused.page, 'consent-asks')).toEqual([STAY]);
    expect(callbackOf(gadget, await decide(browser, refused.page, 'deny')).get('error')).toBe('access_denied');
    expect((await consentOf(app, ada.id, gadget))?.scopes).toEqual(['openid', 'email']);
    const allowed = await authorize(app, browser, gadget, { scope: 'openid email offline_access' });
    const tokens = await tokensOf(app, gadget, allowed, await decide(browser, allowed.page, 'allow'));
    expect(tokens.scope?.split(' ')).toContain('offline_access');
    expect((await consentOf(app, ada.id, gadget))?.scopes).toEqual(['openid', 'email', 'offline_access']);
  });

  it('a first-party application without prompt=consent: no page, offline_access granted as before, nothing stored', async () => {
    const ada = await person();
    const tokens = await tokensOf(app, wiki, await authorize(app, new Browser(), wiki, ALL, ada.email));
    expect(tokens.scope?.split(' ')).toContain('offline_access');
    expect(tokens.refresh_token).toBeTruthy();
    expect(await consentOf(app, ada.id, wiki)).toBeNull();
  });

  it('prompt=consent asks a signed-in person of a first-party application for every scope, each time', async () => {
    const ada = await person();
    const browser = new Browser();
    await tokensOf(app, wiki, await authorize(app, browser, wiki, {}, ada.email));
    const asked = await authorize(app, browser, wiki, { ...ALL, prompt: 'consent' });
    expect(isConsentPage(asked.page), asked.page.body).toBe(true);
    expect(asked.page.body).not.toContain('data-testid="consent-third-party"');
    expect(listed(asked.page, 'consent-asks')).toEqual(['Know who you are', 'See your email address', 'See your name', "Stay signed in to Team wiki while you're away"]);
    await tokensOf(app, wiki, asked, await decide(browser, asked.page, 'allow'));
    expect((await consentOf(app, ada.id, wiki))?.scopes).toEqual(['openid', 'email', 'profile', 'offline_access']);
    // Asked again, for everything, although it was allowed: the application asked for the person's confirmation.
    const again = await authorize(app, browser, wiki, { prompt: 'consent' });
    expect(listed(again.page, 'consent-asks')).toEqual(['Know who you are', 'See your email address', 'See your name']);
    expect(again.page.body).not.toContain('data-testid="consent-allowed"');
    expect(callbackOf(wiki, await decide(browser, again.page, 'deny')).get('error')).toBe('access_denied');
    // Without prompt=consent, no page (and the consent is not read).
    await tokensOf(app, wiki, await authorize(app, browser, wiki));
  });

  it('prompt=consent survives the sign-in: a first-party application’s person sees the page after the login form', async () => {
    const ada = await person();
    const browser = new Browser();
    const fresh = await authorize(app, browser, wiki, { prompt: 'consent' }, ada.email);
    expect(isConsentPage(fresh.page), fresh.page.location ?? fresh.page.body).toBe(true);
    expect(listed(fresh.page, 'consent-asks')).toEqual(['Know who you are', 'See your email address', 'See your name']);
    await tokensOf(app, wiki, fresh, await decide(browser, fresh.page, 'allow'));
  });

  it('a passkey sign-in goes on to the consent page too (its script follows the JSON redirect)', async () => {
    const ada = await person();
    const key = new SoftKey(app.url, ada.id);
    await app.store.passkeys.create({
      credentialId: key.id,
      userId: ada.id,
      name: 'Key',
      publicKey: b64u(key.cose()),
      counter: 0,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: clock.now(),
    });
    const browser = new Browser();
    const start = await authorizationUrl(gadget);
    const login = await open(browser, app, start.url);
    expect(login.body).toContain('name="password"');
    const fields = passkeyFields(login);
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    const answer = await postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response: key.assertion(options.json.options.challenge) });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    expect(answer.json.redirect).toBe(`/consent?request=${encodeURIComponent(fields.request ?? '')}`);
    const page = await browser.get(`${app.url}${answer.json.redirect as string}`);
    expect(isConsentPage(page), page.body).toBe(true);
    await tokensOf(app, gadget, { start, page }, await decide(browser, page, 'allow'));
  });
});
