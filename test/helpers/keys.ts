// Shared pieces of the signing-key tests (test/signing/): a fresh KEYS_DIR per test, a fake clock, helpers to read
// and damage the key files, and shortcuts to make a first key or a rotation.
//
// `root`, `keysDir` and `now` are live bindings: tests read them directly and change them through setKeysDir and
// setNow. Each test file calls useKeysDir() once so that every test starts from an empty KEYS_DIR at T0.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import type { Clock } from '../../src/clock.js';
import { KeyStoreError } from '../../src/errors.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import type { KeyRing } from '../../src/signing/key-ring.js';
import { tempDir } from './temp-dir.js';

export const T0 = Date.parse('2025-03-01T10:00:00.000Z');

/** The test's temporary directory; KEYS_DIR lives inside it and does not exist until a key store creates it. */
export let root: string;
export let keysDir: string;
/** The fake time, read by `clock` and passed to load() and rotate(). */
export let now: number;
export const clock: Clock = { now: () => now };
/** Functions to call after the test, such as the stop function KeyRing.follow returns. */
export const stops: (() => void)[] = [];

export function setNow(ms: number): void {
  now = ms;
}

export function setKeysDir(dir: string): void {
  keysDir = dir;
}

/** Gives each test of the calling file a fresh temporary directory and sets the clock back to T0. */
export function useKeysDir(): void {
  let remove: () => void = () => {};

  beforeEach(() => {
    ({ dir: root, remove } = tempDir());
    keysDir = path.join(root, 'keys');
    now = T0;
  });

  afterEach(() => {
    for (const stop of stops.splice(0)) stop();
    remove();
  });
}

export const files = () => readdirSync(keysDir).sort();
export const pemFile = (kid: string) => path.join(keysDir, `${kid}.key.pem`);
export const metadataFile = (kid: string) => path.join(keysDir, `${kid}.json`);
export const readMetadata = (kid: string) => JSON.parse(readFileSync(metadataFile(kid), 'utf8')) as Record<string, unknown>;
export const editMetadata = (kid: string, patch: Record<string, unknown>) => writeFileSync(metadataFile(kid), JSON.stringify({ ...readMetadata(kid), ...patch }));

/** Loads through a fresh FileKeyStore and returns the KeyStoreError it must reject with. */
export async function loadError(bits = 2048): Promise<KeyStoreError> {
  const error: unknown = await new FileKeyStore(keysDir, bits).load(now).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected load() to reject').toBeInstanceOf(KeyStoreError);
  return error as KeyStoreError;
}

export interface PublishedKey {
  [member: string]: string;
}
export const jwksOf = (ring: KeyRing) => JSON.parse(ring.jwks.body.toString('utf8')) as { keys: PublishedKey[] };

/** Creates the first key and returns its kid. */
export async function firstKid(): Promise<string> {
  const [key] = await new FileKeyStore(keysDir, 2048).load(now);
  if (!key) throw new Error('no key was generated');
  return key.kid;
}

/** Creates a first key, then rotates once an hour later; returns [old, new] kids. */
export async function rotatedOnce(): Promise<[string, string]> {
  const old = await firstKid();
  now = T0 + 3_600_000;
  const created = await new FileKeyStore(keysDir, 2048).rotate(now);
  return [old, created.kid];
}
