// The rules of src/manage/attributes.ts (issue 21), on a real SQLite store: names, types, reserved claims, the
// scope of a standard claim, values read as their type; each refusal writes nothing, each change is audited and a
// person's value never reaches the audit log.
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import {
  checkClaimAndScope,
  defineAttribute,
  deleteAttribute,
  formatAttributeValue,
  parseAttributeValue,
  RESERVED_CLAIMS,
  setUserAttribute,
  STANDARD_CLAIM_SCOPES,
  updateAttribute,
} from '../../src/manage/attributes.js';
import type { ManageContext } from '../../src/manage/users.js';
import type { AttributeType } from '../../src/store/records.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { refusedWithoutWriting } from '../helpers/manage-store.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newUser, T0 } from '../store/engines.js';

const as = (type: AttributeType) => ({ type });

describe('claims and scopes', () => {
  it('takes a claim of the allowed alphabet with a scope of its own, trimmed', () => {
    expect(checkClaimAndScope(' department ', ' hr ')).toEqual({ claim: 'department', scope: 'hr' });
    expect(checkClaimAndScope('https://example.com/claims/role', 'org:roles')).toEqual({ claim: 'https://example.com/claims/role', scope: 'org:roles' });
  });

  it('refuses every reserved claim, in any case', () => {
    for (const claim of RESERVED_CLAIMS) {
      if (!/^[A-Za-z]/.test(claim)) continue;
      expect(() => checkClaimAndScope(claim, 'hr'), claim).toThrow(/is reserved/);
      expect(() => checkClaimAndScope(claim.toUpperCase(), 'hr'), claim).toThrow(/is reserved/);
    }
    // The aggregated-claims members begin with "_", which the claim alphabet refuses already.
    expect(() => checkClaimAndScope('_claim_names', 'hr')).toThrow(/not a valid claim name/);
  });

  it('holds each standard claim to its standard scope (OIDC Core §5.4)', () => {
    for (const [claim, scope] of Object.entries(STANDARD_CLAIM_SCOPES)) {
      expect(checkClaimAndScope(claim, scope)).toEqual({ claim, scope });
      expect(() => checkClaimAndScope(claim, 'hr'), claim).toThrow(new RegExp(`standard claim ${claim} is released with the scope ${scope}`));
    }
  });

  it('refuses reserved scopes and bad names', () => {
    for (const scope of ['openid', 'offline_access', 'groups', 'email']) expect(() => checkClaimAndScope('department', scope), scope).toThrow(/scope .* is reserved/);
    for (const scope of ['', 'HR', '1hr', 'h r', 'a'.repeat(65)]) expect(() => checkClaimAndScope('department', scope), scope).toThrow(/not a valid scope name/);
    for (const claim of ['', '1st', 'a b', 'a\u0000', 'é', 'a'.repeat(201)]) expect(() => checkClaimAndScope(claim, 'hr'), claim).toThrow(/not a valid claim name/);
  });
});

