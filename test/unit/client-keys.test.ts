// The checks of a private_key_jwt client's keys (src/manage/client-keys.ts, issue 22): only public signing keys that
// the client assertion check can verify are taken, never a private or symmetric key, and what is stored holds the
// public members only.
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { checkJwks, checkJwksUri, describeKey, jwksKeys, MAX_JWKS_BYTES, plannedKeys } from '../../src/manage/client-keys.js';

function rsaKeys(bits = 2048): { publicJwk: JsonWebKey; privateJwk: JsonWebKey } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: bits });
  return { publicJwk: publicKey.export({ format: 'jwk' }), privateJwk: privateKey.export({ format: 'jwk' }) };
}

function ecKeys(namedCurve = 'P-256'): { publicJwk: JsonWebKey; privateJwk: JsonWebKey } {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve });
  return { publicJwk: publicKey.export({ format: 'jwk' }), privateJwk: privateKey.export({ format: 'jwk' }) };
}

const rsa = rsaKeys();
const ec = ecKeys();
const jwks = (...keys: unknown[]) => JSON.stringify({ keys });

/** The ValidationError `text` is refused with (field jwks), its message matching `message`. */
function refusal(text: string, message: RegExp): ValidationError {
  let caught: unknown;
  try {
    checkJwks(text);
  } catch (error) {
    caught = error;
  }
  expect(caught, text.slice(0, 80)).toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.field).toBe('jwks');
  expect(error.message).toMatch(message);
  return error;
}

