// The Webhooks admin screens (issue 26). Abuse first: anonymous visitors, non-administrators, a POST without this
// session's CSRF token, a stale sign-in adding, changing, enabling, rotating or deleting an endpoint, each writing
// nothing; refused forms come back with the field's error and write nothing; unknown ids are 404s, and a Redeliver
// of another endpoint's delivery or of a pending one writes nothing. Then: a new endpoint's secret is shown once
// (sealed in the store, never on another page nor in the audit log); the delivery log shows state, attempts and the
// last error, with Redeliver for a dead delivery; editing, disabling, rotating the secret and deleting, each audited.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { webhookSecretAad } from '../../src/delivery/webhook-signature.js';
import { signedInAdmin, type SignedInAdmin } from '../helpers/admin.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startApp, type RunningApp } from '../helpers/start-app.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';
import { expectAnonymousSentToLogin, expectCsrfRefused, expectNonAdminRefused, expectStaleAdminAsked, expectStrictAdminPage, signedInNonAdmin, type AdminRoute } from './admin-access-checks.js';
import { asStaleAdmin, eventsSince, fieldError, inputValue, lastEventId, noticeOf, tagOf, XSS, XSS_ESCAPED } from './admin-screen-helpers.js';

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;

describe('admin: the Webhooks screens (issue 26)', () => {
  const clock = new FakeClock(Math.floor(Date.now() / 1000) * 1000);
  let app: RunningApp;
  let admin: SignedInAdmin;
  let receiver: WebhookReceiver;
  let serial = 0;
  const unique = (prefix: string) => `${prefix}-${(serial += 1)}.${process.pid}@example.com`;

  beforeAll(async () => {
    // One attempt: a failing delivery is dead at once, for the Redeliver button.
    app = await startApp({ clock, env: { DELIVERY_MAX_ATTEMPTS: '1' } });
    admin = await signedInAdmin(app);
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver?.stop();
    await app?.stop();
  });

  /** Adds an endpoint through the form: its id and the secret shown. */
  async function addWebhook(eventTypes = 'shop.*', description = '') {
    const page = await admin.post('/admin/webhooks', { url: receiver.url, event_types: eventTypes, description });
    expect(page.status, page.body).toBe(200);
    const id = /<dt>Id<\/dt><dd><code>([^<]+)<\/code>/.exec(page.body)?.[1] ?? '';
    return { id, secret: inputValue(page, 'webhook_secret') ?? '', page };
  }

  const webhookCount = async () => (await app.store.webhooks.list()).length;

  describe('who may see and change', () => {
    let id: string;
    let plain: Awaited<ReturnType<typeof signedInNonAdmin>>;
    const routes = (): AdminRoute[] => [
      { method: 'GET', path: '/admin/webhooks' },
      { method: 'GET', path: `/admin/webhooks/${id}` },
      { method: 'POST', path: '/admin/webhooks', form: { url: receiver.url, event_types: '*', description: '' }, sensitive: true },
      { method: 'POST', path: `/admin/webhooks/${id}`, form: { url: receiver.url, event_types: 'x.*', description: '' }, sensitive: true },
      { method: 'POST', path: `/admin/webhooks/${id}/enabled`, form: { enabled: 'true' }, sensitive: true },
      { method: 'POST', path: `/admin/webhooks/${id}/rotate-secret`, sensitive: true },
      { method: 'POST', path: `/admin/webhooks/${id}/delete`, sensitive: true },
      { method: 'POST', path: `/admin/webhooks/${id}/deliveries/msg_x/redeliver` },
    ];

    beforeAll(async () => {
      id = (await addWebhook()).id;
      plain = await signedInNonAdmin(app, unique('plain'));
    });

    it('sends anonymous visitors to the login page and refuses non-administrators and forged forms, writing nothing', async () => {
      const count = await webhookCount();
      await expectAnonymousSentToLogin(app, routes());
      await expectNonAdminRefused(app, plain, routes(), receiver.url);
      await expectCsrfRefused(app, admin, await signedInAdmin(app, unique('other-admin')), routes());
      expect(await webhookCount()).toBe(count);
    });

    it('asks an administrator who signed in more than 15 minutes ago for the password before any change of where events go', async () => {
      const before = await app.store.webhooks.findById(id);
      await expectStaleAdminAsked(app, routes(), (body) => asStaleAdmin(app, clock, unique('stale'), body));
      expect(await app.store.webhooks.findById(id)).toEqual(before);
      // Disabling only stops deliveries: no password asked.
      await asStaleAdmin(app, clock, unique('stale-disable'), async (stale) => {
        expect((await stale.post(`/admin/webhooks/${id}/enabled`, { enabled: 'false' })).status).toBe(303);
      });
      expect((await app.store.webhooks.findById(id))?.enabled).toBe(false);
    });

    it('shows both pages under the strict policy, in the admin navigation, each POST form with the CSRF token', async () => {
      const list = await admin.page('/admin/webhooks');
      expectStrictAdminPage(list, 'webhooks');
      expect(list.body).toContain('<a href="/admin/webhooks" aria-current="page">Webhooks</a>');
      expectStrictAdminPage(await admin.page(`/admin/webhooks/${id}`), 'webhook');
    });
  });

  it('refuses a bad URL, bad event types or description at their field, keeping what was typed, and writes nothing', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ url: 'ftp://hooks.example.com/in', event_types: 'a.*' }, 'url'],
      [{ url: 'http://hooks.example.com/in', event_types: 'a.*' }, 'url'],
      [{ url: 'https://user:pw@hooks.example.com/in', event_types: 'a.*' }, 'url'],
      [{ url: 'not a url', event_types: 'a.*' }, 'url'],
      [{ url: receiver.url, event_types: '' }, 'eventTypes'],
      [{ url: receiver.url, event_types: 'user.** <b>' }, 'eventTypes'],
      [{ url: receiver.url, event_types: 'a.*', description: 'x'.repeat(201) }, 'description'],
    ];
    for (const [fields, field] of cases) {
      const count = await webhookCount();
      const before = await lastEventId(app);
      const answer = await admin.post('/admin/webhooks', { description: '', ...fields });
      expect(answer.status, JSON.stringify(fields)).toBe(400);
      expect(fieldError(answer, field), JSON.stringify(fields)).toBeTruthy();
      expect(tagOf(answer, field)).toContain('aria-invalid="true"');
      expect(answer.body).not.toContain('id="webhook_secret"');
      expect(await webhookCount()).toBe(count);
      expect(await lastEventId(app)).toBe(before);
    }
    expect(inputValue(await admin.post('/admin/webhooks', { url: 'ftp://kept.example/', event_types: 'a.*', description: '' }), 'url')).toBe('ftp://kept.example/');
  });

  it('adds an endpoint whose secret is shown once, sealed in the store, never listed nor audited', async () => {
    const before = await lastEventId(app);
    const { id, secret, page } = await addWebhook('shop.order.* shop.refund,  *', XSS);
    expect(secret).toMatch(SECRET);
    expect(tagOf(page, 'webhook_secret')).toContain('readonly');
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.body).toContain('This signing secret is shown only now.');
    const stored = await app.store.webhooks.findById(id);
    expect(stored).toMatchObject({ url: receiver.url, eventTypes: ['*', 'shop.order.*', 'shop.refund'], description: XSS, enabled: true });
    expect(stored?.secretSealed).not.toContain(secret.slice(6, 20));
    expect((await openSecretBox(app.config)).open(stored?.secretSealed ?? '', webhookSecretAad(id))).toBe(secret);
    const events = await eventsSince(app, before);
    expect(events.map((event) => [event.type, event.actor, event.subject])).toEqual([['webhook.created', admin.user.id, id]]);
    expect(events[0]?.details).toEqual({ id, host: new URL(receiver.url).host, event_types: ['*', 'shop.order.*', 'shop.refund'] });
    expect(JSON.stringify(events)).not.toContain(secret);

    const list = await admin.page('/admin/webhooks');
    expect(list.body).toContain(`<a href="/admin/webhooks/${id}"><code>${receiver.url}</code></a>`);
    expect(list.body).toContain(XSS_ESCAPED);
    expect(list.body).not.toContain(XSS);
    expect(list.body).not.toContain(secret);
    expect((await admin.page(`/admin/webhooks/${id}`)).body).not.toContain(secret);
    await app.store.webhooks.delete(id);
  });

  it('shows the delivery log with state, attempts and last error, and redelivers a dead delivery of this endpoint only', async () => {
    const { id } = await addWebhook('log.*');
    const other = await addWebhook('other.*');
    receiver.answerNext({ status: 502 });
    await app.store.audit.append({ at: clock.now(), type: 'log.entry', actor: 'cli', subject: null, ip: null, details: {} });
    await app.deliveries.runOnce();
    const [dead] = (await app.store.deliveries.listForWebhook(id, { limit: 1 })).items;
    expect(dead).toMatchObject({ state: 'dead', attempts: 1, lastStatus: 502, lastError: 'http_status' });
    const deliveryId = dead?.id ?? '';

    const page = await admin.page(`/admin/webhooks/${id}`);
    const row = new RegExp(`<tr data-delivery="${deliveryId}">([\\s\\S]*?)</tr>`).exec(page.body)?.[1] ?? '';
    expect(row).toContain('<code>log.entry</code>');
    expect(row).toContain('<span class="badge badge-bad">dead</span>');
    expect(row).toContain('<td>1</td>');
    expect(row).toContain('HTTP 502, <code>http_status</code>');
    expect(row).toContain(`action="/admin/webhooks/${id}/deliveries/${deliveryId}/redeliver"`);

    // Another endpoint's path, an unknown delivery, an unknown endpoint: 404, nothing written.
    const before = await lastEventId(app);
    expect((await admin.post(`/admin/webhooks/${other.id}/deliveries/${deliveryId}/redeliver`, {})).status).toBe(404);
    expect((await admin.post(`/admin/webhooks/${id}/deliveries/msg_nothing/redeliver`, {})).status).toBe(404);
    expect((await admin.post(`/admin/webhooks/wh_nothing/deliveries/${deliveryId}/redeliver`, {})).status).toBe(404);
    expect((await admin.browser.get(`${app.url}/admin/webhooks/wh_nothing`)).status).toBe(404);
    expect(await lastEventId(app)).toBe(before);

    const answer = await admin.post(`/admin/webhooks/${id}/deliveries/${deliveryId}/redeliver`, {});
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${app.url}/admin/webhooks/${id}?done=redelivered`);
    expect(await app.store.deliveries.findById(deliveryId)).toMatchObject({ state: 'pending', attempts: 1, nextAttemptAt: clock.now() });
    expect((await eventsSince(app, before)).map((event) => [event.type, event.actor])).toEqual([['delivery.redelivered', admin.user.id]]);
    const pending = await admin.page(`/admin/webhooks/${id}?done=redelivered`);
    expect(noticeOf(pending)).toContain('sent again');
    expect(pending.body).toContain('<span class="badge badge-warn">pending</span>');
    expect(pending.body).not.toContain(`/deliveries/${deliveryId}/redeliver`);
    // Pending: a second press is refused (409) and writes nothing.
    const again = await lastEventId(app);
    expect((await admin.post(`/admin/webhooks/${id}/deliveries/${deliveryId}/redeliver`, {})).status).toBe(409);
    expect(await lastEventId(app)).toBe(again);
    await app.deliveries.runOnce();
    expect(await app.store.deliveries.findById(deliveryId)).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  it('edits, disables and enables, rotates the secret (the new one replaces the old in the store) and deletes an endpoint, each audited', async () => {
    const { id, secret } = await addWebhook('edit.*');
    const before = await lastEventId(app);
    const edited = await admin.post(`/admin/webhooks/${id}`, { url: `${receiver.url}/v2`, event_types: 'edit.done', description: 'Orders' });
    expect(edited.status).toBe(303);
    expect(await app.store.webhooks.findById(id)).toMatchObject({ url: `${receiver.url}/v2`, eventTypes: ['edit.done'], description: 'Orders' });
    const refused = await admin.post(`/admin/webhooks/${id}`, { url: `${receiver.url}/v3`, event_types: '', description: '' });
    expect(refused.status).toBe(400);
    expect(fieldError(refused, 'eventTypes')).toBeTruthy();
    expect((await app.store.webhooks.findById(id))?.url).toBe(`${receiver.url}/v2`);

    expect((await admin.post(`/admin/webhooks/${id}/enabled`, { enabled: 'false' })).status).toBe(303);
    expect((await admin.page(`/admin/webhooks/${id}?done=disabled`)).body).toContain('data-testid="webhook-state">disabled</span>');
    expect((await admin.post(`/admin/webhooks/${id}/enabled`, { enabled: 'maybe' })).status).toBe(400);
    expect((await admin.post(`/admin/webhooks/${id}/enabled`, { enabled: 'true' })).status).toBe(303);
    expect((await app.store.webhooks.findById(id))?.enabled).toBe(true);

    const rotated = await admin.post(`/admin/webhooks/${id}/rotate-secret`, {});
    const newSecret = inputValue(rotated, 'webhook_secret') ?? '';
    expect(newSecret).toMatch(SECRET);
    expect(newSecret).not.toBe(secret);
    expect((await openSecretBox(app.config)).open((await app.store.webhooks.findById(id))?.secretSealed ?? '', webhookSecretAad(id))).toBe(newSecret);

    const deleted = await admin.post(`/admin/webhooks/${id}/delete`, {});
    expect(deleted.location).toBe(`${app.url}/admin/webhooks?done=deleted`);
    expect(await app.store.webhooks.findById(id)).toBeNull();
    expect((await admin.post(`/admin/webhooks/${id}/delete`, {})).status).toBe(404);
    const events = await eventsSince(app, before);
    expect(events.map((event) => [event.type, event.subject])).toEqual([
      ['webhook.updated', id],
      ['webhook.updated', id],
      ['webhook.updated', id],
      ['webhook.updated', id],
      ['webhook.deleted', id],
    ]);
    expect(events.map((event) => event.details.changed).slice(0, 4)).toEqual([['url', 'eventTypes', 'description'], ['enabled'], ['enabled'], ['secret']]);
    expect(JSON.stringify(events)).not.toContain(newSecret);
  });
});
