// Store contract: passkeys, the WebAuthn credentials people register (PasskeyRepository). Shared engines, setup and
// builders: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { NewPasskey } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newUser, T0 } from './engines.js';

function newPasskey(credentialId: string, userId: string, overrides: Partial<NewPasskey> = {}): NewPasskey {
  return {
    credentialId,
    userId,
    name: `Key ${credentialId}`,
    publicKey: `pQECAyYgASFYI-${credentialId}`,
    counter: 0,
    transports: ['internal', 'hybrid'],
    deviceType: 'multiDevice',
    backedUp: true,
    createdAt: T0,
    ...overrides,
  };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  beforeEach(async () => {
    await store.users.create(newUser('u1', 'u1@example.com'), T0);
    await store.users.create(newUser('u2', 'u2@example.com'), T0);
  });

  describe('passkeys (WebAuthn credentials)', () => {
    it('registers a passkey and reads back every field, never used', async () => {
      const synced = newPasskey('cred-1', 'u1');
      const bound = newPasskey('cred-2', 'u1', { name: 'Security key "Ü"', transports: [], deviceType: 'singleDevice', backedUp: false, counter: 7 });
      await store.passkeys.create(synced);
      await store.passkeys.create(bound);
      expect(await store.passkeys.findById('cred-1')).toEqual({ ...synced, lastUsedAt: null });
      expect(await store.passkeys.findById('cred-2')).toEqual({ ...bound, lastUsedAt: null });
      expect(await store.passkeys.findById('unknown')).toBeNull();
    });

    it('refuses a credential id already registered, to the same person or another, with ConflictError, and keeps the first', async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1'));
      await expect(store.passkeys.create(newPasskey('cred-1', 'u1', { name: 'Again' }))).rejects.toBeInstanceOf(ConflictError);
      await expect(store.passkeys.create(newPasskey('cred-1', 'u2', { name: 'Stolen' }))).rejects.toBeInstanceOf(ConflictError);
      expect(await store.passkeys.findById('cred-1')).toMatchObject({ userId: 'u1', name: 'Key cred-1' });
    });

    it("lists a person's passkeys oldest first, and only theirs", async () => {
      await store.passkeys.create(newPasskey('c-newest', 'u1', { createdAt: T0 + 2 * MINUTE }));
      await store.passkeys.create(newPasskey('c-oldest', 'u1', { createdAt: T0 }));
      await store.passkeys.create(newPasskey('c-middle', 'u1', { createdAt: T0 + MINUTE }));
      await store.passkeys.create(newPasskey('c-other', 'u2', { createdAt: T0 - MINUTE }));
      expect((await store.passkeys.listForUser('u1')).map((passkey) => passkey.credentialId)).toEqual(['c-oldest', 'c-middle', 'c-newest']);
      expect(await store.passkeys.listForUser('u2')).toEqual([{ ...newPasskey('c-other', 'u2', { createdAt: T0 - MINUTE }), lastUsedAt: null }]);
      expect(await store.passkeys.listForUser('nobody')).toEqual([]);
    });

    it('records a use: the new signature counter, up to 2^32 - 1, and the time', async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1', { counter: 5 }));
      await store.passkeys.create(newPasskey('cred-2', 'u1', { counter: 5 }));
      await store.passkeys.recordUse('cred-1', 6, T0 + MINUTE);
      expect(await store.passkeys.findById('cred-1')).toMatchObject({ counter: 6, lastUsedAt: T0 + MINUTE });
      await store.passkeys.recordUse('cred-1', 2 ** 32 - 1, T0 + 2 * MINUTE);
      expect(await store.passkeys.findById('cred-1')).toMatchObject({ counter: 2 ** 32 - 1, lastUsedAt: T0 + 2 * MINUTE });
      expect(await store.passkeys.findById('cred-2')).toMatchObject({ counter: 5, lastUsedAt: null });
    });

    it("renames only the owner's passkey", async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1'));
      expect(await store.passkeys.rename('u2', 'cred-1', 'Mine now')).toBe(false);
      expect(await store.passkeys.findById('cred-1')).toMatchObject({ name: 'Key cred-1' });
      expect(await store.passkeys.rename('u1', 'cred-1', 'Work laptop')).toBe(true);
      expect(await store.passkeys.findById('cred-1')).toMatchObject({ name: 'Work laptop' });
      expect(await store.passkeys.rename('u1', 'unknown', 'X')).toBe(false);
    });

    it("removes only the owner's passkey, once", async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1'));
      await store.passkeys.create(newPasskey('cred-2', 'u1'));
      expect(await store.passkeys.remove('u2', 'cred-1')).toBe(false);
      expect(await store.passkeys.findById('cred-1')).not.toBeNull();
      expect(await store.passkeys.remove('u1', 'cred-1')).toBe(true);
      expect(await store.passkeys.findById('cred-1')).toBeNull();
      expect(await store.passkeys.remove('u1', 'cred-1')).toBe(false);
      expect((await store.passkeys.listForUser('u1')).map((passkey) => passkey.credentialId)).toEqual(['cred-2']);
    });

    it("removes every passkey of a person, counts them, and keeps everyone else's", async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1'));
      await store.passkeys.create(newPasskey('cred-2', 'u1'));
      await store.passkeys.create(newPasskey('cred-3', 'u2'));
      expect(await store.passkeys.removeAllForUser('u1')).toBe(2);
      expect(await store.passkeys.listForUser('u1')).toEqual([]);
      expect(await store.passkeys.removeAllForUser('u1')).toBe(0);
      expect(await store.passkeys.findById('cred-3')).not.toBeNull();
    });

    it('lets a removed credential id be registered again', async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1'));
      await store.passkeys.remove('u1', 'cred-1');
      await store.passkeys.create(newPasskey('cred-1', 'u2'));
      expect(await store.passkeys.findById('cred-1')).toMatchObject({ userId: 'u2' });
    });

    it('refuses a passkey for a person who does not exist', async () => {
      await expect(store.passkeys.create(newPasskey('cred-1', 'nobody'))).rejects.toThrow();
      expect(await store.passkeys.findById('cred-1')).toBeNull();
    });

    it("deletes a person's passkeys with the person, and no one else's", async () => {
      await store.passkeys.create(newPasskey('cred-1', 'u1'));
      await store.passkeys.create(newPasskey('cred-2', 'u2'));
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.passkeys.findById('cred-1')).toBeNull();
      expect(await store.passkeys.listForUser('u1')).toEqual([]);
      expect(await store.passkeys.findById('cred-2')).not.toBeNull();
    });
  });
});
