// The Clients screens: list, register, edit, rotate the secret of and delete relying applications. Every change
// goes through src/manage/clients.ts, the rules and audit events the `idp client` tool uses. A secret is shown
// once, in the answer to the POST that made it (no-store, never stored in clear, never in a URL or a log).
// Registering, deleting, rotating the secret and any edit but a renaming need a recent sign-in (recent-sign-in.ts):
// whoever sets a redirect URI receives the application's codes, and the multi-factor rule guards its sign-ins.
// Issue 22: a client may be registered as a machine client (client credentials only, no redirect URIs) or as one
// that may use the device flow; any confidential client may authenticate with its key (private_key_jwt: a JWKS or a
// JWKS URI instead of a secret); and the APIs a client may request tokens for, or introspect, are chosen on both
// forms (client-api-form.ts). Keys and API grants are sensitive like a redirect URI: they decide who can act as the
// application and what its tokens open. Switching a key client back to a secret is too.
import type { Request, Response, Router } from 'express';
import { ValidationError } from '../errors.js';
import { planClientApis, setClientApis } from '../manage/client-apis.js';
import { clientChanges, createClient, deleteClient, findClient, rotateClientSecret, updateClient, useClientSecret, type ClientWithSecret } from '../manage/clients.js';
import { routeUrl } from '../http/routes.js';
import { manageContext, type AdminDependencies } from './context.js';
import { clientFormOf, EMPTY_CLIENT_FORM, errorSummary, fieldErrorsOf, newClientInput, clientSettings, readClientForm, type ClientForm, type FieldErrors } from './client-forms.js';
import { groupNamesById } from './client-access-form.js';
import { clientAccessFacts, groupChoices } from './client-access-facts.js';
import { apiChoiceRecords, apiChoices, apiSettingsOf, changesGrants } from './client-api-form.js';
import { clientDeliveryRoutes, recentDeliveries } from './client-deliveries.js';
import { bodyOf } from './client-form-text.js';
import { clientApiFacts, clientFacts, clientRow, clientsPath, noticeFor, queryText } from './client-pages.js';
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
  const [groups, apis] = await Promise.all([groupChoices(deps), apiChoices(deps)]);
  renderAdmin(res, 'clients/new', { title: 'Register a client', section: 'clients', form, errors, errorLinks: errorSummary(errors, form), groups, apis }, status);
}

/** How the answer showing a client's credentials came about (each shows a secret at most once). */
type CredentialsCause = 'registered' | 'rotated' | 'switched';

const CREDENTIALS_TITLES: Record<CredentialsCause, (name: string) => string> = {
  registered: (name) => `Client ${name} registered`,
  rotated: (name) => `New secret for ${name}`,
  switched: (name) => `${name} now uses a secret`,
};

function renderCredentials(deps: AdminDependencies, res: Response, { client, clientSecret }: ClientWithSecret, cause: CredentialsCause): void {
  renderAdmin(res, 'clients/credentials', {
    title: CREDENTIALS_TITLES[cause](client.name),
    section: 'clients',
    rotated: cause !== 'registered',
    cause,
    application: clientFacts(deps, client),
    clientSecret,
    discoveryUrl: routeUrl(deps.config.issuer, 'discovery'),
    tokenUrl: routeUrl(deps.config.issuer, 'token'),
  });
}

function create(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const apis = await apiChoiceRecords(deps.store);
    try {
      const created = await createClient(manageContext(deps, res, req.ip), await newClientInput(deps.store, req.body, apis));
      renderCredentials(deps, res, created, 'registered');
    } catch (error) {
      const errors = fieldErrorsOf(error, apis);
      if (!errors) throw error;
      await renderNewForm(deps, res, readClientForm(req.body, EMPTY_CLIENT_FORM, apis), errors, 400);
    }
  };
}

