// The keys a running server uses: the one that signs, and the JWKS body, serialised once per key-set change.
import { createHash } from 'node:crypto';
import { createLocalJWKSet, type JSONWebKeySet } from 'jose';
import type { Clock } from '../clock.js';
import { KeyStoreError } from '../errors.js';
import type { KeyStore, SigningKey } from './key-store.js';

/** Our own public keys as jose wants them, to verify what we signed (access tokens, id_token_hint). */
export type VerificationKeys = ReturnType<typeof createLocalJWKSet>;

export interface JwksDocument {
  body: Buffer;
  /** Strong validator of `body`, quoted as RFC 9110 §8.8.3 wants it. */
  etag: string;
}

interface KeySetView {
  keys: SigningKey[];
  signingKey: SigningKey;
  jwks: JwksDocument;
  verificationKeys: VerificationKeys;
}

function view(keys: SigningKey[]): KeySetView {
  const jwks = serialiseJwks(keys);
  const verificationKeys = createLocalJWKSet(JSON.parse(jwks.body.toString('utf8')) as JSONWebKeySet);
  return { keys, signingKey: pickSigningKey(keys), jwks, verificationKeys };
}

function pickSigningKey(keys: SigningKey[]): SigningKey {
  const active = keys.filter((key) => key.state === 'active').sort((a, b) => (b.activatedAt ?? 0) - (a.activatedAt ?? 0));
  const newest = active[0];
  if (!newest) throw new KeyStoreError('no active signing key');
  return newest;
}

function serialiseJwks(keys: SigningKey[]): JwksDocument {
  const published = keys
    .filter((key) => key.state !== 'retired')
    .map((key) => ({ kty: key.publicJwk.kty, kid: key.kid, use: 'sig', alg: key.alg, n: key.publicJwk.n, e: key.publicJwk.e }));
  const body = Buffer.from(JSON.stringify({ keys: published }));
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url')}"` };
}

export class KeyRing {
  private constructor(
    private readonly store: KeyStore,
    private readonly clock: Clock,
    private current: KeySetView,
  ) {}

  static async open(store: KeyStore, clock: Clock): Promise<KeyRing> {
    const keys = await store.load(clock.now());
    return new KeyRing(store, clock, view(keys));
  }

  /** The key that signs new tokens. */
  get signingKey(): SigningKey {
    return this.current.signingKey;
  }

  get jwks(): JwksDocument {
    return this.current.jwks;
  }

  /** The published keys, for verifying tokens we issued. */
  get verificationKeys(): VerificationKeys {
    return this.current.verificationKeys;
  }

  /** Re-reads the store; on failure keeps serving the keys it has, so a half-written change never takes us down. */
  async reload(): Promise<void> {
    const keys = await this.store.load(this.clock.now());
    this.current = view(keys);
  }

  /** Follows changes another process makes; returns a stop function. */
  follow(onError: (error: unknown) => void): () => void {
    return this.store.watch(() => {
      this.reload().catch(onError);
    });
  }
}
