// The keys of private_key_jwt clients (src/oidc/client-jwks.ts): the jwks_uri fetcher's limits (https or loopback
// http, no redirects, timeout, byte limit read from the stream, JSON content type) against real loopback servers,
// and the cache's rules on a fake clock: a set kept 5 minutes per client, an unknown kid fetched again at most once
// per 30 s per client, a failure remembered briefly, concurrent requests sharing one fetch. And the address rule
// (src/http/outbound-request.ts): with private addresses not allowed, a jwks_uri that is, or resolves to, a
// special-purpose address is refused before any connection.
import http from 'node:http';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientKeys, clientKeysOf, DEFAULT_CLIENT_KEYS_OPTIONS, fetchJwks, JwksUnavailable, type ClientKeysOptions } from '../../src/oidc/client-jwks.js';
import type { ClientRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { loopbackServer, loopbackServersPerBlock, resolverOf, type LoopbackServer } from '../helpers/loopback-server.js';

interface Key {
  privateKey: CryptoKey;
  jwk: JWK;
  kid: string;
}

async function newKey(): Promise<Key> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { privateKey, jwk: { ...jwk, kid }, kid };
}

const setOf = (...keys: Key[]): JSONWebKeySet => ({ keys: keys.map((key) => key.jwk) });

