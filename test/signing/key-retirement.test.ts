// A superseded key's retirement, decided once and stored (src/signing/key-retirement.ts, Gatehouse issue 20): a
// token lifetime changed afterwards neither puts a retired key back into the JWKS nor retires one early. Run on
// every key store: files in KEYS_DIR, and the store (PostgreSQL mode) on every engine. A fake clock; the key
// stores and databases are real. Shared helpers: ../helpers/keys.ts and ../store/engines.ts.
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DatabaseKeyStore } from '../../src/signing/database-key-store.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import { retirementDelayMs } from '../../src/signing/key-schedule.js';
import type { KeyStore } from '../../src/signing/key-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { editMetadata, files, jwksOf, keysDir, loadError, metadataFile, pemFile, rotatedOnce, T0, useKeysDir } from '../helpers/keys.js';
import { engines } from '../store/engines.js';

useKeysDir();

const KEK = Buffer.alloc(32, 9);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The retirement delay with ID_TOKEN_TTL at `seconds` (access tokens shorter): that lifetime plus 60 s. */
const delayWith = (seconds: number) => retirementDelayMs({ idToken: seconds, accessToken: 600 });
const ONE_HOUR_TOKENS = delayWith(3600);
const TEN_HOUR_TOKENS = delayWith(36_000);

interface KeyStores {
  /** A key store on the shared keys: each call another process's (another node, the `idp` tool). */
  open(): Promise<KeyStore>;
  close(): Promise<void>;
}

interface Backend {
  name: string;
  setUp(): Promise<KeyStores>;
}

const backends: Backend[] = [
  { name: 'files in KEYS_DIR', setUp: async () => ({ open: async () => new FileKeyStore(keysDir, 2048), close: async () => undefined }) },
  ...engines.map((engine): Backend => ({
    name: `the store on ${engine.name}`,
    async setUp() {
      const opened = await engine.open();
      // Every node after the first on a connection (a pool) of its own, on the same database.
      const others: Store[] = [];
      let opens = 0;
      return {
        async open() {
          if (opens++ === 0) return new DatabaseKeyStore(opened.store, KEK, 2048, 15_000);
          const other = await opened.second();
          others.push(other);
          return new DatabaseKeyStore(other, KEK, 2048, 15_000);
        },
        async close() {
          for (const store of others) await store.close();
          await opened.destroy();
        },
      };
    },
  })),
];

