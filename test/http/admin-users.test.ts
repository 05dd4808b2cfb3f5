// The users screens of /admin (issue 7): list and search, create (with a generated password shown once),
// edit, password, disable and enable, delete; every change audited as the administrator from their address,
// every form's mistakes shown next to the field, names escaped, sensitive actions behind a recent sign-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/password-hash.js';
import { checkPasswordPolicy } from '../../src/auth/password-policy.js';
import { randomId } from '../../src/auth/secrets.js';
import { ConflictError } from '../../src/errors.js';
import type { AuditEventRecord, UserRecord } from '../../src/store/records.js';
import { addAdmin, signedInAdmin, signInToAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const XSS = '<script>alert(1)</script>';
const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;';
const STALE_MS = 16 * 60 * 1000;
const NEW_PASSWORD = 'a brand new passphrase for you';

/** The message shown next to a field, and whether the input is marked invalid and points at it. */
function fieldError(page: Page, id: string): string | null {
  const message = new RegExp(`<p class="field-error" id="${id}-error">([^<]*)</p>`).exec(page.body)?.[1] ?? null;
  if (message !== null) {
    const input = inputOf(page, id);
    expect(input).toContain('aria-invalid="true"');
    expect(input).toMatch(new RegExp(`aria-describedby="[^"]*${id}-error`));
  }
  return message;
}

/** The tag of the input with this id. */
const inputOf = (page: Page, id: string) => new RegExp(`<input id="${id}"[^>]*>`).exec(page.body)?.[0] ?? '';
const unescapeHtml = (text: string) => text.replace(/&#34;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
/** The value attribute of the input with this id, unescaped. */
const inputValue = (page: Page, id: string) => unescapeHtml(/\bvalue="([^"]*)"/.exec(inputOf(page, id))?.[1] ?? '');
const isChecked = (page: Page, id: string) => / checked/.test(inputOf(page, id));
const alertOf = (page: Page) => /<p class="alert" role="alert">([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;
const noticeOf = (page: Page) => /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;
/** The href of the link with exactly this text, resolved against the page and unescaped. */
function link(page: Page, text: string): string | null {
  const href = new RegExp(`<a href="([^"]*)"[^>]*>${text}</a>`).exec(page.body)?.[1];
  return href ? new URL(href.replace(/&amp;/g, '&'), page.url).toString() : null;
}
const isConfirmPage = (page: Page) => page.status === 403 && page.body.includes('<h1>Confirm it’s you</h1>');

describe('admin: users', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let passwordHash: string;
  let people = 0;

  /** A new administrator, signed in now (a recent sign-in). */
  async function newAdmin(): Promise<SignedInAdmin> {
    people += 1;
    return signedInAdmin(app, `admin${people}@example.com`);
  }

  function person(name: string | undefined = `Person ${people + 1}`): Promise<UserRecord> {
    people += 1;
    return addUser(app, `person${people}@example.com`, { name });
  }

  /** The events about `subject` since `after` (an event id), oldest first. */
  async function eventsAbout(subject: string, after = 0): Promise<AuditEventRecord[]> {
    return (await app.store.audit.list({ limit: 100, filter: { subject } })).filter((event) => event.id > after).reverse();
  }

  async function lastEventId(): Promise<number> {
    return (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;
  }

  /** Re-posts the "Confirm it's you" page's fields to `path` with the password typed in. */
  function confirm(admin: SignedInAdmin, page: Page, path: string, password: string, retyped: Record<string, string> = {}): Promise<Page> {
    const { csrf, ...fields } = formFields(page.body);
    expect(csrf).toBeTruthy();
    return admin.post(path, { ...fields, ...retyped, confirm_password: password });
  }

  function stored(id: string): Promise<UserRecord | null> {
    return app.store.users.findById(id);
  }

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
    passwordHash = await hashPassword(PASSWORD);
  });
  afterAll(() => app?.stop());

  describe('the list', () => {
    it('shows each user with name, admin and disabled badges, email verification and creation time, linking to their page', async () => {
      const admin = await newAdmin();
      const ida = await person('Ida Example');
      await app.store.users.update(ida.id, { disabled: true, emailVerified: true }, clock.now());
      const page = await admin.page('/admin/users?q=' + encodeURIComponent(ida.email));
      expect(page.headers.get('cache-control')).toBe('no-store');
      const row = new RegExp(`<tr>\\s*<td><a href="/admin/users/${ida.id}">${ida.email}</a></td>[\\s\\S]*?</tr>`).exec(page.body)?.[0] ?? '';
      // Issue 25: a name is isolated (<bdi>), so one in a right-to-left script shows as typed.
      expect(row).toContain('<td><bdi>Ida Example</bdi></td>');
      expect(row).toContain('<span class="badge badge-bad">disabled</span>');
      expect(row).not.toContain('badge-info');
      expect(row).toContain('<td>yes</td>');
      expect(row).toMatch(/<time>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/time>/);
      const adminRow = (await admin.page(`/admin/users?q=${encodeURIComponent(admin.user.email)}`)).body;
      expect(adminRow).toContain('<span class="badge badge-info">admin</span>');
      expect(adminRow).toContain('<span class="badge badge-ok">active</span>');
    });

    it('finds users by a case-insensitive part of their email or name, and keeps the search in the box', async () => {
      const admin = await newAdmin();
      const grace = await addUser(app, 'grace.hopper@navy.example', { name: 'Grace Hopper' });
      const alan = await addUser(app, 'alan@turing.example', { name: 'Alan Turing' });
      const byEmail = await admin.page('/admin/users?q=NAVY.Exam');
      expect(byEmail.body).toContain(grace.email);
      expect(byEmail.body).not.toContain(alan.email);
      expect(inputValue(byEmail, 'q')).toBe('NAVY.Exam');
      const byName = await admin.page('/admin/users?q=tUrInG');
      expect(byName.body).toContain(alan.email);
      expect(byName.body).not.toContain(grace.email);
      expect((await admin.page('/admin/users?q=nobody-at-all')).body).toContain('Nobody matches this search.');
    });

    it('pages 50 users at a time in email order, with a Next page link that keeps the search and a First page link', async () => {
      const admin = await newAdmin();
      const emails = Array.from({ length: 120 }, (_, i) => `member${String(i).padStart(3, '0')}@paging.example`);
      for (const email of emails) {
        await app.store.users.create({ id: randomId(), email, name: null, passwordHash, isAdmin: false, disabled: false, emailVerified: false }, clock.now());
      }
      const shown = (page: Page) => [...page.body.matchAll(/>(member\d{3}@paging\.example)</g)].map((match) => match[1]);

      const first = await admin.page('/admin/users?q=paging.example');
      expect(shown(first)).toEqual(emails.slice(0, 50));
      expect(link(first, 'First page')).toBeNull();
      const second = await admin.page(new URL(link(first, 'Next page') ?? '').pathname + new URL(link(first, 'Next page') ?? '').search);
      expect(new URL(second.url).searchParams.get('q')).toBe('paging.example');
      expect(shown(second)).toEqual(emails.slice(50, 100));
      const third = await admin.browser.get(link(second, 'Next page') ?? '');
      expect(shown(third)).toEqual(emails.slice(100));
      expect(link(third, 'Next page')).toBeNull();
      expect(link(third, 'First page')).toBe(`${app.url}/admin/users?q=paging.example`);
    });

    it('refuses a page cursor that is not one of its own with a 400 page', async () => {
      const admin = await newAdmin();
      const page = await admin.browser.get(`${app.url}/admin/users?after=not-a-cursor`);
      expect(page.status).toBe(400);
    });

    it('shows names and searches holding markup as text', async () => {
      const admin = await newAdmin();
      await person(XSS);
      const page = await admin.page(`/admin/users?q=${encodeURIComponent(XSS)}`);
      expect(page.body).not.toContain(XSS);
      expect(page.body).toContain(ESCAPED);
      const all = await admin.page('/admin/users?q=person');
      expect(all.body).not.toContain(XSS);
      expect(all.body).toContain(`<td><bdi>${ESCAPED}</bdi></td>`);
    });
  });

  describe('creating a user', () => {
    it('creates the user with the typed password, audits user.created as the admin from their address, and shows their page', async () => {
      const admin = await newAdmin();
      const form = await admin.page('/admin/users/new');
      expect(form.body).toMatch(/<form method="post" action="\/admin\/users" class="form">\s*<input type="hidden" name="csrf" value="[^"]+">/);
      const before = await lastEventId();
      const answer = await admin.post('/admin/users', { email: 'New.Person@example.com', name: 'New Person', password: NEW_PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      const created = await app.store.users.findByEmail('new.person@example.com');
      expect(created).toMatchObject({ email: 'New.Person@example.com', name: 'New Person', isAdmin: false, disabled: false });
      expect(await verifyPassword(created?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
      expect(answer.location).toBe(`${app.url}/admin/users/${created?.id}?done=created`);
      expect(await eventsAbout(created?.id ?? '', before)).toMatchObject([
        { type: 'user.created', actor: admin.user.id, subject: created?.id, ip: '127.0.0.1', outcome: 'success', details: { admin: false } },
      ]);
      const page = await admin.page(new URL(answer.location ?? '').pathname + '?done=created');
      expect(noticeOf(page)).toBe('The user was created.');
    });

    it('generates a password that meets the policy, shows it once in the answer, and neither stores nor logs it in clear', async () => {
      const admin = await newAdmin();
      const before = await lastEventId();
      const answer = await admin.post('/admin/users', { email: 'generated@example.com', name: 'Gen Erated', generate: 'on' });
      expect(answer.status, answer.body).toBe(200);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      const password = /<input id="generated-password" type="text" readonly value="([^"]+)"/.exec(answer.body)?.[1] ?? '';
      expect(password).toMatch(/^[a-z2-9]{4}(-[a-z2-9]{4}){4,}$/);
      expect(() => checkPasswordPolicy(password, { email: 'generated@example.com', minLength: app.config.passwordMinLength })).not.toThrow();
      expect(answer.body).toContain('generated@example.com');
      expect(answer.body).toContain('Gen Erated');
      const created = await app.store.users.findByEmail('generated@example.com');
      expect(await verifyPassword(created?.passwordHash ?? '', password)).toBe(true);
      expect(created?.passwordHash).not.toContain(password);
      expect(JSON.stringify(app.logs)).not.toContain(password);
      expect(JSON.stringify(await eventsAbout(created?.id ?? '', before))).not.toContain(password);
      // The person can sign in with it.
      expect((await signInToAdmin(app, 'generated@example.com', new Browser(), password)).status).toBe(303);
    });

    it('shows every mistake next to its field with the entered values kept (never the password), answers 400 and writes nothing', async () => {
      const admin = await newAdmin();
      const users = await app.store.users.count();
      const before = await lastEventId();
      const answer = await admin.post('/admin/users', { email: 'not an email', name: 'x'.repeat(201), password: 'short', admin: 'on' });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'email')).toBe('&#34;not an email&#34; is not a valid email address.');
      expect(fieldError(answer, 'name')).toBe('The name must be at most 200 characters long.');
      expect(fieldError(answer, 'password')).toBe(`The password must be at least ${app.config.passwordMinLength} characters long.`);
      expect(inputValue(answer, 'email')).toBe('not an email');
      expect(inputValue(answer, 'name')).toBe('x'.repeat(201));
      expect(inputValue(answer, 'password')).toBe('');
      expect(isChecked(answer, 'admin')).toBe(true);
      expect(isChecked(answer, 'generate')).toBe(false);

      const both = await admin.post('/admin/users', { email: 'both@example.com', password: NEW_PASSWORD, generate: 'on' });
      expect(both.status).toBe(400);
      expect(fieldError(both, 'password')).toMatch(/^Leave the password empty/);
      const neither = await admin.post('/admin/users', { email: 'neither@example.com', name: XSS });
      expect(neither.status).toBe(400);
      expect(fieldError(neither, 'password')).toBe('Enter a password, or tick “Generate a password”.');
      expect(neither.body).not.toContain(XSS);
      expect(inputValue(neither, 'name')).toBe(XSS);

      expect(await app.store.users.count()).toBe(users);
      expect(await lastEventId()).toBe(before);
    });

    it('refuses an email that is taken, whatever its case, next to the email field (409)', async () => {
      const admin = await newAdmin();
      const taken = await person();
      const answer = await admin.post('/admin/users', { email: taken.email.toUpperCase(), password: NEW_PASSWORD });
      expect(answer.status).toBe(409);
      expect(fieldError(answer, 'email')).toBe(`A user with the email ${taken.email.toUpperCase()} already exists.`);
    });

    it('asks an admin who signed in more than 15 minutes ago for their password before granting admin at creation, and not otherwise', async () => {
      const admin = await newAdmin();
      clock.advance(STALE_MS);
      const form = await admin.page('/admin/users/new');
      expect(form.body).toContain('name="confirm_password"');

      const plain = await admin.post('/admin/users', { email: 'plain.stale@example.com', password: NEW_PASSWORD });
      expect(plain.status, plain.body).toBe(303);

      const asked = await admin.post('/admin/users', { email: 'boss@example.com', password: NEW_PASSWORD, admin: 'on' });
      expect(isConfirmPage(asked)).toBe(true);
      // The new user's password is never copied into the page: the confirmation asks for it once more.
      expect(asked.body).not.toContain(NEW_PASSWORD);
      expect(asked.body).toContain('The new user’s password, once more');
      expect(await app.store.users.findByEmail('boss@example.com')).toBeNull();
      const wrong = await confirm(admin, asked, '/admin/users', 'not my password at all', { password: NEW_PASSWORD });
      expect(isConfirmPage(wrong)).toBe(true);
      expect(wrong.body).toContain('That password is not correct.');
      expect(await app.store.users.findByEmail('boss@example.com')).toBeNull();
      const right = await confirm(admin, wrong, '/admin/users', PASSWORD, { password: NEW_PASSWORD });
      expect(right.status, right.body).toBe(303);
      expect(await app.store.users.findByEmail('boss@example.com')).toMatchObject({ isAdmin: true });
    });
  });

  describe("a user's page", () => {
    it('shows their details, the edit form with its CSRF token, and escapes their name', async () => {
      const admin = await newAdmin();
      const user = await person(XSS);
      const page = await admin.page(`/admin/users/${user.id}`);
      expect(page.body).toContain(user.id);
      expect(page.body).toContain(user.email);
      expect(page.body).not.toContain(XSS);
      expect(page.body).toContain(ESCAPED);
      expect(page.body).toMatch(new RegExp(`<form method="post" action="/admin/users/${user.id}" class="form">\\s*<input type="hidden" name="csrf" value="[^"]+">`));
      expect(inputValue(page, 'name')).toBe(XSS);
      expect(page.body).toContain('No active sessions.');
      // What the audit log says about them, escaped too.
      expect(page.body).toContain('<code>user.created</code>');
    });

    it('answers 404 for an id that is no user', async () => {
      const admin = await newAdmin();
      for (const path of ['/admin/users/no-such-user', '/admin/users/no-such-user/delete']) {
        expect((await admin.browser.get(`${app.url}${path}`)).status).toBe(404);
      }
      expect((await admin.post('/admin/users/no-such-user', { email: 'x@example.com' })).status).toBe(404);
      expect((await admin.post('/admin/users/no-such-user/disable', {})).status).toBe(404);
    });
  });

  describe('editing a user', () => {
    it('writes only what changed and audits user.updated with the names of the changed fields', async () => {
      const admin = await newAdmin();
      const user = await person('Old Name');
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${user.id}`, { email: user.email, name: 'New Name', email_verified: 'on' });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/users/${user.id}?done=saved`);
      expect(await stored(user.id)).toMatchObject({ email: user.email, name: 'New Name', emailVerified: true, isAdmin: false, passwordHash: user.passwordHash });
      expect(await eventsAbout(user.id, before)).toMatchObject([
        { type: 'user.updated', actor: admin.user.id, subject: user.id, ip: '127.0.0.1', details: { fields: ['name', 'emailVerified'] } },
      ]);
      expect(noticeOf(await admin.page(`/admin/users/${user.id}?done=saved`))).toBe('The changes were saved.');

      const again = await admin.post(`/admin/users/${user.id}`, { email: user.email, name: 'New Name', email_verified: 'on' });
      expect(again.location).toBe(`${app.url}/admin/users/${user.id}?done=unchanged`);
      expect(await eventsAbout(user.id, before)).toHaveLength(1);
    });

    it('shows every mistake next to its field with the entered values kept, answers 400 and writes nothing', async () => {
      const admin = await newAdmin();
      const user = await person('Kept Name');
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${user.id}`, { email: 'broken@', name: `bad\u0007name`, admin: 'on' });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'email')).toBe('&#34;broken@&#34; is not a valid email address.');
      expect(fieldError(answer, 'name')).toBe('The name must not contain control characters.');
      expect(inputValue(answer, 'email')).toBe('broken@');
      expect(isChecked(answer, 'admin')).toBe(true);
      expect(await stored(user.id)).toEqual(user);
      expect(await lastEventId()).toBe(before);
    });

    it('refuses an email another user has, next to the field (409)', async () => {
      const admin = await newAdmin();
      const [user, other] = [await person(), await person()];
      const answer = await admin.post(`/admin/users/${user.id}`, { email: other.email.toUpperCase(), name: user.name ?? '' });
      expect(answer.status).toBe(409);
      expect(fieldError(answer, 'email')).toMatch(/already exists\.$/);
      expect(await stored(user.id)).toEqual(user);
    });

    it('grants admin, auditing user.admin_granted; a stale sign-in must confirm first, and a wrong password changes nothing', async () => {
      const admin = await newAdmin();
      const user = await person();
      const fields = { email: user.email, name: user.name ?? '', admin: 'on' };
      clock.advance(STALE_MS);
      // A stale admin may still edit anything but the admin flag without a password.
      expect((await admin.post(`/admin/users/${user.id}`, { email: user.email, name: 'Renamed' })).status).toBe(303);
      const asked = await admin.post(`/admin/users/${user.id}`, { ...fields, name: 'Renamed' });
      expect(isConfirmPage(asked)).toBe(true);
      const wrong = await confirm(admin, asked, `/admin/users/${user.id}`, 'wrong password entirely');
      expect(isConfirmPage(wrong)).toBe(true);
      expect((await stored(user.id))?.isAdmin).toBe(false);
      const before = await lastEventId();
      const right = await confirm(admin, wrong, `/admin/users/${user.id}`, PASSWORD);
      expect(right.status, right.body).toBe(303);
      expect((await stored(user.id))?.isAdmin).toBe(true);
      expect(await eventsAbout(user.id, before)).toMatchObject([
        { type: 'user.updated', actor: admin.user.id, ip: '127.0.0.1', details: { fields: ['isAdmin'] } },
        { type: 'user.admin_granted', actor: admin.user.id, subject: user.id, ip: '127.0.0.1' },
      ]);
    });

    it('refuses an admin removing their own admin access, next to the checkbox, and writes nothing', async () => {
      const admin = await newAdmin();
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${admin.user.id}`, { email: admin.user.email, name: 'Still Me' });
      expect(answer.status).toBe(400);
      expect(fieldError(answer, 'admin')).toBe('You cannot remove your own administrator access; ask another administrator.');
      expect(inputValue(answer, 'name')).toBe('Still Me');
      expect(await stored(admin.user.id)).toMatchObject({ isAdmin: true, name: admin.user.name });
      expect(await lastEventId()).toBe(before);
    });

    it("removes another admin's access, auditing user.admin_revoked, and refuses their very next request", async () => {
      const admin = await newAdmin();
      const other = await newAdmin();
      expect((await other.browser.get(`${app.url}/admin`)).status).toBe(200);
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${other.user.id}`, { email: other.user.email, name: other.user.name ?? '' });
      expect(answer.status, answer.body).toBe(303);
      expect(await eventsAbout(other.user.id, before)).toMatchObject([
        { type: 'user.updated', details: { fields: ['isAdmin'] } },
        { type: 'user.admin_revoked', actor: admin.user.id, subject: other.user.id, ip: '127.0.0.1' },
      ]);
      expect((await other.browser.get(`${app.url}/admin`)).status).toBe(403);
      expect((await other.browser.get(`${app.url}/admin/users`)).status).toBe(403);
    });
  });

  describe('setting a password', () => {
    it('sets the typed password, signs the user out everywhere and audits user.password_set', async () => {
      const admin = await newAdmin();
      const user = await addAdmin(app, `pw${people}@example.com`, 'Pass Word');
      const theirs = new Browser();
      expect((await signInToAdmin(app, user.email, theirs)).status).toBe(303);
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${user.id}/password`, { password: NEW_PASSWORD });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/users/${user.id}?done=password`);
      expect(await verifyPassword((await stored(user.id))?.passwordHash ?? '', NEW_PASSWORD)).toBe(true);
      expect(await app.store.sessions.listForUser(user.id, clock.now())).toEqual([]);
      expect((await theirs.get(`${app.url}/admin`)).status).toBe(303);
      const events = await eventsAbout(user.id, before);
      expect(events.map((event) => event.type)).toContain('user.password_set');
      expect(events.find((event) => event.type === 'user.password_set')).toMatchObject({ actor: admin.user.id, ip: '127.0.0.1', details: {} });
      expect(JSON.stringify(events)).not.toContain(NEW_PASSWORD);
    });

    it('shows a policy refusal next to the password field (400) and keeps the old password', async () => {
      const admin = await newAdmin();
      const user = await person();
      const before = await lastEventId();
      for (const [password, message] of [
        ['tiny', `The password must be at least ${app.config.passwordMinLength} characters long.`],
        [`${user.email.split('@')[0]}-and-more-words`, 'The password must not contain the name part of the email address.'],
        ['', 'Enter a password, or tick “Generate a password”.'],
      ] as const) {
        const answer = await admin.post(`/admin/users/${user.id}/password`, { password });
        expect(answer.status).toBe(400);
        expect(fieldError(answer, 'new-password')).toBe(message);
        expect(inputValue(answer, 'new-password')).toBe('');
      }
      expect((await stored(user.id))?.passwordHash).toBe(user.passwordHash);
      expect(await lastEventId()).toBe(before);
    });

    it('generates a password and shows it once in the answer', async () => {
      const admin = await newAdmin();
      const user = await person();
      const answer = await admin.post(`/admin/users/${user.id}/password`, { generate: 'on' });
      expect(answer.status, answer.body).toBe(200);
      const password = /<input id="generated-password" type="text" readonly value="([^"]+)"/.exec(answer.body)?.[1] ?? '';
      expect(await verifyPassword((await stored(user.id))?.passwordHash ?? '', password)).toBe(true);
      expect(JSON.stringify(app.logs)).not.toContain(password);
      expect((await admin.page(`/admin/users/${user.id}`)).body).not.toContain(password);
    });
  });

  describe('disabling and enabling', () => {
    it('disables a user, who can then not sign in, and enables them again, auditing both', async () => {
      const admin = await newAdmin();
      const user = await addAdmin(app, `toggle${people}@example.com`, 'Toggle');
      const theirs = new Browser();
      expect((await signInToAdmin(app, user.email, theirs)).status).toBe(303);
      const before = await lastEventId();
      const disabled = await admin.post(`/admin/users/${user.id}/disable`, {});
      expect(disabled.status, disabled.body).toBe(303);
      expect(disabled.location).toBe(`${app.url}/admin/users/${user.id}?done=disabled`);
      expect((await stored(user.id))?.disabled).toBe(true);
      expect(await app.store.sessions.listForUser(user.id, clock.now())).toEqual([]);
      expect((await theirs.get(`${app.url}/admin`)).status).toBe(303);
      expect((await signInToAdmin(app, user.email, new Browser())).status).toBe(401);
      const page = await admin.page(`/admin/users/${user.id}?done=disabled`);
      expect(noticeOf(page)).toBe('The user is disabled and was signed out everywhere.');
      expect(page.body).toContain('<span class="badge badge-bad">disabled</span>');

      const enabled = await admin.post(`/admin/users/${user.id}/enable`, {});
      expect(enabled.location).toBe(`${app.url}/admin/users/${user.id}?done=enabled`);
      expect((await stored(user.id))?.disabled).toBe(false);
      expect((await signInToAdmin(app, user.email, new Browser())).status).toBe(303);
      const events = (await eventsAbout(user.id, before)).filter((event) => event.type.startsWith('user.'));
      expect(events).toMatchObject([
        { type: 'user.disabled', actor: admin.user.id, subject: user.id, ip: '127.0.0.1' },
        { type: 'user.enabled', actor: admin.user.id, subject: user.id, ip: '127.0.0.1' },
      ]);
    });
  });

  describe('deleting a user', () => {
    it('asks first on a page naming the user by email and name, escaped, with a CSRF-protected form', async () => {
      const admin = await newAdmin();
      const user = await person(XSS);
      const page = await admin.page(`/admin/users/${user.id}/delete`);
      expect(page.body).toContain(user.email);
      expect(page.body).toContain(ESCAPED);
      expect(page.body).not.toContain(XSS);
      expect(page.body).toMatch(new RegExp(`<form method="post" action="/admin/users/${user.id}/delete" class="form">\\s*<input type="hidden" name="csrf" value="[^"]+">`));
      expect(await stored(user.id)).not.toBeNull();
    });

    it('deletes the user, audits user.deleted, lists them no more, and never gives their id to anyone again', async () => {
      const admin = await newAdmin();
      const user = await person();
      const before = await lastEventId();
      const answer = await admin.post(`/admin/users/${user.id}/delete`, {});
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/users?done=deleted`);
      expect(await stored(user.id)).toBeNull();
      expect((await eventsAbout(user.id, before)).filter((event) => event.type === 'user.deleted')).toMatchObject([{ actor: admin.user.id, subject: user.id, ip: '127.0.0.1' }]);
      const list = await admin.page('/admin/users?done=deleted');
      expect(noticeOf(list)).toBe('The user was deleted.');
      expect((await admin.page(`/admin/users?q=${encodeURIComponent(user.email)}`)).body).not.toContain(`>${user.email}<`);
      expect((await admin.browser.get(`${app.url}/admin/users/${user.id}`)).status).toBe(404);
      await expect(
        app.store.users.create({ id: user.id, email: 'reuse@example.com', name: null, passwordHash, isAdmin: false, disabled: false, emailVerified: false }, clock.now()),
      ).rejects.toBeInstanceOf(ConflictError);
    });

    it('asks an admin who signed in more than 15 minutes ago for their password; a wrong one deletes nothing', async () => {
      const admin = await newAdmin();
      const user = await person();
      clock.advance(STALE_MS);
      expect((await admin.page(`/admin/users/${user.id}/delete`)).body).toContain('name="confirm_password"');
      const asked = await admin.post(`/admin/users/${user.id}/delete`, {});
      expect(isConfirmPage(asked)).toBe(true);
      expect(await stored(user.id)).not.toBeNull();
      const wrong = await confirm(admin, asked, `/admin/users/${user.id}/delete`, 'guessing wrongly here');
      expect(isConfirmPage(wrong)).toBe(true);
      expect(await stored(user.id)).not.toBeNull();
      const right = await confirm(admin, wrong, `/admin/users/${user.id}/delete`, PASSWORD);
      expect(right.status, right.body).toBe(303);
      expect(await stored(user.id)).toBeNull();
    });
  });
});

describe('admin: the last enabled administrator', () => {
  let app: RunningApp;
  let admin: SignedInAdmin;

  beforeAll(async () => {
    app = await startApp();
    admin = await signedInAdmin(app, 'only@example.com');
  });
  afterAll(() => app?.stop());

  it('cannot disable themselves: the page says why (409) and nothing is written', async () => {
    const [before] = await app.store.audit.list({ limit: 1 });
    const answer = await admin.post(`/admin/users/${admin.user.id}/disable`, {});
    expect(answer.status).toBe(409);
    expect(alertOf(answer)).toMatch(/only enabled admin/);
    expect((await app.store.users.findById(admin.user.id))?.disabled).toBe(false);
    expect((await app.store.audit.list({ limit: 1 }))[0]?.id).toBe(before?.id);
    expect((await admin.browser.get(`${app.url}/admin`)).status).toBe(200);
  });

  it('cannot delete themselves: the confirmation page says why (409), and their session and account stay', async () => {
    const answer = await admin.post(`/admin/users/${admin.user.id}/delete`, {});
    expect(answer.status).toBe(409);
    expect(alertOf(answer)).toMatch(/only enabled admin/);
    expect(await app.store.users.findById(admin.user.id)).toMatchObject({ disabled: false, isAdmin: true });
    expect((await admin.browser.get(`${app.url}/admin`)).status).toBe(200);
  });

  it('may disable themselves once another administrator exists, which signs them out', async () => {
    await addAdmin(app, 'second@example.com', 'Second');
    const answer = await admin.post(`/admin/users/${admin.user.id}/disable`, {});
    expect(answer.status, answer.body).toBe(303);
    expect((await admin.browser.get(`${app.url}/admin`)).status).toBe(303);
  });
});
