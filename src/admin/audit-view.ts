// How an audit event reads on the admin pages: the same fields everywhere, details as compact text.
import type { AuditEventRecord } from '../store/records.js';
import { formatTime } from './render.js';

export interface EventView {
  id: number;
  type: string;
  actor: string;
  subject: string | null;
  clientId: string | null;
  ip: string | null;
  outcome: 'success' | 'failure';
  details: string;
}

export function describeEvent(event: AuditEventRecord): EventView {
  const details = Object.keys(event.details).length === 0 ? '' : JSON.stringify(event.details);
  return { id: event.id, type: event.type, actor: event.actor, subject: event.subject, clientId: event.clientId, ip: event.ip, outcome: event.outcome, details };
}

/** An event as a row of views/admin/partials/events.ejs: the view and its time, formatted. */
export function eventRow(event: AuditEventRecord): EventView & { at: string } {
  return { ...describeEvent(event), at: formatTime(event.at) };
}
