// The SQLite database's file modes (issue 19, F10): idp.sqlite holds password hashes, sealed second-factor keys
// and token hashes, so it and its WAL companions are private to their owner whatever the umask, and the data
// directory we create is too. Run under a 022 umask (the usual one, which left the file 0644), both for the
// `idp` tool's direct store and for the server's store on its writer thread.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteDatabase } from '../../src/store/sqlite/database.js';
import { ThreadedSqliteStore } from '../../src/store/sqlite/thread/threaded-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { T0 } from './engines.js';

const modeOf = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8).padStart(4, '0');

/** The modes of the database and its companions, as they are while a store has them open. */
function modes(file: string): Record<string, string> {
  return { db: modeOf(file), wal: modeOf(`${file}-wal`), shm: modeOf(`${file}-shm`) };
}

/** An open database that has written something: its -wal and -shm exist. */
interface Opened {
  write(): Promise<void>;
  close(): Promise<void>;
}

const openers: [string, (file: string, warn: (message: string) => void) => Promise<Opened>][] = [
  // The connection every store is built on (openSqliteStore, the `idp` tool), warnings heard here rather than as process warnings.
  [
    'a direct connection',
    async (file, warn) => {
      const db = openSqliteDatabase(file, { synchronous: 'NORMAL', warn });
      return {
        write: async () => {
          db.exec('CREATE TABLE IF NOT EXISTS t (x INTEGER); INSERT INTO t VALUES (1)');
        },
        close: async () => {
          db.close();
        },
      };
    },
  ],
  [
    'the store on its writer thread',
    async (file, warn) => {
      const store = await ThreadedSqliteStore.open({ file, synchronous: 'NORMAL' }, { warn });
      return {
        write: async () => {
          await store.throttle.attempt('k', { limit: 5, windowMs: 60_000, block: { kind: 'window' }, memoryMs: 60_000 }, T0);
        },
        close: () => store.close(),
      };
    },
  ],
];

describe.each(openers)('SQLite file modes, %s', (_name, open) => {
  let dir: string;
  let remove: () => void;
  let umask: number;
  let store: Opened | undefined;
  let warnings: string[];
  const warn = (message: string) => warnings.push(message);

  beforeEach(() => {
    ({ dir, remove } = tempDir());
    umask = process.umask(0o022);
    warnings = [];
  });

  afterEach(async () => {
    await store?.close();
    store = undefined;
    process.umask(umask);
    remove();
  });

  it('creates the data directory 0700, and idp.sqlite, its -wal and its -shm 0600, under a 022 umask', async () => {
    const file = path.join(dir, 'data', 'idp.sqlite');
    store = await open(file, warn);
    await store.write();
    expect(modeOf(path.join(dir, 'data'))).toBe('0700');
    expect(modes(file)).toEqual({ db: '0600', wal: '0600', shm: '0600' });
    expect(warnings).toEqual([]);
  });

  it('creates idp.sqlite and its WAL files 0600 in a data directory that was already there (0755), and leaves the directory as it was', async () => {
    const data = path.join(dir, 'data');
    fs.mkdirSync(data, { mode: 0o755 });
    const file = path.join(data, 'idp.sqlite');
    store = await open(file, warn);
    await store.write();
    expect(modes(file)).toEqual({ db: '0600', wal: '0600', shm: '0600' });
    expect(modeOf(data)).toBe('0755');
    expect(warnings).toEqual([]);
  });

  it('tightens an existing database and WAL files readable by others (0644, left by an older version) to 0600, with a warning for each', async () => {
    const file = path.join(dir, 'idp.sqlite');
    // What an older version left under a 022 umask, still open by another process (so its -wal and -shm exist).
    const older = new Database(file);
    older.pragma('journal_mode = WAL');
    older.exec('CREATE TABLE leftover (x INTEGER)');
    older.exec('INSERT INTO leftover VALUES (1)');
    expect(modes(file)).toEqual({ db: '0644', wal: '0644', shm: '0644' });
    try {
      store = await open(file, warn);
      await store.write();
      expect(modes(file)).toEqual({ db: '0600', wal: '0600', shm: '0600' });
      expect(warnings).toEqual(['', '-wal', '-shm'].map((suffix) => `${file}${suffix} was accessible to other users (mode 0644); its mode is now 0600`));
    } finally {
      older.close();
    }
  });

  it('keeps a database that is already private as it is, without a warning', async () => {
    const file = path.join(dir, 'idp.sqlite');
    fs.writeFileSync(file, '', { mode: 0o600 });
    store = await open(file, warn);
    await store.write();
    expect(modes(file)).toEqual({ db: '0600', wal: '0600', shm: '0600' });
    expect(warnings).toEqual([]);
  });
});
