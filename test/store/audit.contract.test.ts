// Store contract: audit events (AuditRepository). Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('audit events', () => {
    const event = (type: string, at: number) => ({ at, type, actor: 'cli', subject: null, ip: null, details: {} });

    it('appends events with increasing ids and reads their details back', async () => {
      const first = await store.audit.append({ at: T0, type: 'user.created', actor: 'cli', subject: 'u1', ip: '203.0.113.7', details: { email: 'a@example.com', roles: ['admin'], n: 1, nested: { ok: true } } });
      const second = await store.audit.append(event('user.deleted', T0 + 1));
      expect(second.id).toBeGreaterThan(first.id);
      expect(first).toEqual({ id: first.id, at: T0, type: 'user.created', actor: 'cli', subject: 'u1', ip: '203.0.113.7', details: { email: 'a@example.com', roles: ['admin'], n: 1, nested: { ok: true } } });
      expect(await store.audit.list({ limit: 10 })).toEqual([second, first]);
    });

    it('lists newest first, a page at a time with `before`', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push((await store.audit.append(event(`e.${i}`, T0 + i))).id);
      const first = await store.audit.list({ limit: 2 });
      expect(first.map((e) => e.type)).toEqual(['e.4', 'e.3']);
      const second = await store.audit.list({ before: first[first.length - 1]?.id ?? null, limit: 2 });
      expect(second.map((e) => e.type)).toEqual(['e.2', 'e.1']);
      const third = await store.audit.list({ before: ids[1] ?? null, limit: 2 });
      expect(third.map((e) => e.type)).toEqual(['e.0']);
      expect(await store.audit.list({ before: null, limit: 1 })).toHaveLength(1);
    });
  });
});
