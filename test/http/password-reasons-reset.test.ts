// The reset-password form (a mailed link) under the password policy of issue 20 (NIST SP 800-63B-4 §3.1.1.2 at any
// minimum length): every repetitive, sequential or context-specific new password is refused next to its field
// with the reason in plain words, the link stays usable and the old password still signs in; a long random
// passphrase is accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { Browser, formFields, type Page } from '../helpers/browser.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { waitForMail } from '../helpers/outbox.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { asSentence, PASSPHRASE, PERSON_NAME, refusedPasswords } from './password-reasons-cases.js';

describe('reset-password form: a new password is refused with its reason', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app?.stop());

  /** The reset link mailed to `email`, asked for from the "Forgot password?" page. */
  async function resetLink(email: string): Promise<string> {
    const browser = new Browser();
    const form = await browser.get(`${app.url}/forgot-password`);
    expect(form.status).toBe(200);
    expect((await browser.postForm(`${app.url}/forgot-password`, { ...formFields(form.body), email })).status).toBe(200);
    const mail = await waitForMail(app.config.dataDir, email, { subject: /^Reset your password/ });
    const link = mail.links.find((url) => url.startsWith(`${app.url}/reset-password?token=`));
    expect(link, mail.text).toBeDefined();
    return link ?? '';
  }

  async function choose(browser: Browser, link: string, password: string): Promise<Page> {
    const form = await browser.get(link);
    expect(form.status, form.body).toBe(200);
    return browser.postForm(`${app.url}/reset-password`, { ...formFields(form.body), password, confirm: password });
  }

  it('refuses each password of the issue, and those built on the name, the issuer host or "Gatehouse", then takes a passphrase', async () => {
    const user = await addUser(app, 'countess.reset@example.com', { name: PERSON_NAME });
    const link = await resetLink(user.email);
    const browser = new Browser();
    const before = (await app.store.audit.list({ limit: 1 }))[0]?.id;
    for (const [password, reason] of refusedPasswords(app.config.issuer)) {
      const answer = await choose(browser, link, password);
      expect(answer.status, password).toBe(400);
      expect(answer.body, password).toContain(`<p class="field-error" id="password-error">${asSentence(reason)}</p>`);
      expect(answer.body).not.toContain(password);
    }
    const stored = await app.store.users.findById(user.id);
    expect(stored?.passwordHash).toBe(user.passwordHash);
    expect(await verifyPassword(stored?.passwordHash ?? '', PASSWORD)).toBe(true);
    expect((await app.store.audit.list({ limit: 1 }))[0]?.id).toBe(before);

    // The link still works: a long random passphrase is taken.
    const done = await choose(browser, link, PASSPHRASE);
    expect(done.status, done.body).toBe(200);
    expect(await verifyPassword((await app.store.users.findById(user.id))?.passwordHash ?? '', PASSPHRASE)).toBe(true);
  });
});
