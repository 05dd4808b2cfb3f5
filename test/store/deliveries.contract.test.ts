// Store contract: the durable delivery queue (DeliveryRepository, issue 26) and the audit fan-out that fills it
// (AuditRepository.append writes one webhook delivery per matching endpoint in the event's own transaction). A
// claim leases each due row to exactly one of the nodes claiming at once; a settlement lands only while its node
// holds the lease; redeliver brings a settled delivery back. Shared engines, setup and builders: ./engines.ts.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { SETTLED_DELIVERIES_KEPT_MS, sweepExpired } from '../../src/store/housekeeping.js';
import type { NewAuditEvent, NewDelivery, NewWebhook } from '../../src/store/records.js';
import { patternMatchesType } from '../../src/store/rows/deliveries.js';
import type { Store } from '../../src/store/store.js';
import { engines, MINUTE, newClient, T0, type OpenedStore } from './engines.js';

function webhook(id: string, eventTypes: string[], overrides: Partial<NewWebhook> = {}): NewWebhook {
  return { id, url: `https://${id}.example/hook`, description: null, secretSealed: `sealed-${id}`, eventTypes, enabled: true, ...overrides };
}

function event(type: string, overrides: Partial<NewAuditEvent> = {}): NewAuditEvent {
  return { at: T0, type, actor: 'cli', subject: null, ip: null, details: {}, ...overrides };
}

