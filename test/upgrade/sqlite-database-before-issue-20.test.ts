// "Done when" of issue 20: an existing SQLite database created before it (schema 0008, hashes in the order argon2
// 0.45.1 wrote, m,p,t) keeps working under today's code. The server migrates it at start (0009 onwards: the sign-in
// challenges table rebuilt by 0011 keeps its rows), its people sign in through a real client library, and each
// hash becomes canonical (m,t,p) at that sign-in, which an independent implementation (libargon2 through Debian's
// python3-argon2) then verifies.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import argon2 from 'argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, normalizePassword } from '../../src/auth/password-hash.js';
import { hashSecret } from '../../src/auth/secrets.js';
import { readMigrations } from '../../src/store/migrate.js';
import { appliedSqliteMigrations, migrateSqlite, openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { Browser } from '../helpers/browser.js';
import { addClient, authorizationUrl, PASSWORD, redeem, signIn } from '../helpers/oidc.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';

const BEFORE_ISSUE_20 = 8;
const USER_ID = 'usr_before_issue_20';
const EMAIL = 'grace@example.com';

function libargon2Verifies(hash: string, password: string): boolean {
  const script = 'import sys\nfrom argon2 import PasswordHasher\ntry:\n  print(PasswordHasher().verify(sys.argv[1], sys.argv[2]))\nexcept Exception as e:\n  print(type(e).__name__)';
  return execFileSync('/usr/bin/python3', ['-c', script, hash, password], { encoding: 'utf8' }).trim() === 'True';
}

describe('a SQLite database from before issue 20', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-upgrade-'));
  const dataDir = path.join(dir, 'data');
  const file = path.join(dataDir, 'idp.sqlite');
  const challengeHash = hashSecret('a second step waiting across the upgrade');
  let legacyHash: string;
  let app: RunningApp;

  beforeAll(async () => {
    mkdirSync(dataDir, { recursive: true });
    const old = openSqliteDatabase(file, { synchronous: 'NORMAL' });
    migrateSqlite(
      old,
      readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_ISSUE_20),
    );
    legacyHash = await argon2.hash(normalizePassword(PASSWORD), ARGON2_OPTIONS);
    expect(legacyHash).toMatch(/\$m=19456,p=1,t=2\$/);
    const now = Date.now();
    old
      .prepare(
        `INSERT INTO users (id, email, email_normalized, name, name_normalized, password_hash, is_admin, disabled, email_verified, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, 0, 0, 1, ?, ?)`,
      )
      .run(USER_ID, EMAIL, EMAIL, 'Grace Hopper', 'grace hopper', legacyHash, now, now);
    old
      .prepare(
        `INSERT INTO sign_in_challenges (id_hash, purpose, browser_hash, user_id, value, created_at, expires_at, used_at)
      VALUES (?, 'second_factor', ?, ?, 'pwd', ?, ?, NULL)`,
      )
      .run(challengeHash, hashSecret('a browser'), USER_ID, now, now + 600_000);
    old.close();
    app = await startApp({ env: { DATA_DIR: dataDir } });
  });
  afterAll(async () => {
    await app.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is migrated at start to the current schema, keeping its rows', async () => {
    const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
    try {
      expect(appliedSqliteMigrations(db)).toEqual(readMigrations('sqlite').map((migration) => migration.version));
    } finally {
      db.close();
    }
    expect(await app.store.signInChallenges.findLive(challengeHash, 'second_factor', Date.now())).toMatchObject({ userId: USER_ID, value: 'pwd' });
    expect((await app.store.users.findById(USER_ID))?.passwordHash).toBe(legacyHash);
  });

  it('signs its people in (openid-client), and their hashes become canonical, read by libargon2', async () => {
    expect(libargon2Verifies(legacyHash, normalizePassword(PASSWORD))).toBe(false);
    const client = await addClient(app, { name: 'After the upgrade' });
    const start = await authorizationUrl(client);
    const callback = await signIn(new Browser(), app, start, EMAIL);
    const tokens = await redeem(client, callback, start);
    expect(tokens.claims()?.sub).toBe(USER_ID);
    const stored = (await app.store.users.findById(USER_ID))?.passwordHash ?? '';
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    // The same salt and digest: the order was rewritten, the password not hashed again.
    expect(stored.split('$').slice(4)).toEqual(legacyHash.split('$').slice(4));
    expect(libargon2Verifies(stored, normalizePassword(PASSWORD))).toBe(true);
    expect(libargon2Verifies(stored, 'not the password at all')).toBe(false);
  });
});
