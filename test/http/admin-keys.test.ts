// The Signing keys admin screens over HTTP: what a rotation and a revocation do to the JWKS relying parties
// fetch, to token signing and to the refresh grants, what they record in the audit log, and that both ask a
// stale administrator for the password first. (Anonymous and non-admin access, and CSRF, are tested for every
// admin route in admin-access.test.ts.)
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEventRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { Browser, type Page } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { refresh, tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;
const XSS = '<script>alert(1)</script>';
const noticeOf = (page: Page) => /<p class="notice" role="status">([^<]*)<\/p>/.exec(page.body)?.[1] ?? null;

describe('admin: the Signing keys screens (issue 7)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let client: TestClient;

  /** The kids relying parties see now. */
  async function published(): Promise<string[]> {
    const response = await fetch(`${app.config.issuer}/jwks`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
  }

  async function events(type: string): Promise<AuditEventRecord[]> {
    return app.store.audit.list({ limit: 100, filter: { type } });
  }

  /** Every kid in the key store. */
  async function kids(): Promise<string[]> {
    return (await app.keyRing.keyStore.list()).map((key) => key.kid);
  }

  /** The one key added since `before` (the fake clock stands still: creation times cannot tell). */
  async function added(before: string[]): Promise<string> {
    const fresh = (await kids()).filter((kid) => !before.includes(kid));
    expect(fresh).toHaveLength(1);
    return fresh[0] ?? '';
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    await addUser(app);
    client = await addClient(app);
  });
  afterAll(async () => {
    await app?.stop();
  });
  beforeEach(async () => {
    // A fresh sign-in for every test: some move the clock past the 15 minutes of a recent sign-in.
    admin = await signedInAdmin(app);
  });

  it('lists every key with its state, its times, and the key that signs now', async () => {
    const signing = app.keyRing.signingKey.kid;
    const page = await admin.page('/admin/keys');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain(`Signing now: <code>${signing}</code>`);
    expect(page.body).toContain(`<code>${signing}</code><br><span class="muted">RS256, 2048 bits</span>`);
    expect(page.body).toContain('<span class="badge badge-ok">active</span> <strong>signs now</strong>');
    expect(page.body).toContain(`href="/admin/keys/${signing}/revoke"`);
    expect(page.body).toContain('name="immediately" type="checkbox" value="yes"');
  });

  describe('rotation (a sensitive action)', () => {
    it('publishes the new key in the JWKS at once, keeps the current key signing until KEY_PREPUBLISH, and records it', async () => {
      const signing = app.keyRing.signingKey.kid;
      const before = await kids();
      const answer = await admin.post('/admin/keys/rotate', {});
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/keys?done=rotated`);
      const created = await added(before);
      expect(created).not.toBe(signing);
      expect(await published()).toContain(created);
      expect(await published()).toContain(signing);
      expect(app.keyRing.signingKey.kid).toBe(signing);
      const activatesAt = (await app.keyRing.keyStore.list()).find((key) => key.kid === created)?.activatedAt;
      expect(activatesAt).toBe(clock.now() + app.config.keyPrepublish * 1000);
      expect((await events('key.rotation_scheduled'))[0]).toMatchObject({ actor: admin.user.id, subject: created, ip: '127.0.0.1', details: { previous_kid: signing } });

      const page = await admin.page('/admin/keys?done=rotated');
      expect(noticeOf(page)).toContain('A new signing key is published.');
      expect(page.body).toContain('<span class="badge badge-info">pending</span>');
      expect(page.body).toContain(`Key <code>${created}</code> is already scheduled`);
    });

    it('signs with the new key at once when the emergency box is ticked, and records it', async () => {
      // The fake clock stands still: a key activated in the same millisecond as the current one would tie with
      // it, and the schedule breaks ties by kid. A second passes, as it would between two real rotations.
      clock.advance(1000);
      const signing = app.keyRing.signingKey.kid;
      const before = await kids();
      const answer = await admin.post('/admin/keys/rotate', { immediately: 'yes' });
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/keys?done=activated`);
      const created = await added(before);
      expect(app.keyRing.signingKey.kid).toBe(created);
      expect(await published()).toEqual(expect.arrayContaining([created, signing]));
      expect((await events('key.activated_now'))[0]).toMatchObject({ actor: admin.user.id, subject: created, ip: '127.0.0.1', details: { previous_kid: signing } });
    });

    it('refuses an emergency box with a value the form never sends, and adds no key', async () => {
      const before = await kids();
      const answer = await admin.post('/admin/keys/rotate', { immediately: 'maybe' });
      expect(answer.status).toBe(400);
      expect(await kids()).toEqual(before);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password, and rotates only with the right one', async () => {
      const before = await kids();
      const rotations = (await events('key.rotation_scheduled')).length;
      clock.advance(16 * MINUTE);
      expect((await admin.page('/admin/keys')).body).toContain('name="confirm_password"');

      const asked = await admin.post('/admin/keys/rotate', {});
      expect(asked.status).toBe(403);
      expect(asked.body).toContain('Confirm it’s you');
      expect(asked.body).toContain('action="/admin/keys/rotate"');
      const wrong = await admin.post('/admin/keys/rotate', { confirm_password: 'not the password' });
      expect(wrong.status).toBe(403);
      expect(wrong.body).toContain('That password is not correct.');
      expect(await kids()).toEqual(before);
      expect((await events('key.rotation_scheduled')).length).toBe(rotations);

      const confirmed = await admin.post('/admin/keys/rotate', { confirm_password: PASSWORD });
      expect(confirmed.status).toBe(303);
      expect((await kids()).length).toBe(before.length + 1);
      expect((await events('key.rotation_scheduled')).length).toBe(rotations + 1);
    });
  });

  describe('revocation (a sensitive action)', () => {
    it('says what revoking the signing key breaks before anything is revoked', async () => {
      const signing = app.keyRing.signingKey.kid;
      const page = await admin.page(`/admin/keys/${signing}/revoke`);
      expect(page.body).toContain(`Revoke key <code>${signing}</code>?`);
      expect(page.body).toContain('removes it from the JWKS at once');
      expect(page.body).toContain('refuse every ID token and access token it signed');
      expect(page.body).toContain('those people must sign in again');
      expect(page.body).toMatch(/makes the scheduled key <code>[^<]+<\/code> sign at once|creates a new key that signs at once/);
      expect(page.body).toContain(`action="/admin/keys/${signing}/revoke"`);
      expect(await published()).toContain(signing);
    });

    it('takes the key out of the JWKS, revokes the refresh grants whose tokens it signed, replaces it as signing key, and records it', async () => {
      const browser = new Browser();
      const tokens = await tokensFor(app, client, browser, 'openid email');
      const kid = decodeProtectedHeader(tokens.id_token).kid ?? '';
      expect(kid).toBe(app.keyRing.signingKey.kid);

      const answer = await admin.post(`/admin/keys/${kid}/revoke`, {});
      expect(answer.status, answer.body).toBe(303);
      expect(answer.location).toBe(`${app.url}/admin/keys?done=replaced`);
      expect(await published()).not.toContain(kid);
      expect(app.keyRing.signingKey.kid).not.toBe(kid);
      const refused = await refresh(app, client, tokens.refresh_token);
      expect({ status: refused.status, error: refused.json.error }).toEqual({ status: 400, error: 'invalid_grant' });
      expect((await events('key.revoked'))[0]).toMatchObject({
        actor: admin.user.id,
        subject: kid,
        ip: '127.0.0.1',
        details: { was_signing: true, replacement_kid: app.keyRing.signingKey.kid, grants: 1, refresh_tokens: 1, sessions: 1 },
      });
      const page = await admin.page('/admin/keys?done=replaced');
      expect(noticeOf(page)).toContain('its replacement signs now');
      expect(page.body).toContain('<span class="badge badge-bad">revoked</span>');
      expect(page.body).not.toContain(`href="/admin/keys/${kid}/revoke"`);
    });

    it('refuses to revoke a key twice', async () => {
      const kid = app.keyRing.signingKey.kid;
      expect((await admin.post(`/admin/keys/${kid}/revoke`, {})).status).toBe(303);
      const revocations = (await events('key.revoked')).length;
      expect((await admin.post(`/admin/keys/${kid}/revoke`, {})).status).toBe(409);
      expect((await admin.browser.get(`${app.url}/admin/keys/${kid}/revoke`)).status).toBe(409);
      expect((await events('key.revoked')).length).toBe(revocations);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password, and revokes only with the right one', async () => {
      const kid = app.keyRing.signingKey.kid;
      const path = `/admin/keys/${kid}/revoke`;
      clock.advance(16 * MINUTE);
      expect((await admin.page(path)).body).toContain('name="confirm_password"');

      const asked = await admin.post(path, {});
      expect(asked.status).toBe(403);
      expect(asked.body).toContain('Confirm it’s you');
      const wrong = await admin.post(path, { confirm_password: 'not the password' });
      expect(wrong.status).toBe(403);
      expect(await published()).toContain(kid);
      expect((await events('key.revoked')).filter((event) => event.subject === kid)).toEqual([]);

      const confirmed = await admin.post(path, { confirm_password: PASSWORD });
      expect(confirmed.status).toBe(303);
      expect(await published()).not.toContain(kid);
      expect((await events('key.revoked')).filter((event) => event.subject === kid)).toHaveLength(1);
    });

    it('answers 404 for a key that does not exist, showing its id as text', async () => {
      const path = `/admin/keys/${encodeURIComponent(XSS)}/revoke`;
      const page = await admin.browser.get(`${app.url}${path}`);
      expect(page.status).toBe(404);
      expect(page.body).not.toContain(XSS);
      expect(page.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
      expect((await admin.post(path, {})).status).toBe(404);
    });
  });
});
