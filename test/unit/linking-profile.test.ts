// What an upstream says about a person, copied at each sign-in (src/federation/profile-sync.ts, issue 23 "Groups
// sync"), on a real SQLite store: groups by groups_mode (only existing groups, names compared without case, never
// created), attributes under the issue-21 rules (unknown names and unreadable values ignored), the name, and for a
// directory the email when it is free. Each change audited with the actor `federation:<slug>`.
import { describe, expect, it } from 'vitest';
import type { UpstreamIdentity } from '../../src/federation/federation.js';
import { OIDC_CLAIMS } from '../../src/federation/provider-settings.js';
import { accountName, syncProfile } from '../../src/federation/profile-sync.js';
import { defineAttribute } from '../../src/manage/attributes.js';
import type { IdentityProviderRecord, NewIdentityProvider, UserRecord } from '../../src/store/records.js';
import type { Store } from '../../src/store/store.js';
import type { FakeClock } from '../helpers/fake-clock.js';
import { manageStorePerTest, type ManageStore } from '../helpers/manage-store.js';
import { newProvider, newUser, T0 } from '../store/engines.js';

function identity(overrides: Partial<UpstreamIdentity> = {}): UpstreamIdentity {
  return { subject: 'sub-1', email: 'ada@example.org', emailVerified: true, name: 'Ada Lovelace', groups: [], attributes: {}, amr: [], ...overrides };
}

