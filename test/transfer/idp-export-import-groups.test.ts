// `idp export` then `idp import` carry issue 21's data: groups (with their case-insensitive name key), memberships,
// the applications' access rules, groups-claim modes and claim groups, their login URI, logo and contact, the
// attribute definitions and every person's values, typed. Real `idp` processes; the source is SQLite, the targets
// SQLite and (with TEST_DATABASE_URL) PostgreSQL, read back through the Store as a server would read them.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { ConflictError } from '../../src/errors.js';
import { defineAttribute, setUserAttribute } from '../../src/manage/attributes.js';
import { createClient, type ClientContext } from '../../src/manage/clients.js';
import { addMember, createGroup } from '../../src/manage/groups.js';
import type { Store } from '../../src/store/store.js';
import { toolStore, type TestEngine, type ToolStore } from '../helpers/cli-store.js';
import { TEST_DATABASE_URL } from '../helpers/postgres.js';
import { runIdp } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { newUser } from '../store/engines.js';

const TRANSFER_KEY = Buffer.alloc(32, 5).toString('base64');
const targets: TestEngine[] = TEST_DATABASE_URL ? ['postgres', 'sqlite'] : ['sqlite'];
const USERS = ['u-ada', 'u-lin', 'u-max'];

/** Everything issue 21 keeps, as the Store answers for it. */
async function groupsAndAttributes(store: Store, clientIds: string[]) {
  return {
    groups: (await store.groups.list({ limit: 100 })).items,
    memberships: await Promise.all(USERS.map((id) => store.groups.groupsOf(id))),
    uses: await Promise.all((await store.groups.list({ limit: 100 })).items.map((group) => store.groups.usesOf(group.id))),
    clients: await Promise.all(clientIds.map((id) => store.clients.findById(id))),
    definitions: await store.attributes.list(),
    values: await Promise.all(USERS.map((id) => store.attributes.valuesOf(id))),
  };
}

describe('idp export and idp import with groups, access rules and attributes', () => {
  let source: ToolStore;
  let files: { dir: string; remove: () => void };
  let dump: string;
  let clientIds: string[];
  let expected: Awaited<ReturnType<typeof groupsAndAttributes>>;

  beforeAll(async () => {
    files = tempDir();
    source = await toolStore('sqlite');
    clientIds = await source.withStore(async (store) => {
      const ctx: ClientContext = { store, clock: systemClock, passwordMinLength: 8, actor: 'test', config: { allowPrivateClientUrls: false } };
      for (const id of USERS) await store.users.create(newUser(id, `${id.slice(2)}@example.com`), Date.now());
      await createGroup(ctx, { name: 'Staff', description: 'Everyone here' });
      await createGroup(ctx, { name: 'wiki-admins', requireMfa: true });
      await createGroup(ctx, { name: 'ops' });
      await addMember(ctx, 'staff', 'u-ada');
      await addMember(ctx, 'staff', 'u-lin');
      await addMember(ctx, 'wiki-admins', 'u-ada');
      const wiki = await createClient(ctx, {
        name: 'Wiki',
        redirectUris: ['https://wiki.example/cb'],
        accessGroups: ['staff', 'wiki-admins'],
        claimGroups: ['ops'],
        groupsClaim: 'listed',
        initiateLoginUri: 'https://wiki.example/login',
        logoUri: 'https://wiki.example/logo.png',
        accessContact: 'the wiki team',
      });
      const ci = await createClient(ctx, { name: 'CI', redirectUris: ['https://ci.example/cb'], groupsClaim: 'prefix:wiki-' });
      await defineAttribute(ctx, { name: 'department', claim: 'department', scope: 'hr', userVisible: true });
      await defineAttribute(ctx, { name: 'level', claim: 'level', scope: 'hr', type: 'number' });
      await defineAttribute(ctx, { name: 'contractor', claim: 'contractor', scope: 'hr', type: 'boolean' });
      await defineAttribute(ctx, { name: 'nick', claim: 'nickname', scope: 'profile' });
      await defineAttribute(ctx, { name: 'roles', claim: 'https://example.com/roles', scope: 'org:roles', type: 'list' });
      await setUserAttribute(ctx, 'u-ada', 'department', 'Research "R&D" — Zürich');
      await setUserAttribute(ctx, 'u-ada', 'level', '7.5');
      await setUserAttribute(ctx, 'u-ada', 'contractor', 'false');
      await setUserAttribute(ctx, 'u-ada', 'roles', '["reader", "a, b"]');
      await setUserAttribute(ctx, 'u-lin', 'nick', 'Lin');
      return [wiki.client.clientId, ci.client.clientId];
    });
    expected = await source.withStore((store) => groupsAndAttributes(store, clientIds));
    // What the source holds is what was set up: the comparison below is not between two empty stores.
    expect(expected.groups.map((group) => [group.name, group.memberCount])).toEqual([
      ['ops', 0],
      ['Staff', 2],
      ['wiki-admins', 1],
    ]);
    expect(expected.clients[0]).toMatchObject({ accessPolicy: 'groups', groupsClaim: { kind: 'listed' }, initiateLoginUri: 'https://wiki.example/login' });
    expect(expected.values[0]).toEqual({ department: 'Research "R&D" — Zürich', level: 7.5, contractor: false, roles: ['reader', 'a, b'] });
    dump = path.join(files.dir, 'gatehouse.jsonl');
    const exported = await runIdp(['export', '--output', dump, '--json'], { ...source.env, TRANSFER_KEY });
    expect(exported.stderr).toBe('');
    expect(exported.code).toBe(0);
    expect(JSON.parse(exported.stdout)).toMatchObject({ rows: { groups: 3, group_members: 3, client_groups: 3, attribute_definitions: 5, user_attributes: 5 } });
  });

  afterAll(async () => {
    await source?.drop();
    files?.remove();
  });

  describe.each(targets)('import into %s', (engine) => {
    let target: ToolStore;
    beforeAll(async () => {
      target = await toolStore(engine);
      const imported = await runIdp(['import', '--input', dump, '--json'], { ...target.env, TRANSFER_KEY });
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(JSON.parse(imported.stdout)).toMatchObject({ rows: { groups: 3, group_members: 3, client_groups: 3, attribute_definitions: 5, user_attributes: 5 } });
    });
    afterAll(async () => {
      await target?.drop();
    });

    it('holds the same groups, memberships, client rules, definitions and typed values', async () => {
      expect(await target.withStore((store) => groupsAndAttributes(store, clientIds))).toEqual(expected);
    });

    it('keeps group names unique in any case, and the tools read the moved data', async () => {
      await expect(target.withStore((store) => store.groups.create({ id: 'g-new', name: 'STAFF', description: '' }, Date.now()))).rejects.toThrow(ConflictError);
      const shown = await runIdp(['group', 'show', 'staff', '--json'], target.env);
      expect(shown.code, shown.stderr).toBe(0);
      expect(JSON.parse(shown.stdout)).toMatchObject({ name: 'Staff', member_count: 2, applications: [{ client_name: 'Wiki', roles: ['access'] }] });
      const user = await runIdp(['user', 'show', 'u-ada', '--json'], target.env);
      expect(JSON.parse(user.stdout)).toMatchObject({ groups: [{ name: 'Staff' }, { name: 'wiki-admins' }], attributes: { level: 7.5, roles: ['reader', 'a, b'] } });
    });
  });
});
