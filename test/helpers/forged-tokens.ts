// Forgeries of a genuine token we issued: its own header and claims (a real jti, sub and client, recorded in the
// store), signed in every way that is not ours. A test that presents them proves the signature is checked: a
// forged token with made-up claims would be refused by the store lookup alone, even with no verification at all.
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';

export interface Forgery {
  /** What was forged, for the assertion message. */
  name: string;
  token: string;
}

let foreign: Promise<{ privateKey: CryptoKey; kid: string }> | undefined;

/** One RSA key pair of someone else's per test file: generating one costs a moment. */
function foreignKey(): Promise<{ privateKey: CryptoKey; kid: string }> {
  foreign ??= (async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    return { privateKey, kid: await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256') };
  })();
  return foreign;
}

const segment = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * `genuine`'s header and claims (changed by `claims` when given), signed: by a foreign RSA key under our kid,
 * under its own kid and under none; with `alg: none`; with HS256 keyed by our public key, as PEM and as JWK
 * (the algorithm-confusion attack, RFC 8725 §2.1). `publicJwk` is the public key of the key that signed `genuine`.
 */
export async function forgeries(genuine: string, publicJwk: JWK, claims: (genuine: JWTPayload) => JWTPayload = (c) => c): Promise<Forgery[]> {
  const header = decodeProtectedHeader(genuine);
  const payload = claims(decodeJwt(genuine));
  const { privateKey, kid: foreignKid } = await foreignKey();
  const pem = await exportSPKI((await importJWK({ ...publicJwk, alg: 'RS256' }, 'RS256', { extractable: true })) as CryptoKey);
  const sign = (protectedHeader: Record<string, unknown>, key: CryptoKey | Uint8Array) => new SignJWT(payload).setProtectedHeader(protectedHeader as { alg: string }).sign(key);
  const { alg: _alg, kid: _kid, ...rest } = header;
  return [
    { name: 'a foreign RSA key under our kid', token: await sign({ ...header, alg: 'RS256' }, privateKey) },
    { name: 'a foreign RSA key under its own kid', token: await sign({ ...rest, alg: 'RS256', kid: foreignKid }, privateKey) },
    { name: 'a foreign RSA key with no kid', token: await sign({ ...rest, alg: 'RS256' }, privateKey) },
    { name: 'alg none under our kid', token: `${segment({ ...header, alg: 'none' })}.${segment(payload)}.` },
    { name: 'alg none with no kid', token: `${segment({ ...rest, alg: 'none' })}.${segment(payload)}.` },
    { name: 'HS256 keyed with our public key as PEM', token: await sign({ ...header, alg: 'HS256' }, new TextEncoder().encode(pem)) },
    { name: 'HS256 keyed with our public key as JWK', token: await sign({ ...header, alg: 'HS256' }, new TextEncoder().encode(JSON.stringify(publicJwk))) },
  ];
}

/** `genuine` with its claims changed and its own signature kept. */
export function alteredClaims(genuine: string, change: (claims: JWTPayload) => JWTPayload): string {
  const [header, , signature] = genuine.split('.');
  return `${header}.${segment(change(decodeJwt(genuine)))}.${signature}`;
}
