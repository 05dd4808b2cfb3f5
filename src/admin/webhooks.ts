// The Webhooks screens (issue 26): endpoints that receive the audit events, each with its delivery log. Through
// src/manage/webhooks.ts, the rules and audit events of `idp webhook`: a new endpoint's signing secret (and a
// rotated one) is shown once, in the answer to the POST that made it (no-store: requireAdmin; sealed in the store,
// never in a URL or a log). The log shows each delivery's state (pending, delivered, dead), attempts, last answer
// or coarse failure, newest first (paged by key), and a "Redeliver" button for a delivered or dead one
// (src/manage/deliveries.ts: back in the queue, due now; the running servers send it at their next poll).
// Sensitive (a recent sign-in, recent-sign-in.ts): adding an endpoint, changing one, enabling one, rotating its
// secret and deleting it, since each decides where the audit trail goes (or stops going: a deleted endpoint was
// perhaps the SIEM that would notice). Disabling one and redelivering are not.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../errors.js';
import { redeliverDelivery } from '../manage/deliveries.js';
import { createWebhook, deleteWebhook, findWebhook, listWebhookDeliveries, listWebhooks, updateWebhook, type SavedWebhook, type WebhookContext } from '../manage/webhooks.js';
import type { WebhookRecord } from '../store/records.js';
import { noticeFor, queryText } from './client-pages.js';
import { manageContext } from './context.js';
import type { ProviderDependencies } from './provider-pages.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { renderAdmin } from './render.js';
import {
  deliveryRow,
  EMPTY_WEBHOOK_FORM,
  errorsOf,
  formOf,
  readWebhookForm,
  webhookInput,
  webhookPath,
  webhookRow,
  webhooksPath,
  type WebhookForm,
  type WebhookFormErrors,
} from './webhook-view.js';

/** The admin dependencies with the app's secret box, which seals the endpoints' secrets. */
type Dependencies = ProviderDependencies;

/** Deliveries on one page of an endpoint's log. */
export const DELIVERIES_PER_PAGE = 50;

const LIST_NOTICES: Record<string, string> = { deleted: 'The webhook was deleted, with its delivery log.' };
const PAGE_NOTICES: Record<string, string> = {
  updated: 'The webhook was saved.',
  enabled: 'The webhook is enabled: new events are delivered to it again.',
  disabled: 'The webhook is disabled: no event is delivered to it, and its pending deliveries will be dead (redeliver them once it is enabled).',
  redelivered: 'The delivery will be sent again within a few seconds.',
};

function context(deps: Dependencies, req: Request, res: Response): WebhookContext {
  return { ...manageContext(deps, res, req.ip), secretBox: deps.secretBox };
}

async function renderList(deps: Dependencies, req: Request, res: Response, form: WebhookForm, errors: WebhookFormErrors, status = 200): Promise<void> {
  const webhooks = await listWebhooks(deps);
  renderAdmin(
    res,
    'webhooks/index',
    {
      title: 'Webhooks',
      section: 'webhooks',
      notice: status === 200 ? noticeFor(req, LIST_NOTICES) : null,
      webhooks: webhooks.map((webhook) => webhookRow(deps, webhook)),
      allowPrivate: deps.config.allowPrivateClientUrls,
      form,
      errors,
      createPath: webhooksPath(deps),
    },
    status,
  );
}

async function renderWebhook(deps: Dependencies, req: Request, res: Response, webhook: WebhookRecord, form: WebhookForm, errors: WebhookFormErrors, status = 200): Promise<void> {
  const after = queryText(req, 'after');
  const page = await listWebhookDeliveries(deps, webhook.id, { after, limit: DELIVERIES_PER_PAGE });
  renderAdmin(
    res,
    'webhooks/show',
    {
      title: `Webhook ${webhook.id}`,
      section: 'webhooks',
      notice: status === 200 ? noticeFor(req, PAGE_NOTICES) : null,
      webhook: webhookRow(deps, webhook),
      deliveries: page.items.map((delivery) => deliveryRow(deps, webhook.id, delivery)),
      firstPage: after === null ? null : webhookPath(deps, webhook.id),
      nextPage: page.next === null ? null : webhookPath(deps, webhook.id, `?after=${encodeURIComponent(page.next)}`),
      form,
      errors,
      paths: {
        update: webhookPath(deps, webhook.id),
        enabled: webhookPath(deps, webhook.id, '/enabled'),
        rotate: webhookPath(deps, webhook.id, '/rotate-secret'),
        delete: webhookPath(deps, webhook.id, '/delete'),
        back: webhooksPath(deps),
      },
    },
    status,
  );
}