describe('checkJwks', () => {
  it('takes RSA (2048 bits and more) and EC P-256 public keys, with kid, use sig and a matching alg', () => {
    const text = jwks({ ...rsa.publicJwk, kid: 'rsa-1', use: 'sig', alg: 'RS256' }, { ...ec.publicJwk, kid: 'ec-1', alg: 'ES256' }, { ...rsaKeys(3072).publicJwk, alg: 'PS256' });
    const stored = JSON.parse(checkJwks(text)) as { keys: Record<string, unknown>[] };
    expect(stored.keys).toHaveLength(3);
    expect(stored.keys[0]).toEqual({ kty: 'RSA', kid: 'rsa-1', use: 'sig', alg: 'RS256', n: rsa.publicJwk.n, e: rsa.publicJwk.e });
    expect(stored.keys[1]).toEqual({ kty: 'EC', kid: 'ec-1', alg: 'ES256', crv: 'P-256', x: ec.publicJwk.x, y: ec.publicJwk.y });
  });

  it('stores the public members only: anything else (x5c, key_ops, unknown members) is left out', () => {
    const stored = checkJwks(jwks({ ...ec.publicJwk, key_ops: ['verify'], x5c: ['MIIB'], note: 'laptop' }));
    expect(JSON.parse(stored)).toEqual({ keys: [{ kty: 'EC', crv: 'P-256', x: ec.publicJwk.x, y: ec.publicJwk.y }] });
  });

  it('refuses a private key, naming the member and never repeating its value', () => {
    const error = refusal(jwks(rsa.privateJwk), /contains the private member "d": register only the public key/);
    expect(error.message).not.toContain(String(rsa.privateJwk.d));
    refusal(jwks(ec.privateJwk), /private member "d"/);
    for (const member of ['p', 'q', 'dp', 'dq', 'qi', 'oth']) refusal(jwks({ ...rsa.publicJwk, [member]: 'AQAB' }), new RegExp(`private member "${member}"`));
    // One bad key among good ones refuses the whole set.
    refusal(jwks(ec.publicJwk, rsa.privateJwk), /key 2 contains the private member "d"/);
  });

  it('refuses a symmetric (oct) key', () => {
    refusal(jwks({ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', alg: 'HS256' }), /symmetric \(oct\) key/);
    refusal(jwks({ kty: 'oct' }), /symmetric \(oct\) key/);
  });

  it('refuses an RSA key under 2048 bits, saying how many it has', () => {
    refusal(jwks(rsaKeys(1024).publicJwk), /at least 2048 bits \(this one has 1024\)/);
  });

  it('refuses EC keys on other curves than P-256 (P-384, P-521, secp256k1)', () => {
    refusal(jwks(ecKeys('P-384').publicJwk), /curve P-256/);
    refusal(jwks(ecKeys('P-521').publicJwk), /curve P-256/);
    refusal(jwks(ecKeys('secp256k1').publicJwk), /curve P-256/);
  });

  it("refuses other key types, an alg that is not the key type's, a use other than sig, and a point off the curve", () => {
    refusal(jwks({ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }), /must be RSA or EC/);
    refusal(jwks({ ...rsa.publicJwk, alg: 'HS256' }), /"alg" must be RS256 or PS256/);
    refusal(jwks({ ...rsa.publicJwk, alg: 'none' }), /"alg" must be RS256 or PS256/);
    refusal(jwks({ ...ec.publicJwk, alg: 'RS256' }), /"alg" must be ES256/);
    refusal(jwks({ ...ec.publicJwk, use: 'enc' }), /"use" must be "sig"/);
    refusal(jwks({ ...ec.publicJwk, y: ec.publicJwk.x }), /not a valid EC public key/);
    refusal(jwks({ kty: 'RSA', e: 'AQAB' }), /"n" must be base64url text/);
    refusal(jwks({ ...ec.publicJwk, kid: 7 }), /"kid" must be text/);
  });

  it('refuses more than 10 keys, none, two keys with one kid, and more than 64 KiB', () => {
    const eleven = Array.from({ length: 11 }, () => ecKeys().publicJwk);
    refusal(jwks(...eleven), /at most 10 keys \(it holds 11\)/);
    expect(JSON.parse(checkJwks(jwks(...eleven.slice(0, 10)))).keys).toHaveLength(10);
    refusal(jwks(), /holds no key/);
    refusal(jwks({ ...ec.publicJwk, kid: 'a' }, { ...rsa.publicJwk, kid: 'a' }), /two keys have the kid "a"/);
    refusal(JSON.stringify({ keys: [ec.publicJwk], padding: 'x'.repeat(MAX_JWKS_BYTES) }), /at most 64 KiB/);
  });

  it('refuses text that is not JSON, or JSON that is not a key set', () => {
    refusal('-----BEGIN PUBLIC KEY-----', /not JSON/);
    refusal('', /not JSON/);
    for (const text of ['[]', 'null', '42', '{"keys": {}}', JSON.stringify(ec.publicJwk)]) refusal(text, /JSON object with a "keys" array/);
    refusal(jwks('a string'), /key 1 is not a JSON object/);
  });
});

describe('checkJwksUri', () => {
  it('takes https, and http on loopback only', () => {
    expect(checkJwksUri('https://app.example/.well-known/jwks.json')).toBe('https://app.example/.well-known/jwks.json');
    expect(checkJwksUri('http://127.0.0.1:8080/jwks')).toBe('http://127.0.0.1:8080/jwks');
    for (const uri of ['http://app.example/jwks', 'ftp://app.example/jwks', 'https://app.example/jwks#x', 'https://u:p@app.example/jwks', 'jwks.json', ' https://app.example/jwks']) {
      expect(() => checkJwksUri(uri), uri).toThrow(ValidationError);
    }
    expect(() => checkJwksUri('http://app.example/jwks')).toThrow(/jwks_uri "http:\/\/app.example\/jwks" uses http on a host that is not loopback/);
  });
});

describe('plannedKeys', () => {
  const text = jwks(ec.publicJwk);
  it('leaves the keys when neither is given; gives one and clears the other; clears with empty text or null', () => {
    expect(plannedKeys({}, false)).toBeUndefined();
    expect(plannedKeys({ jwks: text }, false)).toEqual({ jwks: checkJwks(text), jwksUri: null });
    expect(plannedKeys({ jwksUri: 'https://app.example/jwks' }, false)).toEqual({ jwks: null, jwksUri: 'https://app.example/jwks' });
    expect(plannedKeys({ jwks: ' ', jwksUri: null }, false)).toEqual({ jwks: null, jwksUri: null });
  });

  it('refuses both at once, and any key for a public client', () => {
    expect(() => plannedKeys({ jwks: text, jwksUri: 'https://app.example/jwks' }, false)).toThrow(/not both/);
    expect(() => plannedKeys({ jwks: text }, true)).toThrow(/a public client has no keys/);
    expect(plannedKeys({ jwks: null }, true)).toEqual({ jwks: null, jwksUri: null });
  });
});

describe('describing keys', () => {
  it('names the type, size or curve, alg and kid', () => {
    const keys = jwksKeys(checkJwks(jwks({ ...rsa.publicJwk, kid: 'k1', alg: 'RS256' }, ec.publicJwk)));
    expect(keys.map(describeKey)).toEqual(['RSA 2048 RS256 kid=k1', 'EC P-256']);
    expect(jwksKeys(null)).toEqual([]);
  });
});
