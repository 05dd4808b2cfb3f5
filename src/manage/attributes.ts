// User attributes (issue 21): an administrator defines one (its name, type, the claim that carries it and the
// scope that releases it), then sets each person's value. The rules here are shared by the `idp` tool and the
// admin screens; the token path (src/oidc/claims.ts) trusts them: a definition can never shadow a claim
// Gatehouse itself issues, and a value always has its definition's type.
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import type { AttributeDefinition, AttributePatch, AttributeType, AttributeValue, UserRecord } from '../store/records.js';
import { claimCatalogOf } from '../oidc/claim-catalog.js';
import { PROTECTED_CLAIMS } from '../oidc/claims.js';
import { audit, findUser, type ManageContext } from './users.js';

export const ATTRIBUTE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
export const CLAIM_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:/-]{0,199}$/;
export const SCOPE_NAME_PATTERN = /^[a-z][a-z0-9_.:-]{0,63}$/;
export const ATTRIBUTE_TYPES: readonly AttributeType[] = ['string', 'number', 'boolean', 'list'];

/**
 * Claims an attribute may not be released as: those of JWT (RFC 7519 §4.1), of the ID token (OIDC Core §2,
 * §3.1.3.6, §3.3.2.11), of token exchange and proof of possession (RFC 8693 §4, RFC 7800), of logout tokens
 * (Back-Channel Logout 1.0 §2.4), the aggregated-claims members (OIDC Core §5.6.2), and the ones Gatehouse fills
 * itself (name, email, email_verified, groups, updated_at). Compared without regard to case: an application
 * that folds case would otherwise read an administrator's `Sub` as the subject.
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = PROTECTED_CLAIMS;

/** OIDC Core §5.1 and §5.4: the standard claims an attribute may carry, each only with the scope that requests it. */
export const STANDARD_CLAIM_SCOPES: Readonly<Record<string, string>> = Object.freeze({
  given_name: 'profile',
  family_name: 'profile',
  middle_name: 'profile',
  nickname: 'profile',
  preferred_username: 'profile',
  profile: 'profile',
  picture: 'profile',
  website: 'profile',
  gender: 'profile',
  birthdate: 'profile',
  zoneinfo: 'profile',
  locale: 'profile',
  phone_number: 'phone',
  phone_number_verified: 'phone',
});

/** Scopes with a meaning of their own (OIDC Core §3.1.2.1, §11, §5.4; `groups`, issue 21): no attribute takes them. */
const RESERVED_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'groups', 'email']);

const MAX_STRING_LENGTH = 1000;
const MAX_LIST_ITEMS = 100;
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkAttributeName(name: string): string {
  const trimmed = name.trim();
  if (!ATTRIBUTE_NAME_PATTERN.test(trimmed)) {
    throw new ValidationError('name', `${JSON.stringify(trimmed.slice(0, 80))} is not a valid attribute name: a lower-case letter, then up to 63 lower-case letters, digits or underscores`);
  }
  return trimmed;
}

export function checkAttributeType(type: string): AttributeType {
  if (!(ATTRIBUTE_TYPES as readonly string[]).includes(type)) throw new ValidationError('type', `the type must be one of ${ATTRIBUTE_TYPES.join(', ')}`);
  return type as AttributeType;
}

/** A claim name and the scope releasing it, checked together (a standard claim has its own scope). */
export function checkClaimAndScope(claim: string, scope: string): { claim: string; scope: string } {
  const c = claim.trim();
  const s = scope.trim();
  if (!CLAIM_NAME_PATTERN.test(c)) {
    throw new ValidationError('claim', `${JSON.stringify(c.slice(0, 80))} is not a valid claim name: a letter, then up to 199 letters, digits or . _ : / -`);
  }
  if (RESERVED_CLAIMS.has(c.toLowerCase())) throw new ValidationError('claim', `the claim ${JSON.stringify(c)} is reserved: Gatehouse or the protocol sets it`);
  if (!SCOPE_NAME_PATTERN.test(s)) {
    throw new ValidationError('scope', `${JSON.stringify(s.slice(0, 80))} is not a valid scope name: a lower-case letter, then up to 63 lower-case letters, digits or . _ : -`);
  }
  if (RESERVED_SCOPES.has(s)) throw new ValidationError('scope', `the scope ${JSON.stringify(s)} is reserved: it releases only the claims Gatehouse defines for it`);
  const standard = STANDARD_CLAIM_SCOPES[c];
  if (standard !== undefined && standard !== s) {
    throw new ValidationError('scope', `the standard claim ${c} is released with the scope ${standard} (OpenID Connect Core §5.4), not ${JSON.stringify(s)}`);
  }
  return { claim: c, scope: s };
}

