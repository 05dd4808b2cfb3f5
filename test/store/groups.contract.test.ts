// Store contract: groups and their members (GroupRepository, issue 21). Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { NewGroup } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import { engines, freshStorePerTest, MINUTE, newClient, newUser, T0 } from './engines.js';

function newGroup(id: string, name: string, overrides: Partial<NewGroup> = {}): NewGroup {
  return { id, name, description: '', ...overrides };
}

/** Every page's names under `search`, following the cursor to the end. */
async function allPages(store: Store, limit: number, search?: string): Promise<string[][]> {
  const pages: string[][] = [];
  let after: string | null = null;
  do {
    const page = await store.groups.list({ limit, after, ...(search === undefined ? {} : { search }) });
    pages.push(page.items.map((group) => group.name));
    after = page.next;
  } while (after !== null);
  return pages;
}

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  describe('groups', () => {
    it('creates a group and reads it back by id and by name in any case, shown as entered', async () => {
      const created = await store.groups.create(newGroup('g1', 'Staff.Admins', { description: 'The admins', requireMfa: true }), T0);
      expect(created).toEqual({ id: 'g1', name: 'Staff.Admins', description: 'The admins', requireMfa: true, createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.groups.findById('g1')).toEqual(created);
      expect(await store.groups.findByName('staff.admins')).toEqual(created);
      expect(await store.groups.findByName('STAFF.ADMINS')).toEqual(created);
      expect(await store.groups.findByName('staff')).toBeNull();
      expect(await store.groups.findById('G1')).toBeNull();
    });

    it('requires no second factor of a group unless asked to', async () => {
      expect(await store.groups.create(newGroup('g1', 'staff'), T0)).toMatchObject({ requireMfa: false });
      expect(await store.groups.findById('g1')).toMatchObject({ requireMfa: false, description: '' });
    });

    it('refuses a second group with the same name in another case, and one with the same id, writing nothing', async () => {
      await store.groups.create(newGroup('g1', 'Staff'), T0);
      const failure = await store.groups.create(newGroup('g2', 'sTAFF'), T0).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConflictError);
      expect((failure as Error).message).toBe('a group named sTAFF already exists');
      await expect(store.groups.create(newGroup('g1', 'other'), T0)).rejects.toThrow('a group with the id g1 already exists');
      expect(await store.groups.count()).toBe(1);
      expect(await store.groups.findById('g2')).toBeNull();
      expect(await store.groups.findByName('other')).toBeNull();
    });

    it('renames a group (a change of case too), which then answers to its new name only', async () => {
      await store.groups.create(newGroup('g1', 'staff', { description: 'kept' }), T0);
      const renamed = await store.groups.update('g1', { name: 'Employees' }, T0 + MINUTE);
      expect(renamed).toEqual({ id: 'g1', name: 'Employees', description: 'kept', requireMfa: false, createdAt: T0, updatedAt: T0 + MINUTE, version: 2 });
      expect(await store.groups.findByName('staff')).toBeNull();
      expect(await store.groups.findByName('employees')).toEqual(renamed);
      expect(await store.groups.update('g1', { name: 'EMPLOYEES' }, T0 + 2 * MINUTE)).toMatchObject({ name: 'EMPLOYEES' });
      expect(await store.groups.findByName('Employees')).toMatchObject({ id: 'g1', name: 'EMPLOYEES' });
    });

    it('refuses a rename onto a name another group has (in any case), changing neither', async () => {
      await store.groups.create(newGroup('g1', 'staff'), T0);
      await store.groups.create(newGroup('g2', 'admins'), T0);
      const failure = await store.groups.update('g2', { name: 'STAFF', description: 'lost' }, T0 + 1).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ConflictError);
      expect((failure as Error).message).toBe('a group named STAFF already exists');
      expect(await store.groups.findById('g2')).toMatchObject({ name: 'admins', description: '', updatedAt: T0 });
      expect(await store.groups.findById('g1')).toMatchObject({ name: 'staff', updatedAt: T0 });
    });

    it('updates the description and the second-factor demand alone, and answers null for no group', async () => {
      await store.groups.create(newGroup('g1', 'staff', { description: 'before' }), T0);
      expect(await store.groups.update('g1', { description: 'after' }, T0 + 1)).toMatchObject({ name: 'staff', description: 'after', requireMfa: false, updatedAt: T0 + 1 });
      expect(await store.groups.update('g1', { requireMfa: true }, T0 + 2)).toMatchObject({ description: 'after', requireMfa: true, updatedAt: T0 + 2 });
      expect(await store.groups.findById('g1')).toMatchObject({ description: 'after', requireMfa: true });
      expect(await store.groups.update('nope', { description: 'x' }, T0 + 3)).toBeNull();
    });

    it('adds a member once, removes them once, and counts the members', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.users.create(newUser('u2', 'two@example.com'), T0);
      await store.groups.create(newGroup('g1', 'staff'), T0);
      expect(await store.groups.addMember('g1', 'u1', T0)).toBe(true);
      expect(await store.groups.addMember('g1', 'u1', T0 + 1)).toBe(false);
      expect(await store.groups.addMember('g1', 'u2', T0)).toBe(true);
      expect(await store.groups.countMembers('g1')).toBe(2);
      expect(await store.groups.removeMember('g1', 'u1')).toBe(true);
      expect(await store.groups.removeMember('g1', 'u1')).toBe(false);
      expect(await store.groups.removeMember('nope', 'u2')).toBe(false);
      expect(await store.groups.countMembers('g1')).toBe(1);
      expect(await store.groups.countMembers('nope')).toBe(0);
      expect(await store.groups.groupsOf('u1')).toEqual([]);
    });

    it('refuses to add an unknown user or to an unknown group, naming which, and writes nothing', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.groups.create(newGroup('g1', 'staff'), T0);
      const noUser = await store.groups.addMember('g1', 'ghost', T0).catch((error: unknown) => error);
      expect(noUser).toBeInstanceOf(NotFoundError);
      expect((noUser as Error).message).toBe('there is no user with the id ghost');
      const noGroup = await store.groups.addMember('nope', 'u1', T0).catch((error: unknown) => error);
      expect(noGroup).toBeInstanceOf(NotFoundError);
      expect((noGroup as Error).message).toBe('there is no group with the id nope');
      expect(await store.groups.countMembers('g1')).toBe(0);
      expect(await store.groups.groupsOf('u1')).toEqual([]);
    });

    it("gives a person's groups in name order, ignoring case, with each one's id and second-factor demand", async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.users.create(newUser('u2', 'two@example.com'), T0);
      await store.groups.create(newGroup('g1', 'zeta'), T0);
      await store.groups.create(newGroup('g2', 'Alpha', { requireMfa: true }), T0);
      await store.groups.create(newGroup('g3', 'beta'), T0);
      await store.groups.create(newGroup('g4', 'not-mine'), T0);
      for (const id of ['g1', 'g2', 'g3']) await store.groups.addMember(id, 'u1', T0);
      await store.groups.addMember('g4', 'u2', T0);
      expect(await store.groups.groupsOf('u1')).toEqual([
        { id: 'g2', name: 'Alpha', requireMfa: true },
        { id: 'g3', name: 'beta', requireMfa: false },
        { id: 'g1', name: 'zeta', requireMfa: false },
      ]);
      // A rename moves the group in the order at once.
      await store.groups.update('g1', { name: 'aardvark' }, T0 + 1);
      expect((await store.groups.groupsOf('u1')).map((group) => group.name)).toEqual(['aardvark', 'Alpha', 'beta']);
      expect(await store.groups.groupsOf('nobody')).toEqual([]);
    });

    it('deletes a group with its memberships, once', async () => {
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.groups.create(newGroup('g1', 'staff'), T0);
      await store.groups.create(newGroup('g2', 'other'), T0);
      await store.groups.addMember('g1', 'u1', T0);
      await store.groups.addMember('g2', 'u1', T0);
      expect(await store.groups.delete('g1')).toBe(true);
      expect(await store.groups.delete('g1')).toBe(false);
      expect(await store.groups.findById('g1')).toBeNull();
      expect(await store.groups.countMembers('g1')).toBe(0);
      expect((await store.groups.groupsOf('u1')).map((group) => group.id)).toEqual(['g2']);
      // The name is free again.
      expect(await store.groups.create(newGroup('g3', 'STAFF'), T0 + 1)).toMatchObject({ id: 'g3' });
      expect(await store.groups.countMembers('g3')).toBe(0);
    });

    it("takes a deleted user out of every group, and a member's user record stays the same", async () => {
      await store.users.create(newUser('admin', 'admin@example.com', { isAdmin: true }), T0);
      await store.users.create(newUser('u1', 'one@example.com'), T0);
      await store.groups.create(newGroup('g1', 'staff'), T0);
      await store.groups.create(newGroup('g2', 'other'), T0);
      await store.groups.addMember('g1', 'u1', T0);
      await store.groups.addMember('g2', 'u1', T0);
      await store.groups.addMember('g1', 'admin', T0);
      expect(await store.users.delete('u1')).toBe(true);
      expect(await store.groups.groupsOf('u1')).toEqual([]);
      expect(await store.groups.countMembers('g1')).toBe(1);
      expect(await store.groups.countMembers('g2')).toBe(0);
      expect((await store.users.list({ limit: 10, inGroup: 'g1' })).items.map((user) => user.id)).toEqual(['admin']);
    });

    it('lists groups by name ignoring case across pages, with member counts', async () => {
      for (let i = 1; i <= 6; i++) await store.users.create(newUser(`u${i}`, `u${i}@example.com`), T0);
      const names = ['delta', 'Alpha', 'charlie', 'Bravo', 'echo'];
      for (const [index, name] of names.entries()) await store.groups.create(newGroup(`g${index}`, name), T0 + index);
      for (let i = 1; i <= 6; i++) await store.groups.addMember('g1', `u${i}`, T0);
      await store.groups.addMember('g3', 'u1', T0);
      expect(await allPages(store, 2)).toEqual([['Alpha', 'Bravo'], ['charlie', 'delta'], ['echo']]);
      expect(await allPages(store, 5)).toEqual([['Alpha', 'Bravo', 'charlie', 'delta', 'echo']]);
      const first = await store.groups.list({ limit: 10 });
      expect(first.next).toBeNull();
      expect(first.items.map((group) => [group.name, group.memberCount])).toEqual([
        ['Alpha', 6],
        ['Bravo', 1],
        ['charlie', 0],
        ['delta', 0],
        ['echo', 0],
      ]);
      expect(first.items[0]).toEqual({ id: 'g1', name: 'Alpha', description: '', requireMfa: false, createdAt: T0 + 1, updatedAt: T0 + 1, version: 1, memberCount: 6 });
      expect(await store.groups.count()).toBe(5);
    });

    it('keeps paging in order when a group is renamed past the cursor', async () => {
      for (const [index, name] of ['a1', 'a2', 'a3', 'a4'].entries()) await store.groups.create(newGroup(`g${index}`, name), T0);
      const first = await store.groups.list({ limit: 2 });
      expect(first.items.map((group) => group.name)).toEqual(['a1', 'a2']);
      await store.groups.update('g0', { name: 'a9' }, T0 + 1);
      const second = await store.groups.list({ limit: 2, after: first.next });
      expect(second.items.map((group) => group.name)).toEqual(['a3', 'a4']);
      expect((await store.groups.list({ limit: 2, after: second.next })).items.map((group) => group.name)).toEqual(['a9']);
    });

    it('searches group names by case-insensitive substring, with wildcards meaning themselves, across pages', async () => {
      const names = ['Sales-EU', 'sales_us', 'presales', 'Support', 'salesXus', 'a%b', 'axb', 'ops'];
      for (const [index, name] of names.entries()) await store.groups.create(newGroup(`g${index}`, name), T0);
      expect(await allPages(store, 2, 'SALES')).toEqual([
        ['presales', 'Sales-EU'],
        ['sales_us', 'salesXus'],
      ]);
      expect(await allPages(store, 10, 'es_u')).toEqual([['sales_us']]);
      expect(await allPages(store, 10, '%')).toEqual([['a%b']]);
      expect(await allPages(store, 10, '  Port ')).toEqual([['Support']]);
      expect(await allPages(store, 10, 'nothing')).toEqual([[]]);
      // An empty search lists every group.
      expect((await allPages(store, 10, '')).flat()).toHaveLength(names.length);
    });

    it('rejects a page cursor that is garbage or another list’s', async () => {
      await store.groups.create(newGroup('g1', 'one'), T0);
      await store.groups.create(newGroup('g2', 'two'), T0);
      await store.users.create(newUser('u1', 'a@example.com'), T0);
      await store.users.create(newUser('u2', 'b@example.com'), T0);
      const userCursor = (await store.users.list({ limit: 1 })).next;
      await expect(store.groups.list({ limit: 1, after: 'garbage' })).rejects.toBeInstanceOf(ValidationError);
      await expect(store.groups.list({ limit: 1, after: userCursor })).rejects.toBeInstanceOf(ValidationError);
    });

    it('names the clients that use a group, in client name order, with their roles', async () => {
      await store.groups.create(newGroup('g1', 'staff'), T0);
      await store.groups.create(newGroup('g2', 'other'), T0);
      await store.clients.create(newClient('c-b', 'Beta', { accessPolicy: 'groups', accessGroups: ['g1'], claimGroups: ['g1'] }), T0);
      await store.clients.create(newClient('c-a', 'Alpha', { claimGroups: ['g1', 'g2'] }), T0);
      await store.clients.create(newClient('c-c', 'Gamma', { accessPolicy: 'groups', accessGroups: ['g2'] }), T0);
      await store.clients.create(newClient('c-d', 'Delta'), T0);
      expect(await store.groups.usesOf('g1')).toEqual([
        { clientId: 'c-a', name: 'Alpha', roles: ['claim'] },
        { clientId: 'c-b', name: 'Beta', roles: ['access', 'claim'] },
      ]);
      expect(await store.groups.usesOf('g2')).toEqual([
        { clientId: 'c-a', name: 'Alpha', roles: ['claim'] },
        { clientId: 'c-c', name: 'Gamma', roles: ['access'] },
      ]);
      expect(await store.groups.usesOf('nope')).toEqual([]);
    });

    it('deletes the client rules naming a deleted group: a groups policy left with no group admits nobody', async () => {
      await store.groups.create(newGroup('g1', 'staff'), T0);
      await store.groups.create(newGroup('g2', 'other'), T0);
      await store.clients.create(newClient('rp', 'RP', { accessPolicy: 'groups', accessGroups: ['g1'], claimGroups: ['g1', 'g2'], groupsClaim: { kind: 'listed' } }), T0);
      expect(await store.groups.delete('g1')).toBe(true);
      expect(await store.clients.findById('rp')).toMatchObject({ accessPolicy: 'groups', accessGroups: [], claimGroups: ['g2'], groupsClaim: { kind: 'listed' }, updatedAt: T0 });
      expect(await store.groups.usesOf('g1')).toEqual([]);
    });
  });
});
