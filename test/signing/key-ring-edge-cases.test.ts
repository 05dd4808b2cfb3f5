// KeyRing's less travelled paths: a key set that the store accepts but that cannot sign once superseded keys
// retire (refused at start), a scheduled revocation of the only key (refused at the first signature, not a token
// signed by nothing), and the JWKS document and jose key set kept while the key set does not change.
// Shared helpers: ../helpers/keys.ts.
import { describe, expect, it } from 'vitest';
import { KeyStoreError } from '../../src/errors.js';
import { FileKeyStore } from '../../src/signing/file-key-store.js';
import { KeyRing } from '../../src/signing/key-ring.js';
import { clock, keysDir, now, rotatedOnce, setNow, T0, useKeysDir } from '../helpers/keys.js';

useKeysDir();

const DELAY = 60_000;

function thrown(read: () => unknown): unknown {
  try {
    read();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('KeyRing refuses to run without a key that can sign', () => {
  it('refuses to open when the replacement was revoked and the previous key has retired by the schedule', async () => {
    // A signs from T0; B took over at T0 + 1 h and was revoked later; A retired at T0 + 1 h + the delay.
    const [, replacement] = await rotatedOnce();
    await new FileKeyStore(keysDir, 2048).update(replacement, { revokedAt: now + 1000 });
    setNow(now + DELAY + 1000);
    // The key store alone (no retirement delay) still finds A able to sign ...
    expect(await new FileKeyStore(keysDir, 2048).load(now)).toHaveLength(2);
    // ... but with the delay the ring would serve, nothing can: refused at start, not at the first token request.
    const error = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, DELAY).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(KeyStoreError);
    expect((error as Error).message).toMatch(/no signing key is active.*idp keys rotate --now/);
  });

  it('refuses to sign once the only key’s scheduled revocation has come, rather than give no key', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, DELAY);
    const { kid } = ring.signingKey;
    await new FileKeyStore(keysDir, 2048).update(kid, { revokedAt: now + 1000 });
    await ring.reload();
    expect(ring.signingKey.kid).toBe(kid);
    setNow(now + 1000);
    const error = thrown(() => ring.signingKey);
    expect(error).toBeInstanceOf(KeyStoreError);
    expect((error as Error).message).toMatch(/no signing key is active.*idp keys rotate --now/);
    expect(ring.schedule.keys.map((t) => t.state)).toEqual(['revoked']);
  });
});

describe('KeyRing keeps what does not change', () => {
  it('keeps the same JWKS document and jose key set across a reload that changes nothing and an activation', async () => {
    const ring = await KeyRing.open(new FileKeyStore(keysDir, 2048), clock, DELAY);
    setNow(T0 + 1000);
    await ring.scheduleKey(now + 10_000);
    const { jwks, verificationKeys } = ring;
    await ring.reload();
    expect(ring.jwks).toBe(jwks);
    expect(ring.verificationKeys).toBe(verificationKeys);
    setNow(now + 10_000);
    expect(ring.schedule.keys.map((t) => t.state)).toEqual(['active', 'published']);
    expect(ring.jwks).toBe(jwks);
    expect(ring.verificationKeys).toBe(verificationKeys);
  });

  it('gives the admin screens the key store it reads', async () => {
    const store = new FileKeyStore(keysDir, 2048);
    const ring = await KeyRing.open(store, clock);
    expect(ring.keyStore).toBe(store);
  });
});
