// The rules of src/manage/groups.ts and the access settings of src/manage/clients.ts (issue 21), on a real SQLite
// store: each refusal is the error it should be and writes nothing (no row, no audit event); each change is audited
// with the actor, the group and the member.
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../src/errors.js';
import { clientChanges, createClient, formatGroupsClaim, parseGroupsClaim, resolveGroupLists, setClientAccess, updateClient, type ClientContext } from '../../src/manage/clients.js';
import { addMember, checkGroupDescription, checkGroupName, createGroup, deleteGroup, findGroup, groupIdsFromNames, removeMember, renameGroup, updateGroup } from '../../src/manage/groups.js';
import type { Store } from '../../src/store/store.js';
import { manageStorePerTest, refusedWithoutWriting } from '../helpers/manage-store.js';
import { newUser, T0 } from '../store/engines.js';

describe('group names and descriptions', () => {
  it('takes 1 to 64 letters, digits, dots, underscores and hyphens, trimmed, as entered', () => {
    for (const name of ['a', 'Wiki-Admins', 'ops.on_call', '-x', 'A'.repeat(64), '0']) expect(checkGroupName(name)).toBe(name);
    expect(checkGroupName('  staff\t')).toBe('staff');
  });

  it('refuses anything else with a ValidationError on the name', () => {
    for (const name of ['', '   ', 'A'.repeat(65), 'wiki admins', 'wiki/admins', 'ünï', 'a,b', 'a\u0000b', 'a:b', 'a@b', '<b>']) {
      expect(() => checkGroupName(name), JSON.stringify(name)).toThrow(ValidationError);
      try {
        checkGroupName(name);
      } catch (error) {
        expect((error as ValidationError).field).toBe('name');
      }
    }
  });

  it('takes a description of up to 500 characters without control characters', () => {
    expect(checkGroupDescription('  People who run the wiki ')).toBe('People who run the wiki');
    expect(checkGroupDescription('')).toBe('');
    expect(checkGroupDescription('é'.repeat(500))).toHaveLength(500);
    expect(() => checkGroupDescription('x'.repeat(501))).toThrow(/at most 500/);
    expect(() => checkGroupDescription('two\nlines')).toThrow(/control characters/);
  });
});

describe('the groups claim mode', () => {
  it('reads all, listed and prefix:P, and writes them back the same', () => {
    expect(parseGroupsClaim('all')).toEqual({ kind: 'all' });
    expect(parseGroupsClaim(' listed ')).toEqual({ kind: 'listed' });
    expect(parseGroupsClaim('prefix:wiki-')).toEqual({ kind: 'prefix', prefix: 'wiki-' });
    for (const text of ['all', 'listed', 'prefix:wiki-', 'prefix:A.b_c']) expect(formatGroupsClaim(parseGroupsClaim(text))).toBe(text);
  });

  it('refuses other modes and prefixes outside the group-name alphabet', () => {
    for (const text of ['', 'ALL', 'some', 'prefix:', 'prefix:wiki admins', `prefix:${'a'.repeat(65)}`, 'prefix:*', 'listed:x']) {
      expect(() => parseGroupsClaim(text), text).toThrow(ValidationError);
    }
  });
});

