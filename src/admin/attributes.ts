// The attributes screens (section 'attributes', issue 21): the definitions with the form that defines one (name,
// type, claim, scope, whether the person sees it), one definition's page with its edit form, and its deletion,
// which deletes every person's value of it. Every change goes through src/manage/attributes.ts, the rules and audit
// events of `idp attribute`. The values are edited on the user page (attribute-values.ts).
//
// Sensitive (a recent sign-in, recent-sign-in.ts): changing a definition's claim or scope (which claim the values
// are released as, and to whom: a value moved to a claim an application trusts, preferred_username say, speaks
// for the person there), and deleting one (every value goes, for good). Not sensitive: defining one (no values
// yet: nothing is released) and whether the person sees it on the account page (they see their own value only).
import type { Request, Response, Router } from 'express';
import { clearAttributeValue, knownUserAndAttribute, setAttributeValue } from './attribute-values.js';
import { ATTRIBUTE_TYPES, checkAttributeType, defineAttribute, deleteAttribute, updateAttribute } from '../manage/attributes.js';
import type { AttributeDefinition } from '../store/records.js';
import { manageContext, type AdminDependencies } from './context.js';
import { changesRelease, defineSchema, definitionByName, definitionRefusal, definitionView, editSchema, type DefinitionValues } from './attribute-forms.js';
import { attributePath, attributesPath, noticeIn } from './group-pages.js';
import { renderAdmin } from './render.js';
import { requireRecentSignIn } from './recent-sign-in.js';
import { parseForm, type FieldErrors } from './user-forms.js';

const LIST_NOTICES: Record<string, string> = {
  defined: 'The attribute is defined. Set its values on each user’s page.',
  deleted: 'The attribute was deleted, with every person’s value of it.',
};

const DETAIL_NOTICES: Record<string, string> = {
  saved: 'The changes were saved. Tokens issued from now on carry them.',
  unchanged: 'Nothing changed.',
};

const EMPTY: DefinitionValues = { name: '', type: 'string', claim: '', scope: '', userVisible: false };

async function renderList(deps: AdminDependencies, req: Request, res: Response, values: DefinitionValues, errors: FieldErrors, status = 200): Promise<void> {
  const definitions = await deps.store.attributes.list();
  renderAdmin(
    res,
    'attributes/list',
    {
      title: 'Attributes',
      section: 'attributes',
      notice: status === 200 ? noticeIn(req, LIST_NOTICES) : null,
      definitions: definitions.map((definition) => definitionView(deps, definition)),
      types: ATTRIBUTE_TYPES,
      action: attributesPath(deps),
      values,
      errors,
    },
    status,
  );
}

function renderDetail(deps: AdminDependencies, req: Request, res: Response, definition: AttributeDefinition, values: DefinitionValues, errors: FieldErrors, status = 200): void {
  renderAdmin(
    res,
    'attributes/show',
    {
      title: definition.name,
      section: 'attributes',
      notice: status === 200 ? noticeIn(req, DETAIL_NOTICES) : null,
      definition: definitionView(deps, definition),
      values,
      errors,
      paths: { list: attributesPath(deps), edit: attributePath(deps, definition.name), delete: attributePath(deps, definition.name, '/delete') },
    },
    status,
  );
}

const storedValues = (definition: AttributeDefinition): DefinitionValues => ({
  name: definition.name,
  type: definition.type,
  claim: definition.claim,
  scope: definition.scope,
  userVisible: definition.userVisible,
});

function define(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const form = parseForm(defineSchema, req);
    const values: DefinitionValues = { name: form.name, type: form.type, claim: form.claim, scope: form.scope, userVisible: form.user_visible };
    try {
      const type = checkAttributeType(form.type);
      await defineAttribute(manageContext(deps, res, req.ip), { name: form.name.trim(), type, claim: form.claim.trim(), scope: form.scope.trim(), userVisible: form.user_visible });
      res.redirect(303, attributesPath(deps, '?done=defined'));
    } catch (error) {
      const refusal = await definitionRefusal(deps.store, error, form.name.trim());
      if (!refusal) throw error;
      await renderList(deps, req, res, values, refusal.errors, refusal.status);
    }
  };
}

function update(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const definition = await definitionByName(deps.store, req.params.name);
    const form = parseForm(editSchema, req);
    const patch = { claim: form.claim.trim(), scope: form.scope.trim(), userVisible: form.user_visible };
    if (patch.claim === definition.claim && patch.scope === definition.scope && patch.userVisible === definition.userVisible) {
      res.redirect(303, attributePath(deps, definition.name, '?done=unchanged'));
      return;
    }
    try {
      await updateAttribute(manageContext(deps, res, req.ip), definition.name, patch);
      res.redirect(303, attributePath(deps, definition.name, '?done=saved'));
    } catch (error) {
      const refusal = await definitionRefusal(deps.store, error, null);
      if (!refusal) throw error;
      const values = { ...storedValues(definition), claim: form.claim, scope: form.scope, userVisible: form.user_visible };
      renderDetail(deps, req, res, definition, values, refusal.errors, refusal.status);
    }
  };
}

function deletePage(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const definition = await definitionByName(deps.store, req.params.name);
    renderAdmin(res, 'attributes/delete', {
      title: `Delete ${definition.name}`,
      section: 'attributes',
      definition: definitionView(deps, definition),
      action: attributePath(deps, definition.name, '/delete'),
      cancel: attributePath(deps, definition.name),
    });
  };
}

function remove(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const definition = await definitionByName(deps.store, req.params.name);
    await deleteAttribute(manageContext(deps, res, req.ip), definition.name);
    res.redirect(303, attributesPath(deps, '?done=deleted'));
  };
}

/** The definition is read first, so that an unknown name is a 404 before any password is asked for. */
function sensitiveEdit(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => changesRelease(req, await definitionByName(deps.store, req.params.name));
}

function knownDefinition(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await definitionByName(deps.store, req.params.name);
    return true;
  };
}

export function attributeRoutes(router: Router, deps: AdminDependencies): void {
  router.get('/attributes', async (req: Request, res: Response) => renderList(deps, req, res, EMPTY, {}));
  router.post('/attributes', define(deps));
  router.get('/attributes/:name', async (req: Request, res: Response) => {
    const definition = await definitionByName(deps.store, req.params.name);
    renderDetail(deps, req, res, definition, storedValues(definition), {});
  });
  router.post('/attributes/:name', requireRecentSignIn(deps, sensitiveEdit(deps)), update(deps));
  router.get('/attributes/:name/delete', deletePage(deps));
  router.post('/attributes/:name/delete', requireRecentSignIn(deps, knownDefinition(deps)), remove(deps));
  // A person's values, on their page.
  router.post('/users/:id/attributes/:name', requireRecentSignIn(deps, knownUserAndAttribute(deps)), setAttributeValue(deps));
  router.post('/users/:id/attributes/:name/clear', clearAttributeValue(deps));
}