describe('syncProfile on a real store', () => {
  let store: Store;
  let clock: FakeClock;
  let ctx: ManageStore['ctx'];
  let ada: UserRecord;

  manageStorePerTest(async (fresh) => {
    ({ store, clock, ctx } = fresh);
    ada = await store.users.create(newUser('u-ada', 'ada@example.org', { name: 'Ada' }), T0);
    for (const name of ['engineers', 'Admins', 'sales']) await store.groups.create({ id: `g-${name.toLowerCase()}`, name, description: '', requireMfa: false }, T0);
  });

  async function provider(overrides: Partial<NewIdentityProvider> = {}, attributes: Record<string, string> = {}): Promise<IdentityProviderRecord> {
    const settings = { issuer: 'https://accounts.acme.test', clientId: 'gatehouse', scopes: ['openid'], claims: { ...OIDC_CLAIMS, attributes } };
    return store.identityProviders.create(newProvider('acme', 'Acme', { settings: JSON.stringify(settings), secret: null, jit: true, ...overrides }), T0);
  }

  const deps = () => ({ store, clock });
  const groupsOf = async (user = ada) => (await store.groups.groupsOf(user.id)).map((group) => group.name);
  const events = async (type: string) =>
    (await store.audit.list({ limit: 100, filter: { type } })).map((event) => ({ actor: event.actor, subject: event.subject, details: event.details })).reverse();

  it('ignore: touches no group', async () => {
    const acme = await provider({ groupsMode: 'ignore' });
    await store.groups.addMember('g-sales', ada.id, T0);
    await syncProfile(deps(), acme, ada, identity({ groups: ['engineers'] }));
    expect(await groupsOf()).toEqual(['sales']);
    expect(await events('group.')).toEqual([]);
  });

  it('merge: joins each existing group the upstream names, without regard to case; creates none; leaves the others', async () => {
    const acme = await provider({ groupsMode: 'merge' });
    await store.groups.addMember('g-sales', ada.id, T0);
    const groups = await store.groups.count();
    const synced = await syncProfile(deps(), acme, ada, identity({ groups: ['ENGINEERS', 'admins', 'no-such-group', 'has spaces', ''] }));
    expect(await groupsOf()).toEqual(['Admins', 'engineers', 'sales']);
    expect(await store.groups.count()).toBe(groups);
    expect(await events('group.member_added')).toEqual([
      { actor: 'federation:acme', subject: ada.id, details: { group_id: 'g-engineers', group: 'engineers' } },
      { actor: 'federation:acme', subject: ada.id, details: { group_id: 'g-admins', group: 'Admins' } },
    ]);
    // The same again writes nothing.
    const before = await store.audit.count({});
    await syncProfile(deps(), acme, synced, identity({ groups: ['engineers', 'admins'] }));
    expect(await store.audit.count({})).toBe(before);
  });

  it('replace: also leaves every group the upstream does not name', async () => {
    const acme = await provider({ groupsMode: 'replace' });
    await store.groups.addMember('g-sales', ada.id, T0);
    await store.groups.addMember('g-admins', ada.id, T0);
    await syncProfile(deps(), acme, ada, identity({ groups: ['Engineers', 'ADMINS'] }));
    expect(await groupsOf()).toEqual(['Admins', 'engineers']);
    expect(await events('group.member_removed')).toEqual([{ actor: 'federation:acme', subject: ada.id, details: { group_id: 'g-sales', group: 'sales' } }]);
    await syncProfile(deps(), acme, ada, identity({ groups: [] }));
    expect(await groupsOf()).toEqual([]);
  });

  it('sets the mapped attributes by their type, ignores unknown ones and unreadable values, clears one no longer given', async () => {
    await defineAttribute(ctx, { name: 'department', claim: 'department', scope: 'work' });
    await defineAttribute(ctx, { name: 'level', claim: 'level', scope: 'work', type: 'number' });
    await defineAttribute(ctx, { name: 'teams', claim: 'teams', scope: 'work', type: 'list' });
    const acme = await provider({}, { department: 'dept', level: 'lvl', teams: 'teams', shoe_size: 'shoe' });
    await syncProfile(deps(), acme, ada, identity({ attributes: { department: 'R&D', level: 'high', teams: 'a, b', shoe_size: '44' } }));
    expect(await store.attributes.valuesOf(ada.id)).toEqual({ department: 'R&D', teams: ['a', 'b'] });
    const set = await events('user.attribute_set');
    expect(set).toEqual([
      { actor: 'federation:acme', subject: ada.id, details: { name: 'department', cleared: false } },
      { actor: 'federation:acme', subject: ada.id, details: { name: 'teams', cleared: false } },
    ]);
    // The same values again: nothing written. Then the upstream stops giving the department: cleared.
    await syncProfile(deps(), acme, ada, identity({ attributes: { department: 'R&D', level: 'high', teams: 'a,b' } }));
    expect(await events('user.attribute_set')).toHaveLength(2);
    await syncProfile(deps(), acme, ada, identity({ attributes: { teams: 'a,b', level: '3' } }));
    expect(await store.attributes.valuesOf(ada.id)).toEqual({ level: 3, teams: ['a', 'b'] });
    expect((await events('user.attribute_set')).slice(2)).toEqual([
      { actor: 'federation:acme', subject: ada.id, details: { name: 'department', cleared: true } },
      { actor: 'federation:acme', subject: ada.id, details: { name: 'level', cleared: false } },
    ]);
  });

  it('updates the name when it changed (cleaned), keeps it when the upstream gives none, and never the email of a browser provider', async () => {
    const acme = await provider();
    const renamed = await syncProfile(deps(), acme, ada, identity({ name: '  Ada\u0007 King ', email: 'ada.king@example.org' }));
    expect(renamed).toMatchObject({ name: 'Ada  King', email: 'ada@example.org' });
    expect(await events('user.updated')).toEqual([{ actor: 'federation:acme', subject: ada.id, details: { fields: ['name'], provider: 'acme' } }]);
    expect(await syncProfile(deps(), acme, renamed, identity({ name: null }))).toEqual(renamed);
    expect(await events('user.updated')).toHaveLength(1);
    expect(accountName('x'.repeat(300))).toHaveLength(200);
    expect(accountName(' \u0000 ')).toBeNull();
  });

  it('a directory: also the email, verified, when no other account has it', async () => {
    const corp = await provider({ slug: 'corp', kind: 'ldap', settings: JSON.stringify({}) });
    const moved = await syncProfile(deps(), corp, ada, identity({ email: 'ada.king@example.org' }));
    expect(moved).toMatchObject({ email: 'ada.king@example.org', emailVerified: true, name: 'Ada Lovelace' });
    await store.users.create(newUser('u-bob', 'bob@example.org'), T0);
    const kept = await syncProfile(deps(), corp, moved, identity({ email: 'bob@example.org', name: 'Ada K.' }));
    expect(kept).toMatchObject({ email: 'ada.king@example.org', name: 'Ada K.' });
  });
});
