// A person's attribute values, on their page: one form per defined attribute that sets the value (typed as text,
// read by parseAttributeValue against the definition's type), and one that clears it. Both go through
// src/manage/attributes.ts setUserAttribute, which audits user.attribute_set with the attribute's name and never
// its value, like `idp user set-attribute`. Setting a value is sensitive (it is what applications are told about
// the person: attributes.ts); clearing one only takes it away.
import type { Request, Response } from 'express';
import { parseAttributeValue, setUserAttribute } from '../manage/attributes.js';
import { definitionByName, valueSchema } from './attribute-forms.js';
import { manageContext, type AdminDependencies } from './context.js';
import { refusalOf } from './group-forms.js';
import { parseForm } from './user-forms.js';
import { renderUserPage, userById, userPath } from './user-page.js';

/** POST /admin/users/:id/attributes/:name */
export function setAttributeValue(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const definition = await definitionByName(deps.store, req.params.name);
    const form = parseForm(valueSchema, req);
    try {
      // Read here first, so that a refused value writes nothing and comes back under its own form.
      parseAttributeValue(definition, form.value);
      await setUserAttribute(manageContext(deps, res, req.ip), user.id, definition.name, form.value);
      res.redirect(303, userPath(deps, user.id, '?done=attribute-set'));
    } catch (error) {
      const refusal = refusalOf(error, 'value');
      if (!refusal) throw error;
      const message = refusal.errors.value ?? Object.values(refusal.errors)[0] ?? '';
      await renderUserPage(deps, req, res, user, { attributeValues: { [definition.name]: form.value }, attributeErrors: { [definition.name]: message } }, refusal.status);
    }
  };
}

/** POST /admin/users/:id/attributes/:name/clear */
export function clearAttributeValue(deps: AdminDependencies) {
  return async (req: Request, res: Response): Promise<void> => {
    const user = await userById(deps.store, req.params.id);
    const definition = await definitionByName(deps.store, req.params.name);
    await setUserAttribute(manageContext(deps, res, req.ip), user.id, definition.name, null);
    res.redirect(303, userPath(deps, user.id, '?done=attribute-cleared'));
  };
}

/** Setting a value is always sensitive, once the person and the attribute are known (else a 404 first). */
export function knownUserAndAttribute(deps: AdminDependencies) {
  return async (req: Request): Promise<boolean> => {
    await userById(deps.store, req.params.id);
    await definitionByName(deps.store, req.params.name);
    return true;
  };
}