describe.each(backends.map((backend) => [backend.name, backend] as const))('a retirement decided once, on %s', (_name, backend) => {
  /** Runs `test` with the shared keys, the key store of a process that is no key ring (the `idp` tool), and a fake clock. */
  async function withStores(test: (stores: KeyStores, tool: KeyStore, clock: FakeClock) => Promise<void>): Promise<void> {
    const stores = await backend.setUp();
    try {
      await test(stores, await stores.open(), new FakeClock(T0));
    } finally {
      await stores.close();
    }
  }
  const stored = async (tool: KeyStore, kid: string) => (await tool.list()).find((key) => key.kid === kid)?.retiredAt;
  const timeline = (ring: KeyRing, kid: string) => ring.schedule.keys.find((t) => t.key.kid === kid);
  const published = (ring: KeyRing) => jwksOf(ring).keys.map((key) => key.kid);

  /** A key ring (1 h ID tokens by default) signing with A, then B signing from a minute later; the ring has seen it. */
  async function superseded(stores: KeyStores, tool: KeyStore, clock: FakeClock, delay = ONE_HOUR_TOKENS) {
    const ring = await KeyRing.open(await stores.open(), clock, delay);
    const a = ring.signingKey.kid;
    clock.advance(MINUTE);
    const b = await tool.rotate(clock.now());
    await ring.reload();
    return { ring, a, b };
  }

  it('raising ID_TOKEN_TTL after a key was superseded neither extends its retirement nor puts it back into the JWKS', () =>
    withStores(async (stores, tool, clock) => {
      const { a, b } = await superseded(stores, tool, clock);
      expect(await stored(tool, a)).toBe(b.activatedAt + ONE_HOUR_TOKENS);
      // Restarted two hours later with 10 h ID tokens: A stays retired at the time decided.
      clock.advance(2 * HOUR);
      const restarted = await KeyRing.open(await stores.open(), clock, TEN_HOUR_TOKENS);
      expect(published(restarted)).toEqual([b.kid]);
      expect(timeline(restarted, a)).toMatchObject({ state: 'retired', retiresAt: b.activatedAt + ONE_HOUR_TOKENS });
      expect(await stored(tool, a)).toBe(b.activatedAt + ONE_HOUR_TOKENS);
    }));

  it('lowering it does not retire a key before the retirement decided for the tokens it signed', () =>
    withStores(async (stores, tool, clock) => {
      const { a, b } = await superseded(stores, tool, clock, TEN_HOUR_TOKENS);
      const retiresAt = b.activatedAt + TEN_HOUR_TOKENS;
      clock.advance(2 * HOUR);
      const restarted = await KeyRing.open(await stores.open(), clock, ONE_HOUR_TOKENS);
      expect(published(restarted)).toEqual([b.kid, a]);
      expect(timeline(restarted, a)).toMatchObject({ state: 'published', retiresAt });
      clock.advance(retiresAt - clock.now() - 1);
      expect(published(restarted)).toEqual([b.kid, a]);
      clock.advance(1);
      expect(published(restarted)).toEqual([b.kid]);
    }));

  it('gives a key superseded before retirements were stored its retirement on the first load, with the delay then in effect', () =>
    withStores(async (stores, tool, clock) => {
      // What an earlier version left: A superseded by B, and A's retirement nowhere.
      const [first] = await tool.load(clock.now());
      const a = first?.kid ?? '';
      clock.advance(MINUTE);
      const b = await tool.rotate(clock.now());
      clock.advance(3 * HOUR);
      expect(await stored(tool, a)).toBeNull();
      await KeyRing.open(await stores.open(), clock, ONE_HOUR_TOKENS);
      expect(await stored(tool, a)).toBe(b.activatedAt + ONE_HOUR_TOKENS);
      // From then on it is what every process uses, whatever its lifetimes.
      const later = await KeyRing.open(await stores.open(), clock, TEN_HOUR_TOKENS);
      expect(published(later)).toEqual([b.kid]);
    }));

  it('stores one retirement when two key rings decide at once, and both rings follow it', () =>
    withStores(async (stores, tool, clock) => {
      const short = await KeyRing.open(await stores.open(), clock, ONE_HOUR_TOKENS);
      const long = await KeyRing.open(await stores.open(), clock, TEN_HOUR_TOKENS);
      const a = short.signingKey.kid;
      clock.advance(MINUTE);
      const b = await tool.rotate(clock.now());
      await Promise.all([short.reload(), long.reload()]);
      const decided = timeline(short, a)?.retiresAt;
      expect([b.activatedAt + ONE_HOUR_TOKENS, b.activatedAt + TEN_HOUR_TOKENS]).toContain(decided);
      expect(timeline(long, a)?.retiresAt).toBe(decided);
      expect(await stored(tool, a)).toBe(decided);
    }));

  it('keeps the decision made first against later ones, and tells each process that one', () =>
    withStores(async (stores, tool, clock) => {
      const { a, b } = await superseded(stores, tool, clock);
      const processes = await Promise.all(Array.from({ length: 4 }, () => stores.open()));
      const later = processes.map((_, i) => b.activatedAt + delayWith(7200 + i * 3600));
      const answers = await Promise.all(processes.map((keys, i) => keys.decideRetirement(a, later[i] ?? 0)));
      expect(answers.map((key) => key?.retiredAt)).toEqual(later.map(() => b.activatedAt + ONE_HOUR_TOKENS));
      expect(await stored(tool, a)).toBe(b.activatedAt + ONE_HOUR_TOKENS);
      expect(await tool.decideRetirement('no-such-kid', b.activatedAt)).toBeNull();
    }));

  it('makes one decision of several made at once by as many processes on a key nobody decided yet', () =>
    withStores(async (stores, tool, clock) => {
      const [first] = await tool.load(clock.now());
      const a = first?.kid ?? '';
      clock.advance(MINUTE);
      await tool.rotate(clock.now());
      const processes = await Promise.all(Array.from({ length: 4 }, () => stores.open()));
      const candidates = processes.map((_, i) => clock.now() + (i + 1) * HOUR);
      const answers = (await Promise.all(processes.map((keys, i) => keys.decideRetirement(a, candidates[i] ?? 0)))).map((key) => key?.retiredAt);
      expect(new Set(answers).size).toBe(1);
      expect(candidates).toContain(answers[0]);
      expect(await stored(tool, a)).toBe(answers[0]);
    }));

  it('leaves revocation immediate: a key with a decided retirement leaves the JWKS when revoked, and a revoked key gets none', () =>
    withStores(async (stores, tool, clock) => {
      const { ring, a, b } = await superseded(stores, tool, clock);
      await tool.update(a, { revokedAt: clock.now() });
      await ring.reload();
      expect(published(ring)).toEqual([b.kid]);
      expect(timeline(ring, a)?.state).toBe('revoked');
      // B revoked as C takes over (`idp keys revoke`): nothing is decided for B.
      clock.advance(MINUTE);
      await tool.rotate(clock.now());
      await tool.update(b.kid, { revokedAt: clock.now() });
      await ring.reload();
      expect(await stored(tool, b.kid)).toBeNull();
    }));

  it('stores the retirement as the clock supersedes a key while following the store, without waiting for a reload', () =>
    withStores(async (stores, tool, clock) => {
      const ring = await KeyRing.open(await stores.open(), clock, ONE_HOUR_TOKENS);
      const a = ring.signingKey.kid;
      const b = await ring.scheduleKey(clock.now() + 10 * MINUTE);
      const errors: unknown[] = [];
      const stop = ring.follow((error) => errors.push(error));
      try {
        clock.advance(10 * MINUTE);
        expect(ring.signingKey.kid).toBe(b?.kid);
        // Until it is stored the ring already retires A as it decides.
        expect(timeline(ring, a)?.retiresAt).toBe(clock.now() + ONE_HOUR_TOKENS);
        await ring.retirementsStored();
      } finally {
        stop();
      }
      expect(errors).toEqual([]);
      expect(await stored(tool, a)).toBe(clock.now() + ONE_HOUR_TOKENS);
    }));
});