function renderSecret(deps: Dependencies, res: Response, saved: SavedWebhook, created: boolean): void {
  renderAdmin(res, 'webhooks/secret', {
    title: created ? 'Webhook created' : 'Webhook secret rotated',
    section: 'webhooks',
    created,
    secret: saved.secret,
    webhook: webhookRow(deps, saved.webhook),
  });
}

function list(deps: Dependencies) {
  return (req: Request, res: Response): Promise<void> => renderList(deps, req, res, EMPTY_WEBHOOK_FORM, {});
}

/** POST /admin/webhooks: a new endpoint and its secret, shown once; a refused form comes back with its errors. */
function create(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = readWebhookForm(req.body);
    let saved: SavedWebhook;
    try {
      saved = await createWebhook(context(deps, req, res), webhookInput(form, req.body));
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderList(deps, req, res, form, errorsOf(error), 400);
      return;
    }
    renderSecret(deps, res, saved, true);
  };
}

function show(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const webhook = await findWebhook(deps, String(req.params.id));
    await renderWebhook(deps, req, res, webhook, formOf(webhook), {});
  };
}

/** POST /admin/webhooks/:id: a new URL, event types or description; a refused form comes back with its errors. */
function update(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const webhook = await findWebhook(deps, String(req.params.id));
    const form = readWebhookForm(req.body);
    try {
      const input = webhookInput(form, req.body);
      await updateWebhook(context(deps, req, res), webhook.id, input);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      await renderWebhook(deps, req, res, webhook, form, errorsOf(error), 400);
      return;
    }
    res.redirect(303, webhookPath(deps, webhook.id, '?done=updated'));
  };
}

/** The Enable/Disable button's value: anything but `true` or `false` is not from this form. */
function enabledValue(req: Request): boolean {
  const value = (req.body as Record<string, unknown>).enabled;
  if (value !== 'true' && value !== 'false') throw new ValidationError('enabled', 'enabled must be true or false');
  return value === 'true';
}

function setEnabled(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const webhook = await findWebhook(deps, String(req.params.id));
    const enabled = enabledValue(req);
    await updateWebhook(context(deps, req, res), webhook.id, { enabled });
    res.redirect(303, webhookPath(deps, webhook.id, `?done=${enabled ? 'enabled' : 'disabled'}`));
  };
}

function rotate(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const webhook = await findWebhook(deps, String(req.params.id));
    renderSecret(deps, res, await updateWebhook(context(deps, req, res), webhook.id, { rotateSecret: true }), false);
  };
}

function remove(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await deleteWebhook(context(deps, req, res), String(req.params.id));
    res.redirect(303, webhooksPath(deps, '?done=deleted'));
  };
}

/**
 * Puts a delivered or dead delivery of this endpoint back in the queue, due now. Another endpoint's delivery, a
 * back-channel one or an unknown id is a 404, a pending one a 409, each writing nothing.
 */
function redeliver(deps: Dependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const webhook = await findWebhook(deps, String(req.params.id));
    await redeliverDelivery(context(deps, req, res), String(req.params.delivery), { kind: 'webhook', webhookId: webhook.id });
    res.redirect(303, webhookPath(deps, webhook.id, '?done=redelivered'));
  };
}

export function webhookRoutes(router: Router, deps: Dependencies): void {
  router.get('/webhooks', list(deps));
  router.post('/webhooks', requireRecentSignIn(deps), create(deps));
  router.get('/webhooks/:id', show(deps));
  router.post('/webhooks/:id', requireRecentSignIn(deps), update(deps));
  // Enabling resumes sending the audit trail to the URL; disabling only stops it.
  router.post(
    '/webhooks/:id/enabled',
    requireRecentSignIn(deps, (req) => (req.body as Record<string, unknown>).enabled !== 'false'),
    setEnabled(deps),
  );
  router.post('/webhooks/:id/rotate-secret', requireRecentSignIn(deps), rotate(deps));
  router.post('/webhooks/:id/delete', requireRecentSignIn(deps), remove(deps));
  router.post('/webhooks/:id/deliveries/:delivery/redeliver', redeliver(deps));
}
