// seal/openSealed, the at-rest format of src/signing/key-encryption.ts that other small secrets share
// (src/auth/secret-box.ts): why a value could not be opened, and a key of the wrong size refused by name.
import { describe, expect, it } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { openSealed, seal } from '../../src/signing/key-encryption.js';

const KEY = Buffer.alloc(32, 7);

describe('sealed values (AES-256-GCM, v1.<nonce>.<ciphertext>.<tag>)', () => {
  it('opens what it sealed, non-ASCII text included', () => {
    expect(openSealed(seal('clé – ключ', 'aad-1', KEY), 'aad-1', KEY)).toEqual({ ok: true, plaintext: 'clé – ключ' });
  });

  it('reports another key, other associated data and an altered tag as an authentication problem', () => {
    const sealed = seal('secret', 'aad-1', KEY);
    const [format, nonce, ciphertext, tag] = sealed.split('.');
    const flipped = (part = '') => (part[0] === 'A' ? 'B' : 'A') + part.slice(1);
    expect(openSealed(sealed, 'aad-1', Buffer.alloc(32, 8))).toEqual({ ok: false, problem: 'authentication' });
    expect(openSealed(sealed, 'aad-2', KEY)).toEqual({ ok: false, problem: 'authentication' });
    expect(openSealed([format, nonce, ciphertext, flipped(tag)].join('.'), 'aad-1', KEY)).toEqual({ ok: false, problem: 'authentication' });
  });

  it('refuses a tag cut short, even to a prefix of the right one: only the full 16-byte tag is checked (NIST SP 800-38D §5.2.1.2)', () => {
    const [format, nonce, ciphertext, tag = ''] = seal('secret', 'aad-1', KEY).split('.');
    for (const bytes of [12, 8, 4]) {
      const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
      expect(openSealed([format, nonce, ciphertext, short].join('.'), 'aad-1', KEY), `${bytes} bytes`).toEqual({ ok: false, problem: 'authentication' });
    }
  });

  it('reports a value in no format it reads as a format problem', () => {
    const [, nonce, ciphertext, tag] = seal('secret', 'aad-1', KEY).split('.');
    for (const value of ['', 'v1', ['v2', nonce, ciphertext, tag].join('.'), ['v1', nonce, ciphertext, tag, 'extra'].join('.'), ['v1', '', ciphertext, tag].join('.')]) {
      expect(openSealed(value, 'aad-1', KEY), value).toEqual({ ok: false, problem: 'format' });
    }
  });

  it('refuses to seal under a key that is not 32 bytes, saying so', () => {
    for (const size of [16, 31, 33]) {
      expect(() => seal('secret', 'aad-1', Buffer.alloc(size))).toThrow(KeyStoreError);
      expect(() => seal('secret', 'aad-1', Buffer.alloc(size))).toThrow(/must be 32 bytes/);
    }
  });
});
