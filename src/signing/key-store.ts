// What a signing key is, and the interface every key store (files now, the database later) implements.
import type { CryptoKey, JWK } from 'jose';
import type { KeyFacts } from './key-schedule.js';

/** The facts of src/signing/key-schedule.ts with the key material; its state at a time is computed from them. */
export interface SigningKey extends KeyFacts {
  /** RFC 7638 SHA-256 JWK thumbprint of the public key. */
  kid: string;
  alg: 'RS256';
  /** Public members only (kty, n, e): the private ones never leave the key store. */
  publicJwk: JWK;
  privateKey: CryptoKey;
}

/** What `idp keys list` shows: everything but the private key. */
export type SigningKeyInfo = Omit<SigningKey, 'privateKey' | 'publicJwk'> & { bits: number };

/** The facts an operation may change after a key was created. */
export interface KeyChange {
  /** Brings a scheduled activation forward (a revoked signing key's replacement). */
  activatedAt?: number;
  revokedAt?: number;
}

export interface KeyStore {
  /**
   * Every key, newest first; generates the first key when there is none. Never silently replaces one: a key set
   * in which no key can sign at `now` (all pending, retired or revoked) is refused.
   */
  load(now: number): Promise<SigningKey[]>;
  /** Every key, newest first; never writes a key. */
  list(): Promise<SigningKey[]>;
  /**
   * Adds a key, published from `now`, that signs from `activatesAt` (now by default). Earlier keys are not
   * touched: they stop signing and retire by the schedule.
   */
  rotate(now: number, activatesAt?: number): Promise<SigningKey>;
  /**
   * rotate(), unless an unrevoked key already activates after `now`: automatic rotation on several nodes at once
   * schedules one key, not one per node. Null when another was scheduled.
   */
  rotateUnlessScheduled(now: number, activatesAt: number): Promise<SigningKey | null>;
  /** Stores a key made elsewhere (`idp import`) with its facts as they are; ConflictError when its kid exists. */
  adopt(key: SigningKey): Promise<void>;
  /** Records a change to one key's facts; null when there is no such key. */
  update(kid: string, change: KeyChange): Promise<SigningKey | null>;
  /**
   * Stores `retiresAt` as the retirement of a superseded key unless one is stored already, atomically for every
   * process on the store: the first decision wins, and every caller gets the key with the retirement stored
   * (key-retirement.ts). Null when there is no such key.
   */
  decideRetirement(kid: string, retiresAt: number): Promise<SigningKey | null>;
  /** Calls `onChange` when another process (the `idp` tool) changed the keys; returns a stop function. */
  watch(onChange: () => void): () => void;
}

export function describeKey(key: SigningKey): SigningKeyInfo {
  const { privateKey: _privateKey, publicJwk, ...info } = key;
  return { ...info, bits: Buffer.from(publicJwk.n ?? '', 'base64url').length * 8 };
}
