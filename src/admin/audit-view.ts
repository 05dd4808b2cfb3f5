// How an audit event reads on the admin pages (dashboard, audit log, user page): the same fields everywhere,
// details as compact text, and the people and applications it names shown by their email and name, with their id
// in the link's title (issue 20). An id that names nobody any more (a deleted user, `cli`, `system`, a key id) is
// shown as it is.
import { routes } from '../http/routes.js';
import type { AuditEventRecord } from '../store/records.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

/** Someone or something an event names. */
export interface Party {
  id: string;
  /** The person's email or the application's name; null when the id names neither (any more). */
  name: string | null;
  kind: 'person' | 'application' | null;
  /** Their admin page, when they have one. */
  page: string | null;
}

export interface EventView {
  id: number;
  type: string;
  actor: Party;
  subject: Party | null;
  client: Party | null;
  ip: string | null;
  outcome: 'success' | 'failure';
  details: string;
  at: string;
}

type Names = Map<string, Omit<Party, 'id'>>;

/** Looks each distinct id up once, as a person first, then as an application. */
async function namesOf(deps: Pick<AdminDependencies, 'store' | 'config'>, events: AuditEventRecord[]): Promise<Names> {
  const ids = new Set<string>();
  for (const event of events) {
    ids.add(event.actor);
    if (event.subject !== null) ids.add(event.subject);
    if (event.clientId !== null) ids.add(event.clientId);
  }
  const admin = `${deps.config.basePath}${routes.admin}`;
  const entries = await Promise.all(
    [...ids].map(async (id): Promise<[string, Omit<Party, 'id'>]> => {
      const user = await deps.store.users.findById(id);
      if (user) return [id, { name: user.email, kind: 'person', page: `${admin}/users/${encodeURIComponent(id)}` }];
      const client = await deps.store.clients.findById(id);
      if (client) return [id, { name: client.name, kind: 'application', page: `${admin}/clients/${encodeURIComponent(id)}` }];
      return [id, { name: null, kind: null, page: null }];
    }),
  );
  return new Map(entries);
}

function party(names: Names, id: string): Party {
  return { id, ...(names.get(id) ?? { name: null, kind: null, page: null }) };
}

/** The events as rows of views/admin/partials/events.ejs, newest first as given. */
export async function eventRows(deps: Pick<AdminDependencies, 'store' | 'config'>, events: AuditEventRecord[]): Promise<EventView[]> {
  const names = await namesOf(deps, events);
  return events.map((event) => ({
    id: event.id,
    type: event.type,
    actor: party(names, event.actor),
    subject: event.subject === null ? null : party(names, event.subject),
    client: event.clientId === null ? null : party(names, event.clientId),
    ip: event.ip,
    outcome: event.outcome,
    details: Object.keys(event.details).length === 0 ? '' : JSON.stringify(event.details),
    at: formatTime(event.at),
  }));
}
