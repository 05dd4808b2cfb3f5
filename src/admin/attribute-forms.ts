// The forms of the attributes screens and of the attribute values on the user page, parsed by schemas before any
// logic runs (user-forms.ts parseForm); the rules are src/manage/attributes.ts's, shown next to their fields.
import type { Request } from 'express';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { formatAttributeValue } from '../manage/attributes.js';
import type { AttributeDefinition, AttributeValue } from '../store/records.js';
import type { Store } from '../store/store.js';
import type { AdminDependencies } from './context.js';
import { attributePath } from './group-pages.js';
import { refusalOf } from './group-forms.js';
import type { FieldErrors } from './user-forms.js';

/** Generous bounds: the rules say the precise limits (a string value ≤ 1000 characters, a list ≤ 100 items). */
const text = z.string().max(8192).default('');
const checkbox = z
  .literal('on')
  .optional()
  .transform((value) => value === 'on');

export const defineSchema = z.object({ name: text, type: text, claim: text, scope: text, user_visible: checkbox });
export const editSchema = z.object({ claim: text, scope: text, user_visible: checkbox });
export const valueSchema = z.object({ value: text });

export type DefineForm = z.output<typeof defineSchema>;

/** What the definition forms show: as stored, or as posted when a form comes back with its errors. */
export interface DefinitionValues {
  name: string;
  type: string;
  claim: string;
  scope: string;
  userVisible: boolean;
}

/** The attribute an admin URL names; an unknown one is a plain 404. */
export async function definitionByName(store: Store, name: string | string[] | undefined): Promise<AttributeDefinition> {
  const definition = typeof name === 'string' && name !== '' ? await store.attributes.find(name) : null;
  if (!definition) throw new NotFoundError('There is no such attribute. It may have been deleted.');
  return definition;
}

export function definitionView(deps: AdminDependencies, definition: AttributeDefinition) {
  return {
    name: definition.name,
    type: definition.type,
    claim: definition.claim,
    scope: definition.scope,
    userVisible: definition.userVisible,
    path: attributePath(deps, definition.name),
  };
}

/** The value as the edit box shows it (a list as "a, b", which parseAttributeValue reads back). */
export function shownValue(value: AttributeValue | undefined): string {
  return value === undefined ? '' : formatAttributeValue(value);
}

/**
 * A refused definition under its field. Both the name and the claim are unique: a ConflictError is the name's when
 * that name is defined already, else the claim's.
 */
export async function definitionRefusal(store: Store, error: unknown, name: string | null): Promise<{ errors: FieldErrors; status: number } | null> {
  if (error instanceof ConflictError) {
    const nameTaken = name !== null && (await store.attributes.find(name)) !== null;
    return refusalOf(error, nameTaken ? 'name' : 'claim');
  }
  return refusalOf(error, 'name');
}

/** Whether an edit of this definition changes the claim or the scope (sensitive: attributes.ts). */
export function changesRelease(req: Request, definition: AttributeDefinition): boolean {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const differs = (field: 'claim' | 'scope') => typeof body[field] === 'string' && body[field].trim() !== definition[field];
  return differs('claim') || differs('scope');
}