describe('managing groups on a real store', () => {
  let store: Store;
  let ctx: ClientContext;

  const snapshot = async () => ({
    groups: (await store.groups.list({ limit: 100 })).items,
    audit: await store.audit.count({}),
    clients: (await store.clients.list({ limit: 100 })).items,
  });
  /** Runs `action`, expects it to throw `kind` matching `message`, and that nothing was written. */
  const refused = refusedWithoutWriting(snapshot);

  manageStorePerTest(async (fresh) => {
    ({ store, ctx } = fresh);
    await store.users.create(newUser('u-ada', 'ada@example.com'), T0);
    await store.users.create(newUser('u-lin', 'lin@example.com'), T0);
  });

  it('creates a group, audited with the actor and the group', async () => {
    const group = await createGroup(ctx, { name: ' Wiki-Admins ', description: 'Run the wiki', requireMfa: true });
    expect(group).toMatchObject({ name: 'Wiki-Admins', description: 'Run the wiki', requireMfa: true, createdAt: T0 });
    expect(group.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const [event] = await store.audit.list({ limit: 1 });
    expect(event).toMatchObject({ type: 'group.created', actor: 'admin-1', subject: group.id, ip: '192.0.2.1', details: { name: 'Wiki-Admins', require_mfa: true } });
  });

  it('refuses a name taken in any case, a bad name and a long description, writing nothing', async () => {
    await createGroup(ctx, { name: 'staff' });
    await refused(() => createGroup(ctx, { name: 'STAFF' }), ConflictError, /a group named "STAFF" already exists/);
    await refused(() => createGroup(ctx, { name: 'bad name' }), ValidationError, /not a valid group name/);
    await refused(() => createGroup(ctx, { name: 'ok', description: 'x'.repeat(501) }), ValidationError, /at most 500/);
  });

  it('finds a group by name in any case, or by id; an unknown one is a NotFoundError naming it', async () => {
    const group = await createGroup(ctx, { name: 'Staff' });
    expect((await findGroup(store, 'sTaFf')).id).toBe(group.id);
    expect((await findGroup(store, group.id)).name).toBe('Staff');
    await expect(findGroup(store, 'nobody')).rejects.toThrow(new NotFoundError('no group "nobody"'));
    await expect(findGroup(store, 'not a name')).rejects.toThrow(NotFoundError);
  });

  it('renames (another case of its own name too), refuses a taken name, and writes nothing for the same name', async () => {
    const staff = await createGroup(ctx, { name: 'staff' });
    await createGroup(ctx, { name: 'ops' });
    const renamed = await renameGroup(ctx, 'staff', 'Staff');
    expect(renamed).toMatchObject({ id: staff.id, name: 'Staff' });
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'group.renamed', subject: staff.id, details: { from: 'staff', to: 'Staff' } });
    await refused(() => renameGroup(ctx, 'Staff', 'OPS'), ConflictError, /already exists/);
    await refused(() => renameGroup(ctx, 'Staff', 'two words'), ValidationError, /not a valid group name/);
    await refused(() => renameGroup(ctx, 'nobody', 'x'), NotFoundError, /no group "nobody"/);
    const events = await store.audit.count({});
    expect(await renameGroup(ctx, 'staff', 'Staff')).toMatchObject({ name: 'Staff' });
    expect(await store.audit.count({})).toBe(events);
  });

  it('updates the description and the multi-factor rule, auditing only a real change', async () => {
    const group = await createGroup(ctx, { name: 'staff' });
    const updated = await updateGroup(ctx, 'staff', { description: 'Everyone', requireMfa: true });
    expect(updated).toMatchObject({ description: 'Everyone', requireMfa: true });
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'group.updated', subject: group.id, details: { fields: ['description', 'require_mfa'], require_mfa: true } });
    const events = await store.audit.count({});
    await updateGroup(ctx, group.id, { description: ' Everyone ', requireMfa: true });
    expect(await store.audit.count({})).toBe(events);
    await refused(() => updateGroup(ctx, 'staff', { description: 'bad\u0007' }), ValidationError, /control characters/);
  });

  it('adds and removes members, audited with the member as subject and the group in the details; a repeat writes nothing', async () => {
    const group = await createGroup(ctx, { name: 'staff' });
    expect(await addMember(ctx, 'STAFF', 'Ada@Example.com')).toMatchObject({ added: true, user: { id: 'u-ada' }, group: { id: group.id } });
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'group.member_added', actor: 'admin-1', subject: 'u-ada', details: { group_id: group.id, group: 'staff' } });
    const events = await store.audit.count({});
    expect((await addMember(ctx, group.id, 'u-ada')).added).toBe(false);
    expect((await removeMember(ctx, 'staff', 'u-lin')).removed).toBe(false);
    expect(await store.audit.count({})).toBe(events);
    expect(await store.groups.groupsOf('u-ada')).toEqual([{ id: group.id, name: 'staff', requireMfa: false }]);
    expect((await removeMember(ctx, 'staff', 'ada@example.com')).removed).toBe(true);
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'group.member_removed', subject: 'u-ada', details: { group_id: group.id, group: 'staff' } });
    expect(await store.groups.groupsOf('u-ada')).toEqual([]);
  });

  it('refuses an unknown group or person for membership, writing nothing', async () => {
    await createGroup(ctx, { name: 'staff' });
    await refused(() => addMember(ctx, 'nobody', 'ada@example.com'), NotFoundError, /no group "nobody"/);
    await refused(() => addMember(ctx, 'staff', 'nobody@example.com'), NotFoundError, /no user "nobody@example.com"/);
    await refused(() => removeMember(ctx, 'staff', 'u-nobody'), NotFoundError, /no user "u-nobody"/);
    expect(await store.groups.countMembers((await findGroup(store, 'staff')).id)).toBe(0);
  });

  it('deletes a group, naming the applications that used it; an application restricted to it alone then admits nobody', async () => {
    const staff = await createGroup(ctx, { name: 'staff' });
    await addMember(ctx, 'staff', 'ada@example.com');
    const { client } = await createClient(ctx, { name: 'Wiki', redirectUris: ['https://wiki.example/cb'], accessGroups: ['staff'], claimGroups: ['staff'] });
    const { group, uses } = await deleteGroup(ctx, 'staff');
    expect(group.id).toBe(staff.id);
    expect(uses).toEqual([{ clientId: client.clientId, name: 'Wiki', roles: ['access', 'claim'] }]);
    expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'group.deleted', subject: staff.id, details: { name: 'staff', clients: [client.clientId] } });
    expect(await store.clients.findById(client.clientId)).toMatchObject({ accessPolicy: 'groups', accessGroups: [], claimGroups: [] });
    expect(await store.groups.groupsOf('u-ada')).toEqual([]);
    await refused(() => deleteGroup(ctx, 'staff'), NotFoundError, /no group "staff"/);
  });

  it('resolves names to ids in order, once each, skipping blanks; the first unknown one is named', async () => {
    const a = await createGroup(ctx, { name: 'a' });
    const b = await createGroup(ctx, { name: 'b' });
    expect(await groupIdsFromNames(store, ['B', ' ', a.id, 'b', 'A'])).toEqual([b.id, a.id]);
    await expect(groupIdsFromNames(store, ['a', 'nope', 'neither'])).rejects.toThrow(new NotFoundError('no group "nope"'));
  });

  describe('client access settings', () => {
    const base = { name: 'Wiki', redirectUris: ['https://wiki.example/cb'] };

    it('creates a client restricted to groups named in any case, with its groups claim, login URI, logo and contact', async () => {
      const staff = await createGroup(ctx, { name: 'staff' });
      const ops = await createGroup(ctx, { name: 'ops' });
      const { client } = await createClient(ctx, {
        ...base,
        accessGroups: ['STAFF'],
        claimGroups: [ops.id],
        groupsClaim: 'prefix:wiki-',
        initiateLoginUri: 'https://wiki.example/login',
        logoUri: 'https://wiki.example/logo.png',
        accessContact: '  the wiki team, #wiki ',
      });
      expect(client).toMatchObject({
        accessPolicy: 'groups',
        accessGroups: [staff.id],
        claimGroups: [ops.id],
        groupsClaim: { kind: 'prefix', prefix: 'wiki-' },
        initiateLoginUri: 'https://wiki.example/login',
        logoUri: 'https://wiki.example/logo.png',
        accessContact: 'the wiki team, #wiki',
      });
      expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'client.created', details: { access_policy: 'groups', access_groups: [staff.id], groups_claim: 'prefix:wiki-' } });
    });

    it('gives a client without them the defaults: everyone, all groups, no URIs', async () => {
      const { client } = await createClient(ctx, base);
      expect(client).toMatchObject({ accessPolicy: 'everyone', accessGroups: [], claimGroups: [], groupsClaim: { kind: 'all' }, initiateLoginUri: null, logoUri: null, accessContact: null });
    });

    it('refuses bad settings and unknown groups, writing nothing', async () => {
      await createGroup(ctx, { name: 'staff' });
      const cases: [Record<string, unknown>, new (...args: never[]) => Error, RegExp][] = [
        [{ accessGroups: ['staff', 'nobody'] }, NotFoundError, /no group "nobody"/],
        [{ claimGroups: ['ghosts'] }, NotFoundError, /no group "ghosts"/],
        [{ accessPolicy: 'everyone', accessGroups: ['staff'] }, ValidationError, /open to everyone/],
        [{ accessPolicy: 'some' }, ValidationError, /everyone or groups/],
        [{ groupsClaim: 'prefix:a b' }, ValidationError, /groups claim/],
        [{ initiateLoginUri: 'http://wiki.example/login' }, ValidationError, /initiate_login_uri .* uses http/],
        [{ initiateLoginUri: 'https://wiki.example/login#x' }, ValidationError, /fragment/],
        [{ initiateLoginUri: 'javascript:alert(1)' }, ValidationError, /must use https/],
        [{ logoUri: 'http://127.0.0.1/logo.png' }, ValidationError, /logo_uri .* must use https/],
        [{ logoUri: 'data:image/png;base64,AAAA' }, ValidationError, /logo_uri/],
        [{ accessContact: 'x'.repeat(201) }, ValidationError, /at most 200/],
        [{ accessContact: 'ring\r\nme' }, ValidationError, /control characters/],
      ];
      for (const [settings, kind, message] of cases) await refused(() => createClient(ctx, { ...base, ...settings }), kind, message);
    });

    it('allows an initiate_login_uri on loopback http, as redirect URIs are', async () => {
      const { client } = await createClient(ctx, { ...base, initiateLoginUri: 'http://127.0.0.1:8080/login' });
      expect(client.initiateLoginUri).toBe('http://127.0.0.1:8080/login');
    });

    it('changes the access settings of a registered client, audited as client.updated with the changed settings only', async () => {
      const staff = await createGroup(ctx, { name: 'staff' });
      const { client } = await createClient(ctx, { ...base, logoUri: 'https://wiki.example/logo.png' });
      const restricted = await setClientAccess(ctx, client.clientId, { accessGroups: ['staff'] });
      expect(restricted.changed).toEqual(['access_policy', 'access_groups']);
      expect(restricted.client).toMatchObject({ accessPolicy: 'groups', accessGroups: [staff.id], logoUri: 'https://wiki.example/logo.png' });
      expect((await store.audit.list({ limit: 1 }))[0]).toMatchObject({ type: 'client.updated', subject: client.clientId, details: { changed: ['access_policy', 'access_groups'] } });
      // The same again (by id this time) changes nothing and writes nothing.
      const events = await store.audit.count({});
      expect((await setClientAccess(ctx, client.clientId, { accessPolicy: 'groups', accessGroups: [staff.id] })).changed).toEqual([]);
      expect(await store.audit.count({})).toBe(events);
      const opened = await setClientAccess(ctx, client.clientId, { accessPolicy: 'everyone', logoUri: '' });
      expect(opened.changed).toEqual(['access_policy', 'access_groups', 'logo_uri']);
      expect(opened.client).toMatchObject({ accessPolicy: 'everyone', accessGroups: [], logoUri: null });
      await refused(() => setClientAccess(ctx, client.clientId, { accessGroups: ['ghosts'] }), NotFoundError, /no group "ghosts"/);
    });

    it('keeps the access settings when an edit leaves them out (the name, the URIs)', async () => {
      await createGroup(ctx, { name: 'staff' });
      const { client } = await createClient(ctx, { ...base, accessGroups: ['staff'], groupsClaim: 'listed' });
      const { client: renamed, changed } = await updateClient(ctx, client.clientId, { name: 'The wiki', redirectUris: client.redirectUris });
      expect(changed).toEqual(['client_name']);
      expect(renamed).toMatchObject({ accessPolicy: 'groups', accessGroups: client.accessGroups, groupsClaim: { kind: 'listed' } });
    });

    it('clientChanges counts group names as a change unless they are resolved first', async () => {
      await createGroup(ctx, { name: 'staff' });
      const { client } = await createClient(ctx, { ...base, accessGroups: ['staff'] });
      const settings = { name: 'Wiki', redirectUris: client.redirectUris, accessPolicy: 'groups' as const, accessGroups: ['staff'] };
      expect(clientChanges(client, settings)).toEqual(['access_groups']);
      expect(clientChanges(client, await resolveGroupLists(store, settings))).toEqual([]);
    });
  });
});
