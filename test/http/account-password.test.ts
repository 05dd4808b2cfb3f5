// Changing one's own password on the account page: the current password first (throttled like a sign-in), the
// new one through the policy (NIST SP 800-63B §3.1.1.2) and typed twice; a new password signs every other
// session out (OWASP ASVS V3.3.3) and the account's address hears of it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2Verifications } from '../../src/auth/password-hash.js';
import { Browser } from '../helpers/browser.js';
import { addClient, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { refresh } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson, section, signedInPerson, signInTo, signInToAccount, personIn } from './account-helpers.js';

const NEW_PASSWORD = 'a brand new passphrase, long enough';

describe('account page: changing the password', () => {
  let app: RunningApp;
  let wiki: TestClient;

  beforeAll(async () => {
    app = await startApp();
    wiki = await addClient(app, { name: 'Wiki', redirectUris: ['https://wiki.example/cb'] });
  });
  afterAll(() => app?.stop());

  const change = (current: string, next = NEW_PASSWORD, confirm = next) => ({ current_password: current, new_password: next, confirm_password: confirm });

  it('changes the password: only the new one signs in, other sessions and their tokens end, this one stays, and a notice is mailed', async () => {
    const user = await newPerson(app, 'changer');
    const person = await signedInPerson(app, user);
    const elsewhere = await signedInPerson(app, user);
    const appSession = await signInTo(app, wiki, new Browser(), user, 'openid offline_access');
    const hashBefore = (await app.store.users.findById(user.id))?.passwordHash;

    const answer = await person.post('/account/password', change(PASSWORD));
    expect(answer.status, answer.body).toBe(303);
    expect(answer.location).toBe(`${app.url}/account?done=password-changed`);
    expect((await app.store.users.findById(user.id))?.passwordHash).not.toBe(hashBefore);

    expect(await person.signedIn()).toBe(true);
    expect(await elsewhere.signedIn()).toBe(false);
    expect(await app.store.sessions.findLiveBySid(appSession.sid, Date.now())).toBeNull();
    // Every token of the other sessions goes, offline access included: whoever held the old password is out.
    expect((await refresh(app, wiki, appSession.refresh_token)).status).toBe(400);
    expect(await app.store.sessions.listForUser(user.id, Date.now())).toHaveLength(1);

    const events = await app.store.audit.list({ limit: 10, filter: { subject: user.id } });
    expect(events.find((event) => event.type === 'account.password_changed')).toMatchObject({ actor: user.id, ip: '127.0.0.1', details: { sessions_ended: 2 } });
    expect(events.filter((event) => event.type === 'session.ended').map((event) => event.details.reason)).toEqual(['password_set', 'password_set']);
    const page = await person.page('?done=password-changed');
    expect(page.body).toContain('Your password was changed, and your other sessions were signed out.');
    expect(section(page, 'events-heading')).toContain('Password changed');
    expect(section(page, 'events-heading')).toContain('Signed out after a password change');

    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /was changed/ });
    expect(mail.text).toContain('127.0.0.1');
    expect(mail.text).not.toContain(NEW_PASSWORD);

    expect((await signInToAccount(app, user.email, new Browser(), PASSWORD)).status).toBe(401);
    const withNew = await signInToAccount(app, user.email, new Browser(), NEW_PASSWORD);
    expect(withNew.status).toBe(303);
    expect(withNew.location).toBe(`${app.url}/account`);
  });

  it("revokes offline grants whose session had already ended, and the tokens of this browser's applications too", async () => {
    const user = await newPerson(app, 'offline');
    const person = await signedInPerson(app, user);
    // Signed in to the wiki with offline access, then logged out there: the refresh token outlives the session.
    const offline = await signInTo(app, wiki, new Browser(), user, 'openid offline_access');
    const ended = await app.store.sessions.findLiveBySid(offline.sid, Date.now());
    await app.sessionEnd.end(ended!, { reason: 'logout', actor: user.id, keepOffline: true });
    const stillWorks = await refresh(app, wiki, offline.refresh_token);
    expect(stillWorks.status, JSON.stringify(stillWorks.json)).toBe(200);

    expect((await person.post('/account/password', change(PASSWORD))).status).toBe(303);
    expect((await refresh(app, wiki, stillWorks.json.refresh_token ?? '')).json.error).toBe('invalid_grant');
    expect(await person.signedIn()).toBe(true);
  });

  it('refuses a wrong current password (400) and changes nothing', async () => {
    const user = await newPerson(app, 'wrong');
    const person = await signedInPerson(app, user);
    const elsewhere = await signedInPerson(app, user);
    const answer = await person.post('/account/password', change('this is not it'));
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('<p class="field-error" id="password-current-password-error">That is not your current password.</p>');
    expect(answer.body).not.toContain('this is not it');
    expect(answer.body).not.toContain(NEW_PASSWORD);
    expect(await elsewhere.signedIn()).toBe(true);
    expect((await signInToAccount(app, user.email, new Browser(), PASSWORD)).status).toBe(303);
  });

  it('shows a policy failure and a mismatch next to their fields, without checking the current password', async () => {
    const user = await newPerson(app, 'policy');
    const person = await signedInPerson(app, user);
    const argon = argon2Verifications();

    const tooShort = await person.post('/account/password', change(PASSWORD, 'short'));
    expect(tooShort.status).toBe(400);
    expect(tooShort.body).toContain(`<p class="field-error" id="new-password-error">The password must be at least ${app.config.passwordMinLength} characters long.</p>`);
    const common = await person.post('/account/password', change(PASSWORD, '123456789987654321'));
    expect(common.body).toContain('<p class="field-error" id="new-password-error">The password is a sequence like 1234 or abcd.</p>');
    const derived = await person.post('/account/password', change(PASSWORD, `${user.email.split('@')[0]}-secret!`));
    expect(derived.body).toContain('The password must not contain the name part of the email address.');

    const mismatch = await person.post('/account/password', change(PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`));
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('<p class="field-error" id="confirm-password-error">The two new passwords are not the same.</p>');
    expect(mismatch.body).not.toContain('id="new-password-error"');
    expect(mismatch.body).not.toContain(NEW_PASSWORD);

    const empty = await person.post('/account/password', change('', NEW_PASSWORD));
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('<p class="field-error" id="password-current-password-error">Enter your current password.</p>');

    expect(argon2Verifications()).toBe(argon);
    expect((await signInToAccount(app, user.email, new Browser(), PASSWORD)).status).toBe(303);
  });

  it('throttles the current password like a sign-in: after five wrong ones the right one is refused with 429', async () => {
    const user = await newPerson(app, 'throttled');
    const person = await signedInPerson(app, user);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expect((await person.post('/account/password', change(`wrong guess ${attempt}`))).status, `attempt ${attempt}`).toBe(400);
    }
    const argon = argon2Verifications();
    const blocked = await person.post('/account/password', change(PASSWORD));
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(blocked.body).toContain('<p class="field-error" id="password-current-password-error">Too many wrong passwords for this account. Try again in');
    expect(argon2Verifications()).toBe(argon);
    const stored = await app.store.users.findById(user.id);
    expect(stored?.passwordHash).toBe(user.passwordHash);
  });

  it('keeps the session of the browser that changed it working with the same cookie', async () => {
    const user = await newPerson(app, 'keeper');
    const person = await signedInPerson(app, user);
    const cookie = person.browser.cookie(new URL(app.url).origin, 'gatehouse_session');
    expect((await person.post('/account/password', change(PASSWORD))).status).toBe(303);
    expect(person.browser.cookie(new URL(app.url).origin, 'gatehouse_session')).toBe(cookie);
    const again = personIn(app, user, person.browser);
    expect(await again.signedIn()).toBe(true);
  });
});
