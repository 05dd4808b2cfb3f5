// Webhook endpoints for audit events (issue 26): the rules shared by the `idp webhook` commands and the admin
// screens. An endpoint is a URL, the event types it receives (`user.created`, a family `user.*`, or `*`), an
// optional description, and a signing secret that Gatehouse generates (never chosen by an administrator: a weak
// one would let anyone forge events), shows once, in the answer that made it, and keeps sealed by the secret box
// (it must be read back to sign, so a hash will not do). `rotateSecret` makes a new one, shown once; the old one
// stops signing at once (a receiver updates its copy first, or refuses deliveries until it does).
//
// The URL follows the rule of a client's back-channel logout URI (src/manage/client-urls.ts,
// src/manage/redirect-uris.ts): absolute https (http on a loopback host), no credentials nor fragment, and
// outside development (ALLOW_PRIVATE_CLIENT_URLS) no special-purpose address literal or localhost name; each
// attempt checks the addresses the name resolves to (src/delivery/webhook-sender.ts). Audited
// `webhook.created|updated|deleted`, never with the secret, and with only the URL's host (a URL may carry a
// token in its path or query).
import { randomId } from '../auth/secrets.js';
import type { SecretBox } from '../auth/secret-box.js';
import type { Config } from '../config.js';
import { generateWebhookSecret, webhookSecretAad } from '../delivery/webhook-signature.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { DeliveryRecord, Page, WebhookPatch, WebhookRecord } from '../store/records.js';
import { checkPublicClientUrl } from './client-urls.js';
import { redeliverDelivery } from './deliveries.js';
import { checkClientUri } from './redirect-uris.js';
import type { ManageContext } from './users.js';

export interface WebhookContext extends Pick<ManageContext, 'store' | 'clock' | 'actor' | 'ip'> {
  config: Pick<Config, 'allowPrivateClientUrls'>;
  secretBox: () => Promise<SecretBox>;
}

export interface WebhookInput {
  url: string;
  eventTypes: string[];
  description?: string | null;
}

export interface WebhookChange {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  enabled?: boolean;
  /** A new secret, shown once in the answer. */
  rotateSecret?: boolean;
}

/** A webhook as it was saved, and its secret when this call made one (shown once, never again). */
export interface SavedWebhook {
  webhook: WebhookRecord;
  secret: string | null;
}

