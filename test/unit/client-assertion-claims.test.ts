// The claims of a private_key_jwt client assertion (src/oidc/client-assertion.ts, RFC 7523 §3) at their exact
// bounds, on a real SQLite store and a fixed time: exp in the future (30 s skew) and at most 5 minutes (+ skew)
// ahead, nbf and iat not beyond the skew in the future, aud among ours, jti of 1 to 200 characters and single use,
// spent only once everything else holds.
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { verifyClientAssertion, type AssertionContext } from '../../src/oidc/client-assertion.js';
import { ClientKeys } from '../../src/oidc/client-jwks.js';
import type { ClientRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

const ISSUER = 'https://idp.example';
const NOW = Date.parse('2025-06-01T12:00:00Z');
const NOW_S = NOW / 1000;
const CLIENT_ID = 'reporter';

describe('verifyClientAssertion', () => {
  let store: Store;
  let remove: () => void;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let jwk: JWK;
  let client: ClientRecord;
  let ctx: AssertionContext;

  beforeAll(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    const pair = await generateKeyPair('PS256', { extractable: true });
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('PS256')).privateKey;
    const publicJwk = await exportJWK(pair.publicKey);
    jwk = { ...publicJwk, kid: await calculateJwkThumbprint(publicJwk) };
    client = await store.clients.create(
      {
        clientId: CLIENT_ID,
        name: 'Reporter',
        clientType: 'confidential',
        secretHash: null,
        tokenEndpointAuthMethod: 'private_key_jwt',
        redirectUris: [],
        postLogoutRedirectUris: [],
        backchannelLogoutUri: null,
        grantTypes: ['client_credentials'],
        scopes: [],
        pkceRequired: true,
        jwks: JSON.stringify({ keys: [jwk] }),
      },
      NOW,
    );
    ctx = { store, keys: new ClientKeys({ now: () => NOW }), audiences: [ISSUER, `${ISSUER}/token`], now: NOW };
  });
  afterAll(async () => {
    await store.close();
    remove();
  });

  function sign(claims: JWTPayload, key: CryptoKey = privateKey): Promise<string> {
    const payload: JWTPayload = { iss: CLIENT_ID, sub: CLIENT_ID, aud: ISSUER, iat: NOW_S, exp: NOW_S + 60, jti: randomId(), ...claims };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: 'PS256', kid: jwk.kid }).sign(key);
  }

  const verdict = async (claims: JWTPayload) => {
    const outcome = await verifyClientAssertion(ctx, client, await sign(claims));
    return outcome.valid ? 'valid' : outcome.refused;
  };

  it('exp: in the future, or at most 30 s past; at most 330 s ahead', async () => {
    expect(await verdict({ exp: NOW_S - 29 })).toBe('valid');
    expect(await verdict({ exp: NOW_S - 30 })).toBe('invalid_assertion');
    expect(await verdict({ exp: NOW_S + 330 })).toBe('valid');
    expect(await verdict({ exp: NOW_S + 331 })).toBe('invalid_assertion');
    expect(await verdict({ exp: undefined })).toBe('invalid_assertion');
    expect(await verdict({ exp: String(NOW_S + 60) as unknown as number })).toBe('invalid_assertion');
  });

  it('nbf and iat: at most 30 s in the future', async () => {
    expect(await verdict({ nbf: NOW_S + 30 })).toBe('valid');
    expect(await verdict({ nbf: NOW_S + 31 })).toBe('invalid_assertion');
    expect(await verdict({ iat: NOW_S + 30 })).toBe('valid');
    expect(await verdict({ iat: NOW_S + 31 })).toBe('invalid_assertion');
    expect(await verdict({ iat: undefined })).toBe('valid');
  });

  it('aud: the issuer or the token endpoint, alone or among others', async () => {
    expect(await verdict({ aud: `${ISSUER}/token` })).toBe('valid');
    expect(await verdict({ aud: ['https://other.example', ISSUER] })).toBe('valid');
    expect(await verdict({ aud: `${ISSUER}/` })).toBe('invalid_assertion');
    expect(await verdict({ aud: ['https://other.example'] })).toBe('invalid_assertion');
  });

  it('iss and sub: both the client id', async () => {
    expect(await verdict({ iss: 'someone' })).toBe('invalid_assertion');
    expect(await verdict({ sub: 'someone' })).toBe('invalid_assertion');
    expect(await verdict({ sub: undefined })).toBe('invalid_assertion');
  });

  it('jti: text of 1 to 200 characters, used once', async () => {
    expect(await verdict({ jti: 'j'.repeat(200) })).toBe('valid');
    expect(await verdict({ jti: 'k'.repeat(201) })).toBe('invalid_assertion');
    expect(await verdict({ jti: '' })).toBe('invalid_assertion');
    expect(await verdict({ jti: 42 as unknown as string })).toBe('invalid_assertion');
    expect(await verdict({ jti: 'j'.repeat(200) })).toBe('replayed_assertion');
  });

  it('a refused assertion spends nothing: its jti is still good for a valid one', async () => {
    const jti = 'spent-only-when-valid';
    expect((await verifyClientAssertion(ctx, client, await sign({ jti }, otherKey))).valid).toBe(false);
    expect(await verdict({ jti, aud: 'https://other.example' })).toBe('invalid_assertion');
    expect(await verdict({ jti, exp: NOW_S + 3600 })).toBe('invalid_assertion');
    expect(await verdict({ jti })).toBe('valid');
    expect(await verdict({ jti })).toBe('replayed_assertion');
  });

  it('the jti is remembered until the assertion could no longer pass the exp check (exp + skew)', async () => {
    const jti = 'remembered';
    expect(await verdict({ jti, exp: NOW_S + 10 })).toBe('valid');
    // Housekeeping a moment before exp + 30 s keeps it: the same jti is still a replay.
    await store.clientAssertions.deleteExpired((NOW_S + 40) * 1000 - 1);
    expect(await store.clientAssertions.use(CLIENT_ID, jti, (NOW_S + 40) * 1000)).toBe(false);
  });

  it('an overlong assertion is refused unread', async () => {
    const outcome = await verifyClientAssertion(ctx, client, 'a'.repeat(8193));
    expect(outcome).toEqual({ valid: false, refused: 'invalid_assertion', detail: 'the assertion is longer than 8192 characters' });
  });
});
