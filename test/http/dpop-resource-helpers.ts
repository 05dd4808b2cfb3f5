// DPoP proofs made by hand (RFC 9449 §4.2) for the tests of protected resources: the right proof, and each wrong one
// a client (or a thief) might send. jose signs them; the key pair is a real WebCrypto one, as a browser's would be.
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type GenerateKeyPairResult, type JWK } from 'jose';

export interface ProofKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
  /** RFC 7638 SHA-256 thumbprint, base64url: what a bound token's cnf.jkt says. */
  jkt: string;
}

/** A key pair, from a fresh ES256 one or the one a client library holds (openid-client's randomDPoPKeyPair). */
export async function proofKey(pair?: GenerateKeyPairResult): Promise<ProofKey> {
  const { privateKey, publicKey } = pair ?? (await generateKeyPair('ES256'));
  const publicJwk = await exportJWK(publicKey);
  return { privateKey, publicKey, publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}

export interface ProofClaims {
  htm: string;
  htu: string;
  /** The access token the proof goes with: its hash becomes `ath` (omit for none). */
  accessToken?: string;
  /** An `ath` as given, instead of the token's hash. */
  ath?: string;
  nonce?: string;
  /** Seconds; now by default. */
  iat?: number;
  jti?: string;
  typ?: string;
  /** The jwk header, instead of the key's public JWK (e.g. another key's, or with private members). */
  jwk?: JWK;
}

export const accessTokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

export function makeProof(key: ProofKey, claims: ProofClaims): Promise<string> {
  const ath = claims.ath ?? (claims.accessToken === undefined ? undefined : accessTokenHash(claims.accessToken));
  return new SignJWT({
    htm: claims.htm,
    htu: claims.htu,
    jti: claims.jti ?? randomUUID(),
    ...(ath === undefined ? {} : { ath }),
    ...(claims.nonce === undefined ? {} : { nonce: claims.nonce }),
  })
    .setProtectedHeader({ alg: 'ES256', typ: claims.typ ?? 'dpop+jwt', jwk: claims.jwk ?? key.publicJwk })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}

/** The parts of a refusal a test asserts: status, the JSON error and description, and the two headers. */
export interface Refusal {
  status: number;
  error: string;
  description: string;
  challenge: string | null;
  nonce: string | null;
}

export async function refusalOf(response: Response): Promise<Refusal> {
  const body = (await response.json()) as { error?: string; error_description?: string };
  return {
    status: response.status,
    error: body.error ?? '',
    description: body.error_description ?? '',
    challenge: response.headers.get('www-authenticate'),
    nonce: response.headers.get('dpop-nonce'),
  };
}

/** RFC 9449 §7.1: the DPoP challenge Gatehouse's resources answer with. */
export const dpopChallenge = (error: string, description: string) => `DPoP realm="gatehouse", error="${error}", error_description="${description}", algs="ES256 PS256 EdDSA RS256"`;
