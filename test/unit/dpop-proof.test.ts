// DPoP proof checks (src/oidc/dpop.ts, RFC 9449 §4.3) with proofs made by jose, a fixed clock and a real SQLite
// store: every refusal is invalid_dpop_proof with a description saying what is wrong (or use_dpop_nonce with a fresh
// nonce), and a refused proof writes nothing; its jti is spent once, by `spend`.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretBox } from '../../src/auth/secret-box.js';
import { InvalidDpopProof, UseDpopNonce } from '../../src/errors.js';
import { DPOP_NONCE_SLOT_MS, dpopNoncesOf } from '../../src/oidc/dpop-nonce.js';
import { accessTokenHash, DPOP_SIGNING_ALGS, DpopProofs, type DpopCheck, type DpopProof } from '../../src/oidc/dpop.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/temp-dir.js';

const ISSUER = 'https://idp.example/base';
const TOKEN_URL = `${ISSUER}/token`;
const START = Date.parse('2025-06-01T12:00:00Z');
const BOX = secretBox(Buffer.alloc(32, 3));
const TOKEN_CHECK: DpopCheck = { route: 'token' };

interface Signer {
  privateKey: CryptoKey;
  jwk: JWK;
  alg: string;
}

async function signer(alg: string, options: { crv?: string; modulusLength?: number } = {}): Promise<Signer> {
  const pair = await generateKeyPair(alg, { extractable: true, ...options });
  return { privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey), alg };
}

