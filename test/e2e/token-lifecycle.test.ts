// The whole token lifecycle, end to end, with people in headless Chromium and two relying applications built
// with express-openid-connect: sign-in and single sign-on, refreshes of short-lived access tokens, two scheduled
// key rotations the applications go through without a single failure, and a logout started in one application
// that reaches the other through the back channel.
//
// Which signatures are checked with a cached copy of our JWKS: express-openid-connect checks those of logout
// tokens (jose's remote key set, kept per application), not those of ID tokens from the token endpoint; the
// applications check those themselves, with the same verifier (test/helpers/relying-app.ts). That verifier
// downloads the key set again for an unknown kid only 30 s after its last download: a key that signed the moment
// it was published would fail there. Our userinfo checks every access token with our own published keys.
//
// Every wait is on a condition, polled in a loop bounded by a deadline. Screenshots of each step go to
// test/artifacts/. The scenario takes about 80 s, because KEY_PREPUBLISH cannot be shorter than JWKS_MAX_AGE +
// 60 s (src/config.ts) and a rotation is proved only by waiting for a scheduled key to activate.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/manage/clients.js';
import { rotateKey, type KeyContext, type Rotation } from '../../src/manage/keys.js';
import { openKeyStore } from '../../src/services.js';
import { keyPolicy } from '../../src/signing/key-schedule.js';
import type { UserRecord } from '../../src/store/records.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { reserve, startRelyingApp, type OutgoingRequest, type RelyingApp, type RelyingAppOptions, type TokensPage } from '../helpers/relying-app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const ADA = 'ada@example.com';
const GRACE = 'grace@example.com';
/** Short enough that the wiki refreshes every second or two. */
const ACCESS_TOKEN_TTL = 3;
const JWKS_MAX_AGE = 1;
/** The shortest the configuration allows: JWKS_MAX_AGE plus a 60 s margin. */
const KEY_PREPUBLISH = JWKS_MAX_AGE + 60;
/** Wiki refreshes between the two rotations: the second key then signs alone for several seconds. */
const REFRESHES_BETWEEN_ROTATIONS = 8;
const POLL_MS = 200;
const LOGOUT_STATE = 'back-to-the-wiki';

