// The real store the manage-layer unit tests (test/unit/manage-*.test.ts) work on, and how they prove a refusal:
// a new SQLite file per test in a temp directory, a fake clock at T0 and a context acting as admin-1 from
// 192.0.2.1; `refusedWithoutWriting` holds an action to the error it should throw and to writing nothing.
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { ApiContext } from '../../src/manage/apis.js';
import type { ClientContext } from '../../src/manage/clients.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { T0 } from '../store/engines.js';
import { FakeClock } from './fake-clock.js';
import { tempDir } from './temp-dir.js';

export interface ManageStore {
  store: Store;
  clock: FakeClock;
  /** admin-1 from 192.0.2.1, passwords of 8 characters or more, private client URLs refused, issuer MANAGE_ISSUER. */
  ctx: ClientContext & ApiContext;
}

/** The issuer of the manage tests' context: an API's identifier may not be under it. */
export const MANAGE_ISSUER = 'https://id.example.com/idp';

/**
 * Before each test of the enclosing block, a new store, clock and context handed to `opened` (which may seed the
 * store); after it, the store closed and its directory removed.
 */
export function manageStorePerTest(opened: (fresh: ManageStore) => void | Promise<void>): void {
  let close = async (): Promise<void> => undefined;
  beforeEach(async () => {
    const dir = tempDir();
    const store = openSqliteStore({ file: path.join(dir.dir, 'gatehouse.db'), synchronous: 'NORMAL' });
    close = async () => {
      await store.close();
      dir.remove();
    };
    const clock = new FakeClock(T0);
    await opened({ store, clock, ctx: { store, clock, passwordMinLength: 8, actor: 'admin-1', ip: '192.0.2.1', config: { allowPrivateClientUrls: false, issuer: MANAGE_ISSUER } } });
  });
  afterEach(async () => {
    await close();
  });
}

/**
 * `refused(action, kind, message)`: the action, run twice, throws `kind` and then an error matching `message`;
 * `snapshot` (everything the action could write) reads the same before and after.
 */
export function refusedWithoutWriting(snapshot: () => Promise<unknown>) {
  return async function refused(action: () => Promise<unknown>, kind: new (...args: never[]) => Error, message: RegExp): Promise<void> {
    const before = await snapshot();
    await expect(action()).rejects.toThrow(kind);
    await expect(action()).rejects.toThrow(message);
    expect(await snapshot()).toEqual(before);
  };
}
