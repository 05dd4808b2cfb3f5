// With BREACHED_PASSWORDS_FILE, every form that sets a password refuses one found in the corpus, with the same
// reason as the shipped list ("is on a list of passwords seen in breaches"), and writes nothing: a password set
// there would be asked to change at the next sign-in (test/http/breached-password-sign-in.test.ts). The `idp`
// side is test/cli/idp-breached-passwords.test.ts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { corpusOf } from '../helpers/breach-corpus.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, formFields } from '../helpers/browser.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { signedInPerson } from './account-helpers.js';
import { PASSPHRASE } from './password-reasons-cases.js';

/** Strong by every other rule, but in the corpus. */
const BREACHED = 'marmalade lighthouse over seven winters';
const REASON = 'The password is on a list of passwords seen in breaches.';

describe('a new password found in BREACHED_PASSWORDS_FILE is refused on every form', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-breach-forms-'));
  let app: RunningApp;
  let admin: SignedInAdmin;

  beforeAll(async () => {
    const corpus = path.join(dir, 'corpus.txt');
    corpusOf(corpus, [BREACHED]);
    app = await startApp({ env: { BREACHED_PASSWORDS_FILE: corpus } });
    admin = await signedInAdmin(app);
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lastEventId = async () => (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;

  it('on the account page, before the current password is checked; a passphrase then passes', async () => {
    const user = await addUser(app, 'account.breach@example.com', { name: 'Mary Somerville' });
    const person = await signedInPerson(app, user);
    const before = await lastEventId();
    const refused = await person.post('/account/password', { current_password: PASSWORD, new_password: BREACHED, confirm_password: BREACHED });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(REASON);
    expect(await lastEventId()).toBe(before);
    expect(await verifyPassword((await app.store.users.findById(user.id))?.passwordHash ?? '', PASSWORD)).toBe(true);
    const changed = await person.post('/account/password', { current_password: PASSWORD, new_password: PASSPHRASE, confirm_password: PASSPHRASE });
    expect(changed.status, changed.body).toBe(303);
  });

  it('on the reset form, the link still usable afterwards', async () => {
    const user = await addUser(app, 'reset.breach@example.com', { name: 'Mary Somerville' });
    const browser = new Browser();
    const ask = await browser.get(`${app.url}/forgot-password`);
    await browser.postForm(`${app.url}/forgot-password`, { ...formFields(ask.body), email: user.email });
    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /^Reset your password/ });
    const link = mail.links.find((url) => url.startsWith(`${app.url}/reset-password?token=`)) ?? '';
    const form = await browser.get(link);
    const refused = await browser.postForm(`${app.url}/reset-password`, { ...formFields(form.body), password: BREACHED, confirm: BREACHED });
    expect(refused.status).toBe(400);
    expect(refused.body).toContain(`<p class="field-error" id="password-error">${REASON}</p>`);
    expect((await app.store.users.findById(user.id))?.passwordHash).toBe(user.passwordHash);
    const again = await browser.get(link);
    const done = await browser.postForm(`${app.url}/reset-password`, { ...formFields(again.body), password: PASSPHRASE, confirm: PASSPHRASE });
    expect(done.status, done.body).toBe(200);
  });

  it('on the admin screens: creating a user and setting a password, shown next to the field', async () => {
    const before = await lastEventId();
    const created = await admin.post('/admin/users', { email: 'admin.breach@example.com', name: 'Mary Somerville', password: BREACHED });
    expect(created.status).toBe(400);
    expect(created.body).toContain(`<p class="field-error" id="password-error">${REASON}</p>`);
    expect(await app.store.users.findByEmail('admin.breach@example.com')).toBeNull();
    expect(await lastEventId()).toBe(before);

    const user = await addUser(app, 'admin.set.breach@example.com', { name: 'Mary Somerville' });
    const afterAdding = await lastEventId();
    const set = await admin.post(`/admin/users/${user.id}/password`, { password: BREACHED });
    expect(set.status).toBe(400);
    expect(set.body).toContain(`<p class="field-error" id="new-password-error">${REASON}</p>`);
    expect((await app.store.users.findById(user.id))?.passwordHash).toBe(user.passwordHash);
    expect(await lastEventId()).toBe(afterAdding);
  });
});
