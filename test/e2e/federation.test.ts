// Issue 23's "Done when", in headless Chromium: a person signs in to a relying application (express-openid-connect
// on a loopback address of its own) with the login page's button for an upstream OpenID Connect provider
// (oidc-provider on another loopback address, test/helpers/upstream-oidc.ts: its sign-in form, back through
// /federation/<slug>/callback), and, separately, with their directory password typed into our own form against a
// real OpenLDAP slapd (test/helpers/slapd.ts); neither has a Gatehouse password. The application's ID token says
// how: `amr` with `fed` (and the upstream's trusted `mfa`), `idp` naming the provider, and the Gatehouse groups the
// upstream's groups joined (groups_mode merge: existing groups only). `gatehouse_provider=<slug>` on the
// authorization request skips the login page. And the linking rule: an upstream account whose unverified email is
// that of an existing Gatehouse account signs nobody in; the login page asks for that account's own sign-in, which
// then makes the link. The providers are made with the `idp` tool, as an operator would (README's flags).
// Screenshots go to test/artifacts/federation-*.png.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/manage/clients.js';
import { createGroup } from '../../src/manage/groups.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { runIdpJson } from '../helpers/cli-store.js';
import { addUser, manage, PASSWORD } from '../helpers/oidc.js';
import { idpEnv } from '../helpers/processes.js';
import { reserve, startRelyingApp, type ClaimsPage, type RelyingApp } from '../helpers/relying-app.js';
import { startSlapd, type Slapd } from '../helpers/slapd.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { startUpstreamOidc, type UpstreamOidc } from '../helpers/upstream-oidc.js';

const ARTIFACTS = path.resolve('test/artifacts');
const UPSTREAM = 'upstream';
const UPSTREAM_NAME = 'Upstream Corp';
const UPSTREAM_SECRET = 'upstream-client-secret-for-gatehouse-0123456789';
const DIRECTORY = 'corp';
const DIRECTORY_NAME = 'Corporate directory';
/** A Gatehouse group, named in another case than the upstream's and the directory's `engineers`. */
const GROUP = 'Engineers';
const APPLICATION = 'Team wiki';
/** A Gatehouse account with a password, whose address an upstream account claims without having verified it. */
const GRACE = 'grace@example.com';

