// Webhooks for audit events (issue 26), from the audit log through the durable queue to a real receiver on
// loopback: each matching event is POSTed as Standard Webhooks JSON, signed with the endpoint's secret and verified
// here with the `standardwebhooks` package (an implementation of its own); a failing receiver is retried with
// growing waits under the same webhook-id until it accepts; after the last attempt the delivery is dead, audited
// without the URL, and Redeliver sends it again. Abuse and edge cases: no redirect is followed, a special-purpose
// address is refused without a connection (literal or resolved), a disabled endpoint gets nothing, an attempt
// without an answer times out, a shutdown leaves the delivery pending and due, never dead. The queue is driven by
// hand (runOnce) on a fake clock: no waiting for timers.
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { DeliveryQueue } from '../../src/delivery/queue.js';
import { WebhookSender } from '../../src/delivery/webhook-sender.js';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import type { Resolver } from '../../src/http/outbound-request.js';
import { redeliverDelivery } from '../../src/manage/deliveries.js';
import { createWebhook, updateWebhook, type WebhookContext } from '../../src/manage/webhooks.js';
import { registry } from '../../src/metrics/metrics.js';
import type { DeliveryRecord } from '../../src/store/records.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { ManualTimers } from '../helpers/manual-timers.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { parseSamples, valueOf } from './metrics-helpers.js';

const BASE_MS = 10_000;