describe('a retirement decided on files in KEYS_DIR', () => {
  const keys = () => new FileKeyStore(keysDir, 2048);
  const retirementFile = (kid: string) => path.join(keysDir, `${kid}.retirement`);

  async function decidedOnFiles() {
    const clock = new FakeClock(T0);
    const ring = await KeyRing.open(keys(), clock, ONE_HOUR_TOKENS);
    const a = ring.signingKey.kid;
    const metadata = readFileSync(metadataFile(a), 'utf8');
    clock.advance(MINUTE);
    const b = await keys().rotate(clock.now());
    await ring.reload();
    return { a, b, metadata };
  }

  it('keeps it in <kid>.retirement, written once, and never rewrites <kid>.json, which `idp keys revoke` rewrites', async () => {
    const { a, b, metadata } = await decidedOnFiles();
    expect(readFileSync(metadataFile(a), 'utf8')).toBe(metadata);
    expect(readFileSync(retirementFile(a), 'utf8')).toBe(`${new Date(b.activatedAt + ONE_HOUR_TOKENS).toISOString()}\n`);
    // No temporary file left behind.
    expect(files()).toEqual([`${a}.json`, `${a}.key.pem`, `${a}.retirement`, `${b.kid}.json`, `${b.kid}.key.pem`].sort());
  });

  it('lets a retirement in the metadata (a hand edit, an import) win over the one decided', async () => {
    const { a } = await decidedOnFiles();
    editMetadata(a, { retiredAt: new Date(T0 + 5 * MINUTE).toISOString() });
    expect((await keys().list()).find((key) => key.kid === a)?.retiredAt).toBe(T0 + 5 * MINUTE);
  });

  it('refuses a retirement file that holds no time, naming it, rather than guess one', async () => {
    const { a } = await decidedOnFiles();
    writeFileSync(retirementFile(a), 'soon\n');
    const error = await loadError();
    expect(error.message).toBe(`signing key file ${retirementFile(a)} is corrupted: it is not a retirement time`);
  });

  it('decides it for a key file of an earlier version (a `state`, no revokedAt) like for any other', async () => {
    const [a, b] = await rotatedOnce();
    writeFileSync(metadataFile(a), JSON.stringify({ kid: a, alg: 'RS256', state: 'published', createdAt: new Date(T0).toISOString(), activatedAt: new Date(T0).toISOString(), retiredAt: null }));
    await KeyRing.open(keys(), new FakeClock(T0 + 2 * HOUR), ONE_HOUR_TOKENS);
    expect((await keys().list()).find((key) => key.kid === a)?.retiredAt).toBe(T0 + HOUR + ONE_HOUR_TOKENS);
    const later = await KeyRing.open(keys(), new FakeClock(T0 + 3 * HOUR), TEN_HOUR_TOKENS);
    expect(jwksOf(later).keys.map((key) => key.kid)).toEqual([b]);
  });

  it('forgets a decision left behind by a key deleted by hand when a key of that kid is adopted again (`idp import`)', async () => {
    const { a } = await decidedOnFiles();
    const [key] = (await keys().list()).filter((k) => k.kid === a);
    if (!key) throw new Error('no key A');
    unlinkSync(metadataFile(a));
    unlinkSync(pemFile(a));
    await keys().adopt({ ...key, retiredAt: null });
    expect(existsSync(retirementFile(a))).toBe(false);
    expect((await keys().list()).find((k) => k.kid === a)?.retiredAt).toBeNull();
  });
});
