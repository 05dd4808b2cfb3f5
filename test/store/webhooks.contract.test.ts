// Store contract: webhook endpoints (WebhookRepository, issue 26): an endpoint and its event types are written and
// read together, its patterns each once and sorted; an update changes only what it names (the event types as a
// whole); a delete takes its event types and deliveries with it. Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError } from '../../src/errors.js';
import type { NewWebhook } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, T0, type OpenedStore } from './engines.js';

function webhook(id: string, overrides: Partial<NewWebhook> = {}): NewWebhook {
  return { id, url: `https://${id}.example/hook`, description: null, secretSealed: `sealed-${id}`, eventTypes: ['user.*'], enabled: true, ...overrides };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('webhook endpoints on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
  });

  afterEach(async () => {
    await opened.destroy();
  });

  it('creates an endpoint with its event types sorted, each once, and reads it back alike by id and in the list', async () => {
    const created = await store.webhooks.create(webhook('w1', { eventTypes: ['user.created', '*', 'client.*', 'user.created'], description: 'SIEM' }), T0);
    const expected = { ...webhook('w1', { description: 'SIEM' }), eventTypes: ['*', 'client.*', 'user.created'], createdAt: T0, updatedAt: T0 };
    expect(created).toEqual(expected);
    expect(await store.webhooks.findById('w1')).toEqual(expected);
    expect(await store.webhooks.findById('nothing')).toBeNull();
    await store.webhooks.create(webhook('w0', { enabled: false }), T0 + 1);
    // Oldest first.
    expect(await store.webhooks.list()).toEqual([expected, { ...webhook('w0', { enabled: false }), createdAt: T0 + 1, updatedAt: T0 + 1 }]);
  });

  it('refuses a second endpoint with the same id and writes nothing', async () => {
    await store.webhooks.create(webhook('w1'), T0);
    await expect(store.webhooks.create(webhook('w1', { url: 'https://other.example/' }), T0)).rejects.toThrow(ConflictError);
    expect(await store.webhooks.list()).toHaveLength(1);
    expect((await store.webhooks.findById('w1'))?.url).toBe('https://w1.example/hook');
  });

  it('updates only the fields given, replaces the event types as a whole, and says null for an unknown endpoint', async () => {
    await store.webhooks.create(webhook('w1', { eventTypes: ['a.*', 'b.c'] }), T0);
    const disabled = await store.webhooks.update('w1', { enabled: false, description: 'paused' }, T0 + 1);
    expect(disabled).toEqual({ ...webhook('w1', { eventTypes: ['a.*', 'b.c'], enabled: false, description: 'paused' }), createdAt: T0, updatedAt: T0 + 1 });
    const moved = await store.webhooks.update('w1', { url: 'https://new.example/', secretSealed: 'sealed-2', eventTypes: ['z.*', '*'] }, T0 + 2);
    expect(moved).toMatchObject({ url: 'https://new.example/', secretSealed: 'sealed-2', eventTypes: ['*', 'z.*'], enabled: false, description: 'paused', updatedAt: T0 + 2 });
    expect(await store.webhooks.findById('w1')).toEqual(moved);
    expect(await store.webhooks.update('nothing', { enabled: true }, T0 + 3)).toBeNull();
    expect(await store.webhooks.findById('nothing')).toBeNull();
  });

  it('deletes an endpoint with its event types and deliveries, once', async () => {
    await store.webhooks.create(webhook('w1', { eventTypes: ['*'] }), T0);
    await store.webhooks.create(webhook('w2', { eventTypes: ['*'] }), T0);
    await store.audit.append({ at: T0, type: 'user.created', actor: 'cli', subject: null, ip: null, details: {} });
    expect(await store.webhooks.delete('w1')).toBe(true);
    expect(await store.webhooks.delete('w1')).toBe(false);
    expect(await store.webhooks.findById('w1')).toBeNull();
    expect((await store.deliveries.listForWebhook('w1', { limit: 10 })).items).toEqual([]);
    expect((await store.deliveries.listForWebhook('w2', { limit: 10 })).items).toHaveLength(1);
    // A new endpoint under the old id starts with no event types of the old one.
    await store.webhooks.create(webhook('w1', { eventTypes: ['x.y'] }), T0 + 5);
    expect((await store.webhooks.findById('w1'))?.eventTypes).toEqual(['x.y']);
  });
});
