// The Clients screens: list, register, edit, rotate the secret of and delete relying applications. Every change
// goes through src/manage/clients.ts, the rules and audit events the `idp client` tool uses. A secret is shown
// once, in the answer to the POST that made it (no-store, never stored in clear, never in a URL or a log).
// Registering, deleting, rotating the secret and any edit but a renaming need a recent sign-in (recent-sign-in.ts):
// whoever sets a redirect URI receives the application's codes, and the multi-factor rule guards its sign-ins.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../errors.js';
import { clientChanges, createClient, deleteClient, findClient, rotateClientSecret, updateClient, type ClientWithSecret } from '../manage/clients.js';
import { routeUrl } from '../http/routes.js';
import { manageContext, type AdminDependencies } from './context.js';
import { clientFormOf, EMPTY_CLIENT_FORM, errorSummary, fieldErrorsOf, newClientInput, clientSettings, readClientForm, type ClientForm, type FieldErrors } from './client-forms.js';
import { groupNamesById } from './client-access-form.js';
import { clientAccessFacts, groupChoices } from './client-access-facts.js';
import { clientFacts, clientRow, clientsPath, noticeFor, queryText } from './client-pages.js';
import type { ClientRecord } from '../store/records.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { renderAdmin } from './render.js';

/** Enough for a screen; more pages are a link away (keyset pagination, stable while clients are added). */
export const CLIENTS_PER_PAGE = 50;

// The client a page is about is the local `application`: ejs takes a local named `client` for its own
// client-side compilation option (and then renders without `include`).
const LIST_NOTICES: Record<string, string> = {
  deleted: 'The client was deleted, with its authorization codes and tokens. Its users can no longer sign in to it.',
};

const DETAIL_NOTICES: Record<string, string> = {
  saved: 'The changes were saved.',
  unchanged: 'Nothing was changed: the form held the settings the client already had.',
};

function listPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const after = queryText(req, 'after');
    const page = await deps.store.clients.list({ after, limit: CLIENTS_PER_PAGE });
    renderAdmin(res, 'clients/list', {
      title: 'Clients',
      section: 'clients',
      notice: noticeFor(req, LIST_NOTICES),
      clients: page.items.map((client) => clientRow(deps, client)),
      firstPage: after === null ? null : clientsPath(deps),
      nextPage: page.next === null ? null : `${clientsPath(deps)}?after=${encodeURIComponent(page.next)}`,
    });
  };
}

async function renderNewForm(deps: AdminDependencies, res: Response, form: ClientForm, errors: FieldErrors, status = 200): Promise<void> {
  renderAdmin(res, 'clients/new', { title: 'Register a client', section: 'clients', form, errors, errorLinks: errorSummary(errors, form), groups: await groupChoices(deps) }, status);
}

function renderCredentials(deps: AdminDependencies, res: Response, { client, clientSecret }: ClientWithSecret, rotated: boolean): void {
  renderAdmin(res, 'clients/credentials', {
    title: rotated ? `New secret for ${client.name}` : `Client ${client.name} registered`,
    section: 'clients',
    rotated,
    application: clientRow(deps, client),
    clientSecret,
    discoveryUrl: routeUrl(deps.config.issuer, 'discovery'),
  });
}

function create(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    try {
      const created = await createClient(manageContext(deps, res, req.ip), await newClientInput(deps.store, req.body));
      renderCredentials(deps, res, created, false);
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!errors) throw error;
      await renderNewForm(deps, res, readClientForm(req.body), errors, 400);
    }
  };
}

async function renderDetail(deps: AdminDependencies, req: Request, res: Response, client: ClientRecord, form: ClientForm, errors: FieldErrors, status = 200): Promise<void> {
  const [access, groups] = await Promise.all([clientAccessFacts(deps, client), groupChoices(deps)]);
  renderAdmin(
    res,
    'clients/show',
    {
      title: client.name,
      section: 'clients',
      notice: status === 200 ? noticeFor(req, DETAIL_NOTICES) : null,
      application: clientFacts(deps, client),
      access,
      groups,
      form,
      errors,
      errorLinks: errorSummary(errors, form),
      actions: { update: clientsPath(deps, client.clientId), rotateSecret: clientsPath(deps, client.clientId, 'rotate-secret'), delete: clientsPath(deps, client.clientId, 'delete') },
    },
    status,
  );
}

