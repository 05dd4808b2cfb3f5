// Every JWT Gatehouse issues is signed here, with the key ring's active key (RFC 8725 §3.1: one fixed alg).
import { SignJWT, type JWTPayload } from 'jose';
import { metrics } from '../metrics/metrics.js';
import type { SigningKey } from '../signing/key-store.js';

export async function signJwt(key: SigningKey, payload: JWTPayload, type = 'JWT'): Promise<string> {
  // Issue 26: signatures in flight and their time (gatehouse_signing_*): WebCrypto queues them on libuv's pool.
  const finished = metrics.signingStarted();
  try {
    return await new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: type }).sign(key.privateKey);
  } finally {
    finished();
  }
}