async function renderDetail(deps: AdminDependencies, req: Request, res: Response, client: ClientRecord, form: ClientForm, errors: FieldErrors, status = 200): Promise<void> {
  const [access, groups, apis, grants, deliveries] = await Promise.all([
    clientAccessFacts(deps, client),
    groupChoices(deps),
    apiChoices(deps),
    deps.store.apis.accessOf(client.clientId),
    recentDeliveries(deps, client),
  ]);
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
      apis,
      grants: clientApiFacts(deps, grants),
      deliveries,
      form,
      errors,
      errorLinks: errorSummary(errors, form),
      actions: {
        update: clientsPath(deps, client.clientId),
        rotateSecret: clientsPath(deps, client.clientId, 'rotate-secret'),
        useSecret: clientsPath(deps, client.clientId, 'use-secret'),
        delete: clientsPath(deps, client.clientId, 'delete'),
      },
    },
    status,
  );
}

/** The edit form filled with the client's settings, its groups by name, its API grants. */
async function currentForm(deps: AdminDependencies, client: ClientRecord): Promise<ClientForm> {
  const [names, grants] = await Promise.all([groupNamesById(deps.store, [...client.accessGroups, ...client.claimGroups]), deps.store.apis.accessOf(client.clientId)]);
  return clientFormOf(client, names, grants);
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

/**
 * The settings and the API grants are two writes (updateClient, setClientApis): every rule of both is checked first
 * (clientChanges and planClientApis write nothing), so that a refused form writes neither.
 */
function update(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const client = await clientOf(deps, req, res);
    const apis = await apiChoiceRecords(deps.store);
    try {
      const ctx = manageContext(deps, res, req.ip);
      const settings = await clientSettings(deps.store, req.body);
      const grants = apiSettingsOf(bodyOf(req.body), apis);
      clientChanges(client, settings);
      if (grants !== undefined) await planClientApis(deps.store, client, grants);
      const { changed } = await updateClient(ctx, client.clientId, settings);
      const grantsChanged = grants !== undefined && changesGrants(grants, await deps.store.apis.accessOf(client.clientId));
      if (grants !== undefined && grantsChanged) await setClientApis(ctx, client.clientId, grants);
      res.redirect(303, `${clientsPath(deps, client.clientId)}?done=${changed.length > 0 || grantsChanged ? 'saved' : 'unchanged'}`);
    } catch (error) {
      const errors = fieldErrorsOf(error, apis);
      if (!errors) throw error;
      const typed = readClientForm(req.body, await currentForm(deps, client), apis);
      await renderDetail(deps, req, res, client, { ...typed, clientType: client.clientType, pkceOptional: !client.pkceRequired }, errors, 400);
    }
  };
}

function rotateSecret(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const rotated = await rotateClientSecret(manageContext(deps, res, req.ip), String(req.params.id));
    renderCredentials(deps, res, rotated, 'rotated');
  };
}

/** A private_key_jwt client back to a secret: its keys are removed, the new secret shown once. */
function useSecret(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const switched = await useClientSecret(manageContext(deps, res, req.ip), String(req.params.id));
    renderCredentials(deps, res, switched, 'switched');
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
 * An edit is sensitive when it changes anything but the name: a URI (where codes, people and logout tokens go),
 * the multi-factor rule, the keys (who can act as the application) or the API grants (what its tokens open). A renaming grants nothing (the redirect URIs stay the application's), so it needs no
 * password, like a user's. A form the rules refuse writes nothing and comes back with its errors first.
 */
function changesMoreThanTheName(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<boolean> => {
    const client = await clientOf(deps, req, res);
    try {
      // The group lists come back as ids, as stored: an unchanged list is no change.
      if (clientChanges(client, await clientSettings(deps.store, req.body)).some((setting) => setting !== 'client_name')) return true;
      const grants = apiSettingsOf(bodyOf(req.body), await apiChoiceRecords(deps.store));
      return grants !== undefined && changesGrants(grants, await deps.store.apis.accessOf(client.clientId));
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
  router.post('/clients/:id/use-secret', requireRecentSignIn(deps, knownClient(deps)), useSecret(deps));
  router.get('/clients/:id/delete', deletePage(deps));
  // Deleting stops every sign-in to the application.
  router.post('/clients/:id/delete', requireRecentSignIn(deps, knownClient(deps)), remove(deps));
  // Issue 26: its back-channel logout log, and Redeliver.
  clientDeliveryRoutes(router, deps);
}
