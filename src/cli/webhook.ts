// `idp webhook create | list | show | update | delete | deliveries | redeliver` (issue 26): webhook endpoints for
// audit events, on the rules of src/manage/webhooks.ts (shared with the admin Webhooks screens). The signing secret
// is printed once, by `create` and by `update --rotate-secret`; it is stored sealed and never shown again.
// Deliveries are made by the running servers' queues (the tool starts none): `redeliver` puts a delivered or dead
// delivery back in the queue, due at once.
import type { Command } from 'commander';
import { openSecretBox, type SecretBox } from '../auth/secret-box.js';
import { ValidationError } from '../errors.js';
import { redeliverDelivery } from '../manage/deliveries.js';
import { createWebhook, deleteWebhook, findWebhook, listWebhookDeliveries, listWebhooks, updateWebhook, type WebhookChange, type WebhookContext } from '../manage/webhooks.js';
import type { DeliveryRecord, WebhookRecord } from '../store/records.js';
import { collect, iso, pageOptions, pageRequest, pageText, print, takesId, withContext, type CommandContext, type OutputOptions, type PageOptions } from './run.js';

export function webhookJson(webhook: WebhookRecord) {
  return {
    id: webhook.id,
    url: webhook.url,
    description: webhook.description,
    event_types: webhook.eventTypes,
    enabled: webhook.enabled,
    created_at: iso(webhook.createdAt),
    updated_at: iso(webhook.updatedAt),
  };
}

export function deliveryJson(delivery: DeliveryRecord) {
  return {
    id: delivery.id,
    kind: delivery.kind,
    webhook_id: delivery.webhookId,
    client_id: delivery.clientId,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    state: delivery.state,
    attempts: delivery.attempts,
    next_attempt_at: delivery.state === 'pending' ? iso(delivery.nextAttemptAt) : null,
    last_status: delivery.lastStatus,
    last_error: delivery.lastError,
    created_at: iso(delivery.createdAt),
    updated_at: iso(delivery.updatedAt),
  };
}

function webhookText(webhook: WebhookRecord): string {
  return [
    `id: ${webhook.id}`,
    `url: ${webhook.url}`,
    `event_types: ${webhook.eventTypes.join(' ')}`,
    `enabled: ${webhook.enabled}`,
    ...(webhook.description === null ? [] : [`description: ${webhook.description}`]),
    `created_at: ${iso(webhook.createdAt)}`,
  ].join('\n');
}

function deliveryLine(delivery: DeliveryRecord): string {
  const last = delivery.lastError === null ? '' : ` last_error=${delivery.lastError}${delivery.lastStatus === null ? '' : ` (${delivery.lastStatus})`}`;
  const next = delivery.state === 'pending' ? ` next=${iso(delivery.nextAttemptAt)}` : '';
  return `${delivery.id}\t${delivery.eventType}\t${delivery.state}\tattempts=${delivery.attempts}${next}${last}\t${iso(delivery.createdAt)}`;
}

/** The command context with the secret box (opened only when a secret is made: in SQLite mode it may create KEYS_DIR/secrets.key). */
function webhookContext(ctx: CommandContext): WebhookContext {
  let box: Promise<SecretBox> | undefined;
  return { ...ctx, secretBox: () => (box ??= openSecretBox(ctx.config)) };
}

const SECRET_NOTE = '(the secret is shown only now: give it to the receiver, which verifies the webhook-signature header with it)';