/** The edit form filled with the client's settings, its groups by name. */
async function currentForm(deps: AdminDependencies, client: ClientRecord): Promise<ClientForm> {
  return clientFormOf(client, await groupNamesById(deps.store, [...client.accessGroups, ...client.claimGroups]));
}

/** The client named by the path; an unknown id is a NotFoundError, which the error handler turns into a 404 page. */
function clientOf(deps: AdminDependencies, req: Request, res: Response): Promise<ClientRecord> {
  return findClient(manageContext(deps, res, req.ip), String(req.params.id));
}

function detailPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await clientOf(deps, req, res);
    await renderDetail(deps, req, res, client, await currentForm(deps, client), {});
  };
}

function update(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await clientOf(deps, req, res);
    try {
      const { changed } = await updateClient(manageContext(deps, res, req.ip), client.clientId, await clientSettings(deps.store, req.body));
      res.redirect(303, `${clientsPath(deps, client.clientId)}?done=${changed.length > 0 ? 'saved' : 'unchanged'}`);
    } catch (error) {
      const errors = fieldErrorsOf(error);
      if (!errors) throw error;
      const typed = readClientForm(req.body, await currentForm(deps, client));
      await renderDetail(deps, req, res, client, { ...typed, clientType: client.clientType, pkceOptional: !client.pkceRequired }, errors, 400);
    }
  };
}

function rotateSecret(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const rotated = await rotateClientSecret(manageContext(deps, res, req.ip), String(req.params.id));
    renderCredentials(deps, res, rotated, true);
  };
}

function deletePage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await clientOf(deps, req, res);
    renderAdmin(res, 'clients/delete', { title: `Delete ${client.name}`, section: 'clients', application: clientRow(deps, client), action: clientsPath(deps, client.clientId, 'delete') });
  };
}

function remove(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    await deleteClient(manageContext(deps, res, req.ip), String(req.params.id));
    res.redirect(303, `${clientsPath(deps)}?done=deleted`);
  };
}

/** Always sensitive, once the client is known: an unknown id is a 404 before any password is asked for. */
function knownClient(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<boolean> => {
    await clientOf(deps, req, res);
    return true;
  };
}

/**
 * An edit is sensitive when it changes anything but the name: a URI (where codes, people and logout tokens go)
 * or the multi-factor rule. A renaming grants nothing (the redirect URIs stay the application's), so it needs no
 * password, like a user's. A form the rules refuse writes nothing and comes back with its errors first.
 */
function changesMoreThanTheName(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<boolean> => {
    const client = await clientOf(deps, req, res);
    try {
      // The group lists come back as ids, as stored: an unchanged list is no change.
      return clientChanges(client, await clientSettings(deps.store, req.body)).some((setting) => setting !== 'client_name');
    } catch (error) {
      if (error instanceof ValidationError) return false;
      throw error;
    }
  };
}

export function clientRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/clients', listPage(deps));
  // Before '/clients/:id', which would otherwise take "new" for a client id.
  router.get('/clients/new', (_req: Request, res: Response) => renderNewForm(deps, res, EMPTY_CLIENT_FORM, {}));
  // A new client is a new place codes are sent to.
  router.post('/clients', requireRecentSignIn(deps), create(deps));
  router.get('/clients/:id', detailPage(deps));
  router.post('/clients/:id', requireRecentSignIn(deps, changesMoreThanTheName(deps)), update(deps));
  // Whoever holds the new secret can act as the application.
  router.post('/clients/:id/rotate-secret', requireRecentSignIn(deps, knownClient(deps)), rotateSecret(deps));
  router.get('/clients/:id/delete', deletePage(deps));
  // Deleting stops every sign-in to the application.
  router.post('/clients/:id/delete', requireRecentSignIn(deps, knownClient(deps)), remove(deps));
}
