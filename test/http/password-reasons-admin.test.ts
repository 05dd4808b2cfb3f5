// The admin screens' password forms under the password policy of issue 20 (NIST SP 800-63B-4 §3.1.1.2 at any
// minimum length): creating a user and setting a user's password refuse every repetitive, sequential or
// context-specific password with its reason in plain words, write nothing (no user, no new hash, no audit event),
// and accept a long random passphrase.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password-hash.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import type { Page } from '../helpers/browser.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { asSentence, contextPasswords, ISSUE_PASSWORDS, PASSPHRASE, PERSON_NAME, refusedPasswords } from './password-reasons-cases.js';

/** The message shown next to the field with this id, if any. */
const fieldError = (page: Page, id: string) => new RegExp(`<p class="field-error" id="${id}-error">([^<]*)</p>`).exec(page.body)?.[1] ?? null;

describe('admin password forms: every refusal says why and writes nothing', () => {
  let app: RunningApp;
  let admin: SignedInAdmin;
  let people = 0;

  beforeAll(async () => {
    app = await startApp();
    admin = await signedInAdmin(app);
  });
  afterAll(() => app?.stop());

  const lastEventId = async () => (await app.store.audit.list({ limit: 1 }))[0]?.id ?? 0;

  it('refuses each password of the issue, and those built on the name, the issuer host or "Gatehouse", when creating a user', async () => {
    const users = await app.store.users.count();
    const before = await lastEventId();
    for (const [password, reason] of refusedPasswords(app.config.issuer)) {
      people += 1;
      const email = `countess${people}@example.com`;
      const answer = await admin.post('/admin/users', { email, name: PERSON_NAME, password });
      expect(answer.status, password).toBe(400);
      expect(fieldError(answer, 'password'), password).toBe(asSentence(reason));
      expect(answer.body).not.toContain(password);
      expect(await app.store.users.findByEmail(email)).toBeNull();
    }
    expect(await app.store.users.count()).toBe(users);
    expect(await lastEventId()).toBe(before);
  });

  it('creates a user with a long random passphrase', async () => {
    const answer = await admin.post('/admin/users', { email: 'babbage@example.com', name: 'Charles Babbage', password: PASSPHRASE });
    expect(answer.status, answer.body).toBe(303);
    const created = await app.store.users.findByEmail('babbage@example.com');
    expect(await verifyPassword(created?.passwordHash ?? '', PASSPHRASE)).toBe(true);
  });

  it("refuses each of them when setting a user's password, and the old password stays", async () => {
    people += 1;
    const created = await admin.post('/admin/users', { email: `countess${people}@example.com`, name: PERSON_NAME, password: PASSPHRASE });
    expect(created.status, created.body).toBe(303);
    const user = await app.store.users.findByEmail(`countess${people}@example.com`);
    const before = await lastEventId();
    for (const [password, reason] of ISSUE_PASSWORDS) {
      const answer = await admin.post(`/admin/users/${user?.id}/password`, { password });
      expect(answer.status, password).toBe(400);
      expect(fieldError(answer, 'new-password'), password).toBe(asSentence(reason));
      expect(answer.body).not.toContain(password);
    }
    for (const [password, reason] of contextPasswords(app.config.issuer)) {
      const answer = await admin.post(`/admin/users/${user?.id}/password`, { password });
      expect(answer.status, password).toBe(400);
      // Judged against the person's name and the issuer's host as well (src/manage/users.ts, setPassword).
      expect(answer.body.toLowerCase(), password).toContain(`the password ${reason}`);
      expect(answer.body).not.toContain(password);
    }
    const stored = await app.store.users.findById(user?.id ?? '');
    expect(stored?.passwordHash).toBe(user?.passwordHash);
    expect(await verifyPassword(stored?.passwordHash ?? '', PASSPHRASE)).toBe(true);
    expect(await lastEventId()).toBe(before);
  });

  it("sets a long random passphrase as a user's password", async () => {
    people += 1;
    const created = await admin.post('/admin/users', { email: `countess${people}@example.com`, name: PERSON_NAME, generate: 'on' });
    expect(created.status, created.body).toBe(200);
    const user = await app.store.users.findByEmail(`countess${people}@example.com`);
    const answer = await admin.post(`/admin/users/${user?.id}/password`, { password: PASSPHRASE });
    expect(answer.status, answer.body).toBe(303);
    expect(await verifyPassword((await app.store.users.findById(user?.id ?? ''))?.passwordHash ?? '', PASSPHRASE)).toBe(true);
  });
});
