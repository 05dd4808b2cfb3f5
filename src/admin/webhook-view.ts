// What the Webhooks screens show (webhooks.ts): an endpoint and its deliveries as view models, and the endpoint form
// as typed, so that a refused form comes back as it was sent. The rules are src/manage/webhooks.ts's.
import { ValidationError } from '../errors.js';
import { routes } from '../http/routes.js';
import type { WebhookInput } from '../manage/webhooks.js';
import type { DeliveryRecord, WebhookRecord } from '../store/records.js';
import { bodyOf, shown } from './client-form-text.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

export interface WebhookForm {
  url: string;
  /** Event types as typed: separated by spaces, commas or line breaks. */
  eventTypes: string;
  description: string;
}

/** Messages by field; `form` for a refusal that names none of them. */
export type WebhookFormErrors = Partial<Record<keyof WebhookForm | 'form', string>>;

export const EMPTY_WEBHOOK_FORM: WebhookForm = { url: '', eventTypes: '', description: '' };

const FIELDS: Record<keyof WebhookForm, string> = { url: 'url', eventTypes: 'event_types', description: 'description' };

/** What was posted, for redisplay; never throws. */
export function readWebhookForm(body: unknown): WebhookForm {
  const form = bodyOf(body);
  return { url: shown(form, 'url').trim(), eventTypes: shown(form, 'event_types').trim(), description: shown(form, 'description').trim() };
}

/** The shared rules' input; a field sent twice is not from this form. */
export function webhookInput(form: WebhookForm, body: unknown): WebhookInput {
  for (const [field, name] of Object.entries(FIELDS)) {
    if (Array.isArray(bodyOf(body)[name])) throw new ValidationError(field, 'this field was sent more than once');
  }
  return { url: form.url, eventTypes: form.eventTypes.split(/[\s,]+/), description: form.description };
}

/** Where a refusal of the rules goes on the form. */
export function errorsOf(error: ValidationError): WebhookFormErrors {
  const field = error.field === 'url' ? 'url' : /event/i.test(error.field) ? 'eventTypes' : error.field === 'description' ? 'description' : 'form';
  return { [field]: error.message };
}

export function formOf(webhook: WebhookRecord): WebhookForm {
  return { url: webhook.url, eventTypes: webhook.eventTypes.join(' '), description: webhook.description ?? '' };
}

/** The Webhooks screens' paths, under the issuer's base path. */
export function webhooksPath(deps: AdminDependencies, suffix = ''): string {
  return `${deps.config.basePath}${routes.admin}/webhooks${suffix}`;
}

export function webhookPath(deps: AdminDependencies, id: string, suffix = ''): string {
  return webhooksPath(deps, `/${encodeURIComponent(id)}${suffix}`);
}

export interface WebhookRow {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  enabled: boolean;
  created: string;
  updated: string;
  path: string;
}

export function webhookRow(deps: AdminDependencies, webhook: WebhookRecord): WebhookRow {
  return {
    id: webhook.id,
    url: webhook.url,
    description: webhook.description,
    eventTypes: webhook.eventTypes,
    enabled: webhook.enabled,
    created: formatTime(webhook.createdAt),
    updated: formatTime(webhook.updatedAt),
    path: webhookPath(deps, webhook.id),
  };
}

const STATE_BADGES: Record<DeliveryRecord['state'], string> = { pending: 'badge-warn', delivered: 'badge-ok', dead: 'badge-bad' };

/** The coarse failures (src/delivery/sender.ts FailureReason) in words. */
const FAILURES: Record<string, string> = {
  timeout: 'no answer in time',
  connection_failed: 'no connection',
  http_status: 'refused',
  refused_address: 'address not allowed',
  gone: 'endpoint disabled or event gone',
  shutdown: 'server stopped during the attempt',
};

export interface DeliveryRow {
  id: string;
  eventType: string;
  eventId: number | null;
  state: DeliveryRecord['state'];
  stateBadge: string;
  attempts: number;
  lastStatus: number | null;
  /** The coarse failure code, and what it means. */
  lastError: string | null;
  lastErrorText: string | null;
  /** When the next attempt is due; null unless pending. */
  nextAttempt: string | null;
  created: string;
  updated: string;
  /** The Redeliver form's action; null while the delivery is pending. */
  redeliverPath: string | null;
}

export function deliveryRow(deps: AdminDependencies, webhookId: string, delivery: DeliveryRecord): DeliveryRow {
  return {
    id: delivery.id,
    eventType: delivery.eventType,
    eventId: delivery.eventId,
    state: delivery.state,
    stateBadge: STATE_BADGES[delivery.state],
    attempts: delivery.attempts,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    lastErrorText: delivery.lastError === null ? null : (FAILURES[delivery.lastError] ?? null),
    nextAttempt: delivery.state === 'pending' ? formatTime(delivery.nextAttemptAt) : null,
    created: formatTime(delivery.createdAt),
    updated: formatTime(delivery.updatedAt),
    redeliverPath: delivery.state === 'pending' ? null : webhookPath(deps, webhookId, `/deliveries/${encodeURIComponent(delivery.id)}/redeliver`),
  };
}