function logout(id: string, clientId: string, overrides: Partial<NewDelivery> = {}): NewDelivery {
  return { id, kind: 'backchannel_logout', webhookId: null, clientId, eventId: null, eventType: 'logout', payload: JSON.stringify({ userId: 'u1', sid: 's1' }), nextAttemptAt: T0, ...overrides };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('the delivery queue on %s', (_name, engine) => {
  let opened: OpenedStore;
  let store: Store;

  beforeEach(async () => {
    opened = await engine.open();
    store = opened.store;
  });

  afterEach(async () => {
    await opened.destroy();
  });

  /** The webhook ids the deliveries of one event went to, sorted. */
  async function fannedOutTo(type: string, details: Record<string, unknown> = {}): Promise<string[]> {
    const appended = await store.audit.append(event(type, { details }));
    const ids: string[] = [];
    for (const hook of await store.webhooks.list()) {
      const { items } = await store.deliveries.listForWebhook(hook.id, { limit: 100 });
      if (items.some((delivery) => delivery.eventId === appended.id)) ids.push(hook.id);
    }
    return ids.sort();
  }

  it('fans an audit event out to every enabled endpoint whose event types match, in the same write', async () => {
    await store.webhooks.create(webhook('all', ['*']), T0);
    await store.webhooks.create(webhook('users', ['user.*']), T0);
    await store.webhooks.create(webhook('exact', ['user.created', 'client.deleted']), T0);
    await store.webhooks.create(webhook('off', ['*'], { enabled: false }), T0);
    await store.webhooks.create(webhook('under_score', ['user_x.*']), T0);

    const appended = await store.audit.append(event('user.created', { subject: 'u1' }));
    const { items } = await store.deliveries.listForWebhook('users', { limit: 10 });
    expect(items).toEqual([
      {
        id: expect.stringMatching(/^msg_[0-9a-f]{32}$/),
        kind: 'webhook',
        webhookId: 'users',
        clientId: null,
        eventId: appended.id,
        eventType: 'user.created',
        payload: null,
        state: 'pending',
        attempts: 0,
        nextAttemptAt: T0,
        leaseOwner: null,
        leaseUntil: null,
        lastStatus: null,
        lastError: null,
        createdAt: T0,
        updatedAt: T0,
      },
    ]);
    expect(await fannedOutTo('user.password.changed')).toEqual(['all', 'users']);
    expect(await fannedOutTo('client.deleted')).toEqual(['all', 'exact']);
    // A family needs something after its dot; `_` is no wildcard; the prefix must match up to the dot.
    expect(await fannedOutTo('user')).toEqual(['all']);
    expect(await fannedOutTo('userx.created')).toEqual(['all']);
    expect(await fannedOutTo('user_y.created')).toEqual(['all']);
    expect(await fannedOutTo('user_x.created')).toEqual(['all', 'under_score']);
    // The audit log and the TypeScript rule agree with the SQL one.
    expect(['*', 'user.*', 'user.created', 'user_x.*'].filter((p) => patternMatchesType(p, 'user.created'))).toEqual(['*', 'user.*', 'user.created']);
    expect(await store.audit.findById(appended.id)).toEqual(appended);
    expect(await store.audit.findById(appended.id + 1000)).toBeNull();
  });

  it("never offers the queue's own events about webhook deliveries to the endpoints (no feedback loop), but does a back-channel one's", async () => {
    await store.webhooks.create(webhook('all', ['*']), T0);
    expect(await fannedOutTo('delivery.dead', { kind: 'webhook' })).toEqual([]);
    expect(await fannedOutTo('delivery.redelivered', { kind: 'webhook' })).toEqual([]);
    expect(await fannedOutTo('delivery.dead', { kind: 'backchannel_logout' })).toEqual(['all']);
  });

  it('enqueues back-channel deliveries, leased at once when asked, and skips a client that no longer exists', async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    const written = await store.deliveries.enqueue([logout('d1', 'rp', { lease: { owner: 'node-a', until: T0 + MINUTE } }), logout('d2', 'gone-client')], T0);
    expect(written).toEqual([
      expect.objectContaining({ id: 'd1', state: 'pending', attempts: 0, leaseOwner: 'node-a', leaseUntil: T0 + MINUTE, clientId: 'rp', payload: logout('d1', 'rp').payload }),
    ]);
    expect(await store.deliveries.findById('d2')).toBeNull();
    expect(await store.deliveries.enqueue([], T0)).toEqual([]);
    // Leased: not due for anybody else until the lease lapses.
    expect(await store.deliveries.claimDue('node-b', T0, T0 + MINUTE, 10)).toEqual([]);
    expect(await store.deliveries.claimDue('node-b', T0 + MINUTE, T0 + 2 * MINUTE, 10)).toMatchObject([{ id: 'd1', leaseOwner: 'node-b', leaseUntil: T0 + 2 * MINUTE }]);
  });

  it('claims due deliveries oldest first, up to the limit, and leaves those not yet due', async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.deliveries.enqueue(
      [
        logout('late', 'rp', { nextAttemptAt: T0 + 3 }),
        logout('b', 'rp', { nextAttemptAt: T0 + 1 }),
        logout('a', 'rp', { nextAttemptAt: T0 + 1 }),
        logout('future', 'rp', { nextAttemptAt: T0 + MINUTE }),
      ],
      T0,
    );
    const claimed = await store.deliveries.claimDue('node-a', T0 + 5, T0 + MINUTE, 2);
    expect(claimed.map((d) => d.id)).toEqual(['a', 'b']);
    expect(claimed.every((d) => d.leaseOwner === 'node-a' && d.leaseUntil === T0 + MINUTE && d.updatedAt === T0 + 5)).toBe(true);
    expect((await store.deliveries.claimDue('node-a', T0 + 5, T0 + MINUTE, 10)).map((d) => d.id)).toEqual(['late']);
  });

  it('gives each due delivery to exactly one of the nodes claiming at once', async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.deliveries.enqueue(
      Array.from({ length: 30 }, (_, i) => logout(`d${String(i).padStart(2, '0')}`, 'rp')),
      T0,
    );
    const other = await opened.second();
    try {
      const claims = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 === 0 ? store : other).deliveries.claimDue(`node-${i}`, T0, T0 + MINUTE, 10)));
      const ids = claims.flat().map((d) => d.id);
      expect(ids).toHaveLength(30);
      expect(new Set(ids).size).toBe(30);
    } finally {
      await other.close();
    }
  });

  it('settles only while the node holds the lease, counting the attempt and releasing the lease', async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.deliveries.enqueue([logout('d1', 'rp')], T0);
    await store.deliveries.claimDue('node-a', T0, T0 + MINUTE, 10);
    // Another node's settlement is refused and writes nothing.
    expect(await store.deliveries.settle('d1', 'node-b', { state: 'delivered', status: 200 }, T0 + 1)).toBeNull();
    const retry = await store.deliveries.settle('d1', 'node-a', { state: 'pending', nextAttemptAt: T0 + 10_000, status: 503, error: 'http_status' }, T0 + 2);
    expect(retry).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: T0 + 10_000, leaseOwner: null, leaseUntil: null, lastStatus: 503, lastError: 'http_status', updatedAt: T0 + 2 });
    // Released: settling again without a new claim is refused.
    expect(await store.deliveries.settle('d1', 'node-a', { state: 'delivered', status: 200 }, T0 + 3)).toBeNull();
    expect(await store.deliveries.claimDue('node-a', T0 + 9_999, T0 + MINUTE, 10)).toEqual([]);
    await store.deliveries.claimDue('node-b', T0 + 10_000, T0 + 10_000 + MINUTE, 10);
    // A lapsed lease taken by another node: the first node's late settlement is refused.
    expect(await store.deliveries.settle('d1', 'node-a', { state: 'delivered', status: 200 }, T0 + 10_001)).toBeNull();
    const delivered = await store.deliveries.settle('d1', 'node-b', { state: 'delivered', status: 204 }, T0 + 10_002);
    expect(delivered).toMatchObject({ state: 'delivered', attempts: 2, nextAttemptAt: T0 + 10_000, lastStatus: 204, lastError: null, leaseOwner: null });
    // A settled delivery is never claimed nor settled again.
    expect(await store.deliveries.claimDue('node-a', T0 + 100 * MINUTE, T0 + 101 * MINUTE, 10)).toEqual([]);
    expect(await store.deliveries.settle('d1', 'node-b', { state: 'dead', status: null, error: 'timeout' }, T0 + 10_003)).toBeNull();
  });

  it('redelivers a delivered or dead delivery (due now, attempts kept) and refuses a pending or unknown one', async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.deliveries.enqueue([logout('d1', 'rp'), logout('d2', 'rp')], T0);
    await store.deliveries.claimDue('node-a', T0, T0 + MINUTE, 10);
    await store.deliveries.settle('d1', 'node-a', { state: 'dead', status: null, error: 'refused_address' }, T0 + 1);
    expect(await store.deliveries.redeliver('d2', T0 + 2)).toBeNull();
    expect(await store.deliveries.redeliver('nothing', T0 + 2)).toBeNull();
    expect(await store.deliveries.redeliver('d1', T0 + 5)).toMatchObject({
      state: 'pending',
      attempts: 1,
      nextAttemptAt: T0 + 5,
      updatedAt: T0 + 5,
      lastError: 'refused_address',
      leaseOwner: null,
    });
    expect(await store.deliveries.redeliver('d1', T0 + 6)).toBeNull();
    expect((await store.deliveries.claimDue('node-b', T0 + 5, T0 + MINUTE, 10)).map((d) => d.id)).toEqual(['d1']);
  });

  it("pages an endpoint's and a client's deliveries newest first, counts pending and dead, and sweeps old settled ones", async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.webhooks.create(webhook('all', ['*']), T0);
    for (let i = 0; i < 5; i++) await store.audit.append(event(`user.e${i}`, { at: T0 + (i < 3 ? 0 : i) }));
    const first = await store.deliveries.listForWebhook('all', { limit: 2 });
    const second = await store.deliveries.listForWebhook('all', { limit: 2, after: first.next });
    const third = await store.deliveries.listForWebhook('all', { limit: 2, after: second.next });
    const listed = [...first.items, ...second.items, ...third.items];
    // Newest first; the three of one millisecond in some fixed order, each once.
    expect(listed.map((d) => d.eventType).slice(0, 2)).toEqual(['user.e4', 'user.e3']);
    expect(
      listed
        .map((d) => d.eventType)
        .slice(2)
        .sort(),
    ).toEqual(['user.e0', 'user.e1', 'user.e2']);
    expect(new Set(listed.map((d) => d.id)).size).toBe(5);
    expect(third.next).toBeNull();
    await expect(store.deliveries.listForWebhook('all', { limit: 2, after: 'not-a-cursor' })).rejects.toThrow(ValidationError);
    await expect(store.deliveries.listForWebhook('all', { limit: 2, after: Buffer.from(JSON.stringify(['x', 'y'])).toString('base64url') })).rejects.toThrow(ValidationError);

    await store.deliveries.enqueue([logout('c1', 'rp', { nextAttemptAt: T0 }), logout('c2', 'rp')], T0 + 10);
    expect((await store.deliveries.listForClient('rp', { limit: 10 })).items.map((d) => d.id)).toEqual(['c2', 'c1']);
    expect(await store.deliveries.listForClient('someone-else', { limit: 10 })).toEqual({ items: [], next: null });

    const claimed = await store.deliveries.claimDue('node-a', T0 + 20, T0 + MINUTE, 3);
    const [a, b] = claimed;
    await store.deliveries.settle(a!.id, 'node-a', { state: 'dead', status: 500, error: 'http_status' }, T0 + 30);
    await store.deliveries.settle(b!.id, 'node-a', { state: 'delivered', status: 200 }, T0 + 40);
    expect(await store.deliveries.counts()).toEqual({ pending: 5, dead: 1 });
    expect(await store.deliveries.deleteSettledBefore(T0 + 31)).toBe(1);
    expect(await store.deliveries.findById(a!.id)).toBeNull();
    // Housekeeping keeps settled deliveries 30 days after they settled, pending ones for ever.
    await sweepExpired(store, T0 + 40 + SETTLED_DELIVERIES_KEPT_MS);
    expect(await store.deliveries.findById(b!.id)).not.toBeNull();
    await sweepExpired(store, T0 + 41 + SETTLED_DELIVERIES_KEPT_MS);
    expect(await store.deliveries.findById(b!.id)).toBeNull();
    expect(await store.deliveries.counts()).toEqual({ pending: 5, dead: 0 });
  });

  it("removes an endpoint's deliveries with it, and a client's with the client", async () => {
    await store.clients.create(newClient('rp', 'RP'), T0);
    await store.webhooks.create(webhook('all', ['*']), T0);
    await store.audit.append(event('user.created'));
    await store.deliveries.enqueue([logout('c1', 'rp')], T0);
    expect(await store.deliveries.counts()).toEqual({ pending: 2, dead: 0 });
    expect(await store.webhooks.delete('all')).toBe(true);
    await store.clients.delete('rp');
    expect(await store.deliveries.counts()).toEqual({ pending: 0, dead: 0 });
  });
});