const noAttribute = (name: string) => new NotFoundError(`no attribute ${JSON.stringify(name)}`);

async function findDefinition(ctx: ManageContext, name: string): Promise<AttributeDefinition> {
  const definition = await ctx.store.attributes.find(name.trim());
  if (!definition) throw noAttribute(name);
  return definition;
}

/** Another definition released as `claim`: a friendly answer before the unique index decides a race. */
async function refuseTakenClaim(ctx: ManageContext, claim: string, except: string | null): Promise<void> {
  const holder = (await ctx.store.attributes.list()).find((definition) => definition.claim === claim && definition.name !== except);
  if (holder) throw new ConflictError(`the claim ${JSON.stringify(claim)} is already released by the attribute ${holder.name}`);
}

export interface NewAttributeInput {
  name: string;
  claim: string;
  scope: string;
  type?: AttributeType;
  userVisible?: boolean;
}

/**
 * A definition changed: this process's claim catalog (src/oidc/claim-catalog.ts) reads the list again at once, so
 * the admin screens' change shows in the next authorization request and discovery fetch. Other processes (the
 * `idp` tool's change seen by a server, another node) see it within the catalog's FRESH_MS.
 */
function definitionsChanged(ctx: ManageContext): void {
  claimCatalogOf(ctx.store, ctx.clock).invalidate();
}

export async function defineAttribute(ctx: ManageContext, input: NewAttributeInput): Promise<AttributeDefinition> {
  const name = checkAttributeName(input.name);
  const type = checkAttributeType(input.type ?? 'string');
  const { claim, scope } = checkClaimAndScope(input.claim, input.scope);
  if (await ctx.store.attributes.find(name)) throw new ConflictError(`an attribute named ${name} already exists`);
  await refuseTakenClaim(ctx, claim, null);
  const definition = await ctx.store.attributes.define({ name, type, claim, scope, userVisible: input.userVisible ?? false }, ctx.clock.now());
  definitionsChanged(ctx);
  await audit(ctx, 'attribute.defined', definition.name, { type, claim, scope, user_visible: definition.userVisible });
  return definition;
}

/** Changes the claim, scope or visibility (the type stays: values are stored in it). Only a real change is written. */
export async function updateAttribute(ctx: ManageContext, name: string, patch: AttributePatch): Promise<AttributeDefinition> {
  const definition = await findDefinition(ctx, name);
  const { claim, scope } = checkClaimAndScope(patch.claim ?? definition.claim, patch.scope ?? definition.scope);
  const changes: AttributePatch = {};
  if (claim !== definition.claim) changes.claim = claim;
  if (scope !== definition.scope) changes.scope = scope;
  if (patch.userVisible !== undefined && patch.userVisible !== definition.userVisible) changes.userVisible = patch.userVisible;
  const fields = Object.keys(changes).map((field) => (field === 'userVisible' ? 'user_visible' : field));
  if (fields.length === 0) return definition;
  if (changes.claim !== undefined) await refuseTakenClaim(ctx, claim, definition.name);
  const updated = await ctx.store.attributes.update(definition.name, changes);
  if (!updated) throw noAttribute(name);
  definitionsChanged(ctx);
  await audit(ctx, 'attribute.updated', definition.name, { fields, claim: updated.claim, scope: updated.scope, user_visible: updated.userVisible });
  return updated;
}

