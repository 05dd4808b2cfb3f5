// The account page's sessions and security events: the person sees where they are signed in, with the
// applications of each session by name, signs out one or all of them, and reads the recent security events of
// their own account and nobody else's.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.js';
import { addClient, authorizationUrl, open, type TestClient } from '../helpers/oidc.js';
import { refresh } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { lastEventId, newPerson, section, signedInPerson, signInTo, signInToAccount, personIn } from './account-helpers.js';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';

describe('account page: sessions', () => {
  let app: RunningApp;
  let wiki: TestClient;
  let crm: TestClient;

  beforeAll(async () => {
    app = await startApp();
    wiki = await addClient(app, { name: `Wiki ${XSS}`, redirectUris: ['https://wiki.example/cb'] });
    crm = await addClient(app, { name: 'CRM', redirectUris: ['https://crm.example/cb'] });
  });
  afterAll(() => app?.stop());

  /** The table row of the session `sid` on the page. */
  function rowOf(html: string, sid: string): string {
    const rows = html.match(/<tr>[\s\S]*?<\/tr>/g) ?? [];
    return rows.find((row) => row.includes(`name="sid" value="${sid}"`)) ?? '';
  }

  it('lists each session with its applications by name (escaped), its times, "this device" for the current one, and a Sign out button', async () => {
    const user = await newPerson(app, 'lister');
    const person = await signedInPerson(app, user);
    const here = await signInTo(app, wiki, person.browser, user);
    await signInTo(app, crm, person.browser, user);
    const phone = await signInTo(app, crm, new Browser(), user);

    const sessions = section(await person.page(), 'sessions-heading');
    expect(sessions).not.toContain(XSS);
    const current = rowOf(sessions, here.sid);
    expect(current).toContain('<span class="badge badge-info">this device</span>');
    expect(current).toContain(`<td>Wiki ${ESCAPED}, CRM</td>`);
    // Issue 25: in the page's language and the person's time zone (none saved, none sent by the browser: UTC, named).
    expect(current.match(/<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z">[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M UTC<\/time>/g)).toHaveLength(2);
    expect(current).toContain('<button type="submit" class="secondary">Sign out</button>');
    const other = rowOf(sessions, phone.sid);
    expect(other).toContain('<td>CRM</td>');
    expect(other).not.toContain('this device');
    // This device first.
    expect(sessions.indexOf(here.sid)).toBeLessThan(sessions.indexOf(phone.sid));
    expect(sessions).toContain('Sign out everywhere');
  });

  it('signs out another session: it ends, its tokens die but its offline access stays, this one stays', async () => {
    const user = await newPerson(app, 'one');
    const person = await signedInPerson(app, user);
    const otherBrowser = new Browser();
    const other = await signInTo(app, wiki, otherBrowser, user, 'openid');
    const offline = await signInTo(app, wiki, otherBrowser, user, 'openid offline_access');

    const answer = await person.post('/account/sessions/sign-out', { sid: other.sid });
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/account?done=signed-out`);
    expect(await app.store.sessions.findLiveBySid(other.sid, Date.now())).toBeNull();
    expect(await personIn(app, user, otherBrowser).signedIn()).toBe(false);
    expect((await refresh(app, wiki, other.refresh_token)).status).toBe(400);
    expect((await refresh(app, wiki, offline.refresh_token)).status).toBe(200);
    expect(await person.signedIn()).toBe(true);
    const [ended] = await app.store.audit.list({ limit: 1, filter: { subject: user.id, type: 'session.ended' } });
    expect(ended).toMatchObject({ actor: user.id, details: { sid: other.sid, reason: 'logout' } });
    expect((await person.page('?done=signed-out')).body).toContain('That session was signed out.');
  });

  it('answers 404 for a session of someone else or one that does not exist, and ends nothing', async () => {
    const user = await newPerson(app, 'nosy');
    const victim = await newPerson(app, 'victim');
    const person = await signedInPerson(app, user);
    const theirs = await signInTo(app, wiki, new Browser(), victim);
    const before = await lastEventId(app);

    for (const sid of [theirs.sid, 'no-such-session', '']) {
      const answer = await person.post('/account/sessions/sign-out', { sid });
      expect(answer.status, sid).toBe(404);
      expect(answer.body).not.toContain(victim.email);
    }
    expect(await app.store.sessions.findLiveBySid(theirs.sid, Date.now())).not.toBeNull();
    expect((await refresh(app, wiki, theirs.refresh_token)).status).toBe(200);
    expect(await lastEventId(app)).toBe(before);
  });

  it('signs out this device: the cookie is cleared and the browser goes to the login page for /account', async () => {
    const user = await newPerson(app, 'leaver');
    const person = await signedInPerson(app, user);
    const [session] = await app.store.sessions.listForUser(user.id, Date.now());
    const cookie = person.browser.cookie(new URL(app.url).origin, 'gatehouse_session') ?? '';

    const answer = await person.post('/account/sessions/sign-out', { sid: session?.sid ?? '' });
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
    expect(answer.headers.getSetCookie().some((line) => /^gatehouse_session=;.*Max-Age=0/i.test(line))).toBe(true);
    expect(await app.store.sessions.listForUser(user.id, Date.now())).toEqual([]);
    // Even the old cookie, kept by someone, opens nothing.
    const replay = new Browser();
    replay.setCookie(new URL(app.url).origin, 'gatehouse_session', cookie);
    expect((await replay.get(`${app.url}/account`)).status).toBe(303);
  });

  it('the header’s Sign out signs out this device', async () => {
    const user = await newPerson(app, 'header');
    const person = await signedInPerson(app, user);
    const page = await person.page();
    const header = /<header class="account-header">[\s\S]*?<\/header>/.exec(page.body)?.[0] ?? '';
    const fields = Object.fromEntries([...header.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((match) => [match[1], match[2]]));
    const answer = await person.browser.postForm(`${app.url}/account/sessions/sign-out`, fields as Record<string, string>);
    expect(answer.status).toBe(303);
    expect(await person.signedIn()).toBe(false);
  });

  it('signs out everywhere: every session ends, every token dies (offline access too), audited, and this browser is at the login page', async () => {
    const user = await newPerson(app, 'everywhere');
    const person = await signedInPerson(app, user);
    const here = await signInTo(app, wiki, person.browser, user, 'openid offline_access');
    const otherBrowser = new Browser();
    const there = await signInTo(app, crm, otherBrowser, user, 'openid offline_access');

    const answer = await person.post('/account/sessions/sign-out-all');
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/login?return_to=${encodeURIComponent('/account')}`);
    expect(await app.store.sessions.listForUser(user.id, Date.now())).toEqual([]);
    expect(await person.signedIn()).toBe(false);
    expect(await personIn(app, user, otherBrowser).signedIn()).toBe(false);
    expect((await refresh(app, wiki, here.refresh_token)).status).toBe(400);
    expect((await refresh(app, crm, there.refresh_token)).status).toBe(400);
    const [event] = await app.store.audit.list({ limit: 1, filter: { subject: user.id, type: 'account.signed_out_everywhere' } });
    expect(event).toMatchObject({ actor: user.id, ip: '127.0.0.1', details: { sessions: 2 } });
    // The other browser's next visit to an application asks for the password again.
    const again = await open(otherBrowser, app, (await authorizationUrl(crm)).url);
    expect(again.status).toBe(200);
    expect(again.body).toContain('<h1>Sign in</h1>');
  });
});

describe('account page: security events', () => {
  let app: RunningApp;
  let wiki: TestClient;

  beforeAll(async () => {
    app = await startApp();
    wiki = await addClient(app, { name: 'Team wiki', redirectUris: ['https://wiki.example/cb'] });
  });
  afterAll(() => app?.stop());

  /** The rows of the events table, each as [time, sentence, application, ip] text. */
  function eventRows(html: string): string[][] {
    const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
    return (body.match(/<tr>[\s\S]*?<\/tr>/g) ?? []).map((row) => [...row.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((cell) => (cell[1] ?? '').replace(/<[^>]+>/g, '').trim()));
  }

  it('shows the account’s own sign-ins, failures and changes as sentences, with time, application and address', async () => {
    const user = await newPerson(app, 'reader');
    expect((await signInToAccount(app, user.email, new Browser(), 'a wrong password here')).status).toBe(401);
    await signInTo(app, wiki, new Browser(), user);
    const person = await signedInPerson(app, user);

    const rows = eventRows(section(await person.page(), 'events-heading'));
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['Signed in', '', '127.0.0.1'],
      ['Signed in', 'Team wiki', '127.0.0.1'],
      ['failed Failed sign-in attempt', '', '127.0.0.1'],
      ['Account created', '', ''],
    ]);
    for (const row of rows) expect(row[0]).toMatch(/^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d\s[AP]M UTC$/);
  });

  it('never shows another person’s events, and hides an administrator’s address', async () => {
    const user = await newPerson(app, 'private');
    const other = await newPerson(app, 'other');
    await signInTo(app, wiki, new Browser(), other);
    expect((await signInToAccount(app, other.email, new Browser(), 'wrong wrong wrong')).status).toBe(401);
    await app.store.audit.append({ at: Date.now(), type: 'user.updated', actor: 'some-admin-id', subject: user.id, ip: '10.9.8.7', details: { fields: ['name'] } });
    await app.store.audit.append({ at: Date.now(), type: 'custom.thing', actor: user.id, subject: user.id, ip: '127.0.0.1', details: {} });
    const person = await signedInPerson(app, user);

    const events = section(await person.page(), 'events-heading');
    const rows = eventRows(events);
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['Signed in', '', '127.0.0.1'],
      ['custom.thing', '', '127.0.0.1'],
      ['Changed by an administrator', '', ''],
      ['Account created', '', ''],
    ]);
    expect(events).not.toContain('10.9.8.7');
    expect(events).not.toContain('Team wiki');
    expect(events).not.toContain(other.id);
  });

  it('shows at most the 20 newest events', async () => {
    const user = await newPerson(app, 'busy');
    for (let index = 0; index < 25; index++) {
      await app.store.audit.append({ at: Date.now(), type: 'email.verified', actor: user.id, subject: user.id, ip: '127.0.0.1', details: {} });
    }
    const person = await signedInPerson(app, user);
    const rows = eventRows(section(await person.page(), 'events-heading'));
    expect(rows).toHaveLength(20);
    expect(rows[0]?.[1]).toBe('Signed in');
  });
});
