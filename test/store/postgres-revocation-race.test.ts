// PostgreSQL only: a family revocation racing a refresh (issue 20). Under READ COMMITTED an UPDATE sees the rows of
// the snapshot taken when the statement began; a row locked by another transaction makes it wait, and a successor
// inserted meanwhile is not in its snapshot. The refresh that won the rotation records its successor and then reads
// the spent token: if that read comes before the revocation commits, and the revocation's snapshot came before the
// successor, neither party sees the other and the successor lives on in a revoked family (RFC 9700 §4.14.2).
// A lock held by the test opens that window on purpose, so the interleaving is forced, not hoped for.
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { Store } from '../../src/store/store.js';
import { freshPostgresSchema, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres.js';
import { newToken, seedUserAndClient, T0 } from './engines.js';

/** Resolves once a backend of this schema's database waits on a row lock (the revocation has begun and is stuck). */
async function untilSomeoneWaitsOnALock(admin: pg.Client): Promise<void> {
  // Bounded: 500 polls of 10 ms; the statement reaches its lock at once, so this rarely polls twice.
  for (let i = 0; i < 500; i++) {
    const { rows } = await admin.query<{ waiting: string }>("SELECT count(*) AS waiting FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
    if (Number(rows[0]?.waiting) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('the revocation never waited on the lock');
}

describe.skipIf(!TEST_DATABASE_URL)('PostgreSQL: a revocation that began before a successor was recorded', () => {
  let schema: TestSchema;
  let store: Store;
  let blocker: pg.Client;
  let admin: pg.Client;

  beforeEach(async () => {
    schema = await freshPostgresSchema(TEST_DATABASE_URL ?? '');
    store = await openPostgresStore({ url: TEST_DATABASE_URL ?? '', poolSize: 4, schema: schema.schema });
    await seedUserAndClient(store);
    blocker = new pg.Client({ connectionString: schema.url });
    admin = new pg.Client({ connectionString: schema.url });
    await Promise.all([blocker.connect(), admin.connect()]);
  });

  afterEach(async () => {
    await Promise.all([blocker.end(), admin.end()]);
    await store.close();
    await schema.drop();
  });

  /**
   * The spent token `spent` is row-locked by the blocker; `revoke` starts (its snapshot taken, then stuck on the
   * lock); the winner records its successor and reads the spent token (still live to it); the lock goes; the
   * revocation finishes. Returns the successor as stored afterwards.
   */
  async function raceSuccessorAgainst(revoke: () => Promise<number>, scope = 'openid offline_access') {
    await store.refreshTokens.create(newToken('spent', 'u1', 'rp', { sessionIdHash: 's1', scope }));
    expect(await store.refreshTokens.rotate('spent', T0 + 1)).not.toBeNull();
    await blocker.query('BEGIN');
    await blocker.query("SELECT 1 FROM refresh_tokens WHERE token_hash = 'spent' FOR UPDATE");
    const revocation = revoke();
    await untilSomeoneWaitsOnALock(admin);
    await store.refreshTokens.create(newToken('successor', 'u1', 'rp', { sessionIdHash: 's1', scope, createdAt: T0 + 2 }));
    // What the winning refresh checks after recording its successor (src/oidc/grants/refresh-token.ts).
    expect((await store.refreshTokens.find('spent'))?.revokedAt).toBeNull();
    await blocker.query('COMMIT');
    await revocation;
    return store.refreshTokens.find('successor');
  }

  it('revoking the grant (a reuse) revokes the successor too', async () => {
    const successor = await raceSuccessorAgainst(() => store.refreshTokens.revokeGrant('grant-1', T0 + 3));
    expect(successor?.revokedAt).toBe(T0 + 3);
  });

  it("revoking the user's tokens (a password change) revokes the successor too", async () => {
    const successor = await raceSuccessorAgainst(() => store.refreshTokens.revokeForUser('u1', T0 + 3));
    expect(successor?.revokedAt).toBe(T0 + 3);
  });

  it("revoking the session's tokens (a logout) revokes the successor too", async () => {
    const successor = await raceSuccessorAgainst(() => store.refreshTokens.revokeForSession('s1', T0 + 3, { keepOffline: false }));
    expect(successor?.revokedAt).toBe(T0 + 3);
  });

  it('a logout that keeps offline grants (OIDC Core §11) revokes the successor of an online token too', async () => {
    const successor = await raceSuccessorAgainst(() => store.refreshTokens.revokeForSession('s1', T0 + 3, { keepOffline: true }), 'openid');
    expect(successor?.revokedAt).toBe(T0 + 3);
  });
});
