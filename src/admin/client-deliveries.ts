// The client page's back-channel logout log (issue 26): every logout token sent or still to be sent to the
// application, newest first, from the durable delivery queue (src/delivery/queue.ts): its state (pending,
// delivered, dead), the attempts made, the last answer or coarse failure (never a network error's text), and a
// "Redeliver" button for a delivered or dead one, which puts it back in the queue, due now. The client page shows
// the latest few and links to the whole log (paged by key, stable while deliveries are added).
import type { Request, Response, Router } from 'express';
import { logoutSubjectOf } from '../delivery/backchannel-sender.js';
import { findClient } from '../manage/clients.js';
import { redeliverDelivery } from '../manage/deliveries.js';
import type { ClientRecord, DeliveryRecord } from '../store/records.js';
import { clientRow, clientsPath, noticeFor, queryText } from './client-pages.js';
import { manageContext, type AdminDependencies } from './context.js';
import { formatTime, renderAdmin } from './render.js';
import { userPath } from './user-page.js';

/** Deliveries on one page of the log. */
export const DELIVERIES_PER_PAGE = 50;
/** Deliveries on the client page itself. */
export const RECENT_DELIVERIES = 5;

const STATE_BADGES: Record<DeliveryRecord['state'], string> = { pending: 'badge-warn', delivered: 'badge-ok', dead: 'badge-bad' };

const NOTICES: Record<string, string> = {
  redelivered: 'The logout token will be sent again within a few seconds (a new token, signed now).',
};

/** One delivery as the log shows it. */
export interface DeliveryRow {
  id: string;
  state: DeliveryRecord['state'];
  stateBadge: string;
  /** The ended session's id; null for a logout of every session of the person at the application (§2.4). */
  sid: string | null;
  userId: string | null;
  userPath: string | null;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  /** When the next attempt is due; null unless pending. */
  nextAttempt: string | null;
  created: string;
  updated: string;
  /** The Redeliver form's action; null while the delivery is pending. */
  redeliverPath: string | null;
}

export interface DeliveryLog {
  rows: DeliveryRow[];
  /** The whole log. */
  path: string;
  /** More than the rows shown. */
  more: boolean;
}

function deliveriesPath(deps: AdminDependencies, clientId: string, suffix = ''): string {
  return `${clientsPath(deps, clientId, 'deliveries')}${suffix}`;
}

export function deliveryRow(deps: AdminDependencies, clientId: string, delivery: DeliveryRecord): DeliveryRow {
  const subject = logoutSubjectOf(delivery);
  return {
    id: delivery.id,
    state: delivery.state,
    stateBadge: STATE_BADGES[delivery.state],
    sid: subject?.sid ?? null,
    userId: subject?.userId ?? null,
    userPath: subject ? userPath(deps, subject.userId) : null,
    attempts: delivery.attempts,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    nextAttempt: delivery.state === 'pending' ? formatTime(delivery.nextAttemptAt) : null,
    created: formatTime(delivery.createdAt),
    updated: formatTime(delivery.updatedAt),
    redeliverPath: delivery.state === 'pending' ? null : deliveriesPath(deps, clientId, `/${encodeURIComponent(delivery.id)}/redeliver`),
  };
}

/** The latest deliveries to a client, for its page. */
export async function recentDeliveries(deps: AdminDependencies, client: ClientRecord): Promise<DeliveryLog> {
  const page = await deps.store.deliveries.listForClient(client.clientId, { after: null, limit: RECENT_DELIVERIES });
  return { rows: page.items.map((delivery) => deliveryRow(deps, client.clientId, delivery)), path: deliveriesPath(deps, client.clientId), more: page.next !== null };
}

function clientOf(deps: AdminDependencies, req: Request, res: Response): Promise<ClientRecord> {
  return findClient(manageContext(deps, res, req.ip), String(req.params.id));
}

function logPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await clientOf(deps, req, res);
    const after = queryText(req, 'after');
    const page = await deps.store.deliveries.listForClient(client.clientId, { after, limit: DELIVERIES_PER_PAGE });
    renderAdmin(res, 'clients/deliveries', {
      title: `Back-channel logout deliveries of ${client.name}`,
      section: 'clients',
      notice: noticeFor(req, NOTICES),
      application: clientRow(deps, client),
      deliveries: page.items.map((delivery) => deliveryRow(deps, client.clientId, delivery)),
      firstPage: after === null ? null : deliveriesPath(deps, client.clientId),
      nextPage: page.next === null ? null : deliveriesPath(deps, client.clientId, `?after=${encodeURIComponent(page.next)}`),
    });
  };
}

/**
 * Puts a delivered or dead logout back in the queue, due now (src/manage/deliveries.ts, the rule the webhook logs
 * use too). Only a delivery of this client: another client's id, a webhook's or an unknown one is a 404, and a
 * pending one a 409, each writing nothing.
 */
function redeliver(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await clientOf(deps, req, res);
    await redeliverDelivery(manageContext(deps, res, req.ip), String(req.params.delivery), { kind: 'backchannel_logout', clientId: client.clientId });
    res.redirect(303, deliveriesPath(deps, client.clientId, '?done=redelivered'));
  };
}

export function clientDeliveryRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/clients/:id/deliveries', logPage(deps));
  router.post('/clients/:id/deliveries/:delivery/redeliver', redeliver(deps));
}
