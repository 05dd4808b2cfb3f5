// A database from before issue 20 holds password hashes in the order argon2 0.45.1 wrote (m,p,t). They keep
// working, and each becomes canonical (m,t,p, src/auth/phc.ts) at its owner's next successful sign-in: the same
// salt and digest, no second hashing, the mailed links left alone; a wrong password rewrites nothing.
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, normalizePassword } from '../../src/auth/password-hash.js';
import { canonicalArgon2 } from '../../src/auth/phc.js';
import { hashSecret } from '../../src/auth/secrets.js';
import type { UserRecord } from '../../src/store/records.js';
import { Browser } from '../helpers/browser.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { addClient, authorizationUrl, open, PASSWORD, submitLogin, type TestClient } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

describe('password hashes stored in the old parameter order', () => {
  const clock = new FakeClock();
  let app: RunningApp;
  let client: TestClient;

  async function legacyUser(email: string): Promise<UserRecord> {
    const passwordHash = await argon2.hash(normalizePassword(PASSWORD), ARGON2_OPTIONS);
    expect(passwordHash).toMatch(/\$m=19456,p=1,t=2\$/);
    return app.store.users.create({ id: `legacy-${email.split('@')[0]}`, email, name: null, passwordHash, isAdmin: false, disabled: false, emailVerified: true }, clock.now());
  }

  async function signInAs(email: string, password = PASSWORD): Promise<number> {
    const browser = new Browser();
    const start = await authorizationUrl(client);
    return (await submitLogin(browser, await open(browser, app, start.url), email, password)).status;
  }

  beforeAll(async () => {
    app = await startApp({ clock });
    client = await addClient(app);
  });
  afterAll(() => app.stop());

  it('signs the person in and rewrites the hash in canonical order, same salt and digest, mailed links kept', async () => {
    const user = await legacyUser('old@example.com');
    await app.store.accountTokens.create({
      tokenHash: hashSecret('a-reset-link'),
      purpose: 'password_reset',
      userId: user.id,
      email: user.email,
      createdAt: clock.now(),
      expiresAt: clock.now() + 3_600_000,
    });
    clock.advance(1000);
    expect(await signInAs(user.email)).toBe(303);
    const stored = await app.store.users.findById(user.id);
    expect(stored?.passwordHash).toBe(canonicalArgon2(user.passwordHash));
    expect(stored?.passwordHash).toMatch(/\$m=19456,t=2,p=1\$/);
    expect(await app.store.accountTokens.findLive(hashSecret('a-reset-link'), 'password_reset', clock.now())).not.toBeNull();
    // And it still signs in, now from the canonical hash, which is not written again.
    clock.advance(1000);
    expect(await signInAs(user.email)).toBe(303);
    expect((await app.store.users.findById(user.id))?.updatedAt).toBe(stored?.updatedAt);
  });

  it('rewrites nothing after a wrong password', async () => {
    const user = await legacyUser('wrong@example.com');
    expect(await signInAs(user.email, `${PASSWORD}x`)).toBe(401);
    expect((await app.store.users.findById(user.id))?.passwordHash).toBe(user.passwordHash);
  });
});
