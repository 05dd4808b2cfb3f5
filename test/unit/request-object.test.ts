// Request objects (src/oidc/request-object.ts, RFC 9101) at their exact bounds, on a real SQLite store and a fixed
// time: only PS256/ES256/RS256 signatures by the client's registered key, iss = client, aud = our issuer, exp required
// and at most 60 minutes (+ 30 s skew) ahead, nbf neither in the future nor older than 60 minutes, iat not in the
// future, jti of 1 to 200 characters and single use (spent apart from verification), client_id inside equal to the
// outer one, no request or request_uri inside; the claims become the parameters (numbers as text, resource as a list).
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import { InvalidRequestObject } from '../../src/errors.js';
import { ClientKeys } from '../../src/oidc/client-jwks.js';
import { spendRequestObject, verifyRequestObject, type RequestObjectContext } from '../../src/oidc/request-object.js';
import type { ClientRecord } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { tempDir } from '../helpers/temp-dir.js';

const ISSUER = 'https://idp.example';
const NOW = Date.parse('2025-06-01T12:00:00Z');
const NOW_S = NOW / 1000;
const CLIENT_ID = 'signer';

describe('verifyRequestObject (RFC 9101)', () => {
  let store: Store;
  let remove: () => void;
  let privateKey: CryptoKey;
  let kid: string;
  let client: ClientRecord;
  let keyless: ClientRecord;
  let ctx: RequestObjectContext;

  const baseClient = {
    clientType: 'confidential' as const,
    redirectUris: ['https://rp.example/cb'],
    postLogoutRedirectUris: [],
    backchannelLogoutUri: null,
    grantTypes: ['authorization_code'],
    scopes: [],
    pkceRequired: true,
  };

  beforeAll(async () => {
    const temp = tempDir();
    remove = temp.remove;
    store = openSqliteStore({ file: `${temp.dir}/idp.sqlite`, synchronous: 'NORMAL' });
    const pair = await generateKeyPair('PS256', { extractable: true });
    privateKey = pair.privateKey;
    const publicJwk: JWK = await exportJWK(pair.publicKey);
    kid = await calculateJwkThumbprint(publicJwk);
    client = await store.clients.create(
      { ...baseClient, clientId: CLIENT_ID, name: 'Signer', secretHash: null, tokenEndpointAuthMethod: 'private_key_jwt', jwks: JSON.stringify({ keys: [{ ...publicJwk, kid }] }) },
      NOW,
    );
    keyless = await store.clients.create({ ...baseClient, clientId: 'secretive', name: 'Secretive', secretHash: 'x'.repeat(43), tokenEndpointAuthMethod: 'client_secret_basic' }, NOW);
    ctx = { keys: new ClientKeys({ now: () => NOW }), issuer: ISSUER, now: NOW };
  });
  afterAll(async () => {
    await store.close();
    remove();
  });

  /** A request object for CLIENT_ID: aud the issuer, 5 minutes of life, a fresh jti; a claim set to undefined is left out. */
  function claims(extra: JWTPayload = {}): JWTPayload {
    const payload: JWTPayload = {
      iss: CLIENT_ID,
      aud: ISSUER,
      iat: NOW_S,
      exp: NOW_S + 300,
      jti: randomId(),
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: 'https://rp.example/cb',
      scope: 'openid',
      ...extra,
    };
    for (const [name, value] of Object.entries(payload)) if (value === undefined) delete payload[name];
    return payload;
  }
  const sign = (extra: JWTPayload = {}, header: Record<string, unknown> = {}, key: CryptoKey = privateKey) =>
    new SignJWT(claims(extra)).setProtectedHeader({ alg: 'PS256', kid, typ: 'oauth-authz-req+jwt', ...header } as { alg: string }).sign(key);

  async function refusal(request: unknown, forClient: ClientRecord = client): Promise<string> {
    const error: unknown = await verifyRequestObject(ctx, forClient, request).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidRequestObject);
    expect((error as InvalidRequestObject).error).toBe('invalid_request_object');
    return (error as InvalidRequestObject).message;
  }

  it('returns the claims as the parameters: text kept, numbers as text, resource as a list; the JWT claims left out', async () => {
    const verified = await verifyRequestObject(ctx, client, await sign({ max_age: 600, resource: ['https://a.example/', 'https://b.example/'], state: 'xyz' }));
    expect(verified.params).toEqual({
      client_id: CLIENT_ID,
      response_type: 'code',
      redirect_uri: 'https://rp.example/cb',
      scope: 'openid',
      max_age: '600',
      resource: ['https://a.example/', 'https://b.example/'],
      state: 'xyz',
    });
    expect(verified.jtiExpiresAt).toBe((NOW_S + 300 + 30) * 1000);
  });

  it('accepts an aud array naming the issuer, no typ, and the bounds exactly: exp 60 min + skew ahead, nbf 60 min + skew old', async () => {
    await expect(verifyRequestObject(ctx, client, await sign({ aud: ['https://other.example', ISSUER] }))).resolves.toBeTruthy();
    const untyped = await new SignJWT(claims()).setProtectedHeader({ alg: 'PS256', kid }).sign(privateKey);
    await expect(verifyRequestObject(ctx, client, untyped)).resolves.toBeTruthy();
    await expect(verifyRequestObject(ctx, client, await sign({ exp: NOW_S + 3630 }))).resolves.toBeTruthy();
    await expect(verifyRequestObject(ctx, client, await sign({ nbf: NOW_S - 3630 }))).resolves.toBeTruthy();
    await expect(verifyRequestObject(ctx, client, await sign({ exp: NOW_S - 30 + 1 }))).resolves.toBeTruthy();
  });

  it('refuses unsigned (alg none) and HMAC request objects before looking for a key', async () => {
    const unsigned = new UnsecuredJWT(claims()).encode();
    expect(await refusal(unsigned)).toBe('the request object must be signed with PS256, ES256, RS256 (unsigned and HMAC request objects are refused)');
    const hmac = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('k'.repeat(32)));
    expect(await refusal(hmac)).toBe('the request object must be signed with PS256, ES256, RS256 (unsigned and HMAC request objects are refused)');
  });

  it('refuses a signature by a key the client did not register', async () => {
    const foreign = (await generateKeyPair('PS256')).privateKey;
    expect(await refusal(await sign({}, {}, foreign))).toBe('the request object is not signed by a key registered for this client');
    expect(await refusal(await sign({}, { kid: 'unknown' }))).toBe('the request object is not signed by a key registered for this client');
  });

  it('refuses a client without registered keys', async () => {
    expect(await refusal(await sign({ iss: 'secretive', client_id: 'secretive' }), keyless)).toBe('this client has registered no keys (jwks or jwks_uri), so it cannot send request objects');
  });

  it('refuses a wrong iss or aud', async () => {
    expect(await refusal(await sign({ iss: 'someone-else' }))).toBe('the request object must be issued by the client (iss = client_id)');
    expect(await refusal(await sign({ aud: 'https://idp.example/token' }))).toBe("the request object's aud must be this server's issuer");
    expect(await refusal(await sign({ aud: undefined }))).toBe("the request object's aud must be this server's issuer");
  });

  it('refuses a missing, past or too distant exp', async () => {
    expect(await refusal(await sign({ exp: undefined }))).toBe('the request object must have an expiry time (exp)');
    expect(await refusal(await sign({ exp: NOW_S - 31 }))).toBe('the request object has expired (exp)');
    expect(await refusal(await sign({ exp: NOW_S + 3631 }))).toBe('the request object expires more than 60 minutes ahead (exp)');
  });

  it('refuses an nbf in the future or older than 60 minutes, and an iat in the future', async () => {
    expect(await refusal(await sign({ nbf: NOW_S + 31 }))).toBe('the request object is not valid yet (nbf)');
    expect(await refusal(await sign({ nbf: NOW_S - 3631 }))).toBe("the request object's nbf is more than 60 minutes in the past");
    expect(await refusal(await sign({ iat: NOW_S + 31 }))).toBe('the request object was issued in the future (iat)');
  });

  it('refuses a missing, empty or overlong jti', async () => {
    expect(await refusal(await sign({ jti: undefined }))).toBe('the request object must have a jti');
    expect(await refusal(await sign({ jti: '' }))).toBe("the request object's jti must be text of 1 to 200 characters");
    expect(await refusal(await sign({ jti: 'j'.repeat(201) }))).toBe("the request object's jti must be text of 1 to 200 characters");
  });

  it('refuses another client_id inside, and request or request_uri inside', async () => {
    expect(await refusal(await sign({ client_id: 'someone-else' }))).toBe("the request object's client_id differs from the client_id sent with it");
    expect(await refusal(await sign({ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }))).toBe('the request object must not contain request or request_uri');
    expect(await refusal(await sign({ request: 'x.y.z' }))).toBe('the request object must not contain request or request_uri');
  });

  it('refuses another typ (a DPoP proof or an access token is not a request object), a JWE, garbage and repeats', async () => {
    expect(await refusal(await sign({}, { typ: 'dpop+jwt' }))).toBe('the request object has the wrong typ: oauth-authz-req+jwt is expected');
    expect(await refusal('eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d')).toBe('encrypted request objects are not supported: sign the request object (JWS)');
    expect(await refusal('not a jwt')).toBe('the request object is not a signed JWT');
    expect(await refusal(['a', 'b'])).toBe('request is included more than once');
    expect(await refusal('x'.repeat(16 * 1024 + 1))).toBe('the request object is longer than 16384 characters');
  });

  it('refuses a claim that is neither text, a number nor an object', async () => {
    expect(await refusal(await sign({ scope: ['openid'] }))).toBe("the request object's scope must be a string");
  });

  it('spends the jti once per client: the second use is refused, verification alone spends nothing', async () => {
    const request = await sign();
    const first = await verifyRequestObject(ctx, client, request);
    const again = await verifyRequestObject(ctx, client, request);
    await spendRequestObject(store, client, first);
    await expect(spendRequestObject(store, client, again)).rejects.toThrow('the request object was used before (jti)');
  });
});
