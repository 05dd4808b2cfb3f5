// Issue 21's "Done when", in headless Chromium: an administrator, from the admin screens alone, creates a group,
// puts a person in it (typing her email, picked from the autocomplete's datalist), registers an application
// restricted to that group with the groups claim released, and lists it on account pages (initiate_login_uri). The
// member then signs in to that application, a real express-openid-connect app on another origin configured with
// the client id and secret the page showed, and it receives `groups` in the ID token, the access token and at
// userinfo; her account page lists it under "Your applications" and its link signs her in again. Someone outside
// the group is shown "You don't have access to <application>", whose button takes him back to the application
// with error=access_denied; and once the administrator takes the member out of the group, her next sign-in is
// refused too. Only the administrator and the two people are made with helpers; every step under test is a page.
// Every page runs under our strict CSP with no violation. Screenshots go to test/artifacts/groups-*.png.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAdmin } from '../helpers/admin.js';
import { AccessibilityAudit } from '../helpers/axe.js';
import { launchChromium } from '../helpers/chromium.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { reserve, startRelyingApp, type ClaimsPage, type RelyingApp } from '../helpers/relying-app.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const ARTIFACTS = path.resolve('test/artifacts');
const ADMIN = 'root@example.com';
const GRACE = 'grace@example.com';
const ALAN = 'alan@example.com';
const GROUP = 'wiki-editors';
const APPLICATION = 'Team wiki';

