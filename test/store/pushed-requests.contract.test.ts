// Store contract: pushed authorization requests (PushedRequestRepository, RFC 9126, issue 28). A request_uri is
// single use (RFC 9126 §2.2, §4): consume is one conditional write with one winner, bound to the client that pushed
// it, and only while it lives. Shared pieces: ./engines.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import type { NewPushedRequest } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newClient, T0 } from './engines.js';

function newPushed(uriHash: string, clientId: string, overrides: Partial<NewPushedRequest> = {}): NewPushedRequest {
  return {
    uriHash,
    clientId,
    params: {
      response_type: 'code',
      client_id: clientId,
      redirect_uri: `https://${clientId}.example/cb`,
      scope: 'openid email',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      dpop_jkt: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs',
      // A repeated parameter (e.g. RFC 8707 resource) stays a list.
      resource: ['https://a.example/api', 'https://b.example/api'],
    },
    createdAt: T0,
    expiresAt: T0 + MINUTE,
    ...overrides,
  };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });
  beforeEach(async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.clients.create(newClient('other', 'Other'), T0);
  });

  describe('pushed authorization requests', () => {
    it('consumes a request once, returning every field as pushed with the consumption time', async () => {
      const pushed = newPushed('h1', 'rp');
      await store.pushedRequests.create(pushed);
      expect(await store.pushedRequests.consume('h1', 'rp', T0 + 1)).toEqual({ ...pushed, consumedAt: T0 + 1 });
      expect(await store.pushedRequests.consume('h1', 'rp', T0 + 2)).toBeNull();
    });

    it('does not hand a request to another client, and such an attempt spends nothing (RFC 9126 §4)', async () => {
      await store.pushedRequests.create(newPushed('h1', 'rp'));
      expect(await store.pushedRequests.consume('h1', 'other', T0 + 1)).toBeNull();
      expect(await store.pushedRequests.consume('h1', 'RP', T0 + 1)).toBeNull();
      expect(await store.pushedRequests.consume('h1', 'rp', T0 + 2)).toMatchObject({ clientId: 'rp', consumedAt: T0 + 2 });
    });

    it('refuses an expired request (from its expires_at on) and an unknown one', async () => {
      await store.pushedRequests.create(newPushed('h1', 'rp'));
      await store.pushedRequests.create(newPushed('h2', 'rp'));
      expect(await store.pushedRequests.consume('h1', 'rp', T0 + MINUTE)).toBeNull();
      expect(await store.pushedRequests.consume('h2', 'rp', T0 + MINUTE - 1)).toMatchObject({ uriHash: 'h2' });
      expect(await store.pushedRequests.consume('nope', 'rp', T0)).toBeNull();
      // Compared exactly.
      await store.pushedRequests.create(newPushed('h3', 'rp'));
      expect(await store.pushedRequests.consume('H3', 'rp', T0)).toBeNull();
    });

    it('lets exactly one of eight concurrent consumers have the request', async () => {
      await store.pushedRequests.create(newPushed('raced', 'rp'));
      const results = await Promise.all(Array.from({ length: 8 }, () => store.pushedRequests.consume('raced', 'rp', T0 + 1)));
      expect(results.filter((result) => result !== null)).toHaveLength(1);
    });

    it('lets exactly one of eight consumers on two stores (two nodes) have the request', async () => {
      const opened = await engine.open();
      try {
        const first = opened.store;
        const second = await opened.second();
        try {
          await first.clients.create(newClient('rp', 'RP'), T0);
          await first.pushedRequests.create(newPushed('raced', 'rp'));
          const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? first : second).pushedRequests.consume('raced', 'rp', T0 + 1)));
          expect(results.filter((result) => result !== null)).toHaveLength(1);
        } finally {
          await second.close();
        }
      } finally {
        await opened.destroy();
      }
    });

    it('refuses to store a request for a client that is not there (NotFoundError), and never overwrites one', async () => {
      await expect(store.pushedRequests.create(newPushed('h1', 'nobody'))).rejects.toBeInstanceOf(NotFoundError);
      expect(await store.pushedRequests.consume('h1', 'nobody', T0)).toBeNull();
      await store.pushedRequests.create(newPushed('h2', 'rp'));
      await expect(store.pushedRequests.create(newPushed('h2', 'other', { params: { scope: 'openid' } }))).rejects.toThrow(/already exists/);
      expect(await store.pushedRequests.consume('h2', 'rp', T0)).toMatchObject({ clientId: 'rp', params: { scope: 'openid email' } });
    });

    it('deletes the expired ones, consumed or not, and keeps the live ones', async () => {
      await store.pushedRequests.create(newPushed('old', 'rp', { expiresAt: T0 + 10 }));
      await store.pushedRequests.create(newPushed('old-used', 'rp', { expiresAt: T0 + 10 }));
      await store.pushedRequests.consume('old-used', 'rp', T0 + 1);
      await store.pushedRequests.create(newPushed('live', 'rp'));
      expect(await store.pushedRequests.deleteExpired(T0 + 10)).toBe(2);
      expect(await store.pushedRequests.deleteExpired(T0 + 10)).toBe(0);
      expect(await store.pushedRequests.consume('live', 'rp', T0 + 11)).not.toBeNull();
    });

    it('go with their client (foreign key, ON DELETE CASCADE)', async () => {
      await store.pushedRequests.create(newPushed('h1', 'rp'));
      await store.pushedRequests.create(newPushed('h2', 'other'));
      expect(await store.clients.delete('rp')).toBe(true);
      await store.clients.create(newClient('rp', 'RP again'), T0);
      expect(await store.pushedRequests.consume('h1', 'rp', T0 + 1)).toBeNull();
      expect(await store.pushedRequests.consume('h2', 'other', T0 + 1)).not.toBeNull();
    });
  });
});
