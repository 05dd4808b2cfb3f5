// Store contract: attribute definitions and each person's values (AttributeRepository, issue 21). Shared engines,
// setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/errors.js';
import type { AttributeDefinition } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, newUser, T0 } from './engines.js';

function definition(name: string, overrides: Partial<Omit<AttributeDefinition, 'createdAt'>> = {}): Omit<AttributeDefinition, 'createdAt'> {
  return { name, type: 'string', claim: name, scope: 'profile', userVisible: false, ...overrides };
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('attributes', () => {
    it('defines attributes and lists them in name order', async () => {
      const department = await store.attributes.define(definition('department', { claim: 'https://example.com/department', scope: 'org', userVisible: true }), T0);
      expect(department).toEqual({ name: 'department', type: 'string', claim: 'https://example.com/department', scope: 'org', userVisible: true, createdAt: T0 });
      await store.attributes.define(definition('badge', { type: 'number' }), T0 + 1);
      await store.attributes.define(definition('cost_centre', { type: 'list', claim: 'cost_centres' }), T0 + 2);
      expect((await store.attributes.list()).map((d) => d.name)).toEqual(['badge', 'cost_centre', 'department']);
      expect(await store.attributes.find('department')).toEqual(department);
      expect(await store.attributes.find('Department')).toBeNull();
      expect(await store.attributes.find('nope')).toBeNull();
    });

    it('refuses a taken name or a taken claim, naming which, and writes nothing', async () => {
      await store.attributes.define(definition('department', { claim: 'dept' }), T0);
      const name = await store.attributes.define(definition('department', { claim: 'other' }), T0).catch((error: unknown) => error);
      expect(name).toBeInstanceOf(ConflictError);
      expect((name as Error).message).toBe('an attribute named department already exists');
      const claim = await store.attributes.define(definition('division', { claim: 'dept' }), T0).catch((error: unknown) => error);
      expect(claim).toBeInstanceOf(ConflictError);
      expect((claim as Error).message).toBe('another attribute is already released as the claim dept');
      expect((await store.attributes.list()).map((d) => [d.name, d.claim])).toEqual([['department', 'dept']]);
    });

    it('updates the claim, the scope and the visibility, refusing a claim another attribute has', async () => {
      await store.attributes.define(definition('department', { claim: 'dept' }), T0);
      await store.attributes.define(definition('division', { claim: 'div' }), T0);
      expect(await store.attributes.update('department', { claim: 'department', scope: 'org' })).toEqual({ ...definition('department', { scope: 'org' }), createdAt: T0 });
      expect(await store.attributes.update('department', { userVisible: true })).toMatchObject({ claim: 'department', userVisible: true });
      expect(await store.attributes.update('department', {})).toMatchObject({ claim: 'department', scope: 'org', userVisible: true });
      const failure = await store.attributes.update('department', { claim: 'div', scope: 'lost' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConflictError);
      expect((failure as Error).message).toBe('another attribute is already released as the claim div');
      expect(await store.attributes.find('department')).toMatchObject({ claim: 'department', scope: 'org' });
      expect(await store.attributes.update('nope', { scope: 'x' })).toBeNull();
      expect(await store.attributes.update('nope', {})).toBeNull();
    });

    it('round-trips a value of each type as JSON, replaces it, and clears it', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.users.create(newUser('u2', 'two@example.com'), T0);
      await store.attributes.define(definition('department', { type: 'string' }), T0);
      await store.attributes.define(definition('badge', { type: 'number' }), T0);
      await store.attributes.define(definition('contractor', { type: 'boolean' }), T0);
      await store.attributes.define(definition('projects', { type: 'list' }), T0);
      expect(await store.attributes.valuesOf('u1')).toEqual({});
      await store.attributes.setValue('u1', 'department', 'R&D "labs" ✓, 2', T0);
      await store.attributes.setValue('u1', 'badge', 12.5, T0);
      await store.attributes.setValue('u1', 'contractor', false, T0);
      await store.attributes.setValue('u1', 'projects', ['alpha', 'beta, gamma', ''], T0);
      await store.attributes.setValue('u2', 'badge', 0, T0);
      expect(await store.attributes.valuesOf('u1')).toEqual({ department: 'R&D "labs" ✓, 2', badge: 12.5, contractor: false, projects: ['alpha', 'beta, gamma', ''] });
      expect(await store.attributes.valuesOf('u2')).toEqual({ badge: 0 });
      await store.attributes.setValue('u1', 'contractor', true, T0 + 1);
      await store.attributes.setValue('u1', 'projects', [], T0 + 1);
      await store.attributes.setValue('u1', 'department', null, T0 + 1);
      expect(await store.attributes.valuesOf('u1')).toEqual({ badge: 12.5, contractor: true, projects: [] });
      // Clearing what is not set changes nothing.
      await store.attributes.setValue('u1', 'department', null, T0 + 2);
      expect(await store.attributes.valuesOf('u1')).toEqual({ badge: 12.5, contractor: true, projects: [] });
      expect(await store.attributes.valuesOf('nobody')).toEqual({});
    });

    it('refuses a value of an unknown user or attribute, naming which, set or cleared, and writes nothing', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.attributes.define(definition('department'), T0);
      for (const value of ['x', null]) {
        const noUser = await store.attributes.setValue('ghost', 'department', value, T0).catch((error: unknown) => error);
        expect(noUser).toBeInstanceOf(NotFoundError);
        expect((noUser as Error).message).toBe('there is no user with the id ghost');
        const noAttribute = await store.attributes.setValue('u1', 'nope', value, T0).catch((error: unknown) => error);
        expect(noAttribute).toBeInstanceOf(NotFoundError);
        expect((noAttribute as Error).message).toBe('there is no attribute named nope');
      }
      expect(await store.attributes.valuesOf('u1')).toEqual({});
      expect(await store.attributes.valuesOf('ghost')).toEqual({});
    });

    it("removes a definition with everyone's values of it, once, and frees its name and claim", async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.attributes.define(definition('department', { claim: 'dept' }), T0);
      await store.attributes.define(definition('badge', { type: 'number' }), T0);
      await store.attributes.setValue('u1', 'department', 'Sales', T0);
      await store.attributes.setValue('u1', 'badge', 7, T0);
      expect(await store.attributes.remove('department')).toBe(true);
      expect(await store.attributes.remove('department')).toBe(false);
      expect(await store.attributes.valuesOf('u1')).toEqual({ badge: 7 });
      // Defined again, it starts with no values.
      await store.attributes.define(definition('department', { type: 'list', claim: 'dept' }), T0 + 1);
      expect(await store.attributes.valuesOf('u1')).toEqual({ badge: 7 });
    });

    it("deletes a person's values with the person", async () => {
      await store.users.create(newUser('admin', 'admin@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.attributes.define(definition('department'), T0);
      await store.attributes.setValue('u1', 'department', 'Sales', T0);
      await store.attributes.setValue('admin', 'department', 'IT', T0);
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.attributes.valuesOf('u1')).toEqual({});
      expect(await store.attributes.valuesOf('admin')).toEqual({ department: 'IT' });
    });
  });
});
