// The person's side of the device flow, /device (RFC 8628 §3.3, §5.4; issue 22): signed in only (an anonymous
// visitor signs in and comes back with the code), the code from a link only filled in, typed case- and
// dash-insensitively, then a page naming the application and what it asks for in plain language with Allow and Deny,
// its form bound to the browser and the session (CSRF, the authorization sealed): a decision posted without the
// token, with another browser's token or with another browser's form approves nothing. The application's rules
// apply: its group rule shows the "You don't have access" page, its second-factor rule sends a one-factor session to
// sign in again with the second factor. Every page is uncacheable and unframeable.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { hashSecret, randomId } from '../../src/auth/secrets.js';
import { newTotpSecret, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import type { ApiRecord, UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { addDeviceClient, approve, csrfOf, decide, enterCode, poll, signInAtDevice, startDevice, stored, type DeviceClient } from './device-helpers.js';

const STEP_MS = 30_000;

describe('the device page (/device)', () => {
  // On a TOTP step's boundary plus 5 s: a code computed now is still current when it is checked.
  const clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
  let app: RunningApp;
  let origin: string;
  let tv: DeviceClient;
  let ada: UserRecord;
  let orders: ApiRecord;

  /** The device page's audit events of a type. */
  const events = async (type: string) => (await app.store.audit.list({ limit: 100, filter: { type } })).filter((event) => event.type === type);

  beforeAll(async () => {
    app = await startApp({ clock });
    origin = new URL(app.url).origin;
    tv = await addDeviceClient(app, { name: 'Living-room <b>TV</b>' });
    ada = await addUser(app, 'ada@example.com', { name: 'Ada Lovelace' });
    orders = await app.store.apis.create(
      {
        id: randomId(),
        name: 'Orders API',
        identifier: 'https://orders.example/api',
        scopes: [{ name: 'orders:read', description: 'Read your orders' }],
        tokenLifetime: null,
        tokenFormat: 'jwt',
        accepts: 'both',
      },
      clock.now(),
    );
    await app.store.apis.setGrants(tv.record.clientId, [{ apiId: orders.id, role: 'request', scopes: null }]);
  });
  afterAll(() => app?.stop());

  it('sends an anonymous visitor to sign in and back, keeping the code of the link, which only fills in the form', async () => {
    const start = await startDevice(app, tv);
    const browser = new Browser();
    const first = await browser.get(start.verificationUriComplete);
    expect(first.status).toBe(303);
    expect(first.location).toBe(`${app.url}/login?return_to=${encodeURIComponent(`/device?user_code=${start.userCode}`)}`);
    const login = await browser.get(first.location ?? '');
    const back = await browser.postForm(formAction(login.body, login.url), { ...formFields(login.body), email: ada.email, password: PASSWORD });
    expect(back.status, back.body).toBe(303);
    expect(back.location).toBe(`${app.url}/device?user_code=${start.userCode}`);
    const page = await browser.get(back.location ?? '');
    expect(page.status).toBe(200);
    expect(page.body).toContain(`value="${start.userCode}"`);
    expect(page.body).toContain('autocomplete="off"');
    expect(page.body).toContain('autocapitalize="characters"');
    // Nothing was decided by following the link, signed in or not.
    expect((await stored(app, start)).status).toBe('pending');
    // Lower case, no dash: filled in as the device shows it. Not a code: not filled in.
    const compact = await browser.get(`${app.url}/device?user_code=${start.userCode.replace('-', '').toLowerCase()}`);
    expect(compact.body).toContain(`value="${start.userCode}"`);
    const junk = await browser.get(`${app.url}/device?user_code=${encodeURIComponent('"><script>')}`);
    expect(junk.body).toContain('value=""');
    expect(junk.body).not.toContain('<script>');
    // Never cached, never framed.
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('takes the code in any case, with or without the dash, and shows who asks for what in plain language with Allow and Deny', async () => {
    const browser = new Browser();
    await signInAtDevice(app, ada.email, browser);
    const start = await startDevice(app, tv, new URLSearchParams({ scope: 'openid profile email offline_access groups orders:read', resource: orders.identifier }));
    const typed = ` ${start.userCode.slice(0, 2).toLowerCase()} ${start.userCode.slice(2).replace('-', ' - ')} `;
    const page = await enterCode(app, browser, typed);
    expect(page.status, page.body).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    // The application's name as text, never markup.
    expect(page.body).toContain('Living-room &lt;b&gt;TV&lt;/b&gt;');
    expect(page.body).not.toContain('<b>TV</b>');
    expect(page.body).toContain(`data-testid="device-user-code">${start.userCode}<`);
    const asks = /<ul class="device-asks"[^>]*>([\s\S]*?)<\/ul>\s*<p class="muted">/.exec(page.body)?.[1] ?? '';
    const items = [...asks.matchAll(/<li>([^<]*)/g)].map((match) => match[1]?.trim());
    expect(items).toEqual([
      'Know who you are',
      'See your name',
      'See your email address',
      'Stay signed in to Living-room &lt;b&gt;TV&lt;/b&gt; while you&#39;re away',
      'See your groups',
      'Use',
      'Read your orders',
    ]);
    expect(asks).toContain('Use <strong>Orders API</strong> as you');
    expect(page.body).toMatch(/<button type="submit" name="decision" value="allow">Allow<\/button>/);
    expect(page.body).toMatch(/<button type="submit" name="decision" value="deny" class="secondary">Deny<\/button>/);
    expect(page.body).not.toMatch(/<script|style=/);
    // Showing the page decided nothing.
    expect((await stored(app, start)).status).toBe('pending');
    const done = await decide(app, browser, page, 'allow');
    expect(done.status).toBe(200);
    const record = await stored(app, start);
    const session = (await app.store.sessions.listForUser(ada.id, clock.now())).find((live) => live.sid === record.sid);
    expect(record).toMatchObject({ status: 'approved', userId: ada.id, amr: ['pwd'], sessionIdHash: session?.idHash, authTime: session?.authTime });
    const approved = await events('device.approved');
    expect(approved.at(-1)).toMatchObject({ actor: ada.id, subject: ada.id, clientId: tv.record.clientId, details: { scope: record.scope, resources: [orders.identifier] } });
  });

  it('refuses a wrong code (400, its error linked to the field) and an already decided one', async () => {
    const browser = new Browser();
    await signInAtDevice(app, ada.email, browser);
    const wrong = await enterCode(app, browser, 'BCDF-GHJK');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toContain('id="user-code-error"');
    expect(wrong.body).toMatch(/aria-describedby="user-code-hint user-code-error"/);
    expect(wrong.body).toContain('aria-invalid="true"');

    const start = await startDevice(app, tv);
    const approval = await enterCode(app, browser, start.userCode);
    await approve(app, browser, start.userCode, 'deny');
    // The first approval page is now stale: its decision finds nothing pending.
    const late = await decide(app, browser, approval, 'allow');
    expect(late.status).toBe(400);
    expect(late.body).toContain('That code has expired or has already been used');
    expect((await stored(app, start)).status).toBe('denied');
    expect(await events('device.denied')).toHaveLength(1);
    // And typing it again finds nothing either.
    expect((await enterCode(app, browser, start.userCode)).status).toBe(400);
  });

  it('refuses a decision without the CSRF token, with another browser’s token, or with another browser’s form: nothing is approved', async () => {
    const start = await startDevice(app, tv);
    const mine = new Browser();
    await signInAtDevice(app, ada.email, mine);
    const myPage = await enterCode(app, mine, start.userCode);
    const theirs = new Browser();
    await signInAtDevice(app, ada.email, theirs);
    const theirPage = await enterCode(app, theirs, start.userCode);
    expect([myPage.status, theirPage.status]).toEqual([200, 200]);
    const my = formFields(myPage.body);
    const their = formFields(theirPage.body);

    const attempts: Record<string, string>[] = [
      { request: my.request ?? '', decision: 'allow' },
      { csrf: '', request: my.request ?? '', decision: 'allow' },
      { csrf: their.csrf ?? '', request: my.request ?? '', decision: 'allow' },
      { csrf: my.csrf ?? '', request: their.request ?? '', decision: 'allow' },
      { csrf: their.csrf ?? '', request: their.request ?? '', decision: 'allow' },
      { csrf: my.csrf ?? '', request: 'v1.made.up.value', decision: 'allow' },
    ];
    for (const fields of attempts) {
      const answer = await mine.postForm(`${app.url}/device/decision`, fields);
      expect(answer.status, JSON.stringify(fields)).toBe(403);
    }
    // A form posted by a browser that is not signed in is not taken either: it is sent to sign in.
    const anonymous = await new Browser().postForm(`${app.url}/device/decision`, { csrf: my.csrf ?? '', request: my.request ?? '', decision: 'allow' });
    expect(anonymous.status).toBe(303);
    expect(anonymous.location).toContain('/login?return_to=');
    expect((await stored(app, start)).status).toBe('pending');
    // The code-entry form has the same protection.
    const noToken = await mine.postForm(`${app.url}/device`, { user_code: start.userCode });
    expect(noToken.status).toBe(403);
    // Each browser's own form works.
    expect((await decide(app, theirs, theirPage, 'allow')).status).toBe(200);
    expect((await stored(app, start)).status).toBe('approved');
  });

  it('shows a person whom the application’s group rule refuses the access-denied page, and approves nothing', async () => {
    const members = await app.store.groups.create({ id: randomId(), name: 'tv-members', description: '' }, clock.now());
    const family = await addDeviceClient(app, { name: 'Family TV', accessPolicy: 'groups', accessGroups: [members.id], accessContact: 'the family admin' });
    const outsider = await addUser(app, 'outsider@example.com', { name: 'Out Sider' });
    const browser = new Browser();
    await signInAtDevice(app, outsider.email, browser);
    const start = await startDevice(app, family);
    const refused = await enterCode(app, browser, start.userCode);
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('You don&#39;t have access to Family TV');
    expect(refused.body).toContain('To get access, ask the family admin.');
    expect(refused.body).not.toContain('name="decision"');
    expect((await stored(app, start)).status).toBe('pending');
    expect((await events('signin.denied')).at(-1)).toMatchObject({ subject: outsider.id, clientId: family.record.clientId });

    // A member goes on to the approval page; a member removed between the pages is refused at the decision.
    await app.store.groups.addMember(members.id, outsider.id, clock.now());
    const approval = await enterCode(app, browser, start.userCode);
    expect(approval.status).toBe(200);
    await app.store.groups.removeMember(members.id, outsider.id);
    const late = await decide(app, browser, approval, 'allow');
    expect(late.status).toBe(403);
    expect(late.body).toContain('You don&#39;t have access to Family TV');
    expect((await stored(app, start)).status).toBe('pending');
  });

  it('sends a session without the second factor the application requires to sign in again with it, then approves with mfa in amr', async () => {
    const bank = await addDeviceClient(app, { name: 'Bank terminal', requireMfa: true });
    const person = await addUser(app, 'grace@example.com', { name: 'Grace Hopper' });
    const browser = new Browser();
    await signInAtDevice(app, person.email, browser);
    const start = await startDevice(app, bank);

    // No second factor at all: told to set one up on the account page first.
    const noFactor = await enterCode(app, browser, start.userCode);
    expect(noFactor.status).toBe(403);
    expect(noFactor.body).toContain('Two-step verification needed');
    expect(noFactor.body).toContain(`href="/account/two-factor"`);
    expect(noFactor.body).not.toContain('sign-in-again');

    // With an authenticator (set up after this session began), the session still has one factor: sign in again.
    const secret = newTotpSecret();
    const sealedSecret = (await openSecretBox(app.config)).seal(secret, totpSecretAad(person.id));
    await app.store.totp.begin({ userId: person.id, sealedSecret, createdAt: clock.now() });
    await app.store.totp.confirm(person.id, totpStep(clock.now()) - 10, clock.now());
    const stepUp = await enterCode(app, browser, start.userCode);
    expect(stepUp.status).toBe(403);
    expect(stepUp.body).toContain('authenticator app');
    expect((await stored(app, start)).status).toBe('pending');
    const oldSession = browser.cookie(origin, 'gatehouse_session') ?? '';
    const again = await browser.postForm(formAction(stepUp.body, stepUp.url), formFields(stepUp.body));
    expect(again.status).toBe(303);
    expect(again.location).toBe(`${app.url}/login?return_to=${encodeURIComponent(`/device?user_code=${start.userCode}`)}`);
    expect(await app.store.sessions.findLive(hashSecret(oldSession), clock.now())).toBeNull();

    const login = await browser.get(again.location ?? '');
    expect(login.status).toBe(200);
    const passed = await browser.postForm(formAction(login.body, login.url), { ...formFields(login.body), email: person.email, password: PASSWORD });
    expect(passed.location).toContain('/login/second-factor?');
    const factor = await browser.get(passed.location ?? '');
    const back = await browser.postForm(formAction(factor.body, factor.url), { ...formFields(factor.body), code: totpCodeAt(secret, totpStep(clock.now())) });
    expect(back.status, back.body).toBe(303);
    expect(back.location).toBe(`${app.url}/device?user_code=${start.userCode}`);
    const form: Page = await browser.get(back.location ?? '');
    const approval = await browser.postForm(`${app.url}/device`, { csrf: csrfOf(form), user_code: formFields(form.body).user_code ?? '' });
    expect(approval.status, approval.body).toBe(200);
    expect((await decide(app, browser, approval, 'allow')).status).toBe(200);
    expect((await stored(app, start)).amr).toEqual(['pwd', 'otp', 'mfa']);
    const tokens = await poll(app, bank, start.deviceCode);
    expect(tokens.status).toBe(200);
    expect(decodeJwt(tokens.json.id_token as string).amr).toEqual(['pwd', 'otp', 'mfa']);
  });
});
