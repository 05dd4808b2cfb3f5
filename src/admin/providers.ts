// The providers screens (section 'providers', issue 23): the list of upstream identity providers and directories
// with how many accounts each has linked; "New provider" (the kind first, then the form with that kind's fields);
// a provider's page with its facts, the callback URL to register upstream and the edit form; deletion after a
// confirmation naming how many accounts lose that way to sign in (provider-delete.ts). The router has already
// checked admin access, parsed every POST's form and checked its CSRF token. Every change goes through
// src/manage/providers.ts, the rules and audit events (provider.created, provider.updated, provider.deleted) that
// `idp provider` uses.
//
// Secrets (the client secret, the directory's bind password) are write-only: no page ever carries one, not even a
// refused form or the password page of a stale sign-in (provider-confirm.ts). On an edit, a blank secret keeps the
// current one.
//
// Sensitive (a recent sign-in): creating a provider (it decides who may sign in as whom: with JIT it creates
// accounts, with "trust email" it signs people into existing accounts), an edit that changes anything but the name,
// the button's label or its icon, and deleting one. Not sensitive: those cosmetic edits, and reading anything.
import type { Request, Response, Router } from 'express';
import { createProvider, listProviders, providerView, updateProvider } from '../manage/providers.js';
import type { IdentityProviderRecord, ProviderKind } from '../store/records.js';
import { noticeFor, queryText } from './client-pages.js';
import type { AdminDependencies } from './context.js';
import { requireRecentSignInForProvider, secretTyped, secretWithheld } from './provider-confirm.js';
import { deleteProviderPage, deleteProviderSubmit } from './provider-delete.js';
import {
  emptyProviderForm,
  isProviderKind,
  KIND_LABELS,
  PROVIDER_KINDS,
  providerFormOf,
  providerInputOf,
  readProviderForm,
  sameSignInSettings,
  SECRET_FIELD,
  secretOf,
  type ProviderForm,
} from './provider-forms.js';
import { providerRefusal } from './provider-refusal.js';
import { callbackUrl, providerBySlug, providerContext, providerPath, providerRow, providersPath, renderProviders, type ProviderDependencies } from './provider-pages.js';
import type { FieldErrors } from './user-forms.js';

const LIST_NOTICES: Record<string, string> = {
  deleted: 'The provider was deleted. The accounts that were linked to it can no longer sign in with it.',
};

const DETAIL_NOTICES: Record<string, string> = {
  created: 'The provider was created. Register the callback URL below with it, then people can sign in with it.',
  saved: 'The changes were saved.',
  unchanged: 'Nothing was changed: the form held the settings the provider already had.',
};

/** The message at the secret's field when it did not come through the password page (provider-confirm.ts). */
const RETYPE_SECRET = 'Type the secret again: for safety it is not carried through the password confirmation.';

const kindChoices = () => PROVIDER_KINDS.map((kind) => ({ kind, label: KIND_LABELS[kind] }));

function listPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const providers = await listProviders(deps.store);
    renderProviders(res, 'list', {
      title: 'Providers',
      notice: noticeFor(req, LIST_NOTICES),
      providers: providers.map((view) => providerRow(deps, view)),
      newPath: providersPath(deps, '/new'),
    });
  };
}

function renderNew(deps: AdminDependencies, res: Response, form: ProviderForm, errors: FieldErrors, status = 200): void {
  renderProviders(
    res,
    'new',
    {
      title: `New ${KIND_LABELS[form.kind]} provider`,
      form,
      errors,
      kindLabel: KIND_LABELS[form.kind],
      secretField: SECRET_FIELD[form.kind],
      editing: false,
      action: providersPath(deps, `?kind=${form.kind}`),
      cancel: providersPath(deps),
      callbackExample: callbackUrl(deps, form.slug.trim() || '<slug>'),
    },
    status,
  );
}

/** GET /admin/providers/new: the kind first; with `?kind=` the form of that kind. */
function newPage(deps: AdminDependencies) {
  return (req: Request, res: Response): void => {
    const kind = queryText(req, 'kind');
    if (isProviderKind(kind)) {
      renderNew(deps, res, emptyProviderForm(kind), {});
      return;
    }
    renderProviders(res, 'kind', { title: 'New provider', kinds: kindChoices(), action: providersPath(deps, '/new'), cancel: providersPath(deps) }, kind === null ? 200 : 400);
  };
}

/** The kind a new provider's form is for: the URL's (`?kind=`), which the form's action carries. */
function postedKind(req: Request): ProviderKind | null {
  const kind = queryText(req, 'kind');
  return isProviderKind(kind) ? kind : null;
}

