// Every JWT Gatehouse issues is signed here, with the key ring's active key (RFC 8725 §3.1: one fixed alg).
import { SignJWT, type JWTPayload } from 'jose';
import type { SigningKey } from '../signing/key-store.js';

export function signJwt(key: SigningKey, payload: JWTPayload, type = 'JWT'): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: type }).sign(key.privateKey);
}