describe('values', () => {
  it('reads text, trimmed, up to 1000 characters without control characters', () => {
    expect(parseAttributeValue(as('string'), '  Sales ')).toBe('Sales');
    expect(parseAttributeValue(as('string'), 'x'.repeat(1000))).toHaveLength(1000);
    expect(() => parseAttributeValue(as('string'), 'x'.repeat(1001))).toThrow(/at most 1000/);
    expect(() => parseAttributeValue(as('string'), 'a\nb')).toThrow(/control characters/);
    expect(() => parseAttributeValue(as('string'), '  ')).toThrow(/empty: clear the attribute instead/);
  });

  it('reads finite decimal numbers only', () => {
    expect(parseAttributeValue(as('number'), '42')).toBe(42);
    expect(parseAttributeValue(as('number'), ' -1.5e3 ')).toBe(-1500);
    expect(parseAttributeValue(as('number'), '.5')).toBe(0.5);
    for (const text of ['', ' ', 'abc', '0x10', 'Infinity', 'NaN', '1e400', '1,5', '1 2']) expect(() => parseAttributeValue(as('number'), text), text).toThrow(/is not a number/);
  });

  it('reads true and false only', () => {
    expect(parseAttributeValue(as('boolean'), 'true')).toBe(true);
    expect(parseAttributeValue(as('boolean'), ' FALSE ')).toBe(false);
    for (const text of ['yes', '1', '', 'on']) expect(() => parseAttributeValue(as('boolean'), text), text).toThrow(/true or false/);
  });

  it('reads a list as a JSON array of strings or as comma-separated text, up to 100 items', () => {
    expect(parseAttributeValue(as('list'), 'a, b ,c,')).toEqual(['a', 'b', 'c']);
    expect(parseAttributeValue(as('list'), '["x, y", "z"]')).toEqual(['x, y', 'z']);
    expect(parseAttributeValue(as('list'), '[]')).toEqual([]);
    expect(parseAttributeValue(as('list'), Array.from({ length: 100 }, (_, i) => `i${i}`).join(','))).toHaveLength(100);
    expect(() => parseAttributeValue(as('list'), Array.from({ length: 101 }, (_, i) => `i${i}`).join(','))).toThrow(/at most 100 items/);
    expect(() => parseAttributeValue(as('list'), '[1, 2]')).toThrow(/array of strings/);
    expect(() => parseAttributeValue(as('list'), '[oops')).toThrow(/JSON array of strings, or text separated by commas/);
    expect(() => parseAttributeValue(as('list'), '["a\\u0000"]')).toThrow(/item 1 of the list must not contain control characters/);
    expect(() => parseAttributeValue(as('list'), ' , ')).toThrow(/empty/);
  });

  it('formats a value for people, a list as "a, b"', () => {
    expect(formatAttributeValue(['a', 'b'])).toBe('a, b');
    expect(formatAttributeValue(false)).toBe('false');
    expect(formatAttributeValue(2.5)).toBe('2.5');
    expect(formatAttributeValue('Sales')).toBe('Sales');
  });
});