describe('DPoP proofs (RFC 9449 §4.3)', () => {
  let store: Store;
  let remove: () => void;
  let clock: FakeClock;
  let proofs: DpopProofs;
  let es256: Signer;
  let other: Signer;
  let jti = 0;

  const nonce = () => dpopNoncesOf(clock, BOX).issue();
  const nowS = () => Math.floor(clock.now() / 1000);

  /** A proof for POST /token, good unless told otherwise. */
  async function proofOf(s: Signer, claims: JWTPayload = {}, header: Partial<ProtectedHeaderParameters> = {}, key: CryptoKey = s.privateKey): Promise<string> {
    return new SignJWT({ jti: `proof-${++jti}`, htm: 'POST', htu: TOKEN_URL, iat: nowS(), nonce: nonce(), ...claims })
      .setProtectedHeader({ alg: s.alg, typ: 'dpop+jwt', jwk: s.jwk, ...header })
      .sign(key);
  }

  const request = (...dpop: string[]) => ({ method: 'POST', headersDistinct: dpop.length === 0 ? {} : { dpop } });

  async function refusal(promise: Promise<unknown>): Promise<{ error: string; description: string; nonce?: string }> {
    const error = await promise.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(error instanceof UseDpopNonce ? UseDpopNonce : InvalidDpopProof);
    const refused = error as InvalidDpopProof | UseDpopNonce;
    expect(refused.status).toBe(400);
    return { error: refused.error, description: refused.description, ...(refused instanceof UseDpopNonce ? { nonce: refused.nonce } : {}) };
  }

  beforeAll(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    clock = new FakeClock(START);
    proofs = new DpopProofs({ store, clock, config: { issuer: ISSUER }, secretBox: async () => BOX });
    es256 = await signer('ES256');
    other = await signer('ES256');
  });
  afterAll(async () => {
    await store.close();
    remove();
  });

  it('has no proof to check when the request carries no DPoP header', async () => {
    expect(await proofs.check(request(), TOKEN_CHECK)).toBeNull();
  });

  it('accepts a good proof with each advertised algorithm and names its key by the RFC 7638 thumbprint', async () => {
    const signers = [es256, await signer('PS256'), await signer('RS256'), await signer('EdDSA', { crv: 'Ed25519' })];
    expect(signers.map((s) => s.alg).sort()).toEqual([...DPOP_SIGNING_ALGS].sort());
    for (const s of signers) {
      const checked = await proofs.check(request(await proofOf(s)), TOKEN_CHECK);
      expect(checked?.jkt).toBe(await calculateJwkThumbprint(s.jwk, 'sha256'));
      expect(checked?.jwk).toEqual(s.jwk);
      expect(checked?.expiresAt).toBe((nowS() + 70) * 1000);
    }
  });

  it('spends a proof once: the same jti of the same key is refused the second time, another key may use it', async () => {
    const proof = (await proofs.check(request(await proofOf(es256, { jti: 'once' })), TOKEN_CHECK)) as DpopProof;
    await proofs.spend(proof);
    expect(await refusal(proofs.spend(proof))).toEqual({ error: 'invalid_dpop_proof', description: 'the DPoP proof was used before' });
    const others = (await proofs.check(request(await proofOf(other, { jti: 'once' })), TOKEN_CHECK)) as DpopProof;
    await proofs.spend(others);
  });

  it('writes nothing while checking: a refused proof leaves its jti unspent', async () => {
    const bad = await proofOf(es256, { jti: 'refused-first', htm: 'GET' });
    await refusal(proofs.check(request(bad), TOKEN_CHECK));
    const good = (await proofs.check(request(await proofOf(es256, { jti: 'refused-first' })), TOKEN_CHECK)) as DpopProof;
    await proofs.spend(good);
  });

  it('refuses two DPoP headers, an oversized one and one that is not a JWT', async () => {
    const proof = await proofOf(es256);
    expect(await refusal(proofs.check(request(proof, proof), TOKEN_CHECK))).toEqual({ error: 'invalid_dpop_proof', description: 'the request must carry exactly one DPoP header' });
    expect(await refusal(proofs.check(request(`${proof}${'A'.repeat(8192)}`), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof is longer than 8192 characters',
    });
    for (const junk of ['', 'not a jwt', `${proof}, ${proof}`]) {
      expect((await refusal(proofs.check(request(junk), TOKEN_CHECK))).error).toBe('invalid_dpop_proof');
    }
    expect(await refusal(proofs.check(request('a.b.c'), TOKEN_CHECK))).toEqual({ error: 'invalid_dpop_proof', description: 'the DPoP proof is not a JWT' });
  });

  it('refuses a wrong or missing typ', async () => {
    for (const typ of ['JWT', 'at+jwt', 'DPOP+JWT', undefined]) {
      expect(await refusal(proofs.check(request(await proofOf(es256, {}, { typ })), TOKEN_CHECK))).toEqual({
        error: 'invalid_dpop_proof',
        description: 'the DPoP proof must have typ dpop+jwt',
      });
    }
  });

  it('refuses alg none and HMAC (HS256), whose proof proves nothing', async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const claims = { jti: 'unsigned', htm: 'POST', htu: TOKEN_URL, iat: nowS(), nonce: nonce() };
    const unsigned = `${encode({ alg: 'none', typ: 'dpop+jwt', jwk: es256.jwk })}.${encode(claims)}.`;
    const expected = { error: 'invalid_dpop_proof', description: 'the DPoP proof must be signed with one of ES256, PS256, EdDSA, RS256' };
    expect(await refusal(proofs.check(request(unsigned), TOKEN_CHECK))).toEqual(expected);
    const secret = new Uint8Array(32).fill(1);
    const hmac = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: { kty: 'oct', k: Buffer.from(secret).toString('base64url') } as Record<string, string> })
      .sign(secret);
    expect(await refusal(proofs.check(request(hmac), TOKEN_CHECK))).toEqual(expected);
  });

  it('refuses a proof whose jwk holds a private key, or a symmetric one, or none', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(pair.privateKey);
    const leaking: Signer = { privateKey: pair.privateKey, jwk: privateJwk, alg: 'ES256' };
    expect(await refusal(proofs.check(request(await proofOf(leaking)), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof jwk header must not contain a private key',
    });
    expect(await refusal(proofs.check(request(await proofOf(es256, {}, { jwk: { kty: 'oct', k: 'AAAA' } as Record<string, string> })), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof key must be an asymmetric public key',
    });
    expect(await refusal(proofs.check(request(await proofOf(es256, {}, { jwk: undefined })), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof must carry its public key in the jwk header',
    });
  });

  it('refuses a proof signed by another key than its jwk, and a jwk that does not fit the alg', async () => {
    expect(await refusal(proofs.check(request(await proofOf(es256, {}, {}, other.privateKey)), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof signature does not verify with its jwk',
    });
    const rsa = await signer('RS256');
    expect(await refusal(proofs.check(request(await proofOf(es256, {}, { jwk: rsa.jwk })), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof or its jwk is invalid',
    });
  });

  it('refuses a wrong htm, and a missing one', async () => {
    for (const htm of ['GET', 'post', undefined]) {
      expect(await refusal(proofs.check(request(await proofOf(es256, { htm })), TOKEN_CHECK))).toEqual({
        error: 'invalid_dpop_proof',
        description: 'the DPoP proof htm does not match the request method',
      });
    }
  });

  it('refuses a wrong htu: another endpoint, host, scheme, port, path or user, or none', async () => {
    for (const htu of [
      `${ISSUER}/userinfo`,
      'https://evil.example/base/token',
      'http://idp.example/base/token',
      'https://idp.example:8443/base/token',
      'https://idp.example/token',
      'https://user@idp.example/base/token',
      'token',
      undefined,
      42,
    ]) {
      expect(await refusal(proofs.check(request(await proofOf(es256, { htu })), TOKEN_CHECK))).toEqual({
        error: 'invalid_dpop_proof',
        description: 'the DPoP proof htu does not match the request URL',
      });
    }
  });

  it('compares htu after normalisation, without query and fragment (RFC 9449 §4.3 (9), RFC 3986 §6.2.2-6.2.3)', async () => {
    for (const htu of [`${TOKEN_URL}?a=1`, `${TOKEN_URL}#part`, 'HTTPS://IDP.EXAMPLE/base/token', 'https://idp.example:443/base/token', 'https://idp.example/base/./token']) {
      expect(await proofs.check(request(await proofOf(es256, { htu })), TOKEN_CHECK)).not.toBeNull();
    }
  });

  it('accepts iat from 60 seconds ago to 10 seconds ahead, and refuses a stale or a future one', async () => {
    expect(await proofs.check(request(await proofOf(es256, { iat: nowS() - 60 })), TOKEN_CHECK)).not.toBeNull();
    expect(await proofs.check(request(await proofOf(es256, { iat: nowS() + 10 })), TOKEN_CHECK)).not.toBeNull();
    expect(await refusal(proofs.check(request(await proofOf(es256, { iat: nowS() - 61 })), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof is too old (iat)',
    });
    expect(await refusal(proofs.check(request(await proofOf(es256, { iat: nowS() + 11 })), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof was issued in the future (iat)',
    });
    expect(await refusal(proofs.check(request(await proofOf(es256, { iat: undefined })), TOKEN_CHECK))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof must have a numeric iat',
    });
  });

  it('refuses a missing, empty or overlong jti', async () => {
    for (const id of [undefined, '', 'x'.repeat(201), 7]) {
      expect(await refusal(proofs.check(request(await proofOf(es256, { jti: id as string })), TOKEN_CHECK))).toEqual({
        error: 'invalid_dpop_proof',
        description: 'the DPoP proof jti must be text of 1 to 200 characters',
      });
    }
  });

  it('asks for its nonce when a proof has none, and gives a fresh one when the nonce is stale or forged', async () => {
    const missing = await refusal(proofs.check(request(await proofOf(es256, { nonce: undefined })), TOKEN_CHECK));
    expect(missing).toMatchObject({ error: 'use_dpop_nonce', description: 'the DPoP proof must carry the nonce this server provides in the DPoP-Nonce header' });
    expect(missing.nonce).toBe(nonce());
    expect(await proofs.check(request(await proofOf(es256, { nonce: missing.nonce })), TOKEN_CHECK)).not.toBeNull();

    const old = nonce();
    clock.advance(DPOP_NONCE_SLOT_MS);
    expect(await proofs.check(request(await proofOf(es256, { nonce: old })), TOKEN_CHECK)).not.toBeNull();
    clock.advance(DPOP_NONCE_SLOT_MS);
    for (const bad of [old, 'forged-nonce', dpopNoncesOf(clock, secretBox(Buffer.alloc(32, 4))).issue()]) {
      const stale = await refusal(proofs.check(request(await proofOf(es256, { nonce: bad })), TOKEN_CHECK));
      expect(stale).toMatchObject({ error: 'use_dpop_nonce', description: 'the DPoP proof nonce is not valid or has expired; use the one in the DPoP-Nonce header' });
      expect(stale.nonce).toBe(nonce());
    }
    expect(await proofs.nonce()).toBe(nonce());
  });

  it('asks for the nonce only of a proof that is otherwise good', async () => {
    expect((await refusal(proofs.check(request(await proofOf(es256, { nonce: undefined, htm: 'GET' })), TOKEN_CHECK))).error).toBe('invalid_dpop_proof');
  });

  it('at a resource, requires ath, the hash of the access token presented with the proof (RFC 9449 §4.3 (12))', async () => {
    const check: DpopCheck = { route: 'userinfo', accessToken: 'the-access-token' };
    const at = (claims: JWTPayload) => proofOf(es256, { htm: 'GET', htu: `${ISSUER}/userinfo`, ...claims });
    const get = (proof: string) => ({ method: 'GET', headersDistinct: { dpop: [proof] } });
    expect(await proofs.check(get(await at({ ath: accessTokenHash('the-access-token') })), check)).not.toBeNull();
    expect(await refusal(proofs.check(get(await at({})), check))).toEqual({ error: 'invalid_dpop_proof', description: 'the DPoP proof must carry ath, the hash of the access token' });
    expect(await refusal(proofs.check(get(await at({ ath: accessTokenHash('another-token') })), check))).toEqual({
      error: 'invalid_dpop_proof',
      description: 'the DPoP proof ath does not match the access token',
    });
  });
});
