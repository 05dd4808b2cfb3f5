// How an audit event reads on the admin pages (dashboard, audit log, user page): the same fields everywhere,
// details as compact text, and the people and applications it names shown by their email and name, with their id
// in the link's title (issue 20); so is the target of an API's or a group's own events (api.created, group.renamed, …,
// whose subject is the API's or the group's id), by its name. An id that names nobody any more (a deleted user, API or
// group, `cli`, `system`, a key id) is shown as it is.
import { routes } from '../http/routes.js';
import type { AuditEventRecord } from '../store/records.js';
import type { AdminDependencies } from './context.js';
import { formatTime } from './render.js';

/** Someone or something an event names. */
export interface Party {
  id: string;
  /** The person's email, or the application's, API's or group's name; null when the id names none (any more). */
  name: string | null;
  kind: 'person' | 'application' | 'API' | 'group' | null;
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

const UNKNOWN: Omit<Party, 'id'> = { name: null, kind: null, page: null };

/**
 * What an event's subject may be besides a person or an application: the API of an `api.*` event, the group of a
 * `group.*` event (its member events name the person, found first).
 */
function subjectKind(event: AuditEventRecord): 'API' | 'group' | null {
  if (event.type.startsWith('api.')) return 'API';
  if (event.type.startsWith('group.')) return 'group';
  return null;
}

/**
 * Looks each distinct id up once, as a person first, then as an application, then, when some event's subject may be
 * one, as an API or a group.
 */
async function namesOf(deps: Pick<AdminDependencies, 'store' | 'config'>, events: AuditEventRecord[]): Promise<Names> {
  const ids = new Map<string, Set<'API' | 'group'>>();
  const add = (id: string, kind: 'API' | 'group' | null = null) => {
    const kinds = ids.get(id) ?? new Set();
    if (kind !== null) kinds.add(kind);
    ids.set(id, kinds);
  };
  for (const event of events) {
    add(event.actor);
    if (event.subject !== null) add(event.subject, subjectKind(event));
    if (event.clientId !== null) add(event.clientId);
  }
  const admin = `${deps.config.basePath}${routes.admin}`;
  const page = (section: string, id: string) => `${admin}/${section}/${encodeURIComponent(id)}`;
  const entries = await Promise.all(
    [...ids].map(async ([id, kinds]): Promise<[string, Omit<Party, 'id'>]> => {
      const user = await deps.store.users.findById(id);
      if (user) return [id, { name: user.email, kind: 'person', page: page('users', id) }];
      const client = await deps.store.clients.findById(id);
      if (client) return [id, { name: client.name, kind: 'application', page: page('clients', id) }];
      const api = kinds.has('API') ? await deps.store.apis.findById(id) : null;
      if (api) return [id, { name: api.name, kind: 'API', page: page('apis', id) }];
      const group = kinds.has('group') ? await deps.store.groups.findById(id) : null;
      if (group) return [id, { name: group.name, kind: 'group', page: page('groups', id) }];
      return [id, UNKNOWN];
    }),
  );
  return new Map(entries);
}

function party(names: Names, id: string): Party {
  return { id, ...(names.get(id) ?? UNKNOWN) };
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
