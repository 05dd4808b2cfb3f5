// Who may use an application (issue 21): an application restricted to groups admits their members only. An
// outsider, signing in or already signed in (single sign-on), is shown "You don't have access to <application>"
// (403) naming whom to ask, with a link back that returns error=access_denied with the state and our issuer
// (RFC 6749 §4.1.2.1, RFC 9207), read here by openid-client; prompt=none gets that redirect at once. A refused
// sign-in starts no session and is audited as signin.denied. Groups and rules are set with the store's methods.
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { randomId } from '../../src/auth/secrets.js';
import { newTotpSecret, totpCodeAt, totpSecretAad, totpStep } from '../../src/auth/totp.js';
import type { GroupRecord, UserRecord } from '../../src/store/records.js';
import { Browser, formAction, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, hasSession, open, redeem, submitLogin, type AuthorizationStart, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, signInToAccount } from './account-helpers.js';
import { b64u, passkeyFields, postJson, SoftKey } from './passkey-helpers.js';

const STEP_MS = 30_000;
const SERVER_CONTACT = 'the IT desk <it@example.com>';
const PAYROLL_CONTACT = 'Grace at payroll <grace@example.com>';

/** The text of a page as the person reads it: ejs escapes these five. */
function unescape(html: string): string {
  return html.replace(/&#39;/g, "'").replace(/&#34;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

describe('access rule (issue 21): an application restricted to groups admits their members only', () => {
  // On a TOTP step's boundary plus 5 s: a code computed now is still current when it is checked.
  const clock = new FakeClock(Math.floor(Date.now() / STEP_MS) * STEP_MS + 5_000);
  let app: RunningApp;
  let origin: string;
  let wiki: TestClient;
  let payroll: TestClient;
  let staff: GroupRecord;

  async function newGroup(name: string): Promise<GroupRecord> {
    return app.store.groups.create({ id: randomId(), name, description: '' }, clock.now());
  }

  async function restrict(client: TestClient, groups: GroupRecord[], accessContact: string | null = null): Promise<void> {
    expect(await app.store.clients.update(client.clientId, { accessPolicy: 'groups', accessGroups: groups.map((group) => group.id), accessContact }, clock.now())).not.toBeNull();
  }

  async function join(group: GroupRecord, user: UserRecord): Promise<void> {
    expect(await app.store.groups.addMember(group.id, user.id, clock.now())).toBe(true);
  }

  beforeAll(async () => {
    app = await startApp({ clock, env: { ACCESS_CONTACT: SERVER_CONTACT } });
    origin = new URL(app.url).origin;
    wiki = await addClient(app, { name: 'Wiki' });
    payroll = await addClient(app, { name: 'Payroll & <Pay>', redirectUris: ['https://payroll.example/cb'] });
    staff = await newGroup('payroll-staff');
    await restrict(payroll, [staff], PAYROLL_CONTACT);
  });
  afterAll(() => app?.stop());

  const sessionCookie = (browser: Browser) => browser.cookie(origin, 'gatehouse_session');
  const deniedEvents = async (user: UserRecord) => app.store.audit.list({ limit: 20, filter: { subject: user.id, type: 'signin.denied' } });

  /**
   * Asserts the refusal page for `client` and follows its link back as the application would receive it: openid-client
   * checks the state and our issuer, then reports access_denied. Returns the link.
   */
  async function expectDeniedPage(page: Page, client: TestClient, clientName: string, contact: string, start: AuthorizationStart, email: string): Promise<URL> {
    expect(page.status, page.body).toBe(403);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.location).toBeNull();
    expect(page.body).not.toContain('name="password"');
    const text = unescape(page.body);
    expect(text).toContain(`<h1>You don't have access to ${clientName}</h1>`);
    expect(text).toContain(`<title>You don't have access to ${clientName} · Gatehouse</title>`);
    expect(text).toContain(email);
    // Escaped as text, never markup.
    expect(page.body).not.toContain('<Pay>');
    expect(page.body).not.toContain('<it@example.com>');
    expect(page.body).not.toContain('<grace@example.com>');
    expect(unescape(/data-testid="access-contact">([^<]*)</.exec(page.body)?.[1] ?? '')).toBe(`To get access, ask ${contact}.`);
    const link = /<a class="button" href="([^"]*)" data-testid="access-back">([^<]*)<\/a>/.exec(page.body);
    expect(unescape(link?.[2] ?? '')).toBe(`Back to ${clientName}`);
    const back = new URL(unescape(link?.[1] ?? ''));
    expect(back.origin + back.pathname).toBe(client.redirectUri);
    expect(Object.fromEntries(back.searchParams)).toEqual({
      error: 'access_denied',
      error_description: 'the user is not allowed to use this application',
      state: start.state,
      iss: app.config.issuer,
    });
    const error: unknown = await redeem(client, back, start).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(oidc.AuthorizationResponseError);
    expect(error).toMatchObject({ error: 'access_denied' });
    return back;
  }

  it('refuses an outsider after the password with the page: no session, the request used up, signin.denied audited', async () => {
    const outsider = await newPerson(app, 'outsider');
    const browser = new Browser();
    const start = await authorizationUrl(payroll);
    const login = await open(browser, app, start.url);
    const answer = await submitLogin(browser, login, outsider.email);
    await expectDeniedPage(answer, payroll, 'Payroll & <Pay>', PAYROLL_CONTACT, start, outsider.email);
    expect(sessionCookie(browser)).toBeUndefined();
    expect(await app.store.sessions.listForUser(outsider.id, clock.now())).toEqual([]);
    const events = await app.store.audit.list({ limit: 5, filter: { subject: outsider.id } });
    expect(events.map((event) => event.type)).not.toContain('signin.succeeded');
    expect(events[0]).toMatchObject({ type: 'signin.denied', actor: outsider.id, subject: outsider.id, clientId: payroll.clientId, outcome: 'failure', details: { reason: 'access_rule' } });
    expect(events[0]?.details).toEqual({ reason: 'access_rule' });
    // The pending request was the refusal's: the same form gets nothing more, and writes nothing more.
    const replay = await submitLogin(browser, login, outsider.email);
    expect(replay.status).toBe(400);
    expect(replay.location).toBeNull();
    expect(await deniedEvents(outsider)).toHaveLength(1);
  });

  it('starts no session for the refused sign-in: another application then asks for the sign-in, while our own pages admit the person', async () => {
    const outsider = await newPerson(app, 'nosession');
    const browser = new Browser();
    const start = await authorizationUrl(payroll);
    expect((await submitLogin(browser, await open(browser, app, start.url), outsider.email)).status).toBe(403);
    const next = await open(browser, app, (await authorizationUrl(wiki)).url);
    expect(next.status).toBe(200);
    expect(next.url).toContain('/login?');
    expect(next.body).toContain('name="password"');
    expect(await hasSession(browser, app, wiki)).toBe(false);
    // The account page has no access rule: the same person signs in to it.
    const account = await signInToAccount(app, outsider.email, browser);
    expect(account.status, account.body).toBe(303);
    expect(account.location).toBe(`${app.url}/account`);
  });

  it('signs a member in, and refuses an outsider who already has a session (single sign-on) with the page, keeping the session', async () => {
    const member = await newPerson(app, 'member');
    await join(staff, member);
    const memberBrowser = new Browser();
    const memberStart = await authorizationUrl(payroll);
    const memberAnswer = await submitLogin(memberBrowser, await open(memberBrowser, app, memberStart.url), member.email);
    expect(memberAnswer.status, memberAnswer.body).toBe(303);
    const tokens = await redeem(payroll, new URL(memberAnswer.location ?? ''), memberStart);
    expect(tokens.claims()?.sub).toBe(member.id);
    // And again by single sign-on, without the form.
    const again = await authorizationUrl(payroll);
    const silent = await open(memberBrowser, app, again.url);
    expect(silent.status).toBe(303);
    expect((await redeem(payroll, new URL(silent.location ?? ''), again)).claims()?.sub).toBe(member.id);
    expect(await deniedEvents(member)).toEqual([]);

    const outsider = await newPerson(app, 'ssooutsider');
    const browser = new Browser();
    const wikiStart = await authorizationUrl(wiki);
    expect((await submitLogin(browser, await open(browser, app, wikiStart.url), outsider.email)).status).toBe(303);
    const session = sessionCookie(browser);
    expect(session).toBeDefined();
    const start = await authorizationUrl(payroll);
    const page = await open(browser, app, start.url);
    await expectDeniedPage(page, payroll, 'Payroll & <Pay>', PAYROLL_CONTACT, start, outsider.email);
    const [event] = await deniedEvents(outsider);
    expect(event).toMatchObject({ actor: outsider.id, clientId: payroll.clientId, outcome: 'failure', details: { reason: 'access_rule' } });
    // The session stays, for the applications the person may use.
    expect(sessionCookie(browser)).toBe(session);
    expect(await hasSession(browser, app, wiki)).toBe(true);
  });

  it('answers prompt=none for a signed-in outsider with access_denied at once, with the state and our issuer', async () => {
    const outsider = await newPerson(app, 'silent');
    const browser = new Browser();
    const wikiStart = await authorizationUrl(wiki);
    expect((await submitLogin(browser, await open(browser, app, wikiStart.url), outsider.email)).status).toBe(303);
    const start = await authorizationUrl(payroll, { prompt: 'none' });
    const answer = await open(browser, app, start.url);
    expect(answer.status).toBe(303);
    const callback = new URL(answer.location ?? '');
    expect(callback.origin + callback.pathname).toBe(payroll.redirectUri);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('state')).toBe(start.state);
    expect(callback.searchParams.get('iss')).toBe(app.config.issuer);
    expect(callback.searchParams.get('code')).toBeNull();
    const error: unknown = await redeem(payroll, callback, start).catch((thrown: unknown) => thrown);
    expect(error).toMatchObject({ error: 'access_denied' });
    expect(await deniedEvents(outsider)).toHaveLength(1);
    // Without a session, prompt=none is still login_required: nobody is known to refuse.
    const anonymous = new URL((await open(new Browser(), app, (await authorizationUrl(payroll, { prompt: 'none' })).url)).location ?? '');
    expect(anonymous.searchParams.get('error')).toBe('login_required');
  });

  it('refuses a person taken out of the group at the next single sign-on answer', async () => {
    const person = await newPerson(app, 'removed');
    await join(staff, person);
    const browser = new Browser();
    const first = await authorizationUrl(payroll);
    expect((await submitLogin(browser, await open(browser, app, first.url), person.email)).status).toBe(303);
    expect(await app.store.groups.removeMember(staff.id, person.id)).toBe(true);
    const start = await authorizationUrl(payroll);
    await expectDeniedPage(await open(browser, app, start.url), payroll, 'Payroll & <Pay>', PAYROLL_CONTACT, start, person.email);
  });

  it('refuses everyone once the rule names no group: none listed, or the only one deleted (fail closed)', async () => {
    const doomed = await newGroup('ledger-team');
    const ledger = await addClient(app, { name: 'Ledger', redirectUris: ['https://ledger.example/cb'] });
    await restrict(ledger, [doomed]);
    const person = await newPerson(app, 'ledger');
    await join(doomed, person);
    // A member of other groups too: none of them opens it.
    await join(staff, person);
    const signIn = async () => {
      const browser = new Browser();
      const start = await authorizationUrl(ledger);
      return { start, page: await submitLogin(browser, await open(browser, app, start.url), person.email) };
    };
    expect((await signIn()).page.status).toBe(303);
    expect(await app.store.groups.delete(doomed.id)).toBe(true);
    expect((await app.store.clients.findById(ledger.clientId))?.accessGroups).toEqual([]);
    // No contact of its own: the server's ACCESS_CONTACT.
    const deleted = await signIn();
    await expectDeniedPage(deleted.page, ledger, 'Ledger', SERVER_CONTACT, deleted.start, person.email);

    await restrict(ledger, []);
    const none = await signIn();
    await expectDeniedPage(none.page, ledger, 'Ledger', SERVER_CONTACT, none.start, person.email);
    expect(await deniedEvents(person)).toHaveLength(2);
  });

  it('asks for every factor before it refuses: an outsider with an authenticator types the code, then sees the page', async () => {
    const outsider = await newPerson(app, 'twofactor');
    const secret = newTotpSecret();
    const sealedSecret = (await openSecretBox(app.config)).seal(secret, totpSecretAad(outsider.id));
    expect(await app.store.totp.begin({ userId: outsider.id, sealedSecret, createdAt: clock.now() })).toBe(true);
    expect(await app.store.totp.confirm(outsider.id, totpStep(clock.now()) - 10, clock.now())).toBe(true);
    const browser = new Browser();
    const start = await authorizationUrl(payroll);
    const passed = await submitLogin(browser, await open(browser, app, start.url), outsider.email);
    expect(passed.status).toBe(303);
    expect(passed.location).toContain('/login/second-factor?');
    // The password alone tells nothing about the rule.
    expect(await deniedEvents(outsider)).toEqual([]);
    const step = await browser.get(passed.location ?? '');
    const answer = await browser.postForm(formAction(step.body, step.url), { ...formFields(step.body), code: totpCodeAt(secret, totpStep(clock.now())) });
    await expectDeniedPage(answer, payroll, 'Payroll & <Pay>', PAYROLL_CONTACT, start, outsider.email);
    expect(sessionCookie(browser)).toBeUndefined();
    expect(await deniedEvents(outsider)).toHaveLength(1);
  });

  it('refuses an outsider signing in with a passkey with the message the login page shows (JSON 403), and no session', async () => {
    const outsider = await newPerson(app, 'passkey');
    const key = new SoftKey(app.url, outsider.id);
    await app.store.passkeys.create({
      credentialId: key.id,
      userId: outsider.id,
      name: 'Key',
      publicKey: b64u(key.cose()),
      counter: 0,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: clock.now(),
    });
    const browser = new Browser();
    const start = await authorizationUrl(payroll);
    const fields = passkeyFields(await open(browser, app, start.url));
    const options = await postJson(browser, `${app.url}/login/passkey/options`, fields);
    expect(options.status).toBe(200);
    const answer = await postJson(browser, `${app.url}/login/passkey`, { ...fields, challengeId: options.json.challengeId, response: key.assertion(options.json.options.challenge) });
    expect({ status: answer.status, json: answer.json }).toEqual({
      status: 403,
      json: { error: 'access_denied', message: `You don't have access to Payroll & <Pay>. To get access, ask ${PAYROLL_CONTACT}.` },
    });
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(sessionCookie(browser)).toBeUndefined();
    expect(await deniedEvents(outsider)).toHaveLength(1);
    // The member's passkey sign-in goes on to the application.
    await join(staff, outsider);
    const memberStart = await authorizationUrl(payroll);
    const memberFields = passkeyFields(await open(browser, app, memberStart.url));
    const memberOptions = await postJson(browser, `${app.url}/login/passkey/options`, memberFields);
    const done = await postJson(browser, `${app.url}/login/passkey`, {
      ...memberFields,
      challengeId: memberOptions.json.challengeId,
      response: key.assertion(memberOptions.json.options.challenge),
    });
    expect(done.status, JSON.stringify(done.json)).toBe(200);
    expect(decodeJwt((await redeem(payroll, new URL(done.json.redirect as string), memberStart)).id_token ?? '').sub).toBe(outsider.id);
  });

  it('names "your administrator" when neither the application nor ACCESS_CONTACT names anyone', async () => {
    const bare = await startApp({ clock });
    try {
      const client = await addClient(bare, { name: 'Vault' });
      expect(await bare.store.clients.update(client.clientId, { accessPolicy: 'groups', accessGroups: [] }, clock.now())).not.toBeNull();
      const person = await newPerson(bare, 'bare');
      const browser = new Browser();
      const start = await authorizationUrl(client);
      const page = await submitLogin(browser, await open(browser, bare, start.url), person.email);
      expect(page.status).toBe(403);
      expect(/data-testid="access-contact">([^<]*)</.exec(page.body)?.[1]).toBe('To get access, ask your administrator.');
    } finally {
      await bare.stop();
    }
  });

  it('refuses an ACCESS_CONTACT with a control character or longer than 200 characters', async () => {
    await expect(startApp({ env: { ACCESS_CONTACT: 'the IT desk\u0007' } })).rejects.toThrow(/^ACCESS_CONTACT must not contain control characters/);
    await expect(startApp({ env: { ACCESS_CONTACT: 'x'.repeat(201) } })).rejects.toThrow(/^ACCESS_CONTACT must be at most 200 characters/);
    const longest = await startApp({ env: { ACCESS_CONTACT: 'é'.repeat(200) } });
    try {
      expect(longest.config.accessContact).toBe('é'.repeat(200));
    } finally {
      await longest.stop();
    }
  });
});
