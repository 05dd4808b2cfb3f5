// The account page's change-password form under the password policy of issue 20 (NIST SP 800-63B-4 §3.1.1.2 at
// any minimum length): every repetitive, sequential or context-specific new password is refused next to its field
// with the reason in plain words, before the current password is checked, and nothing changes; a long random
// passphrase is accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { argon2Verifications, verifyPassword } from '../../src/auth/password-hash.js';
import { addUser, PASSWORD } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { signedInPerson } from './account-helpers.js';
import { asSentence, PASSPHRASE, PERSON_NAME, refusedPasswords } from './password-reasons-cases.js';

describe('account page: a new password is refused with its reason', () => {
  let app: RunningApp;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app?.stop());

  const change = (next: string) => ({ current_password: PASSWORD, new_password: next, confirm_password: next });

  it('refuses each password of the issue, and those built on the name, the issuer host or "Gatehouse", and keeps the old one', async () => {
    const user = await addUser(app, 'countess.account@example.com', { name: PERSON_NAME });
    const person = await signedInPerson(app, user);
    const argon = argon2Verifications();
    const before = (await app.store.audit.list({ limit: 1 }))[0]?.id;
    for (const [password, reason] of refusedPasswords(app.config.issuer)) {
      const answer = await person.post('/account/password', change(password));
      expect(answer.status, password).toBe(400);
      expect(answer.body, password).toContain(`<p class="field-error" id="new-password-error">${asSentence(reason)}</p>`);
      expect(answer.body).not.toContain(password);
    }
    // Refused before the current password was checked: no guess spent, nothing written.
    expect(argon2Verifications()).toBe(argon);
    const stored = await app.store.users.findById(user.id);
    expect(stored?.passwordHash).toBe(user.passwordHash);
    expect(await verifyPassword(stored?.passwordHash ?? '', PASSWORD)).toBe(true);
    expect((await app.store.audit.list({ limit: 1 }))[0]?.id).toBe(before);
    expect(await person.signedIn()).toBe(true);
  });

  it('accepts a long random passphrase', async () => {
    const user = await addUser(app, 'countess.passphrase@example.com', { name: PERSON_NAME });
    const person = await signedInPerson(app, user);
    const answer = await person.post('/account/password', change(PASSPHRASE));
    expect(answer.status, answer.body).toBe(303);
    expect(await verifyPassword((await app.store.users.findById(user.id))?.passwordHash ?? '', PASSPHRASE)).toBe(true);
  });
});
