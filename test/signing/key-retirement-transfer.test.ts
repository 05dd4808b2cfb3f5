// `idp export` then `idp import` (src/manage/export.ts, import.ts) carry a superseded key's decided retirement
// (src/signing/key-retirement.ts): the target, whatever its token lifetimes, retires the key when the source
// decided. From key files on SQLite into every kind of target: key files, and the store on every engine.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportData, type Progress, type TransferDeps } from '../../src/manage/export.js';
import { importData } from '../../src/manage/import.js';
import { DatabaseKeyStore } from '../../src/signing/database-key-store.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import { retirementDelayMs } from '../../src/signing/key-schedule.js';
import type { KeyStore } from '../../src/signing/key-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { jwksOf, T0 } from '../helpers/keys.js';
import { tempDir } from '../helpers/temp-dir.js';
import { engines } from '../store/engines.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const ONE_HOUR_TOKENS = retirementDelayMs({ idToken: 3600, accessToken: 600 });
const TEN_HOUR_TOKENS = retirementDelayMs({ idToken: 36_000, accessToken: 600 });
const TRANSFER_KEY = Buffer.alloc(32, 3);
const KEK = Buffer.alloc(32, 9);
const quiet: Progress = { start: () => undefined, advance: () => undefined, stop: () => undefined };

interface Target {
  store: Store;
  keys: KeyStore;
  close(): Promise<void>;
}

const targets: [string, (dir: string) => Promise<Target>][] = [
  [
    'key files beside SQLite',
    async (dir) => {
      const store = openSqliteStore({ file: path.join(dir, 'target.db'), synchronous: 'NORMAL' });
      return { store, keys: new FileKeyStore(path.join(dir, 'target-keys'), 2048), close: () => store.close() };
    },
  ],
  ...engines.map((engine): [string, (dir: string) => Promise<Target>] => [
    `the store on ${engine.name}`,
    async () => {
      const opened = await engine.open();
      return { store: opened.store, keys: new DatabaseKeyStore(opened.store, KEK, 2048, 15_000), close: () => opened.destroy() };
    },
  ]),
];

async function* linesOf(lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

describe.each(targets)('export and import into %s', (_name, openTarget) => {
  it('keep the retirement decided for a superseded key, so that the target retires it then, whatever its lifetimes', async () => {
    const { dir, remove } = tempDir();
    const source = openSqliteStore({ file: path.join(dir, 'source.db'), synchronous: 'NORMAL' });
    let target: Target | undefined;
    try {
      const clock = new FakeClock(T0);
      const deps = (store: Store, keys: KeyStore): TransferDeps => ({
        store,
        keys,
        transferKey: TRANSFER_KEY,
        secretBox: () => Promise.reject(new Error('no sealed secret to move')),
        issuer: 'https://id.example',
        clock,
      });
      // The source server, with 1 h ID tokens, saw A superseded by B.
      const sourceKeys = new FileKeyStore(path.join(dir, 'keys'), 2048);
      const ring = await KeyRing.open(sourceKeys, clock, ONE_HOUR_TOKENS);
      const a = ring.signingKey.kid;
      clock.advance(MINUTE);
      const b = await sourceKeys.rotate(clock.now());
      await ring.reload();
      const retiresAt = b.activatedAt + ONE_HOUR_TOKENS;

      const lines: string[] = [];
      await exportData(deps(source, sourceKeys), async (line) => void lines.push(line), quiet);
      const exported = lines.map((line) => JSON.parse(line) as { signing_key?: { kid: string; retired_at: number | null } });
      expect(exported.find((line) => line.signing_key?.kid === a)?.signing_key?.retired_at).toBe(retiresAt);

      target = await openTarget(dir);
      await importData(deps(target.store, target.keys), linesOf(lines), quiet);
      expect((await target.keys.list()).find((key) => key.kid === a)?.retiredAt).toBe(retiresAt);
      // The target runs with 10 h ID tokens: A still retires when the source decided.
      clock.advance(2 * HOUR);
      const imported = await KeyRing.open(target.keys, clock, TEN_HOUR_TOKENS);
      expect(jwksOf(imported).keys.map((key) => key.kid)).toEqual([b.kid]);
      expect(imported.schedule.keys.find((t) => t.key.kid === a)).toMatchObject({ state: 'retired', retiresAt });
    } finally {
      await target?.close();
      await source.close();
      remove();
    }
  });
});