describe('signing in through an upstream provider and a directory, in a real browser', () => {
  let idp: RunningApp;
  let upstream: UpstreamOidc;
  let slapd: Slapd;
  let browser: Browser;
  let relying: RelyingApp;
  /** Every CSP refusal any of our pages reported. */
  const violations: string[] = [];
  /** axe (WCAG 2.2 AA) on each of our pages a test shows; a test fails on any violation. */
  let audit: AccessibilityAudit;

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `federation-${name}.png`), fullPage: true });
    await audit.check(page, name);
  }

  /** A fresh browser profile (no session anywhere) with its CSP refusals collected. */
  async function freshPage(): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return { context, page };
  }

  /** The application sends the browser to our login page. */
  async function openApplication(page: Page): Promise<void> {
    await page.goto(`${relying.baseUrl}/`);
    expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await expect.poll(() => page.textContent('main')).toContain(`to continue to ${APPLICATION}`);
  }

  /** The upstream's own sign-in form (its account field), which also grants the scopes asked for. */
  async function signInUpstream(page: Page, account: string): Promise<void> {
    await page.waitForURL((url) => url.origin === new URL(upstream.issuer).origin, { timeout: 10_000 });
    await page.getByLabel('Account').fill(account);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  async function claimsSeenBy(page: Page): Promise<ClaimsPage> {
    const answer = await page.goto(`${relying.baseUrl}/claims`);
    expect(answer?.status()).toBe(200);
    return (await answer?.json()) as ClaimsPage;
  }

  async function expectSignedInAtApplication(page: Page, email: string): Promise<ClaimsPage> {
    await page.waitForURL(`${relying.baseUrl}/`, { timeout: 15_000 });
    expect(await page.textContent('body')).toMatch(new RegExp(`^Hello ${email.replace(/\./g, '\\.')} \\(`));
    return claimsSeenBy(page);
  }

  /** A secret in a file of the app's temporary folder, as an operator keeps it out of the process list. */
  function secretFile(name: string, secret: string): string {
    const file = path.join(idp.dir, name);
    writeFileSync(file, `${secret}\n`, { mode: 0o600 });
    return file;
  }

  async function provider(args: string[]): Promise<Record<string, unknown>> {
    return runIdpJson<Record<string, unknown>>(['provider', 'create', ...args, '--json'], idpEnv(idp));
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('federation-')) rmSync(path.join(ARTIFACTS, file));
    idp = await startApp();
    const callback = `${idp.config.issuer}/federation/${UPSTREAM}/callback`;
    upstream = await startUpstreamOidc({
      clients: [{ client_id: 'gatehouse', client_secret: UPSTREAM_SECRET, redirect_uris: [callback] }],
      accounts: {
        // A verified address nobody has at Gatehouse; the upstream asserts a second factor and groups.
        'u-ada': { email: 'ada@upstream.example', email_verified: true, name: 'Ada Upstream', groups: ['engineers', 'not-a-gatehouse-group'], amr: ['pwd', 'mfa'] },
        // Someone who put Grace's address on their upstream profile without verifying it.
        'u-mallory': { email: GRACE, email_verified: false, name: 'Mallory' },
      },
    });
    slapd = await startSlapd();

    await createGroup(manage(idp), { name: GROUP });
    await addUser(idp, GRACE, { name: 'Grace Hopper' });
    // The operator's commands (README, "Signing in with other providers and directories").
    const made = await provider([
      ...['--slug', UPSTREAM, '--kind', 'oidc', '--name', UPSTREAM_NAME, '--issuer', upstream.issuer],
      ...['--client-id', 'gatehouse', '--client-secret-file', secretFile('upstream-secret.txt', UPSTREAM_SECRET)],
      ...['--scope', 'openid', '--scope', 'email', '--scope', 'profile', '--scope', 'groups', '--claim-groups', 'groups'],
      ...['--groups', 'merge', '--trust-mfa', '--jit'],
    ]);
    // Just-in-time accounts for any domain the upstream speaks for: allowed here (a test upstream), and said plainly.
    expect(made).toMatchObject({
      slug: UPSTREAM,
      kind: 'oidc',
      hasSecret: true,
      callbackUrl: callback,
      warnings: [`--jit with no --allowed-domain: anyone ${UPSTREAM_NAME} signs in gets an account here`],
    });
    expect(JSON.stringify(made)).not.toContain(UPSTREAM_SECRET);
    await provider([
      ...['--slug', DIRECTORY, '--kind', 'ldap', '--name', DIRECTORY_NAME, '--url', slapd.url, '--starttls', '--ca-file', slapd.caFile],
      ...['--bind-dn', slapd.serviceDn, '--bind-password-file', secretFile('bind-password.txt', slapd.servicePassword), '--user-base', slapd.userBase],
      ...['--user-filter', '(&(objectClass=inetOrgPerson)(mail={email}))', '--group-base', slapd.groupBase],
      ...['--groups', 'merge', '--jit'],
    ]);

    const reserved = await reserve('127.0.0.41');
    const { client, clientSecret } = await createClient(manage(idp), { name: APPLICATION, redirectUris: [`${reserved.baseUrl}/callback`] });
    relying = startRelyingApp(reserved, idp.config.issuer, client.clientId, clientSecret ?? '', { scope: 'openid email profile groups' });
    browser = await launchChromium();
  });

  beforeEach(() => {
    audit = new AccessibilityAudit(idp.config.issuer);
  });
  afterEach(() => audit.expectNone());

  afterAll(async () => {
    await browser?.close();
    await relying?.stop();
    await upstream?.stop();
    await slapd?.stop();
    await idp?.stop();
  });

  it('signs a person in with the button for an upstream OpenID Connect provider: a new account, fed and idp in the ID token, groups merged into existing ones', { timeout: 60_000 }, async () => {
    const { context, page } = await freshPage();
    await openApplication(page);
    const button = page.getByRole('link', { name: `Continue with ${UPSTREAM_NAME}` });
    await screenshot(page, '1-login-buttons');
    await button.click();
    await signInUpstream(page, 'u-ada');
    const claims = await expectSignedInAtApplication(page, 'ada@upstream.example');
    await screenshot(page, '2-signed-in-through-upstream');

    // The upstream's second factor counts (the provider is trusted for it), and no password was typed here.
    expect(claims.idToken.amr).toEqual(expect.arrayContaining(['fed', 'mfa']));
    expect(claims.idToken.amr).not.toContain('pwd');
    expect(claims.idToken.idp).toBe(UPSTREAM);
    // The upstream's `engineers` joined the Gatehouse group of that name; its other group made none.
    expect(claims.idToken.groups).toEqual([GROUP]);
    expect(claims.userinfo).toMatchObject({ status: 200, claims: { email: 'ada@upstream.example', groups: [GROUP] } });
    await expect(idp.store.groups.findByName('not-a-gatehouse-group')).resolves.toBeNull();

    // Made just in time, linked to the upstream's subject, with no Gatehouse password.
    const ada = await idp.store.users.findByEmail('ada@upstream.example');
    expect(ada).toMatchObject({ name: 'Ada Upstream', hasPassword: false, emailVerified: true });
    expect(await idp.store.federatedIdentities.find(UPSTREAM, 'u-ada')).toMatchObject({ userId: ada?.id });
    await context.close();
  });

  it('goes straight to the upstream when the application names it with gatehouse_provider', { timeout: 60_000 }, async () => {
    const { context, page } = await freshPage();
    const seenAtGatehouse: string[] = [];
    page.on('request', (request) => {
      if (request.url().startsWith(idp.config.issuer)) seenAtGatehouse.push(new URL(request.url()).pathname);
    });
    // The application's library adds the parameter to its authorization request: here, to the redirect its page
    // answers (a browser does not let a test rewrite a request it was redirected to, only the answer before it).
    await page.route(`${relying.baseUrl}/`, async (route) => {
      const response = await route.fetch({ maxRedirects: 0 });
      const location = new URL(response.headers().location ?? '');
      expect(location.href.startsWith(`${idp.config.issuer}/authorize?`)).toBe(true);
      location.searchParams.set('gatehouse_provider', UPSTREAM);
      await route.fulfill({ response, headers: { ...response.headers(), location: location.href } });
    });
    const signInsBefore = relying.signIns.length;
    await page.goto(`${relying.baseUrl}/`);
    await signInUpstream(page, 'u-ada');
    const claims = await expectSignedInAtApplication(page, 'ada@upstream.example');
    expect(seenAtGatehouse).not.toContain('/login');
    expect(claims.idToken.idp).toBe(UPSTREAM);
    expect(relying.signIns.length).toBe(signInsBefore + 1);
    // The same account as the first time: the link, not a second account.
    expect((await idp.store.federatedIdentities.find(UPSTREAM, 'u-ada'))?.userId).toBe(claims.idToken.sub);
    await context.close();
  });

  it('signs a directory person in with their directory password in our own form: no Gatehouse password, groups from the directory', { timeout: 60_000 }, async () => {
    const { alice, bob, carol } = slapd.users;
    const { context, page } = await freshPage();
    await openApplication(page);

    // A wrong directory password and a locked entry: the same failure as any wrong password, on our page.
    for (const [email, password] of [
      [bob.email, 'not bob’s directory password'],
      [carol.email, carol.password],
    ] as const) {
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect.poll(() => page.textContent('[role=alert].error-summary p:not(.error-summary-title)'), { timeout: 10_000 }).toBe('Incorrect email or password.');
      expect(page.url().startsWith(`${idp.config.issuer}/login`)).toBe(true);
      await audit.check(page, 'login page with a refused directory password');
    }
    expect(await idp.store.users.findByEmail(bob.email)).toBeNull();
    expect(await idp.store.users.findByEmail(carol.email)).toBeNull();

    await page.getByLabel('Email').fill(alice.email);
    await page.getByLabel('Password').fill(alice.password);
    await screenshot(page, '3-directory-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const claims = await expectSignedInAtApplication(page, alice.email);
    // A directory sign-in is a password sign-in, through that directory.
    expect(claims.idToken.amr).toEqual(['pwd']);
    expect(claims.idToken.idp).toBe(DIRECTORY);
    // engineers joined the Gatehouse group; admins has none here and made none.
    expect(claims.idToken.groups).toEqual([GROUP]);
    await expect(idp.store.groups.findByName('admins')).resolves.toBeNull();

    const account = await idp.store.users.findByEmail(alice.email);
    expect(account).toMatchObject({ name: 'Alice L.', hasPassword: false });
    expect(await idp.store.federatedIdentities.findForUser(account?.id ?? '', DIRECTORY)).not.toBeNull();
    await context.close();
  });

  it('does not sign anyone in as an existing account on an unverified upstream email; that account’s own sign-in makes the link', { timeout: 60_000 }, async () => {
    const grace = await idp.store.users.findByEmail(GRACE);
    const { context, page } = await freshPage();
    await openApplication(page);
    const signInsBefore = relying.signIns.length;
    await page.getByRole('link', { name: `Continue with ${UPSTREAM_NAME}` }).click();
    await signInUpstream(page, 'u-mallory');

    // Back on our login page, with the notice, and signed in nowhere.
    await page.waitForURL((url) => url.href.startsWith(`${idp.config.issuer}/login?`), { timeout: 10_000 });
    await expect.poll(() => page.textContent('main')).toContain('An account with this email address already exists');
    expect(await page.textContent('main')).toContain(UPSTREAM_NAME);
    await screenshot(page, '4-link-notice');
    expect(relying.signIns.length).toBe(signInsBefore);
    expect(await idp.store.federatedIdentities.find(UPSTREAM, 'u-mallory')).toBeNull();
    const account = await context.newPage();
    await account.goto(`${idp.config.issuer}/account`);
    expect(account.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await account.close();

    // Whoever holds Grace's password signs in to her account in this browser: the link is made then, and the
    // application gets a sign-in with her own factor.
    await page.getByLabel('Email').fill(GRACE);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const claims = await expectSignedInAtApplication(page, GRACE);
    expect(claims.idToken.sub).toBe(grace?.id);
    expect(claims.idToken.amr).toEqual(['pwd']);
    expect(await idp.store.federatedIdentities.find(UPSTREAM, 'u-mallory')).toMatchObject({ userId: grace?.id });
    await context.close();

    // From now on the upstream account alone signs in to that account.
    const again = await freshPage();
    await openApplication(again.page);
    await again.page.getByRole('link', { name: `Continue with ${UPSTREAM_NAME}` }).click();
    await signInUpstream(again.page, 'u-mallory');
    const linked = await expectSignedInAtApplication(again.page, GRACE);
    expect(linked.idToken.sub).toBe(grace?.id);
    expect(linked.idToken.idp).toBe(UPSTREAM);
    await again.context.close();
    expect(violations).toEqual([]);
  });
});