describe('webhooks: audit events delivered from the durable queue (issue 26)', () => {
  // Whole seconds near the real time: the receiver's replay window compares webhook-timestamp with its own clock.
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let receiver: WebhookReceiver;
  let ctx: WebhookContext;
  const made: string[] = [];

  beforeAll(async () => {
    app = await startApp({ clock, env: { DELIVERY_RETRY_BASE: String(BASE_MS / 1000), DELIVERY_MAX_ATTEMPTS: '3' } });
    receiver = await WebhookReceiver.start();
    ctx = { store: app.store, clock, actor: 'cli', ip: null, config: app.config, secretBox: () => openSecretBox(app.config) };
  });
  afterAll(async () => {
    await receiver?.stop();
    await app?.stop();
  });
  // Each test's endpoints go with their deliveries: none is left due for the next test's queue.
  afterEach(async () => {
    for (const id of made.splice(0)) await app.store.webhooks.delete(id);
    receiver.answerAlways({ status: 204 });
  });

  async function addWebhook(eventTypes: string[], url = receiver.url) {
    const saved = await createWebhook(ctx, { url, eventTypes });
    made.push(saved.webhook.id);
    return { id: saved.webhook.id, secret: saved.secret ?? '' };
  }

  async function emit(type: string, details: Record<string, unknown> = {}) {
    return app.store.audit.append({ at: clock.now(), type, actor: 'cli', subject: 'someone', clientId: null, ip: '198.51.100.7', details });
  }

  async function onlyDelivery(webhookId: string): Promise<DeliveryRecord> {
    const { items } = await app.store.deliveries.listForWebhook(webhookId, { limit: 10 });
    expect(items).toHaveLength(1);
    return items[0] as DeliveryRecord;
  }

  /** Moves the fake clock to when the delivery is due. */
  function untilDue(delivery: DeliveryRecord): void {
    clock.advance(Math.max(0, delivery.nextAttemptAt - clock.now()));
  }

  const deliveriesCounted = async (outcome: string) => valueOf(parseSamples(await registry.metrics()), `gatehouse_deliveries_total{kind="webhook",outcome="${outcome}"}`);

  it('delivers a matching event once, as Standard Webhooks JSON signed with the endpoint secret, and nothing else', async () => {
    const { id, secret } = await addWebhook(['order.*']);
    const event = await emit('order.placed', { items: 2 });
    await emit('invoice.sent');
    const before = receiver.received.length;
    const delivered = await deliveriesCounted('delivered');

    expect(await app.deliveries.runOnce()).toBe(1);
    const [request] = receiver.received.slice(before);
    expect(receiver.received.length - before).toBe(1);
    const delivery = await onlyDelivery(id);
    expect(request).toMatchObject({ method: 'POST', path: '/hooks/gatehouse', status: 204 });
    expect(request?.headers).toMatchObject({ 'content-type': 'application/json', 'user-agent': 'Gatehouse-Webhooks', 'webhook-id': delivery.id, 'webhook-timestamp': String(clock.now() / 1000) });
    expect(new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).toEqual({
      type: 'order.placed',
      timestamp: new Date(event.at).toISOString(),
      data: {
        event_id: event.id,
        at: new Date(event.at).toISOString(),
        type: 'order.placed',
        actor: 'cli',
        subject: 'someone',
        client_id: null,
        ip: '198.51.100.7',
        outcome: 'success',
        details: { items: 2 },
      },
    });
    expect(delivery).toMatchObject({ state: 'delivered', attempts: 1, lastStatus: 204, lastError: null, leaseOwner: null });
    expect(await deliveriesCounted('delivered')).toBe(delivered + 1);
    // Settled: never sent again.
    expect(await app.deliveries.runOnce()).toBe(0);
    expect(receiver.received.length - before).toBe(1);
  });

  it('retries a failing receiver with doubling waits, under the same webhook-id, until it accepts', async () => {
    const { id, secret } = await addWebhook(['retry.*']);
    receiver.answerNext({ status: 503 }, { status: 500 });
    await emit('retry.me');
    const before = receiver.received.length;
    const retries = await deliveriesCounted('retry');

    await app.deliveries.runOnce();
    const first = await onlyDelivery(id);
    expect(first).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 503, lastError: 'http_status', leaseOwner: null });
    // base ±10 %
    expect(first.nextAttemptAt - clock.now()).toBeGreaterThanOrEqual(0.9 * BASE_MS);
    expect(first.nextAttemptAt - clock.now()).toBeLessThanOrEqual(1.1 * BASE_MS);
    // Not due yet: nothing is claimed.
    clock.advance(first.nextAttemptAt - clock.now() - 1);
    expect(await app.deliveries.runOnce()).toBe(0);

    untilDue(first);
    await app.deliveries.runOnce();
    const second = await onlyDelivery(id);
    expect(second).toMatchObject({ state: 'pending', attempts: 2, lastStatus: 500 });
    expect(second.nextAttemptAt - clock.now()).toBeGreaterThanOrEqual(0.9 * 2 * BASE_MS);
    expect(second.nextAttemptAt - clock.now()).toBeLessThanOrEqual(1.1 * 2 * BASE_MS);

    untilDue(second);
    await app.deliveries.runOnce();
    expect(await onlyDelivery(id)).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 204, lastError: null });
    const requests = receiver.received.slice(before);
    expect(requests.map((request) => request.status)).toEqual([503, 500, 204]);
    expect(new Set(requests.map((request) => request.headers['webhook-id']))).toEqual(new Set([second.id]));
    // Each attempt signed at its own time, the body the same bytes.
    expect(new Set(requests.map((request) => request.headers['webhook-timestamp'])).size).toBe(3);
    expect(new Set(requests.map((request) => request.body)).size).toBe(1);
    const receiverSide = new Webhook(secret);
    expect(receiverSide.verify(requests[2]?.body ?? '', requests[2]?.headers ?? {})).toMatchObject({ type: 'retry.me' });
    expect(await deliveriesCounted('retry')).toBe(retries + 2);
  });

  it('gives up after the last attempt (dead, audited without the URL, not fed back to the endpoint), and Redeliver sends it again', async () => {
    const { id } = await addWebhook(['fail.*', 'delivery.*'], `${receiver.url}?token=s3cret-in-the-url`);
    const other = await addWebhook(['unrelated.*']);
    receiver.answerAlways({ status: 500 });
    await emit('fail.now');
    const dead = await deliveriesCounted('dead');
    for (let attempt = 0; attempt < 3; attempt++) {
      untilDue(await onlyDelivery(id));
      expect(await app.deliveries.runOnce()).toBe(1);
    }
    const died = await onlyDelivery(id);
    expect(died).toMatchObject({ state: 'dead', attempts: 3, lastStatus: 500, lastError: 'http_status' });
    expect(await deliveriesCounted('dead')).toBe(dead + 1);
    const [event] = await app.store.audit.list({ limit: 1, filter: { type: 'delivery.dead' } });
    expect(event).toMatchObject({ actor: 'system', subject: id, outcome: 'failure' });
    expect(event?.details).toEqual({ delivery_id: died.id, kind: 'webhook', target: id, event_type: 'fail.now', attempts: 3, reason: 'http_status', status: 500 });
    expect(JSON.stringify(event)).not.toContain('s3cret');
    expect(JSON.stringify(event)).not.toContain(receiver.url);
    // The death is not a new delivery to the endpoint, though it names delivery.* (no feedback loop).
    clock.advance(24 * 60 * 60 * 1000);
    expect(await app.deliveries.runOnce()).toBe(0);

    // Redeliver: only a settled delivery, only from its own endpoint's scope.
    await expect(redeliverDelivery(ctx, died.id, { kind: 'webhook', webhookId: other.id })).rejects.toThrow(NotFoundError);
    await expect(redeliverDelivery(ctx, 'msg_unknown')).rejects.toThrow(NotFoundError);
    receiver.answerAlways({ status: 200 });
    const redelivered = await redeliverDelivery(ctx, died.id, { kind: 'webhook', webhookId: id });
    expect(redelivered).toMatchObject({ state: 'pending', attempts: 3, nextAttemptAt: clock.now() });
    await expect(redeliverDelivery(ctx, died.id, { kind: 'webhook', webhookId: id })).rejects.toThrow(ConflictError);
    const [audited] = await app.store.audit.list({ limit: 1, filter: { type: 'delivery.redelivered' } });
    expect(audited).toMatchObject({ actor: 'cli', subject: id, details: { delivery_id: died.id, kind: 'webhook', target: id, event_type: 'fail.now' } });
    expect(await app.deliveries.runOnce()).toBe(1);
    expect(await onlyDelivery(id)).toMatchObject({ state: 'delivered', attempts: 4, lastStatus: 200, lastError: null });
  });

  it('does not follow a redirect: a 3xx is a failure, and the place it points to hears nothing', async () => {
    const elsewhere = await WebhookReceiver.start('/elsewhere');
    try {
      const { id } = await addWebhook(['moved.*']);
      receiver.answerNext({ status: 307, location: elsewhere.url });
      await emit('moved.away');
      await app.deliveries.runOnce();
      expect(await onlyDelivery(id)).toMatchObject({ state: 'pending', attempts: 1, lastStatus: 307, lastError: 'http_status' });
      expect(elsewhere.received).toEqual([]);
    } finally {
      await elsewhere.stop();
    }
  });

  it('sends nothing to a disabled endpoint: its pending deliveries die as gone, and new events are not queued for it', async () => {
    const { id } = await addWebhook(['paused.*']);
    await emit('paused.one');
    await updateWebhook(ctx, id, { enabled: false });
    await emit('paused.two');
    const before = receiver.received.length;
    expect(await app.deliveries.runOnce()).toBe(1);
    expect(await onlyDelivery(id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'gone', lastStatus: null });
    expect(receiver.received.length).toBe(before);
  });

  describe('with queues of its own', () => {
    const queues: DeliveryQueue[] = [];
    afterEach(async () => {
      for (const queue of queues.splice(0)) await queue.close();
    });

    function queueWith(options: { allowPrivateAddresses?: boolean; timeoutMs?: number; maxAttempts?: number; resolve?: Resolver; timers?: ManualTimers }) {
      const sender = new WebhookSender({
        store: app.store,
        clock,
        secretBox: ctx.secretBox,
        allowPrivateAddresses: options.allowPrivateAddresses ?? true,
        timeoutMs: options.timeoutMs,
        resolve: options.resolve,
      });
      const queue = new DeliveryQueue({
        store: app.store,
        clock,
        logger: app.logger,
        config: { retryBaseSeconds: 10, maxAttempts: options.maxAttempts ?? 3 },
        senders: [sender],
        owner: `test-${queues.length}`,
        timers: options.timers,
      });
      queues.push(queue);
      return queue;
    }

    it('polls on its own once started (at once, then every min(5 s, DELIVERY_RETRY_BASE)) and stops polling when closed', async () => {
      const timers = new ManualTimers();
      const queue = queueWith({ timers });
      const { id } = await addWebhook(['polled.*']);
      await emit('polled.first');
      queue.start();
      queue.start();
      expect(timers.pending).toBe(1);
      /** Bounded wait for the queue's own poll to settle the endpoint's deliveries. */
      const settled = async (count: number) => {
        for (let i = 0; i < 500; i++) {
          const { items } = await app.store.deliveries.listForWebhook(id, { limit: 10 });
          if (items.filter((delivery) => delivery.state === 'delivered').length === count) return;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        throw new Error(`the queue did not deliver ${count}`);
      };
      await timers.runNext(0);
      await settled(1);
      await emit('polled.second');
      await timers.runNext(5_000);
      await settled(2);
      await timers.runNext(5_000);
      await queue.close();
      expect(timers.pending).toBe(0);
    });

    it('refuses a special-purpose address outside development without connecting, literal or resolved: dead at once, never retried', async () => {
      const asked: string[] = [];
      const queue = queueWith({
        allowPrivateAddresses: false,
        resolve: async (hostname: string) => {
          asked.push(hostname);
          return [{ address: '10.1.2.3', family: 4 }];
        },
      });
      const literal = await addWebhook(['private.*']);
      // A name that resolves to a private address: written past the manage rules, as an altered row or a DNS change would.
      const named = 'wh_named';
      await app.store.webhooks.create(
        {
          id: named,
          url: 'https://hooks.internal.example/in',
          description: null,
          secretSealed: (await ctx.secretBox()).seal('whsec_AAAA', `webhook:${named}`),
          eventTypes: ['private.*'],
          enabled: true,
        },
        clock.now(),
      );
      made.push(named);
      await emit('private.data');
      const before = receiver.received.length;
      expect(await queue.runOnce()).toBe(2);
      expect(await onlyDelivery(literal.id)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'refused_address' });
      expect(await onlyDelivery(named)).toMatchObject({ state: 'dead', attempts: 1, lastError: 'refused_address' });
      expect(asked).toEqual(['hooks.internal.example']);
      expect(receiver.received.length).toBe(before);
    });

    it('gives up an attempt that gets no answer in time, to be retried', async () => {
      const queue = queueWith({ timeoutMs: 200 });
      const { id } = await addWebhook(['slow.*']);
      receiver.answerNext('never');
      await emit('slow.one');
      expect(await queue.runOnce()).toBe(1);
      expect(await onlyDelivery(id)).toMatchObject({ state: 'pending', attempts: 1, lastError: 'timeout', lastStatus: null });
    });

    it('leaves an attempt cut by shutdown pending and due at once (never dead), and attempts nothing once closed', async () => {
      const queue = queueWith({ maxAttempts: 1 });
      const { id } = await addWebhook(['stop.*']);
      receiver.answerNext('never');
      await emit('stop.now');
      const before = receiver.received.length;
      const running = queue.runOnce();
      // Bounded wait for the request to reach the receiver.
      for (let i = 0; i < 200 && receiver.received.length === before; i++) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(receiver.received.length).toBe(before + 1);
      await queue.close();
      await running;
      const cut = await onlyDelivery(id);
      expect(cut).toMatchObject({ state: 'pending', attempts: 1, lastError: 'shutdown', nextAttemptAt: clock.now(), leaseOwner: null });
      expect(await queue.runOnce()).toBe(0);
      expect(await queue.attempt(cut)).toBeNull();
      // Another node (the app's queue) takes it at once.
      expect(await app.deliveries.runOnce()).toBe(1);
      expect(await onlyDelivery(id)).toMatchObject({ state: 'delivered', attempts: 2 });
    });
  });
});
