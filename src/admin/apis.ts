// The APIs screens (section 'apis', issue 22): the list with each API's scopes, token format, audience and number of
// clients; the "New API" form; an API's page with its facts, the clients that use it and the edit form; deletion
// after a confirmation naming those clients (api-delete.ts). The router has already checked admin access, parsed
// every POST's form and checked its CSRF token. Every change goes through src/manage/apis.ts, the rules and audit
// events (api.created, api.updated, api.deleted) `idp api` uses.
//
// Sensitive (a recent sign-in, recent-sign-in.ts): an edit that changes anything but the name (the identifier is
// the `aud` APIs check, a new scope is granted at once to every client allowed "all scopes", the lifetime, format and
// audience change which tokens the API gets), and deleting one (its clients lose their tokens' audience). Not
// sensitive: creating an API (no client may request it yet: it grants nothing) and renaming one.
import type { Request, Response, Router } from 'express';
import { createApi, updateApi } from '../manage/apis.js';
import type { ApiRecord } from '../store/records.js';
import { apiFormOf, apiInputOf, apiRefusal, BLANK_SCOPE_ROWS, EMPTY_API_FORM, readApiForm, type ApiForm } from './api-forms.js';
import { deleteApiPage, deleteApiSubmit } from './api-delete.js';
import { apiById, apiPath, apisPath, APIS_PER_PAGE, apiView, renderApis, useView } from './api-pages.js';
import { noticeFor, queryText } from './client-pages.js';
import { manageContext, type AdminDependencies } from './context.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import type { FieldErrors } from './user-forms.js';

const LIST_NOTICES: Record<string, string> = {
  deleted: 'The API was deleted. The clients that named it can no longer request tokens for it.',
};

const DETAIL_NOTICES: Record<string, string> = {
  created: 'The API was created. Grant it to clients on their pages.',
  saved: 'The changes were saved.',
  unchanged: 'Nothing was changed: the form held the settings the API already had.',
};

/** The form with its blank rows for new scopes, and which of the scopes' rows hold an error. */
function formView(form: ApiForm) {
  return { ...form, rows: [...form.scopes, ...Array.from({ length: BLANK_SCOPE_ROWS }, () => ({ name: '', description: '' }))] };
}

function listPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const after = queryText(req, 'after');
    const page = await deps.store.apis.list({ after, limit: APIS_PER_PAGE });
    // One small query an API: a page holds at most APIS_PER_PAGE.
    const uses = await Promise.all(page.items.map((api) => deps.store.apis.usesOf(api.id)));
    renderApis(res, 'list', {
      title: 'APIs',
      notice: noticeFor(req, LIST_NOTICES),
      apis: page.items.map((api, i) => ({ ...apiView(deps, api), clientCount: uses[i]?.length ?? 0 })),
      newPath: apisPath(deps, '/new'),
      firstPage: after === null ? null : apisPath(deps),
      nextPage: page.next === null ? null : `${apisPath(deps)}?after=${encodeURIComponent(page.next)}`,
    });
  };
}

function renderNew(deps: AdminDependencies, res: Response, form: ApiForm, errors: FieldErrors, status = 200): void {
  renderApis(res, 'new', { title: 'New API', form: formView(form), errors, action: apisPath(deps), cancel: apisPath(deps), defaultLifetime: deps.config.lifetimes.accessToken }, status);
}

function create(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = readApiForm(req.body);
    const { input, errors } = apiInputOf(form);
    if (Object.keys(errors).length > 0) {
      renderNew(deps, res, form, errors, 400);
      return;
    }
    try {
      const api = await createApi(manageContext(deps, res, req.ip), input);
      res.redirect(303, apiPath(deps, api.id, '?done=created'));
    } catch (error) {
      const refusal = apiRefusal(error, form);
      if (!refusal) throw error;
      renderNew(deps, res, form, refusal.errors, refusal.status);
    }
  };
}

async function renderDetail(deps: AdminDependencies, req: Request, res: Response, api: ApiRecord, form: ApiForm, errors: FieldErrors, status = 200): Promise<void> {
  const uses = await deps.store.apis.usesOf(api.id);
  renderApis(
    res,
    'show',
    {
      title: api.name,
      notice: status === 200 ? noticeFor(req, DETAIL_NOTICES) : null,
      api: apiView(deps, api),
      uses: uses.map((use) => useView(deps, use)),
      form: formView(form),
      errors,
      action: apiPath(deps, api.id),
      deletePath: apiPath(deps, api.id, '/delete'),
      // Issue 26: the management API is never deleted (src/manage/apis.ts); its page says so instead of offering it.
      builtIn: api.builtIn,
      listPath: apisPath(deps),
      defaultLifetime: deps.config.lifetimes.accessToken,
    },
    status,
  );
}

function detailPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const api = await apiById(deps.store, req.params.id);
    await renderDetail(deps, req, res, api, apiFormOf(api), {});
  };
}

function update(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const api = await apiById(deps.store, req.params.id);
    const form = readApiForm(req.body);
    const { input, errors } = apiInputOf(form);
    if (Object.keys(errors).length > 0) {
      await renderDetail(deps, req, res, api, form, errors, 400);
      return;
    }
    try {
      const { changed } = await updateApi(manageContext(deps, res, req.ip), api.id, input);
      res.redirect(303, apiPath(deps, api.id, `?done=${changed.length > 0 ? 'saved' : 'unchanged'}`));
    } catch (error) {
      const refusal = apiRefusal(error, form);
      if (!refusal) throw error;
      await renderDetail(deps, req, res, api, form, refusal.errors, refusal.status);
    }
  };
}

const sameScopes = (a: ApiRecord['scopes'], b: ApiRecord['scopes']) =>
  a.length === b.length &&
  a.every((scope, i) => {
    const other = b[i];
    return other !== undefined && scope.name === other.name && scope.description === other.description;
  });

/**
 * An edit is sensitive when it changes anything but the name. A form with mistakes of its own is not: it writes
 * nothing, and comes back with its errors first (the shared rules' mistakes are found after the password, as a
 * client's are when only they see them).
 */
function changesMoreThanTheName(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    const api = await apiById(deps.store, req.params.id);
    const { input, errors } = apiInputOf(readApiForm(req.body));
    if (Object.keys(errors).length > 0) return false;
    return (
      input.identifier !== api.identifier ||
      !sameScopes(input.scopes, api.scopes) ||
      (input.tokenLifetime ?? null) !== api.tokenLifetime ||
      input.tokenFormat !== api.tokenFormat ||
      input.accepts !== api.accepts
    );
  };
}

/** Always sensitive, once the API is known: an unknown id is a 404 before any password is asked for. */
function knownApi(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await apiById(deps.store, req.params.id);
    return true;
  };
}

export function apiRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/apis', listPage(deps));
  // Before '/apis/:id', which would otherwise take "new" for an id.
  router.get('/apis/new', (_req: Request, res: Response) => renderNew(deps, res, EMPTY_API_FORM, {}));
  router.post('/apis', create(deps));
  router.get('/apis/:id', detailPage(deps));
  router.post('/apis/:id', requireRecentSignIn(deps, changesMoreThanTheName(deps)), update(deps));
  router.get('/apis/:id/delete', deleteApiPage(deps));
  router.post('/apis/:id/delete', requireRecentSignIn(deps, knownApi(deps)), deleteApiSubmit(deps));
}
