// The address rule of the requests Gatehouse makes to client-registered URLs (src/http/outbound-request.ts), shared
// by the back-channel logout POST and the jwks_uri GET: a refused address literal throws before any request; a
// name is checked in the connection's own lookup, every address it resolves to, one special-purpose address
// refusing all; ALLOW_PRIVATE_CLIENT_URLS (allowPrivateAddresses) lifts the rule. Against a real loopback server.
import http from 'node:http';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkedConnection, checkedLookup, RefusedAddressError, refusesAddress, type Resolver } from '../../src/http/outbound-request.js';
import { loopbackServer, resolverOf, type LoopbackServer } from '../helpers/loopback-server.js';

type LookupResult = { error: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number };

/** Calls a LookupFunction and collects what it answers. */
function lookUp(lookup: LookupFunction, hostname: string, options: Partial<Parameters<LookupFunction>[1]>): Promise<LookupResult> {
  return new Promise((resolve) => {
    lookup(hostname, options as Parameters<LookupFunction>[1], (error, address, family) => resolve({ error, address, family }));
  });
}

describe('refusesAddress', () => {
  it.each(['127.0.0.1', '10.0.0.1', '169.254.169.254', '::1', '::ffff:169.254.169.254', 'fd00::1', 'not-an-address'])('refuses %s unless private addresses are allowed', (address) => {
    expect(refusesAddress(address, false)).toBe(true);
    expect(refusesAddress(address, true)).toBe(false);
  });

  it('lets a public address through', () => {
    expect(refusesAddress('93.184.215.14', false)).toBe(false);
    expect(refusesAddress('2606:2800:21f:cb07:6820:80da:af6b:8b2c', false)).toBe(false);
  });
});

describe('checkedConnection', () => {
  it.each(['https://127.0.0.1/x', 'http://[::1]:8080/x', 'https://[::ffff:169.254.169.254]/x', 'https://10.0.0.1/x', 'https://0.0.0.0/x'])(
    'throws RefusedAddressError at once for the literal in %s',
    (uri) => {
      const { asked, resolve } = resolverOf('93.184.215.14');
      expect(() => checkedConnection(new URL(uri), { allowPrivateAddresses: false, resolve })).toThrow(RefusedAddressError);
      expect(asked).toEqual([]);
      expect(checkedConnection(new URL(uri), { allowPrivateAddresses: true, resolve })).toMatchObject({ agent: false });
    },
  );

  it('a name or a public literal: a connection of its own, through the checked lookup', () => {
    for (const uri of ['https://93.184.215.14/x', 'https://rp.example/x', 'https://localhost/x']) {
      const options = checkedConnection(new URL(uri), { allowPrivateAddresses: false });
      expect(options.agent).toBe(false);
      expect(typeof options.lookup).toBe('function');
    }
  });
});

describe('checkedLookup', () => {
  it('refuses every address when one is special-purpose', async () => {
    const { asked, resolve } = resolverOf('93.184.215.14', '::ffff:10.0.0.1');
    const result = await lookUp(checkedLookup({ allowPrivateAddresses: false, resolve }), 'rebound.example', { all: true });
    expect(result.error).toBeInstanceOf(RefusedAddressError);
    expect(result.error?.code).toBe('GATEHOUSE_REFUSED_ADDRESS');
    expect(asked).toEqual(['rebound.example']);
  });

  it('hands on the checked addresses: all of them, or the first', async () => {
    const { resolve } = resolverOf('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c');
    const lookup = checkedLookup({ allowPrivateAddresses: false, resolve });
    expect(await lookUp(lookup, 'rp.example', { all: true })).toEqual({
      error: null,
      address: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
      ],
      family: undefined,
    });
    expect(await lookUp(lookup, 'rp.example', {})).toEqual({ error: null, address: '93.184.215.14', family: 4 });
  });

  it('allows private addresses when told to', async () => {
    const { resolve } = resolverOf('10.0.0.1');
    expect(await lookUp(checkedLookup({ allowPrivateAddresses: true, resolve }), 'internal.example', {})).toEqual({ error: null, address: '10.0.0.1', family: 4 });
  });

  it('no address is ENOTFOUND; a resolver failure is handed on, as an Error', async () => {
    const empty = await lookUp(checkedLookup({ allowPrivateAddresses: false, resolve: resolverOf().resolve }), 'nowhere.example', {});
    expect(empty.error?.code).toBe('ENOTFOUND');
    const failure = Object.assign(new Error('queryA ESERVFAIL'), { code: 'ESERVFAIL' });
    const failed = await lookUp(checkedLookup({ allowPrivateAddresses: false, resolve: () => Promise.reject(failure) }), 'broken.example', {});
    expect(failed.error).toBe(failure);
    const odd = await lookUp(checkedLookup({ allowPrivateAddresses: false, resolve: () => Promise.reject('odd') }), 'broken.example', {});
    expect(odd.error).toBeInstanceOf(Error);
    expect(odd.error?.cause).toBe('odd');
  });
});

describe('a request through checkedConnection', () => {
  let server: LoopbackServer;
  let port = '';

  beforeAll(async () => {
    server = await loopbackServer((res) => res.end('ok'));
    port = new URL(server.url).port;
  });
  afterAll(async () => {
    await server.stop();
  });

  /** GETs the URL with the policy's connection options: the status, or the request's error. */
  function get(uri: string, allowPrivateAddresses: boolean, resolve: Resolver): Promise<number | Error> {
    return new Promise((settle) => {
      const url = new URL(uri);
      let connection: ReturnType<typeof checkedConnection>;
      try {
        connection = checkedConnection(url, { allowPrivateAddresses, resolve });
      } catch (error) {
        settle(error as Error);
        return;
      }
      const request = http.request(url, { ...connection }, (response) => {
        settle(response.statusCode ?? 0);
        response.resume();
      });
      request.on('error', settle);
      request.end();
    });
  }

  it('never connects to a refused address, by literal or by name', async () => {
    const { asked, resolve } = resolverOf('127.0.0.1');
    server.connections = 0;
    expect(await get(`http://127.0.0.1:${port}/`, false, resolve)).toBeInstanceOf(RefusedAddressError);
    expect(await get(`http://receiver.invalid:${port}/`, false, resolve)).toBeInstanceOf(RefusedAddressError);
    expect(asked).toEqual(['receiver.invalid']);
    expect(server.connections).toBe(0);
  });

  it('connects to the address the check resolved (no DNS knows this name) when private addresses are allowed', async () => {
    const { asked, resolve } = resolverOf('127.0.0.1');
    server.connections = 0;
    expect(await get(`http://receiver.invalid:${port}/`, true, resolve)).toBe(200);
    expect(asked).toEqual(['receiver.invalid']);
    expect(server.connections).toBe(1);
  });
});
