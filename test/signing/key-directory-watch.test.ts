// FileKeyStore.watch: how the server learns that the `idp` tool changed KEYS_DIR. One call per burst of file
// events (a rotation writes several files), none after the stop function, and a clear error for a KEYS_DIR it
// cannot watch. The 100 ms settling delay runs on fake timers; only the file events are real.
import { setTimeout as realSleep } from 'node:timers/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { firstKid, keysDir, now, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

/** Lets the real file events of what was just written reach the watcher (not a timing assertion: nothing is asserted about when). */
const eventsDelivered = () => realSleep(200);

describe('watching KEYS_DIR (FileKeyStore.watch)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls back once for a rotation made by another store, after its files have settled', async () => {
    await firstKid();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let calls = 0;
    const stop = new FileKeyStore(keysDir, 2048).watch(() => calls++);
    try {
      await new FileKeyStore(keysDir, 2048).rotate(T0 + 1000);
      await eventsDelivered();
      expect(calls).toBe(0);
      // Several files were written, each a few events: one settling timer, not one per event.
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(100);
      expect(calls).toBe(1);
    } finally {
      stop();
    }
  });

  it('calls back no more once stopped, not even for a change seen just before', async () => {
    await firstKid();
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let calls = 0;
    const stop = new FileKeyStore(keysDir, 2048).watch(() => calls++);
    await new FileKeyStore(keysDir, 2048).rotate(now + 1000);
    await eventsDelivered();
    stop();
    vi.advanceTimersByTime(1000);
    expect(calls).toBe(0);
    await new FileKeyStore(keysDir, 2048).rotate(now + 2000);
    await eventsDelivered();
    vi.advanceTimersByTime(1000);
    expect(calls).toBe(0);
  });

  it('refuses to watch a KEYS_DIR that does not exist, naming it', () => {
    let error: unknown;
    try {
      new FileKeyStore(keysDir, 2048).watch(() => undefined)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(KeyStoreError);
    expect((error as Error).message).toContain(`cannot watch ${keysDir}`);
  });
});
