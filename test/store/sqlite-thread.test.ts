// The server's SQLite store (src/store/sqlite/thread/): writes on a thread of their own, committed in groups.
// The store contract (./*.contract.test.ts) runs on it as one more engine; these are the properties only a
// thread and a group commit can break: durability before the answer, isolation of a failing call within a
// shared transaction, order, closing, and failing closed when the thread is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, StoreUnavailableError } from '../../src/errors.js';
import { migrateSqlite, openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { GroupCommit } from '../../src/store/sqlite/thread/group-commit.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/thread/threaded-store.js';
import { newClient, newSession, newUser, T0 } from './engines.js';

describe('the SQLite store on its writer thread', () => {
  let dir: string;
  let file: string;
  let store: ThreadedSqliteStore;
  /** Another connection, as the `idp` tool or a crash-restarted server would open it. */
  let outside: Database.Database;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-thread-'));
    file = path.join(dir, 'gatehouse.db');
    store = await ThreadedSqliteStore.open({ file, synchronous: 'FULL' });
    outside = new Database(file, { readonly: true });
  });

  afterEach(async () => {
    outside.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const outsideSees = (id: string): boolean => outside.prepare('SELECT 1 FROM users WHERE id = ?').get(id) !== undefined;

  it('answers a write only once it is committed: another connection sees it the moment the call resolves', async () => {
    await store.users.create(newUser('u0', 'zero@example.com'), T0);
    const seenOnAnswer = await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.sessions.create(newSession(`s${i}`, 'u0')).then(() => outside.prepare('SELECT 1 FROM sessions WHERE id_hash = ?').get(`s${i}`) !== undefined)),
    );
    expect(seenOnAnswer).toEqual(Array(40).fill(true));
  });

  it('commits concurrent calls together: forty writes sent at once take fewer commits than calls', async () => {
    await store.users.create(newUser('u0', 'zero@example.com'), T0);
    const before = await store.commitCounts();
    await Promise.all(Array.from({ length: 40 }, (_, i) => store.sessions.create(newSession(`s${i}`, 'u0'))));
    const after = await store.commitCounts();
    // The counts call itself is one more call in one more commit.
    expect(after.calls - before.calls).toBe(41);
    expect(after.commits - before.commits).toBeLessThan(20);
  });

  it('rolls back only the failing call of a shared commit, and rethrows its error as the same class', async () => {
    const results = await Promise.allSettled([
      store.users.create(newUser('u1', 'one@example.com'), T0),
      store.users.create(newUser('u2', 'ONE@example.com'), T0),
      store.users.create(newUser('u3', 'three@example.com'), T0),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const refused = (results[1] as PromiseRejectedResult).reason as Error;
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toMatch(/already exists/);
    expect([outsideSees('u1'), outsideSees('u2'), outsideSees('u3')]).toEqual([true, false, true]);
  });

  it('applies the writes of one turn in the order they were made, and a read after them sees the last', async () => {
    await store.users.create(newUser('u1', 'one@example.com'), T0);
    const names = ['Ada', 'Grace', 'Linus', 'Barbara'];
    // Made in one turn of the event loop: they travel to the thread as one message and share one commit.
    const updated = await Promise.all(names.map((name, i) => store.users.update('u1', { name }, T0 + 1 + i)));
    expect(updated.map((user) => user?.name)).toEqual(names);
    // Reads run on the caller's own connection, which sees every commit the thread has answered for.
    expect((await store.users.findById('u1'))?.name).toBe('Barbara');
    expect(outside.prepare('SELECT name FROM users WHERE id = ?').get('u1')).toEqual({ name: 'Barbara' });
  });

  it('lets exactly one of fifty concurrent consumers of one pending request win within shared commits', async () => {
    await store.clients.create(newClient('rp', 'Relying party'), T0);
    await store.authorizationRequests.create({ idHash: 'r1', browserHash: 'b', clientId: 'rp', params: { client_id: 'rp' }, createdAt: T0, expiresAt: T0 + 60_000 });
    const won = await Promise.all(Array.from({ length: 50 }, () => store.authorizationRequests.consume('r1', T0 + 1)));
    expect(won.filter((record) => record !== null)).toHaveLength(1);
  });

  it('answers every call made before close(), then refuses new ones with StoreUnavailableError', async () => {
    await store.users.create(newUser('u0', 'zero@example.com'), T0);
    const writes = Array.from({ length: 20 }, (_, i) => store.sessions.create(newSession(`s${i}`, 'u0')));
    const closing = store.close();
    await expect(Promise.all(writes)).resolves.toHaveLength(20);
    await closing;
    expect(outside.prepare('SELECT count(*) AS n FROM sessions').get()).toEqual({ n: 20 });
    await expect(store.users.create(newUser('u9', 'nine@example.com'), T0)).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('fails closed when the thread is gone: pending and later writes and the readiness ping reject with StoreUnavailableError', async () => {
    // The thread's handle is private; a test ending it stands in for a crash of the thread.
    const worker = (store as unknown as { worker: { terminate(): Promise<number> } }).worker;
    const pending = store.users.create(newUser('u1', 'one@example.com'), T0);
    await worker.terminate();
    await expect(pending).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.users.create(newUser('u2', 'two@example.com'), T0)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.ping()).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('refuses to open, with StoreUnavailableError, a database file it cannot create', async () => {
    const blocked = path.join(dir, 'not-a-dir');
    fs.writeFileSync(blocked, '');
    await expect(ThreadedSqliteStore.open({ file: path.join(blocked, 'gatehouse.db'), synchronous: 'FULL' })).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe('group commit when SQLite rolls the whole transaction back (a full disk, an I/O error)', () => {
  it('answers every call of the batch with the error, including those that ran before, and writes nothing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-group-'));
    const db = openSqliteDatabase(path.join(dir, 'gatehouse.db'), { synchronous: 'NORMAL' });
    try {
      migrateSqlite(db);
      const store = new SqliteStore(db);
      // What SQLite does on such an error: the transaction is gone when the statement's error reaches us.
      store.sessions.create = async () => {
        db.exec('ROLLBACK');
        throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
      };
      const groupCommit = new GroupCommit(db, store);
      const call = (id: number, repository: 'users' | 'sessions', method: string, args: unknown[]) => ({ id, repository, method, args });
      const replies = await groupCommit.run([
        call(1, 'users', 'create', [newUser('u1', 'one@example.com'), T0]),
        call(2, 'sessions', 'create', [newSession('s1', 'u1')]),
        call(3, 'users', 'create', [newUser('u3', 'three@example.com'), T0]),
      ]);
      expect(replies).toEqual([1, 2, 3].map((id) => ({ id, error: { name: 'Error', message: 'disk I/O error', code: 'SQLITE_IOERR' } })));
      expect(db.prepare('SELECT count(*) AS n FROM users').get()).toEqual({ n: 0 });
      // The next batch starts afresh.
      expect(await groupCommit.run([call(4, 'users', 'create', [newUser('u4', 'four@example.com'), T0])])).toMatchObject([{ id: 4, value: { id: 'u4' } }]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
