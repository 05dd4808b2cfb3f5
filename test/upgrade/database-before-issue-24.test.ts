// Migration 0015 (issue 24) over a database as issue 23 left it (schema 0014), on both engines: SQLite opened as the
// server opens it (migrated on its writer thread, dist/sqlite-writer.mjs) and PostgreSQL. Every client reads as
// the organisation's own, created by an administrator (first-party, as before: no consent is asked), without
// registration token or pages; the tokens issued before the upgrade are a person's connected apps; the new
// tables take consents and initial access tokens at once, and consents go with the client and the person.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/auth/secrets.js';
import { readMigrations } from '../../src/store/migrate.js';
import { appliedSqliteMigrations, migrateSqlite, openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/thread/threaded-store.js';
import type { Store } from '../../src/store/store.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { RP_REFRESH_TOKEN } from '../store/before-0013.js';
import { newRegistrationToken } from '../store/engines.js';
import { rowsAt0014, upgradedPostgres } from './rows-before.js';

const BEFORE_0015 = 14;
const NOW = Date.now();

async function expectMigrated(store: Store, applied: number[]): Promise<void> {
  expect(applied).toEqual(readMigrations('sqlite').map((migration) => migration.version));
  expect(applied).toContain(15);
  const issue24Defaults = { thirdParty: false, origin: 'admin', clientUri: null, policyUri: null, tosUri: null, registrationTokenHash: null };
  for (const id of ['rp', 'spa', 'svc']) expect(await store.clients.findById(id)).toMatchObject(issue24Defaults);
  expect(await store.clients.findById('rp')).toMatchObject({ accessPolicy: 'groups', refreshReuseGrace: 30, accessContact: 'Ask IT' });
  // An administrator's client has no registration token to rotate.
  expect(await store.clients.rotateRegistrationToken('rp', '', 'next', NOW)).toBe(false);
  // A client registered after the upgrade keeps its own.
  expect(await store.clients.update('spa', { thirdParty: true, clientUri: 'https://spa.example/' }, NOW)).toMatchObject({ thirdParty: true, origin: 'admin', clientUri: 'https://spa.example/' });

  // The refresh token issued before the upgrade is a connected app of its person; the rotated one is not.
  expect(await store.refreshTokens.clientsOfUser('u1', NOW)).toEqual([{ clientId: 'rp', scopes: ['openid', 'offline_access'], lastIssuedAt: NOW }]);
  expect(await store.refreshTokens.clientsOfUser('u2', NOW)).toEqual([]);
  expect(await store.consents.listForUser('u1')).toEqual([]);
  expect(await store.registrationTokens.list()).toEqual([]);

  expect(await store.consents.grant('u1', 'rp', ['openid', 'email'], NOW)).toMatchObject({ scopes: ['openid', 'email'] });
  expect(await store.consents.grant('u2', 'rp', ['openid'], NOW)).toMatchObject({ scopes: ['openid'] });
  expect(await store.consents.grant('u1', 'spa', ['openid'], NOW + 1)).toMatchObject({ scopes: ['openid'] });
  expect(await store.consents.grant('u2', 'spa', ['openid'], NOW + 1)).toMatchObject({ scopes: ['openid'] });
  await store.registrationTokens.create(newRegistrationToken('rt1', { createdAt: NOW, expiresAt: NOW + 60_000 }));
  expect(await store.registrationTokens.use('hash-of-rt1', NOW)).toMatchObject({ usesLeft: 0, used: 1 });

  // Removing access revokes the old grants too.
  expect(await store.refreshTokens.revokeForUserClient('u1', 'rp', NOW)).toBe(1);
  expect(await store.refreshTokens.find(hashSecret(RP_REFRESH_TOKEN))).toMatchObject({ revokedAt: NOW });
  expect(await store.accessTokens.revokeForUserClient('u1', 'rp', NOW)).toBe(1);
  expect(await store.codes.revokeForUserClient('u1', 'rp', NOW)).toBe(1);
  // Consents go with the client and with the person.
  expect(await store.clients.delete('rp')).toBe(true);
  expect((await store.consents.listForUser('u1')).map((consent) => consent.clientId)).toEqual(['spa']);
  expect((await store.consents.listForUser('u2')).map((consent) => consent.clientId)).toEqual(['spa']);
  expect(await store.users.delete('u2')).toBe(true);
  expect(await store.consents.listForUser('u2')).toEqual([]);
  expect(await store.consents.find('u1', 'spa')).not.toBeNull();
}

describe('migration 0015 over a database written before it (schema 0014)', () => {
  it('on SQLite, migrated by the server’s writer thread', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-0015-'));
    try {
      const file = path.join(dir, 'idp.sqlite');
      const old = openSqliteDatabase(file, { synchronous: 'NORMAL' });
      try {
        migrateSqlite(
          old,
          readMigrations('sqlite').filter((migration) => migration.version <= BEFORE_0015),
        );
        expect(appliedSqliteMigrations(old).at(-1)).toBe(BEFORE_0015);
        for (const sql of rowsAt0014(NOW)) old.exec(sql);
      } finally {
        old.close();
      }
      const store = await ThreadedSqliteStore.open({ file, synchronous: 'NORMAL' });
      try {
        const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
        let applied: number[];
        try {
          applied = appliedSqliteMigrations(db);
        } finally {
          db.close();
        }
        await expectMigrated(store, applied);
      } finally {
        await store.close();
      }
      const db = openSqliteDatabase(file, { synchronous: 'NORMAL' });
      try {
        expect(db.prepare('PRAGMA foreign_key_check').all()).toEqual([]);
      } finally {
        db.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!TEST_DATABASE_URL)('on PostgreSQL', async () => {
    await upgradedPostgres(TEST_DATABASE_URL ?? '', BEFORE_0015, rowsAt0014(NOW), expectMigrated);
  });
});
