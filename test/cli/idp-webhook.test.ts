// `idp webhook create | list | show | update | delete | deliveries | redeliver` (issue 26) as a child process, on a
// store of its own on the engine under test: the signing secret is printed once (create, update --rotate-secret),
// stored sealed, never listed nor audited; the delivery log and Redeliver work on the durable queue's rows; bad
// input is refused in one line with nothing written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSecretBox } from '../../src/auth/secret-box.js';
import { webhookSecretAad } from '../../src/delivery/webhook-signature.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { toolStore, type ToolStore } from '../helpers/cli-store.js';
import { runIdp } from '../helpers/processes.js';

interface WebhookJson {
  id: string;
  url: string;
  description: string | null;
  event_types: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
  secret?: string;
}

interface DeliveryJson {
  id: string;
  kind: string;
  webhook_id: string;
  event_type: string;
  state: string;
  attempts: number;
  next_attempt_at: string | null;
  last_status: number | null;
  last_error: string | null;
}

const SECRET = /^whsec_[A-Za-z0-9+/]{43}=$/;
const URL_ = 'https://hooks.example.com/gatehouse';

describe('idp webhook (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[], env: Record<string, string> = tool.env) => runIdp(args, env);
  const json = async <T>(args: string[]): Promise<T> => {
    const result = await idp([...args, '--json']);
    expect(result.stderr, args.join(' ')).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const { refused } = cliRefusals(() => tool, {
    webhooks: (store) => store.webhooks.list(),
    deliveries: async (store) => Promise.all((await store.webhooks.list()).map((webhook) => store.deliveries.listForWebhook(webhook.id, { limit: 100 }))),
    audit: writtenReaders.audit,
  });

  beforeEach(async () => {
    tool = await toolStore();
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('creates an endpoint and prints its secret once; the store keeps it sealed, the audit log only the host', async () => {
    const created = await json<WebhookJson>(['webhook', 'create', '--url', `${URL_}?token=in-url`, '--event', 'user.*', '--event', 'client.created', '--description', 'SIEM']);
    expect(created).toMatchObject({ url: `${URL_}?token=in-url`, description: 'SIEM', event_types: ['client.created', 'user.*'], enabled: true });
    expect(created.id).toMatch(/^wh_/);
    expect(created.secret).toMatch(SECRET);
    const sealed = await tool.withStore(async (store) => (await store.webhooks.findById(created.id))?.secretSealed ?? '');
    expect((await openSecretBox(tool.config)).open(sealed, webhookSecretAad(created.id))).toBe(created.secret);
    expect(await tool.contentsAsText()).not.toContain(created.secret?.slice(6));
    const [event] = await tool.withStore((store) => store.audit.list({ limit: 1, filter: { type: 'webhook.created' } }));
    expect(event).toMatchObject({ actor: 'cli', subject: created.id, details: { id: created.id, host: 'hooks.example.com', event_types: ['client.created', 'user.*'] } });
    expect(JSON.stringify(event)).not.toContain('in-url');

    const text = await idp(['webhook', 'create', '--url', URL_, '--event', '*']);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^secret: whsec_[A-Za-z0-9+/]{43}=$/m);
    expect(text.stdout).toContain('(the secret is shown only now');
  });

  it('lists and shows endpoints without their secrets, updates, rotates the secret (printed once) and deletes, each audited', async () => {
    const created = await json<WebhookJson>(['webhook', 'create', '--url', URL_, '--event', 'user.*']);
    const listed = await json<WebhookJson[]>(['webhook', 'list']);
    const { secret: _secret, ...withoutSecret } = created;
    expect(listed).toEqual([withoutSecret]);
    const shown = await idp(['webhook', 'show', created.id]);
    expect(shown.stdout).toContain(`url: ${URL_}\nevent_types: user.*\nenabled: true\n`);
    expect(shown.stdout + (await idp(['webhook', 'list'])).stdout).not.toContain('whsec_');

    const updated = await json<WebhookJson>(['webhook', 'update', created.id, '--event', 'session.*', '--event', 'user.deleted', '--disable', '--description', '']);
    expect(updated).toMatchObject({ event_types: ['session.*', 'user.deleted'], enabled: false, description: null });
    expect(updated).not.toHaveProperty('secret');
    const rotated = await json<WebhookJson>(['webhook', 'update', created.id, '--rotate-secret', '--enable']);
    expect(rotated.secret).toMatch(SECRET);
    expect(rotated.secret).not.toBe(created.secret);
    expect(rotated.enabled).toBe(true);

    expect(JSON.parse((await idp(['webhook', 'delete', created.id, '--json'])).stdout)).toEqual({ id: created.id, deleted: true });
    expect((await idp(['webhook', 'list'])).stdout).toBe('no webhooks\n');
    const events = await tool.withStore((store) => store.audit.list({ limit: 10 }));
    expect(events.filter((event) => event.type.startsWith('webhook.')).map((event) => [event.type, event.details.changed ?? null])).toEqual([
      ['webhook.deleted', null],
      ['webhook.updated', ['enabled', 'secret']],
      ['webhook.updated', ['eventTypes', 'description', 'enabled']],
      ['webhook.created', null],
    ]);
    expect(JSON.stringify(events)).not.toContain('whsec_');
  });

  it('shows the delivery log, and redelivers a dead delivery once (a pending one is refused)', async () => {
    const created = await json<WebhookJson>(['webhook', 'create', '--url', URL_, '--event', 'user.*']);
    const deliveryId = await tool.withStore(async (store) => {
      await store.audit.append({ at: Date.now(), type: 'user.created', actor: 'cli', subject: 'u1', ip: null, details: {} });
      const [claimed] = await store.deliveries.claimDue('test-node', Date.now(), Date.now() + 60_000, 10);
      await store.deliveries.settle(claimed?.id ?? '', 'test-node', { state: 'dead', status: 503, error: 'http_status' }, Date.now());
      return claimed?.id ?? '';
    });
    const log = await json<{ items: DeliveryJson[]; next: string | null }>(['webhook', 'deliveries', created.id]);
    expect(log).toEqual({
      items: [
        expect.objectContaining({
          id: deliveryId,
          kind: 'webhook',
          webhook_id: created.id,
          event_type: 'user.created',
          state: 'dead',
          attempts: 1,
          next_attempt_at: null,
          last_status: 503,
          last_error: 'http_status',
        }),
      ],
      next: null,
    });
    expect((await idp(['webhook', 'deliveries', created.id])).stdout).toContain(`${deliveryId}\tuser.created\tdead\tattempts=1 last_error=http_status (503)`);

    const redelivered = await json<DeliveryJson>(['webhook', 'redeliver', deliveryId]);
    expect(redelivered).toMatchObject({ id: deliveryId, state: 'pending', attempts: 1 });
    const [event] = await tool.withStore((store) => store.audit.list({ limit: 1, filter: { type: 'delivery.redelivered' } }));
    expect(event).toMatchObject({ actor: 'cli', subject: created.id, details: { delivery_id: deliveryId, kind: 'webhook' } });
    await refused(['webhook', 'redeliver', deliveryId], 'the delivery is still pending: it will be attempted again without being asked');
    await refused(['webhook', 'redeliver', 'msg_nothing'], 'no delivery "msg_nothing"');
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    it.each([
      ['a URL that is not https', ['--url', 'http://hooks.example.com/in', '--event', '*'], /^idp: url "http:\/\/hooks\.example\.com\/in" uses http on a host that is not loopback/],
      ['no event type', ['--url', URL_], 'name at least one event type (user.created), family (user.*) or * for every event'],
      ['a malformed event type', ['--url', URL_, '--event', 'user..created'], '"user..created" is not an event type (user.created), a family (user.*) or *'],
    ])('refuses to create with %s', async (_what, args, message) => {
      await refused(['webhook', 'create', ...args], message);
    });

    it('refuses to create without a URL (the option is required), writing nothing', async () => {
      const result = await idp(['webhook', 'create', '--event', '*']);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("required option '--url <url>' not specified");
      expect(await tool.withStore((store) => store.webhooks.list())).toEqual([]);
    });

    it('refuses a private or loopback address outside development (ALLOW_PRIVATE_CLIENT_URLS=false)', async () => {
      const result = await idp(['webhook', 'create', '--url', 'http://127.0.0.1:9/in', '--event', '*'], { ...tool.env, ALLOW_PRIVATE_CLIENT_URLS: 'false' });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^idp: url "http:\/\/127\.0\.0\.1:9\/in" points at a private, loopback, link-local or other special-purpose address/);
      expect(await tool.withStore((store) => store.webhooks.list())).toEqual([]);
    });

    it('refuses unknown endpoints, an update with nothing to change, and --enable with --disable', async () => {
      const created = await json<WebhookJson>(['webhook', 'create', '--url', URL_, '--event', '*']);
      for (const command of ['delete', 'deliveries']) await refused(['webhook', command, 'wh_nothing'], 'no webhook "wh_nothing"');
      await refused(['webhook', 'update', created.id], 'nothing to change: give a new URL, event types, description, enabled state or a new secret');
      await refused(['webhook', 'update', created.id, '--enable', '--disable'], 'give --enable or --disable, not both');
      await refused(['webhook', 'update', created.id, '--url', 'ftp://x.example/'], /^idp: url "ftp:\/\/x\.example\/" must use https\n$/);
    });
  });
});