/** Calls `check` every POLL_MS until it returns a value, for at most `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt++) {
    const result = await check();
    if (result !== undefined) return result;
    if (Date.now() >= deadline) throw new Error(`${what}: still not after ${attempt} attempts in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

describe('the token lifecycle with a real browser and a real relying-party library', () => {
  let idp: RunningApp;
  let ada: UserRecord;
  let browser: Browser;
  let context: BrowserContext;
  /** Ada's browser, with one tab per application. */
  let wikiTab: Page;
  let crmTab: Page;
  let wiki: RelyingApp;
  let crm: RelyingApp;
  let jwksUri: string;
  const apps: RelyingApp[] = [];
  const violations: string[] = [];
  /** Every page Ada's CRM tab showed (a redirect shows nothing; a login form would be shown). */
  const crmPagesShown: string[] = [];

  async function registerApp(host: string, name: string, options: RelyingAppOptions): Promise<RelyingApp> {
    const reserved = await reserve(host);
    const ctx = { store: idp.store, clock: idp.clock, passwordMinLength: idp.config.passwordMinLength, actor: 'test', config: idp.config };
    const { client, clientSecret } = await createClient(ctx, {
      name,
      redirectUris: [`${reserved.baseUrl}/callback`],
      postLogoutRedirectUris: [`${reserved.baseUrl}/signed-out`],
      backchannelLogoutUri: `${reserved.baseUrl}/backchannel-logout`,
    });
    const app = startRelyingApp(reserved, idp.config.issuer, client.clientId, clientSecret ?? '', { backchannelLogout: true, ...options });
    apps.push(app);
    return app;
  }

  async function newContext(): Promise<BrowserContext> {
    const created = await browser.newContext();
    created.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return created;
  }

  /** What the operator's `idp keys rotate` does, through its own key store, as that separate process would. */
  function keyContext(): KeyContext {
    return {
      store: idp.store,
      clock: idp.clock,
      passwordMinLength: idp.config.passwordMinLength,
      actor: 'test',
      keys: openKeyStore(idp.config, idp.store),
      policy: keyPolicy(idp.config),
    };
  }

  async function published(kid: string): Promise<true | undefined> {
    const { keys } = (await (await fetch(jwksUri)).json()) as { keys: { kid: string }[] };
    return keys.some((key) => key.kid === kid) ? true : undefined;
  }

  /** How often the application's library, or its own code, downloaded our JWKS. */
  const jwksDownloads = (app: RelyingApp, by: OutgoingRequest['by']) => app.outgoing.filter((request) => request.by === by && request.url === jwksUri).length;

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `token-lifecycle-${name}.png`), fullPage: true });
  }

  async function signInWithTheForm(page: Page, app: RelyingApp, email: string, appName: string, shot?: string): Promise<void> {
    await page.goto(`${app.baseUrl}/`);
    expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await expect.poll(() => page.textContent('main')).toContain(`to continue to ${appName}`);
    await audit.check(page, `login page for ${appName}`);
    if (shot) await screenshot(page, shot);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${app.baseUrl}/`, { timeout: 10_000 });
  }

  /** Opens the application's /tokens page, which refreshes an expiring access token and asks our userinfo. */
  async function tokens(page: Page, app: RelyingApp): Promise<TokensPage> {
    const response = await page.goto(`${app.baseUrl}/tokens`);
    expect(page.url()).toBe(`${app.baseUrl}/tokens`);
    expect(response?.status(), await response?.text()).toBe(200);
    const shown = (await response?.json()) as TokensPage;
    // Whatever happened to the tokens, our userinfo knows the person by the access token the app holds now.
    expect(shown.userinfo).toEqual({ status: 200, sub: ada.id, email: ADA });
    return shown;
  }

  /** Refreshes on the wiki until its ID token is signed by `kid`; the tokens before must be signed by `before`. */
  async function wikiRefreshesUntilSignedBy(kid: string, before: string, timeoutMs: number): Promise<TokensPage> {
    return until(`the wiki's ID token signed by ${kid}`, timeoutMs, async () => {
      const shown = await tokens(wikiTab, wiki);
      if (shown.idTokenKid === kid) return shown;
      expect(shown.idTokenKid).toBe(before);
      return undefined;
    });
  }

  /** A new sign-in on the CRM: through our authorization endpoint, and back without any form. */
  async function crmSignsInAgain(): Promise<string | undefined> {
    const signIns = crm.signIns.length;
    const shownBefore = crmPagesShown.length;
    await crmTab.goto(`${crm.baseUrl}/login`);
    await crmTab.waitForURL(`${crm.baseUrl}/`, { timeout: 10_000 });
    expect(await crmTab.textContent('body')).toBe(`Hello ${ADA} (${ada.id})`);
    expect(crmPagesShown.slice(shownBefore).filter((url) => url.startsWith(idp.config.issuer))).toEqual([]);
    expect(crm.signIns).toHaveLength(signIns + 1);
    return crm.signIns.at(-1)?.idTokenKid;
  }

  beforeAll(async () => {
    // This run's screenshots only: a failed run then shows how far it got.
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('token-lifecycle-')) rmSync(path.join(ARTIFACTS, file));
    idp = await startApp({
      env: { ACCESS_TOKEN_TTL: String(ACCESS_TOKEN_TTL), JWKS_MAX_AGE: String(JWKS_MAX_AGE), KEY_PREPUBLISH: String(KEY_PREPUBLISH) },
    });
    ada = await addUser(idp, ADA);
    await addUser(idp, GRACE, { name: 'Grace Hopper' });
    const metadata = (await (await fetch(`${idp.config.issuer}/.well-known/openid-configuration`)).json()) as { jwks_uri: string };
    jwksUri = metadata.jwks_uri;
    wiki = await registerApp('127.0.0.2', 'Team wiki', {
      scope: 'openid email profile offline_access',
      idpLogout: true,
      logoutParams: { state: LOGOUT_STATE },
    });
    crm = await registerApp('127.0.0.3', 'CRM', {});
    // launch() gives every run a fresh, temporary user-data-dir of its own.
    browser = await launchChromium();
    context = await newContext();
    wikiTab = await context.newPage();
    crmTab = await context.newPage();
    crmTab.on('framenavigated', (frame) => {
      if (frame === crmTab.mainFrame()) crmPagesShown.push(frame.url());
    });
  });

  /** axe (WCAG 2.2 AA) on each of our pages a step shows; the step fails on any violation. */
  let audit: AccessibilityAudit;
  beforeEach(() => {
    audit = new AccessibilityAudit(idp.config.issuer);
  });
  afterEach(() => audit.expectNone());

  afterAll(async () => {
    await browser?.close();
    for (const app of apps.splice(0)) await app.stop();
    await idp?.stop();
  });

  it('1. signs in on the wiki through our login page', async () => {
    await signInWithTheForm(wikiTab, wiki, ADA, 'Team wiki', '1a-login-page');
    expect(await wikiTab.textContent('body')).toBe(`Hello ${ADA} (${ada.id})`);
    await screenshot(wikiTab, '1b-wiki-signed-in');
    expect(wiki.signIns).toHaveLength(1);
  });

  it('2. reaches the CRM without the form (single sign-on)', async () => {
    await crmTab.goto(`${crm.baseUrl}/`);
    await crmTab.waitForURL(`${crm.baseUrl}/`, { timeout: 10_000 });
    expect(await crmTab.textContent('body')).toBe(`Hello ${ADA} (${ada.id})`);
    expect(crmPagesShown.filter((url) => url.startsWith(idp.config.issuer))).toEqual([]);
    expect(crm.signIns).toHaveLength(1);
    await screenshot(crmTab, '2-crm-single-sign-on');
  });

  it('3. refreshes the expiring access token, again and again, and our userinfo still knows the person', async () => {
    const refreshed: TokensPage[] = [];
    // Each refresh waits for the access token to near its expiry: the loop polls until two have happened.
    await until('two refreshes on the wiki', 20_000, async () => {
      const shown = await tokens(wikiTab, wiki);
      if (shown.refreshed) refreshed.push(shown);
      return refreshed.length >= 2 ? refreshed : undefined;
    });
    expect(refreshed.map((shown) => shown.refreshes)).toEqual([1, 2]);
    expect(await wikiTab.textContent('body')).toContain(ADA);
    await screenshot(wikiTab, '3-wiki-after-refreshes');
    expect(wiki.errors).toEqual([]);
  });

  it('4. signs a second person in and out: both libraries check her logout token, and keep our key set', async () => {
    const graceContext = await newContext();
    const grace = await graceContext.newPage();
    await signInWithTheForm(grace, wiki, GRACE, 'Team wiki');
    await grace.goto(`${crm.baseUrl}/`);
    await grace.waitForURL(`${crm.baseUrl}/`, { timeout: 10_000 });
    expect(await grace.textContent('body')).toContain(GRACE);
    await grace.goto(`${wiki.baseUrl}/logout`);
    await grace.waitForURL(`${wiki.postLogoutRedirectUri}?state=${LOGOUT_STATE}`, { timeout: 10_000 });
    await until('both applications answering a logout token', 10_000, async () => (wiki.backchannelDeliveries.length > 0 && crm.backchannelDeliveries.length > 0 ? true : undefined));
    expect(wiki.backchannelDeliveries.map((delivery) => delivery.status)).toEqual([204]);
    expect(crm.backchannelDeliveries.map((delivery) => delivery.status)).toEqual([204]);
    expect(jwksDownloads(wiki, 'library')).toBe(1);
    expect(jwksDownloads(crm, 'library')).toBe(1);
    await screenshot(grace, '4-second-person-signed-out');
    await graceContext.close();

    // Only Grace is signed out.
    await crmTab.goto(`${crm.baseUrl}/`);
    expect(await crmTab.textContent('body')).toBe(`Hello ${ADA} (${ada.id})`);
  });

  it('5. goes through two scheduled key rotations without a single failure', { timeout: 180_000 }, async () => {
    const first = await tokens(wikiTab, wiki);
    const original = first.idTokenKid ?? '';
    expect(original).not.toBe('');
    // One download each, at the first sign-in: the verifiers keep the key set.
    expect(jwksDownloads(wiki, 'app')).toBe(1);
    expect(jwksDownloads(crm, 'app')).toBe(1);
    const keys = keyContext();

    // Rotation A: a key published now, signing after KEY_PREPUBLISH.
    const rotationA: Rotation = await rotateKey(keys, { immediately: false });
    const second = rotationA.key.key;
    expect(rotationA.immediate).toBe(false);
    expect(rotationA.previous?.kid).toBe(original);
    expect(rotationA.key.state).toBe('pending');
    expect(second.activatedAt - second.createdAt).toBe(KEY_PREPUBLISH * 1000);
    // The server follows changes another process makes to the keys (through the key directory with SQLite, by
    // re-reading the shared keys every KEY_REFRESH_INTERVAL with PostgreSQL): its JWKS lists the new key before
    // the key signs anything.
    await until('the second key in the JWKS', 5_000, () => published(second.kid));

    // The wiki keeps refreshing meanwhile, on the current key.
    const refreshesAtA = wiki.refreshes.length;
    await until(`${REFRESHES_BETWEEN_ROTATIONS} refreshes after the first rotation`, 30_000, async () => {
      expect((await tokens(wikiTab, wiki)).idTokenKid).toBe(original);
      return wiki.refreshes.length - refreshesAtA >= REFRESHES_BETWEEN_ROTATIONS ? true : undefined;
    });

    // Rotation B, while the second key is still pending: a third key, published now.
    const rotationB: Rotation = await rotateKey(keys, { immediately: false });
    const third = rotationB.key.key;
    expect(rotationB.immediate).toBe(false);
    expect(rotationB.key.state).toBe('pending');
    await until('the third key in the JWKS', 5_000, () => published(third.kid));
    expect(third.activatedAt - second.activatedAt).toBeGreaterThanOrEqual(5_000);
    await screenshot(wikiTab, '5a-wiki-refreshing-while-keys-are-prepublished');

    // The second key activates. The verifiers' copies of the key set predate it and are more than 30 s old, so
    // they download the JWKS again for its kid, and get the third key with it.
    const onSecond = await wikiRefreshesUntilSignedBy(second.kid, original, second.activatedAt - Date.now() + 20_000);
    expect(onSecond.refreshed).toBe(true);
    await screenshot(wikiTab, '5b-wiki-refreshed-on-the-second-key');
    expect(Date.now(), 'the second key signed alone too briefly for this step').toBeLessThan(third.activatedAt);
    expect(await crmSignsInAgain()).toBe(second.kid);
    await screenshot(crmTab, '5c-crm-signed-in-on-the-second-key');
    expect(jwksDownloads(wiki, 'app')).toBe(2);
    expect(jwksDownloads(crm, 'app')).toBe(2);

    // The third key activates a few seconds later, too soon for another download: the verifiers have it
    // already, because it was published before the download above.
    const onThird = await wikiRefreshesUntilSignedBy(third.kid, second.kid, third.activatedAt - Date.now() + 20_000);
    expect(onThird.refreshed).toBe(true);
    await screenshot(wikiTab, '5d-wiki-refreshed-on-the-third-key');
    expect(await crmSignsInAgain()).toBe(third.kid);
    await screenshot(crmTab, '5e-crm-signed-in-on-the-third-key');
    expect(jwksDownloads(wiki, 'app')).toBe(2);
    expect(jwksDownloads(crm, 'app')).toBe(2);

    // Every refresh and sign-in verified, on each key in turn, and nothing failed in either application.
    expect([...new Set(wiki.refreshes.map((refresh) => refresh.idTokenKid))]).toEqual([original, second.kid, third.kid]);
    // Ada's and Grace's first sign-ins, then Ada's two new ones.
    expect(crm.signIns.map((signIn) => signIn.idTokenKid)).toEqual([original, original, second.kid, third.kid]);
    expect(wiki.errors).toEqual([]);
    expect(crm.errors).toEqual([]);
  });

  it('6. signs out from the wiki, and the CRM learns it through the back channel', async () => {
    const crmDeliveries = crm.backchannelDeliveries.length;
    const wikiDeliveries = wiki.backchannelDeliveries.length;
    // The wiki's /logout sends the browser to our end-session endpoint with its ID token as a hint; we sign the
    // person out at once and send the browser back to the wiki's registered post-logout URI, with its state.
    await wikiTab.goto(`${wiki.baseUrl}/logout`);
    await wikiTab.waitForURL(`${wiki.postLogoutRedirectUri}?state=${LOGOUT_STATE}`, { timeout: 10_000 });
    expect(await wikiTab.textContent('body')).toBe(`Signed out (state ${LOGOUT_STATE})`);
    await screenshot(wikiTab, '6a-wiki-signed-out');

    // Both applications received tokens in the session, so both get a logout token, signed by the third key.
    // The libraries' copies of the key set, from Grace's logout, lack it: they download the JWKS again.
    await until('both applications answering a logout token', 10_000, async () =>
      crm.backchannelDeliveries.length > crmDeliveries && wiki.backchannelDeliveries.length > wikiDeliveries ? true : undefined,
    );
    const signingKid = crm.signIns.at(-1)?.idTokenKid;
    for (const [app, before] of [
      [crm, crmDeliveries],
      [wiki, wikiDeliveries],
    ] as const) {
      expect(app.backchannelDeliveries.slice(before).map(({ status, kid }) => ({ status, kid }))).toEqual([{ status: 204, kid: signingKid }]);
      expect(jwksDownloads(app, 'library')).toBe(2);
    }

    // The CRM's session cookie is still in the browser, but the CRM knows the person signed out: its next request
    // goes to sign in again, and we have no session either, so our login page shows.
    await crmTab.goto(`${crm.baseUrl}/`);
    expect(crmTab.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await expect.poll(() => crmTab.textContent('main')).toContain('to continue to CRM');
    await screenshot(crmTab, '6b-crm-asks-to-sign-in-again');

    await wikiTab.goto(`${wiki.baseUrl}/`);
    expect(wikiTab.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);

    expect(wiki.errors).toEqual([]);
    expect(crm.errors).toEqual([]);
    expect(violations).toEqual([]);
  });
});