export const MAX_EVENT_PATTERNS = 50;
const MAX_PATTERN_LENGTH = 100;
const MAX_DESCRIPTION_LENGTH = 200;
/** `*`, a type (dotted words, as the audit log names them), or a family: a type's first words and `.*`. */
const PATTERN = /^(\*|[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*(\.\*)?)$/;

function checkUrl(ctx: WebhookContext, url: string): string {
  // The address rule first: checkClientUri's scheme rule would refuse `http://10.0.0.1/` for its http alone.
  if (!ctx.config.allowPrivateClientUrls) checkPublicClientUrl(url, 'url');
  checkClientUri(url, 'url');
  return url;
}

/** The patterns, trimmed, each once, sorted; at least one. */
export function checkEventTypes(patterns: string[]): string[] {
  const cleaned = [...new Set(patterns.map((pattern) => pattern.trim()).filter((pattern) => pattern !== ''))];
  if (cleaned.length === 0) throw new ValidationError('event_types', 'name at least one event type (user.created), family (user.*) or * for every event');
  if (cleaned.length > MAX_EVENT_PATTERNS) throw new ValidationError('event_types', `name at most ${MAX_EVENT_PATTERNS} event types`);
  for (const pattern of cleaned) {
    if (pattern.length > MAX_PATTERN_LENGTH || !PATTERN.test(pattern)) {
      throw new ValidationError('event_types', `${JSON.stringify(pattern)} is not an event type (user.created), a family (user.*) or *`);
    }
  }
  return cleaned.sort();
}

function checkDescription(description: string | null | undefined): string | null {
  const trimmed = description?.trim() ?? '';
  if (trimmed === '') return null;
  if (trimmed.length > MAX_DESCRIPTION_LENGTH || /[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new ValidationError('description', `the description must be one line of at most ${MAX_DESCRIPTION_LENGTH} characters`);
  }
  return trimmed;
}

/** The URL's host only, for the audit log. */
function hostOf(url: string): string {
  return URL.canParse(url) ? new URL(url).host : '';
}

/** Creates an endpoint with a new secret; every rule is checked before anything is written. */
export async function createWebhook(ctx: WebhookContext, input: WebhookInput): Promise<SavedWebhook> {
  const url = checkUrl(ctx, input.url);
  const eventTypes = checkEventTypes(input.eventTypes);
  const description = checkDescription(input.description);
  const id = `wh_${randomId()}`;
  const secret = generateWebhookSecret();
  const secretSealed = (await ctx.secretBox()).seal(secret, webhookSecretAad(id));
  const now = ctx.clock.now();
  const webhook = await ctx.store.webhooks.create({ id, url, description, secretSealed, eventTypes, enabled: true }, now);
  await ctx.store.audit.append({ at: now, type: 'webhook.created', actor: ctx.actor, subject: id, ip: ctx.ip ?? null, details: { id, host: hostOf(url), event_types: eventTypes } });
  return { webhook, secret };
}

export function listWebhooks(ctx: Pick<WebhookContext, 'store'>): Promise<WebhookRecord[]> {
  return ctx.store.webhooks.list();
}

/** The endpoint, or NotFoundError. */
export async function findWebhook(ctx: Pick<WebhookContext, 'store'>, id: string): Promise<WebhookRecord> {
  const webhook = await ctx.store.webhooks.findById(id);
  if (!webhook) throw new NotFoundError(`no webhook ${JSON.stringify(id)}`);
  return webhook;
}

/** Changes what is given; every rule is checked before anything is written. */
export async function updateWebhook(ctx: WebhookContext, id: string, change: WebhookChange): Promise<SavedWebhook> {
  await findWebhook(ctx, id);
  const patch: WebhookPatch = {};
  if (change.url !== undefined) patch.url = checkUrl(ctx, change.url);
  if (change.eventTypes !== undefined) patch.eventTypes = checkEventTypes(change.eventTypes);
  if (change.description !== undefined) patch.description = checkDescription(change.description);
  if (change.enabled !== undefined) patch.enabled = change.enabled;
  const secret = change.rotateSecret ? generateWebhookSecret() : null;
  if (secret !== null) patch.secretSealed = (await ctx.secretBox()).seal(secret, webhookSecretAad(id));
  const changed = Object.keys(patch).map((key) => (key === 'secretSealed' ? 'secret' : key));
  if (changed.length === 0) throw new ValidationError('webhook', 'nothing to change: give a new URL, event types, description, enabled state or a new secret');
  const now = ctx.clock.now();
  const webhook = await ctx.store.webhooks.update(id, patch, now);
  if (!webhook) throw new NotFoundError(`no webhook ${JSON.stringify(id)}`);
  await ctx.store.audit.append({
    at: now,
    type: 'webhook.updated',
    actor: ctx.actor,
    subject: id,
    ip: ctx.ip ?? null,
    details: { id, changed, host: hostOf(webhook.url), event_types: webhook.eventTypes, enabled: webhook.enabled },
  });
  return { webhook, secret };
}

/** Deletes the endpoint and its deliveries (sent or not); NotFoundError when there is none. */
export async function deleteWebhook(ctx: WebhookContext, id: string): Promise<void> {
  if (!(await ctx.store.webhooks.delete(id))) throw new NotFoundError(`no webhook ${JSON.stringify(id)}`);
  await ctx.store.audit.append({ at: ctx.clock.now(), type: 'webhook.deleted', actor: ctx.actor, subject: id, ip: ctx.ip ?? null, details: { id } });
}

export const MAX_DELIVERY_PAGE = 200;

/** An endpoint's delivery log, newest first; NotFoundError when there is no such endpoint. */
export async function listWebhookDeliveries(ctx: Pick<WebhookContext, 'store'>, id: string, page: { after?: string | null; limit: number }): Promise<Page<DeliveryRecord>> {
  await findWebhook(ctx, id);
  const limit = Math.min(MAX_DELIVERY_PAGE, Math.max(1, Math.floor(page.limit)));
  return ctx.store.deliveries.listForWebhook(id, { after: page.after ?? null, limit });
}

/** Sends one of the endpoint's delivered or dead deliveries again (src/manage/deliveries.ts). */
export function redeliverWebhookDelivery(ctx: WebhookContext, webhookId: string, deliveryId: string): Promise<DeliveryRecord> {
  return redeliverDelivery(ctx, deliveryId, { kind: 'webhook', webhookId });
}
