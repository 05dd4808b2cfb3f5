// Re-entering the password for a sensitive admin action is not signing in again (issue 19, F6). It used to move
// the session's auth_time (keeping its old amr), so every ID token minted afterwards, and every max_age check,
// treated an hours-old sign-in (and its second factor) as fresh. The re-entry is now kept apart: the admin gate
// counts it as recent for 15 minutes, and auth_time stays when the person signed in (OIDC Core §2, §3.1.2.1).
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, addUser, authorizationUrl, open, PASSWORD, type TestClient } from '../helpers/oidc.js';
import { tokensFor } from '../helpers/refresh.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const MINUTE = 60_000;

describe('admin re-authentication keeps auth_time (issue 19, F6)', () => {
  let app: RunningApp;
  let clock: FakeClock;
  let client: TestClient;

  beforeAll(async () => {
    clock = new FakeClock();
    app = await startApp({ clock });
    client = await addClient(app);
  });

  afterAll(async () => {
    await app?.stop();
  });

  /** Granting admin: an action behind the recent-sign-in gate. */
  const grantAdmin = (admin: SignedInAdmin, target: UserRecord, extra: Record<string, string> = {}) =>
    admin.post(`/admin/users/${target.id}`, { email: target.email, name: target.name ?? '', admin: 'on', ...extra });

  const sessionOf = async (admin: SignedInAdmin) => app.store.sessions.findLive(hashSecret(admin.browser.cookie(new URL(app.url).origin, 'gatehouse_session') ?? ''), clock.now());

  it('leaves auth_time at the sign-in while the admin gate counts the re-entered password as recent', async () => {
    const admin = await signedInAdmin(app);
    const signedInAt = clock.now();
    const first = await addUser(app, 'first@example.com', { name: 'First' });
    const second = await addUser(app, 'second@example.com', { name: 'Second' });
    const third = await addUser(app, 'third@example.com', { name: 'Third' });

    clock.advance(60 * MINUTE);
    const asked = await grantAdmin(admin, first);
    expect(asked.status).toBe(403);
    expect(asked.body).toContain('Confirm it’s you');
    const reauthenticatedAt = clock.now();
    const confirmed = await grantAdmin(admin, first, { confirm_password: PASSWORD });
    expect(confirmed.status, confirmed.body).toBe(303);
    expect((await app.store.users.findById(first.id))?.isAdmin).toBe(true);

    // Recent for the gate: the next sensitive action within 15 minutes asks nothing.
    clock.advance(5 * MINUTE);
    expect((await grantAdmin(admin, second)).status).toBe(303);
    expect((await app.store.users.findById(second.id))?.isAdmin).toBe(true);

    // Not a sign-in: the session still says when the person signed in, and so does an ID token minted now.
    expect(await sessionOf(admin)).toMatchObject({ authTime: signedInAt, reauthenticatedAt });
    const tokens = await tokensFor(app, client, admin.browser, 'openid', admin.user.email);
    expect(decodeJwt(tokens.id_token).auth_time).toBe(Math.floor(signedInAt / 1000));
    // max_age counts from the sign-in too: 10 minutes asks for the password again, though it was typed 5 minutes ago.
    const start = await authorizationUrl(client, { max_age: '600' });
    const login = await open(admin.browser, app, start.url);
    expect(login.status, login.location ?? '').toBe(200);
    expect(login.body).toContain('name="password"');

    // And the re-entry goes stale like a sign-in: 15 minutes after it, the gate asks again.
    clock.advance(11 * MINUTE);
    const again = await grantAdmin(admin, third);
    expect(again.status).toBe(403);
    expect((await app.store.users.findById(third.id))?.isAdmin).toBe(false);
  });
});
