// Every JWT Gatehouse issues is signed here, with the key ring's active key (RFC 8725 §3.1: one fixed alg).
//
// Issue 27: the compact serialisation is assembled here and signed by node:crypto's asynchronous `sign` (libuv's
// thread pool, as WebCrypto uses) with a KeyObject made once per key, rather than by jose's SignJWT. Measured on
// the refresh grant, jose's builder and WebCrypto's job set-up cost the event loop about 0.07 ms per signature
// more than this; the signature itself (RSASSA-PKCS1-v1_5 with SHA-256, the same OpenSSL call) is the same.
// Every token is still verified in the tests by independent implementations (jose, openid-client, PyJWT).
import { KeyObject, sign } from 'node:crypto';
import type { CryptoKey, JWTPayload } from 'jose';
import { metrics } from '../metrics/metrics.js';
import type { SigningKey } from '../signing/key-store.js';

/** RFC 7518 §3.1: the digest of each `alg` we sign with (RS256 alone: SigningKey['alg']). */
const DIGEST: Record<SigningKey['alg'], string> = { RS256: 'sha256' };

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

/** The private key as node:crypto takes it, converted once per key (the key ring keeps the same CryptoKey). */
function keyObjectOf(key: CryptoKey): KeyObject {
  let keyObject = keyObjects.get(key);
  if (!keyObject) keyObjects.set(key, (keyObject = KeyObject.from(key)));
  return keyObject;
}

/** RFC 7515 §2: BASE64URL(UTF8(JSON)), without padding. */
function encodeJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function signAsync(digest: string, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign(digest, data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

export async function signJwt(key: SigningKey, payload: JWTPayload, type = 'JWT'): Promise<string> {
  // Issue 26: signatures in flight and their time (gatehouse_signing_*): they queue on libuv's pool.
  const finished = metrics.signingStarted();
  try {
    // RFC 7515 §7.1: BASE64URL(header) '.' BASE64URL(payload) '.' BASE64URL(signature over the first two).
    const signingInput = `${encodeJson({ alg: key.alg, kid: key.kid, typ: type })}.${encodeJson(payload)}`;
    const signature = await signAsync(DIGEST[key.alg], Buffer.from(signingInput, 'ascii'), keyObjectOf(key.privateKey));
    return `${signingInput}.${signature.toString('base64url')}`;
  } finally {
    finished();
  }
}
