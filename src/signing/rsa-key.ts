// RSA key material in and out of PEM, with the kid derived from it: the parts every key store shares.
import { calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8, type CryptoKey, type JWK } from 'jose';

export interface RsaKeyMaterial {
  kid: string;
  publicJwk: JWK;
  privateKey: CryptoKey;
}

async function describe(privateKey: CryptoKey): Promise<RsaKeyMaterial> {
  const jwk = await exportJWK(privateKey);
  // An allow-list, so no private member (d, p, q, dp, dq, qi) can ever reach a published key.
  const publicJwk: JWK = { kty: jwk.kty, n: jwk.n, e: jwk.e };
  return { kid: await calculateJwkThumbprint(publicJwk, 'sha256'), publicJwk, privateKey };
}

export async function generateRsaKey(bits: number): Promise<RsaKeyMaterial> {
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: bits, extractable: true });
  return describe(privateKey);
}

export async function rsaKeyFromPem(pem: string): Promise<RsaKeyMaterial> {
  return describe(await importPKCS8(pem, 'RS256', { extractable: true }));
}

export function rsaKeyToPem(key: RsaKeyMaterial): Promise<string> {
  return exportPKCS8(key.privateKey);
}
