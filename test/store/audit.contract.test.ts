// Store contract: audit events (AuditRepository): appending, listing and filtering. The hash chain itself:
// ./audit-chain.contract.test.ts. Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH } from '../../src/audit/chain.js';
import type { AuditFilter, NewAuditEvent } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { expectedHash } from './chain-check.js';
import { engines, freshStorePerTest, T0 } from './engines.js';

const event = (type: string, at: number, overrides: Partial<NewAuditEvent> = {}): NewAuditEvent => ({ at, type, actor: 'cli', subject: null, ip: null, details: {}, ...overrides });

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('audit events', () => {
    it('appends events with increasing ids and reads their details back', async () => {
      const first = await store.audit.append({
        at: T0,
        type: 'user.created',
        actor: 'cli',
        subject: 'u1',
        ip: '203.0.113.7',
        details: { email: 'a@example.com', roles: ['admin'], n: 1, nested: { ok: true } },
      });
      const second = await store.audit.append(event('user.deleted', T0 + 1));
      expect(second.id).toBeGreaterThan(first.id);
      expect(first).toEqual({
        id: first.id,
        at: T0,
        type: 'user.created',
        actor: 'cli',
        subject: 'u1',
        clientId: null,
        ip: '203.0.113.7',
        outcome: 'success',
        details: { email: 'a@example.com', roles: ['admin'], n: 1, nested: { ok: true } },
        prevHash: GENESIS_HASH,
        hash: expectedHash(first, GENESIS_HASH),
      });
      expect(await store.audit.list({ limit: 10 })).toEqual([second, first]);
    });

    it('keeps the application involved and the outcome, success unless given', async () => {
      const failed = await store.audit.append(event('signin.failed', T0, { actor: 'anonymous', clientId: 'rp', outcome: 'failure' }));
      const plain = await store.audit.append(event('user.created', T0));
      expect(failed).toMatchObject({ clientId: 'rp', outcome: 'failure' });
      expect(plain).toMatchObject({ clientId: null, outcome: 'success' });
      expect(await store.audit.list({ limit: 10 })).toEqual([plain, failed]);
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

  describe('audit events, filtered (the audit view)', () => {
    /** The types of the events `filter` lists, newest first. */
    const typesOf = async (filter: AuditFilter) => (await store.audit.list({ limit: 100, filter })).map((e) => e.type);

    it('filters by an exact type', async () => {
      for (const type of ['user.created', 'user.deleted', 'user.created', 'client.created']) await store.audit.append(event(type, T0));
      expect(await typesOf({ type: 'user.created' })).toEqual(['user.created', 'user.created']);
      expect(await typesOf({ type: 'user' })).toEqual([]);
    });

    it('filters by a type prefix ending in a dot, which covers that family only and takes `_` and `%` literally', async () => {
      for (const type of ['user.created', 'users.listed', 'user', 'userx.y', 'user.mfa.enabled', 'client.created', 'a_b.c', 'axb.c', 'a%.d']) {
        await store.audit.append(event(type, T0));
      }
      expect(await typesOf({ type: 'user.' })).toEqual(['user.mfa.enabled', 'user.created']);
      expect(await typesOf({ type: 'user.mfa.' })).toEqual(['user.mfa.enabled']);
      expect(await typesOf({ type: 'a_b.' })).toEqual(['a_b.c']);
      expect(await typesOf({ type: 'a%.' })).toEqual(['a%.d']);
      expect(await typesOf({ type: 'a_b.c' })).toEqual(['a_b.c']);
    });

    it('filters by actor, subject, application and outcome', async () => {
      await store.audit.append(event('signin.failed', T0, { actor: 'anonymous', subject: 'u1', clientId: 'rp', outcome: 'failure' }));
      await store.audit.append(event('signin.succeeded', T0 + 1, { actor: 'u1', subject: 'u1', clientId: 'rp' }));
      await store.audit.append(event('user.updated', T0 + 2, { actor: 'u2', subject: 'u1' }));
      await store.audit.append(event('client.updated', T0 + 3, { actor: 'u2', subject: 'spa', clientId: 'spa' }));
      expect(await typesOf({ actor: 'u2' })).toEqual(['client.updated', 'user.updated']);
      expect(await typesOf({ subject: 'u1' })).toEqual(['user.updated', 'signin.succeeded', 'signin.failed']);
      expect(await typesOf({ clientId: 'rp' })).toEqual(['signin.succeeded', 'signin.failed']);
      expect(await typesOf({ outcome: 'failure' })).toEqual(['signin.failed']);
      expect(await typesOf({ outcome: 'success' })).toEqual(['client.updated', 'user.updated', 'signin.succeeded']);
      expect(await typesOf({ actor: 'nobody' })).toEqual([]);
    });

    it('filters by time: `since` includes its instant, `until` excludes its own', async () => {
      for (let i = 0; i < 5; i++) await store.audit.append(event(`e.${i}`, T0 + i));
      expect(await typesOf({ since: T0 + 1, until: T0 + 3 })).toEqual(['e.2', 'e.1']);
      expect(await typesOf({ since: T0 + 3 })).toEqual(['e.4', 'e.3']);
      expect(await typesOf({ until: T0 + 1 })).toEqual(['e.0']);
    });

    it('combines filters, and pages through the filtered events with `before`', async () => {
      for (let i = 0; i < 6; i++) {
        await store.audit.append(event(i % 2 === 0 ? 'signin.failed' : 'signin.succeeded', T0 + i, { outcome: i % 2 === 0 ? 'failure' : 'success', actor: i < 4 ? 'anonymous' : 'u1' }));
      }
      const filter: AuditFilter = { type: 'signin.', outcome: 'failure', actor: 'anonymous' };
      const first = await store.audit.list({ limit: 1, filter });
      expect(first.map((e) => e.at)).toEqual([T0 + 2]);
      const second = await store.audit.list({ before: first[0]?.id ?? null, limit: 5, filter });
      expect(second.map((e) => e.at)).toEqual([T0]);
    });

    it('counts the events a filter matches, and every event with an empty filter', async () => {
      for (const type of ['signin.succeeded', 'signin.failed', 'signin.succeeded', 'user.created']) await store.audit.append(event(type, T0));
      expect(await store.audit.count({})).toBe(4);
      expect(await store.audit.count({ type: 'signin.succeeded' })).toBe(2);
      expect(await store.audit.count({ type: 'signin.' })).toBe(3);
      expect(await store.audit.count({ type: 'signin.', since: T0 + 1 })).toBe(0);
      expect(await store.audit.count({ actor: 'nobody' })).toBe(0);
    });
  });
});