describe('groups and access rules from the admin screens, in a real browser', () => {
  let idp: RunningApp;
  let browser: Browser;
  let relying: RelyingApp | undefined;
  /** Every CSP refusal any page of the test reported. */
  const violations: string[] = [];
  /** axe (WCAG 2.2 AA) on each of our pages the journey shows. */
  let audit: AccessibilityAudit;

  async function screenshot(page: Page, name: string): Promise<void> {
    await page.screenshot({ path: path.join(ARTIFACTS, `groups-${name}.png`), fullPage: true });
    await audit.check(page, name);
  }

  /** A page whose CSP refusals are collected: our pages must need no inline script or style. */
  async function watchedPage(context: BrowserContext): Promise<Page> {
    const page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
    });
    return page;
  }

  /** The login form of the page the application sent the browser to, filled in and sent as a person would. */
  async function signInAt(page: Page, email: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Someone in a browser of their own opens the application and signs in at our login page. */
  async function openApplication(email: string): Promise<{ context: BrowserContext; page: Page }> {
    if (!relying) throw new Error('the relying application is not running');
    const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await watchedPage(context);
    await page.goto(`${relying.baseUrl}/`);
    expect(page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await expect.poll(() => page.textContent('main')).toContain(`to continue to ${APPLICATION}`);
    await audit.check(page, 'login page');
    await signInAt(page, email);
    return { context, page };
  }

  /** What the application received for the person signed in, from its own /claims page. */
  async function claimsSeenBy(page: Page): Promise<ClaimsPage> {
    if (!relying) throw new Error('the relying application is not running');
    const answer = await page.goto(`${relying.baseUrl}/claims`);
    expect(answer?.status()).toBe(200);
    return (await answer?.json()) as ClaimsPage;
  }

  /** The refusal page, and the way back that tells the application access_denied with its state and our issuer. */
  async function expectRefusal(page: Page, email: string, screenshotName: string): Promise<void> {
    if (!relying) throw new Error('the relying application is not running');
    const signInsBefore = relying.signIns.length;
    // The body, not the h1: were the person let in, the application's page (which has no h1) would say so here.
    await expect.poll(() => page.textContent('body'), { timeout: 10_000 }).toContain(`You don't have access to ${APPLICATION}`);
    expect(await page.textContent('h1')).toBe(`You don't have access to ${APPLICATION}`);
    expect(page.url().startsWith(idp.config.issuer)).toBe(true);
    const main = (await page.textContent('main')) ?? '';
    expect(main).toContain(email);
    expect(main).toContain('To get access, ask your administrator.');
    await screenshot(page, screenshotName);
    await page.getByRole('link', { name: `Back to ${APPLICATION}` }).click();
    await page.waitForURL((url) => url.href.startsWith(relying?.redirectUri ?? '-'), { timeout: 10_000 });
    const back = new URL(page.url());
    expect(back.searchParams.get('error')).toBe('access_denied');
    expect(back.searchParams.get('state')).toBeTruthy();
    expect(back.searchParams.get('iss')).toBe(idp.config.issuer);
    // The application's library took it for the error it is (openid-client's message names no code): no sign-in.
    await expect.poll(() => relying?.errors.at(-1)).toBe('GET /callback: authorization response from the server is an error');
    expect(relying.signIns.length).toBe(signInsBefore);
  }

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    for (const file of readdirSync(ARTIFACTS)) if (file.startsWith('groups-')) rmSync(path.join(ARTIFACTS, file));
    idp = await startApp();
    await addAdmin(idp, ADMIN, 'Ada Admin');
    await addUser(idp, GRACE, { name: 'Grace Hopper' });
    await addUser(idp, ALAN, { name: 'Alan Turing' });
    browser = await launchChromium();
    audit = new AccessibilityAudit(idp.config.issuer);
  });

  afterAll(async () => {
    await browser?.close();
    await relying?.stop();
    await idp?.stop();
  });

  it('lets an administrator restrict an application to a group from the screens; members get in with their groups, others are refused', { timeout: 120_000 }, async () => {
    const reserved = await reserve('127.0.0.21');
    const admin = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await watchedPage(admin);
    const nav = page.getByRole('navigation', { name: 'Administration' });

    await page.goto(`${idp.config.issuer}/admin`);
    await signInAt(page, ADMIN);
    await page.waitForURL(`${idp.config.issuer}/admin`, { timeout: 10_000 });
    await audit.check(page, 'admin dashboard');

    // A group, from the Groups screen.
    await nav.getByRole('link', { name: 'Groups' }).click();
    await expect.poll(() => page.textContent('h1')).toBe('Groups');
    await audit.check(page, 'admin groups');
    await page.getByLabel('Name', { exact: true }).fill(GROUP);
    await page.getByLabel('Description (optional)').fill('Those who may edit the team wiki');
    await page.getByRole('button', { name: 'Create group' }).click();
    await expect.poll(() => page.textContent('h1'), { timeout: 10_000 }).toBe(GROUP);
    expect(await page.getByRole('status').textContent()).toContain('The group was created.');
    const groupPage = page.url().split('?')[0] ?? '';

    // Grace joins it: a few letters of her address bring it into the autocomplete's datalist, picked from there.
    const member = page.getByLabel('Their email');
    await member.fill('grace');
    const suggestions = page.locator('#member-suggestions option');
    await expect.poll(() => suggestions.evaluateAll((options) => options.map((option) => option.getAttribute('value'))), { timeout: 10_000 }).toEqual([GRACE]);
    await member.fill((await suggestions.first().getAttribute('value')) ?? '');
    // Out of the field before the button: the browser's suggestion popup, open under a focused field, covers the
    // button and would take the click.
    await member.blur();
    await screenshot(page, '1-add-member');
    await page.getByRole('button', { name: `Add to ${GROUP}` }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toContain('The person was added to the group.');
    expect(await page.getByRole('table').textContent()).toContain(GRACE);
    await nav.getByRole('link', { name: 'Groups' }).click();
    await expect.poll(() => page.getByRole('row', { name: new RegExp(`^${GROUP}\\b`) }).textContent()).toMatch(/Those who may edit the team wiki\s*1\b/);
    await screenshot(page, '2-groups');

    // An application open to the group's members only, which is told their groups.
    await nav.getByRole('link', { name: 'Clients' }).click();
    await page.getByRole('link', { name: 'Register a client' }).click();
    await page.getByLabel('Name', { exact: true }).fill(APPLICATION);
    await page.getByLabel('Redirect URIs', { exact: true }).fill(`${reserved.baseUrl}/callback`);
    await page.getByLabel('Only members of these groups').check();
    await page.getByLabel(/^Groups allowed/).fill(GROUP);
    await page.getByLabel('Only the groups allowed above and those listed below').check();
    await screenshot(page, '3-register-client');
    await page.getByRole('button', { name: 'Register' }).click();
    await expect.poll(() => page.textContent('main'), { timeout: 10_000 }).toContain('This secret is shown only now.');
    const clientId = await page.getByLabel('Client ID').inputValue();
    const clientSecret = await page.getByLabel('Client secret').inputValue();

    // Then listed on account pages: its sign-in starts at the application's /login (OIDC Core §4).
    await page.getByRole('link', { name: /go to the client/ }).click();
    await expect.poll(() => page.textContent('h1')).toBe(APPLICATION);
    const initiateLoginUri = `${reserved.baseUrl}/login`;
    await page.getByLabel(/^Initiate login URI/).fill(initiateLoginUri);
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toContain('The changes were saved.');
    const access = page.getByRole('region', { name: 'Access' }).first();
    expect(await access.textContent()).toMatch(new RegExp(`Who may use it\\s*members of ${GROUP}`));
    expect(await access.textContent()).toMatch(new RegExp(`Groups in tokens\\s*only ${GROUP}`));
    expect(await access.textContent()).toContain(initiateLoginUri);
    await screenshot(page, '4-client-access');

    // The group's page names the application that depends on it.
    await page.goto(groupPage);
    const uses = page.getByRole('region', { name: 'Applications that use this group' }).first();
    expect(await uses.textContent()).toContain(APPLICATION);
    expect(await uses.textContent()).toContain(clientId);
    await audit.check(page, 'admin group page');

    // Grace signs in to the application, which asks for the groups scope: her groups arrive in all three places.
    relying = startRelyingApp(reserved, idp.config.issuer, clientId, clientSecret, { scope: 'openid email groups' });
    const grace = await openApplication(GRACE);
    await grace.page.waitForURL(`${reserved.baseUrl}/`, { timeout: 10_000 });
    expect(await grace.page.textContent('body')).toMatch(new RegExp(`^Hello ${GRACE} \\(`));
    const claims = await claimsSeenBy(grace.page);
    expect(claims.idToken.groups).toEqual([GROUP]);
    expect(claims.accessToken.groups).toEqual([GROUP]);
    expect(claims.userinfo).toMatchObject({ status: 200, claims: { email: GRACE, groups: [GROUP] } });
    await screenshot(grace.page, '5-claims-received');

    // Her account page lists it under "Your applications"; its link starts a sign-in there, which single sign-on answers.
    await grace.page.goto(`${idp.config.issuer}/account`);
    const applications = grace.page.getByRole('region', { name: 'Your applications' }).first();
    const link = applications.getByRole('link', { name: APPLICATION });
    const href = new URL((await link.getAttribute('href')) ?? '');
    expect(`${href.origin}${href.pathname}`).toBe(initiateLoginUri);
    expect(Object.fromEntries(href.searchParams)).toEqual({ iss: idp.config.issuer, login_hint: GRACE });
    await screenshot(grace.page, '6-account-applications');
    const signInsBefore = relying.signIns.length;
    await link.click();
    await grace.page.waitForURL(`${reserved.baseUrl}/`, { timeout: 10_000 });
    expect(relying.signIns.length).toBe(signInsBefore + 1);
    expect(await grace.page.textContent('body')).toMatch(new RegExp(`^Hello ${GRACE} \\(`));
    await grace.context.close();

    // Alan is in no group: refused with the page, and sent back to the application with access_denied.
    const alan = await openApplication(ALAN);
    await expectRefusal(alan.page, ALAN, '7-access-denied');
    // The refused sign-in made no session: his account page asks him to sign in.
    await alan.page.goto(`${idp.config.issuer}/account`);
    expect(alan.page.url().startsWith(`${idp.config.issuer}/login?`)).toBe(true);
    await alan.context.close();

    // The administrator takes Grace out of the group; her next sign-in is refused.
    await page.goto(groupPage);
    await page.getByRole('button', { name: `Remove ${GRACE} from ${GROUP}` }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 10_000 }).toContain('The person was removed from the group.');
    expect(await page.textContent('main')).toContain('This group has no members yet.');
    await screenshot(page, '8-member-removed');
    const graceAgain = await openApplication(GRACE);
    await expectRefusal(graceAgain.page, GRACE, '9-former-member-refused');
    await graceAgain.context.close();

    // The audit log, on its screen, tells the story.
    await nav.getByRole('link', { name: 'Audit log' }).click();
    const log = (await page.textContent('main')) ?? '';
    for (const event of ['group.created', 'group.member_added', 'group.member_removed', 'signin.denied']) expect(log).toContain(event);
    await audit.check(page, 'admin audit log');
    expect(violations).toEqual([]);
    audit.expectNone();
    await admin.close();
  });
});