/** Deletes a definition and every person's value of it. */
export async function deleteAttribute(ctx: ManageContext, name: string): Promise<AttributeDefinition> {
  const definition = await findDefinition(ctx, name);
  if (!(await ctx.store.attributes.remove(definition.name))) throw noAttribute(name);
  definitionsChanged(ctx);
  await audit(ctx, 'attribute.deleted', definition.name, { claim: definition.claim, scope: definition.scope });
  return definition;
}

function checkText(text: string, what: string): string {
  const trimmed = text.trim();
  if (!trimmed) throw new ValidationError('value', `${what} is empty${what === 'the value' ? ': clear the attribute instead' : ''}`);
  if (trimmed.length > MAX_STRING_LENGTH) throw new ValidationError('value', `${what} must be at most ${MAX_STRING_LENGTH} characters long`);
  if (CONTROL.test(trimmed)) throw new ValidationError('value', `${what} must not contain control characters`);
  return trimmed;
}

/** A decimal number as people write it: no hex, no `Infinity`, no empty text (which Number() reads as 0). */
const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;

function listFrom(text: string): string[] {
  const trimmed = text.trim();
  let items: unknown;
  if (trimmed.startsWith('[')) {
    try {
      items = JSON.parse(trimmed);
    } catch {
      throw new ValidationError('value', 'a list value is a JSON array of strings, or text separated by commas');
    }
    if (!Array.isArray(items) || items.some((item) => typeof item !== 'string')) throw new ValidationError('value', 'a list value given as JSON must be an array of strings');
  } else {
    // "a, b," or "a,,b": an empty item between commas is a slip of the keyboard, not a value.
    items = trimmed
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }
  const list = (items as string[]).map((item, i) => checkText(item, `item ${i + 1} of the list`));
  if (list.length > MAX_LIST_ITEMS) throw new ValidationError('value', `a list holds at most ${MAX_LIST_ITEMS} items`);
  if (list.length === 0 && !trimmed.startsWith('[')) throw new ValidationError('value', 'the value is empty: clear the attribute instead');
  return list;
}

/** A value as typed (a form, `idp user set-attribute`), read as the definition's type; a ValidationError('value', …) otherwise. */
export function parseAttributeValue(definition: Pick<AttributeDefinition, 'type'>, text: string): AttributeValue {
  switch (definition.type) {
    case 'string':
      return checkText(text, 'the value');
    case 'number': {
      const trimmed = text.trim();
      const value = Number(trimmed);
      if (!DECIMAL.test(trimmed) || !Number.isFinite(value)) throw new ValidationError('value', `${JSON.stringify(trimmed.slice(0, 80))} is not a number`);
      return value;
    }
    case 'boolean': {
      const trimmed = text.trim().toLowerCase();
      if (trimmed !== 'true' && trimmed !== 'false') throw new ValidationError('value', 'the value must be true or false');
      return trimmed === 'true';
    }
    case 'list':
      return listFrom(text);
  }
}

/** A value as shown to people: a list as "a, b". */
export function formatAttributeValue(value: AttributeValue): string {
  return Array.isArray(value) ? value.join(', ') : String(value);
}

const sameValue = (a: AttributeValue | undefined, b: AttributeValue | null) => (a === undefined ? b === null : JSON.stringify(a) === JSON.stringify(b));

/**
 * Sets (or with null clears) one person's value of an attribute. Audited as `user.attribute_set` with the
 * attribute's name, never the value (it may be personal data the audit log should not copy). The same value
 * again writes nothing.
 */
export async function setUserAttribute(
  ctx: ManageContext,
  userEmailOrId: string,
  name: string,
  text: string | null,
): Promise<{ user: UserRecord; definition: AttributeDefinition; value: AttributeValue | null }> {
  const user = await findUser(ctx.store, userEmailOrId);
  const definition = await findDefinition(ctx, name);
  const value = text === null ? null : parseAttributeValue(definition, text);
  const current = (await ctx.store.attributes.valuesOf(user.id))[definition.name];
  if (sameValue(current, value)) return { user, definition, value };
  await ctx.store.attributes.setValue(user.id, definition.name, value, ctx.clock.now());
  await audit(ctx, 'user.attribute_set', user.id, { name: definition.name, cleared: value === null });
  return { user, definition, value };
}
