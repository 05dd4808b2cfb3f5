// `idp group …` and the access settings of `idp client …` (issue 21) as child processes, on a store of their own
// on the engine under test (test/helpers/cli-store.ts): what the tool writes is read back through the store, as
// the running server would read it; every refusal exits 1 with one line on stderr and writes nothing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomId } from '../../src/auth/secrets.js';
import type { Store } from '../../src/store/store.js';
import { toolStore, type ToolStore, runIdpJson } from '../helpers/cli-store.js';
import { cliRefusals, writtenReaders } from '../helpers/cli-refusals.js';
import { runIdp } from '../helpers/processes.js';
import { newUser } from '../store/engines.js';

interface GroupJson {
  id: string;
  name: string;
  description: string;
  require_mfa: boolean;
  member_count?: number;
}

describe('idp group (the command-line tool, run as a child process)', () => {
  let tool: ToolStore;
  const idp = (args: string[]) => runIdp(args, tool.env);
  const withStore = <T>(read: (store: Store) => Promise<T>) => tool.withStore(read);
  const ok = <T>(args: string[]) => runIdpJson<T>(args, tool.env);
  /** Everything these commands may write: groups, memberships, clients and their rules, the audit log. */
  const { refused } = cliRefusals(() => tool, { groups: writtenReaders.groups, members: writtenReaders.members, clients: writtenReaders.clients, audit: writtenReaders.audit });
  const lastEvent = () => withStore(async (store) => (await store.audit.list({ limit: 1 }))[0]);

  beforeEach(async () => {
    tool = await toolStore();
    await withStore(async (store) => {
      await store.users.create(newUser('u-ada', 'ada@example.com', { name: 'Ada' }), Date.now());
      await store.users.create(newUser('u-lin', 'lin@example.com'), Date.now());
    });
  });
  afterEach(async () => {
    await tool?.drop();
  });

  it('creates a group, printing it as JSON or text, audited with the actor cli', async () => {
    const created = await ok<GroupJson>(['group', 'create', 'Wiki-Admins', '--description', 'Run the wiki', '--require-mfa', '--json']);
    expect(created).toMatchObject({ name: 'Wiki-Admins', description: 'Run the wiki', require_mfa: true });
    expect(created.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(await withStore((store) => store.groups.findByName('wiki-admins'))).toMatchObject({ id: created.id, name: 'Wiki-Admins', requireMfa: true });
    expect(await lastEvent()).toMatchObject({ type: 'group.created', actor: 'cli', subject: created.id, details: { name: 'Wiki-Admins' } });
    const text = await idp(['group', 'create', 'ops']);
    expect(text.stdout).toMatch(/^created group ops \([A-Za-z0-9_-]{22}\)\n$/);
  });

  describe('refuses bad input with a clear message, a non-zero exit, and writes nothing', () => {
    beforeEach(async () => {
      await ok(['group', 'create', 'staff', '--json']);
    });

    it('a name taken in another case', () => refused(['group', 'create', 'STAFF'], 'a group named "STAFF" already exists (names are compared without regard to case)'));
    it('a name with a space', () => refused(['group', 'create', 'wiki admins'], /^idp: "wiki admins" is not a valid group name: a group name is 1 to 64 letters/));
    it('a name with other characters', async () => {
      for (const name of ['wiki/admins', 'ünï', 'a,b', 'a@b']) await refused(['group', 'create', name], /is not a valid group name/);
    });
    it('a name over 64 characters', () => refused(['group', 'create', 'a'.repeat(65)], /is not a valid group name/));
    it('a description over 500 characters', () => refused(['group', 'create', 'ok', '--description', 'x'.repeat(501)], 'the description must be at most 500 characters long'));
    it('an unknown group, whatever the command', async () => {
      for (const args of [
        ['group', 'show', 'nobody'],
        ['group', 'rename', 'nobody', 'somebody'],
        ['group', 'update', 'nobody', '--description', 'x'],
        ['group', 'delete', 'nobody'],
        ['group', 'add', 'nobody', 'ada@example.com'],
        ['group', 'remove', 'nobody', 'ada@example.com'],
      ]) {
        await refused(args, 'no group "nobody"');
      }
    });
    it('an unknown person', async () => {
      await refused(['group', 'add', 'staff', 'nobody@example.com'], 'no user "nobody@example.com"');
      await refused(['group', 'remove', 'staff', 'u-nobody'], 'no user "u-nobody"');
    });
    it('a rename onto another group’s name, in any case', async () => {
      await ok(['group', 'create', 'ops', '--json']);
      await refused(['group', 'rename', 'ops', 'Staff'], 'a group named "Staff" already exists (names are compared without regard to case)');
    });
    it('an update with nothing to change, or a bad --require-mfa', async () => {
      await refused(['group', 'update', 'staff'], 'nothing to change: give --description or --require-mfa');
      await refused(['group', 'update', 'staff', '--require-mfa', 'yes'], '--require-mfa must be on or off');
    });
  });

  it('adds and removes members, audited with the member and the group; a repeat writes nothing; idp user show lists the groups', async () => {
    const staff = await ok<GroupJson>(['group', 'create', 'staff', '--json']);
    const added = await ok<{ added: boolean; user: { id: string }; group: { id: string } }>(['group', 'add', 'STAFF', 'Ada@Example.com', '--json']);
    expect(added).toEqual({ group: { id: staff.id, name: 'staff' }, user: { id: 'u-ada', email: 'ada@example.com', name: 'Ada', disabled: false }, added: true });
    expect(await lastEvent()).toMatchObject({ type: 'group.member_added', actor: 'cli', subject: 'u-ada', details: { group_id: staff.id, group: 'staff' } });
    const events = await withStore((store) => store.audit.count({}));
    expect((await idp(['group', 'add', staff.id, 'u-ada'])).stdout).toBe(`u-ada <ada@example.com> is already in group staff\n`);
    expect(await withStore((store) => store.audit.count({}))).toBe(events);
    const shown = await ok<{ groups: { id: string; name: string }[] }>(['user', 'show', 'ada@example.com', '--json']);
    expect(shown.groups).toEqual([{ id: staff.id, name: 'staff' }]);
    expect((await idp(['user', 'show', 'u-ada'])).stdout).toContain('\ngroups: staff\n');
    expect((await ok<{ removed: boolean }>(['group', 'remove', 'staff', 'u-ada', '--json'])).removed).toBe(true);
    expect(await lastEvent()).toMatchObject({ type: 'group.member_removed', subject: 'u-ada', details: { group_id: staff.id, group: 'staff' } });
    expect(await withStore((store) => store.groups.groupsOf('u-ada'))).toEqual([]);
    expect((await idp(['group', 'remove', 'staff', 'u-ada'])).stdout).toBe('u-ada <ada@example.com> was not in group staff\n');
  });

  it('lists every group with its member count, reading page after page; --limit prints one page and the next cursor', async () => {
    // More groups than one page of the listing's batches (200).
    await withStore(async (store) => {
      for (let i = 0; i < 230; i++) await store.groups.create({ id: randomId(), name: `g${String(i).padStart(3, '0')}`, description: '' }, Date.now());
      const first = await store.groups.findByName('g000');
      await store.groups.addMember(first?.id ?? '', 'u-ada', Date.now());
      await store.groups.addMember(first?.id ?? '', 'u-lin', Date.now());
    });
    const all = await ok<{ groups: GroupJson[]; next: null }>(['group', 'list', '--json']);
    expect(all.groups).toHaveLength(230);
    expect(all.next).toBeNull();
    expect(all.groups[0]).toMatchObject({ name: 'g000', member_count: 2 });
    expect(all.groups.map((group) => group.name)).toEqual(Array.from({ length: 230 }, (_, i) => `g${String(i).padStart(3, '0')}`));
    const text = (await idp(['group', 'list'])).stdout.split('\n');
    expect(text[0]).toMatch(/^[A-Za-z0-9_-]{22}\tg000\t2 members$/);
    expect(text[1]).toMatch(/\tg001\t0 members$/);
    const page = await ok<{ groups: GroupJson[]; next: string }>(['group', 'list', '--limit', '2', '--json']);
    expect(page.groups.map((group) => group.name)).toEqual(['g000', 'g001']);
    const next = await ok<{ groups: GroupJson[] }>(['group', 'list', '--limit', '2', '--after', page.next, '--json']);
    expect(next.groups.map((group) => group.name)).toEqual(['g002', 'g003']);
    expect((await ok<{ groups: GroupJson[] }>(['group', 'list', '--search', 'G22', '--json'])).groups.map((group) => group.name)).toEqual([
      'g220',
      'g221',
      'g222',
      'g223',
      'g224',
      'g225',
      'g226',
      'g227',
      'g228',
      'g229',
    ]);
    await refused(['group', 'list', '--limit', '0'], '--limit must be a whole number from 1 to 1000');
  });

  it('shows a group with its settings, the applications that use it and its members, a page at a time', async () => {
    const staff = await ok<GroupJson>(['group', 'create', 'staff', '--description', 'Everyone', '--json']);
    await ok(['group', 'add', 'staff', 'ada@example.com', '--json']);
    await ok(['group', 'add', 'staff', 'lin@example.com', '--json']);
    const wiki = await ok<{ client_id: string }>(['client', 'create', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb', '--allowed-group', 'staff', '--json']);
    const shown = await ok<GroupJson & { applications: unknown[]; members: { email: string }[]; next: string | null }>(['group', 'show', 'Staff', '--limit', '1', '--json']);
    expect(shown).toMatchObject({ id: staff.id, name: 'staff', description: 'Everyone', member_count: 2, applications: [{ client_id: wiki.client_id, client_name: 'Wiki', roles: ['access'] }] });
    expect(shown.members.map((member) => member.email)).toEqual(['ada@example.com']);
    const rest = await ok<{ members: { email: string }[]; next: string | null }>(['group', 'show', staff.id, '--limit', '1', '--after', shown.next ?? '', '--json']);
    expect(rest.members.map((member) => member.email)).toEqual(['lin@example.com']);
    const text = (await idp(['group', 'show', 'staff', '--limit', '1'])).stdout;
    expect(text).toMatch(/^id: [A-Za-z0-9_-]{22}\nname: staff\ndescription: Everyone\nrequire_mfa: false\nmember_count: 2\n/);
    expect(text).toContain(`\napplications:\n  ${wiki.client_id}\tWiki\taccess\nmembers:\n  u-ada\tada@example.com\tAda\n(more members: --after ${shown.next})\n`);
  });

  it('renames and updates a group, audited; applications keep naming it', async () => {
    const staff = await ok<GroupJson>(['group', 'create', 'staff', '--json']);
    const wiki = await ok<{ client_id: string }>(['client', 'create', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb', '--allowed-group', 'staff', '--json']);
    expect(await ok<GroupJson>(['group', 'rename', 'staff', 'Employees', '--json'])).toMatchObject({ id: staff.id, name: 'Employees' });
    expect(await lastEvent()).toMatchObject({ type: 'group.renamed', actor: 'cli', subject: staff.id, details: { from: 'staff', to: 'Employees' } });
    expect((await ok<{ access_groups: string[] }>(['client', 'show', wiki.client_id, '--json'])).access_groups).toEqual(['Employees']);
    expect(await ok<GroupJson>(['group', 'update', 'employees', '--require-mfa', 'on', '--description', 'All of us', '--json'])).toMatchObject({ require_mfa: true, description: 'All of us' });
    expect(await lastEvent()).toMatchObject({ type: 'group.updated', subject: staff.id, details: { fields: ['description', 'require_mfa'] } });
  });

  it('deletes a group, naming the applications that depended on it; one restricted to it alone now admits nobody', async () => {
    const staff = await ok<GroupJson>(['group', 'create', 'staff', '--json']);
    await ok(['group', 'create', 'ops', '--json']);
    await ok(['group', 'add', 'staff', 'ada@example.com', '--json']);
    const wiki = await ok<{ client_id: string }>(['client', 'create', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb', '--allowed-group', 'staff', '--json']);
    const ci = await ok<{ client_id: string }>(['client', 'create', '--name', 'CI', '--redirect-uri', 'https://ci.example/cb', '--allowed-group', 'staff', '--allowed-group', 'ops', '--json']);
    const deleted = await ok<{ deleted: boolean; applications: { client_id: string; admits_nobody: boolean }[] }>(['group', 'delete', 'staff', '--json']);
    expect(deleted).toEqual({
      deleted: true,
      id: staff.id,
      name: 'staff',
      applications: [
        { client_id: ci.client_id, client_name: 'CI', roles: ['access'], admits_nobody: false },
        { client_id: wiki.client_id, client_name: 'Wiki', roles: ['access'], admits_nobody: true },
      ],
    });
    expect(await lastEvent()).toMatchObject({ type: 'group.deleted', actor: 'cli', subject: staff.id, details: { name: 'staff', clients: [ci.client_id, wiki.client_id] } });
    expect(await withStore((store) => store.clients.findById(wiki.client_id))).toMatchObject({ accessPolicy: 'groups', accessGroups: [] });
    expect(await withStore((store) => store.groups.groupsOf('u-ada'))).toEqual([]);
    await ok(['group', 'create', 'temp', '--json']);
    const text = await idp(['group', 'delete', 'temp']);
    expect(text.stdout).toMatch(/^deleted group temp \([A-Za-z0-9_-]{22}\)\n$/);
  });

  it('takes a group name that begins with a dash as the group, and a double-dash word as an unknown option', async () => {
    await ok(['group', 'create', '-ops', '--json']);
    expect((await ok<{ added: boolean }>(['group', 'add', '-ops', 'ada@example.com', '--json'])).added).toBe(true);
    const typo = await idp(['group', 'show', '-ops', '--jsno']);
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain("unknown option '--jsno'");
  });

  describe('the access settings of idp client', () => {
    beforeEach(async () => {
      await ok(['group', 'create', 'staff', '--json']);
      await ok(['group', 'create', 'wiki-readers', '--json']);
    });
    const create = (extra: string[]) => ['client', 'create', '--name', 'Wiki', '--redirect-uri', 'https://wiki.example/cb', ...extra];

    it('registers a client restricted to groups, with its groups claim, login URI, logo and contact', async () => {
      const client = await ok<Record<string, unknown>>(
        create([
          '--allowed-group',
          'STAFF',
          '--claim-group',
          'wiki-readers',
          '--groups-claim',
          'listed',
          '--initiate-login-uri',
          'https://wiki.example/login',
          '--logo-uri',
          'https://wiki.example/logo.png',
          '--access-contact',
          'the wiki team',
          '--json',
        ]),
      );
      expect(client).toMatchObject({
        access_policy: 'groups',
        access_groups: ['staff'],
        groups_claim: 'listed',
        claim_groups: ['wiki-readers'],
        initiate_login_uri: 'https://wiki.example/login',
        logo_uri: 'https://wiki.example/logo.png',
        access_contact: 'the wiki team',
      });
      const [staff, readers] = await withStore(async (store) => [await store.groups.findByName('staff'), await store.groups.findByName('wiki-readers')]);
      expect(await withStore((store) => store.clients.findById(String(client.client_id)))).toMatchObject({
        accessPolicy: 'groups',
        accessGroups: [staff?.id],
        claimGroups: [readers?.id],
        groupsClaim: { kind: 'listed' },
      });
      expect(await lastEvent()).toMatchObject({ type: 'client.created', details: { access_policy: 'groups', access_groups: [staff?.id], groups_claim: 'listed' } });
    });

    it('registers a client open to everyone with every group in its claim by default', async () => {
      expect(await ok(create(['--json']))).toMatchObject({
        access_policy: 'everyone',
        access_groups: [],
        groups_claim: 'all',
        claim_groups: [],
        initiate_login_uri: null,
        logo_uri: null,
        access_contact: null,
      });
    });

    it('refuses an unknown group, a bad mode and bad URIs, writing nothing', async () => {
      await refused(create(['--allowed-group', 'staff', '--allowed-group', 'ghosts']), 'no group "ghosts"');
      await refused(create(['--claim-group', 'ghosts']), 'no group "ghosts"');
      await refused(create(['--groups-claim', 'some']), /^idp: "some": the groups claim is all, listed, or prefix:P/);
      await refused(create(['--groups-claim', 'prefix:a b']), /the groups claim is all, listed, or prefix:P/);
      await refused(create(['--initiate-login-uri', 'http://wiki.example/login']), /initiate_login_uri "http:\/\/wiki.example\/login" uses http on a host that is not loopback/);
      await refused(create(['--initiate-login-uri', 'https://wiki.example/login#start']), /must not have a fragment/);
      await refused(create(['--logo-uri', 'http://localhost/logo.png']), 'logo_uri "http://localhost/logo.png" must use https');
      await refused(create(['--access-contact', 'x'.repeat(201)]), 'the access contact must be at most 200 characters long');
    });

    it('changes who may use a registered client with set-access, audited as client.updated', async () => {
      const client = await ok<{ client_id: string }>(create(['--json']));
      const restricted = await ok<{ access_policy: string; access_groups: string[]; changed: string[] }>([
        'client',
        'set-access',
        client.client_id,
        '--allowed-group',
        'staff',
        '--allowed-group',
        'wiki-readers',
        '--json',
      ]);
      expect(restricted).toMatchObject({ access_policy: 'groups', access_groups: ['staff', 'wiki-readers'], changed: ['access_policy', 'access_groups'] });
      expect(await lastEvent()).toMatchObject({ type: 'client.updated', actor: 'cli', subject: client.client_id, details: { changed: ['access_policy', 'access_groups'] } });
      expect((await idp(['client', 'set-access', client.client_id, '--allowed-group', 'staff'])).stdout).toBe(`client ${client.client_id}: only members of staff may sign in\n`);
      expect((await idp(['client', 'set-access', client.client_id, '--everyone'])).stdout).toBe(`client ${client.client_id}: everyone may sign in\n`);
      expect(await withStore((store) => store.clients.findById(client.client_id))).toMatchObject({ accessPolicy: 'everyone', accessGroups: [] });
      await refused(['client', 'set-access', client.client_id, '--allowed-group', 'ghosts'], 'no group "ghosts"');
      await refused(['client', 'set-access', client.client_id], 'give --everyone, or at least one --allowed-group');
      await refused(['client', 'set-access', client.client_id, '--everyone', '--allowed-group', 'staff'], 'give either --everyone or --allowed-group, not both');
      await refused(['client', 'set-access', 'no-such-client', '--everyone'], 'no client "no-such-client"');
    });

    it('changes the groups claim, the login URI, the logo and the contact of a registered client', async () => {
      const client = await ok<{ client_id: string }>(create(['--json']));
      const id = client.client_id;
      expect(await ok(['client', 'set-groups-claim', id, 'prefix:wiki-', '--json'])).toMatchObject({ groups_claim: 'prefix:wiki-', changed: ['groups_claim'] });
      expect(await ok(['client', 'set-groups-claim', id, 'listed', '--claim-group', 'wiki-readers', '--json'])).toMatchObject({ groups_claim: 'listed', claim_groups: ['wiki-readers'] });
      expect(await ok(['client', 'set-groups-claim', id, 'listed', '--clear-claim-groups', '--json'])).toMatchObject({ claim_groups: [], changed: ['claim_groups'] });
      expect(await ok(['client', 'set-initiate-login-uri', id, 'https://wiki.example/login', '--json'])).toMatchObject({ initiate_login_uri: 'https://wiki.example/login' });
      expect(await ok(['client', 'set-logo-uri', id, 'https://wiki.example/logo.svg', '--json'])).toMatchObject({ logo_uri: 'https://wiki.example/logo.svg' });
      expect(await ok(['client', 'set-access-contact', id, 'Ask Grace', '--json'])).toMatchObject({ access_contact: 'Ask Grace' });
      expect((await idp(['client', 'set-access-contact', id, 'Ask Grace'])).stdout).toBe(`client ${id}: no change\n`);
      expect(await ok(['client', 'set-access-contact', id, 'default', '--json'])).toMatchObject({ access_contact: null });
      expect(await ok(['client', 'set-logo-uri', id, 'none', '--json'])).toMatchObject({ logo_uri: null });
      expect(await ok(['client', 'set-initiate-login-uri', id, 'none', '--json'])).toMatchObject({ initiate_login_uri: null });
      const events = await withStore((store) => store.audit.list({ limit: 10, filter: { type: 'client.updated' } }));
      expect(events.map((event) => event.details.changed).reverse()).toEqual([
        ['groups_claim'],
        ['groups_claim', 'claim_groups'],
        ['claim_groups'],
        ['initiate_login_uri'],
        ['logo_uri'],
        ['access_contact'],
        ['access_contact'],
        ['logo_uri'],
        ['initiate_login_uri'],
      ]);
      await refused(['client', 'set-groups-claim', id, 'everything'], /the groups claim is all, listed, or prefix:P/);
      await refused(['client', 'set-groups-claim', id, 'listed', '--claim-group', 'ghosts'], 'no group "ghosts"');
      await refused(['client', 'set-logo-uri', id, 'javascript:alert(1)'], /logo_uri "javascript:alert\(1\)" must use https/);
      await refused(['client', 'set-initiate-login-uri', id, 'https://user:pw@wiki.example/'], /must not contain credentials/);
    });
  });
});