/** POST /admin/providers?kind=… (behind the recent sign-in) */
function create(deps: ProviderDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const kind = postedKind(req);
    if (kind === null) {
      renderProviders(res, 'kind', { title: 'New provider', kinds: kindChoices(), action: providersPath(deps, '/new'), cancel: providersPath(deps) }, 400);
      return;
    }
    const form = readProviderForm(req.body, kind);
    const { input, errors } = providerInputOf(form, secretOf(req.body, kind));
    if (secretWithheld(req.body) && secretOf(req.body, kind) === '') errors[SECRET_FIELD[kind]] = RETYPE_SECRET;
    if (Object.keys(errors).length > 0) {
      renderNew(deps, res, form, errors, 400);
      return;
    }
    try {
      const provider = await createProvider(providerContext(deps, res, req.ip), input);
      res.redirect(303, providerPath(deps, provider.slug, '?done=created'));
    } catch (error) {
      const refusal = providerRefusal(error, kind);
      if (!refusal) throw error;
      renderNew(deps, res, form, refusal.errors, refusal.status);
    }
  };
}

async function renderDetail(deps: AdminDependencies, req: Request, res: Response, provider: IdentityProviderRecord, form: ProviderForm, errors: FieldErrors, status = 200): Promise<void> {
  const linked = (await deps.store.identityProviders.linkCounts()).get(provider.slug) ?? 0;
  const view = providerView(provider, linked);
  renderProviders(
    res,
    'show',
    {
      title: provider.name,
      notice: status === 200 ? noticeFor(req, DETAIL_NOTICES) : null,
      provider: { ...providerRow(deps, view), settings: view.settings, iconUrl: view.iconUrl },
      form,
      errors,
      kindLabel: KIND_LABELS[provider.kind],
      secretField: SECRET_FIELD[provider.kind],
      editing: true,
      action: providerPath(deps, provider.slug),
      deletePath: providerPath(deps, provider.slug, '/delete'),
      listPath: providersPath(deps),
    },
    status,
  );
}

function detailPage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await providerBySlug(deps.store, req.params.slug);
    await renderDetail(deps, req, res, provider, providerFormOf(providerView(provider, 0)), {});
  };
}

/** POST /admin/providers/:slug (behind the recent sign-in when the edit is sensitive) */
function update(deps: ProviderDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const provider = await providerBySlug(deps.store, req.params.slug);
    // The slug and kind are the stored ones, whatever the body says: they cannot change.
    const form = { ...readProviderForm(req.body, provider.kind), slug: provider.slug };
    const { input, errors } = providerInputOf(form, secretOf(req.body, provider.kind));
    if (secretWithheld(req.body) && secretOf(req.body, provider.kind) === '') errors[SECRET_FIELD[provider.kind]] = RETYPE_SECRET;
    if (Object.keys(errors).length > 0) {
      await renderDetail(deps, req, res, provider, form, errors, 400);
      return;
    }
    const { slug: _slug, kind: _kind, ...changes } = input;
    try {
      const { changed } = await updateProvider(providerContext(deps, res, req.ip), provider.slug, changes);
      res.redirect(303, providerPath(deps, provider.slug, `?done=${changed.length > 0 ? 'saved' : 'unchanged'}`));
    } catch (error) {
      const refusal = providerRefusal(error, provider.kind);
      if (!refusal) throw error;
      await renderDetail(deps, req, res, provider, form, refusal.errors, refusal.status);
    }
  };
}

/**
 * An edit is sensitive when it changes anything but the name, the label or the icon, or gives a new secret. The
 * comparison is of the form as typed with the form of the stored provider, so anything the form can change counts.
 */
function changesSignIn(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<boolean> => {
    const provider = await providerBySlug(deps.store, req.params.slug);
    if (secretTyped(res)) return true;
    const stored = providerFormOf(providerView(provider, 0));
    return !sameSignInSettings({ ...readProviderForm(req.body, provider.kind), slug: provider.slug }, stored);
  };
}

/** Always sensitive, once the provider is known: an unknown slug is a 404 before any password is asked for. */
function knownProvider(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await providerBySlug(deps.store, req.params.slug);
    return true;
  };
}

export function providerRoutes(router: Router, deps: ProviderDependencies): void {
  router.get('/providers', listPage(deps));
  // Before '/providers/:slug', which would otherwise take "new" for a slug (no slug can be "new": see providers/new).
  router.get('/providers/new', newPage(deps));
  router.post('/providers', requireRecentSignInForProvider(deps), create(deps));
  router.get('/providers/:slug', detailPage(deps));
  router.post('/providers/:slug', requireRecentSignInForProvider(deps, changesSignIn(deps)), update(deps));
  router.get('/providers/:slug/delete', deleteProviderPage(deps));
  router.post('/providers/:slug/delete', requireRecentSignInForProvider(deps, knownProvider(deps)), deleteProviderSubmit(deps));
}
