// Store contract: sessions (SessionRepository). Shared engines, setup and builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0, MINUTE, newSession, seedUserAndClient } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('sessions', () => {
    beforeEach(() => seedUserAndClient(store));

    it('finds a live session with every field', async () => {
      const session = newSession('s1', 'u1', { authTime: T0 - 5, createdAt: T0 - 4, lastSeenAt: T0 - 3 });
      await store.sessions.create(session);
      expect(await store.sessions.findLive('s1', T0)).toEqual(session);
    });

    it('ignores a session that has expired, from its expiry instant on', async () => {
      await store.sessions.create(newSession('s1', 'u1', { expiresAt: T0 + MINUTE }));
      expect(await store.sessions.findLive('s1', T0 + MINUTE - 1)).not.toBeNull();
      expect(await store.sessions.findLive('s1', T0 + MINUTE)).toBeNull();
      expect(await store.sessions.findLive('nobody', T0)).toBeNull();
    });

    it('records when a session was last seen', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.touch('s1', T0 + 5 * MINUTE);
      expect((await store.sessions.findLive('s1', T0 + 5 * MINUTE))?.lastSeenAt).toBe(T0 + 5 * MINUTE);
    });

    it('lists only the live sessions of the one user, newest first', async () => {
      await store.sessions.create(newSession('s-old', 'u1', { createdAt: T0 }));
      await store.sessions.create(newSession('s-new', 'u1', { createdAt: T0 + 1 }));
      await store.sessions.create(newSession('s-dead', 'u1', { expiresAt: T0 + 2 }));
      await store.sessions.create(newSession('s-other', 'u2'));
      expect((await store.sessions.listForUser('u1', T0 + 2)).map((s) => s.idHash)).toEqual(['s-new', 's-old']);
      expect(await store.sessions.listForUser('nobody', T0)).toEqual([]);
    });

    it('ends one session and answers false when there was none', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.create(newSession('s2', 'u1'));
      expect(await store.sessions.delete('s1')).toBe(true);
      expect(await store.sessions.delete('s1')).toBe(false);
      expect(await store.sessions.findLive('s1', T0)).toBeNull();
      expect(await store.sessions.findLive('s2', T0)).not.toBeNull();
    });

    it('ends every session of a user and counts them, leaving other users signed in', async () => {
      await store.sessions.create(newSession('s1', 'u1'));
      await store.sessions.create(newSession('s2', 'u1', { expiresAt: T0 - 1 }));
      await store.sessions.create(newSession('s3', 'u2'));
      expect(await store.sessions.deleteForUser('u1')).toBe(2);
      expect(await store.sessions.deleteForUser('u1')).toBe(0);
      expect(await store.sessions.listForUser('u2', T0)).toHaveLength(1);
    });

    it('finds a live session by its public id (sid), from nothing else and not once expired', async () => {
      const session = newSession('s1', 'u1', { expiresAt: T0 + MINUTE });
      await store.sessions.create(session);
      expect(await store.sessions.findLiveBySid('sid-s1', T0)).toEqual(session);
      expect(await store.sessions.findLiveBySid('s1', T0)).toBeNull();
      expect(await store.sessions.findLiveBySid('sid-s1', T0 + MINUTE)).toBeNull();
    });

    it('counts the sessions live at a time, every user’s, from their expiry instant on no longer', async () => {
      await store.sessions.create(newSession('s1', 'u1', { expiresAt: T0 + MINUTE }));
      await store.sessions.create(newSession('s2', 'u1', { expiresAt: T0 + 2 * MINUTE }));
      await store.sessions.create(newSession('s3', 'u2', { expiresAt: T0 + 2 * MINUTE }));
      expect(await store.sessions.countLive(T0)).toBe(3);
      expect(await store.sessions.countLive(T0 + MINUTE)).toBe(2);
      expect(await store.sessions.countLive(T0 + 2 * MINUTE)).toBe(0);
    });

    it('records a re-entered password apart from the sign-in: reauthenticate sets reauthenticated_at and last seen, never auth_time (issue 19, F6)', async () => {
      const session = newSession('s1', 'u1');
      await store.sessions.create(session);
      await store.sessions.create(newSession('s2', 'u1'));
      expect((await store.sessions.findLive('s1', T0))?.reauthenticatedAt).toBeNull();
      await store.sessions.reauthenticate('s1', T0 + 5 * MINUTE);
      await store.sessions.reauthenticate('nobody', T0 + 5 * MINUTE);
      expect(await store.sessions.findLive('s1', T0)).toEqual({ ...session, reauthenticatedAt: T0 + 5 * MINUTE, lastSeenAt: T0 + 5 * MINUTE });
      await store.sessions.reauthenticate('s1', T0 + 9 * MINUTE);
      expect(await store.sessions.findLive('s1', T0)).toMatchObject({ authTime: T0, reauthenticatedAt: T0 + 9 * MINUTE });
      expect(await store.sessions.findLive('s2', T0)).toMatchObject({ authTime: T0, lastSeenAt: T0, reauthenticatedAt: null });
      // Listed and found by sid with it too.
      expect((await store.sessions.listForUser('u1', T0)).find((s) => s.idHash === 's1')?.reauthenticatedAt).toBe(T0 + 9 * MINUTE);
      expect((await store.sessions.findLiveBySid('sid-s1', T0))?.reauthenticatedAt).toBe(T0 + 9 * MINUTE);
    });
  });
});
