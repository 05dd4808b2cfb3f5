// An administrator resets the second factors of a person who lost them (issue 10): a sensitive action, behind a
// recent sign-in, audited; the person then signs in with the password alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashRecoveryCode } from '../../src/auth/recovery-codes.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitForMail } from '../helpers/outbox.js';
import { signedInAdmin } from '../helpers/admin.js';
import { addClient, authorizationUrl, open, PASSWORD, submitLogin } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { newPerson } from './account-helpers.js';

describe("resetting a user's second factors from the admin screens", () => {
  let app: RunningApp;
  let clock: FakeClock;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** A person with a confirmed authenticator, recovery codes and a passkey, as the store keeps them. */
  async function personWithFactors(label: string) {
    const user = await newPerson(app, label);
    const now = clock.now();
    await app.store.totp.begin({ userId: user.id, sealedSecret: 'v1.sealed.elsewhere.tag', createdAt: now });
    await app.store.totp.confirm(user.id, 1, now);
    await app.store.recoveryCodes.replace(
      user.id,
      ['aaaaa-bbbbb', 'ccccc-ddddd'].map((code) => hashRecoveryCode(code)),
      now,
    );
    await app.store.passkeys.create({
      credentialId: `cred-${label}`,
      userId: user.id,
      name: 'Laptop',
      publicKey: 'AQID',
      counter: 0,
      transports: ['internal'],
      deviceType: 'singleDevice',
      backedUp: false,
      createdAt: now,
    });
    return user;
  }

  it('shows what the user has and removes it all, auditing it; the user then signs in with the password alone', async () => {
    const user = await personWithFactors('lost');
    const admin = await signedInAdmin(app);
    const page = await admin.page(`/admin/users/${user.id}`);
    expect(page.body).toContain('Authenticator app: on (2 recovery codes left). Passkeys: 1.');

    const reset = await admin.post(`/admin/users/${user.id}/reset-second-factors`, {});
    expect(reset.status, reset.body).toBe(303);
    expect(reset.location).toContain('?done=second-factors-reset');
    expect(await app.store.totp.find(user.id)).toBeNull();
    expect(await app.store.recoveryCodes.countUnused(user.id)).toBe(0);
    expect(await app.store.passkeys.listForUser(user.id)).toEqual([]);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'user.second_factors_reset' } });
    expect(event).toMatchObject({ actor: admin.user.id, subject: user.id, details: { totp: true, recovery_codes: 2, passkeys: 1 } });
    const mail = await waitForMail(app.config.dataDir, user.email, { subject: /^How you sign in at / });
    expect(mail.text).toContain('An administrator removed the second factors of your account');

    const client = await addClient(app);
    const browser = new Browser();
    const start = await authorizationUrl(client);
    const answer = await submitLogin(browser, await open(browser, app, start.url), user.email);
    expect(answer.location?.startsWith(client.redirectUri)).toBe(true);
  });

  it('asks an administrator who signed in more than 15 minutes ago for the password first, and removes nothing without it', async () => {
    const user = await personWithFactors('stale');
    const admin = await signedInAdmin(app, 'stale.admin@example.com');
    clock.advance(16 * 60_000);
    const refused = await admin.post(`/admin/users/${user.id}/reset-second-factors`, {});
    expect(refused.status).toBe(403);
    expect(await app.store.totp.find(user.id)).not.toBeNull();
    const wrong = await admin.post(`/admin/users/${user.id}/reset-second-factors`, { confirm_password: 'not the password' });
    expect(wrong.status).not.toBe(303);
    expect(await app.store.passkeys.listForUser(user.id)).toHaveLength(1);
    const confirmed = await admin.post(`/admin/users/${user.id}/reset-second-factors`, { confirm_password: PASSWORD });
    expect(confirmed.status).toBe(303);
    expect(await app.store.totp.find(user.id)).toBeNull();
  });
});