describe('managing attributes on a real store', () => {
  let store: Store;
  let remove: () => void;
  let ctx: ManageContext;

  const snapshot = async () => ({ definitions: await store.attributes.list(), values: await store.attributes.valuesOf('u-ada'), audit: await store.audit.count({}) });
  const refused = refusedWithoutWriting(snapshot);

  beforeEach(async () => {
    const dir = tempDir();
    remove = dir.remove;
    store = openSqliteStore({ file: path.join(dir.dir, 'gatehouse.db'), synchronous: 'NORMAL' });
    ctx = { store, clock: new FakeClock(T0), passwordMinLength: 8, actor: 'admin-1' };
    await store.users.create(newUser('u-ada', 'ada@example.com'), T0);
  });
  afterEach(async () => {
    await store.close();
    remove();
  });

  it('defines an attribute (string unless told), audited', async () => {
    const definition = await defineAttribute(ctx, { name: 'department', claim: 'department', scope: 'hr' });
    expect(definition).toEqual({ name: 'department', type: 'string', claim: 'department', scope: 'hr', userVisible: false, createdAt: T0 });
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({
      type: 'attribute.defined',
      actor: 'admin-1',
      subject: 'department',
      details: { type: 'string', claim: 'department', scope: 'hr' },
    });
  });

  it('refuses a taken name or claim, a reserved claim, a standard claim with another scope, a bad name or type, writing nothing', async () => {
    await defineAttribute(ctx, { name: 'department', claim: 'dept', scope: 'hr' });
    await refused(() => defineAttribute(ctx, { name: 'department', claim: 'other', scope: 'hr' }), ConflictError, /attribute named department already exists/);
    await refused(() => defineAttribute(ctx, { name: 'division', claim: 'dept', scope: 'hr' }), ConflictError, /claim "dept" is already released by the attribute department/);
    await refused(() => defineAttribute(ctx, { name: 'subject', claim: 'sub', scope: 'hr' }), ValidationError, /reserved/);
    await refused(() => defineAttribute(ctx, { name: 'first', claim: 'given_name', scope: 'hr' }), ValidationError, /released with the scope profile/);
    await refused(() => defineAttribute(ctx, { name: 'Bad', claim: 'bad', scope: 'hr' }), ValidationError, /not a valid attribute name/);
    await refused(() => defineAttribute(ctx, { name: 'level', claim: 'level', scope: 'hr', type: 'date' as AttributeType }), ValidationError, /type must be one of/);
  });

  it('updates the claim, scope and visibility (the type stays), only a real change audited', async () => {
    await defineAttribute(ctx, { name: 'first', claim: 'first_name', scope: 'hr' });
    const updated = await updateAttribute(ctx, 'first', { claim: 'given_name', scope: 'profile', userVisible: true });
    expect(updated).toMatchObject({ name: 'first', type: 'string', claim: 'given_name', scope: 'profile', userVisible: true });
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'attribute.updated', subject: 'first', details: { fields: ['claim', 'scope', 'user_visible'] } });
    const events = await store.audit.count({});
    await updateAttribute(ctx, 'first', { claim: 'given_name' });
    expect(await store.audit.count({})).toBe(events);
    // The standard claim keeps its scope whichever of the two changes.
    await refused(() => updateAttribute(ctx, 'first', { scope: 'hr' }), ValidationError, /released with the scope profile/);
    await refused(() => updateAttribute(ctx, 'nope', { scope: 'hr' }), NotFoundError, /no attribute "nope"/);
  });

  it('sets a value of the definition type, audits its name but never the value, and writes nothing for the same value', async () => {
    await defineAttribute(ctx, { name: 'roles', claim: 'roles', scope: 'org', type: 'list' });
    const set = await setUserAttribute(ctx, 'ada@example.com', 'roles', 'secret-role-x, reader');
    expect(set.value).toEqual(['secret-role-x', 'reader']);
    expect(await store.attributes.valuesOf('u-ada')).toEqual({ roles: ['secret-role-x', 'reader'] });
    const [event] = await store.audit.list({ limit: 1 });
    expect(event).toMatchObject({ type: 'user.attribute_set', actor: 'admin-1', subject: 'u-ada', details: { name: 'roles', cleared: false } });
    expect(JSON.stringify(event)).not.toContain('secret-role-x');
    const events = await store.audit.count({});
    await setUserAttribute(ctx, 'u-ada', 'roles', '["secret-role-x","reader"]');
    expect(await store.audit.count({})).toBe(events);
    const cleared = await setUserAttribute(ctx, 'u-ada', 'roles', null);
    expect(cleared.value).toBeNull();
    expect(await store.attributes.valuesOf('u-ada')).toEqual({});
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'user.attribute_set', details: { name: 'roles', cleared: true } });
  });

  it('refuses an unknown person, an unknown attribute and a value of the wrong type, writing nothing', async () => {
    await defineAttribute(ctx, { name: 'level', claim: 'level', scope: 'org', type: 'number' });
    await refused(() => setUserAttribute(ctx, 'nobody@example.com', 'level', '3'), NotFoundError, /no user "nobody@example.com"/);
    await refused(() => setUserAttribute(ctx, 'u-ada', 'rank', '3'), NotFoundError, /no attribute "rank"/);
    await refused(() => setUserAttribute(ctx, 'u-ada', 'level', 'three'), ValidationError, /"three" is not a number/);
  });

  it('deletes a definition with every value of it, audited', async () => {
    await defineAttribute(ctx, { name: 'level', claim: 'level', scope: 'org', type: 'number' });
    await setUserAttribute(ctx, 'u-ada', 'level', '3');
    expect(await deleteAttribute(ctx, 'level')).toMatchObject({ name: 'level', claim: 'level' });
    expect(await store.attributes.list()).toEqual([]);
    expect(await store.attributes.valuesOf('u-ada')).toEqual({});
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'attribute.deleted', subject: 'level', details: { claim: 'level', scope: 'org' } });
    await refused(() => deleteAttribute(ctx, 'level'), NotFoundError, /no attribute "level"/);
  });
});
