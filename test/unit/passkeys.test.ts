// The pure parts of src/auth/passkeys.ts: the name a person gives a passkey, the amr a passkey sign-in earns
// (RFC 8176 §2), and the relying party an issuer makes (WebAuthn Level 2 §5.1.2, RP ID and origin).
import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSKEY_NAME, MAX_PASSKEY_NAME_LENGTH, passkeyAmr, passkeyName, relyingParty } from '../../src/auth/passkeys.js';

describe('passkeyName', () => {
  it('trims the name, and names an empty or blank one "Passkey"', () => {
    expect(passkeyName('  Work laptop \t')).toBe('Work laptop');
    expect(passkeyName('')).toBe(DEFAULT_PASSKEY_NAME);
    expect(passkeyName('   ')).toBe('Passkey');
  });

  it(`takes at most ${MAX_PASSKEY_NAME_LENGTH} characters, counted as characters (code points), not UTF-16 units`, () => {
    expect(passkeyName('x'.repeat(MAX_PASSKEY_NAME_LENGTH))).toBe('x'.repeat(MAX_PASSKEY_NAME_LENGTH));
    expect(passkeyName(` ${'x'.repeat(MAX_PASSKEY_NAME_LENGTH)} `)).toBe('x'.repeat(MAX_PASSKEY_NAME_LENGTH));
    expect(passkeyName('x'.repeat(MAX_PASSKEY_NAME_LENGTH + 1))).toBeNull();
    const keys = '🔑'.repeat(MAX_PASSKEY_NAME_LENGTH);
    expect(keys.length).toBe(2 * MAX_PASSKEY_NAME_LENGTH);
    expect(passkeyName(keys)).toBe(keys);
    expect(passkeyName(`${keys}🔑`)).toBeNull();
  });

  it('refuses control characters (Unicode Cc) inside the name, and keeps any other text', () => {
    expect(passkeyName('Work\nlaptop')).toBeNull();
    expect(passkeyName('Work\u0007laptop')).toBeNull();
    expect(passkeyName('Work\u009blaptop')).toBeNull();
    expect(passkeyName('Büro-Schlüssel (YubiKey 5C) – €')).toBe('Büro-Schlüssel (YubiKey 5C) – €');
  });
});

describe('passkeyAmr (RFC 8176 §2)', () => {
  it('says swk for a synced (multi-device) passkey, hwk for one bound to its device, and mfa for both', () => {
    expect(passkeyAmr({ deviceType: 'multiDevice' })).toEqual(['swk', 'mfa']);
    expect(passkeyAmr({ deviceType: 'singleDevice' })).toEqual(['hwk', 'mfa']);
  });
});

describe('relyingParty', () => {
  it('is the issuer’s host name as RP ID and its origin as the one origin, whatever its path', () => {
    expect(relyingParty('https://id.example.com:8443/idp')).toEqual({ id: 'id.example.com', origin: 'https://id.example.com:8443' });
    expect(relyingParty('http://localhost:3000')).toEqual({ id: 'localhost', origin: 'http://localhost:3000' });
  });
});