export function registerWebhookCommands(program: Command): void {
  const webhook = program.command('webhook').description('webhook endpoints for audit events (Standard Webhooks signatures)');

  webhook
    .command('create')
    .description('add an endpoint and print its signing secret, once')
    .requiredOption('--url <url>', 'where to POST the events (https; http only on a loopback host)')
    .requiredOption('--event <type>', 'an event type (user.created), a family (user.*) or * for every event (repeatable)', collect, [])
    .option('--description <text>', 'what the endpoint is for')
    .option('--json', 'print JSON: {"id", "url", "event_types", "secret", …}')
    .action((options: OutputOptions & { url: string; event: string[]; description?: string }) =>
      withContext(async (ctx) => {
        const { webhook: created, secret } = await createWebhook(webhookContext(ctx), { url: options.url, eventTypes: options.event, description: options.description ?? null });
        print(options, { ...webhookJson(created), secret }, [webhookText(created), `secret: ${secret}`, SECRET_NOTE].join('\n'));
      }),
    );

  webhook
    .command('list')
    .description('list the endpoints, oldest first (never their secrets)')
    .option('--json', 'print JSON')
    .action((options: OutputOptions) =>
      withContext(async (ctx) => {
        const webhooks = await listWebhooks(ctx);
        const lines = webhooks.map((w) => `${w.id}\t${w.enabled ? 'enabled' : 'disabled'}\t${w.eventTypes.join(' ')}\t${w.url}`);
        print(options, webhooks.map(webhookJson), lines.length === 0 ? 'no webhooks' : lines.join('\n'));
      }),
    );

  takesId(webhook.command('show').argument('<id>', 'the webhook id'))
    .description('show an endpoint (never its secret)')
    .option('--json', 'print JSON')
    .action((id: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const found = await findWebhook(ctx, id);
        print(options, webhookJson(found), webhookText(found));
      }),
    );

  takesId(webhook.command('update').argument('<id>', 'the webhook id'))
    .description('change an endpoint; --rotate-secret prints its new secret, once (the old one stops signing at once)')
    .option('--url <url>', 'a new URL')
    .option('--event <type>', 'replace the event types (repeatable)', collect, [])
    .option('--description <text>', 'a new description ("" removes it)')
    .option('--enable', 'deliver to it again')
    .option('--disable', 'stop delivering to it (its pending deliveries die; redeliver them once it is enabled)')
    .option('--rotate-secret', 'make a new signing secret')
    .option('--json', 'print JSON')
    .action((id: string, options: OutputOptions & { url?: string; event: string[]; description?: string; enable?: boolean; disable?: boolean; rotateSecret?: boolean }) =>
      withContext(async (ctx) => {
        if (options.enable && options.disable) throw new ValidationError('enabled', 'give --enable or --disable, not both');
        const change: WebhookChange = {
          ...(options.url === undefined ? {} : { url: options.url }),
          ...(options.event.length === 0 ? {} : { eventTypes: options.event }),
          ...(options.description === undefined ? {} : { description: options.description }),
          ...(options.enable ? { enabled: true } : options.disable ? { enabled: false } : {}),
          ...(options.rotateSecret ? { rotateSecret: true } : {}),
        };
        const { webhook: updated, secret } = await updateWebhook(webhookContext(ctx), id, change);
        const text = secret === null ? webhookText(updated) : [webhookText(updated), `secret: ${secret}`, SECRET_NOTE].join('\n');
        print(options, { ...webhookJson(updated), ...(secret === null ? {} : { secret }) }, text);
      }),
    );

  takesId(webhook.command('delete').argument('<id>', 'the webhook id'))
    .description('delete an endpoint and its deliveries')
    .option('--json', 'print JSON')
    .action((id: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        await deleteWebhook(webhookContext(ctx), id);
        print(options, { id, deleted: true }, `deleted webhook ${id}`);
      }),
    );

  pageOptions(takesId(webhook.command('deliveries').argument('<id>', 'the webhook id')), 'deliveries')
    .description("an endpoint's delivery log, newest first: state (pending, delivered, dead), attempts, last error")
    .action((id: string, options: PageOptions) =>
      withContext(async (ctx) => {
        const page = await listWebhookDeliveries(ctx, id, pageRequest(options));
        print(options, { items: page.items.map(deliveryJson), next: page.next }, pageText(page.items.map(deliveryLine), page.next, 'no deliveries'));
      }),
    );

  takesId(webhook.command('redeliver').argument('<delivery-id>', 'a delivered or dead delivery (its id from `idp webhook deliveries`)'))
    .description('send a delivered or dead delivery again: the running servers attempt it at their next poll')
    .option('--json', 'print JSON')
    .action((deliveryId: string, options: OutputOptions) =>
      withContext(async (ctx) => {
        const delivery = await redeliverDelivery(ctx, deliveryId, { kind: 'webhook' });
        print(options, deliveryJson(delivery), `delivery ${delivery.id} is pending again, due now`);
      }),
    );
}
