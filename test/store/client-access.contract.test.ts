// Store contract: the issue-21 fields of clients (ClientRepository): the access rule and the groups claim, whose
// groups are client_groups rows read in the same query as the client, and the links and contact shown to people.
// Shared engines, setup and builders: ./engines.ts.
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import type { Store } from '../../src/store/store.js';
import { CLIENT_DEFAULTS, engines, freshStorePerTest, newClient, T0 } from './engines.js';

describe.each(engines.map((engine) => [engine.name, engine] as const))('store contract on %s', (_name, engine) => {
  let store: Store;
  freshStorePerTest(engine, (opened) => {
    store = opened;
  });

  async function groups(...ids: string[]): Promise<void> {
    for (const id of ids) await store.groups.create({ id, name: `name-${id}`, description: '' }, T0);
  }

  describe('client access rules and groups claims', () => {
    it('gives a client created without them the defaults: everyone, every group, nothing named, no links', async () => {
      const created = await store.clients.create(newClient('rp', 'RP'), T0);
      expect(created).toMatchObject(CLIENT_DEFAULTS);
      expect(await store.clients.findById('rp')).toEqual(created);
    });

    it('stores the access groups, claim groups, claim mode, links and contact, each list once and in id order', async () => {
      await groups('g3', 'g1', 'g2');
      const input = newClient('rp', 'RP', {
        accessPolicy: 'groups',
        accessGroups: ['g3', 'g1', 'g3'],
        groupsClaim: { kind: 'prefix', prefix: 'app-' },
        claimGroups: ['g2'],
        initiateLoginUri: 'https://rp.example/login',
        logoUri: 'https://rp.example/logo.png',
        accessContact: 'the help desk, ext. 42',
      });
      const created = await store.clients.create(input, T0);
      expect(created).toEqual({ ...CLIENT_DEFAULTS, ...input, accessGroups: ['g1', 'g3'], createdAt: T0, updatedAt: T0, version: 1 });
      expect(await store.clients.findById('rp')).toEqual(created);
      expect((await store.clients.list({ limit: 10 })).items).toEqual([created]);
      expect(await store.groups.usesOf('g3')).toEqual([{ clientId: 'rp', name: 'RP', roles: ['access'] }]);
    });

    it('keeps each groups-claim mode as it was given', async () => {
      for (const [id, mode] of [
        ['all', { kind: 'all' }],
        ['listed', { kind: 'listed' }],
        ['prefix', { kind: 'prefix', prefix: 'Team.' }],
      ] as const) {
        await store.clients.create(newClient(id, id, { groupsClaim: mode }), T0);
        expect(await store.clients.findById(id)).toMatchObject({ groupsClaim: mode });
      }
      expect(await store.clients.update('all', { groupsClaim: { kind: 'prefix', prefix: 'x:y' } }, T0 + 1)).toMatchObject({ groupsClaim: { kind: 'prefix', prefix: 'x:y' } });
      expect(await store.clients.findById('all')).toMatchObject({ groupsClaim: { kind: 'prefix', prefix: 'x:y' } });
    });

    it('keeps a groups policy with no group: it admits nobody', async () => {
      await store.clients.create(newClient('rp', 'RP', { accessPolicy: 'groups' }), T0);
      expect(await store.clients.findById('rp')).toMatchObject({ accessPolicy: 'groups', accessGroups: [] });
    });

    it('refuses a client naming a group that does not exist, naming it, and writes neither the client nor its rules', async () => {
      await groups('g1');
      for (const fields of [{ accessPolicy: 'groups' as const, accessGroups: ['g1', 'ghost'] }, { claimGroups: ['ghost'] }, { accessGroups: ['g1'], claimGroups: ['g1', 'ghost'] }]) {
        const failure = await store.clients.create(newClient('rp', 'RP', fields), T0).catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(NotFoundError);
        expect((failure as Error).message).toBe('there is no group with the id ghost');
        expect(await store.clients.findById('rp')).toBeNull();
        expect(await store.groups.usesOf('g1')).toEqual([]);
      }
      expect(await store.clients.count()).toBe(0);
    });

    it("replaces a role's groups only when its list is in the patch", async () => {
      await groups('g1', 'g2', 'g3');
      await store.clients.create(newClient('rp', 'RP', { accessPolicy: 'groups', accessGroups: ['g1'], claimGroups: ['g2'] }), T0);
      expect(await store.clients.update('rp', { name: 'Renamed' }, T0 + 1)).toMatchObject({ name: 'Renamed', accessGroups: ['g1'], claimGroups: ['g2'], updatedAt: T0 + 1 });
      expect(await store.clients.update('rp', { accessGroups: ['g3', 'g2', 'g2'] }, T0 + 2)).toMatchObject({ accessGroups: ['g2', 'g3'], claimGroups: ['g2'], updatedAt: T0 + 2 });
      expect(await store.clients.update('rp', { claimGroups: [] }, T0 + 3)).toMatchObject({ accessGroups: ['g2', 'g3'], claimGroups: [] });
      expect(await store.clients.update('rp', { accessPolicy: 'everyone', accessGroups: [] }, T0 + 4)).toMatchObject({ accessPolicy: 'everyone', accessGroups: [], claimGroups: [] });
      expect(await store.clients.findById('rp')).toMatchObject({ name: 'Renamed', accessPolicy: 'everyone', accessGroups: [], claimGroups: [], updatedAt: T0 + 4 });
      expect(await store.groups.usesOf('g2')).toEqual([]);
    });

    it('refuses an update naming a group that does not exist, and writes nothing of it', async () => {
      await groups('g1', 'g2');
      await store.clients.create(newClient('rp', 'RP', { accessPolicy: 'groups', accessGroups: ['g1'] }), T0);
      const before = await store.clients.findById('rp');
      const failure = await store.clients.update('rp', { name: 'Lost', accessPolicy: 'everyone', accessGroups: ['g2', 'ghost'], claimGroups: ['g2'] }, T0 + 1).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(NotFoundError);
      expect((failure as Error).message).toBe('there is no group with the id ghost');
      expect(await store.clients.findById('rp')).toEqual(before);
      expect(await store.groups.usesOf('g2')).toEqual([]);
    });

    it('replaces the rules whole when two updates race: one list wins, never a mixture, and neither fails', async () => {
      await groups('g1', 'g2', 'g3', 'g4');
      await store.clients.create(newClient('rp', 'RP', { accessPolicy: 'groups', accessGroups: ['g1'] }), T0);
      for (let round = 0; round < 5; round++) {
        await Promise.all([
          store.clients.update('rp', { accessGroups: ['g1', 'g2', 'g3'], claimGroups: ['g4'] }, T0 + 1),
          store.clients.update('rp', { accessGroups: ['g2', 'g3', 'g4'], claimGroups: [] }, T0 + 1),
        ]);
        const after = await store.clients.findById('rp');
        expect([
          [['g1', 'g2', 'g3'], ['g4']],
          [['g2', 'g3', 'g4'], []],
        ]).toContainEqual([after?.accessGroups, after?.claimGroups]);
      }
    });

    it('answers null when updating the rules of a client that does not exist, and writes no rule', async () => {
      await groups('g1');
      expect(await store.clients.update('nobody', { accessGroups: ['g1'], claimGroups: ['g1'] }, T0)).toBeNull();
      expect(await store.groups.usesOf('g1')).toEqual([]);
    });

    it('sets and clears the links and the contact by a patch', async () => {
      await store.clients.create(newClient('rp', 'RP'), T0);
      const links = { initiateLoginUri: 'http://127.0.0.1:8080/start', logoUri: 'https://cdn.example/rp.svg', accessContact: 'Ask Ana' };
      expect(await store.clients.update('rp', links, T0 + 1)).toMatchObject(links);
      expect(await store.clients.findById('rp')).toMatchObject(links);
      expect(await store.clients.update('rp', { initiateLoginUri: null, logoUri: null, accessContact: null }, T0 + 2)).toMatchObject({
        initiateLoginUri: null,
        logoUri: null,
        accessContact: null,
      });
    });

    it('deletes a client with its rules, leaving the groups', async () => {
      await groups('g1');
      await store.clients.create(newClient('rp', 'RP', { accessPolicy: 'groups', accessGroups: ['g1'], claimGroups: ['g1'] }), T0);
      expect(await store.clients.delete('rp')).toBe(true);
      expect(await store.groups.usesOf('g1')).toEqual([]);
      expect(await store.groups.findById('g1')).not.toBeNull();
      // A client of the same id starts with no rules.
      expect(await store.clients.create(newClient('rp', 'RP'), T0 + 1)).toMatchObject({ accessGroups: [], claimGroups: [] });
      expect(await store.clients.findById('rp')).toMatchObject({ accessGroups: [], claimGroups: [] });
    });
  });
});
