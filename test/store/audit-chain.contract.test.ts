// Store contract: the audit log's hash chain (AuditRepository.append, chain, head; src/audit/chain.ts). Every
// event links to the one before it, the head follows the newest, and concurrent appends, from one store or
// from two on the same database (the server and the `idp` tool), still form one chain.
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/audit/chain.js';
import type { NewAuditEvent } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { expectedHash, expectUnbrokenChain } from './chain-check.js';
import { engines, freshStorePerTest, T0 } from './engines.js';

const event = (type: string, at: number, details: Record<string, unknown> = {}): NewAuditEvent => ({ at, type, actor: 'cli', subject: null, ip: null, details });

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  describe('the audit hash chain', () => {
    let store: Store;
    freshStorePerTest(engine, (opened) => {
      store = opened;
    });

    it('has no head until the first event', async () => {
      expect(await store.audit.head()).toBeNull();
      expect(await store.audit.chain(0, 10)).toEqual([]);
    });

    it('links each appended event to the previous one’s hash, from GENESIS_HASH, and moves the head to it', async () => {
      const first = await store.audit.append(event('user.created', T0, { email: 'a@example.com' }));
      expect(first.prevHash).toBe(GENESIS_HASH);
      expect(first.hash).toBe(expectedHash(first, GENESIS_HASH));
      expect(await store.audit.head()).toEqual({ lastId: first.id, lastHash: first.hash });
      const second = await store.audit.append(event('user.updated', T0 + 1, { name: 'Ada' }));
      expect(second.prevHash).toBe(first.hash);
      expect(second.hash).toBe(expectedHash(second, first.hash));
      expect(await store.audit.head()).toEqual({ lastId: second.id, lastHash: second.hash });
    });

    it('hashes the details as the JSON text it stores, whatever their key order', async () => {
      const one = await store.audit.append(event('x.y', T0, { b: 1, a: [true, null, 'ü'] }));
      expect(Object.keys(one.details)).toEqual(['b', 'a']);
      await expectUnbrokenChain(store);
    });

    it('reads the chain oldest first, a batch at a time after an id', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.audit.append(event(`e.${i}`, T0 + i))).id);
      expect((await store.audit.chain(0, 2)).map((e) => e.type)).toEqual(['e.0', 'e.1']);
      expect((await store.audit.chain(ids[1] ?? 0, 2)).map((e) => e.type)).toEqual(['e.2', 'e.3']);
      expect((await store.audit.chain(ids[3] ?? 0, 2)).map((e) => e.type)).toEqual(['e.4']);
      expect(await store.audit.chain(ids[4] ?? 0, 2)).toEqual([]);
      expect((await expectUnbrokenChain(store)).map((e) => e.id)).toEqual(ids);
    });

    it('forms one unbroken chain from fifty concurrent appends', async () => {
      const appended = await Promise.all(Array.from({ length: 50 }, (_, i) => store.audit.append(event('signin.succeeded', T0 + i, { i }))));
      const chain = await expectUnbrokenChain(store);
      expect(chain).toHaveLength(50);
      expect(new Set(chain.map((e) => e.prevHash)).size).toBe(50);
      expect([...appended].sort((a, b) => a.id - b.id)).toEqual(chain);
    });
  });

  it('forms one unbroken chain when two stores on one database append at the same time (the server and the idp tool)', async () => {
    const opened = await engine.open();
    const other = await opened.second();
    try {
      await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? opened.store : other).audit.append(event(`e.${i}`, T0 + i, { i }))));
      expect(await expectUnbrokenChain(opened.store)).toHaveLength(40);
      expect(await other.audit.head()).toEqual(await opened.store.audit.head());
    } finally {
      await other.close();
      await opened.destroy();
    }
  });
});
