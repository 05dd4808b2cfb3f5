// What a signing key is, and the interface every key store (files now, the database later) implements.
import type { CryptoKey, JWK } from 'jose';
import type { SigningKeyState } from '../store/records.js';

export interface SigningKey {
  /** RFC 7638 SHA-256 JWK thumbprint of the public key. */
  kid: string;
  alg: 'RS256';
  state: SigningKeyState;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
  /** Public members only (kty, n, e): the private ones never leave the key store. */
  publicJwk: JWK;
  privateKey: CryptoKey;
}

/** What `idp keys list` shows: everything but the private key. */
export type SigningKeyInfo = Omit<SigningKey, 'privateKey' | 'publicJwk'> & { bits: number };

export interface KeyStore {
  /** Every key, newest first; generates the first key when there is none. Never silently replaces one. */
  load(now: number): Promise<SigningKey[]>;
  /** Adds a new active key; the previous active key stays published so tokens it signed still verify. */
  rotate(now: number): Promise<SigningKey>;
  /** Calls `onChange` when another process (the `idp` tool) changed the keys; returns a stop function. */
  watch(onChange: () => void): () => void;
}

export function describeKey(key: SigningKey): SigningKeyInfo {
  const { privateKey: _privateKey, publicJwk, ...info } = key;
  return { ...info, bits: Buffer.from(publicJwk.n ?? '', 'base64url').length * 8 };
}