function signed(key: Key): Promise<string> {
  return new SignJWT({ iss: 'c' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
}

/** The servers here answer on /keys. */
type Server = LoopbackServer;
const server = (answer: Server['answer']): Promise<Server> => loopbackServer(answer, '/keys');

const json =
  (body: unknown, type = 'application/json') =>
  (res: http.ServerResponse) =>
    res.writeHead(200, { 'Content-Type': type }).end(JSON.stringify(body));

function client(clientId: string, fields: Partial<ClientRecord>): ClientRecord {
  return { clientId, jwks: null, jwksUri: null, tokenEndpointAuthMethod: 'private_key_jwt', clientType: 'confidential', ...fields } as ClientRecord;
}

// These servers are on loopback: allowed here as in development (ALLOW_PRIVATE_CLIENT_URLS=true).
const OPTIONS = { timeoutMs: 300, maxBytes: 2048, allowPrivateAddresses: true };
const STRICT = { ...OPTIONS, allowPrivateAddresses: false };
const REFUSED = 'jwks_uri could not be fetched (refused_address)';

async function unavailable(call: Promise<unknown>): Promise<string> {
  const error = await call.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JwksUnavailable);
  return (error as Error).message;
}

describe('fetchJwks: the jwks_uri request', () => {
  let keys: JSONWebKeySet;
  const start = loopbackServersPerBlock('/keys');

  beforeAll(async () => {
    keys = setOf(await newKey());
  });

  it('reads a JWKS served as application/json or application/jwk-set+json', async () => {
    for (const type of ['application/json', 'application/json; charset=utf-8', 'application/jwk-set+json']) {
      const s = await start(json(keys, type));
      expect(await fetchJwks(s.url, OPTIONS), type).toEqual(keys);
    }
  });

  it('refuses http except on a loopback host, and anything but http(s), without a request', async () => {
    expect(await unavailable(fetchJwks('http://keys.example/jwks', OPTIONS))).toBe('jwks_uri must use https (http only on a loopback host)');
    expect(await unavailable(fetchJwks('file:///etc/passwd', OPTIONS))).toBe('jwks_uri must use https (http only on a loopback host)');
    expect(await unavailable(fetchJwks('not a url', OPTIONS))).toBe('jwks_uri is not an absolute URL');
  });

  it('refuses a redirect without following it', async () => {
    const target = await start(json(keys));
    const s = await start((res) => res.writeHead(302, { Location: target.url }).end());
    expect(await unavailable(fetchJwks(s.url, OPTIONS))).toMatch(/^jwks_uri could not be fetched/);
    expect(target.requests).toBe(0);
  });

  it('refuses another status, another content type, text that is not JSON, JSON that is not a JWKS', async () => {
    expect(await unavailable(fetchJwks((await start((res) => res.writeHead(404).end())).url, OPTIONS))).toBe('jwks_uri answered HTTP 404');
    expect(await unavailable(fetchJwks((await start(json(keys, 'text/plain'))).url, OPTIONS))).toBe('jwks_uri did not answer with JSON');
    expect(await unavailable(fetchJwks((await start((res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"keys": ['))).url, OPTIONS))).toBe(
      'the jwks_uri answer is not JSON',
    );
    expect(await unavailable(fetchJwks((await start(json({ keys: 'none' }))).url, OPTIONS))).toBe('the jwks_uri answer is not a JWKS');
  });

  it('reads at most maxBytes, whether Content-Length announces more or the body streams without one', async () => {
    const big = JSON.stringify({ ...keys, padding: 'x'.repeat(3000) });
    const announced = await start((res) => res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(big)) }).end(big));
    expect(await unavailable(fetchJwks(announced.url, OPTIONS))).toBe('the JWKS is larger than 2048 bytes');
    const streamed = await start((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(big.slice(0, 1500));
      res.end(big.slice(1500));
    });
    expect(await unavailable(fetchJwks(streamed.url, OPTIONS))).toBe('the JWKS is larger than 2048 bytes');
    // Exactly at the limit is fine.
    const exact = JSON.stringify({ ...keys, padding: '' });
    const fitting = JSON.stringify({ ...keys, padding: 'x'.repeat(2048 - Buffer.byteLength(exact)) });
    expect(Buffer.byteLength(fitting)).toBe(2048);
    expect(await fetchJwks((await start((res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end(fitting))).url, OPTIONS)).toMatchObject(keys);
  });

  it('gives up after the timeout, before the headers or in the middle of the body', async () => {
    const silent = await start(() => undefined);
    expect(await unavailable(fetchJwks(silent.url, OPTIONS))).toBe('jwks_uri did not answer within 300 ms');
    const stalled = await start((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"keys": [');
    });
    expect(await unavailable(fetchJwks(stalled.url, OPTIONS))).toBe('jwks_uri did not answer within 300 ms');
  });

  it('a host nobody listens on', async () => {
    const s = await server(json(keys));
    await s.stop();
    expect(await unavailable(fetchJwks(s.url, OPTIONS))).toBe('jwks_uri could not be fetched (ECONNREFUSED)');
  });

  it('refuses a compressed body (identity is asked for: a size limit on compressed bytes would say little)', async () => {
    const s = await start((res) => res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }).end('not really gzip'));
    expect(await unavailable(fetchJwks(s.url, OPTIONS))).toBe('jwks_uri answered with an encoded body');
  });

  it('a connection closed in the middle of the body', async () => {
    const s = await start((res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"keys": [', () => res.destroy());
    });
    expect(await unavailable(fetchJwks(s.url, OPTIONS))).toMatch(/^jwks_uri could not be fetched \((connection_failed|ECONNRESET)\)$/);
  });
});

describe('fetchJwks: special-purpose addresses, refused unless ALLOW_PRIVATE_CLIENT_URLS (CWE-918)', () => {
  let keys: JSONWebKeySet;
  const startServer = loopbackServersPerBlock('/keys');
  const start = () => startServer(json(keys));

  beforeAll(async () => {
    keys = setOf(await newKey());
  });

  it('refuses a loopback address literal without connecting', async () => {
    const s = await start();
    expect(await unavailable(fetchJwks(s.url, STRICT))).toBe(REFUSED);
    expect(await unavailable(fetchJwks(s.url.replace('127.0.0.1', '127.1.2.3'), STRICT))).toBe(REFUSED);
    expect(await unavailable(fetchJwks(s.url.replace('127.0.0.1', '[::1]'), STRICT))).toBe(REFUSED);
    expect(s.connections).toBe(0);
  });

  it('refuses a name that resolves to a private address, asking the resolver once', async () => {
    const { asked, resolve } = resolverOf('10.0.0.1');
    // Were it tried, 10.0.0.1 would not answer within the timeout: the reason says it was not.
    expect(await unavailable(fetchJwks('https://keys.example/jwks', { ...STRICT, resolve }))).toBe(REFUSED);
    expect(asked).toEqual(['keys.example']);
  });

  it('refuses a name when any of its addresses is special-purpose (one private answer among public ones: DNS rebinding)', async () => {
    const { resolve } = resolverOf('93.184.215.14', '::ffff:10.0.0.1');
    expect(await unavailable(fetchJwks('https://keys.example/jwks', { ...STRICT, resolve }))).toBe(REFUSED);
  });

  it('refuses a name resolving to loopback without connecting to the server there', async () => {
    const s = await start();
    const { asked, resolve } = resolverOf('127.0.0.1');
    expect(await unavailable(fetchJwks(s.url.replace('127.0.0.1', 'localhost'), { ...STRICT, resolve }))).toBe(REFUSED);
    expect(asked).toEqual(['localhost']);
    expect(s.connections).toBe(0);
  });

  it('refuses the metadata address as an IPv4-mapped IPv6 literal, without asking the resolver', async () => {
    const { asked, resolve } = resolverOf('93.184.215.14');
    for (const uri of ['https://[::ffff:169.254.169.254]/keys', 'https://169.254.169.254/latest/meta-data/', 'https://[fd00::1]/keys']) {
      expect(await unavailable(fetchJwks(uri, { ...STRICT, resolve })), uri).toBe(REFUSED);
    }
    expect(asked).toEqual([]);
  });

  it('with private addresses allowed, a loopback jwks_uri is fetched, through the checked resolver for a name', async () => {
    const s = await start();
    expect(await fetchJwks(s.url, OPTIONS)).toEqual(keys);
    const { asked, resolve } = resolverOf('127.0.0.1');
    expect(await fetchJwks(s.url.replace('127.0.0.1', 'localhost'), { ...OPTIONS, resolve })).toEqual(keys);
    expect(asked).toEqual(['localhost']);
    expect(s.requests).toBe(2);
  });
});

describe('ClientKeys: the cache of jwks_uri sets', () => {
  let clock: FakeClock;
  let first: Key;
  let second: Key;
  let s: Server;
  let keys: ClientKeys;
  let published: JSONWebKeySet;

  // The server is on loopback: allowed here as in development (ALLOW_PRIVATE_CLIENT_URLS=true).
  const options: ClientKeysOptions = { ...DEFAULT_CLIENT_KEYS_OPTIONS, timeoutMs: 1000, allowPrivateAddresses: true };

  beforeAll(async () => {
    [first, second] = [await newKey(), await newKey()];
    s = await server((res) => json(published)(res));
  });
  afterAll(() => s.stop());

  function fresh(): void {
    clock = new FakeClock();
    keys = new ClientKeys(clock, options);
    published = setOf(first);
    s.requests = 0;
    s.answer = (res) => json(published)(res);
  }

  const verify = async (clientId: string, key: Key) => jwtVerify(await signed(key), keys.resolverFor(client(clientId, { jwksUri: s.url })));

  it('keeps a set 5 minutes per client and URI', async () => {
    fresh();
    await verify('a', first);
    await verify('a', first);
    expect(s.requests).toBe(1);
    // Another client naming the same URI has its own entry.
    await verify('b', first);
    expect(s.requests).toBe(2);
    clock.advance(5 * 60_000 - 1);
    await verify('a', first);
    expect(s.requests).toBe(2);
    clock.advance(1);
    await verify('a', first);
    expect(s.requests).toBe(3);
  });

  it('fetches again on an unknown kid, at most once per 30 s per client', async () => {
    fresh();
    await verify('a', first);
    published = setOf(first, second);
    await verify('a', second);
    expect(s.requests).toBe(2);
    const third = await newKey();
    await expect(verify('a', third)).rejects.toBeInstanceOf(Error);
    expect(s.requests).toBe(2);
    published = setOf(third);
    clock.advance(29_999);
    await expect(verify('a', third)).rejects.toThrow(/no applicable key/i);
    expect(s.requests).toBe(2);
    clock.advance(1);
    await verify('a', third);
    expect(s.requests).toBe(3);
  });

  it('a set fetched for this very request is not fetched again for its unknown kid', async () => {
    fresh();
    await expect(verify('a', second)).rejects.toThrow(/no applicable key/i);
    expect(s.requests).toBe(1);
  });

  it('remembers a failure for 10 s: meanwhile no request is made', async () => {
    fresh();
    s.answer = (res) => res.writeHead(503).end();
    await expect(verify('a', first)).rejects.toThrow('jwks_uri answered HTTP 503');
    s.answer = (res) => json(published)(res);
    await expect(verify('a', first)).rejects.toThrow('jwks_uri answered HTTP 503');
    expect(s.requests).toBe(1);
    clock.advance(10_000);
    await verify('a', first);
    expect(s.requests).toBe(2);
  });

  it('requests at once share one fetch', async () => {
    fresh();
    await Promise.all([verify('a', first), verify('a', first), verify('a', first)]);
    expect(s.requests).toBe(1);
  });

  it('drops the least recently used set beyond maxEntries', async () => {
    fresh();
    keys = new ClientKeys(clock, { ...options, maxEntries: 2 });
    await verify('a', first);
    await verify('b', first);
    await verify('a', first);
    await verify('c', first);
    expect(s.requests).toBe(3);
    await verify('a', first);
    expect(s.requests).toBe(3);
    await verify('b', first);
    expect(s.requests).toBe(4);
  });

  it('an inline JWKS needs no request; a malformed one, or none registered, is JwksUnavailable', async () => {
    fresh();
    await jwtVerify(await signed(first), keys.resolverFor(client('a', { jwks: JSON.stringify(setOf(first)) })));
    expect(s.requests).toBe(0);
    expect(() => keys.resolverFor(client('a', { jwks: '{"keys": 1}' }))).toThrow(JwksUnavailable);
    expect(() => keys.resolverFor(client('a', { jwks: 'not json' }))).toThrow(JwksUnavailable);
    expect(() => keys.resolverFor(client('a', {}))).toThrow('the client has registered no keys');
  });

  it('a jwks_uri on a special-purpose address is jwks-unavailable unless the config allows it; without a config it is refused', async () => {
    fresh();
    const refusedBy = async (clientKeys: ClientKeys) => {
      const error = await jwtVerify(await signed(first), clientKeys.resolverFor(client('a', { jwksUri: s.url }))).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JwksUnavailable);
      return (error as Error).message;
    };
    expect(await refusedBy(new ClientKeys(clock, { ...options, allowPrivateAddresses: false }))).toBe(REFUSED);
    expect(await refusedBy(new ClientKeys(clock))).toBe(REFUSED);
    expect(await refusedBy(clientKeysOf({} as Store, clock))).toBe(REFUSED);
    expect(await refusedBy(clientKeysOf({} as Store, clock, { allowPrivateClientUrls: false }))).toBe(REFUSED);
    expect(s.requests).toBe(0);
    await jwtVerify(await signed(first), clientKeysOf({} as Store, clock, { allowPrivateClientUrls: true }).resolverFor(client('a', { jwksUri: s.url })));
    expect(s.requests).toBe(1);
  });

  it('a served set holding a private key is refused when the key is used', async () => {
    fresh();
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    published = { keys: [{ ...(await exportJWK(privateKey)), kid: first.kid }] };
    await expect(verify('a', first)).rejects.toThrow();
  });
});
