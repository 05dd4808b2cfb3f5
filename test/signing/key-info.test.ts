// describeKey: what `idp keys list` and the admin keys page show of a key: its facts and size, never the key.
import { describe, expect, it } from 'vitest';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { describeKey } from '../../src/signing/key-store.js';
import { keysDir, now, useKeysDir } from '../helpers/keys.js';

useKeysDir();

describe('describeKey (what `idp keys list` shows)', () => {
  it.each([2048, 3072])('gives the facts and the modulus size of a %i-bit key, and neither the private nor the public key', async (bits) => {
    const key = await new FileKeyStore(keysDir, bits).rotate(now, now + 1000);
    const info = describeKey({ ...key, revokedAt: now + 5 });
    expect(info).toEqual({ kid: key.kid, alg: 'RS256', createdAt: now, activatedAt: now + 1000, retiredAt: null, revokedAt: now + 5, bits });
    expect(info).not.toHaveProperty('privateKey');
    expect(info).not.toHaveProperty('publicJwk');
  });
});
